//! Shared helpers for the emulator's black-box tests: start an emulator in-process with fast
//! knobs, a reqwest client that trusts its CA, a token, and the request bodies the tests send.
#![allow(dead_code)]

use std::time::Duration;

use azurebackup_emulator::{EmulatorHandle, EmulatorOptions, Knobs, start};
use serde_json::{Value, json};

pub const SUB: &str = "11111111-1111-1111-1111-111111111111";
pub const TENANT: &str = "22222222-2222-2222-2222-222222222222";
pub const CLIENT_ID: &str = "33333333-3333-3333-3333-333333333333";
pub const SECRET: &str = "emulator-client-secret";
pub const PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";
pub const NEW: &str = "2025-07-01";
pub const OLD: &str = "2021-01-01";

pub fn vault() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    )
}

pub fn data_rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-data")
}

pub fn disk(name: &str) -> String {
    format!("{}/providers/Microsoft.Compute/disks/{name}", data_rg())
}

pub fn policy(name: &str) -> String {
    format!("{}/backupPolicies/{name}", vault())
}

/// Every duration zero and Retry-After zero: operations are terminal at the first poll.
pub fn fast_knobs() -> Knobs {
    Knobs {
        validate_ms: 0,
        put_ms: 0,
        protection_ms: 0,
        delete_ms: 0,
        retry_after: 0,
        ..Knobs::default()
    }
}

pub struct Emu {
    pub handle: EmulatorHandle,
    pub client: reqwest::Client,
    pub token: String,
}

pub fn client_for(handle: &EmulatorHandle) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &handle.ca_pem {
        b = b.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA PEM")]);
    }
    b.build().expect("client")
}

pub async fn get_token(client: &reqwest::Client, endpoint: &str) -> String {
    let resp = client
        .post(format!("{endpoint}/{TENANT}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("token JSON");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

pub async fn start_with(opts: EmulatorOptions) -> Emu {
    let handle = start(opts).await.expect("emulator starts");
    let client = client_for(&handle);
    let token = get_token(&client, &handle.endpoint).await;
    Emu {
        handle,
        client,
        token,
    }
}

pub async fn start_fast() -> Emu {
    start_with(EmulatorOptions {
        knobs: Some(fast_knobs()),
        ..Default::default()
    })
    .await
}

/// An HTTP answer reduced to what the tests look at.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Emu {
    pub fn url(&self, path_and_query: &str) -> String {
        if path_and_query.starts_with("http") {
            path_and_query.to_string()
        } else {
            format!("{}{}", self.handle.endpoint, path_and_query)
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let mut rb = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let mut rb = self
            .client
            .request(method, format!("{}{}", self.handle.admin, path));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.expect("admin request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn knobs(&self, patch: Value) {
        let a = self
            .admin(reqwest::Method::PUT, "/knobs", Some(&patch))
            .await;
        assert_eq!(a.status, 200, "knobs: {}", a.text);
    }

    /// Polls an Azure-AsyncOperation URL until the status is terminal (bounded).
    pub async fn poll(&self, url: &str) -> Value {
        for _ in 0..400 {
            let a = self.get(url).await;
            assert_eq!(a.status, 200, "status poll: {}", a.text);
            let s = a.body["status"].as_str().unwrap_or("").to_string();
            if s != "Inprogress" {
                return a.body;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("operation {url} did not finish");
    }

    pub fn instance_path(&self, name: &str, api: &str) -> String {
        format!("{}/backupInstances/{name}?api-version={api}", vault())
    }

    /// validate → poll → PUT → poll; returns the final status of the PUT operation.
    pub async fn protect(&self, name: &str, props: &Value, api: &str) -> Value {
        let v = self
            .post(
                &format!("{}/validateForBackup?api-version={api}", vault()),
                &json!({"backupInstance": props}),
            )
            .await;
        assert_eq!(v.status, 202, "validate: {}", v.text);
        let st = self
            .poll(&v.header("azure-asyncoperation").expect("AO header"))
            .await;
        assert_eq!(st["status"], "Succeeded", "validation: {st}");
        let p = self
            .put(
                &self.instance_path(name, api),
                &json!({"properties": props}),
            )
            .await;
        assert_eq!(p.status, 201, "put: {}", p.text);
        self.poll(&p.header("azure-asyncoperation").expect("AO header"))
            .await
    }
}

/// A disk backup instance body (snapshot resource group `rg-snapshots`).
pub fn disk_props(disk_name: &str, policy_name: &str) -> Value {
    json!({
        "objectType": "BackupInstance",
        "friendlyName": disk_name,
        "dataSourceInfo": {
            "objectType": "Datasource",
            "resourceID": disk(disk_name),
            "resourceName": disk_name,
            "resourceType": "Microsoft.Compute/disks",
            "resourceUri": disk(disk_name),
            "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.Compute/disks"
        },
        "policyInfo": {
            "policyId": policy(policy_name),
            "policyParameters": {"dataStoreParametersList": [{
                "objectType": "AzureOperationalStoreParameters",
                "dataStoreType": "OperationalStore",
                "resourceGroupId": format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
            }]}
        }
    })
}

/// A PostgreSQL single-server database instance body with its Key Vault secret.
pub fn pg_props(db: &str) -> Value {
    let server = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/servers/pg-single",
        data_rg()
    );
    json!({
        "objectType": "BackupInstance",
        "friendlyName": format!("pg-single/{db}"),
        "dataSourceInfo": {
            "objectType": "Datasource", "resourceID": format!("{server}/databases/{db}"), "resourceName": db,
            "resourceType": "Microsoft.DBforPostgreSQL/servers/databases", "resourceUri": "", "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.DBforPostgreSQL/servers/databases"
        },
        "dataSourceSetInfo": {
            "objectType": "DatasourceSet", "resourceID": server, "resourceName": "pg-single",
            "resourceType": "Microsoft.DBforPostgreSQL/servers", "resourceUri": "", "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.DBforPostgreSQL/servers/databases"
        },
        "datasourceAuthCredentials": {
            "objectType": "SecretStoreBasedAuthCredentials",
            "secretStoreResource": {"secretStoreType": "AzureKeyVault", "uri": "https://kv-demo.vault.azure.net/secrets/pg-conn"}
        },
        "policyInfo": {"policyId": policy("policy-postgres")}
    })
}

/// A PostgreSQL flexible server instance body.
pub fn pgflex_props(server: &str) -> Value {
    let id = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{server}",
        data_rg()
    );
    json!({
        "objectType": "BackupInstance",
        "friendlyName": server,
        "dataSourceInfo": {
            "objectType": "Datasource", "resourceID": id, "resourceName": server,
            "resourceType": "Microsoft.DBforPostgreSQL/flexibleServers", "resourceUri": id, "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.DBforPostgreSQL/flexibleServers"
        },
        "policyInfo": {"policyId": policy("policy-pgflex")}
    })
}
