//! The policies room: a policy's effective backup rule (the world file's, else the one a policy
//! of that kind usually has) and the policy as the service returns it (`policyRules[]`: the
//! `AzureBackupRule` with its schedule and tagging criteria, then one `AzureRetentionRule` per tag).

use serde_json::{Value, json};

use super::armpath::last_segment;
use super::kinds::types::*;
use super::world::{BackupRule, DataStore, Policy, RetentionTag};

/// The anchor of the built-in schedules (a whole hour, so runs land on round times).
const ANCHOR: &str = "2024-01-01T06:00:00+00:00";

fn tag(name: &str, retention: &str, criteria: Option<&str>) -> RetentionTag {
    RetentionTag {
        name: name.into(),
        retention: retention.into(),
        criteria: criteria.map(str::to_string),
    }
}

fn rule(name: &str, period: &str, backup_type: &str, tags: Vec<RetentionTag>) -> BackupRule {
    BackupRule {
        name: name.into(),
        schedule: format!("R/{ANCHOR}/{period}"),
        backup_type: backup_type.into(),
        tags,
    }
}

/// Where the policy keeps its backups: the world file's store, else the kind's usual one.
pub fn data_store(p: &Policy) -> DataStore {
    p.data_store.unwrap_or_else(|| {
        if [DISK_TYPE, AKS_TYPE, ESAN_VOLUME_GROUP_TYPE, BLOB_TYPE]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&p.datasource_type))
        {
            DataStore::OperationalStore
        } else {
            DataStore::VaultStore
        }
    })
}

/// The rule the policy's backups run by. `None` for an operational blob policy, which backs up
/// continuously and has only a retention rule (documented: operational blob backup is
/// continuous; adhoc backup of it is refused).
pub fn backup_rule(p: &Policy) -> Option<BackupRule> {
    if let Some(r) = &p.backup_rule {
        return Some(r.clone());
    }
    let t = p.datasource_type.as_str();
    let is = |x: &str| x.eq_ignore_ascii_case(t);
    let store = data_store(p);
    // Rule names and periods as the portal and the CLI's policy templates write them.
    Some(if is(DISK_TYPE) || is(AKS_TYPE) {
        rule(
            "BackupHourly",
            "PT4H",
            "Incremental",
            vec![tag("Default", "P7D", None)],
        )
    } else if is(BLOB_TYPE) || is(ADLS_TYPE) {
        if store == DataStore::OperationalStore {
            return None;
        }
        rule(
            "BackupDaily",
            "P1D",
            "Discrete",
            vec![tag("Default", "P30D", None)],
        )
    } else if is(ESAN_VOLUME_GROUP_TYPE) {
        rule(
            "BackupDaily",
            "P1D",
            "Incremental",
            vec![tag("Default", "P7D", None)],
        )
    } else if is(COSMOS_TYPE) {
        rule(
            "BackupDaily",
            "P1D",
            "Full",
            vec![tag("Default", "P30D", None)],
        )
    } else {
        // PostgreSQL (single and flexible) and MySQL flexible: weekly full backups.
        rule(
            "BackupWeekly",
            "P1W",
            "Full",
            vec![tag("Default", "P3M", None)],
        )
    })
}

fn store_info(store: DataStore) -> Value {
    json!({"dataStoreType": store, "objectType": "DataStoreInfoBase"})
}

fn criteria(c: &str) -> Value {
    json!([{"objectType": "ScheduleBasedBackupCriteria", "absoluteCriteria": [c]}])
}

/// `GET {vault}/backupPolicies/{name}`'s body.
pub fn render(p: &Policy) -> Value {
    let store = data_store(p);
    let mut rules = Vec::new();
    let retention = |name: &str, is_default: bool, duration: &str| {
        json!({
            "name": name, "objectType": "AzureRetentionRule", "isDefault": is_default,
            "lifecycles": [{
                "deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": duration},
                "sourceDataStore": store_info(store),
                "targetDataStoreCopySettings": []
            }]
        })
    };
    match backup_rule(p) {
        Some(r) => {
            let tagging: Vec<Value> = r
                .tags
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mut v = json!({
                        "isDefault": t.criteria.is_none(),
                        "tagInfo": {"id": format!("{}_", t.name), "tagName": t.name},
                        "taggingPriority": if t.criteria.is_none() { 99 } else { 10 + i as u64 },
                    });
                    if let Some(c) = &t.criteria {
                        v["criteria"] = criteria(c);
                    }
                    v
                })
                .collect();
            rules.push(json!({
                "name": r.name,
                "objectType": "AzureBackupRule",
                "backupParameters": {"objectType": "AzureBackupParams", "backupType": r.backup_type},
                "dataStore": store_info(store),
                "trigger": {
                    "objectType": "ScheduleBasedTriggerContext",
                    "schedule": {"repeatingTimeIntervals": [r.schedule], "timeZone": "UTC"},
                    "taggingCriteria": tagging,
                }
            }));
            for t in &r.tags {
                rules.push(retention(&t.name, t.criteria.is_none(), &t.retention));
            }
        }
        None => rules.push(retention("Default", true, "P30D")),
    }
    json!({
        "id": p.id,
        "name": last_segment(&p.id),
        "type": "Microsoft.DataProtection/backupVaults/backupPolicies",
        "properties": {
            "datasourceTypes": [p.datasource_type],
            "objectType": "BackupPolicy",
            "policyRules": rules,
        }
    })
}
