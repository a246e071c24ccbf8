//! The traits a provider and its resources implement. The gRPC server dispatches into these by
//! type name; implementations never see protobuf.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Action, AttributePath, Diagnostics, IdentitySchema, ListResource, Schema, Value};

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
    /// Every provider function this provider offers (Terraform 1.8+; older cores never ask).
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
    /// Every list resource this provider serves (Terraform 1.14+ `terraform query`). Each must
    /// share its type name with a resource that has an identity schema.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }
    /// Every action this provider offers (Terraform 1.14+; see [`Action`]).
    fn actions(&self) -> Vec<Arc<dyn Action>> {
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
    async fn plan_destroy(&self, _prior: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }
    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse;
    async fn read(&self, req: ReadRequest, ctx: &Context) -> ReadResponse;
    async fn import(&self, id: &str, ctx: &Context) -> ImportResponse;
    /// The resource identity schema (Terraform 1.12+), or `None` for a resource without one.
    /// With one, the server puts [`Resource::identity`] of the state into every Read, Plan,
    /// Apply, Import and Move answer and refuses an identity that changes for an existing
    /// object.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }
    /// The identity of the object `state` (never null) describes, as an object of the identity
    /// schema's type; `Value::Unknown` (or unknown attributes) only while the state does not know
    /// it yet (a create's plan).
    fn identity(&self, state: &Value) -> Value {
        let _ = state;
        Value::Null
    }
    /// The import ID for `import { identity = {...} }` (Terraform sends no ID then): the
    /// identity is decoded against the identity schema and wholly known. Errors name the
    /// identity attribute at fault.
    fn import_id(&self, identity: &Value) -> Result<String, Diagnostics> {
        let _ = identity;
        Err(super::Diagnostic::error(
            "Import by Identity Not Supported",
            format!(
                "{} cannot be imported by identity. Use `import {{ id = ... }}` instead.",
                self.type_name()
            ),
        )
        .into())
    }
    /// The configuration `terraform query -generate-config-out` writes for an object
    /// (GenerateResourceConfig, Terraform 1.14+). `state` is the object's state (never null);
    /// `generic` is that state reduced to what a configuration may hold (computed-only and
    /// deprecated attributes null), which is the default answer. Override to drop defaults the
    /// user need not write or attributes that must not be written.
    fn generate_config(&self, state: &Value, generic: Value) -> Result<Value, Diagnostics> {
        let _ = state;
        Ok(generic)
    }
    /// The state of this resource for a `moved` block from `req.source_type_name`. The default
    /// refuses every source; Terraform shows the diagnostics.
    async fn move_from(&self, req: &MoveRequest) -> Result<Value, Diagnostics> {
        Err(super::Diagnostic::error(
            "Unsupported Resource Move",
            format!(
                "{} cannot be moved to {}. Remove the `moved` block and import the object \
                 instead.",
                req.source_type_name,
                self.type_name()
            ),
        )
        .into())
    }
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

/// One parameter of a provider function.
#[derive(Debug, Clone)]
pub struct FunctionParameter {
    pub name: String,
    pub ty: super::Type,
    pub description: String,
}

/// What Terraform needs to know to type-check calls of a function (Terraform 1.8+).
#[derive(Debug, Clone)]
pub struct FunctionSignature {
    pub parameters: Vec<FunctionParameter>,
    pub returns: super::Type,
    pub summary: String,
    pub description: String,
}

/// A failed call: `argument` is the zero-based index of the argument at fault, if one is.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<i64>,
}

impl FunctionError {
    pub fn at(argument: usize, text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: i64::try_from(argument).ok(),
        }
    }
}

/// A provider function (`provider::NAME::FUNCTION(...)`): pure, computed from its arguments
/// only, with no access to the provider configuration (Terraform may call it before configuring).
pub trait Function: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn signature(&self) -> FunctionSignature;
    /// `args` are decoded against the parameter types and never unknown or null (Terraform
    /// answers unknown itself and rejects null before calling).
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// A resource from another provider (or another type) that a `moved` block asks to become one
/// of ours (Terraform 1.8+, MoveResourceState).
#[derive(Debug, Clone)]
pub struct MoveRequest {
    /// E.g. `registry.terraform.io/hashicorp/azurerm`.
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    /// The source state as stored (JSON): its schema is the source provider's, not ours.
    pub source_state: serde_json::Value,
}
