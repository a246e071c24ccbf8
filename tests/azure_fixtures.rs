//! Microsoft's published examples and recorded real traffic (the repository's copies in `tests/fixtures/azure`):
//! every body parses into the models, and each recorded long-running operation, replayed in
//! order through the scripted server, drives the client to the recorded outcome.

mod azure_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use azure_support::{ScriptServer, Step, TOKEN, TestPki, VirtualClock, azure_fixtures};
use serde_json::Value;
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};
use terraform_provider_azurebackup::azure::auth::StaticTokenProvider;
use terraform_provider_azurebackup::azure::client::{DataProtectionClient, OpOptions};
use terraform_provider_azurebackup::azure::config::AzureConfig;
use terraform_provider_azurebackup::azure::http::Clock;
use terraform_provider_azurebackup::azure::http::retry::NoJitter;
use terraform_provider_azurebackup::azure::models::{
    BackupInstanceList, BackupInstanceResource, CloudError, OperationJobExtendedInfo,
    OperationStatus, ValidateForBackupRequest,
};
use terraform_provider_azurebackup::azure::poller::{Terminal, classify};
use tokio_util::sync::CancellationToken;

fn json_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Parses one body by its shape and checks a few fields against the raw JSON, so a model that
/// silently drops data fails. Returns the kind for counting.
fn check_body(what: &str, v: &Value) -> &'static str {
    let roundtrip = |s: &str| serde_json::from_str::<Value>(s).expect("re-encode");
    if let Some(props) = v
        .get("properties")
        .filter(|p| p.get("dataSourceInfo").is_some())
    {
        let r: BackupInstanceResource =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            Some(r.properties.data_source_info.resource_id.as_str()),
            props["dataSourceInfo"]
                .get("resourceID")
                .or(props["dataSourceInfo"].get("resourceId"))
                .and_then(Value::as_str),
            "{what}"
        );
        assert_eq!(
            r.properties.policy_info.policy_id.as_str(),
            props["policyInfo"]["policyId"].as_str().unwrap_or(""),
            "{what}"
        );
        assert_eq!(
            r.properties.provisioning_state.as_deref(),
            props.get("provisioningState").and_then(Value::as_str),
            "{what}"
        );
        if let Some(uri) = props
            .pointer("/datasourceAuthCredentials/secretStoreResource/uri")
            .and_then(Value::as_str)
        {
            let got = r
                .properties
                .datasource_auth_credentials
                .as_ref()
                .and_then(|c| c.secret_store_resource.as_ref())
                .and_then(|s| s.uri.as_deref());
            assert_eq!(got, Some(uri), "{what}");
        }
        let again: BackupInstanceResource =
            serde_json::from_value(roundtrip(&serde_json::to_string(&r).unwrap())).unwrap();
        assert_eq!(again, r, "{what}: serialise/parse is stable");
        return "backupInstance";
    }
    if let Some(bi) = v.get("backupInstance") {
        let r: ValidateForBackupRequest =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            r.backup_instance.object_type,
            bi["objectType"].as_str().unwrap_or(""),
            "{what}"
        );
        assert!(
            !r.backup_instance.data_source_info.resource_id.is_empty(),
            "{what}"
        );
        return "validateRequest";
    }
    if v.get("value").is_some_and(Value::is_array) {
        let r: BackupInstanceList =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            r.value.len(),
            v["value"].as_array().map_or(0, Vec::len),
            "{what}"
        );
        for (i, item) in v["value"].as_array().into_iter().flatten().enumerate() {
            check_body(&format!("{what} value[{i}]"), item);
        }
        return "list";
    }
    if v.get("status").is_some()
        && (v.get("startTime").is_some() || v.get("id").is_some() || v.get("name").is_some())
    {
        let r: OperationStatus =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(r.status.as_deref(), v["status"].as_str(), "{what}");
        return "operationStatus";
    }
    if v.get("error").is_some() {
        let r: CloudError =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            r.error.and_then(|e| e.code).as_deref(),
            v["error"]["code"].as_str(),
            "{what}"
        );
        return "cloudError";
    }
    if v.get("jobId").is_some()
        || v.get("objectType").and_then(Value::as_str) == Some("OperationJobExtendedInfo")
    {
        let r: OperationJobExtendedInfo =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            r.job_id.as_deref(),
            v.get("jobId").and_then(Value::as_str),
            "{what}"
        );
        return "jobInfo";
    }
    // Restore requests (and restorable time ranges) are checked against the typed builders
    // that produce them, in src/azure/restore_tests.rs.
    let object_type = |v: &Value| {
        v.get("objectType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if v.get("restoreRequestObject").is_some()
        || object_type(v).contains("Restore")
        || v.get("properties")
            .is_some_and(|p| object_type(p).contains("Restor"))
        || (v.get("sourceDataStoreType").is_some() && v.get("startTime").is_some())
    {
        return "restore";
    }
    panic!(
        "{what}: a body of unrecognised shape: {}",
        &v.to_string()[..v.to_string().len().min(300)]
    );
}

/// Every request and response body in the REST specification's examples parses into the models.
#[test]
fn every_example_parses() {
    let dir = azure_fixtures().join("examples");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    assert!(
        files.len() >= 16,
        "expected the example set, found {} files",
        files.len()
    );
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &files {
        let name = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(body) = v.pointer("/parameters/parameters") {
            *kinds
                .entry(check_body(&format!("{name} request"), body))
                .or_default() += 1;
        }
        for (code, resp) in v["responses"].as_object().into_iter().flatten() {
            if let Some(body) = resp.get("body") {
                *kinds
                    .entry(check_body(&format!("{name} response {code}"), body))
                    .or_default() += 1;
            }
        }
    }
    for k in [
        "backupInstance",
        "validateRequest",
        "list",
        "operationStatus",
        "jobInfo",
    ] {
        assert!(
            kinds.get(k).copied().unwrap_or(0) > 0,
            "no {k} bodies seen: {kinds:?}"
        );
    }
}

#[derive(Debug, Clone)]
struct Interaction {
    method: String,
    uri: String,
    request_body: Option<String>,
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

fn load_recording(path: &Path) -> Vec<Interaction> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_norway::Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::to_value(doc).expect("yaml to json");
    let list = doc["interactions"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no interactions", path.display()));
    list.iter()
        .map(|it| {
            let headers = it["response"]["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let first = v
                        .as_array()
                        .and_then(|a| a.first())
                        .and_then(Value::as_str)
                        .or(v.as_str())?;
                    Some((k.to_ascii_lowercase(), first.to_string()))
                })
                .collect();
            Interaction {
                method: it["request"]["method"].as_str().unwrap_or("").to_string(),
                uri: it["request"]["uri"].as_str().unwrap_or("").to_string(),
                request_body: it["request"]["body"].as_str().map(str::to_string),
                status: it["response"]["status"]["code"].as_u64().unwrap_or(0) as u16,
                headers,
                body: it["response"]["body"]["string"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect()
}

fn recordings() -> Vec<(String, Vec<Interaction>)> {
    let dir = azure_fixtures().join("recordings");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("recordings dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the recordings, found {}",
        files.len()
    );
    files
        .iter()
        .map(|f| {
            (
                f.file_name().unwrap().to_string_lossy().into_owned(),
                load_recording(f),
            )
        })
        .collect()
}

fn path_of(uri: &str) -> &str {
    uri.split_once('?').map_or(uri, |(p, _)| p)
}

fn is_instance_uri(uri: &str) -> bool {
    path_of(uri)
        .to_ascii_lowercase()
        .contains("/providers/microsoft.dataprotection/backupvaults/")
        && path_of(uri)
            .split('/')
            .rev()
            .nth(1)
            .is_some_and(|s| s.eq_ignore_ascii_case("backupInstances"))
}

/// Every Data Protection body in the recordings parses into the models.
#[test]
fn every_recorded_body_parses() {
    let mut checked = 0;
    for (name, list) in recordings() {
        for (i, it) in list.iter().enumerate() {
            let lower = it.uri.to_ascii_lowercase();
            if !lower.contains("microsoft.dataprotection") {
                continue;
            }
            let what = format!("{name}#{i} {} {}", it.method, path_of(&it.uri));
            let p = path_of(&lower);
            let relevant = p.contains("/operationstatus/")
                || p.ends_with("/validateforbackup")
                || p.ends_with("/backupinstances")
                || is_instance_uri(&it.uri)
                || p.contains("/operationresults/");
            if !relevant {
                continue;
            }
            if let Some(req) = it.request_body.as_deref().filter(|b| !b.is_empty()) {
                let v: Value =
                    serde_json::from_str(req).unwrap_or_else(|e| panic!("{what} request: {e}"));
                check_body(&format!("{what} request"), &v);
                checked += 1;
            }
            if it.body.is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(&it.body).unwrap_or_else(|e| panic!("{what} response: {e}"));
            let kind = check_body(&format!("{what} response"), &v);
            if p.contains("/operationstatus/") {
                assert_eq!(kind, "operationStatus", "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} bodies checked");
}

/// One recorded logical operation: the initial exchange and the follow-ups in order.
#[derive(Debug)]
struct RecordedOp {
    source: String,
    steps: Vec<Interaction>,
    outcome: Option<Terminal>,
}

/// Groups each instance-level operation with the requests that belong to it (its status URL,
/// then the Location or resource GET), matched by URL so interleaved operations separate.
fn recorded_ops(name: &str, list: &[Interaction]) -> (Vec<RecordedOp>, usize) {
    let mut ops = Vec::new();
    let mut incomplete = 0;
    for (i, it) in list.iter().enumerate() {
        let p = path_of(&it.uri).to_ascii_lowercase();
        let starts = (it.method == "POST" && p.ends_with("/validateforbackup"))
            || ((it.method == "PUT" || it.method == "DELETE") && is_instance_uri(&it.uri));
        if !starts {
            continue;
        }
        let mut steps = vec![it.clone()];
        let mut outcome = None;
        if it.status == 204 || it.status == 200 {
            outcome = Some(Terminal::Succeeded);
        } else if let Some(ao) = it.headers.get("azure-asyncoperation") {
            let rest = &list[i + 1..];
            let mut idx = 0;
            for (j, next) in rest.iter().enumerate() {
                if next.method == "GET" && &next.uri == ao {
                    steps.push(next.clone());
                    let st: OperationStatus = serde_json::from_str(&next.body).unwrap_or_default();
                    if let Some(t) = st.status.as_deref().and_then(classify) {
                        outcome = Some(t);
                        idx = j + 1;
                        break;
                    }
                }
            }
            if outcome == Some(Terminal::Succeeded) && it.method != "DELETE" {
                // POST: the Location result; PUT: the resource itself.
                let want = if it.method == "POST" {
                    it.headers.get("location").cloned()
                } else {
                    Some(it.uri.clone())
                };
                match want
                    .and_then(|w| rest[idx..].iter().find(|n| n.method == "GET" && n.uri == w))
                {
                    Some(f) => steps.push(f.clone()),
                    None => outcome = None,
                }
            }
        }
        if outcome.is_some() {
            ops.push(RecordedOp {
                source: format!("{name}#{i}"),
                steps,
                outcome,
            });
        } else {
            incomplete += 1;
        }
    }
    (ops, incomplete)
}

const HOST: &str = "https://management.azure.com";

fn query_param<'a>(uri: &'a str, key: &str) -> Option<&'a str> {
    uri.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

async fn replay(pki: &TestPki, op: &RecordedOp) {
    let server = ScriptServer::start(pki).await;
    // validateForBackup needs only the outcome: our client skips the recorded clients' final
    // GET of the result on `Location` (a trailing operationResults request).
    let mut steps: Vec<_> = op.steps.iter().collect();
    if op.steps[0].method == "POST" {
        while steps.len() > 1
            && steps
                .last()
                .is_some_and(|s| s.method == "GET" && s.uri.contains("/operationResults/"))
        {
            steps.pop();
        }
    }
    for s in &steps {
        let mut step = Step::new(
            &s.method,
            s.uri.strip_prefix(HOST).unwrap_or(&s.uri).to_string(),
            s.status,
        )
        .raw_body(s.body.clone().into_bytes());
        for (k, v) in &s.headers {
            if [
                "azure-asyncoperation",
                "location",
                "x-ms-request-id",
                "x-ms-error-code",
                "content-type",
            ]
            .contains(&k.as_str())
            {
                step = step.header(k, v.replace(HOST, &server.base));
            }
        }
        server.push(step);
    }
    let first = &op.steps[0];
    let api = query_param(&first.uri, "api-version")
        .expect("api-version")
        .to_string();
    let path = path_of(first.uri.strip_prefix(HOST).unwrap_or(&first.uri)).to_string();
    let clock = VirtualClock::new();
    let config = AzureConfig {
        subscription_id: "00000000-0000-0000-0000-000000000000".into(),
        resource_manager_endpoint: Some(format!("{}/", server.base)),
        api_version: api,
        use_cli: false,
        ..AzureConfig::default()
    };
    let client = DataProtectionClient::builder(config)
        .http_client(pki.client())
        .credential(Arc::new(StaticTokenProvider(TOKEN.into())))
        .clock(clock.clone())
        .jitter(Arc::new(NoJitter))
        .build()
        .await
        .expect("client");
    let opts = OpOptions {
        deadline: clock.now() + Duration::from_secs(3 * 3600),
        cancel: CancellationToken::new(),
    };
    let result: Result<(), String> = match first.method.as_str() {
        "POST" => {
            let vault: BackupVaultId = path
                .trim_end_matches("/validateForBackup")
                .parse()
                .expect("vault id");
            let req: ValidateForBackupRequest =
                serde_json::from_str(first.request_body.as_deref().unwrap_or("{}"))
                    .expect("request");
            client
                .validate_for_backup(&vault, &req.backup_instance, &opts)
                .await
                .map_err(|e| e.to_string())
        }
        "PUT" => {
            let id: BackupInstanceId = path.parse().expect("instance id");
            let body: BackupInstanceResource =
                serde_json::from_str(first.request_body.as_deref().unwrap_or("{}"))
                    .expect("request");
            client
                .put_backup_instance(&id, &body, &opts)
                .await
                .map(|r| {
                    assert_eq!(
                        r.properties.provisioning_state.as_deref(),
                        Some("Succeeded"),
                        "{}",
                        op.source
                    );
                })
                .map_err(|e| e.to_string())
        }
        "DELETE" => {
            let id: BackupInstanceId = path.parse().expect("instance id");
            client
                .delete_backup_instance(&id, &opts)
                .await
                .map_err(|e| e.to_string())
        }
        other => panic!("{}: unexpected method {other}", op.source),
    };
    match op.outcome {
        Some(Terminal::Succeeded) => assert!(result.is_ok(), "{}: {result:?}", op.source),
        _ => assert!(result.is_err(), "{}: expected a failure", op.source),
    }
    server.assert_done();
    // The client made exactly the recorded requests, status URLs byte for byte.
    assert_eq!(server.seen().len(), steps.len(), "{}", op.source);
}

/// Each complete recorded operation (validate, create, delete) replayed in order gives the same
/// outcome with the same requests.
#[tokio::test]
async fn recorded_operations_replay_to_the_same_outcome() {
    let pki = TestPki::new();
    let mut replayed = 0;
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for (name, list) in recordings() {
        let (ops, _incomplete) = recorded_ops(&name, &list);
        for op in &ops {
            replay(&pki, op).await;
            replayed += 1;
            *per_kind.entry(op.steps[0].method.clone()).or_default() += 1;
        }
    }
    eprintln!("replayed {replayed} recorded operations: {per_kind:?}");
    for m in ["POST", "PUT", "DELETE"] {
        assert!(
            per_kind.get(m).copied().unwrap_or(0) > 0,
            "no {m} operation replayed: {per_kind:?}"
        );
    }
    assert!(
        replayed >= 10,
        "only {replayed} operations replayed: {per_kind:?}"
    );
}

/// The one recording that keeps real header casing and Retry-After (Azure PowerShell) says 10 s,
/// and our parser reads that header form.
#[test]
fn powershell_excerpt_retry_after() {
    let path = azure_fixtures()
        .join("recordings")
        .join("powershell_New-AzDataProtectionBackupInstance.validateRestore-202.excerpt.txt");
    let text = std::fs::read_to_string(&path).expect("excerpt");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("\"Retry-After\""))
        .expect("Retry-After line");
    let value = line.split('"').nth(3).expect("value");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Retry-After", value.parse().unwrap());
    assert_eq!(
        terraform_provider_azurebackup::azure::http::retry::retry_after(&headers),
        Some(Duration::from_secs(10))
    );
    assert!(text.contains("\"status\":\"Inprogress\""));
    assert_eq!(classify("Inprogress"), None);
}
