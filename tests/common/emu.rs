//! The emulator as end-to-end tests use it: started in-process with zero-latency knobs, an admin
//! client that trusts its CA, and workdirs whose environment points the provider at it.
#![allow(dead_code)]

use std::time::Duration;

use azurebackup_emulator::{EmulatorHandle, EmulatorOptions, Knobs, start};
use serde_json::{Value, json};

use super::{Terraform, Workdir};

pub const SUB: &str = "11111111-1111-1111-1111-111111111111";

pub fn vault() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    )
}
pub fn policy(name: &str) -> String {
    format!("{}/backupPolicies/{name}", vault())
}
pub fn rg(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{name}")
}
pub fn disk(name: &str) -> String {
    format!("{}/providers/Microsoft.Compute/disks/{name}", rg("rg-data"))
}
pub fn pg_database(db: &str) -> String {
    format!(
        "{}/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/{db}",
        rg("rg-data")
    )
}
pub fn pg_flex(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}",
        rg("rg-data")
    )
}
pub const KV_SECRET: &str = "https://kv-demo.vault.azure.net/secrets/pg-conn";

/// Operations finish at once and Retry-After is 0, so tests measure the provider, not waiting.
pub fn zero_latency() -> Knobs {
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
    rt: tokio::runtime::Runtime,
    pub handle: EmulatorHandle,
    client: reqwest::Client,
}

impl Emu {
    pub fn start() -> Emu {
        Self::start_with(zero_latency())
    }

    pub fn start_with(knobs: Knobs) -> Emu {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let handle = rt
            .block_on(start(EmulatorOptions {
                knobs: Some(knobs),
                ..EmulatorOptions::default()
            }))
            .expect("emulator starts");
        let mut b = reqwest::Client::builder().timeout(Duration::from_secs(20));
        if let Some(pem) = &handle.ca_pem {
            b = b.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA PEM")]);
        }
        let client = b.build().expect("client");
        Emu { rt, handle, client }
    }

    /// Calls the admin API; panics (with the body) unless it answers 2xx.
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.handle.admin, path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.rt.block_on(async {
            let mut req = self.client.request(method.clone(), &url);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            assert!(
                status.is_success(),
                "{method} {url} answered {status}: {text}"
            );
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            }
        })
    }

    pub fn knobs(&self, patch: Value) {
        self.admin("PUT", "/knobs", Some(patch));
    }

    pub fn instances(&self) -> Vec<Value> {
        self.admin("GET", "/instances", None)["instances"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn delete_out_of_band(&self, id: &str) {
        let enc: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        self.admin("DELETE", &format!("/instances/{enc}"), None);
    }

    pub fn revoke(&self, scope: &str, role: &str) {
        let r = self.admin(
            "DELETE",
            "/grants",
            Some(json!({"vault": "vault-demo", "scope": scope, "role": role})),
        );
        assert!(
            r["removed"].as_u64().unwrap_or(0) >= 1,
            "nothing revoked for {role} on {scope}: {r}"
        );
    }

    pub fn grant(&self, scope: &str, role: &str) {
        self.admin(
            "POST",
            "/grants",
            Some(json!({"vault": "vault-demo", "scope": scope, "role": role})),
        );
    }

    /// Adds a second policy for a datasource type, for in-place policy changes.
    pub fn add_policy(&self, name: &str, datasource_type: &str) {
        let mut world = self.admin("GET", "/world", None);
        world["policies"]
            .as_array_mut()
            .expect("policies")
            .push(json!({"id": policy(name), "datasource_type": datasource_type}));
        self.admin("PUT", "/world", Some(world));
    }

    /// Sets the demo vault's soft delete (`Off`, `On`, `AlwaysOn`).
    pub fn set_soft_delete(&self, state: &str) {
        let mut world = self.admin("GET", "/world", None);
        world["vaults"][0]["soft_delete"] = json!({"state": state, "retention_days": 14});
        self.admin("PUT", "/world", Some(world));
    }

    /// Soft-deleted instances of every vault.
    pub fn deleted_instances(&self) -> Vec<Value> {
        self.admin("GET", "/deleted-instances", None)["deleted_instances"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How many ARM requests (token and admin calls excluded) the emulator served since the
    /// last call, which resets the counters.
    pub fn take_arm_requests(&self) -> u64 {
        let c = self.counters();
        let n = c["operations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "token" | "admin" | "managedIdentityToken" | "metadata" | "discovery"
                        )
                    })
                    .map(|(_, v)| v["count"].as_u64().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0);
        self.admin("DELETE", "/requests", None);
        n
    }

    /// Per-operation request counts.
    pub fn counters(&self) -> Value {
        self.admin("GET", "/counters", None)
    }

    /// A workdir (dev_overrides) whose Terraform runs see the emulator's ARM_* variables.
    pub fn workdir(&self, tf: &Terraform) -> Workdir {
        let mut wd = Workdir::new(tf);
        for (k, v) in &self.handle.env {
            wd.env(k, v);
        }
        wd
    }
}
