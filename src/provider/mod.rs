//! The glue between the Terraform side and the Azure side: the provider configuration and the
//! `azurebackup_instance` resource.

pub mod docs;

use std::sync::Arc;

use crate::tfplugin::*;

// TEMP: a stand-in provider so the plugin binary can be tried against real Terraform.
struct TempProvider;
struct TempResource;

#[async_trait::async_trait]
impl Provider for TempProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new().attribute(Attribute::optional("subscription_id", Type::String)))
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(TempResource)]
    }
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

#[async_trait::async_trait]
impl Resource for TempResource {
    fn type_name(&self) -> &'static str {
        "azurebackup_instance"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::computed("id", Type::String))
                .attribute(Attribute::required("name", Type::String).requires_replace())
                .attribute(Attribute::optional("tags", Type::map(Type::String)))
                .block(NestedBlock::new(
                    "timeouts",
                    Nesting::Single,
                    Block::new().attribute(Attribute::optional("create", Type::String)),
                )),
        )
    }
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, req: PlanRequest, _ctx: &Context) -> PlanResponse {
        let mut planned = req.proposed_new_state;
        let mut requires_replace = Vec::new();
        if req.prior_state.is_null() {
            planned.set("id", Value::Unknown);
        } else if req.prior_state.get("name") != planned.get("name") {
            planned.set("id", Value::Unknown);
            requires_replace.push(AttributePath::root("name"));
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }
    async fn apply(&self, req: ApplyRequest, _ctx: &Context) -> ApplyResponse {
        if req.planned_state.is_null() {
            return ApplyResponse::default();
        }
        let mut s = req.planned_state;
        let name = s.get("name").as_str().unwrap_or("").to_owned();
        s.set("id", Value::string(format!("id-{name}")));
        ApplyResponse { new_state: s, ..Default::default() }
    }
    async fn read(&self, req: ReadRequest, _ctx: &Context) -> ReadResponse {
        ReadResponse { new_state: req.current_state, private: req.private, ..Default::default() }
    }
    async fn import(&self, id: &str, _ctx: &Context) -> ImportResponse {
        ImportResponse {
            state: Value::object([
                ("id", Value::string(id)),
                ("name", Value::string(id.trim_start_matches("id-"))),
                ("tags", Value::Null),
                ("timeouts", Value::Null),
            ]),
            ..Default::default()
        }
    }
}

pub fn new_provider() -> Arc<dyn Provider> {
    Arc::new(TempProvider)
}
