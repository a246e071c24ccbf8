//! Actions over the gRPC surface (Terraform 1.14+), with a test-only action served in-process:
//! the schema and metadata list it, validation and planning dispatch by type name, an
//! invocation streams its progress messages in order and ends with exactly one `completed`
//! event carrying its diagnostics, and unknown types, undecodable or unknown configuration and
//! panics all end in a `completed` event with an error instead of a broken stream.

mod tfplugin_support;

use std::sync::Arc;

use terraform_provider_azurebackup::tfplugin::{
    self, Action, ActionProgress, Address, Attribute, AttributePath, Block, Context, Diagnostics,
    Provider, Resource, Schema, ServeOptions, Serving, Type, Value,
};
use tfplugin_support::{ProviderClient, pb};

/// Counts to `steps`, reporting each step; `steps = -1` panics, `0` fails.
struct CountTo;

fn count_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::required("steps", Type::Number))
            .attribute(Attribute::optional("label", Type::String)),
    )
}

#[async_trait::async_trait]
impl Action for CountTo {
    fn type_name(&self) -> &'static str {
        "test_count_to"
    }
    fn schema(&self) -> Schema {
        count_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("steps").as_i64().is_some_and(|n| n > 10) {
            d.error_at(AttributePath::root("steps"), "Too Many Steps", "at most 10");
        }
        d
    }
    async fn plan(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("label").as_str() == Some("refuse") {
            d.error_at(AttributePath::root("label"), "Refused At Plan", "no");
        }
        d
    }
    async fn invoke(
        &self,
        config: &Value,
        progress: &ActionProgress,
        _ctx: &Context,
    ) -> Diagnostics {
        let steps = config.get("steps").as_i64().unwrap_or_default();
        assert!(steps >= 0, "negative steps");
        for i in 1..=steps {
            progress.report(format!("step {i} of {steps}"));
            tokio::task::yield_now().await;
        }
        let mut d = Diagnostics::new();
        if steps == 0 {
            d.error("Nothing To Count", "steps must be positive");
        }
        d
    }
}

struct TestProvider;

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        Vec::new()
    }
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![Arc::new(CountTo)]
    }
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

async fn serve() -> (Serving, ProviderClient) {
    let provider: Arc<dyn Provider> = Arc::new(TestProvider);
    let serving = tfplugin::serve_with(provider, ServeOptions::default())
        .await
        .unwrap();
    let Address::Tcp(addr) = serving.address.clone() else {
        panic!("expected TCP")
    };
    let ch = tfplugin_support::plain_channel(addr).await;
    (serving, ProviderClient::new(ch))
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    tfplugin_support::dv(v.encode_msgpack(&count_schema().value_type()).unwrap())
}

fn cfg(steps: Value) -> Value {
    Value::object([("steps", steps), ("label", Value::Null)])
}

fn summaries(d: &[pb::Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.summary.as_str()).collect()
}

/// Every event of one invocation: `Ok(message)` for progress, `Err(summaries)` for completed.
async fn invoke(
    c: &mut ProviderClient,
    action: &str,
    config: Value,
) -> Vec<Result<String, Vec<String>>> {
    use pb::invoke_action::event::Type;
    let mut stream = c
        .invoke_action(pb::invoke_action::Request {
            action_type: action.into(),
            config: dv(&config),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        events.push(match event.r#type.expect("every event has a type") {
            Type::Progress(p) => Ok(p.message),
            Type::Completed(c) => Err(c.diagnostics.into_iter().map(|d| d.summary).collect()),
        });
    }
    events
}

#[tokio::test]
async fn schema_and_metadata_list_the_action() {
    let (serving, mut c) = serve().await;
    let s = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let schema = s
        .action_schemas
        .get("test_count_to")
        .expect("action schema");
    let names: Vec<&str> = schema
        .schema
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["steps", "label"]);
    let m = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let actions: Vec<&str> = m.actions.iter().map(|a| a.type_name.as_str()).collect();
    assert_eq!(actions, ["test_count_to"]);
    serving.shutdown().await;
}

#[tokio::test]
async fn validate_and_plan_dispatch_to_the_action() {
    let (serving, mut c) = serve().await;
    let v = c
        .validate_action_config(pb::validate_action_config::Request {
            type_name: "test_count_to".into(),
            config: dv(&cfg(Value::int(11))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&v.diagnostics), ["Too Many Steps"]);
    // Unknown values are allowed at plan.
    let p = c
        .plan_action(pb::plan_action::Request {
            action_type: "test_count_to".into(),
            config: dv(&cfg(Value::Unknown)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let refused = Value::object([("steps", Value::int(1)), ("label", Value::string("refuse"))]);
    let p = c
        .plan_action(pb::plan_action::Request {
            action_type: "test_count_to".into(),
            config: dv(&refused),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&p.diagnostics), ["Refused At Plan"]);
    serving.shutdown().await;
}

#[tokio::test]
async fn invoke_streams_progress_then_one_completed() {
    let (serving, mut c) = serve().await;
    let events = invoke(&mut c, "test_count_to", cfg(Value::int(3))).await;
    assert_eq!(
        events,
        [
            Ok("step 1 of 3".to_owned()),
            Ok("step 2 of 3".to_owned()),
            Ok("step 3 of 3".to_owned()),
            Err(Vec::new()),
        ]
    );
    let events = invoke(&mut c, "test_count_to", cfg(Value::int(0))).await;
    assert_eq!(events, [Err(vec!["Nothing To Count".to_owned()])]);
    serving.shutdown().await;
}

#[tokio::test]
async fn invoke_failures_end_in_one_completed_error() {
    let (serving, mut c) = serve().await;
    let panicked = invoke(&mut c, "test_count_to", cfg(Value::int(-1))).await;
    assert_eq!(panicked, [Err(vec!["Provider Internal Error".to_owned()])]);
    let unknown = invoke(&mut c, "test_count_to", cfg(Value::Unknown)).await;
    assert_eq!(
        unknown,
        [Err(vec!["Action Configuration Not Known".to_owned()])]
    );
    let missing = invoke(&mut c, "test_nope", cfg(Value::int(1))).await;
    assert_eq!(missing, [Err(vec!["Unknown Action Type".to_owned()])]);
    // The server keeps serving after all of that.
    let ok = invoke(&mut c, "test_count_to", cfg(Value::int(1))).await;
    assert_eq!(ok.last(), Some(&Err(Vec::new())));
    serving.shutdown().await;
}
