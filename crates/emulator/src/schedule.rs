//! The schedule room: the emulator's clock moving on (admin: advance it, or run the schedule
//! now) and the scheduled backups it brings. Every protected instance whose policy has a backup
//! rule gets a job at each time of the rule's repeating interval; the schedule of an instance
//! starts when it is first seen protected (no backfill before that), and runs that would make
//! points already past their retention are skipped, which bounds a long jump of the clock.

use super::armpath::lower;
use super::state::{JobOperation, State};
use super::world::duration_ms;
use super::{jobs, ops, policies, protection, recovery_points};

/// The api-version scheduled jobs are checked with (the newest the emulator speaks).
const SCHEDULE_API: &str = "2025-09-01";
/// At most this many scheduled runs per instance in one pass.
const MAX_RUNS: usize = 1_000;

/// Which retention tag a scheduled run at `t` gets: the first tag whose criteria `t` meets
/// (first run of the UTC day / week / month / year), else the default tag.
fn tag_for(rule: &super::world::BackupRule, t: u64, period: u64) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t) * 1_000_000).ok()?;
    let prev = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(t.saturating_sub(period)) * 1_000_000,
    )
    .ok()?;
    let first_of_day = at.date() != prev.date();
    let meets = |c: &str| match c {
        "FirstOfDay" => first_of_day,
        "FirstOfWeek" => first_of_day && at.weekday() == time::Weekday::Sunday,
        "FirstOfMonth" => first_of_day && at.month() != prev.month(),
        "FirstOfYear" => first_of_day && at.year() != prev.year(),
        _ => false,
    };
    // The most specific criteria wins, as tagging priorities order them.
    let mut tagged: Vec<_> = rule
        .tags
        .iter()
        .filter(|t| t.criteria.as_deref().is_some_and(meets))
        .collect();
    tagged.sort_by_key(|t| {
        std::cmp::Reverse(
            super::world::CRITERIA
                .iter()
                .position(|c| Some(*c) == t.criteria.as_deref()),
        )
    });
    tagged
        .first()
        .map(|t| t.name.clone())
        .or_else(|| rule.default_tag().map(|t| t.name.clone()))
}

/// Runs the schedule of every instance (or those under `prefix`, a lower-cased vault or
/// instance ID) up to `now`, then settles jobs and expires points. Returns the jobs started.
pub fn catch_up(st: &mut State, prefix: Option<&str>, now: u64) -> usize {
    ops::settle(st, now);
    protection::settle_all(st, now);
    let keys: Vec<String> = match prefix {
        Some(p) => st
            .instances
            .range(p.to_string()..)
            .take_while(|(k, _)| k.starts_with(p))
            .map(|(k, _)| k.clone())
            .collect(),
        None => st.instances.keys().cloned().collect(),
    };
    let mut started = 0;
    for key in keys {
        started += run_instance(st, &key, now);
        // Jobs end in time order so a point's expiry and the next run see them.
        jobs::settle(st, now);
        recovery_points::expire(st, &key, now);
    }
    jobs::settle(st, now);
    started
}

fn run_instance(st: &mut State, key: &str, now: u64) -> usize {
    let Some(inst) = st.instances.get(key) else {
        return 0;
    };
    if inst.protection_state != "ProtectionConfigured" {
        return 0;
    }
    let Some(rule) = st
        .world
        .policy(&inst.policy_id)
        .and_then(policies::backup_rule)
    else {
        return 0;
    };
    let Ok((anchor, period)) = rule.schedule_ms() else {
        return 0;
    };
    let from = match inst.scheduled_through_ms {
        Some(t) => t,
        None => {
            // First seen protected: the schedule starts now.
            if let Some(i) = st.instances.get_mut(key) {
                i.scheduled_through_ms = Some(now);
            }
            st.bump();
            return 0;
        }
    };
    let longest = rule
        .tags
        .iter()
        .filter_map(|t| duration_ms(&t.retention))
        .max()
        .unwrap_or(0);
    let from = from.max(now.saturating_sub(longest));
    // The first run strictly after `from`.
    let mut t = if from < anchor {
        anchor
    } else {
        anchor + ((from - anchor) / period + 1) * period
    };
    let mut started = 0;
    while t <= now && started < MAX_RUNS {
        let ds = st
            .instances
            .get(key)
            .map(|i| i.data_source_info.resource_id.clone())
            .unwrap_or_default();
        jobs::settle(st, t);
        // A run while another job is on the datasource is skipped (inferred).
        if jobs::running_on(st, &ds).is_none() {
            let tag = tag_for(&rule, t, period).map(|g| (rule.name.clone(), g));
            if jobs::start(st, key, JobOperation::Backup, false, tag, SCHEDULE_API, t).is_some() {
                started += 1;
            }
        }
        t += period;
    }
    if let Some(i) = st.instances.get_mut(key) {
        i.scheduled_through_ms = Some(now);
    }
    st.bump();
    started
}

/// One scheduled backup now for every protected instance (or the one `instance_id`) whose
/// policy has a backup rule and whose datasource has no running job. Returns the job GUIDs.
pub fn run_now(st: &mut State, instance_id: Option<&str>, now: u64) -> Vec<String> {
    catch_up(st, instance_id.map(lower).as_deref(), now);
    let keys: Vec<String> = match instance_id {
        Some(id) => vec![lower(id)],
        None => st.instances.keys().cloned().collect(),
    };
    let mut out = Vec::new();
    for key in keys {
        let Some(inst) = st.instances.get(&key) else {
            continue;
        };
        if inst.protection_state != "ProtectionConfigured"
            || jobs::running_on(st, &inst.data_source_info.resource_id).is_some()
        {
            continue;
        }
        let Some(rule) = st
            .world
            .policy(&inst.policy_id)
            .and_then(policies::backup_rule)
        else {
            continue;
        };
        let period = rule.schedule_ms().map(|(_, p)| p).unwrap_or(3_600_000);
        let tag = tag_for(&rule, now, period).map(|g| (rule.name.clone(), g));
        if let Some(g) = jobs::start(
            st,
            &key,
            JobOperation::Backup,
            false,
            tag,
            SCHEDULE_API,
            now,
        ) {
            out.push(g);
        }
    }
    jobs::settle(st, now);
    out
}

/// Moves the emulator's clock on by `by_ms` and runs what became due. Returns the new time.
pub fn advance(st: &mut State, by_ms: u64) -> (u64, usize) {
    // Whatever is due before the jump happens first (instances protected by now start their
    // schedule now, not after the jump).
    let before = catch_up(st, None, st.now());
    st.clock_offset_ms = st.clock_offset_ms.saturating_add(by_ms);
    st.bump();
    let now = st.now();
    let started = catch_up(st, None, now);
    (now, before + started)
}
