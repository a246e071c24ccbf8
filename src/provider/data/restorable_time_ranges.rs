//! `azurebackup_restorable_time_ranges` (data source): the windows in which an operational-blob
//! backup instance can be restored to any point in time (`findRestorableTimeRanges`), oldest
//! first, optionally clipped to a window, with the earliest and latest restorable times.

use std::sync::Arc;

use super::not_configured;
use super::recovery_points::time_arg;
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::client::TimeRange;
use crate::azure::history::format_time;
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::DEFAULT_READ;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

pub const RESTORABLE_TIME_RANGES_TYPE_NAME: &str = "azurebackup_restorable_time_ranges";

const ID: &str = "id";
const BACKUP_INSTANCE_ID: &str = "backup_instance_id";
const START_TIME: &str = "start_time";
const END_TIME: &str = "end_time";
const RANGES: &str = "ranges";
const EARLIEST: &str = "earliest";
const LATEST: &str = "latest";

/// The service's code for an instance that keeps discrete recovery points instead.
const NOT_SUPPORTED: &str = "UserErrorRestorableTimeRangesNotSupported";

pub struct RestorableTimeRangesData {
    shared: Arc<Shared>,
}

impl RestorableTimeRangesData {
    pub fn new(shared: Arc<Shared>) -> Self {
        RestorableTimeRangesData { shared }
    }
}

fn range_type() -> Type {
    Type::object([(START_TIME, Type::String), (END_TIME, Type::String)])
}

pub fn schema() -> Schema {
    let attributes = vec![
        Attribute::required(BACKUP_INSTANCE_ID, Type::String).description("The ARM ID of the backup instance, e.g. `azurebackup_instance.blobs.id`. It must be an instance backed up continuously (operational backup of blobs); other kinds keep discrete recovery points: list them with `azurebackup_recovery_points`."),
        Attribute::optional(START_TIME, Type::String).description("Only the part of the ranges at or after this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`); sent to the service as `startTime`."),
        Attribute::optional(END_TIME, Type::String).description("Only the part of the ranges at or before this time (RFC 3339); must not be before `start_time`. Sent as `endTime`."),
        Attribute::computed(ID, Type::String).description("The backup instance's ARM ID (`backup_instance_id`)."),
        Attribute::computed(RANGES, Type::list(range_type())).description("The restorable time ranges, oldest first (sorted by the provider), each with `start_time` and `end_time` (RFC 3339 in UTC, both included): any point in time inside one can be restored. Empty when the window given misses them all."),
        Attribute::computed(EARLIEST, Type::String).description("The earliest restorable point in time (the first range's `start_time`, RFC 3339); null when there is no range."),
        Attribute::computed(LATEST, Type::String).description("The latest restorable point in time (the last range's `end_time`, RFC 3339; about now for an instance being backed up); null when there is no range."),
    ];
    Schema::new(
        0,
        Block {
            description: "Finds the restorable time ranges of an operational-blob backup instance (`POST …/findRestorableTimeRanges` on the operational store): the windows a point-in-time restore can pick from. Read-only: it changes nothing in Azure.".into(),
            attributes,
            ..Default::default()
        },
    )
}

/// The arguments, each problem on its attribute (all at once).
fn check(
    config: &Value,
) -> (
    Diagnostics,
    Option<BackupInstanceId>,
    Option<time::OffsetDateTime>,
    Option<time::OffsetDateTime>,
) {
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
                "`{END_TIME}` ({}) is before `{START_TIME}` ({}): no point in time can be in the window. Swap the two times.",
                config.get(END_TIME).as_str().unwrap_or_default(),
                config.get(START_TIME).as_str().unwrap_or_default()
            ),
        );
    }
    (d, id, start, end)
}

fn range_value(r: &TimeRange) -> Value {
    Value::object([
        (START_TIME, Value::String(format_time(r.start))),
        (END_TIME, Value::String(format_time(r.end))),
    ])
}

/// The computed attributes for these ranges (oldest first).
fn set_ranges(state: &mut Value, ranges: &[TimeRange]) {
    let time = |t: Option<time::OffsetDateTime>| {
        t.map(|t| Value::String(format_time(t)))
            .unwrap_or(Value::Null)
    };
    state.set(
        RANGES,
        Value::List(ranges.iter().map(range_value).collect()),
    );
    state.set(EARLIEST, time(ranges.iter().map(|r| r.start).min()));
    state.set(LATEST, time(ranges.iter().map(|r| r.end).max()));
}

#[async_trait::async_trait]
impl DataSource for RestorableTimeRangesData {
    fn type_name(&self) -> &'static str {
        RESTORABLE_TIME_RANGES_TYPE_NAME
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
        let (mut d, id, start, end) = check(config);
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
        let at = AttributePath::root(BACKUP_INSTANCE_ID);
        let ranges = match c
            .client
            .find_restorable_time_ranges(&id, start, end, &op)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => {
                d.error_at(
                    at,
                    "Backup Instance Not Found",
                    format!("No backup instance exists at {id}: the vault {} has no instance named {:?}. Check the ID, in particular that the vault in it is the one that holds the instance.", id.vault, id.name),
                );
                return failed(d);
            }
            Err(e)
                if e.code()
                    .is_some_and(|c| c.eq_ignore_ascii_case(NOT_SUPPORTED)) =>
            {
                let mut diag = azure_error(
                    "Restorable Time Ranges Not Supported",
                    "search for the backup instance's restorable time ranges",
                    Some(&id.to_string()),
                    &e,
                );
                diag.detail = format!(
                    "Only instances backed up continuously (operational backup of blobs) have restorable time ranges; {id} keeps discrete recovery points. List them with the `azurebackup_recovery_points` data source and restore one by its `recovery_point_id`.\n\n{}",
                    diag.detail
                );
                d.push(diag.at(at));
                return failed(d);
            }
            Err(e) => {
                d.push(
                    azure_error(
                        "Unable to Find Restorable Time Ranges",
                        "search for the backup instance's restorable time ranges",
                        Some(&id.to_string()),
                        &e,
                    )
                    .at(at),
                );
                return failed(d);
            }
        };
        let mut state = config.clone();
        state.set(ID, Value::string(id.to_string()));
        set_ranges(&mut state, &ranges);
        DataReadResponse {
            state,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::history::parse_time;

    fn cfg(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::object([
            (BACKUP_INSTANCE_ID, Value::Null),
            (START_TIME, Value::Null),
            (END_TIME, Value::Null),
            (ID, Value::Null),
            (RANGES, Value::Null),
            (EARLIEST, Value::Null),
            (LATEST, Value::Null),
        ]);
        for (k, x) in pairs {
            v.set(*k, Value::string(*x));
        }
        v
    }

    const ID_TEXT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupInstances/bi";

    /// Times compare as instants (offsets count); each problem is on its own attribute.
    #[test]
    fn bad_arguments_are_on_their_attributes() {
        let window = |end: &str| {
            check(&cfg(&[
                (BACKUP_INSTANCE_ID, ID_TEXT),
                (START_TIME, "2026-01-01T00:00:00Z"),
                (END_TIME, end),
            ]))
            .0
        };
        assert!(window("2026-01-01T01:30:00+01:00").is_empty());
        let d = window("2026-01-01T00:30:00+01:00");
        assert_eq!(
            d.iter().map(|x| x.attribute.clone()).collect::<Vec<_>>(),
            [Some(AttributePath::root(END_TIME))]
        );
        let (d, ..) = check(&cfg(&[
            (BACKUP_INSTANCE_ID, "/subscriptions/x"),
            (START_TIME, "2026-01-02T00:00:00Z"),
            (END_TIME, "2026-01-01T00:00:00Z"),
        ]));
        let at: Vec<_> = d.iter().map(|x| x.attribute.clone().unwrap()).collect();
        assert_eq!(at, [BACKUP_INSTANCE_ID, END_TIME].map(AttributePath::root));
        let (d, ..) = check(&cfg(&[(BACKUP_INSTANCE_ID, ID_TEXT), (END_TIME, "soon")]));
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root(END_TIME))
        );
    }

    /// Earliest is the first start, latest the last end; none gives nulls and an empty list.
    #[test]
    fn earliest_and_latest_come_from_the_ranges() {
        let t = |s: &str| parse_time(s).unwrap();
        let mut state = cfg(&[]);
        set_ranges(
            &mut state,
            &[
                TimeRange {
                    start: t("2026-03-01T00:00:00Z"),
                    end: t("2026-03-01T12:00:00Z"),
                },
                TimeRange {
                    start: t("2026-03-02T00:00:00+02:00"),
                    end: t("2026-03-03T00:00:00Z"),
                },
            ],
        );
        assert_eq!(
            state.get(EARLIEST).as_str(),
            Some("2026-03-01T00:00:00.0000000Z")
        );
        assert_eq!(
            state.get(LATEST).as_str(),
            Some("2026-03-03T00:00:00.0000000Z")
        );
        let Value::List(l) = state.get(RANGES) else {
            panic!("ranges is a list")
        };
        assert_eq!(
            l[1].get(START_TIME).as_str(),
            Some("2026-03-01T22:00:00.0000000Z")
        );
        set_ranges(&mut state, &[]);
        assert_eq!(state.get(EARLIEST), &Value::Null);
        assert_eq!(state.get(LATEST), &Value::Null);
        assert_eq!(state.get(RANGES), &Value::List(vec![]));
    }
}
