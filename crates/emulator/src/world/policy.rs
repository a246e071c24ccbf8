//! A backup policy's backup rule as the world file writes it: its name, its schedule (an
//! ISO 8601 repeating interval) and its retention tags, with the parsing of the ISO 8601 times
//! and durations they use. Plain data and parsing; what a schedule does is the schedule room's.

use serde::{Deserialize, Serialize};

/// The policy's rule with `objectType: AzureBackupRule`: what adhoc backups name as `ruleName`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackupRule {
    /// `BackupHourly`, `BackupDaily`, `BackupWeekly` (portal and CLI policies) or
    /// `BackupIntervals` (azurerm's policies).
    pub name: String,
    /// `R/{start}/{period}`, e.g. `R/2024-01-01T06:00:00+00:00/PT4H`.
    pub schedule: String,
    /// `Full` or `Incremental` (`backupParameters.backupType`).
    #[serde(default = "incremental")]
    pub backup_type: String,
    /// Retention tags, the default one (`Default`, no criteria) first.
    pub tags: Vec<RetentionTag>,
}

fn incremental() -> String {
    "Incremental".into()
}

/// A retention tag (`taggingCriteria[].tagInfo.tagName`) and its retention rule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionTag {
    pub name: String,
    /// ISO 8601 duration of the retention rule's `deleteAfter` (`P7D`, `P12W`, `P3M`, `P1Y`).
    pub retention: String,
    /// Which scheduled backups get this tag: `FirstOfDay`, `FirstOfWeek`, `FirstOfMonth` or
    /// `FirstOfYear`; left out on the default tag, which every other backup gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
}

impl BackupRule {
    /// The tag scheduled backups get when no other tag's criteria apply.
    pub fn default_tag(&self) -> Option<&RetentionTag> {
        self.tags.iter().find(|t| t.criteria.is_none())
    }

    pub fn tag(&self, name: &str) -> Option<&RetentionTag> {
        self.tags.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// Anchor and period of the schedule, in milliseconds.
    pub fn schedule_ms(&self) -> Result<(u64, u64), String> {
        let parts: Vec<&str> = self.schedule.split('/').collect();
        let (start, period) = match parts.as_slice() {
            ["R", start, period] | [start, period] => (*start, *period),
            _ => {
                return Err(format!(
                    "schedule '{}' is not R/start/period",
                    self.schedule
                ));
            }
        };
        let start = parse_time_ms(start)
            .ok_or_else(|| format!("schedule '{}': bad start time", self.schedule))?;
        let period = duration_ms(period)
            .filter(|p| *p >= 60_000)
            .ok_or_else(|| format!("schedule '{}': bad period", self.schedule))?;
        Ok((start, period))
    }

    /// Checks the rule the way the world file is checked.
    pub fn check(&self, policy: &str) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err(format!("policy '{policy}': backup rule without a name"));
        }
        self.schedule_ms()
            .map_err(|e| format!("policy '{policy}': {e}"))?;
        if !matches!(self.backup_type.as_str(), "Full" | "Incremental") {
            return Err(format!(
                "policy '{policy}': backup_type must be Full or Incremental"
            ));
        }
        if self.tags.iter().filter(|t| t.criteria.is_none()).count() != 1 {
            return Err(format!(
                "policy '{policy}': exactly one retention tag must have no criteria (the default)"
            ));
        }
        for t in &self.tags {
            if duration_ms(&t.retention).is_none() {
                return Err(format!(
                    "policy '{policy}': tag '{}' has a bad retention '{}'",
                    t.name, t.retention
                ));
            }
            if let Some(c) = &t.criteria
                && !CRITERIA.contains(&c.as_str())
            {
                return Err(format!(
                    "policy '{policy}': tag '{}' has unknown criteria '{c}' (use {})",
                    t.name,
                    CRITERIA.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The absolute criteria a tag may have, most specific last.
pub const CRITERIA: &[&str] = &["FirstOfDay", "FirstOfWeek", "FirstOfMonth", "FirstOfYear"];

/// An ISO 8601 duration in milliseconds: `PnYnMnWnDTnHnMnS` (a month is 30 days and a year
/// 365, which is how the emulator counts retention; the service's calendar arithmetic is not
/// documented).
pub fn duration_ms(s: &str) -> Option<u64> {
    let rest = s.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, t),
        Some(_) => return None,
        None => (rest, ""),
    };
    const DAY: u64 = 24 * 3600 * 1000;
    let mut total: u64 = 0;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 365 * DAY),
                ('M', 30 * DAY),
                ('W', 7 * DAY),
                ('D', DAY),
            ][..],
        ),
        (
            time,
            &[('H', 3600 * 1000), ('M', 60 * 1000), ('S', 1000)][..],
        ),
    ] {
        let mut num = String::new();
        let mut next = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let at = units[next..].iter().position(|(u, _)| *u == c)? + next;
            let n: u64 = num.parse().ok()?;
            total = total.checked_add(n.checked_mul(units[at].1)?)?;
            num.clear();
            next = at + 1;
        }
        if !num.is_empty() {
            return None;
        }
    }
    Some(total)
}

/// An RFC 3339 time in milliseconds since the epoch.
pub fn parse_time_ms(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("PT4H"), Some(4 * 3600 * 1000));
        assert_eq!(duration_ms("P7D"), Some(7 * 24 * 3600 * 1000));
        assert_eq!(duration_ms("P1W"), Some(7 * 24 * 3600 * 1000));
        assert_eq!(duration_ms("P3M"), Some(90 * 24 * 3600 * 1000));
        assert_eq!(duration_ms("P1DT12H"), Some(36 * 3600 * 1000));
        for bad in ["", "P", "7D", "PT", "P1H", "PD", "P1D1W"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn schedules() {
        let r = BackupRule {
            name: "BackupHourly".into(),
            schedule: "R/2021-05-19T06:33:16+00:00/PT4H".into(),
            backup_type: "Incremental".into(),
            tags: vec![RetentionTag {
                name: "Default".into(),
                retention: "P7D".into(),
                criteria: None,
            }],
        };
        let (start, period) = r.schedule_ms().unwrap();
        assert_eq!(period, 4 * 3600 * 1000);
        assert_eq!(start, 1_621_405_996_000);
        r.check("p").unwrap();
        let bad = BackupRule {
            schedule: "R/yesterday/PT4H".into(),
            ..r.clone()
        };
        assert!(bad.check("p").is_err());
    }
}
