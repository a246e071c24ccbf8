//! What each tfplugin6 RPC means: decode values against the right schema, dispatch by type
//! name into the [`Provider`] / [`Resource`] traits, and turn every failure (unknown type,
//! undecodable value, panic in provider code) into an error diagnostic Terraform can show.
//!
//! This file speaks only the crate's own types; `proto/` maps protobuf messages onto it.
//! Data sources are in `data.rs`, functions and moves in `functions.rs`, resource identity in
//! `identity.rs`, list resources and generated configuration in `lists.rs`, actions in
//! `actions.rs`.

mod actions;
mod data;
mod functions;
mod identity;
mod lists;

pub(crate) use actions::ActionEvent;
pub(crate) use functions::MoveIn;
pub(crate) use identity::UpgradeIdentityIn;
pub(crate) use lists::ListIn;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use tokio_util::sync::CancellationToken;

use super::provider::{
    ApplyRequest, ApplyResponse, Context, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use super::value::CodecError;
use super::{AttributePath, Diagnostic, Diagnostics, Provider, Resource, Schema, Type, Value};

/// A `DynamicValue` as it travels: msgpack normally, JSON from older state. Both empty means
/// the field was absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Raw {
    pub msgpack: Vec<u8>,
    pub json: Vec<u8>,
}

pub(crate) struct ProviderSchemaOut {
    pub provider: Schema,
    pub resources: Vec<(String, Schema)>,
    pub data_sources: Vec<(String, Schema)>,
    pub list_resources: Vec<(String, Schema)>,
    pub actions: Vec<(String, Schema)>,
    pub diagnostics: Diagnostics,
}

pub(crate) struct UpgradeIn {
    pub type_name: String,
    pub version: i64,
    pub json: Vec<u8>,
    pub flatmap: BTreeMap<String, String>,
}

pub(crate) struct PlanIn {
    pub type_name: String,
    pub prior_state: Raw,
    pub proposed_new_state: Raw,
    pub config: Raw,
    pub prior_private: Vec<u8>,
    pub prior_identity: Raw,
}

pub(crate) struct PlanOut {
    pub planned_state: Option<Raw>,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Raw>,
    pub diagnostics: Diagnostics,
}

pub(crate) struct ApplyIn {
    pub type_name: String,
    pub prior_state: Raw,
    pub planned_state: Raw,
    pub config: Raw,
    pub planned_private: Vec<u8>,
    pub planned_identity: Raw,
}

/// A new state (or none), its private bytes and diagnostics: the shape of Read and Apply answers.
pub(crate) struct StateOut {
    pub state: Option<Raw>,
    pub private: Vec<u8>,
    /// The object's identity (resources with an identity schema, Terraform 1.12+).
    pub identity: Option<Raw>,
    pub diagnostics: Diagnostics,
}

pub(crate) struct Imported {
    pub type_name: String,
    pub state: Raw,
    pub private: Vec<u8>,
    pub identity: Option<Raw>,
}

/// One registered resource type with its schema and value type computed once.
struct Registered {
    resource: Arc<dyn Resource>,
    schema: Schema,
    ty: Type,
    identity: Option<identity::Identity>,
}

/// The RPC semantics, shared by every connection.
pub(crate) struct Server {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_ty: Type,
    resources: HashMap<String, Registered>,
    /// Order in which resources were registered, for stable schema answers.
    order: Vec<String>,
    data_sources: data::DataSources,
    functions: functions::Functions,
    lists: lists::Lists,
    actions: actions::Actions,
    /// Replaced by a fresh token on every StopProvider, so only calls in flight are cancelled.
    stop: Mutex<CancellationToken>,
}

impl Server {
    pub(crate) fn new(provider: Arc<dyn Provider>) -> Server {
        let provider_schema = provider.schema();
        let provider_ty = provider_schema.value_type();
        let mut resources = HashMap::new();
        let mut order = Vec::new();
        for resource in provider.resources() {
            let schema = resource.schema();
            let ty = schema.value_type();
            let name = resource.type_name().to_owned();
            let identity = resource.identity_schema().map(identity::Identity::new);
            order.push(name.clone());
            resources.insert(
                name,
                Registered {
                    resource,
                    schema,
                    ty,
                    identity,
                },
            );
        }
        let data_sources = data::DataSources::new(provider.data_sources());
        let functions = functions::Functions::new(provider.functions());
        let lists = lists::Lists::new(provider.list_resources(), |name| {
            resources.get(name).is_some_and(|r| r.identity.is_some())
        });
        let actions = actions::Actions::new(provider.actions());
        Server {
            provider,
            provider_schema,
            provider_ty,
            resources,
            order,
            data_sources,
            functions,
            lists,
            actions,
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn context(&self) -> Context {
        let token = match self.stop.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        Context { cancel: token }
    }

    /// StopProvider: cancel everything in flight; later calls get a fresh token.
    pub(crate) fn stop(&self) {
        let old = {
            let mut guard = match self.stop.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            std::mem::replace(&mut *guard, CancellationToken::new())
        };
        tracing::info!("StopProvider: cancelling in-flight operations");
        old.cancel();
    }

    fn resource(&self, type_name: &str) -> Result<&Registered, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            let known = self.order.join(", ");
            Diagnostics::from(Diagnostic::error(
                "Unknown Resource Type",
                format!(
                    "This provider does not implement a resource type named \"{type_name}\". \
                     Resource types it implements: {known}. Check the resource type in your \
                     configuration and the provider version."
                ),
            ))
        })
    }

    pub(crate) fn schema(&self) -> ProviderSchemaOut {
        ProviderSchemaOut {
            provider: self.provider_schema.clone(),
            resources: self
                .order
                .iter()
                .filter_map(|n| self.resources.get(n).map(|r| (n.clone(), r.schema.clone())))
                .collect(),
            data_sources: self.data_sources.schemas(),
            list_resources: self.lists.schemas(),
            actions: self.actions.schemas(),
            diagnostics: Diagnostics::new(),
        }
    }

    pub(crate) fn resource_names(&self) -> Vec<String> {
        self.order.clone()
    }

    pub(crate) async fn validate_provider_config(&self, config: Raw) -> Diagnostics {
        let config = match decode(&config, &self.provider_ty, "provider configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let provider = self.provider.clone();
        guard("ValidateProviderConfig", async move {
            provider.validate_config(&config).await
        })
        .await
        .unwrap_or_else(|d| d)
    }

    pub(crate) async fn configure(&self, config: Raw) -> Diagnostics {
        let config = match decode(&config, &self.provider_ty, "provider configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let ctx = self.context();
        let provider = self.provider.clone();
        guard("ConfigureProvider", async move {
            provider.configure(&config, &ctx).await
        })
        .await
        .unwrap_or_else(|d| d)
    }

    pub(crate) async fn validate_resource_config(
        &self,
        type_name: &str,
        config: Raw,
    ) -> Diagnostics {
        let reg = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let config = match decode(&config, &reg.ty, "configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let resource = reg.resource.clone();
        guard("ValidateResourceConfig", async move {
            resource.validate(&config).await
        })
        .await
        .unwrap_or_else(|d| d)
    }

    pub(crate) async fn upgrade(&self, req: UpgradeIn) -> (Option<Raw>, Diagnostics) {
        let reg = match self.resource(&req.type_name) {
            Ok(r) => r,
            Err(d) => return (None, d),
        };
        let decoded = if !req.json.is_empty() {
            Value::decode_json(&req.json, &reg.ty)
        } else if !req.flatmap.is_empty() {
            Value::decode_flatmap(&req.flatmap, &reg.ty)
        } else {
            Ok(Value::Null)
        };
        let state = match decoded {
            Ok(v) => v,
            Err(e) => {
                return (
                    None,
                    Diagnostic::error(
                        "Unable to Read Stored State",
                        format!(
                            "The stored state of this {} (schema version {}) does not match \
                             the resource schema: {e}. If the state was written by a newer \
                             provider version, use that version again.",
                            req.type_name, req.version
                        ),
                    )
                    .into(),
                );
            }
        };
        let resource = reg.resource.clone();
        let version = req.version;
        let upgraded = guard("UpgradeResourceState", async move {
            resource.upgrade(version, state).await
        })
        .await;
        match upgraded {
            Ok(Ok(v)) => match encode(&v, &reg.ty, "upgraded state") {
                Ok(raw) => (Some(raw), Diagnostics::new()),
                Err(d) => (None, d),
            },
            Ok(Err(d)) | Err(d) => (None, d),
        }
    }

    pub(crate) async fn read(
        &self,
        type_name: &str,
        current_state: Raw,
        private: Vec<u8>,
        current_identity: Raw,
    ) -> StateOut {
        let reg = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        let current_state = match decode(&current_state, &reg.ty, "current state") {
            Ok(v) => v,
            Err(d) => return StateOut::failed(d),
        };
        let current_identity = match reg.decode_identity(&current_identity, "current identity") {
            Ok(v) => v,
            Err(d) => return StateOut::failed(d),
        };
        let ctx = self.context();
        let resource = reg.resource.clone();
        let req = ReadRequest {
            current_state,
            private,
        };
        let resp = guard(
            "ReadResource",
            async move { resource.read(req, &ctx).await },
        )
        .await;
        let resp: ReadResponse = match resp {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        let out = StateOut::from_parts(
            &reg.ty,
            resp.new_state.clone(),
            resp.private,
            resp.diagnostics,
            "new state",
        );
        out.with_identity(reg, &current_identity, &resp.new_state)
    }

    pub(crate) async fn plan(&self, req: PlanIn) -> PlanOut {
        let failed = |d: Diagnostics| PlanOut {
            planned_state: None,
            requires_replace: Vec::new(),
            planned_private: Vec::new(),
            planned_identity: None,
            diagnostics: d,
        };
        let reg = match self.resource(&req.type_name) {
            Ok(r) => r,
            Err(d) => return failed(d),
        };
        let decoded = (|| {
            Ok::<_, Diagnostics>((
                decode(&req.prior_state, &reg.ty, "prior state")?,
                decode(&req.proposed_new_state, &reg.ty, "proposed new state")?,
                decode(&req.config, &reg.ty, "configuration")?,
                reg.decode_identity(&req.prior_identity, "prior identity")?,
            ))
        })();
        let (prior_state, proposed_new_state, config, prior_identity) = match decoded {
            Ok(t) => t,
            Err(d) => return failed(d),
        };
        if proposed_new_state.is_null() {
            // Destroy plan (plan_destroy capability): the planned state is null; the resource
            // only has something to say.
            let ctx = self.context();
            let resource = reg.resource.clone();
            let diagnostics = match guard("PlanResourceChange", async move {
                resource.plan_destroy(&prior_state, &ctx).await
            })
            .await
            {
                Ok(d) | Err(d) => d,
            };
            return PlanOut {
                planned_state: Some(Raw {
                    msgpack: vec![0xc0],
                    json: Vec::new(),
                }),
                requires_replace: Vec::new(),
                planned_private: req.prior_private,
                planned_identity: None,
                diagnostics,
            };
        }
        let exists = !prior_state.is_null();
        let ctx = self.context();
        let resource = reg.resource.clone();
        let preq = PlanRequest {
            prior_state,
            proposed_new_state,
            config,
            prior_private: req.prior_private,
        };
        let resp: PlanResponse = match guard("PlanResourceChange", async move {
            resource.plan(preq, &ctx).await
        })
        .await
        {
            Ok(r) => r,
            Err(d) => return failed(d),
        };
        let mut diagnostics = resp.diagnostics;
        let planned_identity = if diagnostics.has_errors() {
            None
        } else {
            let replace = !resp.requires_replace.is_empty();
            match reg.planned_identity(&resp.planned_state, &prior_identity, exists && !replace) {
                Ok(raw) => raw,
                Err(d) => return failed(d),
            }
        };
        let planned_state = if diagnostics.has_errors() && resp.planned_state.is_null() {
            None
        } else {
            match encode(&resp.planned_state, &reg.ty, "planned state") {
                Ok(raw) => Some(raw),
                Err(d) => {
                    diagnostics.extend(d);
                    None
                }
            }
        };
        PlanOut {
            planned_state,
            requires_replace: resp.requires_replace,
            planned_private: resp.planned_private,
            planned_identity,
            diagnostics,
        }
    }

    pub(crate) async fn apply(&self, req: ApplyIn) -> StateOut {
        let reg = match self.resource(&req.type_name) {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        let decoded = (|| {
            Ok::<_, Diagnostics>((
                decode(&req.prior_state, &reg.ty, "prior state")?,
                decode(&req.planned_state, &reg.ty, "planned state")?,
                decode(&req.config, &reg.ty, "configuration")?,
                reg.decode_identity(&req.planned_identity, "planned identity")?,
            ))
        })();
        let (prior_state, planned_state, config, planned_identity) = match decoded {
            Ok(t) => t,
            Err(d) => return StateOut::failed(d),
        };
        let ctx = self.context();
        let resource = reg.resource.clone();
        let areq = ApplyRequest {
            prior_state,
            planned_state,
            config,
            planned_private: req.planned_private,
        };
        let resp: ApplyResponse = match guard("ApplyResourceChange", async move {
            resource.apply(areq, &ctx).await
        })
        .await
        {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        let out = StateOut::from_parts(
            &reg.ty,
            resp.new_state.clone(),
            resp.private,
            resp.diagnostics,
            "new state",
        );
        out.with_identity(reg, &planned_identity, &resp.new_state)
    }

    /// ImportResourceState: by `id`, or (Terraform 1.12+ `import { identity = {...} }`, which
    /// sends an empty id) by identity, which the resource turns into its import ID. The imported
    /// object's identity must be the one asked for.
    pub(crate) async fn import(
        &self,
        type_name: &str,
        id: &str,
        identity: Raw,
    ) -> (Vec<Imported>, Diagnostics) {
        let reg = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (Vec::new(), d),
        };
        let wanted = match reg.decode_identity(&identity, "identity") {
            Ok(v) => v,
            Err(d) => return (Vec::new(), d),
        };
        let id = match reg.import_id(id, &wanted) {
            Ok(id) => id,
            Err(d) => return (Vec::new(), d),
        };
        let id = id.as_str();
        let ctx = self.context();
        let resource = reg.resource.clone();
        let id_owned = id.to_owned();
        let resp: ImportResponse = match guard("ImportResourceState", async move {
            resource.import(&id_owned, &ctx).await
        })
        .await
        {
            Ok(r) => r,
            Err(d) => return (Vec::new(), d),
        };
        let mut diagnostics = resp.diagnostics;
        if resp.state.is_null() {
            return (Vec::new(), diagnostics);
        }
        let identity = match reg
            .identity_of(&resp.state, true)
            .and_then(|got| reg.check_unchanged(&wanted, &got).map(|()| got))
            .and_then(|got| reg.encode_identity(&got))
        {
            Ok(raw) => raw,
            Err(d) => {
                diagnostics.extend(d);
                return (Vec::new(), diagnostics);
            }
        };
        match encode(&resp.state, &reg.ty, "imported state") {
            Ok(state) => (
                vec![Imported {
                    type_name: type_name.to_owned(),
                    state,
                    private: resp.private,
                    identity,
                }],
                diagnostics,
            ),
            Err(d) => {
                diagnostics.extend(d);
                (Vec::new(), diagnostics)
            }
        }
    }
}

/// The answer for every RPC this provider does not implement (functions, ephemeral
/// resources, list resources, actions, state stores, identities, moves).
pub(crate) fn unsupported(rpc: &str) -> Diagnostics {
    Diagnostic::error(
        "Unsupported Provider Operation",
        format!(
            "This provider does not support the {rpc} operation. Remove the configuration that \
             asks for it, or use a provider that offers it."
        ),
    )
    .into()
}

impl StateOut {
    fn failed(diagnostics: Diagnostics) -> StateOut {
        StateOut {
            state: None,
            private: Vec::new(),
            identity: None,
            diagnostics,
        }
    }

    fn from_parts(
        ty: &Type,
        value: Value,
        private: Vec<u8>,
        mut diagnostics: Diagnostics,
        what: &str,
    ) -> StateOut {
        match encode(&value, ty, what) {
            Ok(raw) => StateOut {
                state: Some(raw),
                private,
                identity: None,
                diagnostics,
            },
            Err(d) => {
                diagnostics.extend(d);
                StateOut {
                    state: None,
                    private,
                    identity: None,
                    diagnostics,
                }
            }
        }
    }
}

fn decode(raw: &Raw, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let result = if !raw.msgpack.is_empty() {
        Value::decode_msgpack(&raw.msgpack, ty)
    } else if !raw.json.is_empty() {
        Value::decode_json(&raw.json, ty)
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| codec_diag("Unable to Decode Value", what, &e, "Terraform sent"))
}

fn encode(value: &Value, ty: &Type, what: &str) -> Result<Raw, Diagnostics> {
    value
        .encode_msgpack(ty)
        .map(|msgpack| Raw {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            codec_diag(
                "Provider Produced an Invalid Value",
                what,
                &e,
                "the provider produced",
            )
        })
}

fn codec_diag(summary: &str, what: &str, e: &CodecError, who: &str) -> Diagnostics {
    Diagnostic::error(
        summary,
        format!(
            "The {what} {who} does not match the schema: {e}. This is a bug in the provider; \
             please report it together with the Terraform and provider versions."
        ),
    )
    .into()
}

/// Runs provider code, turning a panic into an error diagnostic instead of killing the plugin
/// (Terraform would only say "the plugin crashed" and lose every other in-flight operation).
async fn guard<T>(rpc: &'static str, fut: impl Future<Output = T>) -> Result<T, Diagnostics> {
    let mut fut = Box::pin(fut);
    let caught = std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        }
    })
    .await;
    caught.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        tracing::error!(rpc, panic = %msg, "provider code panicked");
        Diagnostic::error(
            "Provider Internal Error",
            format!(
                "The provider failed unexpectedly while handling {rpc}: {msg}. This is a bug in \
                 the provider; please report it with the provider log (TF_LOG_PROVIDER=DEBUG)."
            ),
        )
        .into()
    })
}
