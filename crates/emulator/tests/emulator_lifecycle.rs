//! Black-box tests of the secure-by-default lifecycle: vault soft delete, deleted instances and
//! undelete, stop / suspend / resume, `identityDetails`, and the api-versions that require
//! `AlwaysOn` soft delete.

#[path = "emulator_support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

const V2026: &str = "2026-06-01";

/// Sets the demo vault's soft delete (and user-assigned identities) through the admin API.
async fn set_vault(emu: &Emu, soft_delete: &str, uamis: &[&str]) {
    let mut world = emu.admin(Method::GET, "/world", None).await.body;
    world["vaults"][0]["soft_delete"] = json!({"state": soft_delete, "retention_days": 14});
    world["vaults"][0]["user_assigned_identities"] = json!(uamis);
    let a = emu.admin(Method::PUT, "/world", Some(&world)).await;
    assert_eq!(a.status, 200, "world: {}", a.text);
}

async fn post_action(emu: &Emu, name: &str, verb: &str, api: &str) -> Answer {
    emu.post(
        &format!(
            "{}/backupInstances/{name}/{verb}?api-version={api}",
            vault()
        ),
        &json!({}),
    )
    .await
}

/// Runs an action to its end and returns the instance's state afterwards.
async fn act(emu: &Emu, name: &str, verb: &str, api: &str) -> String {
    let a = post_action(emu, name, verb, api).await;
    assert_eq!(a.status, 202, "{verb}: {}", a.text);
    assert!(a.header("location").is_some());
    let st = emu.poll(&a.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Succeeded", "{verb}: {st}");
    let g = emu.get(&emu.instance_path(name, api)).await;
    assert_eq!(g.status, 200, "{}", g.text);
    let state = g.body["properties"]["currentProtectionState"].clone();
    assert_eq!(state, g.body["properties"]["protectionStatus"]["status"]);
    state.as_str().unwrap_or_default().to_string()
}

fn deleted_path(name: &str, api: &str) -> String {
    format!(
        "{}/deletedBackupInstances/{name}?api-version={api}",
        vault()
    )
}

/// In an AlwaysOn vault a DELETE moves the instance to deletedBackupInstances (404 on the
/// instance); a new instance for the same name or datasource is refused naming it; undelete
/// brings it back in ProtectionStopped and resumeProtection protects it again.
#[tokio::test]
async fn soft_delete_undelete_and_resume() {
    let emu = start_fast().await;
    set_vault(&emu, "AlwaysOn", &[]).await;
    let st = emu
        .protect("bi-sd", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    assert_eq!(st["status"], "Succeeded");
    let d = emu.delete(&emu.instance_path("bi-sd", NEW)).await;
    assert_eq!(d.status, 202);
    emu.poll(&d.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(emu.get(&emu.instance_path("bi-sd", NEW)).await.status, 404);

    let list = emu
        .get(&format!(
            "{}/deletedBackupInstances?api-version={NEW}",
            vault()
        ))
        .await;
    assert_eq!(list.status, 200);
    let items = list.body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let one = emu.get(&deleted_path("bi-sd", NEW)).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, items[0]);
    let p = &one.body["properties"];
    assert_eq!(p["objectType"], "DeletedBackupInstance");
    assert_eq!(p["currentProtectionState"], "SoftDeleted");
    assert_eq!(p["protectionStatus"]["status"], "SoftDeleted");
    assert_eq!(
        one.body["type"],
        "Microsoft.DataProtection/backupVaults/deletedBackupInstances"
    );
    let info = &p["deletionInfo"];
    assert_eq!(info["billingEndDate"], info["deletionTime"]);
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(
        parse(&info["scheduledPurgeTime"]) - parse(&info["deletionTime"]),
        time::Duration::days(14)
    );

    // Strict reading: same name, or same datasource in the same vault, is refused.
    let again = emu
        .put(
            &emu.instance_path("bi-sd", NEW),
            &json!({"properties": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.text);
    assert_eq!(again.code(), "UserErrorSoftDeletedBackupInstanceExists");
    assert!(again.text.contains("deletedBackupInstances/bi-sd"));
    assert!(again.text.contains("scheduled to be purged at"));
    let other_name = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!(other_name.status, 400);
    assert_eq!(
        other_name.code(),
        "UserErrorSoftDeletedBackupInstanceExists"
    );

    let u = emu
        .post(
            &format!(
                "{}/deletedBackupInstances/bi-sd/undelete?api-version={NEW}",
                vault()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(u.status, 202, "{}", u.text);
    assert!(u.header("location").is_some());
    emu.poll(&u.header("azure-asyncoperation").unwrap()).await;
    let g = emu.get(&emu.instance_path("bi-sd", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionStopped"
    );
    assert_eq!(emu.get(&deleted_path("bi-sd", NEW)).await.status, 404);
    assert_eq!(
        act(&emu, "bi-sd", "resumeProtection", NEW).await,
        "ProtectionConfigured"
    );

    let missing = emu
        .post(
            &format!(
                "{}/deletedBackupInstances/nope/undelete?api-version={NEW}",
                vault()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body["ErrorCode"],
        "UserErrorGenericResourceNotFound"
    );
    let counters = emu.admin(Method::GET, "/counters", None).await.body;
    assert!(counters.to_string().contains("undeleteBackupInstance"));
}

/// With soft delete Off, a DELETE removes the instance for good and the deleted list is empty.
#[tokio::test]
async fn soft_delete_off_deletes_for_good() {
    let emu = start_fast().await;
    emu.protect("bi-off", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    let d = emu.delete(&emu.instance_path("bi-off", NEW)).await;
    emu.poll(&d.header("azure-asyncoperation").unwrap()).await;
    let list = emu
        .get(&format!(
            "{}/deletedBackupInstances?api-version={NEW}",
            vault()
        ))
        .await;
    assert_eq!(list.body, json!({"value": []}));
    emu.protect("bi-off", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
}

/// Suspend, stop, resume as long-running operations; actions from the wrong state are refused;
/// a policy update of a stopped instance keeps it stopped.
#[tokio::test]
async fn stop_suspend_and_resume() {
    let emu = start_fast().await;
    emu.protect("bi-act", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    let wrong = post_action(&emu, "bi-act", "resumeBackups", NEW).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.code(), "UserErrorInvalidProtectionStateForOperation");
    assert_eq!(
        act(&emu, "bi-act", "suspendBackups", NEW).await,
        "BackupsSuspended"
    );
    assert_eq!(
        act(&emu, "bi-act", "resumeBackups", NEW).await,
        "ProtectionConfigured"
    );
    assert_eq!(
        act(&emu, "bi-act", "suspendBackups", NEW).await,
        "BackupsSuspended"
    );
    assert_eq!(
        act(&emu, "bi-act", "stopProtection", NEW).await,
        "ProtectionStopped"
    );
    let up = emu
        .put(
            &emu.instance_path("bi-act", NEW),
            &json!({"properties": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!(up.status, 202, "{}", up.text);
    emu.poll(&up.header("azure-asyncoperation").unwrap()).await;
    let g = emu.get(&emu.instance_path("bi-act", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionStopped"
    );
    assert_eq!(
        act(&emu, "bi-act", "resumeProtection", NEW).await,
        "ProtectionConfigured"
    );
    let counters = emu.admin(Method::GET, "/counters", None).await.body;
    for name in [
        "stopProtection",
        "suspendBackups",
        "resumeProtection",
        "resumeBackups",
    ] {
        assert!(counters.to_string().contains(name), "{name}");
    }
}

/// 2025-09-01 and 2026-06-01 refuse a vault without AlwaysOn soft delete with the service's
/// message and recommended action; with AlwaysOn they work.
#[tokio::test]
async fn new_api_versions_require_always_on() {
    let emu = start_fast().await;
    for (state, api) in [("Off", V2026), ("On", V2026), ("On", "2025-09-01")] {
        set_vault(&emu, state, &[]).await;
        let a = emu.get(&emu.instance_path("x", api)).await;
        assert_eq!(a.status, 400, "{state} {api}: {}", a.text);
        assert!(a.text.contains("This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft Delete."));
        let info = &a.body["error"]["additionalInfo"][0]["info"];
        assert!(
            info["recommendedAction"][0]
                .as_str()
                .unwrap()
                .contains("use an older API version instead")
        );
    }
    // 2025-07-01 does not enforce it.
    assert_eq!(emu.get(&emu.instance_path("x", NEW)).await.status, 404);
    set_vault(&emu, "AlwaysOn", &[]).await;
    let st = emu
        .protect("bi-new", &disk_props("disk-1", "policy-disk"), V2026)
        .await;
    assert_eq!(st["status"], "Succeeded");
    let g = emu.get(&emu.instance_path("bi-new", V2026)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionConfigured"
    );
    let v = emu.get(&format!("{}?api-version={V2026}", vault())).await;
    assert_eq!(
        v.body["properties"]["securitySettings"]["softDeleteSettings"]["state"],
        "AlwaysOn"
    );
}

/// `identityDetails` must name a user-assigned identity attached to the vault.
#[tokio::test]
async fn identity_details_are_checked_against_the_vault() {
    let emu = start_fast().await;
    let uami = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-1"
    );
    set_vault(&emu, "Off", &[&uami]).await;
    let mut props = disk_props("disk-1", "policy-disk");
    props["identityDetails"] = json!({"useSystemAssignedIdentity": false, "userAssignedIdentityArmUrl": uami.replace("uami-1", "uami-2")});
    let a = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.text
            .contains("The User Identity provided in input is not attached to the Backup Vault")
    );
    props["identityDetails"]["userAssignedIdentityArmUrl"] = json!(uami);
    let st = emu.protect("bi-uami", &props, NEW).await;
    assert_eq!(st["status"], "Succeeded");
    let g = emu.get(&emu.instance_path("bi-uami", NEW)).await;
    assert_eq!(
        g.body["properties"]["identityDetails"]["userAssignedIdentityArmUrl"],
        json!(uami)
    );
    let v = emu.get(&format!("{}?api-version={NEW}", vault())).await;
    assert!(v.body["identity"]["userAssignedIdentities"][&uami].is_object());
}
