//! Resource identity, list resources and GenerateResourceConfig over the gRPC surface, with a
//! small test provider served in-process: the identity schema is announced, every Read, Plan,
//! Apply and Import answer carries the identity computed from its state, an identity that would
//! change for an existing object is refused, import by identity asks the resource for the ID,
//! a list streams identities (with objects when asked), stops at `limit` and ends with the
//! list's diagnostics, a list without an identity-bearing resource is never advertised, and
//! generated configuration drops computed-only attributes and answers a null state with null.

mod tfplugin_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use terraform_provider_azurebackup::tfplugin::{
    self, Address, ApplyRequest, ApplyResponse, Attribute, Block, Context, Diagnostic, Diagnostics,
    IdentityAttribute, IdentitySchema, ImportResponse, ListRequest, ListResource, ListResult,
    ListSink, PlanRequest, PlanResponse, Provider, ReadRequest, ReadResponse, Resource, Schema,
    ServeOptions, Serving, Type, Value,
};
use tfplugin_support::{ProviderClient, pb};

/// `test_thing`: `id` is `group/name`; its identity is `{group, name}`. A read of `moved/...`
/// answers another group (an identity change).
struct Thing;

fn thing_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("group", Type::String))
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::optional_computed("size", Type::Number)),
    )
}

fn identity_ty() -> Type {
    Type::object([("group", Type::String), ("name", Type::String)])
}

fn thing(group: &str, name: &str) -> Value {
    Value::object([
        ("id", Value::string(format!("{group}/{name}"))),
        ("group", Value::string(group)),
        ("name", Value::string(name)),
        ("size", Value::int(1)),
    ])
}

fn ident(group: &str, name: &str) -> Value {
    Value::object([
        ("group", Value::string(group)),
        ("name", Value::string(name)),
    ])
}

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
    async fn plan(&self, req: PlanRequest, _: &Context) -> PlanResponse {
        let mut planned = req.proposed_new_state;
        let replace = if req.prior_state.is_null() {
            planned.set("id", Value::Unknown);
            Vec::new()
        } else if req.prior_state.get("group") != planned.get("group") {
            planned.set("id", Value::Unknown);
            vec![tfplugin::AttributePath::root("group")]
        } else {
            Vec::new()
        };
        PlanResponse {
            planned_state: planned,
            requires_replace: replace,
            ..Default::default()
        }
    }
    async fn apply(&self, req: ApplyRequest, _: &Context) -> ApplyResponse {
        let p = &req.planned_state;
        ApplyResponse {
            new_state: thing(
                p.get("group").as_str().unwrap_or_default(),
                p.get("name").as_str().unwrap_or_default(),
            ),
            ..Default::default()
        }
    }
    async fn read(&self, req: ReadRequest, _: &Context) -> ReadResponse {
        let s = &req.current_state;
        let group = s.get("group").as_str().unwrap_or_default();
        let group = if group == "moved" { "elsewhere" } else { group };
        ReadResponse {
            new_state: thing(group, s.get("name").as_str().unwrap_or_default()),
            ..Default::default()
        }
    }
    async fn import(&self, id: &str, _: &Context) -> ImportResponse {
        let (group, name) = id.split_once('/').unwrap_or(("", id));
        // "swap/x" imports another object than asked for.
        let group = if group == "swap" { "other" } else { group };
        ImportResponse {
            state: thing(group, name),
            ..Default::default()
        }
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute::required("group", "The group."),
                IdentityAttribute::required("name", "The name."),
            ],
        })
    }
    fn identity(&self, state: &Value) -> Value {
        match state.get("id").as_str().and_then(|id| id.split_once('/')) {
            Some((g, n)) => ident(g, n),
            None => Value::Unknown,
        }
    }
    fn import_id(&self, identity: &Value) -> Result<String, Diagnostics> {
        let g = identity.get("group").as_str().unwrap_or_default();
        let n = identity.get("name").as_str().unwrap_or_default();
        if g.is_empty() {
            return Err(Diagnostic::error("Empty Group", "set group").into());
        }
        Ok(format!("{g}/{n}"))
    }
}

/// Lists `count` things of a group; group `broken` fails after two results.
struct Things {
    last_limit: Arc<AtomicI64>,
}

fn list_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::required("group", Type::String))
            .attribute(Attribute::optional("count", Type::Number)),
    )
}

#[async_trait::async_trait]
impl ListResource for Things {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        list_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("group").as_str() == Some("") {
            d.error("Empty Group", "set group");
        }
        d
    }
    async fn list(&self, req: ListRequest, sink: &ListSink, _: &Context) -> Diagnostics {
        self.last_limit.store(req.limit, Ordering::SeqCst);
        let group = req
            .config
            .get("group")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let count = req.config.get("count").as_i64().unwrap_or(3);
        for i in 0..count {
            if group == "broken" && i == 2 {
                let mut d = Diagnostics::new();
                d.error("Page Failed", "the third page failed");
                return d;
            }
            let name = format!("t{i}");
            let sent = sink
                .send(ListResult {
                    identity: ident(&group, &name),
                    display_name: format!("thing {name}"),
                    resource: req.include_resource.then(|| thing(&group, &name)),
                    diagnostics: Diagnostics::new(),
                })
                .await;
            if !sent {
                break;
            }
        }
        Diagnostics::new()
    }
}

/// A list whose type has no identity: never advertised.
struct Orphan;

#[async_trait::async_trait]
impl ListResource for Orphan {
    fn type_name(&self) -> &'static str {
        "test_orphan"
    }
    fn schema(&self) -> Schema {
        list_schema()
    }
    async fn validate(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn list(&self, _: ListRequest, _: &ListSink, _: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

struct TestProvider {
    last_limit: Arc<AtomicI64>,
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing)]
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![
            Arc::new(Things {
                last_limit: self.last_limit.clone(),
            }),
            Arc::new(Orphan),
        ]
    }
    async fn validate_config(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _: &Value, _: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

async fn serve() -> (Serving, ProviderClient, Arc<AtomicI64>) {
    let last_limit = Arc::new(AtomicI64::new(-1));
    let provider: Arc<dyn Provider> = Arc::new(TestProvider {
        last_limit: last_limit.clone(),
    });
    let serving = tfplugin::serve_with(provider, ServeOptions::default())
        .await
        .unwrap();
    let Address::Tcp(addr) = serving.address.clone() else {
        panic!("expected TCP")
    };
    let ch = tfplugin_support::plain_channel(addr).await;
    (serving, ProviderClient::new(ch), last_limit)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    tfplugin_support::dv(v.encode_msgpack(ty).unwrap())
}

fn state(v: &Value) -> Option<pb::DynamicValue> {
    dv(v, &thing_schema().value_type())
}

fn id_data(v: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dv(v, &identity_ty()),
    })
}

fn identity_of(data: Option<pb::ResourceIdentityData>) -> Value {
    let raw = data.and_then(|d| d.identity_data).expect("an identity");
    Value::decode_msgpack(&raw.msgpack, &identity_ty()).unwrap()
}

fn summaries(d: &[pb::Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.summary.as_str()).collect()
}

#[tokio::test]
async fn identity_and_list_schemas_are_announced() {
    let (serving, mut c, _) = serve().await;
    let ids = c
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    let s = &ids.identity_schemas["test_thing"];
    assert_eq!(s.version, 0);
    let names: Vec<_> = s
        .identity_attributes
        .iter()
        .map(|a| (a.name.as_str(), a.required_for_import))
        .collect();
    assert_eq!(names, [("group", true), ("name", true)]);
    let schema = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let lists: Vec<_> = schema.list_resource_schemas.keys().cloned().collect();
    assert_eq!(lists, ["test_thing"], "the orphan list is left out");
    assert!(schema.server_capabilities.unwrap().generate_resource_config);
    let meta = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let lists: Vec<_> = meta
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(lists, ["test_thing"]);
    serving.shutdown().await;
}

#[tokio::test]
async fn every_answer_carries_the_identity_of_its_state() {
    let (serving, mut c, _) = serve().await;
    let config = Value::object([
        ("id", Value::Null),
        ("group", Value::string("g")),
        ("name", Value::string("a")),
        ("size", Value::Null),
    ]);
    // Create: the plan does not know the id yet, so the identity is unknown.
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: state(&Value::Null),
            proposed_new_state: state(&config),
            config: state(&config),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = identity_of(plan.planned_identity);
    assert!(!planned.is_wholly_known(), "{planned:?}");
    let apply = c
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: state(&Value::Null),
            planned_state: plan.planned_state,
            config: state(&config),
            planned_identity: id_data(&Value::Unknown),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(apply.diagnostics.is_empty(), "{:?}", apply.diagnostics);
    assert_eq!(identity_of(apply.new_identity), ident("g", "a"));
    // Read of state written before identities existed: no current identity, one in the answer.
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: state(&thing("g", "a")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(identity_of(read.new_identity), ident("g", "a"));
    // An update keeps the prior identity.
    let mut bigger = thing("g", "a");
    bigger.set("size", Value::int(2));
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: state(&thing("g", "a")),
            proposed_new_state: state(&bigger),
            config: state(&bigger),
            prior_identity: id_data(&ident("g", "a")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert_eq!(identity_of(plan.planned_identity), ident("g", "a"));
    serving.shutdown().await;
}

#[tokio::test]
async fn an_identity_change_of_an_existing_object_is_refused() {
    let (serving, mut c, _) = serve().await;
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: state(&thing("moved", "a")),
            current_identity: id_data(&ident("moved", "a")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&read.diagnostics), ["Resource Identity Changed"]);
    let detail = &read.diagnostics[0].detail;
    assert!(
        detail.contains("\"moved\"") && detail.contains("\"elsewhere\""),
        "{detail}"
    );
    // A plan whose state names another object than the prior identity, without replacing it.
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: state(&thing("g", "a")),
            proposed_new_state: state(&thing("g", "a")),
            config: state(&thing("g", "a")),
            prior_identity: id_data(&ident("g", "zzz")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&plan.diagnostics), ["Resource Identity Changed"]);
    serving.shutdown().await;
}

#[tokio::test]
async fn import_by_identity_asks_the_resource_for_the_id() {
    let (serving, mut c, _) = serve().await;
    let import = |identity: Value, id: &str| pb::import_resource_state::Request {
        type_name: "test_thing".into(),
        id: id.into(),
        identity: id_data(&identity),
        ..Default::default()
    };
    let r = c
        .import_resource_state(import(ident("g", "a"), ""))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let imported = &r.imported_resources[0];
    assert_eq!(identity_of(imported.identity.clone()), ident("g", "a"));
    let st = Value::decode_msgpack(
        &imported.state.as_ref().unwrap().msgpack,
        &thing_schema().value_type(),
    )
    .unwrap();
    assert_eq!(st.get("id").as_str(), Some("g/a"));
    // The resource refuses the identity; the object imported is another one than asked for.
    let r = c
        .import_resource_state(import(ident("", "a"), ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&r.diagnostics), ["Empty Group"]);
    let r = c
        .import_resource_state(import(ident("swap", "a"), ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&r.diagnostics), ["Resource Identity Changed"]);
    assert!(r.imported_resources.is_empty());
    // Neither an ID nor an identity.
    let r = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&r.diagnostics), ["Missing Import ID"]);
    serving.shutdown().await;
}

async fn list(
    c: &mut ProviderClient,
    config: Value,
    include: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let mut stream = c
        .list_resource(pb::list_resource::Request {
            type_name: "test_thing".into(),
            config: dv(&config, &list_schema().value_type()),
            include_resource_object: include,
            limit,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(e) = stream.message().await.unwrap() {
        events.push(e);
    }
    events
}

fn list_config(group: &str, count: Option<i64>) -> Value {
    Value::object([
        ("group", Value::string(group)),
        ("count", count.map_or(Value::Null, Value::int)),
    ])
}

#[tokio::test]
async fn a_list_streams_identities_and_objects_up_to_its_limit() {
    let (serving, mut c, last_limit) = serve().await;
    let events = list(&mut c, list_config("g", None), true, 100).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[1].display_name, "thing t1");
    assert_eq!(identity_of(events[1].identity.clone()), ident("g", "t1"));
    let obj = events[1].resource_object.as_ref().expect("the object");
    let obj = Value::decode_msgpack(&obj.msgpack, &thing_schema().value_type()).unwrap();
    assert_eq!(obj.get("id").as_str(), Some("g/t1"));
    assert_eq!(last_limit.load(Ordering::SeqCst), 100);
    // Without include_resource no objects; limit 2 of 50 stops the list.
    let events = list(&mut c, list_config("g", Some(50)), false, 2).await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.resource_object.is_none()));
    assert_eq!(last_limit.load(Ordering::SeqCst), 2);
    serving.shutdown().await;
}

#[tokio::test]
async fn a_failing_list_ends_with_its_diagnostics() {
    let (serving, mut c, _) = serve().await;
    let events = list(&mut c, list_config("broken", Some(5)), false, 100).await;
    assert_eq!(events.len(), 3, "two results, then the error");
    let last = events.last().unwrap();
    assert!(last.identity.is_none());
    assert_eq!(summaries(&last.diagnostic), ["Page Failed"]);
    let v = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "test_thing".into(),
            config: dv(&list_config("", None), &list_schema().value_type()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&v.diagnostics), ["Empty Group"]);
    let mut stream = c
        .list_resource(pb::list_resource::Request {
            type_name: "test_orphan".into(),
            config: dv(&list_config("g", None), &list_schema().value_type()),
            include_resource_object: false,
            limit: 10,
        })
        .await
        .unwrap()
        .into_inner();
    let only = stream.message().await.unwrap().expect("one event");
    assert_eq!(summaries(&only.diagnostic), ["Unknown List Resource Type"]);
    serving.shutdown().await;
}

#[tokio::test]
async fn generated_configuration_leaves_out_computed_only_values() {
    let (serving, mut c, _) = serve().await;
    let gen_config = |s: Value| pb::generate_resource_config::Request {
        type_name: "test_thing".into(),
        state: state(&s),
    };
    let r = c
        .generate_resource_config(gen_config(thing("g", "a")))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let cfg =
        Value::decode_msgpack(&r.config.unwrap().msgpack, &thing_schema().value_type()).unwrap();
    assert!(cfg.get("id").is_null(), "computed only: {cfg:?}");
    assert_eq!(cfg.get("group").as_str(), Some("g"));
    assert_eq!(cfg.get("size").as_i64(), Some(1));
    let r = c
        .generate_resource_config(gen_config(Value::Null))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let cfg =
        Value::decode_msgpack(&r.config.unwrap().msgpack, &thing_schema().value_type()).unwrap();
    assert!(cfg.is_null());
    serving.shutdown().await;
}
