//! Throttle awareness against a scripted server in virtual time: `Retry-After` as an HTTP-date,
//! pacing when ARM's remaining-budget header runs low, and a 429 seen by one operation holding
//! back the next one of the same process.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};

const API: &str = "2025-07-01";

fn id(name: &str) -> BackupInstanceId {
    let vault: BackupVaultId = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-v"
    )
    .parse()
    .unwrap();
    vault.instance(name)
}

fn found(id: &BackupInstanceId) -> serde_json::Value {
    json!({
        "id": id.to_string(),
        "name": id.name,
        "properties": {"provisioningState": "Succeeded", "objectType": "BackupInstance",
            "dataSourceInfo": {"resourceID": "/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/disks/d"}}
    })
}

fn throttled() -> serde_json::Value {
    json!({"error": {"code": "SubscriptionRequestsThrottled", "message": "Number of requests exceeded the limit"}})
}

/// A 429 whose `Retry-After` is an HTTP-date is honoured: the client waits until that date as
/// measured from the response's own `Date`, then retries once.
#[tokio::test]
async fn retry_after_http_date_on_429_is_honoured() {
    let h = Harness::new(API).await;
    let bi = id("bi-1");
    let target = format!("{bi}?api-version={API}");
    h.server.push(
        Step::new("GET", target.clone(), 429)
            .header("Date", "Sun, 29 Nov 2026 19:00:00 GMT")
            .header("Retry-After", "Sun, 29 Nov 2026 19:00:42 GMT")
            .json(throttled()),
    );
    h.server
        .push(Step::new("GET", target.clone(), 200).json(found(&bi)));
    let got = h
        .client
        .get_backup_instance(&bi, &h.op(Duration::from_secs(300)))
        .await
        .expect("read after the throttling window");
    assert!(got.is_some());
    h.server.assert_done();
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(42)]);
}

/// A low `x-ms-ratelimit-remaining-subscription-reads` slows the next reads before any 429;
/// a healthy figure does not.
#[tokio::test]
async fn low_remaining_reads_slow_the_next_requests() {
    let h = Harness::new(API).await;
    let (a, b, c) = (id("bi-a"), id("bi-b"), id("bi-c"));
    h.server.push(
        Step::new("GET", format!("{a}?api-version={API}"), 200)
            .header("x-ms-ratelimit-remaining-subscription-reads", "11990")
            .json(found(&a)),
    );
    h.server.push(
        Step::new("GET", format!("{b}?api-version={API}"), 200)
            .header("x-ms-ratelimit-remaining-subscription-reads", "10")
            .json(found(&b)),
    );
    h.server
        .push(Step::new("GET", format!("{c}?api-version={API}"), 200).json(found(&c)));
    for x in [&a, &b] {
        h.client
            .get_backup_instance(x, &h.op(Duration::from_secs(60)))
            .await
            .unwrap();
    }
    assert!(
        h.clock.sleeps().is_empty(),
        "plenty of budget: no pacing yet: {:?}",
        h.clock.sleeps()
    );
    h.client
        .get_backup_instance(&c, &h.op(Duration::from_secs(60)))
        .await
        .unwrap();
    h.server.assert_done();
    // 10 left of a 50 low-water mark: 40 missing × 40 ms.
    assert_eq!(h.clock.sleeps(), vec![Duration::from_millis(1600)]);
}

/// One operation gives up on a 429 (its deadline is nearer than the server's wait); the next
/// operation of the same process waits out that `Retry-After` before sending anything.
#[tokio::test]
async fn a_429_holds_back_the_next_operation_too() {
    let h = Harness::new(API).await;
    let (a, b) = (id("bi-a"), id("bi-b"));
    h.server.push(
        Step::new("GET", format!("{a}?api-version={API}"), 429)
            .header("Retry-After", "20")
            .json(throttled()),
    );
    h.server
        .push(Step::new("GET", format!("{b}?api-version={API}"), 200).json(found(&b)));
    let err = h
        .client
        .get_backup_instance(&a, &h.op(Duration::from_secs(5)))
        .await
        .expect_err("the first read gives up: its deadline is before the server's wait");
    assert_eq!(err.status(), Some(429));
    assert!(h.clock.sleeps().is_empty());
    h.client
        .get_backup_instance(&b, &h.op(Duration::from_secs(300)))
        .await
        .expect("second read");
    h.server.assert_done();
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(20)]);
}
