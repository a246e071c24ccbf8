//! Provider functions and resource moves: the two RPC families that work on values without a
//! resource's own state. Functions decode their arguments against the declared parameter types
//! and encode the result against the return type; moves hand the foreign state (JSON) to the
//! target resource and encode what it answers against the target's schema.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Raw, Server, decode, encode, guard};
use crate::tfplugin::provider::{Function, FunctionError, FunctionSignature, MoveRequest};
use crate::tfplugin::{Diagnostic, Diagnostics};

/// The functions a provider offers, with signatures computed once.
pub(super) struct Functions {
    by_name: HashMap<String, (Arc<dyn Function>, FunctionSignature)>,
    order: Vec<String>,
}

impl Functions {
    pub(super) fn new(functions: Vec<Arc<dyn Function>>) -> Functions {
        let mut by_name = HashMap::new();
        let mut order = Vec::new();
        for f in functions {
            let name = f.name().to_owned();
            let sig = f.signature();
            order.push(name.clone());
            by_name.insert(name, (f, sig));
        }
        Functions { by_name, order }
    }
}

/// What a MoveResourceState call carries, still undecoded.
pub(crate) struct MoveIn {
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    pub source_state_json: Vec<u8>,
    pub target_type_name: String,
}

/// The moved state and its identity (target resources with an identity schema).
#[derive(Default)]
pub(crate) struct MoveOut {
    pub state: Option<Raw>,
    pub identity: Option<Raw>,
}

impl Server {
    /// Every function with its signature, in registration order.
    pub(crate) fn functions(&self) -> Vec<(String, FunctionSignature)> {
        self.functions
            .order
            .iter()
            .filter_map(|n| {
                self.functions
                    .by_name
                    .get(n)
                    .map(|(_, s)| (n.clone(), s.clone()))
            })
            .collect()
    }

    pub(crate) async fn call_function(
        &self,
        name: &str,
        args: Vec<Raw>,
    ) -> Result<Raw, FunctionError> {
        let Some((function, sig)) = self.functions.by_name.get(name) else {
            let offered = if self.functions.order.is_empty() {
                "none".to_owned()
            } else {
                self.functions.order.join(", ")
            };
            return Err(FunctionError {
                text: format!(
                    "This provider has no function named \"{name}\". Functions it offers: \
                     {offered}."
                ),
                argument: None,
            });
        };
        if args.len() != sig.parameters.len() {
            return Err(FunctionError {
                text: format!(
                    "{name} takes {} arguments, {} were given.",
                    sig.parameters.len(),
                    args.len()
                ),
                argument: None,
            });
        }
        let mut values = Vec::with_capacity(args.len());
        for (i, (raw, p)) in args.iter().zip(&sig.parameters).enumerate() {
            match decode(raw, &p.ty, "argument") {
                Ok(v) if v.is_null() => {
                    return Err(FunctionError::at(
                        i,
                        format!("Argument `{}` must not be null.", p.name),
                    ));
                }
                Ok(v) => values.push(v),
                Err(_) => {
                    return Err(FunctionError::at(
                        i,
                        format!("Argument `{}` has the wrong type.", p.name),
                    ));
                }
            }
        }
        let f = function.clone();
        let result = guard("CallFunction", async move { f.call(&values) })
            .await
            .map_err(|d| FunctionError {
                text: d
                    .into_iter()
                    .map(|d| format!("{}: {}", d.summary, d.detail))
                    .collect::<Vec<_>>()
                    .join("\n"),
                argument: None,
            })??;
        encode(&result, &sig.returns, "function result").map_err(|d| FunctionError {
            text: d
                .into_iter()
                .map(|d| d.detail)
                .collect::<Vec<_>>()
                .join("\n"),
            argument: None,
        })
    }

    pub(crate) async fn move_resource_state(&self, req: MoveIn) -> (MoveOut, Diagnostics) {
        let reg = match self.resource(&req.target_type_name) {
            Ok(r) => r,
            Err(d) => return (MoveOut::default(), d),
        };
        let source_state = match serde_json::from_slice::<serde_json::Value>(&req.source_state_json)
        {
            Ok(v) => v,
            Err(e) => {
                return (
                    MoveOut::default(),
                    Diagnostic::error(
                        "Unable to Read the Moved Resource's State",
                        format!(
                            "The stored state of {} is not JSON ({e}). Remove the `moved` block \
                             and import the object instead.",
                            req.source_type_name
                        ),
                    )
                    .into(),
                );
            }
        };
        let mreq = MoveRequest {
            source_provider_address: req.source_provider_address,
            source_type_name: req.source_type_name,
            source_schema_version: req.source_schema_version,
            source_state,
        };
        let resource = reg.resource.clone();
        match guard("MoveResourceState", async move {
            resource.move_from(&mreq).await
        })
        .await
        {
            Ok(Ok(v)) => {
                let encoded = encode(&v, &reg.ty, "moved state").and_then(|state| {
                    let identity = reg.identity_of(&v, true)?;
                    Ok(MoveOut {
                        state: Some(state),
                        identity: reg.encode_identity(&identity)?,
                    })
                });
                match encoded {
                    Ok(out) => (out, Diagnostics::new()),
                    Err(d) => (MoveOut::default(), d),
                }
            }
            Ok(Err(d)) | Err(d) => (MoveOut::default(), d),
        }
    }
}
