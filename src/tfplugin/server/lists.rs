//! List resources (Terraform 1.14+ `terraform query`) and GenerateResourceConfig.
//!
//! A list runs as a task of its own: the list resource pages and sends results into a bounded
//! sink, and the forwarder here checks and encodes each (identity wholly known, object of the
//! managed resource's type), stops at Terraform's `limit`, and ends the stream with the list's
//! own diagnostics. When Terraform has enough and drops the stream, the sink says so and the
//! list stops paging.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Raw, Server, decode, encode, guard};
use crate::tfplugin::{
    AttributePath, Block, Diagnostic, Diagnostics, ListRequest, ListResource, ListSink, Nesting,
    PathStep, Schema, Type, Value,
};

/// What a ListResource call carries.
pub(crate) struct ListIn {
    pub type_name: String,
    pub config: Raw,
    pub include_resource: bool,
    pub limit: i64,
}

/// One event of a ListResource stream: a result (identity set), or diagnostics alone.
#[derive(Debug, Default)]
pub(crate) struct ListItem {
    pub identity: Option<Raw>,
    pub display_name: String,
    pub resource: Option<Raw>,
    pub diagnostics: Diagnostics,
}

struct Registered {
    list: Arc<dyn ListResource>,
    schema: Schema,
    ty: Type,
}

/// The list resources a provider serves. Only those whose type is a managed resource with an
/// identity schema are kept: Terraform requires that, and advertising another would be a
/// schema whose results could never be sent.
pub(super) struct Lists {
    by_name: HashMap<String, Registered>,
    order: Vec<String>,
}

/// Results a list may run ahead of Terraform (one page of most services is 100-200).
const AHEAD: usize = 64;

impl Lists {
    pub(super) fn new(
        lists: Vec<Arc<dyn ListResource>>,
        has_identity: impl Fn(&str) -> bool,
    ) -> Lists {
        let mut by_name = HashMap::new();
        let mut order = Vec::new();
        for list in lists {
            let name = list.type_name().to_owned();
            if !has_identity(&name) {
                tracing::error!(
                    list = %name,
                    "list resource left out: no managed resource of that type has an identity"
                );
                continue;
            }
            let schema = list.schema();
            let ty = schema.value_type();
            order.push(name.clone());
            by_name.insert(name, Registered { list, schema, ty });
        }
        Lists { by_name, order }
    }

    pub(super) fn schemas(&self) -> Vec<(String, Schema)> {
        self.order
            .iter()
            .filter_map(|n| self.by_name.get(n).map(|r| (n.clone(), r.schema.clone())))
            .collect()
    }

    fn get(&self, type_name: &str) -> Result<&Registered, Diagnostics> {
        self.by_name.get(type_name).ok_or_else(|| {
            let known = if self.order.is_empty() {
                "none".to_owned()
            } else {
                self.order.join(", ")
            };
            Diagnostics::from(Diagnostic::error(
                "Unknown List Resource Type",
                format!(
                    "This provider does not implement a list resource named \"{type_name}\". \
                     List resources it implements: {known}."
                ),
            ))
        })
    }
}

impl Server {
    pub(crate) fn list_resource_names(&self) -> Vec<String> {
        self.lists.order.clone()
    }

    pub(crate) async fn validate_list_config(&self, type_name: &str, config: Raw) -> Diagnostics {
        let reg = match self.lists.get(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let config = match decode(&config, &reg.ty, "list configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let list = reg.list.clone();
        let d = guard("ValidateListResourceConfig", async move {
            list.validate(&config).await
        })
        .await
        .unwrap_or_else(|d| d);
        in_config_block(d)
    }

    /// ListResource: the stream's events, as a channel the adapter turns into gRPC messages.
    pub(crate) fn list(&self, req: ListIn) -> mpsc::Receiver<ListItem> {
        let (tx, rx) = mpsc::channel(AHEAD);
        let prepared = (|| {
            let reg = self.lists.get(&req.type_name)?;
            let managed = self.resource(&req.type_name)?;
            let identity_ty = managed
                .identity
                .as_ref()
                .map(|i| i.ty.clone())
                .ok_or_else(Diagnostics::new)?;
            let config = decode(&req.config, &reg.ty, "list configuration")?;
            if !config.is_wholly_known() {
                return Err(Diagnostic::error(
                    "List Configuration Not Known",
                    "A list block's configuration must be known before `terraform query` runs: \
                     use only literals, variables and locals in it.",
                )
                .into());
            }
            Ok((reg.list.clone(), identity_ty, managed.ty.clone(), config))
        })();
        let (list, identity_ty, resource_ty, config) = match prepared {
            Ok(p) => p,
            Err(d) => {
                let _ = tx.try_send(ListItem {
                    diagnostics: d,
                    ..ListItem::default()
                });
                return rx;
            }
        };
        let limit = req.limit.max(0);
        let include = req.include_resource;
        let lreq = ListRequest {
            config,
            include_resource: include,
            limit,
        };
        let ctx = self.context();
        tokio::spawn(async move {
            let (sink, mut results) = ListSink::channel(AHEAD);
            let run = async move {
                let d = guard("ListResource", async { list.list(lreq, &sink, &ctx).await })
                    .await
                    .unwrap_or_else(|d| d);
                drop(sink);
                d
            };
            let forward = async {
                let mut sent = 0_i64;
                while sent < limit {
                    let Some(result) = results.recv().await else {
                        break;
                    };
                    let item = match encode_result(result, &identity_ty, &resource_ty, include) {
                        Ok(item) => item,
                        Err(d) => {
                            let _ = tx
                                .send(ListItem {
                                    diagnostics: d,
                                    ..ListItem::default()
                                })
                                .await;
                            break;
                        }
                    };
                    if tx.send(item).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
                // Dropping the receiver tells the list to stop paging.
                drop(results);
            };
            let (diagnostics, ()) = tokio::join!(run, forward);
            let diagnostics = in_config_block(diagnostics);
            if !diagnostics.is_empty() {
                let _ = tx
                    .send(ListItem {
                        diagnostics,
                        ..ListItem::default()
                    })
                    .await;
            }
        });
        rx
    }

    /// GenerateResourceConfig: the configuration `terraform query -generate-config-out` writes
    /// for a state. A null state (Terraform sends one when a result carries no object) gives a
    /// null configuration, which Terraform writes as a block to fill in.
    pub(crate) async fn generate_config(
        &self,
        type_name: &str,
        state: Raw,
    ) -> (Option<Raw>, Diagnostics) {
        let reg = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (None, d),
        };
        let state = match decode(&state, &reg.ty, "state") {
            Ok(v) => v,
            Err(d) => return (None, d),
        };
        if state.is_null() || !state.is_wholly_known() {
            return match encode(&Value::Null, &reg.ty, "configuration") {
                Ok(raw) => (Some(raw), Diagnostics::new()),
                Err(d) => (None, d),
            };
        }
        let generic = config_from_state(&reg.schema.block, &state);
        let resource = reg.resource.clone();
        let generated = guard("GenerateResourceConfig", async move {
            resource.generate_config(&state, generic)
        })
        .await;
        match generated {
            Ok(Ok(config)) => match encode(&config, &reg.ty, "generated configuration") {
                Ok(raw) => (Some(raw), Diagnostics::new()),
                Err(d) => (None, d),
            },
            Ok(Err(d)) | Err(d) => (None, d),
        }
    }
}

fn encode_result(
    result: crate::tfplugin::ListResult,
    identity_ty: &Type,
    resource_ty: &Type,
    include: bool,
) -> Result<ListItem, Diagnostics> {
    if result.identity.is_null() || !result.identity.is_wholly_known() {
        return Err(Diagnostic::error(
            "Provider Listed an Object Without Identity",
            format!(
                "The list result \"{}\" has no complete identity. This is a bug in the \
                 provider; please report it.",
                result.display_name
            ),
        )
        .into());
    }
    let identity = encode(&result.identity, identity_ty, "listed identity")?;
    let resource = match (include, result.resource) {
        (true, Some(state)) => Some(encode(&state, resource_ty, "listed object")?),
        _ => None,
    };
    Ok(ListItem {
        identity: Some(identity),
        display_name: result.display_name,
        resource,
        diagnostics: in_config_block(result.diagnostics),
    })
}

/// A list resource's schema is that of the list block's `config` block: Terraform resolves
/// attribute paths from the list block, so they start with `config`.
fn in_config_block(d: Diagnostics) -> Diagnostics {
    Diagnostics(
        d.into_iter()
            .map(|mut d| {
                if let Some(path) = d.attribute.take() {
                    let mut steps = vec![PathStep::Attr("config".to_owned())];
                    steps.extend(path.steps().iter().cloned());
                    d.attribute = Some(AttributePath(steps));
                }
                d
            })
            .collect(),
    )
}

/// A state reduced to what a configuration may hold: computed-only and deprecated attributes
/// null, nested blocks reduced the same way (Terraform's own extraction when a provider does not
/// generate configuration, minus its guesses for the legacy SDK).
pub(crate) fn config_from_state(block: &Block, state: &Value) -> Value {
    let Some(attrs) = state.as_map() else {
        return state.clone();
    };
    let mut out = attrs.clone();
    for a in &block.attributes {
        if (a.computed && !a.optional) || a.deprecated {
            out.insert(a.name.clone(), Value::Null);
        }
    }
    for nb in &block.blocks {
        let Some(v) = out.get_mut(&nb.type_name) else {
            continue;
        };
        *v = match (nb.nesting, &*v) {
            (Nesting::Single | Nesting::Group, v) => config_from_state(&nb.block, v),
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .map(|i| config_from_state(&nb.block, i))
                    .collect(),
            ),
            (Nesting::Set, Value::Set(items)) => Value::Set(
                items
                    .iter()
                    .map(|i| config_from_state(&nb.block, i))
                    .collect(),
            ),
            (Nesting::Map, Value::Map(items)) => Value::Map(
                items
                    .iter()
                    .map(|(k, i)| (k.clone(), config_from_state(&nb.block, i)))
                    .collect(),
            ),
            (_, other) => other.clone(),
        };
    }
    Value::Object(out)
}
