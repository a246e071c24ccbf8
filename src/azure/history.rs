//! What a backup instance has done: backup jobs, recovery points and the backup rules of its
//! policy, as plain types read tolerantly from the service's JSON (unknown fields ignored,
//! enum-like values kept as strings), plus the rules for telling a running job from a finished
//! one and a job's ID from another vault's.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::azure::arm_id::BackupVaultId;
use crate::azure::models::UserFacingError;

/// A job of one vault, named by its GUID (the last segment of its ARM ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    pub vault: BackupVaultId,
    pub guid: String,
}

impl JobRef {
    /// Reads a job ID as the service gives it: a bare GUID (the spec's examples) or the job's
    /// full ARM ID (recorded). An ARM ID must name `vault`'s `backupJobs`: a job of another
    /// vault is refused, never fetched from this one.
    pub fn parse(vault: &BackupVaultId, text: &str) -> Result<JobRef, String> {
        let t = text.trim();
        if let Ok(u) = uuid::Uuid::parse_str(t) {
            return Ok(JobRef {
                vault: vault.clone(),
                guid: u.hyphenated().to_string(),
            });
        }
        let (prefix, guid) = t
            .rsplit_once('/')
            .ok_or_else(|| format!("{t:?} is neither a job GUID nor a backup job ARM ID"))?;
        let (vault_text, segment) = prefix.rsplit_once('/').ok_or_else(|| {
            format!("{t:?} is not a backup job ARM ID ({vault}/backupJobs/{{guid}})")
        })?;
        let guid = uuid::Uuid::parse_str(guid)
            .map_err(|_| format!("the job name in {t:?} is not a GUID"))?;
        if !segment.eq_ignore_ascii_case("backupJobs") {
            return Err(format!(
                "{t:?} is not a backup job ARM ID ({vault}/backupJobs/{{guid}})"
            ));
        }
        let job_vault: BackupVaultId = vault_text
            .parse()
            .map_err(|e| format!("{t:?} does not name a Backup vault: {e}"))?;
        if !same_vault(&job_vault, vault) {
            return Err(format!(
                "the job {t} belongs to the Backup vault {job_vault}, not to {vault}"
            ));
        }
        Ok(JobRef {
            vault: vault.clone(),
            guid: guid.hyphenated().to_string(),
        })
    }

    /// `{vault}/backupJobs/{guid}`.
    pub fn arm_id(&self) -> String {
        format!("{}/backupJobs/{}", self.vault, self.guid)
    }
}

/// Vault IDs compare case-insensitively (ARM does).
pub fn same_vault(a: &BackupVaultId, b: &BackupVaultId) -> bool {
    crate::azure::wait::same_arm_id(&a.to_string(), &b.to_string())
}

/// Where a job stands. The service's spelling varies (`InProgress`, `Inprogress`); statuses
/// compare case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// `Started`, `InProgress`, `Cancelling`, `Paused` (the last two inferred as not ended), and
    /// any status this client does not know (the caller's deadline bounds the wait).
    Running,
    Completed,
    CompletedWithWarnings,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn of(status: &str) -> JobState {
        let s = status.trim();
        let is = |x: &str| s.eq_ignore_ascii_case(x);
        if is("Completed") || is("Succeeded") {
            JobState::Completed
        } else if is("CompletedWithWarnings") {
            JobState::CompletedWithWarnings
        } else if is("Failed") {
            JobState::Failed
        } else if is("Cancelled") || is("Canceled") {
            JobState::Cancelled
        } else {
            JobState::Running
        }
    }

    pub fn is_terminal(self) -> bool {
        self != JobState::Running
    }
}

/// One backup (or restore, ...) job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupJob {
    /// The job's ARM ID.
    pub id: String,
    /// Its GUID.
    pub job_id: String,
    pub operation: String,
    pub status: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub duration: Option<String>,
    pub backup_instance_id: Option<String>,
    pub datasource_id: Option<String>,
    pub is_user_triggered: Option<bool>,
    /// `errorDetails[]`: why it failed, or the warnings it completed with.
    pub errors: Vec<UserFacingError>,
    /// `extendedInfo.recoveryPointId`, when the service names the point the job made.
    pub recovery_point_id: Option<String>,
}

impl BackupJob {
    pub fn state(&self) -> JobState {
        JobState::of(&self.status)
    }

    /// Start time as a sortable instant (`None` when absent or unreadable).
    pub fn started_at(&self) -> Option<OffsetDateTime> {
        self.start_time.as_deref().and_then(parse_time)
    }
}

/// One recovery point of a backup instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecoveryPoint {
    /// The point's ARM ID.
    pub id: String,
    pub recovery_point_id: String,
    /// `recoveryPointTime`, as the service wrote it.
    pub time: String,
    /// `Full`, `Incremental`, ...
    pub point_type: Option<String>,
    /// The first data store holding it (`OperationalStore`, `VaultStore`, `ArchiveStore`).
    pub data_store_type: Option<String>,
    /// Every data store holding it.
    pub data_store_types: Vec<String>,
    pub retention_tag: Option<String>,
    pub expiry_time: Option<String>,
    /// `Completed`, `Partial`, ...
    pub state: Option<String>,
}

impl RecoveryPoint {
    pub fn at(&self) -> Option<OffsetDateTime> {
        parse_time(&self.time)
    }
}

/// RFC 3339 with or without a zone (`0001-01-01T00:00:00` is written both ways); any number
/// of fractional digits up to nine (the service writes seven).
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).ok())
}

/// RFC 3339 in UTC with seconds, as the service's `$filter` takes it.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// The backup rules of a policy (`policyRules[]` with `objectType: AzureBackupRule`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupPolicy {
    pub id: String,
    pub datasource_types: Vec<String>,
    pub backup_rules: Vec<PolicyBackupRule>,
}

/// One backup rule: its name (what an adhoc backup's `ruleName` must be) and its retention
/// tags (`trigger.taggingCriteria[].tagInfo.tagName`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyBackupRule {
    pub name: String,
    pub tags: Vec<String>,
    /// The tag marked `isDefault` (else one named `Default`).
    pub default_tag: Option<String>,
}

impl BackupPolicy {
    /// Reads a policy body; rules of other object types (retention rules) are skipped.
    pub fn from_json(v: &Value) -> BackupPolicy {
        let props = &v["properties"];
        let strings = |x: &Value| -> Vec<String> {
            x.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut backup_rules = Vec::new();
        for r in props["policyRules"].as_array().into_iter().flatten() {
            let is_backup = r["objectType"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("AzureBackupRule"));
            let Some(name) = r["name"].as_str().filter(|_| is_backup) else {
                continue;
            };
            let mut tags = Vec::new();
            let mut default_tag = None;
            for c in r["trigger"]["taggingCriteria"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(t) = c["tagInfo"]["tagName"].as_str() {
                    if c["isDefault"].as_bool() == Some(true) && default_tag.is_none() {
                        default_tag = Some(t.to_string());
                    }
                    tags.push(t.to_string());
                }
            }
            if default_tag.is_none() {
                default_tag = tags
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case("Default"))
                    .cloned();
            }
            backup_rules.push(PolicyBackupRule {
                name: name.to_string(),
                tags,
                default_tag,
            });
        }
        BackupPolicy {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            datasource_types: strings(&props["datasourceTypes"]),
            backup_rules,
        }
    }

    /// `rule: tag, tag; rule: tag` for error messages.
    pub fn describe_rules(&self) -> String {
        if self.backup_rules.is_empty() {
            return "none".into();
        }
        self.backup_rules
            .iter()
            .map(|r| format!("{} (retention tags: {})", r.name, r.tags.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The rule and tag an adhoc backup uses: the given ones, checked against this policy
    /// (case-insensitively, answered in the policy's spelling), else its only backup rule and
    /// that rule's default tag. The error says what the policy has.
    pub fn choose(
        &self,
        rule_name: Option<&str>,
        retention_tag: Option<&str>,
    ) -> Result<(String, String), ChoiceError> {
        let name = self.id.rsplit('/').next().unwrap_or(&self.id).to_string();
        let rule = match rule_name {
            Some(r) => self
                .backup_rules
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(r))
                .ok_or_else(|| ChoiceError::Rule(format!(
                    "The policy {name} has no backup rule named {r:?}. Its backup rules: {}. (A retention rule such as \"Default\" is not a backup rule.)",
                    self.describe_rules()
                )))?,
            None => match self.backup_rules.as_slice() {
                [one] => one,
                [] => {
                    return Err(ChoiceError::Rule(format!(
                        "The policy {name} has no backup rule (objectType AzureBackupRule), so it takes no on-demand backup: a policy with only retention rules, such as an operational blob policy, backs up continuously."
                    )));
                }
                _ => {
                    return Err(ChoiceError::Rule(format!(
                        "The policy {name} has several backup rules; set rule_name to one of them: {}.",
                        self.describe_rules()
                    )));
                }
            },
        };
        let tag = match retention_tag {
            Some(t) => rule
                .tags
                .iter()
                .find(|x| x.eq_ignore_ascii_case(t))
                .cloned()
                .ok_or_else(|| {
                    ChoiceError::Tag(format!(
                        "The backup rule {} of policy {name} has no retention tag {t:?}. Its tags: {}.",
                        rule.name,
                        rule.tags.join(", ")
                    ))
                })?,
            None => rule.default_tag.clone().ok_or_else(|| {
                ChoiceError::Tag(format!(
                    "The backup rule {} of policy {name} has no default retention tag; set retention_tag to one of: {}.",
                    rule.name,
                    rule.tags.join(", ")
                ))
            })?,
        };
        Ok((rule.name.clone(), tag))
    }
}

/// Which input of an adhoc backup does not fit the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceError {
    Rule(String),
    Tag(String),
}

impl ChoiceError {
    pub fn message(&self) -> &str {
        match self {
            ChoiceError::Rule(m) | ChoiceError::Tag(m) => m,
        }
    }
}

// ---- wire shapes ----

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobResource {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: JobProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobProperties {
    pub operation: Option<String>,
    pub status: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub duration: Option<String>,
    pub backup_instance_id: Option<String>,
    pub data_source_id: Option<String>,
    pub is_user_triggered: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub error_details: Vec<UserFacingError>,
    pub extended_info: Option<Value>,
}

impl JobResource {
    pub(crate) fn into_job(self) -> BackupJob {
        let p = self.properties;
        let id = self.id.unwrap_or_default();
        let job_id = self
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_string());
        // A backup job names the point it made; a restore job the point it restores from
        // (`sourceRecoverPoint.recoveryPointID`, recorded spelling).
        let recovery_point_id = p.extended_info.as_ref().and_then(|e| {
            e.get("recoveryPointId")
                .or_else(|| e.get("sourceRecoverPoint")?.get("recoveryPointID"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        });
        BackupJob {
            id,
            job_id,
            operation: p.operation.unwrap_or_default(),
            status: p.status.unwrap_or_default(),
            // The service writes `0001-01-01T00:00:00` for "not yet".
            end_time: p.end_time.filter(|t| !t.starts_with("0001-")),
            start_time: p.start_time,
            duration: p.duration,
            backup_instance_id: p.backup_instance_id,
            datasource_id: p.data_source_id,
            is_user_triggered: p.is_user_triggered,
            errors: p.error_details,
            recovery_point_id,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobList {
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<JobResource>,
    pub next_link: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PointResource {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: PointProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PointProperties {
    pub recovery_point_id: Option<String>,
    pub recovery_point_time: Option<String>,
    pub recovery_point_type: Option<String>,
    pub retention_tag_name: Option<String>,
    pub expiry_time: Option<String>,
    pub recovery_point_state: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub recovery_point_data_stores_details: Vec<StoreDetail>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StoreDetail {
    #[serde(rename = "type")]
    pub store_type: Option<String>,
}

impl PointResource {
    pub(crate) fn into_point(self) -> RecoveryPoint {
        let p = self.properties;
        let id = self.id.unwrap_or_default();
        let stores: Vec<String> = p
            .recovery_point_data_stores_details
            .into_iter()
            .filter_map(|d| d.store_type)
            .collect();
        RecoveryPoint {
            recovery_point_id: p
                .recovery_point_id
                .or(self.name)
                .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_string()),
            id,
            time: p.recovery_point_time.unwrap_or_default(),
            point_type: p.recovery_point_type,
            data_store_type: stores.first().cloned(),
            data_store_types: stores,
            retention_tag: p.retention_tag_name,
            expiry_time: p.expiry_time,
            state: p.recovery_point_state,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PointList {
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<PointResource>,
    pub next_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(name: &str) -> BackupVaultId {
        format!("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/{name}").parse().unwrap()
    }

    #[test]
    fn job_ids_are_guids_or_arm_ids_of_this_vault() {
        let v = vault("v1");
        let g = "3c60cb49-63e8-4b21-b9bd-26277b3fdfae";
        assert_eq!(JobRef::parse(&v, g).unwrap().guid, g);
        let arm = format!("{v}/backupJobs/{g}");
        assert_eq!(JobRef::parse(&v, &arm).unwrap().arm_id(), arm);
        let lower = arm.to_ascii_lowercase();
        assert_eq!(JobRef::parse(&v, &lower).unwrap().guid, g);
        let other = format!("{}/backupJobs/{g}", vault("v2"));
        assert!(JobRef::parse(&v, &other).unwrap_err().contains("v2"));
        for bad in [
            "",
            "x",
            "../../x",
            &format!("{v}/backupInstances/{g}"),
            &format!("{v}/backupJobs/.."),
        ] {
            assert!(JobRef::parse(&v, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses() {
        for r in [
            "Started",
            "InProgress",
            "Inprogress",
            "Cancelling",
            "Paused",
            "New",
        ] {
            assert_eq!(JobState::of(r), JobState::Running, "{r}");
        }
        assert_eq!(JobState::of("completed"), JobState::Completed);
        assert_eq!(
            JobState::of("CompletedWithWarnings"),
            JobState::CompletedWithWarnings
        );
        assert_eq!(JobState::of("Failed"), JobState::Failed);
        assert_eq!(JobState::of("Cancelled"), JobState::Cancelled);
    }

    #[test]
    fn times() {
        let a = parse_time("2023-06-16T01:04:13.2361417Z").unwrap();
        let b = parse_time("2023-06-16T01:04:13").unwrap();
        assert!(a > b);
        assert_eq!(format_time(a), "2023-06-16T01:04:13.2361417Z");
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn policy_rules_and_choice() {
        let v: Value = serde_json::json!({"id": "/x/backupPolicies/p1", "properties": {"datasourceTypes": ["Microsoft.Compute/disks"], "policyRules": [
            {"name": "BackupHourly", "objectType": "AzureBackupRule", "trigger": {"taggingCriteria": [
                {"isDefault": true, "tagInfo": {"tagName": "Default"}},
                {"isDefault": false, "tagInfo": {"tagName": "Weekly"}}]}},
            {"name": "Default", "objectType": "AzureRetentionRule"}]}});
        let p = BackupPolicy::from_json(&v);
        assert_eq!(p.backup_rules.len(), 1);
        assert_eq!(
            p.choose(None, None).unwrap(),
            ("BackupHourly".into(), "Default".into())
        );
        assert_eq!(
            p.choose(Some("backuphourly"), Some("weekly")).unwrap(),
            ("BackupHourly".into(), "Weekly".into())
        );
        let e = p.choose(Some("Default"), None).unwrap_err();
        assert!(
            matches!(e, ChoiceError::Rule(_))
                && e.message()
                    .contains("BackupHourly (retention tags: Default, Weekly)"),
            "{e:?}"
        );
        let e = p.choose(None, Some("Yearly")).unwrap_err();
        assert!(
            matches!(e, ChoiceError::Tag(_)) && e.message().contains("Default, Weekly"),
            "{e:?}"
        );
        let none = BackupPolicy::from_json(
            &serde_json::json!({"id": "/x/backupPolicies/p2", "properties": {"policyRules": [{"name": "Default", "objectType": "AzureRetentionRule"}]}}),
        );
        assert!(
            none.choose(None, None)
                .unwrap_err()
                .message()
                .contains("continuously")
        );
    }
}
