//! The traits a provider and its resources implement. The gRPC server dispatches into these by
//! type name; implementations never see protobuf.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{AttributePath, Diagnostics, Schema, Value};

/// Per-call context. `cancel` fires when Terraform sends StopProvider (Ctrl-C).
#[derive(Debug, Clone)]
pub struct Context {
    pub cancel: CancellationToken,
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider configuration block's schema.
    fn schema(&self) -> Schema;
    /// Every managed resource type this provider serves.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    /// Every data source this provider serves.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    async fn validate_config(&self, config: &Value) -> Diagnostics;
    async fn configure(&self, config: &Value, ctx: &Context) -> Diagnostics;
}

pub struct PlanRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy (the server answers destroys itself without calling `plan`).
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Default)]
pub struct ApplyResponse {
    /// Null after a destroy. On a failed create, return the object if it exists (Terraform then
    /// records it as tainted) rather than Null, so nothing is orphaned.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Default)]
pub struct ReadResponse {
    /// Null means the object is gone.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Default)]
pub struct ImportResponse {
    /// The imported object's state (Terraform then calls Read on it).
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[async_trait::async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn validate(&self, config: &Value) -> Diagnostics;
    /// Called with the stored state already decoded against the current schema type.
    async fn upgrade(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        let _ = version;
        Ok(state)
    }
    async fn plan(&self, req: PlanRequest, ctx: &Context) -> PlanResponse;
    /// A destroy plan (Terraform 1.3 and later ask for one): only diagnostics to show, e.g. a
    /// warning that destroy keeps something. The planned state is null regardless.
    fn plan_destroy(&self, _prior: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse;
    async fn read(&self, req: ReadRequest, ctx: &Context) -> ReadResponse;
    async fn import(&self, id: &str, ctx: &Context) -> ImportResponse;
}

#[derive(Default)]
pub struct DataReadResponse {
    /// The data source's full value: the configuration with every computed attribute known.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A data source: read-only, computed from its configuration at plan (or apply) time.
#[async_trait::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn validate(&self, config: &Value) -> Diagnostics;
    /// Called only when the configuration is wholly known.
    async fn read(&self, config: &Value, ctx: &Context) -> DataReadResponse;
}
