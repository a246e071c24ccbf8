//! Data sources over the gRPC surface, with a small test provider served in-process: schema and
//! metadata list them, validation and reads dispatch by type name, a read of a configuration
//! that is not yet known answers unknown computed values without calling the provider, errors
//! and panics become diagnostics, and an unknown type names the ones that exist.

mod tfplugin_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use terraform_provider_azurebackup::tfplugin::{
    self, Address, Attribute, AttributePath, Block, Context, DataReadResponse, DataSource,
    Diagnostics, Provider, Resource, Schema, ServeOptions, Serving, Type, Value,
};
use tfplugin_support::{ProviderClient, pb};

struct Echo {
    reads: Arc<AtomicUsize>,
}

fn echo_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::required("input", Type::String))
            .attribute(Attribute::optional_computed("mode", Type::String))
            .attribute(Attribute::computed("upper", Type::String)),
    )
}

#[async_trait::async_trait]
impl DataSource for Echo {
    fn type_name(&self) -> &'static str {
        "test_echo"
    }
    fn schema(&self) -> Schema {
        echo_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("input").as_str() == Some("") {
            d.error_at(AttributePath::root("input"), "Empty Input", "set it");
        }
        d
    }
    async fn read(&self, config: &Value, _ctx: &Context) -> DataReadResponse {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let input = config.get("input").as_str().unwrap_or_default().to_owned();
        if input == "panic" {
            panic!("read exploded");
        }
        let mut diagnostics = Diagnostics::new();
        if input == "missing" {
            diagnostics.error_at(AttributePath::root("input"), "Not Found", "no such thing");
        }
        let mut state = config.clone();
        state.set("upper", Value::string(input.to_uppercase()));
        if config.get("mode").is_null() {
            state.set("mode", Value::string("default"));
        }
        DataReadResponse { state, diagnostics }
    }
}

struct TestProvider {
    reads: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        Vec::new()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Echo {
            reads: self.reads.clone(),
        })]
    }
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

async fn serve() -> (Serving, ProviderClient, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let provider: Arc<dyn Provider> = Arc::new(TestProvider {
        reads: reads.clone(),
    });
    let serving = tfplugin::serve_with(provider, ServeOptions::default())
        .await
        .unwrap();
    let Address::Tcp(addr) = serving.address.clone() else {
        panic!("expected TCP")
    };
    let ch = tfplugin_support::plain_channel(addr).await;
    (serving, ProviderClient::new(ch), reads)
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    tfplugin_support::dv(v.encode_msgpack(&echo_schema().value_type()).unwrap())
}

fn value(d: Option<pb::DynamicValue>) -> Value {
    Value::decode_msgpack(&d.expect("a state").msgpack, &echo_schema().value_type()).unwrap()
}

fn cfg(input: Value) -> Value {
    Value::object([("input", input)])
}

async fn read(c: &mut ProviderClient, config: Value) -> pb::read_data_source::Response {
    c.read_data_source(pb::read_data_source::Request {
        type_name: "test_echo".into(),
        config: dv(&config),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

/// The schema and the metadata name the data source.
#[tokio::test]
async fn schema_and_metadata_list_data_sources() {
    let (serving, mut c, _) = serve().await;
    let s = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let ds = s
        .data_source_schemas
        .get("test_echo")
        .expect("data source schema");
    let names: Vec<&str> = ds
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["input", "mode", "upper"]);
    let m = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.data_sources.len(), 1);
    assert_eq!(m.data_sources[0].type_name, "test_echo");
    serving.shutdown().await;
}

/// A known configuration is read: computed values come from the provider.
#[tokio::test]
async fn known_configuration_is_read() {
    let (serving, mut c, reads) = serve().await;
    let r = read(&mut c, cfg(Value::string("abc"))).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = value(r.state);
    assert_eq!(v.get("upper").as_str(), Some("ABC"));
    assert_eq!(v.get("mode").as_str(), Some("default"));
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    serving.shutdown().await;
}

/// An unknown input: computed attributes are unknown and the provider is not called (Terraform
/// reads the data source again during apply).
#[tokio::test]
async fn unknown_configuration_defers_the_read() {
    let (serving, mut c, reads) = serve().await;
    let r = read(&mut c, cfg(Value::Unknown)).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = value(r.state);
    assert!(v.get("upper").is_unknown() && v.get("mode").is_unknown());
    assert!(v.get("input").is_unknown());
    assert_eq!(reads.load(Ordering::SeqCst), 0);
    serving.shutdown().await;
}

/// Validation, read errors and panics are diagnostics; an unknown type names the known ones.
#[tokio::test]
async fn failures_are_diagnostics() {
    let (serving, mut c, _) = serve().await;
    let v = c
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "test_echo".into(),
            config: dv(&cfg(Value::string(""))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics.len(), 1);
    assert_eq!(v.diagnostics[0].summary, "Empty Input");
    assert!(v.diagnostics[0].attribute.is_some());

    let r = read(&mut c, cfg(Value::string("missing"))).await;
    assert!(r.state.is_none());
    assert_eq!(r.diagnostics[0].summary, "Not Found");

    let r = read(&mut c, cfg(Value::string("panic"))).await;
    assert!(r.state.is_none());
    assert!(
        r.diagnostics[0].detail.contains("read exploded")
            || r.diagnostics[0].summary.contains("Bug"),
        "{:?}",
        r.diagnostics
    );

    let u = c
        .read_data_source(pb::read_data_source::Request {
            type_name: "test_nope".into(),
            config: dv(&cfg(Value::string("x"))),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(u.diagnostics[0].summary, "Unknown Data Source Type");
    assert!(u.diagnostics[0].detail.contains("test_echo"));
    serving.shutdown().await;
}
