//! Restorable time ranges: `POST {instance}/findRestorableTimeRanges` (synchronous, no side
//! effect) for an instance backed up continuously (operational blobs), decoded strictly into
//! [`TimeRange`]s, oldest first. Point-in-time restores pick a time inside one of them.

use reqwest::Method;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{DataProtectionClient, OpOptions};
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::error::AzureError;
use crate::azure::history::{format_time, parse_time};

/// One window in which every point in time can be restored, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// At most this many ranges are read from one answer (the service gives one per instance).
const MAX_RANGES: usize = 10_000;

#[derive(Deserialize)]
struct Answer {
    id: Option<String>,
    properties: Option<Properties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    restorable_time_ranges: Option<Vec<RawRange>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRange {
    start_time: Option<String>,
    end_time: Option<String>,
}

/// The ranges of a `findRestorableTimeRanges` answer for `id`, oldest first. An answer that
/// names another instance, a range without both times, a time that is not RFC 3339, or a range
/// that ends before it starts is refused whole (the message says why); none of it is used.
pub fn parse_ranges(body: &[u8], id: &BackupInstanceId) -> Result<Vec<TimeRange>, String> {
    let a: Answer = serde_json::from_slice(body)
        .map_err(|e| format!("the response body is not the expected JSON: {e}"))?;
    // The published example names the instance by its name; an ARM ID must be this one's.
    if let Some(got) = a.id.as_deref().map(str::trim).filter(|g| !g.is_empty())
        && !got.eq_ignore_ascii_case(&id.name)
        && !crate::azure::wait::same_arm_id(got, &id.to_string())
    {
        let shown: String = got.chars().take(300).collect();
        return Err(format!(
            "the service answered for {shown:?} instead of the requested {id}"
        ));
    }
    let raw = a
        .properties
        .ok_or("the answer has no `properties`")?
        .restorable_time_ranges
        .ok_or("the answer has no `properties.restorableTimeRanges`")?;
    if raw.len() > MAX_RANGES {
        return Err(format!(
            "the answer holds {} ranges, more than the {MAX_RANGES} read",
            raw.len()
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let time = |name: &str, v: &Option<String>| -> Result<OffsetDateTime, String> {
            let text = v
                .as_deref()
                .ok_or_else(|| format!("range {i} has no `{name}`"))?;
            parse_time(text).ok_or_else(|| {
                let shown: String = text.chars().take(100).collect();
                format!("range {i}'s `{name}` {shown:?} is not an RFC 3339 time")
            })
        };
        let start = time("startTime", &r.start_time)?;
        let end = time("endTime", &r.end_time)?;
        if end < start {
            return Err(format!(
                "range {i} ends ({}) before it starts ({})",
                format_time(end),
                format_time(start)
            ));
        }
        out.push(TimeRange { start, end });
    }
    out.sort_by_key(|r| (r.start, r.end));
    Ok(out)
}

/// The request body: the operational store, and the window when one is given.
fn request_body(start: Option<OffsetDateTime>, end: Option<OffsetDateTime>) -> serde_json::Value {
    let mut body = serde_json::json!({ "sourceDataStoreType": "OperationalStore" });
    if let Some(s) = start {
        body["startTime"] = format_time(s).into();
    }
    if let Some(e) = end {
        body["endTime"] = format_time(e).into();
    }
    body
}

impl DataProtectionClient {
    /// `POST {instance}/findRestorableTimeRanges` for the operational store, within
    /// `[start, end]` when given: the ranges, oldest first. A 404 that proves the instance (or
    /// its vault or resource group) missing is `Ok(None)`; a refusal (an instance with discrete
    /// recovery points: `UserErrorRestorableTimeRangesNotSupported`) is the service's error.
    ///
    /// # Errors
    /// The service's error, typed; a decode error for an answer [`parse_ranges`] refuses.
    pub async fn find_restorable_time_ranges(
        &self,
        id: &BackupInstanceId,
        start: Option<OffsetDateTime>,
        end: Option<OffsetDateTime>,
        op: &OpOptions,
    ) -> Result<Option<Vec<TimeRange>>, AzureError> {
        let corr = self.start("findRestorableTimeRanges", &id.to_string());
        let ctx = op.context("findRestorableTimeRanges", &corr);
        let r = async {
            let url = self.url(id, &["findRestorableTimeRanges"])?;
            let body = request_body(start, end);
            // Finding ranges changes nothing: it is sent like a read.
            let resp = self
                .inner
                .pipeline
                .send_read_only(&ctx, Method::POST, &url, Some(&body))
                .await?;
            if resp.proves_absent() {
                return Ok((None, Some(resp)));
            }
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let ranges = parse_ranges(&resp.body, id).map_err(|why| {
                AzureError::decode(ctx.operation, format!("{why}; the answer was not used"))
                    .with_correlation_id(ctx.correlation_id)
                    .with_request_id(resp.request_id.clone())
            })?;
            Ok((Some(ranges), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> BackupInstanceId {
        "/subscriptions/04cf684a-d41f-4550-9f70-7708a3a2283b/resourceGroups/Blob-Backup/providers/Microsoft.DataProtection/backupVaults/ZBlobBackupVaultBVTD3/backupInstances/zblobbackuptestsa58".parse().unwrap()
    }

    fn t(s: &str) -> OffsetDateTime {
        parse_time(s).unwrap()
    }

    fn answer(ranges: serde_json::Value) -> Vec<u8> {
        serde_json::json!({
            "id": "zblobbackuptestsa58",
            "properties": {"objectType": "AzureBackupFindRestorableTimeRangesResponse", "restorableTimeRanges": ranges}
        })
        .to_string()
        .into_bytes()
    }

    fn example() -> serde_json::Value {
        let p = format!(
            "{}/tests/fixtures/azure/examples/2025-09-01/FindRestorableTimeRanges.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&p).expect(&p)).expect(&p)
    }

    /// The published example's answer decodes to its one range, to the 100 ns.
    #[test]
    fn the_published_answer_decodes() {
        let ex = example();
        let body = ex["responses"]["200"]["body"].to_string();
        let got = parse_ranges(body.as_bytes(), &id()).unwrap();
        assert_eq!(
            got,
            [TimeRange {
                start: t("2021-02-23T18:33:51.6349708Z"),
                end: t("2021-02-24T00:35:17Z"),
            }]
        );
    }

    /// The request is the published one's shape: the store, and each end of the window only
    /// when given, in the service's time format.
    #[test]
    fn the_request_has_the_published_shape() {
        let ex = example();
        let want = &ex["parameters"]["parameters"];
        let got = request_body(
            Some(t(want["startTime"].as_str().unwrap())),
            Some(t(want["endTime"].as_str().unwrap())),
        );
        assert_eq!(&got, want);
        assert_eq!(
            request_body(None, None),
            serde_json::json!({"sourceDataStoreType": "OperationalStore"})
        );
        assert_eq!(
            request_body(None, Some(t("2026-01-01T01:00:00+01:00"))),
            serde_json::json!({"sourceDataStoreType": "OperationalStore", "endTime": "2026-01-01T00:00:00.0000000Z"})
        );
    }

    /// Ranges come back oldest first whatever the service's order; none is an empty list.
    #[test]
    fn ranges_are_sorted_oldest_first() {
        let got = parse_ranges(
            &answer(serde_json::json!([
                {"startTime": "2026-03-02T00:00:00Z", "endTime": "2026-03-03T00:00:00Z"},
                {"startTime": "2026-03-01T00:00:00Z", "endTime": "2026-03-01T12:00:00Z"},
            ])),
            &id(),
        )
        .unwrap();
        assert_eq!(got[0].start, t("2026-03-01T00:00:00Z"));
        assert_eq!(got[1].end, t("2026-03-03T00:00:00Z"));
        assert!(
            parse_ranges(&answer(serde_json::json!([])), &id())
                .unwrap()
                .is_empty()
        );
    }

    /// A bad time, a missing end, a reversed range, a missing list, an answer for another
    /// instance or not JSON: the whole answer is refused, saying why.
    #[test]
    fn bad_answers_are_refused() {
        let cases: [(Vec<u8>, &str); 7] = [
            (
                answer(serde_json::json!([{"startTime": "yesterday", "endTime": "2026-03-01T00:00:00Z"}])),
                "not an RFC 3339 time",
            ),
            (
                answer(serde_json::json!([{"startTime": "2026-03-01T00:00:00Z"}])),
                "has no `endTime`",
            ),
            (
                answer(serde_json::json!([{"startTime": "2026-03-02T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}])),
                "ends (2026-03-01T00:00:00.0000000Z) before it starts",
            ),
            (
                answer(serde_json::json!([{"startTime": "2026-02-30T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}])),
                "not an RFC 3339 time",
            ),
            (br#"{"id":"zblobbackuptestsa58","properties":{}}"#.to_vec(), "no `properties.restorableTimeRanges`"),
            (
                br#"{"id":"/subscriptions/04cf684a-d41f-4550-9f70-7708a3a2283b/resourceGroups/Blob-Backup/providers/Microsoft.DataProtection/backupVaults/ZBlobBackupVaultBVTD3/backupInstances/other","properties":{"restorableTimeRanges":[]}}"#.to_vec(),
                "instead of the requested",
            ),
            (b"<html>".to_vec(), "not the expected JSON"),
        ];
        for (body, want) in cases {
            let e = parse_ranges(&body, &id()).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want:?})");
        }
        // The instance's own ARM ID, in any case, is this instance.
        let own = format!(
            r#"{{"id":"{}","properties":{{"restorableTimeRanges":[]}}}}"#,
            id().to_string().to_uppercase()
        );
        assert!(parse_ranges(own.as_bytes(), &id()).is_ok());
    }
}
