//! Actions (Terraform 1.14+): schemas, ValidateActionConfig, PlanAction and InvokeAction. An
//! invocation runs as a task of its own that forwards the action's progress messages while it
//! runs and always ends with exactly one `Completed` event (Terraform requires it, last), also
//! when the action panics or Terraform sent something undecodable.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Raw, Server, decode, guard};
use crate::tfplugin::{Action, ActionProgress, Diagnostic, Diagnostics, Schema, Type};

/// One event of an InvokeAction stream.
#[derive(Debug)]
pub(crate) enum ActionEvent {
    Progress(String),
    Completed(Diagnostics),
}

struct Registered {
    action: Arc<dyn Action>,
    schema: Schema,
    ty: Type,
}

/// The actions a provider offers, with schemas and value types computed once.
pub(super) struct Actions {
    by_name: HashMap<String, Registered>,
    order: Vec<String>,
}

impl Actions {
    pub(super) fn new(actions: Vec<Arc<dyn Action>>) -> Actions {
        let mut by_name = HashMap::new();
        let mut order = Vec::new();
        for action in actions {
            let schema = action.schema();
            let ty = schema.value_type();
            let name = action.type_name().to_owned();
            order.push(name.clone());
            by_name.insert(name, Registered { action, schema, ty });
        }
        Actions { by_name, order }
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
                "Unknown Action Type",
                format!(
                    "This provider does not implement an action named \"{type_name}\". Actions \
                     it implements: {known}. Check the action type in your configuration and \
                     the provider version."
                ),
            ))
        })
    }
}

impl Server {
    pub(crate) fn action_names(&self) -> Vec<String> {
        self.actions.order.clone()
    }

    pub(crate) async fn validate_action(&self, type_name: &str, config: Raw) -> Diagnostics {
        let reg = match self.actions.get(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let config = match decode(&config, &reg.ty, "action configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let action = reg.action.clone();
        guard("ValidateActionConfig", async move {
            action.validate(&config).await
        })
        .await
        .unwrap_or_else(|d| d)
    }

    pub(crate) async fn plan_action(&self, type_name: &str, config: Raw) -> Diagnostics {
        let reg = match self.actions.get(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let config = match decode(&config, &reg.ty, "action configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let ctx = self.context();
        let action = reg.action.clone();
        guard(
            "PlanAction",
            async move { action.plan(&config, &ctx).await },
        )
        .await
        .unwrap_or_else(|d| d)
    }

    /// InvokeAction: the events of one invocation, ending with exactly one `Completed`.
    pub(crate) fn invoke_action(
        &self,
        type_name: &str,
        config: Raw,
    ) -> mpsc::Receiver<ActionEvent> {
        let (tx, rx) = mpsc::channel(16);
        let prepared = self.actions.get(type_name).and_then(|reg| {
            let config = decode(&config, &reg.ty, "action configuration")?;
            if !config.is_wholly_known() {
                return Err(Diagnostic::error(
                    "Action Configuration Not Known",
                    format!(
                        "Terraform asked to run {type_name} with values not known yet. This is \
                         a bug in Terraform or the provider; please report it."
                    ),
                )
                .into());
            }
            Ok((reg.action.clone(), config))
        });
        let (action, config) = match prepared {
            Ok(p) => p,
            Err(d) => {
                // Capacity 16: this one event always fits.
                let _ = tx.try_send(ActionEvent::Completed(d));
                return rx;
            }
        };
        let ctx = self.context();
        tokio::spawn(async move {
            let (progress, mut messages) = ActionProgress::channel();
            let run = guard("InvokeAction", async move {
                action.invoke(&config, &progress, &ctx).await
            });
            let mut run = Box::pin(run);
            // Forward progress while the action runs; once it returns, what it reported is
            // drained and the stream ends, even if the action kept a reporter alive.
            let diagnostics = loop {
                tokio::select! {
                    d = &mut run => break d.unwrap_or_else(|d| d),
                    Some(m) = messages.recv() => {
                        let _ = tx.send(ActionEvent::Progress(m)).await;
                    }
                }
            };
            while let Ok(m) = messages.try_recv() {
                let _ = tx.send(ActionEvent::Progress(m)).await;
            }
            let _ = tx.send(ActionEvent::Completed(diagnostics)).await;
        });
        rx
    }
}
