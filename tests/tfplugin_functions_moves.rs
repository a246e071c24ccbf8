//! Provider functions and resource moves over the gRPC surface, with a small test provider
//! served in-process: the capability and the function signatures are announced, calls decode
//! their arguments and encode their result, failures name the argument at fault, a panic is an
//! error rather than a crash, and MoveResourceState hands the foreign state to the target
//! resource and encodes its answer against the target's schema.

mod tfplugin_support;

use std::sync::Arc;

use terraform_provider_azurebackup::tfplugin::{
    self, Address, ApplyRequest, ApplyResponse, Attribute, Block, Context, Diagnostic, Diagnostics,
    Function, FunctionError, FunctionParameter, FunctionSignature, ImportResponse, MoveRequest,
    PlanRequest, PlanResponse, Provider, ReadRequest, ReadResponse, Resource, Schema, ServeOptions,
    Serving, Type, Value,
};
use tfplugin_support::{ProviderClient, pb};

/// `repeat(text, times)`: `text` repeated; `times` must be 1..=3.
struct Repeat;

impl Function for Repeat {
    fn name(&self) -> &'static str {
        "repeat"
    }
    fn signature(&self) -> FunctionSignature {
        FunctionSignature {
            parameters: vec![
                FunctionParameter {
                    name: "text".into(),
                    ty: Type::String,
                    description: "What to repeat.".into(),
                },
                FunctionParameter {
                    name: "times".into(),
                    ty: Type::Number,
                    description: "How often.".into(),
                },
            ],
            returns: Type::String,
            summary: "Repeats text".into(),
            description: "Repeats `text`.".into(),
        }
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let text = args[0].as_str().unwrap_or_default();
        if text == "panic" {
            panic!("function exploded");
        }
        match args[1].as_i64() {
            Some(n @ 1..=3) => Ok(Value::string(text.repeat(n as usize))),
            _ => Err(FunctionError::at(1, "times must be 1 to 3")),
        }
    }
}

fn thing_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("size", Type::Number)),
    )
}

/// Accepts moves from `other_thing` (its `identifier` becomes our `id`).
struct Thing;

#[async_trait::async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn validate(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, _: PlanRequest, _: &Context) -> PlanResponse {
        PlanResponse::default()
    }
    async fn apply(&self, _: ApplyRequest, _: &Context) -> ApplyResponse {
        ApplyResponse::default()
    }
    async fn read(&self, _: ReadRequest, _: &Context) -> ReadResponse {
        ReadResponse::default()
    }
    async fn import(&self, _: &str, _: &Context) -> ImportResponse {
        ImportResponse::default()
    }
    async fn move_from(&self, req: &MoveRequest) -> Result<Value, Diagnostics> {
        if req.source_type_name != "other_thing" || req.source_schema_version != 1 {
            return Err(Diagnostic::error("Unsupported Move Source", "only other_thing v1").into());
        }
        let id = req.source_state["identifier"].as_str().unwrap_or_default();
        if id == "wrong-type" {
            // A value that does not match the schema: the server must catch it.
            return Ok(Value::object([
                ("id", Value::Bool(true)),
                ("size", Value::int(1)),
            ]));
        }
        Ok(Value::object([
            ("id", Value::string(id)),
            (
                "size",
                Value::int(req.source_state["size"].as_i64().unwrap_or(0)),
            ),
        ]))
    }
}

/// Refuses every move (the trait's default).
struct Plain;

#[async_trait::async_trait]
impl Resource for Plain {
    fn type_name(&self) -> &'static str {
        "test_plain"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn validate(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, _: PlanRequest, _: &Context) -> PlanResponse {
        PlanResponse::default()
    }
    async fn apply(&self, _: ApplyRequest, _: &Context) -> ApplyResponse {
        ApplyResponse::default()
    }
    async fn read(&self, _: ReadRequest, _: &Context) -> ReadResponse {
        ReadResponse::default()
    }
    async fn import(&self, _: &str, _: &Context) -> ImportResponse {
        ImportResponse::default()
    }
}

struct TestProvider;

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing), Arc::new(Plain)]
    }
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(Repeat)]
    }
    async fn validate_config(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _: &Value, _: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

async fn serve() -> (Serving, ProviderClient) {
    let serving = tfplugin::serve_with(Arc::new(TestProvider), ServeOptions::default())
        .await
        .unwrap();
    let Address::Tcp(addr) = serving.address.clone() else {
        panic!("expected TCP")
    };
    let ch = tfplugin_support::plain_channel(addr).await;
    (serving, ProviderClient::new(ch))
}

fn arg(v: Value, ty: &Type) -> pb::DynamicValue {
    tfplugin_support::dv(v.encode_msgpack(ty).unwrap()).unwrap()
}

async fn call(
    c: &mut ProviderClient,
    name: &str,
    args: Vec<pb::DynamicValue>,
) -> pb::call_function::Response {
    c.call_function(pb::call_function::Request {
        name: name.into(),
        arguments: args,
    })
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn functions_are_announced_with_their_signatures() {
    let (serving, mut c) = serve().await;
    let s = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(s.server_capabilities.unwrap().move_resource_state);
    let f = &s.functions["repeat"];
    assert_eq!(f.parameters.len(), 2);
    assert_eq!(f.parameters[1].name, "times");
    assert_eq!(f.parameters[1].r#type, br#""number""#);
    assert_eq!(f.r#return.as_ref().unwrap().r#type, br#""string""#);
    assert_eq!(f.summary, "Repeats text");
    let g = c
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(g.functions.keys().collect::<Vec<_>>(), vec!["repeat"]);
    let m = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.functions[0].name, "repeat");
    serving.shutdown().await;
}

#[tokio::test]
async fn calls_return_results_and_errors_name_the_argument() {
    let (serving, mut c) = serve().await;
    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::string("ab"), &Type::String),
            arg(Value::int(2), &Type::Number),
        ],
    )
    .await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let out = Value::decode_msgpack(&r.result.unwrap().msgpack, &Type::String).unwrap();
    assert_eq!(out.as_str(), Some("abab"));

    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::string("ab"), &Type::String),
            arg(Value::int(9), &Type::Number),
        ],
    )
    .await;
    let e = r.error.unwrap();
    assert_eq!(e.function_argument, Some(1));
    assert!(e.text.contains("1 to 3"));

    // Wrong type and null are caught before the function runs, on the argument.
    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::Bool(true), &Type::Bool),
            arg(Value::int(1), &Type::Number),
        ],
    )
    .await;
    assert_eq!(r.error.unwrap().function_argument, Some(0));
    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::string("x"), &Type::String),
            arg(Value::Null, &Type::Number),
        ],
    )
    .await;
    let e = r.error.unwrap();
    assert_eq!(e.function_argument, Some(1));
    assert!(e.text.contains("`times`"), "{}", e.text);

    let r = call(
        &mut c,
        "repeat",
        vec![arg(Value::string("x"), &Type::String)],
    )
    .await;
    assert!(r.error.unwrap().text.contains("takes 2 arguments"));
    let r = call(&mut c, "nope", vec![]).await;
    assert!(
        r.error
            .unwrap()
            .text
            .contains("Functions it offers: repeat")
    );

    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::string("panic"), &Type::String),
            arg(Value::int(1), &Type::Number),
        ],
    )
    .await;
    assert!(r.error.unwrap().text.contains("function exploded"));
    // Still serving.
    let r = call(
        &mut c,
        "repeat",
        vec![
            arg(Value::string("z"), &Type::String),
            arg(Value::int(3), &Type::Number),
        ],
    )
    .await;
    assert!(r.error.is_none());
    serving.shutdown().await;
}

async fn mv(
    c: &mut ProviderClient,
    source_type: &str,
    version: i64,
    target: &str,
    state: serde_json::Value,
) -> pb::move_resource_state::Response {
    c.move_resource_state(pb::move_resource_state::Request {
        source_provider_address: "registry.terraform.io/example/other".into(),
        source_type_name: source_type.into(),
        source_schema_version: version,
        source_state: Some(pb::RawState {
            json: state.to_string().into_bytes(),
            ..Default::default()
        }),
        target_type_name: target.into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

fn summaries(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter().map(|d| d.summary.clone()).collect()
}

#[tokio::test]
async fn moves_map_foreign_state_onto_the_target_schema() {
    let (serving, mut c) = serve().await;
    let r = mv(
        &mut c,
        "other_thing",
        1,
        "test_thing",
        serde_json::json!({"identifier": "abc", "size": 7, "extra": [1, 2]}),
    )
    .await;
    assert!(r.diagnostics.is_empty(), "{:?}", summaries(&r.diagnostics));
    let v = Value::decode_msgpack(
        &r.target_state.unwrap().msgpack,
        &thing_schema().value_type(),
    )
    .unwrap();
    assert_eq!(v.get("id").as_str(), Some("abc"));
    assert_eq!(v.get("size").as_i64(), Some(7));

    let r = mv(
        &mut c,
        "other_thing",
        2,
        "test_thing",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(summaries(&r.diagnostics), vec!["Unsupported Move Source"]);
    assert!(r.target_state.is_none());

    let r = mv(
        &mut c,
        "other_thing",
        1,
        "test_plain",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(summaries(&r.diagnostics), vec!["Unsupported Resource Move"]);
    assert!(r.diagnostics[0].detail.contains("other_thing"));

    let r = mv(
        &mut c,
        "other_thing",
        1,
        "test_missing",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(summaries(&r.diagnostics), vec!["Unknown Resource Type"]);

    let r = mv(
        &mut c,
        "other_thing",
        1,
        "test_thing",
        serde_json::json!({"identifier": "wrong-type"}),
    )
    .await;
    assert_eq!(
        summaries(&r.diagnostics),
        vec!["Provider Produced an Invalid Value"]
    );

    let r = c
        .move_resource_state(pb::move_resource_state::Request {
            source_type_name: "other_thing".into(),
            source_state: Some(pb::RawState {
                json: b"{not json".to_vec(),
                ..Default::default()
            }),
            target_type_name: "test_thing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&r.diagnostics),
        vec!["Unable to Read the Moved Resource's State"]
    );
    serving.shutdown().await;
}
