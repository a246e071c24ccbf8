//! Coalesced reads against a scripted server: concurrent reads of one vault share one list walk;
//! an instance missing from a complete list is gone; a vault whose list would not pay is never
//! listed (or not beyond the first page); an entry in a changing state is read on its own; a
//! list lasts while reads keep coming and is dropped by a write of this process.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::{Value, json};
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};
use terraform_provider_azurebackup::azure::reads::{CoalesceConfig, InstanceReads};

const API: &str = "2025-07-01";

fn vault() -> BackupVaultId {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-v"
    )
    .parse()
    .unwrap()
}

fn id(i: usize) -> BackupInstanceId {
    vault().instance(format!("bi-{i:05}"))
}

fn entry(id: &BackupInstanceId, protection: &str) -> Value {
    json!({
        "id": id.to_string(),
        "name": id.name,
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "provisioningState": "Succeeded",
            "currentProtectionState": protection,
            "protectionStatus": {"status": protection},
            "objectType": "BackupInstance",
            "dataSourceInfo": {"resourceID": format!("/subscriptions/{SUB}/resourceGroups/r/providers/Microsoft.Compute/disks/d{}", id.name)}
        }
    })
}

fn list_target(page: usize) -> String {
    if page == 0 {
        format!("{}/backupInstances?api-version={API}", vault())
    } else {
        format!(
            "{}/backupInstances?api-version={API}&$skipToken=p{page}",
            vault()
        )
    }
}

/// Page `page` of a vault whose instances are `ids`, `size` per page.
fn page_step(h: &Harness, ids: &[BackupInstanceId], size: usize, page: usize) -> Step {
    let chunk: Vec<Value> = ids
        .iter()
        .skip(page * size)
        .take(size)
        .map(|i| entry(i, "ProtectionConfigured"))
        .collect();
    let mut body = json!({ "value": chunk });
    if (page + 1) * size < ids.len() {
        body["nextLink"] = json!(format!("{}{}", h.server.base, list_target(page + 1)));
    }
    Step::new("GET", list_target(page), 200).json(body)
}

fn get_step(id: &BackupInstanceId) -> Step {
    Step::new("GET", format!("{id}?api-version={API}"), 200).json(entry(id, "ProtectionConfigured"))
}

/// The service's 404 of a missing instance.
fn gone_step(id: &BackupInstanceId) -> Step {
    Step::new("GET", format!("{id}?api-version={API}"), 404).json(
        json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "not found"}}),
    )
}

/// List from the first read, even for one read (the scripts stay deterministic).
fn always_list() -> CoalesceConfig {
    CoalesceConfig {
        list_after: 1,
        reads_per_page: 1,
        ..CoalesceConfig::default()
    }
}

fn op(h: &Harness) -> terraform_provider_azurebackup::azure::client::OpOptions {
    h.op(Duration::from_secs(300))
}

/// 50 concurrent reads of one vault of 60 instances (pages of 20) make one list walk of three
/// pages and not a single GET of an instance.
#[tokio::test]
async fn fifty_concurrent_reads_make_one_list_walk() {
    let h = Harness::new(API).await;
    let ids: Vec<BackupInstanceId> = (0..60).map(id).collect();
    for p in 0..3 {
        h.server.push(page_step(&h, &ids, 20, p));
    }
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = op(&h);
    let results = futures_join_all(ids.iter().take(50).map(|i| reads.read(i, &o))).await;
    for (i, r) in results.into_iter().enumerate() {
        let got = r.expect("read").expect("present");
        assert_eq!(got.name.as_deref(), Some(ids[i].name.as_str()));
    }
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 3, "{:#?}", h.server.sequence());
}

/// An instance absent from a complete list is not taken as gone on the list's word (issue 18,
/// finding 3): its GET decides, and a list that left out an existing instance loses nothing.
#[tokio::test]
async fn missing_from_a_complete_list_is_confirmed_with_a_get() {
    let h = Harness::new(API).await;
    let ids: Vec<BackupInstanceId> = (0..3).map(id).collect();
    h.server.push(page_step(&h, &ids, 20, 0));
    h.server.push(gone_step(&id(99)));
    h.server.push(get_step(&id(98)));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = op(&h);
    assert!(reads.read(&ids[1], &o).await.unwrap().is_some());
    assert!(reads.read(&id(99), &o).await.unwrap().is_none());
    assert!(reads.read(&id(98), &o).await.unwrap().is_some());
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 3);
}

/// With the default heuristic a configuration that reads three instances of a big vault never
/// lists it: three GETs.
#[tokio::test]
async fn few_reads_of_a_big_vault_never_list_it() {
    let h = Harness::new(API).await;
    for i in [7, 4242, 9001] {
        h.server.push(get_step(&id(i)));
    }
    let reads = InstanceReads::new(h.client.clone(), CoalesceConfig::default());
    let o = op(&h);
    for i in [7, 4242, 9001] {
        assert!(reads.read(&id(i), &o).await.unwrap().is_some());
    }
    h.server.assert_done();
    assert!(
        h.server
            .sequence()
            .iter()
            .all(|(_, t)| !t.contains("/backupInstances?")),
        "{:#?}",
        h.server.sequence()
    );
}

/// Ten reads of a vault of 10,000 foreign instances: four GETs, then one list page that answers
/// none of them, after which the walk stops (it does not pay) and the rest are GETs.
#[tokio::test]
async fn a_list_that_answers_nothing_is_not_walked_further() {
    let h = Harness::new(API).await;
    let foreign: Vec<BackupInstanceId> = (20_000..30_000).map(id).collect();
    let mine: Vec<BackupInstanceId> = (0..10).map(id).collect();
    for m in &mine[..4] {
        h.server.push(get_step(m));
    }
    h.server.push(page_step(&h, &foreign, 200, 0));
    for m in &mine[4..] {
        h.server.push(get_step(m));
    }
    let reads = InstanceReads::new(h.client.clone(), CoalesceConfig::default());
    let o = op(&h);
    for m in &mine {
        assert!(reads.read(m, &o).await.unwrap().is_some());
    }
    h.server.assert_done();
    let lists = h
        .server
        .sequence()
        .iter()
        .filter(|(_, t)| t.contains("/backupInstances?"))
        .count();
    assert_eq!(lists, 1);
}

/// An entry in a changing state is read with its own GET; settled ones come from the list.
#[tokio::test]
async fn an_entry_in_a_changing_state_is_read_on_its_own() {
    let h = Harness::new(API).await;
    let a = id(1);
    let b = id(2);
    h.server
        .push(Step::new("GET", list_target(0), 200).json(json!({"value": [
            entry(&a, "ProtectionConfigured"),
            entry(&b, "ConfiguringProtection"),
        ]})));
    h.server.push(get_step(&b));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = op(&h);
    assert!(reads.read(&a, &o).await.unwrap().is_some());
    let fresh = reads.read(&b, &o).await.unwrap().unwrap();
    assert_eq!(
        fresh.properties.current_protection_state.as_deref(),
        Some("ProtectionConfigured")
    );
    h.server.assert_done();
}

/// A list entry that belongs to another vault makes the whole list untrusted: GETs instead.
#[tokio::test]
async fn an_entry_of_another_vault_is_not_trusted() {
    let h = Harness::new(API).await;
    let a = id(1);
    let other: BackupVaultId = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/other").parse().unwrap();
    let stray = other.instance("bi-00001");
    h.server.push(
        Step::new("GET", list_target(0), 200)
            .json(json!({"value": [entry(&stray, "ProtectionConfigured")]})),
    );
    h.server.push(get_step(&a));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    assert!(reads.read(&a, &op(&h)).await.unwrap().is_some());
    h.server.assert_done();
}

/// A list follows the refresh, not a fixed clock: reads that keep coming (here one every 15 s
/// for five minutes, far past any fixed age) are all answered by one walk; after a quiet spell
/// longer than `idle` the next read walks again.
#[tokio::test]
async fn a_list_lasts_as_long_as_the_reads_keep_coming() {
    use terraform_provider_azurebackup::azure::http::Clock;
    let h = Harness::new(API).await;
    let ids: Vec<BackupInstanceId> = (0..30).map(id).collect();
    h.server.push(page_step(&h, &ids, 200, 0));
    h.server.push(page_step(&h, &ids, 200, 0));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = h.op(Duration::from_secs(3600));
    for i in &ids[..20] {
        assert!(reads.read(i, &o).await.unwrap().is_some());
        h.clock.sleep(Duration::from_secs(15)).await;
    }
    assert_eq!(h.server.seen().len(), 1, "{:#?}", h.server.sequence());
    h.clock.sleep(always_list().idle).await;
    assert!(reads.read(&ids[20], &o).await.unwrap().is_some());
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 2);
}

/// The walk hands each entry out once (it holds only what is still to be read): a second read
/// of the same instance asks with a GET instead of calling it gone.
#[tokio::test]
async fn an_entry_is_handed_out_once_then_read_with_a_get() {
    let h = Harness::new(API).await;
    let ids: Vec<BackupInstanceId> = (0..3).map(id).collect();
    h.server.push(page_step(&h, &ids, 200, 0));
    h.server.push(get_step(&ids[1]));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = op(&h);
    assert!(reads.read(&ids[1], &o).await.unwrap().is_some());
    assert!(reads.read(&ids[1], &o).await.unwrap().is_some());
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 2);
}

/// A write by this process drops the lists taken before it: an instance created after a
/// complete list was walked is not called gone.
#[tokio::test]
async fn a_write_drops_the_lists_taken_before_it() {
    let h = Harness::new(API).await;
    let before: Vec<BackupInstanceId> = (0..3).map(id).collect();
    let mut after = before.clone();
    after.push(id(3));
    h.server.push(page_step(&h, &before, 200, 0));
    h.server.push(gone_step(&id(3)));
    h.server.push(page_step(&h, &after, 200, 0));
    let reads = InstanceReads::new(h.client.clone(), always_list());
    let o = op(&h);
    assert!(reads.read(&before[0], &o).await.unwrap().is_some());
    assert!(reads.read(&id(3), &o).await.unwrap().is_none());
    reads.wrote();
    assert!(reads.read(&id(3), &o).await.unwrap().is_some());
    h.server.assert_done();
}

/// Off means off: every read is a GET, however many.
#[tokio::test]
async fn disabled_means_one_get_per_read() {
    let h = Harness::new(API).await;
    for i in 0..6 {
        h.server.push(get_step(&id(i)));
    }
    let reads = InstanceReads::new(
        h.client.clone(),
        CoalesceConfig {
            enabled: false,
            ..CoalesceConfig::default()
        },
    );
    for i in 0..6 {
        assert!(reads.read(&id(i), &op(&h)).await.unwrap().is_some());
    }
    h.server.assert_done();
}

/// `join_all` without a futures dependency: poll every future in order on one task.
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futs.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.expect("ready")).collect()
}
