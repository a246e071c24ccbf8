//! Actions (Terraform 1.14+): provider operations that change nothing in state, fired by
//! `terraform apply -invoke=action.TYPE.NAME` or a resource's `lifecycle { action_trigger {...} }`.
//!
//! A provider lists its actions in [`crate::tfplugin::Provider::actions`]; the server advertises
//! their schemas (`action_schemas`), validates and plans their configuration and runs
//! [`Action::invoke`] as InvokeAction's event stream: every [`ActionProgress::report`] becomes a
//! `progress` event while the action runs, and its diagnostics become the one `completed` event
//! that always ends the stream (Terraform requires exactly one, last). A panic in the action
//! becomes an error diagnostic in that `completed` event.
//!
//! How to add one (the provider glue implements this; nothing here knows Azure):
//!
//! ```ignore
//! struct BackupNow { /* the configured client */ }
//!
//! #[async_trait::async_trait]
//! impl Action for BackupNow {
//!     fn type_name(&self) -> &'static str { "azurebackup_backup_now" }
//!     fn schema(&self) -> Schema { /* the `config { ... }` block */ }
//!     async fn validate(&self, config: &Value) -> Diagnostics { /* may hold unknowns */ }
//!     async fn invoke(&self, config: &Value, progress: &ActionProgress, ctx: &Context)
//!         -> Diagnostics
//!     {
//!         progress.report("backup job started");
//!         /* ... wait, honouring ctx.cancel ... */
//!         Diagnostics::new()
//!     }
//! }
//! ```

use tokio::sync::mpsc;

use super::{Context, Diagnostics, Schema, Value};

/// An action a provider offers. `config` is decoded against [`Action::schema`]'s block.
#[async_trait::async_trait]
pub trait Action: Send + Sync + 'static {
    /// E.g. `azurebackup_backup_now` (the `TYPE` in `action "TYPE" "NAME"`).
    fn type_name(&self) -> &'static str;
    /// The action's `config` block.
    fn schema(&self) -> Schema;
    /// ValidateActionConfig: static checks. `config` may hold unknown values.
    async fn validate(&self, config: &Value) -> Diagnostics;
    /// PlanAction: checks that need the configured provider, before anything runs. `config` may
    /// hold unknown values (they are known again at invoke). The default accepts every plan.
    async fn plan(&self, config: &Value, ctx: &Context) -> Diagnostics {
        let _ = (config, ctx);
        Diagnostics::new()
    }
    /// InvokeAction: does the work. `config` is wholly known. Report progress as it goes; the
    /// returned diagnostics end the invocation (an error fails the apply that fired it).
    /// `ctx.cancel` fires on Ctrl-C (StopProvider).
    async fn invoke(&self, config: &Value, progress: &ActionProgress, ctx: &Context)
    -> Diagnostics;
}

/// Where an invoked action reports progress; each message becomes one `progress` event that
/// Terraform prints while the action runs.
#[derive(Debug, Clone)]
pub struct ActionProgress {
    tx: mpsc::UnboundedSender<String>,
}

impl ActionProgress {
    /// A reporter and the receiving end of its messages (the server streams them).
    pub fn channel() -> (ActionProgress, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (ActionProgress { tx }, rx)
    }

    /// Sends one progress message. Never blocks; a message Terraform no longer listens for
    /// (it went away) is dropped.
    pub fn report(&self, message: impl Into<String>) {
        let _ = self.tx.send(message.into());
    }
}
