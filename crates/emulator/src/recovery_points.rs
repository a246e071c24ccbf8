//! The recovery-points room: the points completed backup jobs leave, their expiry from the
//! policy's retention tag, the `$filter` on start and end date, and their shape as the service
//! returns them. Kept newest first per instance; expired points are dropped when read.

use serde_json::{Value, json};

use super::armpath::last_segment;
use super::clock::rfc3339;
use super::errors::ApiError;
use super::policies;
use super::state::{Instance, Job, RecoveryPoint, State};
use super::world::{duration_ms, parse_time_ms};

/// The point a completed backup job makes, expiring after its tag's retention.
pub fn from_job(st: &State, job: &Job, inst: &Instance) -> Option<RecoveryPoint> {
    let policy = st.world.policy(&inst.policy_id)?;
    let rule = policies::backup_rule(policy)?;
    let tag_name = job
        .retention_tag
        .clone()
        .or_else(|| rule.default_tag().map(|t| t.name.clone()))?;
    let retention = rule
        .tag(&tag_name)
        .and_then(|t| duration_ms(&t.retention))
        .unwrap_or(7 * 24 * 3600 * 1000);
    let rp_type = if rule.backup_type == "Incremental" {
        "Incremental"
    } else {
        "Full"
    };
    Some(RecoveryPoint {
        id: uuid::Uuid::new_v4().simple().to_string(),
        time_ms: job.start_ms,
        rp_type: rp_type.into(),
        data_store: job.data_store.clone(),
        retention_tag: tag_name,
        expiry_ms: job.start_ms + retention,
        policy_name: last_segment(&inst.policy_id),
        state: "Completed".into(),
        job_guid: job.guid.clone(),
    })
}

/// Adds a point, keeping the instance's list newest first.
pub fn add(st: &mut State, inst_key: &str, rp: RecoveryPoint) {
    let list = st.recovery_points.entry(inst_key.to_string()).or_default();
    let at = list
        .iter()
        .position(|p| p.time_ms < rp.time_ms)
        .unwrap_or(list.len());
    list.insert(at, rp);
    st.bump();
}

/// Drops the instance's points whose expiry has passed.
pub fn expire(st: &mut State, inst_key: &str, now: u64) {
    if let Some(list) = st.recovery_points.get_mut(inst_key) {
        let before = list.len();
        list.retain(|p| p.expiry_ms > now);
        if list.len() != before {
            st.bump();
        }
    }
}

/// The `$filter` of a recovery-point list: `startDate eq '…' and endDate eq '…'` (either may be
/// left out; an empty filter is no filter, as recorded).
pub fn parse_filter(filter: Option<&str>) -> Result<(Option<u64>, Option<u64>), ApiError> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok((None, None));
    };
    let bad = || {
        ApiError::bad_request(
            "BMSUserErrorInvalidInput",
            format!(
                "Input provided for the call is invalid: the $filter '{f}' is not of the form startDate eq '<time>' and endDate eq '<time>'."
            ),
        )
    };
    let (mut start, mut end) = (None, None);
    for clause in f.split(" and ") {
        let (name, value) = clause.trim().split_once(" eq ").ok_or_else(bad)?;
        let value = value
            .trim()
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(bad)?;
        let t = parse_time_ms(value).ok_or_else(bad)?;
        match name.trim() {
            n if n.eq_ignore_ascii_case("startDate") => start = Some(t),
            n if n.eq_ignore_ascii_case("endDate") => end = Some(t),
            _ => return Err(bad()),
        }
    }
    Ok((start, end))
}

/// The instance's points within `[start, end]`, newest first (a reversed window matches none,
/// as recorded).
pub fn select<'a>(
    st: &'a State,
    inst_key: &str,
    (start, end): (Option<u64>, Option<u64>),
) -> Vec<&'a RecoveryPoint> {
    st.recovery_points
        .get(inst_key)
        .map(|l| {
            l.iter()
                .filter(|p| {
                    start.is_none_or(|s| p.time_ms >= s) && end.is_none_or(|e| p.time_ms <= e)
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn find<'a>(st: &'a State, inst_key: &str, id: &str) -> Option<&'a RecoveryPoint> {
    st.recovery_points
        .get(inst_key)?
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(id))
}

/// A point as `GET …/recoveryPoints` returns it (the recorded disk shape).
pub fn render(instance_id: &str, rp: &RecoveryPoint) -> Value {
    json!({
        "properties": {
            "objectType": "AzureBackupDiscreteRecoveryPoint",
            "recoveryPointId": rp.id,
            "recoveryPointTime": rfc3339(rp.time_ms),
            "recoveryPointType": rp.rp_type,
            "friendlyName": rp.id,
            "recoveryPointDataStoresDetails": [{
                "id": rp.job_guid,
                "type": rp.data_store,
                "creationTime": rfc3339(rp.time_ms),
                "expiryTime": rfc3339(rp.expiry_ms),
                "metaData": null,
                "visible": true,
                "state": "COMMITTED",
                "rehydrationExpiryTime": null,
                "rehydrationStatus": null,
            }],
            "retentionTagName": rp.retention_tag,
            "retentionTagVersion": "638224851417049008",
            "policyName": rp.policy_name,
            "policyVersion": null,
            "expiryTime": rfc3339(rp.expiry_ms),
            "recoveryPointState": rp.state,
        },
        "id": format!("{instance_id}/recoveryPoints/{}", rp.id),
        "name": rp.id,
        "type": "Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints",
    })
}

#[cfg(test)]
mod tests {
    use super::parse_filter;

    #[test]
    fn filters() {
        assert_eq!(parse_filter(None).unwrap(), (None, None));
        assert_eq!(parse_filter(Some("")).unwrap(), (None, None));
        let (s, e) = parse_filter(Some(
            "startDate eq '2023-06-16T01:00:00.0000000Z' and endDate eq '2033-06-16T01:00:00.0000000Z'",
        ))
        .unwrap();
        assert!(s.unwrap() < e.unwrap());
        assert!(parse_filter(Some("startDate gt '2023-06-16T01:00:00Z'")).is_err());
        assert!(parse_filter(Some("startDate eq 'yesterday'")).is_err());
    }
}
