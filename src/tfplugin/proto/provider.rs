//! tfplugin6.Provider: each RPC converts its request, calls the server, converts the answer.

use std::sync::Arc;

use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Streaming};

use super::convert::*;
use super::{Answer, BoxStream, ok, one, pb};
use crate::tfplugin::server::{self, Server};

pub(super) struct ProviderSvc {
    pub(super) server: Arc<Server>,
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderSvc {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Answer<pb::get_metadata::Response> {
        ok(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .server
                .resource_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ResourceMetadata { type_name })
                .collect(),
            data_sources: self
                .server
                .data_source_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::DataSourceMetadata { type_name })
                .collect(),
            functions: self
                .server
                .functions()
                .into_iter()
                .map(|(name, _)| pb::get_metadata::FunctionMetadata { name })
                .collect(),
            list_resources: self
                .server
                .list_resource_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ListResourceMetadata { type_name })
                .collect(),
            actions: self
                .server
                .action_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
                .collect(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Answer<pb::get_provider_schema::Response> {
        let s = self.server.schema();
        ok(pb::get_provider_schema::Response {
            provider: Some((&s.provider).into()),
            resource_schemas: s
                .resources
                .iter()
                .map(|(n, sc)| (n.clone(), sc.into()))
                .collect(),
            data_source_schemas: s
                .data_sources
                .iter()
                .map(|(n, sc)| (n.clone(), sc.into()))
                .collect(),
            list_resource_schemas: s
                .list_resources
                .iter()
                .map(|(n, sc)| (n.clone(), sc.into()))
                .collect(),
            action_schemas: s
                .actions
                .iter()
                .map(|(n, sc)| {
                    (
                        n.clone(),
                        pb::ActionSchema {
                            schema: Some(sc.into()),
                        },
                    )
                })
                .collect(),
            diagnostics: diags(s.diagnostics),
            server_capabilities: Some(capabilities()),
            functions: functions(&self.server),
            ..Default::default()
        })
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Answer<pb::validate_provider_config::Response> {
        let d = self
            .server
            .validate_provider_config(raw(req.into_inner().config))
            .await;
        ok(pb::validate_provider_config::Response {
            diagnostics: diags(d),
        })
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Answer<pb::validate_resource_config::Response> {
        let r = req.into_inner();
        let d = self
            .server
            .validate_resource_config(&r.type_name, raw(r.config))
            .await;
        ok(pb::validate_resource_config::Response {
            diagnostics: diags(d),
        })
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Answer<pb::validate_data_resource_config::Response> {
        let r = req.into_inner();
        let d = self
            .server
            .validate_data_source_config(&r.type_name, raw(r.config))
            .await;
        ok(pb::validate_data_resource_config::Response {
            diagnostics: diags(d),
        })
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Answer<pb::upgrade_resource_state::Response> {
        let r = req.into_inner();
        let rs = r.raw_state.unwrap_or_default();
        let (state, d) = self
            .server
            .upgrade(server::UpgradeIn {
                type_name: r.type_name,
                version: r.version,
                json: rs.json,
                flatmap: rs.flatmap.into_iter().collect(),
            })
            .await;
        ok(pb::upgrade_resource_state::Response {
            upgraded_state: state.map(dynamic),
            diagnostics: diags(d),
        })
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Answer<pb::get_resource_identity_schemas::Response> {
        // Resources without an identity are simply absent: Terraform ≥1.12 always asks.
        ok(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .server
                .identity_schemas()
                .iter()
                .map(|(n, sc)| (n.clone(), identity_schema(sc)))
                .collect(),
            diagnostics: Vec::new(),
        })
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Answer<pb::upgrade_resource_identity::Response> {
        let r = req.into_inner();
        let (identity, d) = self.server.upgrade_identity(server::UpgradeIdentityIn {
            type_name: r.type_name,
            version: r.version,
            json: r.raw_identity.map(|raw| raw.json).unwrap_or_default(),
        });
        ok(pb::upgrade_resource_identity::Response {
            upgraded_identity: identity.map(identity_data),
            diagnostics: diags(d),
        })
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Answer<pb::configure_provider::Response> {
        let r = req.into_inner();
        tracing::debug!(terraform_version = %r.terraform_version, "ConfigureProvider");
        let d = self.server.configure(raw(r.config)).await;
        ok(pb::configure_provider::Response {
            diagnostics: diags(d),
        })
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Answer<pb::read_resource::Response> {
        let r = req.into_inner();
        let mut out = self
            .server
            .read(
                &r.type_name,
                raw(r.current_state),
                r.private,
                identity_raw(r.current_identity),
            )
            .await;
        let new_identity = out.identity.take_identity();
        let (new_state, private, diagnostics) = state_out(out);
        ok(pb::read_resource::Response {
            new_state,
            diagnostics,
            private,
            deferred: None,
            new_identity,
        })
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Answer<pb::plan_resource_change::Response> {
        let r = req.into_inner();
        let out = self
            .server
            .plan(server::PlanIn {
                type_name: r.type_name,
                prior_state: raw(r.prior_state),
                proposed_new_state: raw(r.proposed_new_state),
                config: raw(r.config),
                prior_private: r.prior_private,
                prior_identity: identity_raw(r.prior_identity),
            })
            .await;
        ok(pb::plan_resource_change::Response {
            planned_state: out.planned_state.map(dynamic),
            requires_replace: out
                .requires_replace
                .iter()
                .map(pb::AttributePath::from)
                .collect(),
            planned_private: out.planned_private,
            diagnostics: diags(out.diagnostics),
            legacy_type_system: false,
            deferred: None,
            planned_identity: out.planned_identity.map(identity_data),
        })
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Answer<pb::apply_resource_change::Response> {
        let r = req.into_inner();
        let mut out = self
            .server
            .apply(server::ApplyIn {
                type_name: r.type_name,
                prior_state: raw(r.prior_state),
                planned_state: raw(r.planned_state),
                config: raw(r.config),
                planned_private: r.planned_private,
                planned_identity: identity_raw(r.planned_identity),
            })
            .await;
        let new_identity = out.identity.take_identity();
        let (new_state, private, diagnostics) = state_out(out);
        ok(pb::apply_resource_change::Response {
            new_state,
            private,
            diagnostics,
            legacy_type_system: false,
            new_identity,
        })
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Answer<pb::import_resource_state::Response> {
        let r = req.into_inner();
        let (imported, d) = self
            .server
            .import(&r.type_name, &r.id, identity_raw(r.identity))
            .await;
        ok(pb::import_resource_state::Response {
            imported_resources: imported
                .into_iter()
                .map(|i| pb::import_resource_state::ImportedResource {
                    type_name: i.type_name,
                    state: Some(dynamic(i.state)),
                    private: i.private,
                    identity: i.identity.map(identity_data),
                })
                .collect(),
            diagnostics: diags(d),
            deferred: None,
        })
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Answer<pb::move_resource_state::Response> {
        let r = req.into_inner();
        let (out, d) = self
            .server
            .move_resource_state(server::MoveIn {
                source_provider_address: r.source_provider_address,
                source_type_name: r.source_type_name,
                source_schema_version: r.source_schema_version,
                source_state_json: r.source_state.map(|s| s.json).unwrap_or_default(),
                target_type_name: r.target_type_name,
            })
            .await;
        ok(pb::move_resource_state::Response {
            target_state: out.state.map(dynamic),
            diagnostics: diags(d),
            target_private: Vec::new(),
            target_identity: out.identity.map(identity_data),
        })
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Answer<pb::read_data_source::Response> {
        let r = req.into_inner();
        let (state, _private, diagnostics) = state_out(
            self.server
                .read_data_source(&r.type_name, raw(r.config))
                .await,
        );
        ok(pb::read_data_source::Response {
            state,
            diagnostics,
            deferred: None,
        })
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Answer<pb::generate_resource_config::Response> {
        let r = req.into_inner();
        let (config, d) = self
            .server
            .generate_config(&r.type_name, raw(r.state))
            .await;
        ok(pb::generate_resource_config::Response {
            config: config.map(dynamic),
            diagnostics: diags(d),
        })
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Answer<pb::validate_ephemeral_resource_config::Response> {
        ok(pb::validate_ephemeral_resource_config::Response {
            diagnostics: diags(server::unsupported("ValidateEphemeralResourceConfig")),
        })
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> Answer<pb::open_ephemeral_resource::Response> {
        ok(pb::open_ephemeral_resource::Response {
            diagnostics: diags(server::unsupported("OpenEphemeralResource")),
            ..Default::default()
        })
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Answer<pb::renew_ephemeral_resource::Response> {
        ok(pb::renew_ephemeral_resource::Response {
            diagnostics: diags(server::unsupported("RenewEphemeralResource")),
            ..Default::default()
        })
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Answer<pb::close_ephemeral_resource::Response> {
        ok(pb::close_ephemeral_resource::Response {
            diagnostics: diags(server::unsupported("CloseEphemeralResource")),
        })
    }

    type ListResourceStream = BoxStream<pb::list_resource::Event>;

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Answer<Self::ListResourceStream> {
        let r = req.into_inner();
        let items = self.server.list(server::ListIn {
            type_name: r.type_name,
            config: raw(r.config),
            include_resource: r.include_resource_object,
            limit: r.limit,
        });
        ok(Box::pin(ReceiverStream::new(items).map(|item| {
            Ok(pb::list_resource::Event {
                identity: item.identity.map(identity_data),
                display_name: item.display_name,
                resource_object: item.resource.map(dynamic),
                diagnostic: diags(item.diagnostics),
            })
        })))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Answer<pb::validate_list_resource_config::Response> {
        let r = req.into_inner();
        let d = self
            .server
            .validate_list_config(&r.type_name, raw(r.config))
            .await;
        ok(pb::validate_list_resource_config::Response {
            diagnostics: diags(d),
        })
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Answer<pb::get_functions::Response> {
        ok(pb::get_functions::Response {
            functions: functions(&self.server),
            diagnostics: Vec::new(),
        })
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Answer<pb::call_function::Response> {
        let r = req.into_inner();
        let args = r.arguments.into_iter().map(|a| raw(Some(a))).collect();
        match self.server.call_function(&r.name, args).await {
            Ok(result) => ok(pb::call_function::Response {
                result: Some(dynamic(result)),
                error: None,
            }),
            Err(e) => ok(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: e.text,
                    function_argument: e.argument,
                }),
            }),
        }
    }

    async fn validate_state_store_config(
        &self,
        _: Request<pb::validate_state_store::Request>,
    ) -> Answer<pb::validate_state_store::Response> {
        ok(pb::validate_state_store::Response {
            diagnostics: diags(server::unsupported("ValidateStateStoreConfig")),
        })
    }

    async fn configure_state_store(
        &self,
        _: Request<pb::configure_state_store::Request>,
    ) -> Answer<pb::configure_state_store::Response> {
        ok(pb::configure_state_store::Response {
            diagnostics: diags(server::unsupported("ConfigureStateStore")),
            capabilities: None,
        })
    }

    type ReadStateBytesStream = BoxStream<pb::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        _: Request<pb::read_state_bytes::Request>,
    ) -> Answer<Self::ReadStateBytesStream> {
        ok(one(pb::read_state_bytes::Response {
            diagnostics: diags(server::unsupported("ReadStateBytes")),
            ..Default::default()
        }))
    }

    async fn write_state_bytes(
        &self,
        _: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Answer<pb::write_state_bytes::Response> {
        ok(pb::write_state_bytes::Response {
            diagnostics: diags(server::unsupported("WriteStateBytes")),
        })
    }

    async fn get_states(
        &self,
        _: Request<pb::get_states::Request>,
    ) -> Answer<pb::get_states::Response> {
        ok(pb::get_states::Response {
            state_id: Vec::new(),
            diagnostics: diags(server::unsupported("GetStates")),
        })
    }

    async fn delete_state(
        &self,
        _: Request<pb::delete_state::Request>,
    ) -> Answer<pb::delete_state::Response> {
        ok(pb::delete_state::Response {
            diagnostics: diags(server::unsupported("DeleteState")),
        })
    }

    async fn lock_state(
        &self,
        _: Request<pb::lock_state::Request>,
    ) -> Answer<pb::lock_state::Response> {
        ok(pb::lock_state::Response {
            lock_id: String::new(),
            diagnostics: diags(server::unsupported("LockState")),
        })
    }

    async fn unlock_state(
        &self,
        _: Request<pb::unlock_state::Request>,
    ) -> Answer<pb::unlock_state::Response> {
        ok(pb::unlock_state::Response {
            diagnostics: diags(server::unsupported("UnlockState")),
        })
    }

    async fn plan_action(
        &self,
        req: Request<pb::plan_action::Request>,
    ) -> Answer<pb::plan_action::Response> {
        let r = req.into_inner();
        let d = self.server.plan_action(&r.action_type, raw(r.config)).await;
        ok(pb::plan_action::Response {
            diagnostics: diags(d),
            deferred: None,
        })
    }

    type InvokeActionStream = BoxStream<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        req: Request<pb::invoke_action::Request>,
    ) -> Answer<Self::InvokeActionStream> {
        use pb::invoke_action::event::{Completed, Progress, Type};
        let r = req.into_inner();
        let events = self.server.invoke_action(&r.action_type, raw(r.config));
        ok(Box::pin(ReceiverStream::new(events).map(|event| {
            Ok(pb::invoke_action::Event {
                r#type: Some(match event {
                    server::ActionEvent::Progress(message) => Type::Progress(Progress { message }),
                    server::ActionEvent::Completed(d) => Type::Completed(Completed {
                        diagnostics: diags(d),
                    }),
                }),
            })
        })))
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> Answer<pb::validate_action_config::Response> {
        let r = req.into_inner();
        let d = self
            .server
            .validate_action(&r.type_name, raw(r.config))
            .await;
        ok(pb::validate_action_config::Response {
            diagnostics: diags(d),
        })
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Answer<pb::stop_provider::Response> {
        self.server.stop();
        ok(pb::stop_provider::Response {
            error: String::new(),
        })
    }
}
