//! `azurebackup_backup_jobs` (data source): a vault's backup jobs, newest first, filtered here
//! (the service's list takes no filter) by instance, operation, status and start time, at most
//! `limit` of them; or one job by its ID (one GET).

use std::sync::Arc;

use super::not_configured;
use super::recovery_points::time_arg;
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::azure::history::{BackupJob, JobRef, same_vault};
use crate::azure::wait::same_arm_id;
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::DEFAULT_READ;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

pub const BACKUP_JOBS_TYPE_NAME: &str = "azurebackup_backup_jobs";

const VAULT_ID: &str = "vault_id";
const BACKUP_INSTANCE_ID: &str = "backup_instance_id";
const OPERATION: &str = "operation";
const STATUS: &str = "status";
const SINCE: &str = "since";
const LIMIT: &str = "limit";
const JOB_ID: &str = "job_id";
const JOBS: &str = "jobs";

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;

const JOB: &[(&str, &str)] = &[
    ("id", "The job's ARM ID."),
    ("job_id", "Its GUID."),
    ("operation", "`Backup`, `Restore`, ... (`operation`)."),
    (
        "status",
        "`Started`, `InProgress`, `Completed`, `CompletedWithWarnings`, `Failed`, `Cancelled`, ...",
    ),
    ("start_time", "When it started (RFC 3339)."),
    ("end_time", "When it ended (RFC 3339); null while it runs."),
    (
        "duration",
        "How long it ran, as the service writes it (`hh:mm:ss`).",
    ),
    (
        "backup_instance_id",
        "The ARM ID of the backup instance it ran for.",
    ),
    ("datasource_id", "The ARM ID of the protected resource."),
    (
        "error_code",
        "The code of its first error (`errorDetails`), e.g. `UserErrorMissingRequiredPermissions`; null when it has none.",
    ),
    (
        "error_message",
        "The message of its first error; null when it has none.",
    ),
];

pub struct BackupJobsData {
    shared: Arc<Shared>,
}

impl BackupJobsData {
    pub fn new(shared: Arc<Shared>) -> Self {
        BackupJobsData { shared }
    }
}

fn job_type() -> Type {
    Type::object(JOB.iter().map(|(n, _)| (*n, Type::String)))
}

pub fn schema() -> Schema {
    let fields = JOB
        .iter()
        .map(|(n, d)| format!("`{n}` ({})", d.trim_end_matches('.')))
        .collect::<Vec<_>>()
        .join(", ");
    let attributes = vec![
        Attribute::required(VAULT_ID, Type::String).description("The ARM ID of the Backup vault whose jobs to list."),
        Attribute::optional(BACKUP_INSTANCE_ID, Type::String).description("Only jobs of this backup instance (its ARM ID; it must be in `vault_id`)."),
        Attribute::optional(OPERATION, Type::String).description("Only jobs of this operation, e.g. `Backup` or `Restore` (compared case-insensitively)."),
        Attribute::optional(STATUS, Type::String).description("Only jobs in this status, e.g. `Failed` or `Completed` (compared case-insensitively)."),
        Attribute::optional(SINCE, Type::String).description("Only jobs that started at or after this time (RFC 3339)."),
        Attribute::optional(LIMIT, Type::Number).description(format!("At most this many jobs, the newest ones: 1 to {MAX_LIMIT}; {DEFAULT_LIMIT} when not set.")),
        Attribute::optional(JOB_ID, Type::String).description("Only this job: its GUID or full ARM ID (which must name `vault_id`), as `azurebackup_backup_now` reports it. Read with one request instead of the vault's list."),
        Attribute::computed(JOBS, Type::list(job_type())).description(format!("The matching jobs, newest first by start time (sorted by the provider: the service documents no order). Each has {fields}.")),
    ];
    Schema::new(
        0,
        Block {
            description: "Lists the backup jobs of a Backup vault (scheduled and on-demand backups, restores), newest first, optionally filtered. The service's job list takes no filter, so every page of it is read and the filters apply here; with `job_id` one job is read instead.".into(),
            attributes,
            ..Default::default()
        },
    )
}

struct Args {
    vault: Option<BackupVaultId>,
    instance: Option<BackupInstanceId>,
    since: Option<time::OffsetDateTime>,
    limit: usize,
    job: Option<JobRef>,
}

fn check(config: &Value) -> (Diagnostics, Args) {
    let mut d = Diagnostics::new();
    let vault = config.get(VAULT_ID).as_str().and_then(|t| {
        t.parse::<BackupVaultId>()
            .map_err(|e| {
                d.error_at(
                    AttributePath::root(VAULT_ID),
                    "Invalid Backup Vault ID",
                    format!("`{VAULT_ID}` is not a valid Backup Vault ID: {e}"),
                )
            })
            .ok()
    });
    let instance = config.get(BACKUP_INSTANCE_ID).as_str().and_then(|t| {
        match t.parse::<BackupInstanceId>() {
            Err(e) => {
                d.error_at(
                    AttributePath::root(BACKUP_INSTANCE_ID),
                    "Invalid Backup Instance ID",
                    format!("`{BACKUP_INSTANCE_ID}` is not a valid Backup Instance ID: {e}"),
                );
                None
            }
            Ok(i) => {
                if let Some(v) = &vault
                    && !same_vault(&i.vault, v)
                {
                    d.error_at(
                        AttributePath::root(BACKUP_INSTANCE_ID),
                        "Backup Instance of Another Vault",
                        format!("The backup instance {i} is in the vault {}, not in `{VAULT_ID}` ({v}): a vault lists only its own jobs. Set `{VAULT_ID}` to the instance's vault.", i.vault),
                    );
                }
                Some(i)
            }
        }
    });
    let since = time_arg(config, SINCE, &mut d);
    let mut limit = DEFAULT_LIMIT as usize;
    let lv = config.get(LIMIT);
    if !lv.is_null() && lv.is_known() {
        match lv.as_i64() {
            Some(n) if (1..=MAX_LIMIT).contains(&n) => limit = n as usize,
            _ => d.error_at(
                AttributePath::root(LIMIT),
                "Invalid Limit",
                format!("`{LIMIT}` must be a whole number from 1 to {MAX_LIMIT} (the newest jobs are returned); remove it for {DEFAULT_LIMIT}."),
            ),
        }
    }
    let job = match (config.get(JOB_ID).as_str(), &vault) {
        (Some(t), Some(v)) => JobRef::parse(v, t)
            .map_err(|m| {
                d.error_at(
                    AttributePath::root(JOB_ID),
                    "Invalid Job ID",
                    format!("`{JOB_ID}`: {m}. Give the job's GUID, or its ARM ID in `{VAULT_ID}`."),
                )
            })
            .ok(),
        _ => None,
    };
    for n in [OPERATION, STATUS] {
        if config.get(n).as_str().is_some_and(|s| s.trim().is_empty()) {
            d.error_at(
                AttributePath::root(n),
                "Empty Filter",
                format!("`{n}` is empty; remove it to list every job, or give a value."),
            );
        }
    }
    (
        d,
        Args {
            vault,
            instance,
            since,
            limit,
            job,
        },
    )
}

fn job_value(j: &BackupJob) -> Value {
    let s = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
    let first = j.errors.first();
    Value::object([
        ("id", Value::string(&j.id)),
        ("job_id", Value::string(&j.job_id)),
        ("operation", Value::string(&j.operation)),
        ("status", Value::string(&j.status)),
        ("start_time", s(&j.start_time)),
        ("end_time", s(&j.end_time)),
        ("duration", s(&j.duration)),
        ("backup_instance_id", s(&j.backup_instance_id)),
        ("datasource_id", s(&j.datasource_id)),
        ("error_code", s(&first.and_then(|e| e.code.clone()))),
        ("error_message", s(&first.and_then(|e| e.message.clone()))),
    ])
}

fn passes(filter: Option<&str>, value: &str) -> bool {
    filter.is_none_or(|f| f.trim().eq_ignore_ascii_case(value))
}

#[async_trait::async_trait]
impl DataSource for BackupJobsData {
    fn type_name(&self) -> &'static str {
        BACKUP_JOBS_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config).0
    }

    async fn read(&self, config: &Value, ctx: &Context) -> DataReadResponse {
        let failed = |diagnostics| DataReadResponse {
            state: Value::Null,
            diagnostics,
        };
        let (mut d, args) = check(config);
        if d.has_errors() {
            return failed(d);
        }
        let Some(vault) = args.vault.clone() else {
            return failed(d);
        };
        let Some(c) = self.shared.get() else {
            return failed(not_configured());
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
        let unable = |e: &crate::azure::error::AzureError, attr: &str| {
            azure_error(
                "Unable to Read Backup Jobs",
                "reading of the vault's backup jobs",
                None,
                e,
            )
            .at(AttributePath::root(attr))
        };
        let jobs = match &args.job {
            Some(j) => match c.client.get_backup_job(j, &op).await {
                Ok(Some(job)) => vec![job],
                Ok(None) => {
                    d.error_at(
                        AttributePath::root(JOB_ID),
                        "Backup Job Not Found",
                        format!("The vault {vault} has no job {}. Jobs belong to the vault that ran them, and old ones are forgotten; list the vault's jobs without `{JOB_ID}` to see what it has.", j.guid),
                    );
                    return failed(d);
                }
                Err(e) => {
                    d.push(unable(&e, JOB_ID));
                    return failed(d);
                }
            },
            None => match c.client.list_backup_jobs(&vault, &op).await {
                Ok(l) => l,
                Err(e) => {
                    d.push(unable(&e, VAULT_ID));
                    return failed(d);
                }
            },
        };
        let (op_f, status_f) = (config.get(OPERATION).as_str(), config.get(STATUS).as_str());
        let inst = args.instance.as_ref().map(ToString::to_string);
        let selected: Vec<Value> = jobs
            .iter()
            .filter(|j| {
                passes(op_f, &j.operation)
                    && passes(status_f, &j.status)
                    && inst.as_deref().is_none_or(|i| {
                        j.backup_instance_id
                            .as_deref()
                            .is_some_and(|b| same_arm_id(b, i))
                    })
                    && args
                        .since
                        .is_none_or(|s| j.started_at().is_some_and(|t| t >= s))
            })
            .take(args.limit)
            .map(job_value)
            .collect();
        let mut state = config.clone();
        state.set(JOBS, Value::List(selected));
        DataReadResponse {
            state,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1";

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::object(
            [
                VAULT_ID,
                BACKUP_INSTANCE_ID,
                OPERATION,
                STATUS,
                SINCE,
                LIMIT,
                JOB_ID,
            ]
            .map(|n| (n, Value::Null)),
        );
        v.set(VAULT_ID, Value::string(VAULT));
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    fn at(d: &Diagnostics) -> Vec<AttributePath> {
        d.iter().filter_map(|x| x.attribute.clone()).collect()
    }

    #[test]
    fn bad_input_is_on_its_attribute() {
        assert!(check(&cfg(&[(LIMIT, Value::int(1000))])).0.is_empty());
        for n in [0, 1_000_000, -1] {
            assert_eq!(
                at(&check(&cfg(&[(LIMIT, Value::int(n))])).0),
                [AttributePath::root(LIMIT)]
            );
        }
        let other = VAULT.replace("/v1", "/v2");
        let d = check(&cfg(&[
            (
                BACKUP_INSTANCE_ID,
                Value::string(format!("{other}/backupInstances/bi")),
            ),
            (
                JOB_ID,
                Value::string(format!(
                    "{other}/backupJobs/3c60cb49-63e8-4b21-b9bd-26277b3fdfae"
                )),
            ),
            (SINCE, Value::string("last week")),
        ]))
        .0;
        assert_eq!(
            at(&d),
            [BACKUP_INSTANCE_ID, SINCE, JOB_ID].map(AttributePath::root)
        );
        let (d, a) = check(&cfg(&[(
            JOB_ID,
            Value::string("3c60cb49-63e8-4b21-b9bd-26277b3fdfae"),
        )]));
        assert!(d.is_empty());
        assert_eq!(a.limit, DEFAULT_LIMIT as usize);
    }
}
