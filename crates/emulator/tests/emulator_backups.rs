//! Backup policies, scheduled backups on the emulator's clock, backup jobs, recovery points,
//! adhoc backup and sync, checked over HTTP against the published shapes (fixtures in
//! tests/fixtures/day2, copied from the spec's examples and a CLI recording).

#[path = "emulator_support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/day2/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect(&p)).expect(&p)
}

/// Every key of `example` (recursively, objects only; arrays by their first element) is in `got`.
fn has_shape(example: &Value, got: &Value, path: &str, missing: &mut Vec<String>) {
    match (example, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (k, v) in e {
                match g.get(k) {
                    Some(gv) => has_shape(v, gv, &format!("{path}.{k}"), missing),
                    None => missing.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            if let (Some(e0), Some(g0)) = (e.first(), g.first()) {
                has_shape(e0, g0, &format!("{path}[0]"), missing);
            }
        }
        _ => {}
    }
}

fn api(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}api-version={NEW}")
}

fn bi(name: &str) -> String {
    format!("{}/backupInstances/{name}", vault())
}

async fn protected(emu: &Emu, name: &str, disk_name: &str) {
    let st = emu
        .protect(name, &disk_props(disk_name, "policy-disk"), NEW)
        .await;
    assert_eq!(st["status"], "Succeeded", "{st}");
    emu.admin(Method::POST, "/operations/finish", None).await;
    let g = emu.get(&emu.instance_path(name, NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"], "ProtectionConfigured",
        "{}",
        g.text
    );
}

async fn backup(emu: &Emu, name: &str, rule: &str, tag: Option<&str>) -> Answer {
    let mut trigger = json!({"objectType": "AdhocBasedTriggerContext"});
    if let Some(t) = tag {
        trigger["retentionTagOverride"] = json!(t);
    }
    emu.post(
        &api(&format!("{}/backup", bi(name))),
        &json!({"backupRuleOptions": {"ruleName": rule, "triggerOption": trigger}}),
    )
    .await
}

async fn job(emu: &Emu, job_id: &str) -> Value {
    let guid = job_id.rsplit('/').next().unwrap();
    let a = emu
        .get(&api(&format!("{}/backupJobs/{guid}", vault())))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

/// The policy's GET shows the backup rule with its schedule and tags, and retention rules per
/// tag, in the published example's shape; azurerm-style policies name the rule BackupIntervals.
#[tokio::test]
async fn policies_carry_backup_rules_and_tags() {
    let emu = start_fast().await;
    let a = emu
        .get(&api(&format!("{}/backupPolicies/policy-disk", vault())))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let rules = a.body["properties"]["policyRules"].as_array().unwrap();
    let backup = rules
        .iter()
        .find(|r| r["objectType"] == "AzureBackupRule")
        .unwrap();
    assert_eq!(backup["name"], "BackupHourly");
    assert_eq!(
        backup["trigger"]["schedule"]["repeatingTimeIntervals"][0],
        "R/2024-01-01T06:00:00+00:00/PT4H"
    );
    let example = &fixture("GetBackupPolicy.json")["responses"]["200"]["body"];
    let mut missing = Vec::new();
    has_shape(
        &example["properties"]["policyRules"][0],
        backup,
        "rule",
        &mut missing,
    );
    assert!(missing.is_empty(), "{missing:?}");
    let blob = emu
        .get(&api(&format!(
            "{}/backupPolicies/policy-blob-vaulted",
            vault()
        )))
        .await;
    let rules = blob.body["properties"]["policyRules"].as_array().unwrap();
    assert_eq!(rules[0]["name"], "BackupIntervals");
    let tags: Vec<&str> = rules[0]["trigger"]["taggingCriteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tagInfo"]["tagName"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["Default", "Weekly"]);
    assert!(
        rules
            .iter()
            .any(|r| r["name"] == "Weekly" && r["objectType"] == "AzureRetentionRule")
    );
    // Operational blob: continuous, no backup rule.
    let op = emu
        .get(&api(&format!("{}/backupPolicies/policy-blob", vault())))
        .await;
    assert!(
        op.body["properties"]["policyRules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["objectType"] != "AzureBackupRule")
    );
}

/// An adhoc backup: 202, its operation ends with properties.jobId (the job's ARM ID) and a
/// Location result naming the job; the job runs Started → InProgress → Completed and leaves a
/// recovery point with the tag's expiry; a second trigger while it runs is refused.
#[tokio::test]
async fn adhoc_backup_makes_a_job_and_a_recovery_point() {
    let emu = start_fast().await;
    emu.knobs(json!({"trigger_ms": 0, "job_ms": 3_600_000}))
        .await;
    protected(&emu, "bi-now", "disk-1").await;
    let a = backup(&emu, "bi-now", "BackupHourly", Some("Default")).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let st = emu.poll(&a.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Succeeded");
    let job_id = st["properties"]["jobId"].as_str().unwrap().to_string();
    assert!(
        job_id.starts_with(&format!("{}/backupJobs/", vault())),
        "{job_id}"
    );
    let loc = emu.get(&a.header("location").unwrap()).await;
    assert_eq!(loc.status, 200);
    assert_eq!(loc.body["jobId"], job_id.as_str());
    assert_eq!(loc.body["objectType"], "OperationJobExtendedInfo");

    let j = job(&emu, &job_id).await;
    assert_eq!(j["properties"]["status"], "Started");
    assert_eq!(j["properties"]["operation"], "Backup");
    assert_eq!(j["properties"]["isUserTriggered"], true);
    assert_eq!(j["properties"]["backupInstanceId"], bi("bi-now").as_str());
    assert_eq!(j["properties"]["dataSourceId"], disk("disk-1").as_str());
    assert!(j["properties"].get("endTime").is_none());
    let example = &fixture("GetJob.json")["responses"]["200"]["body"];
    let mut missing = Vec::new();
    has_shape(example, &j, "job", &mut missing);
    assert!(missing.is_empty(), "{missing:?}");

    // One running job per datasource.
    let again = backup(&emu, "bi-now", "BackupHourly", None).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.code(), "UserErrorAnotherOperationInProgress");

    // Half-way it is InProgress; at the end Completed with a point.
    emu.admin(
        Method::POST,
        "/clock/advance",
        Some(&json!({"seconds": 1900})),
    )
    .await;
    assert_eq!(
        job(&emu, &job_id).await["properties"]["status"],
        "InProgress"
    );
    emu.admin(
        Method::POST,
        "/clock/advance",
        Some(&json!({"seconds": 1800})),
    )
    .await;
    let done = job(&emu, &job_id).await;
    assert_eq!(done["properties"]["status"], "Completed", "{done}");
    assert_eq!(done["properties"]["duration"], "01:00:00");
    assert_eq!(
        done["properties"]["extendedInfo"]["additionalDetails"]["PolicyRuleName"],
        "BackupHourly"
    );
    let rps = emu
        .get(&api(&format!("{}/recoveryPoints", bi("bi-now"))))
        .await;
    assert_eq!(rps.status, 200, "{}", rps.text);
    let list = rps.body["value"].as_array().unwrap();
    let mine = list
        .iter()
        .find(|p| {
            Some(p["properties"]["recoveryPointId"].as_str().unwrap())
                == done["properties"]["extendedInfo"]["recoveryPointId"].as_str()
        })
        .expect("the job's point");
    assert_eq!(mine["properties"]["retentionTagName"], "Default");
    let t = |k: &str| {
        time::OffsetDateTime::parse(
            mine["properties"][k].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(
        t("expiryTime") - t("recoveryPointTime"),
        time::Duration::days(7)
    );
    let recorded = &fixture("recorded_disk_recovery_points.json")["value"][0];
    let mut missing = Vec::new();
    has_shape(recorded, mine, "rp", &mut missing);
    assert!(missing.is_empty(), "{missing:?}");
    let one = emu
        .get(&api(&format!(
            "{}/recoveryPoints/{}",
            bi("bi-now"),
            mine["name"].as_str().unwrap()
        )))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["id"], mine["id"]);
}

/// A wrong rule name (the retention rule `Default`, or azurerm's name on a portal policy) or an
/// unknown tag is the service's opaque BMSUserErrorInvalidInput; missing parts are named.
#[tokio::test]
async fn adhoc_backup_checks_rule_and_tag() {
    let emu = start_fast().await;
    protected(&emu, "bi-bad", "disk-1").await;
    for (rule, tag) in [
        ("Default", None),
        ("BackupIntervals", None),
        ("BackupHourly", Some("Yearly")),
    ] {
        let a = backup(&emu, "bi-bad", rule, tag).await;
        assert_eq!(a.status, 400, "{rule} {tag:?}: {}", a.text);
        assert_eq!(a.code(), "BMSUserErrorInvalidInput");
    }
    let a = emu
        .post(
            &api(&format!("{}/backup", bi("bi-bad"))),
            &json!({"backupRuleOptions": {"ruleName": "BackupHourly"}}),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(a.text.contains("triggerOption"), "{}", a.text);
    let missing = backup(&emu, "bi-none", "BackupHourly", None).await;
    assert_eq!(missing.status, 404);
    // A stopped instance takes no backup.
    let stop = emu
        .post(
            &api(&format!("{}/stopProtection", bi("bi-bad"))),
            &json!({}),
        )
        .await;
    emu.poll(&stop.header("azure-asyncoperation").unwrap())
        .await;
    let a = backup(&emu, "bi-bad", "BackupHourly", None).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "UserErrorInvalidProtectionStateForOperation");
}

/// Advancing the clock runs the schedule: a PT4H rule over 26 hours makes 6 or 7 scheduled
/// (not user-triggered) jobs and points, newest first, filtered by `$filter` (empty filter =
/// all, reversed window = none) and paged by nextLink.
#[tokio::test]
async fn the_clock_runs_the_schedule_and_points_page_and_filter() {
    let emu = start_fast().await;
    emu.knobs(json!({"job_ms": 0, "history_page_size": 2}))
        .await;
    protected(&emu, "bi-sched", "disk-1").await;
    let adv = emu
        .admin(Method::POST, "/clock/advance", Some(&json!({"hours": 26})))
        .await;
    assert_eq!(adv.status, 200, "{}", adv.text);
    let started = adv.body["jobs_started"].as_u64().unwrap();
    assert!((6..=7).contains(&started), "{started}");

    let mut all = Vec::new();
    let mut url = api(&format!("{}/recoveryPoints", bi("bi-sched")));
    for _ in 0..20 {
        let a = emu.get(&url).await;
        assert_eq!(a.status, 200, "{}", a.text);
        all.extend(a.body["value"].as_array().unwrap().clone());
        match a.body["nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(all.len() as u64, started);
    let times: Vec<&str> = all
        .iter()
        .map(|p| p["properties"]["recoveryPointTime"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    let newest = times[0];
    let oldest = times[times.len() - 1];
    let filtered = emu
        .get(&api(&format!(
            "{}/recoveryPoints?$filter={}",
            bi("bi-sched"),
            urlencode(&format!(
                "startDate eq '{newest}' and endDate eq '{newest}'"
            ))
        )))
        .await;
    assert_eq!(
        filtered.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        filtered.text
    );
    let reversed = emu
        .get(&api(&format!(
            "{}/recoveryPoints?$filter={}",
            bi("bi-sched"),
            urlencode(&format!(
                "startDate eq '{newest}' and endDate eq '{oldest}'"
            ))
        )))
        .await;
    if newest != oldest {
        assert_eq!(reversed.body, json!({"value": []}));
    }
    let empty = emu
        .get(&api(&format!("{}/recoveryPoints?$filter=", bi("bi-sched"))))
        .await;
    assert_eq!(empty.status, 200);
    let bad = emu
        .get(&api(&format!(
            "{}/recoveryPoints?$filter=startDate%20gt%201",
            bi("bi-sched")
        )))
        .await;
    assert_eq!(bad.status, 400);

    // The vault's job list pages too, and the scheduled jobs say so.
    let jobs = emu.get(&api(&format!("{}/backupJobs", vault()))).await;
    assert_eq!(jobs.body["value"].as_array().unwrap().len(), 2);
    assert!(jobs.body["nextLink"].as_str().is_some());
    assert_eq!(
        jobs.body["value"][0]["properties"]["isUserTriggered"],
        false
    );
    let missing = emu
        .get(&api(&format!(
            "{}/backupJobs/00000000-0000-0000-0000-000000000000",
            vault()
        )))
        .await;
    assert_eq!(missing.status, 404);

    // Points expire after their retention (P7D).
    emu.admin(Method::POST, "/clock/advance", Some(&json!({"days": 8})))
        .await;
    emu.admin(Method::POST, "/operations/finish", None).await;
    let later = emu
        .get(&api(&format!("{}/recoveryPoints", bi("bi-sched"))))
        .await;
    let oldest_now = later.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["properties"]["recoveryPointTime"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .min()
        .unwrap();
    assert!(oldest_now.as_str() > newest, "old points expired");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A job knob makes jobs fail with a given error in errorDetails; no recovery point is made.
#[tokio::test]
async fn job_rules_fail_jobs_with_their_error() {
    let emu = start_fast().await;
    emu.knobs(
        json!({"trigger_ms": 0, "job_ms": 0, "job_id_form": "guid", "job_rules": [
            {"pattern": "*disk-2*", "operation": "backup", "outcome": "fail",
             "code": "UserErrorDiskSnapshotLimitReached", "message": "Snapshot limit reached."}
        ]}),
    )
    .await;
    protected(&emu, "bi-fail", "disk-2").await;
    let a = backup(&emu, "bi-fail", "BackupHourly", None).await;
    let st = emu.poll(&a.header("azure-asyncoperation").unwrap()).await;
    let guid = st["properties"]["jobId"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&guid).is_ok(), "a bare GUID: {guid}");
    let j = job(&emu, &guid).await;
    assert_eq!(j["properties"]["status"], "Failed");
    assert_eq!(
        j["properties"]["errorDetails"][0]["code"],
        "UserErrorDiskSnapshotLimitReached"
    );
    assert_eq!(
        j["properties"]["errorDetails"][0]["message"],
        "Snapshot limit reached."
    );
    let rps = emu
        .get(&api(&format!("{}/recoveryPoints", bi("bi-fail"))))
        .await;
    assert_eq!(rps.body["value"].as_array().unwrap().len(), 0);
}

/// A role revoked after protection: the next backup fails with the permission error and the
/// instance shows ProtectionError; sync leaves it there while the role is missing and brings it
/// back to ProtectionConfigured once the role is granted again.
#[tokio::test]
async fn sync_fixes_a_protection_error_once_its_cause_is_gone() {
    let emu = start_fast().await;
    emu.knobs(json!({"trigger_ms": 0, "job_ms": 0})).await;
    protected(&emu, "bi-sync", "disk-1").await;
    let grant =
        json!({"principal_id": PRINCIPAL, "scope": data_rg(), "role": "Disk Backup Reader"});
    let r = emu.admin(Method::DELETE, "/grants", Some(&grant)).await;
    assert_eq!(r.body["removed"], 1, "{}", r.text);
    let run = emu
        .admin(
            Method::POST,
            "/schedule/run",
            Some(&json!({"instance": bi("bi-sync")})),
        )
        .await;
    let guid = run.body["jobs"][0].as_str().unwrap().to_string();
    let j = job(&emu, &guid).await;
    assert_eq!(j["properties"]["status"], "Failed", "{j}");
    let g = emu.get(&emu.instance_path("bi-sync", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionError"
    );

    let sync = || async {
        let a = emu
            .post(
                &api(&format!("{}/sync", bi("bi-sync"))),
                &json!({"syncType": "Default"}),
            )
            .await;
        assert_eq!(a.status, 202, "{}", a.text);
        emu.poll(&a.header("azure-asyncoperation").unwrap()).await
    };
    assert_eq!(sync().await["status"], "Succeeded");
    let g = emu.get(&emu.instance_path("bi-sync", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionError"
    );

    let r = emu.admin(Method::POST, "/grants", Some(&grant)).await;
    assert!(r.status < 300, "{}", r.text);
    sync().await;
    let g = emu.get(&emu.instance_path("bi-sync", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"], "ProtectionConfigured",
        "{}",
        g.text
    );
    let bad = emu
        .post(
            &api(&format!("{}/sync", bi("bi-sync"))),
            &json!({"syncType": "Sometimes"}),
        )
        .await;
    assert_eq!(bad.status, 400);
}

/// The admin clock reads back what it was moved by and refuses nonsense.
#[tokio::test]
async fn admin_clock() {
    let emu = start_fast().await;
    let before = emu.admin(Method::GET, "/clock", None).await.body;
    assert_eq!(before["offset_ms"], 0);
    let a = emu
        .admin(
            Method::POST,
            "/clock/advance",
            Some(&json!({"days": 1, "hours": 2})),
        )
        .await;
    assert_eq!(a.body["offset_ms"], 26 * 3600 * 1000);
    for bad in [json!({}), json!({"days": 1000}), json!({"weeks": 1})] {
        let a = emu.admin(Method::POST, "/clock/advance", Some(&bad)).await;
        assert_eq!(a.status, 400, "{bad}");
    }
}
