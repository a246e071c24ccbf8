//! `azurebackup_recovery_points` (data source): the recovery points of one backup instance,
//! newest first, optionally within a time window and in one data store, and the newest of them
//! with its age on the service's clock, for `check` blocks on backup freshness.

use std::sync::Arc;

use super::not_configured;
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::client::PointFilter;
use crate::azure::history::{RecoveryPoint, parse_time};
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::DEFAULT_READ;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

pub const RECOVERY_POINTS_TYPE_NAME: &str = "azurebackup_recovery_points";

const BACKUP_INSTANCE_ID: &str = "backup_instance_id";
const START_TIME: &str = "start_time";
const END_TIME: &str = "end_time";
const DATA_STORE_TYPE: &str = "data_store_type";
const RECOVERY_POINTS: &str = "recovery_points";
const LATEST: &str = "latest";
const LATEST_AGE: &str = "latest_age_seconds";

/// The data stores a point can be in.
pub const DATA_STORES: &[&str] = &["OperationalStore", "VaultStore", "ArchiveStore"];

/// Each point's attributes, in the order of the documentation.
const POINT: &[(&str, &str)] = &[
    ("id", "The recovery point's ARM ID."),
    (
        "recovery_point_id",
        "Its ID within the instance (`recoveryPointId`), as a restore names it.",
    ),
    ("time", "When it was taken (`recoveryPointTime`, RFC 3339)."),
    ("type", "`Full` or `Incremental` (`recoveryPointType`)."),
    (
        "data_store_type",
        "Where it is kept: `OperationalStore`, `VaultStore` or `ArchiveStore`.",
    ),
    (
        "retention_tag",
        "The retention tag it was taken with (`retentionTagName`), e.g. `Default`.",
    ),
    (
        "expiry_time",
        "When the policy's retention deletes it (RFC 3339).",
    ),
    ("state", "`Completed` or `Partial` (`recoveryPointState`)."),
];

pub struct RecoveryPointsData {
    shared: Arc<Shared>,
}

impl RecoveryPointsData {
    pub fn new(shared: Arc<Shared>) -> Self {
        RecoveryPointsData { shared }
    }
}

fn point_type() -> Type {
    Type::object(POINT.iter().map(|(n, _)| (*n, Type::String)))
}

fn fields() -> String {
    POINT
        .iter()
        .map(|(n, d)| format!("`{n}` ({})", d.trim_end_matches('.')))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn schema() -> Schema {
    let attributes = vec![
        Attribute::required(BACKUP_INSTANCE_ID, Type::String).description("The ARM ID of the backup instance whose recovery points to list, e.g. `azurebackup_instance.disk.id`."),
        Attribute::optional(START_TIME, Type::String).description("Only points taken at or after this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`); sent to the service as the `$filter`'s `startDate`."),
        Attribute::optional(END_TIME, Type::String).description("Only points taken at or before this time (RFC 3339); must not be before `start_time`."),
        Attribute::optional(DATA_STORE_TYPE, Type::String).description(format!("Only points kept in this data store: {}.", DATA_STORES.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))),
        Attribute::computed(RECOVERY_POINTS, Type::list(point_type())).description(format!("The matching recovery points, newest first (sorted by the provider: the service documents no order). Each has {}.", fields())),
        Attribute::computed(LATEST, point_type()).description("The newest matching recovery point (the first of `recovery_points`), with the same attributes; null when there is none. For `check` blocks: `data.azurebackup_recovery_points.x.latest != null`."),
        Attribute::computed(LATEST_AGE, Type::Number).description("How many seconds before the service answered the newest point was taken, measured on the service's clock (the answer's `Date` header; the local clock when it has none), so a skewed local clock does not matter. Null when there is no point. For `check` blocks such as \"the newest recovery point is under 26 hours old\": `latest_age_seconds < 26 * 3600`."),
    ];
    Schema::new(
        0,
        Block {
            description: "Lists the recovery points of a backup instance, newest first, and gives the newest one and its age: what a `check` block needs to prove that backups are being made. Reads every page of the instance's `recoveryPoints` list (50 points per page at the service's usual page size), with the time window as the service's `$filter`.".into(),
            attributes,
            ..Default::default()
        },
    )
}

/// An RFC 3339 time argument, or an error on its attribute.
pub(super) fn time_arg(
    config: &Value,
    name: &str,
    d: &mut Diagnostics,
) -> Option<time::OffsetDateTime> {
    let text = config.get(name).as_str()?;
    match time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339) {
        Ok(t) => Some(t),
        Err(_) => {
            d.error_at(
                AttributePath::root(name),
                "Invalid Time",
                format!("`{name}` is {text:?}, which is not an RFC 3339 time such as `2026-01-31T06:00:00Z`."),
            );
            None
        }
    }
}

/// The arguments, each problem on its attribute (all at once).
fn check(config: &Value) -> (Diagnostics, Option<BackupInstanceId>, PointFilter) {
    let mut d = Diagnostics::new();
    let id = super::instance_id_arg(config, BACKUP_INSTANCE_ID, &mut d);
    let start = time_arg(config, START_TIME, &mut d);
    let end = time_arg(config, END_TIME, &mut d);
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        d.error_at(
            AttributePath::root(END_TIME),
            "Time Window the Wrong Way Round",
            format!(
                "`{END_TIME}` ({}) is before `{START_TIME}` ({}): no recovery point can match. Swap the two times.",
                config.get(END_TIME).as_str().unwrap_or_default(),
                config.get(START_TIME).as_str().unwrap_or_default()
            ),
        );
    }
    if let Some(s) = config.get(DATA_STORE_TYPE).as_str()
        && !DATA_STORES.iter().any(|x| x.eq_ignore_ascii_case(s))
    {
        d.error_at(
            AttributePath::root(DATA_STORE_TYPE),
            "Invalid Data Store Type",
            format!(
                "`{DATA_STORE_TYPE}` is {s:?}; use one of {}.",
                DATA_STORES.join(", ")
            ),
        );
    }
    (d, id, PointFilter { start, end })
}

fn point_value(p: &RecoveryPoint) -> Value {
    let s = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
    Value::object([
        ("id", Value::string(&p.id)),
        ("recovery_point_id", Value::string(&p.recovery_point_id)),
        ("time", Value::string(&p.time)),
        ("type", s(&p.point_type)),
        ("data_store_type", s(&p.data_store_type)),
        ("retention_tag", s(&p.retention_tag)),
        ("expiry_time", s(&p.expiry_time)),
        ("state", s(&p.state)),
    ])
}

#[async_trait::async_trait]
impl DataSource for RecoveryPointsData {
    fn type_name(&self) -> &'static str {
        RECOVERY_POINTS_TYPE_NAME
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
        let (mut d, id, filter) = check(config);
        if d.has_errors() {
            return failed(d);
        }
        let Some(id) = id else {
            return failed(d);
        };
        let Some(c) = self.shared.get() else {
            return failed(not_configured());
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
        let list = match c.client.list_recovery_points(&id, &filter, &op).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                d.error_at(
                    AttributePath::root(BACKUP_INSTANCE_ID),
                    "Backup Instance Not Found",
                    format!("No backup instance exists at {id}: the vault {} has no instance named {:?}. Check the ID, in particular that the vault in it is the one that holds the instance.", id.vault, id.name),
                );
                return failed(d);
            }
            Err(e) => {
                d.push(
                    azure_error(
                        "Unable to List Recovery Points",
                        "listing of the backup instance's recovery points",
                        Some(&id.to_string()),
                        &e,
                    )
                    .at(AttributePath::root(BACKUP_INSTANCE_ID)),
                );
                return failed(d);
            }
        };
        let store = config.get(DATA_STORE_TYPE).as_str();
        let points: Vec<&RecoveryPoint> = list
            .points
            .iter()
            .filter(|p| {
                store.is_none_or(|s| p.data_store_types.iter().any(|t| t.eq_ignore_ascii_case(s)))
            })
            .collect();
        let latest = points.first().copied();
        let now = list
            .service_time
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let age = latest
            .and_then(|p| parse_time(&p.time))
            .map(|t| (now - t).whole_seconds().max(0))
            .map(Value::int)
            .unwrap_or(Value::Null);
        let mut state = config.clone();
        state.set(
            RECOVERY_POINTS,
            Value::List(points.iter().map(|p| point_value(p)).collect()),
        );
        state.set(LATEST, latest.map(point_value).unwrap_or(Value::Null));
        state.set(LATEST_AGE, age);
        DataReadResponse {
            state,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::object([
            (BACKUP_INSTANCE_ID, Value::Null),
            (START_TIME, Value::Null),
            (END_TIME, Value::Null),
            (DATA_STORE_TYPE, Value::Null),
        ]);
        for (k, x) in pairs {
            v.set(*k, Value::string(*x));
        }
        v
    }

    #[test]
    fn bad_arguments_are_on_their_attributes() {
        let id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupInstances/bi";
        assert!(
            check(&cfg(&[
                (BACKUP_INSTANCE_ID, id),
                (START_TIME, "2026-01-01T00:00:00Z"),
                (END_TIME, "2026-01-02T00:00:00+01:00"),
                (DATA_STORE_TYPE, "vaultstore")
            ]))
            .0
            .is_empty()
        );
        let (d, _, _) = check(&cfg(&[
            (BACKUP_INSTANCE_ID, "/subscriptions/x"),
            (START_TIME, "2026-01-02T00:00:00Z"),
            (END_TIME, "2026-01-01T00:00:00Z"),
            (DATA_STORE_TYPE, "Tape"),
        ]));
        let at: Vec<_> = d.iter().map(|x| x.attribute.clone().unwrap()).collect();
        assert_eq!(
            at,
            [BACKUP_INSTANCE_ID, END_TIME, DATA_STORE_TYPE].map(AttributePath::root)
        );
        let (d, _, _) = check(&cfg(&[(BACKUP_INSTANCE_ID, id), (START_TIME, "yesterday")]));
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root(START_TIME))
        );
    }
}
