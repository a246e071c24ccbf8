//! Behaviour knobs: operation durations, Retry-After, paging, protection outcomes and seeded
//! fault injection. Settable from flags and at run time (`PUT /admin/knobs`, partial JSON).

use serde::{Deserialize, Serialize};

use super::armpath::glob_match;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    /// How long validateForBackup runs before its status is terminal.
    pub validate_ms: u64,
    /// How long the PUT's own operation runs (real: 0–2 s).
    pub put_ms: u64,
    /// After the PUT operation, how long protection stays `ConfiguringProtection`.
    pub protection_ms: u64,
    /// How long a DELETE runs.
    pub delete_ms: u64,
    /// Seconds sent in `Retry-After` on 201/202 answers, running polls and 429s.
    pub retry_after: u64,
    /// Backup instances per LIST page (the rest is behind `nextLink`). The real service pages at
    /// 200 (Azure/azure-powershell#18904: a list of a larger vault stops at 200 with a nextLink).
    pub page_size: usize,
    /// Added to every ARM request before it is answered, to model ARM's 50-300 ms round trip
    /// (benchmarks); identity and admin requests are not delayed.
    pub latency_ms: u64,
    /// Lifetime of issued access tokens.
    pub token_lifetime_secs: u64,
    /// First matching rule decides how protection ends; no match means `ProtectionConfigured`.
    pub protection: Vec<ProtectionRule>,
    /// Operations matching a rule fail or never finish; checked before the random rates.
    pub operation_rules: Vec<OperationRule>,
    pub faults: Faults,
    /// Seed of the fault RNG. Setting it (even to the same value) restarts the sequence.
    pub seed: u64,
    /// How long a backup (or restore) job runs before it ends.
    pub job_ms: u64,
    /// How long the operation of an adhoc backup or a sync runs (real: seconds; for a backup it
    /// ends once the job exists).
    pub trigger_ms: u64,
    /// Jobs and recovery points per LIST page (the service's page size is not documented).
    pub history_page_size: usize,
    /// How an operation names the job it created (`properties.jobId` and the `Location`
    /// result): `arm_id` (recorded) or `guid` (the spec's examples).
    pub job_id_form: JobIdForm,
    /// Jobs matching a rule end as it says (first match wins); no match means `Completed`.
    pub job_rules: Vec<JobRule>,
    /// ARM requests matching a rule get its answer instead of (or changed from) the service's
    /// own: 404 shapes of proxies and wrong endpoints, answers without `id` (first match wins).
    pub answer_rules: Vec<AnswerRule>,
    /// How the backup-instance LIST misbehaves (none of it by default).
    pub list_shape: ListShape,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            validate_ms: 1000,
            put_ms: 0,
            protection_ms: 1000,
            delete_ms: 1000,
            retry_after: 1,
            page_size: 200,
            latency_ms: 0,
            token_lifetime_secs: 3599,
            protection: Vec::new(),
            operation_rules: Vec::new(),
            faults: Faults::default(),
            seed: 0,
            job_ms: 2000,
            trigger_ms: 1000,
            history_page_size: 50,
            job_id_form: JobIdForm::ArmId,
            job_rules: Vec::new(),
            answer_rules: Vec::new(),
            list_shape: ListShape::default(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnswerRule {
    /// The request log's operation name (`getBackupInstance`, `listBackupInstances`,
    /// `getBackupVault`, `getBackupPolicy`, `deleteBackupInstance`, ...) or `any`.
    #[serde(default = "any_kind")]
    pub operation: String,
    /// Glob (`*`) matched case-insensitively against the request path.
    #[serde(default = "any_path")]
    pub pattern: String,
    pub answer: Answer,
}

fn any_path() -> String {
    "*".into()
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// 404 with an ARM error body of this code (and `x-ms-error-code`).
    NotFoundCode(String),
    /// 404 with an HTML page, as a proxy or a load balancer answers.
    NotFoundHtml,
    /// 404 with no body.
    NotFoundEmpty,
    /// The service's own answer with the top-level `id` taken out of its JSON body.
    WithoutId,
}

/// Misbehaviours of `GET {vault}/backupInstances` (all off by default).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ListShape {
    /// The list ends (no `nextLink`) after this many pages although more instances remain.
    pub end_after_pages: Option<usize>,
    /// Every page after the first starts one instance late (offset paging while another
    /// client deletes): one instance at each page boundary is never listed.
    pub shift_pages: bool,
    /// `nextLink` names this vault's list (same origin) instead of the listed vault's.
    pub next_link_vault: Option<String>,
    /// Every page's `nextLink` names the first page again, for ever.
    pub loop_next_link: bool,
    /// What the entries look like.
    pub entries: EntryShape,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EntryShape {
    /// As the service writes them.
    #[default]
    Normal,
    /// `id` says the instance is in this vault (another one than listed).
    ForeignVault(String),
    /// No `name`.
    NoName,
    /// `name` is `..` (and so is the last segment of `id`).
    DotDotName,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProtectionRule {
    /// Glob (`*`) matched case-insensitively against the instance name, its ARM ID and the
    /// datasource's ARM ID.
    pub pattern: String,
    pub outcome: ProtectionOutcome,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum ProtectionOutcome {
    ProtectionConfigured,
    /// `currentProtectionState: ProtectionError` with `protectionErrorDetails`.
    ProtectionError,
    /// `currentProtectionState: ConfiguringProtectionFailed`, status `ConfiguringProtectionFailed`.
    ConfiguringProtectionFailed,
    /// Stays `ConfiguringProtection` for ever.
    Stuck,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperationRule {
    /// Glob against the instance name / ID / datasource ID the operation is about.
    pub pattern: String,
    /// One of [`OPERATION_KINDS`]: `validate`, `put`, `delete`, `undelete`, a protection
    /// action (`stopProtection`, `suspendBackups`, `resumeProtection`, `resumeBackups`) or `any`.
    #[serde(default = "any_kind")]
    pub operation: String,
    pub outcome: OperationOutcome,
}

/// The operations an [`OperationRule`] can name (as `OpKind::knob_name` spells them).
pub const OPERATION_KINDS: &[&str] = &[
    "validate",
    "put",
    "delete",
    "undelete",
    "stopProtection",
    "suspendBackups",
    "resumeProtection",
    "resumeBackups",
    "backup",
    "sync",
    "validateRestore",
    "restore",
    "any",
];

fn any_kind() -> String {
    "any".into()
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OperationOutcome {
    /// Terminal `Failed` with an internal error.
    Fail,
    /// `Inprogress` for ever.
    NeverFinish,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobIdForm {
    ArmId,
    Guid,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JobRule {
    /// Glob against the instance name / ID / datasource ID the job is about.
    pub pattern: String,
    /// `backup`, `restore` or `any`.
    #[serde(default = "any_kind")]
    pub operation: String,
    pub outcome: JobOutcome,
    /// The error code and message of a failed (or warned) job; defaults name the injection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// `Failed` with the rule's error in `errorDetails`.
    Fail,
    /// `CompletedWithWarnings`, the warning in `errorDetails`; the recovery point is made.
    Warn,
    /// `Cancelled`.
    Cancel,
    /// Runs for ever.
    NeverFinish,
}

/// Random faults, drawn from the seeded RNG once per ARM request, in request order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share of ARM requests answered 429 `SubscriptionRequestsThrottled`.
    pub throttle_rate: f64,
    /// Share answered 500/503.
    pub server_error_rate: f64,
    /// Share whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Share of new long-running operations that end `Failed`.
    pub fail_operation_rate: f64,
    /// Share of new long-running operations that never finish.
    pub stuck_operation_rate: f64,
}

impl Knobs {
    /// Applies a partial JSON object on top of these knobs (unknown keys are an error).
    pub fn merged(&self, patch: &serde_json::Value) -> Result<Knobs, String> {
        let mut base = serde_json::to_value(self).map_err(|e| e.to_string())?;
        merge(&mut base, patch);
        let k: Knobs = serde_json::from_value(base).map_err(|e| format!("invalid knobs: {e}"))?;
        k.check()?;
        Ok(k)
    }

    pub fn check(&self) -> Result<(), String> {
        let f = &self.faults;
        for (name, v) in [
            ("throttle_rate", f.throttle_rate),
            ("server_error_rate", f.server_error_rate),
            ("drop_rate", f.drop_rate),
            ("fail_operation_rate", f.fail_operation_rate),
            ("stuck_operation_rate", f.stuck_operation_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("faults.{name} must be between 0 and 1"));
            }
        }
        if f.throttle_rate + f.server_error_rate + f.drop_rate > 1.0 {
            return Err("throttle_rate + server_error_rate + drop_rate must not exceed 1".into());
        }
        if f.fail_operation_rate + f.stuck_operation_rate > 1.0 {
            return Err("fail_operation_rate + stuck_operation_rate must not exceed 1".into());
        }
        for r in &self.job_rules {
            if !["backup", "restore", "any"].contains(&r.operation.as_str()) {
                return Err(format!("job_rules: unknown operation '{}'", r.operation));
            }
        }
        if self.history_page_size == 0 {
            return Err("history_page_size must be at least 1".into());
        }
        if self.page_size == 0 {
            return Err("page_size must be at least 1".into());
        }
        if self.latency_ms > 60_000 {
            return Err("latency_ms must not exceed 60000".into());
        }
        if self.list_shape.end_after_pages == Some(0) {
            return Err("list_shape.end_after_pages must be at least 1".into());
        }
        for r in &self.operation_rules {
            if !OPERATION_KINDS.contains(&r.operation.as_str()) {
                return Err(format!(
                    "operation_rules: unknown operation '{}'",
                    r.operation
                ));
            }
        }
        Ok(())
    }

    pub fn protection_outcome(&self, subjects: &[&str]) -> ProtectionOutcome {
        self.protection
            .iter()
            .find(|r| subjects.iter().any(|s| glob_match(&r.pattern, s)))
            .map(|r| r.outcome)
            .unwrap_or(ProtectionOutcome::ProtectionConfigured)
    }

    pub fn operation_rule(&self, kind: &str, subjects: &[&str]) -> Option<OperationOutcome> {
        self.operation_rules
            .iter()
            .find(|r| {
                (r.operation == "any" || r.operation == kind)
                    && subjects.iter().any(|s| glob_match(&r.pattern, s))
            })
            .map(|r| r.outcome)
    }
}

impl Knobs {
    pub fn job_rule(&self, operation: &str, subjects: &[&str]) -> Option<&JobRule> {
        self.job_rules.iter().find(|r| {
            (r.operation == "any" || r.operation == operation)
                && subjects.iter().any(|s| glob_match(&r.pattern, s))
        })
    }
}

fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_merge_keeps_other_fields() {
        let k = Knobs::default();
        let m = k
            .merged(&serde_json::json!({"validate_ms": 0, "faults": {"throttle_rate": 0.5}}))
            .unwrap();
        assert_eq!(m.validate_ms, 0);
        assert_eq!(m.delete_ms, 1000);
        assert_eq!(m.faults.throttle_rate, 0.5);
        assert!(k.merged(&serde_json::json!({"bogus": 1})).is_err());
        assert!(
            k.merged(&serde_json::json!({"faults": {"drop_rate": 2.0}}))
                .is_err()
        );
    }
}
