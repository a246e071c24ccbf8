//! Black-box tests of the plugin's gRPC surface, served in-process with a small test provider:
//! AutoMTLS admission, RPC semantics, StopProvider cancellation, panics and unknown types.

mod tfplugin_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use terraform_provider_azurebackup::tfplugin::{
    self, Address, ApplyRequest, ApplyResponse, Attribute, AttributePath, Block, Context,
    Diagnostics, ImportResponse, NestedBlock, Nesting, PlanRequest, PlanResponse, Provider,
    ReadRequest, ReadResponse, Resource, Schema, ServeOptions, Serving, Transport, Type, Value,
};
use tfplugin_support::{ControllerClient, ProviderClient, pb, plugin};
use tokio::sync::Notify;

/// Shared observations of the test resource.
#[derive(Default)]
struct Probe {
    apply_started: Notify,
    cancel_seen_after: std::sync::Mutex<Option<Duration>>,
    plan_calls: AtomicUsize,
}

struct TestProvider {
    probe: Arc<Probe>,
}

struct Thing {
    probe: Arc<Probe>,
}

fn thing_schema() -> Schema {
    Schema::new(
        2,
        Block::new()
            .attribute(Attribute::computed("id", Type::String).description("The **ID**."))
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("size", Type::Number))
            .attribute(Attribute::optional("tags", Type::map(Type::String)))
            .attribute(Attribute::optional("secret", Type::String).sensitive())
            .block(NestedBlock::new(
                "rule",
                Nesting::List,
                Block::new().attribute(Attribute::optional("n", Type::String)),
            ))
            .block(NestedBlock::new(
                "timeouts",
                Nesting::Single,
                Block::new().attribute(Attribute::optional("create", Type::String)),
            )),
    )
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new().attribute(Attribute::optional("endpoint", Type::String)),
        )
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing {
            probe: self.probe.clone(),
        })]
    }
    async fn validate_config(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("endpoint").as_str() == Some("bad") {
            d.error_at(
                AttributePath::root("endpoint"),
                "Invalid Endpoint",
                "not a URL",
            );
        }
        d
    }
    async fn configure(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

#[async_trait::async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("name").as_str() == Some("panic") {
            panic!("validate exploded");
        }
        if config.get("name").as_str() == Some("") {
            d.error_at(
                AttributePath::root("rule").index(0).attr("n"),
                "Empty Name",
                "set it",
            );
        }
        d
    }
    async fn upgrade(&self, version: i64, mut state: Value) -> Result<Value, Diagnostics> {
        if version < 2 && state.get("size").is_null() {
            state.set("size", Value::int(1));
        }
        Ok(state)
    }
    async fn plan(&self, req: PlanRequest, _ctx: &Context) -> PlanResponse {
        self.probe.plan_calls.fetch_add(1, Ordering::SeqCst);
        if req.proposed_new_state.get("name").as_str() == Some("panic") {
            panic!("plan exploded");
        }
        let mut planned = req.proposed_new_state;
        if req.prior_state.is_null() {
            planned.set("id", Value::Unknown);
        }
        PlanResponse {
            planned_state: planned,
            requires_replace: vec![AttributePath::root("name")],
            planned_private: b"p".to_vec(),
            ..Default::default()
        }
    }
    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse {
        let mut state = req.planned_state;
        if state.get("name").as_str() == Some("slow") {
            let started = Instant::now();
            self.probe.apply_started.notify_one();
            tokio::select! {
                () = ctx.cancel.cancelled() => {
                    *self.probe.cancel_seen_after.lock().unwrap() = Some(started.elapsed());
                    let mut d = Diagnostics::new();
                    d.error("Operation Cancelled", "Terraform asked the provider to stop.");
                    return ApplyResponse { diagnostics: d, ..Default::default() };
                }
                () = tokio::time::sleep(Duration::from_secs(10)) => {}
            }
        }
        if state.get("name").as_str() == Some("wrongtype") {
            state.set("size", Value::string("not a number"));
        }
        state.set("id", Value::string("thing-1"));
        ApplyResponse {
            new_state: state,
            ..Default::default()
        }
    }
    async fn read(&self, req: ReadRequest, _ctx: &Context) -> ReadResponse {
        if req.current_state.get("id").as_str() == Some("gone") {
            return ReadResponse::default();
        }
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
            ..Default::default()
        }
    }
    async fn import(&self, id: &str, _ctx: &Context) -> ImportResponse {
        ImportResponse {
            state: Value::object([
                ("id", Value::string(id)),
                ("name", Value::string("imported")),
            ]),
            ..Default::default()
        }
    }
}

fn provider(probe: &Arc<Probe>) -> Arc<dyn Provider> {
    Arc::new(TestProvider {
        probe: probe.clone(),
    })
}

fn tcp_addr(s: &Serving) -> std::net::SocketAddr {
    match &s.address {
        Address::Tcp(a) => *a,
        Address::Unix(p) => panic!("expected TCP, got {}", p.display()),
    }
}

async fn plain() -> (Serving, ProviderClient, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let serving = tfplugin::serve_with(provider(&probe), ServeOptions::default())
        .await
        .unwrap();
    let ch = tfplugin_support::plain_channel(tcp_addr(&serving)).await;
    (serving, ProviderClient::new(ch), probe)
}

fn ty() -> Type {
    thing_schema().value_type()
}

fn mp(v: &Value) -> Option<pb::DynamicValue> {
    tfplugin_support::dv(v.encode_msgpack(&ty()).unwrap())
}

fn decode(d: Option<pb::DynamicValue>) -> Value {
    Value::decode_msgpack(&d.expect("a value").msgpack, &ty()).unwrap()
}

fn config(name: &str) -> Value {
    Value::object([("name", Value::string(name)), ("size", Value::int(3))])
}

fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// A TLS client that presents no certificate is refused; so is one presenting a P-521
/// certificate other than the one Terraform announced.
#[tokio::test]
async fn mtls_refuses_clients_without_terraforms_certificate() {
    let probe = Arc::new(Probe::default());
    let terraform = tfplugin_support::terraform_client_cert();
    let serving = tfplugin::serve_with(
        provider(&probe),
        ServeOptions {
            identity: tfplugin::PluginIdentity::default(),
            transport: Transport::Tcp {
                min_port: 0,
                max_port: 0,
            },
            client_cert_pem: Some(terraform.pem.clone()),
        },
    )
    .await
    .unwrap();
    let addr = tcp_addr(&serving);
    let cert = serving.server_cert_der.clone().unwrap();

    let stranger = tfplugin_support::terraform_client_cert();
    for client in [None, Some(&stranger)] {
        let outcome = async {
            let ch = tfplugin_support::tls_channel(addr, cert.clone(), client).await?;
            ProviderClient::new(ch)
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, Box<dyn std::error::Error>>(())
        };
        let r = tokio::time::timeout(Duration::from_secs(5), outcome)
            .await
            .expect("bounded");
        assert!(
            r.is_err(),
            "client {} was served",
            if client.is_some() {
                "with a foreign cert"
            } else {
                "without cert"
            }
        );
    }
    serving.shutdown().await;
}

/// A client presenting Terraform's P-521 certificate is served, and sees the schema with the
/// server capabilities, cty JSON types and markdown descriptions.
#[tokio::test]
async fn mtls_serves_terraform_and_reports_schema() {
    let probe = Arc::new(Probe::default());
    let terraform = tfplugin_support::terraform_client_cert();
    let serving = tfplugin::serve_with(
        provider(&probe),
        ServeOptions {
            identity: tfplugin::PluginIdentity::default(),
            transport: Transport::Tcp {
                min_port: 0,
                max_port: 0,
            },
            client_cert_pem: Some(terraform.pem.clone()),
        },
    )
    .await
    .unwrap();
    let ch = tfplugin_support::tls_channel(
        tcp_addr(&serving),
        serving.server_cert_der.clone().unwrap(),
        Some(&terraform),
    )
    .await
    .unwrap();
    let mut client = ProviderClient::new(ch);
    let s = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let caps = s.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    let thing = &s.resource_schemas["test_thing"];
    assert_eq!(thing.version, 2);
    let block = thing.block.as_ref().unwrap();
    let id = block.attributes.iter().find(|a| a.name == "id").unwrap();
    assert_eq!(id.r#type, br#""string""#);
    assert!(id.computed && !id.optional);
    assert_eq!(id.description, "The **ID**.");
    assert_eq!(id.description_kind, pb::StringKind::Markdown as i32);
    let tags = block.attributes.iter().find(|a| a.name == "tags").unwrap();
    assert_eq!(tags.r#type, br#"["map","string"]"#);
    assert!(
        block
            .attributes
            .iter()
            .find(|a| a.name == "secret")
            .unwrap()
            .sensitive
    );
    let rule = block
        .block_types
        .iter()
        .find(|b| b.type_name == "rule")
        .unwrap();
    assert_eq!(
        rule.nesting,
        pb::schema::nested_block::NestingMode::List as i32
    );
    assert!(
        s.provider
            .unwrap()
            .block
            .unwrap()
            .attributes
            .iter()
            .any(|a| a.name == "endpoint")
    );
    let md = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(md.resources[0].type_name, "test_thing");
    serving.shutdown().await;
}

/// StopProvider returns promptly while an apply is in flight, the apply observes the
/// cancellation within 1 s, and later calls get a fresh (uncancelled) context.
#[tokio::test]
async fn stop_provider_cancels_in_flight_operations_only() {
    let (serving, client, probe) = plain().await;
    let mut c1 = client.clone();
    let slow = tokio::spawn(async move {
        c1.apply_resource_change(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            planned_state: mp(&config("slow")),
            config: mp(&config("slow")),
            ..Default::default()
        })
        .await
    });
    tokio::time::timeout(Duration::from_secs(5), probe.apply_started.notified())
        .await
        .expect("apply started");

    let t = Instant::now();
    let mut c2 = client.clone();
    let stop = tokio::time::timeout(
        Duration::from_secs(1),
        c2.stop_provider(pb::stop_provider::Request {}),
    )
    .await
    .expect("StopProvider returns promptly")
    .unwrap()
    .into_inner();
    assert_eq!(stop.error, "");
    let applied = tokio::time::timeout(Duration::from_secs(1), slow)
        .await
        .expect("apply ends")
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
    let seen = probe
        .cancel_seen_after
        .lock()
        .unwrap()
        .expect("cancellation observed");
    assert!(seen < Duration::from_secs(1), "{seen:?}");
    assert!(errors(&applied.into_inner().diagnostics)[0].contains("Operation Cancelled"));

    // The server still serves, with a fresh token: a normal apply completes.
    let mut c3 = client.clone();
    let ok = c3
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            planned_state: mp(&config("fast")),
            config: mp(&config("fast")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&ok.diagnostics).is_empty());
    assert_eq!(decode(ok.new_state).get("id").as_str(), Some("thing-1"));
    serving.shutdown().await;
}

/// A destroy plan (null proposed state) is answered with a null planned state without asking
/// the resource; a create plan goes to the resource and keeps unknowns and requires_replace.
#[tokio::test]
async fn plan_destroy_and_create() {
    let (serving, mut client, probe) = plain().await;
    let prior = Value::object([("id", Value::string("x")), ("name", Value::string("a"))]);
    let r = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: mp(&prior),
            proposed_new_state: tfplugin_support::dv(vec![0xc0]),
            config: tfplugin_support::dv(vec![0xc0]),
            prior_private: b"keep".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.planned_state.unwrap().msgpack, vec![0xc0]);
    assert_eq!(probe.plan_calls.load(Ordering::SeqCst), 0);

    let r = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: tfplugin_support::dv(vec![0xc0]),
            proposed_new_state: mp(&config("a")),
            config: mp(&config("a")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(probe.plan_calls.load(Ordering::SeqCst), 1);
    let planned = decode(r.planned_state);
    assert!(planned.get("id").is_unknown());
    assert_eq!(planned.get("size").as_i64(), Some(3));
    assert_eq!(r.planned_private, b"p");
    let step = &r.requires_replace[0].steps[0];
    assert_eq!(
        step.selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "name".into()
        ))
    );
    serving.shutdown().await;
}

/// Panics in provider code, unknown type names, undecodable values, values of the wrong type
/// from the provider and RPCs the provider does not implement all become error diagnostics;
/// the server keeps serving.
#[tokio::test]
async fn failures_become_diagnostics() {
    let (serving, mut client, _) = plain().await;
    let r = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            proposed_new_state: mp(&config("panic")),
            config: mp(&config("panic")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let e = errors(&r.diagnostics);
    assert!(
        e[0].contains("Provider Internal Error") && e[0].contains("plan exploded"),
        "{e:?}"
    );

    let r = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: mp(&config("panic")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("validate exploded"));

    let r = client
        .read_resource(pb::read_resource::Request {
            type_name: "nope_thing".into(),
            current_state: tfplugin_support::dv(vec![0xc0]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Unknown Resource Type"));
    assert!(errors(&r.diagnostics)[0].contains("test_thing"));

    let r = client
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: tfplugin_support::dv(vec![0x81, 0xa3, b'b', b'a', b'd', 0xc0]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Unable to Decode Value"));

    let r = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            planned_state: mp(&config("wrongtype")),
            config: mp(&config("wrongtype")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Provider Produced an Invalid Value"));

    let r = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "test_data".into(),
            config: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Unknown Data Source Type"));
    let r = client
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request::default())
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("OpenEphemeralResource"));
    let r = client
        .call_function(pb::call_function::Request {
            name: "f".into(),
            arguments: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.error.unwrap().text.contains("no function"));

    // Still serving after all that.
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    serving.shutdown().await;
}

/// Diagnostics keep their attribute paths as protobuf steps.
#[tokio::test]
async fn diagnostics_carry_attribute_paths() {
    let (serving, mut client, _) = plain().await;
    let r = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: mp(&config("")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    use pb::attribute_path::step::Selector;
    let steps: Vec<_> = r.diagnostics[0]
        .attribute
        .clone()
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.selector.unwrap())
        .collect();
    assert_eq!(
        steps,
        vec![
            Selector::AttributeName("rule".into()),
            Selector::ElementKeyInt(0),
            Selector::AttributeName("n".into())
        ]
    );

    let provider_cfg = Value::object([("endpoint", Value::string("bad"))]);
    let pty = Type::object([("endpoint", Type::String)]);
    let r = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: tfplugin_support::dv(provider_cfg.encode_msgpack(&pty).unwrap()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Invalid Endpoint"));
    serving.shutdown().await;
}

/// UpgradeResourceState decodes JSON and legacy flatmap state against the current schema,
/// runs the resource's upgrade and answers msgpack.
#[tokio::test]
async fn upgrade_resource_state_json_and_flatmap() {
    let (serving, mut client, _) = plain().await;
    let r = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json:
                    br#"{"id":"x","name":"n","tags":{"a":"b"},"obsolete":true,"rule":[{"n":"r"}]}"#
                        .to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode(r.upgraded_state);
    assert_eq!(v.get("id").as_str(), Some("x"));
    assert_eq!(v.get("size").as_i64(), Some(1), "upgrade ran");
    assert_eq!(v.get("tags").get("a").as_str(), Some("b"));
    assert_eq!(
        v.get("rule").as_list().unwrap()[0].get("n").as_str(),
        Some("r")
    );

    let r = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 2,
            raw_state: Some(pb::RawState {
                json: Vec::new(),
                flatmap: [("id", "y"), ("name", "m"), ("size", "7"), ("rule.#", "0")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let v = decode(r.upgraded_state);
    assert_eq!(v.get("id").as_str(), Some("y"));
    assert_eq!(v.get("size").as_i64(), Some(7));
    assert_eq!(v.get("rule"), &Value::List(vec![]));

    let r = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 2,
            raw_state: Some(pb::RawState {
                json: br#"{"size":"many"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Unable to Read Stored State"));
    serving.shutdown().await;
}

/// Read passes private bytes through and a null new state means "gone"; import returns the
/// object with its type name; values with refined unknowns from Terraform decode.
#[tokio::test]
async fn read_import_and_refined_unknowns() {
    let (serving, mut client, _) = plain().await;
    let state = Value::object([("id", Value::string("gone")), ("name", Value::string("a"))]);
    let r = client
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: mp(&state),
            private: b"priv".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.new_state.unwrap().msgpack, vec![0xc0]);

    let r = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "abc".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.imported_resources.len(), 1);
    assert_eq!(r.imported_resources[0].type_name, "test_thing");
    let v = decode(r.imported_resources[0].state.clone());
    assert_eq!(v.get("id").as_str(), Some("abc"));

    // name known, size a refined unknown (ext 12), everything else absent.
    let bytes = vec![
        0x82, 0xa4, b'n', b'a', b'm', b'e', 0xa1, b'z', 0xa4, b's', b'i', b'z', b'e', 0xc7, 0x03,
        0x0c, 0x81, 0x01, 0xc2,
    ];
    let r = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: tfplugin_support::dv(vec![0xc0]),
            proposed_new_state: tfplugin_support::dv(bytes.clone()),
            config: tfplugin_support::dv(bytes),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = decode(r.planned_state);
    assert!(planned.get("size").is_unknown());
    assert_eq!(planned.get("name").as_str(), Some("z"));
    serving.shutdown().await;
}

/// GRPCController/Shutdown stops the server promptly; over a unix socket the socket file is
/// removed afterwards.
#[tokio::test]
async fn controller_shutdown_stops_server_and_removes_unix_socket() {
    let probe = Arc::new(Probe::default());
    let dir = tempfile::tempdir().unwrap();
    let serving = tfplugin::serve_with(
        provider(&probe),
        ServeOptions {
            identity: tfplugin::PluginIdentity::default(),
            transport: Transport::Unix {
                dir: dir.path().to_owned(),
            },
            client_cert_pem: None,
        },
    )
    .await
    .unwrap();
    let Address::Unix(path) = serving.address.clone() else {
        panic!("expected unix")
    };
    assert!(path.exists());
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        file.starts_with("tfprov-example-"),
        "the socket is named after the plugin's identity: {file}"
    );
    assert!(
        serving
            .handshake_line()
            .starts_with(&format!("1|6|unix|{}|grpc|", path.display()))
    );
    let p = path.clone();
    let ch = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let p = p.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(p).await?,
                ))
            }
        }))
        .await
        .unwrap();
    ProviderClient::new(ch.clone())
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap();
    ControllerClient::new(ch)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(3), serving.wait())
        .await
        .expect("server stops")
        .unwrap();
    assert!(!path.exists());
}

/// The handshake line has the go-plugin shape and the certificate is unpadded base64 of DER.
#[tokio::test]
async fn handshake_line_format() {
    let probe = Arc::new(Probe::default());
    let terraform = tfplugin_support::terraform_client_cert();
    let serving = tfplugin::serve_with(
        provider(&probe),
        ServeOptions {
            identity: tfplugin::PluginIdentity::default(),
            transport: Transport::Tcp {
                min_port: 0,
                max_port: 0,
            },
            client_cert_pem: Some(terraform.pem),
        },
    )
    .await
    .unwrap();
    let line = serving.handshake_line();
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(&parts[..3], &["1", "6", "tcp"]);
    assert_eq!(parts[3], tcp_addr(&serving).to_string());
    assert!(parts[3].starts_with("127.0.0.1:"));
    assert_eq!(parts[4], "grpc");
    assert!(!parts[5].contains('=') && !parts[5].is_empty());
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    assert_eq!(Some(der), serving.server_cert_der.clone());
    assert!(!line.contains('\n'));
    serving.shutdown().await;

    let plain = tfplugin::serve_with(provider(&probe), ServeOptions::default())
        .await
        .unwrap();
    assert!(plain.handshake_line().ends_with("|grpc|"));
    plain.shutdown().await;
}
