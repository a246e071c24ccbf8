//! The emulator's mutable state (world, backup instances, long-running operations, tokens,
//! knobs, request log) and the clock-driven progress of operations and protection states.
//! Time is wall-clock milliseconds so that in-flight operations survive a restart.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::armpath::lower;
use super::knobs::{Knobs, OperationOutcome, ProtectionOutcome};
pub use super::lifecycle::{Deleted, deleted_key, is_held};
use super::world::World;

/// Longest request log kept; older entries fall off so memory stays bounded.
const LOG_CAP: usize = 10_000;
/// Above this many stored operations, finished ones older than `OP_KEEP_MS` are forgotten.
const OP_SOFT_CAP: usize = 50_000;
const OP_KEEP_MS: u64 = 10 * 60 * 1000;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A datasource or datasource set as the service stores and returns it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Datasource {
    #[serde(rename = "resourceID")]
    pub resource_id: String,
    pub resource_uri: String,
    pub datasource_type: String,
    pub resource_name: String,
    pub resource_type: String,
    pub resource_location: String,
    pub object_type: String,
    /// Whether the request carried `resourceLocation` / `datasourceType` (the service answers
    /// some sets without them differently); not part of the resource.
    #[serde(skip)]
    pub sent_location: bool,
    #[serde(skip)]
    pub sent_type: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub vault_id: String,
    pub friendly_name: String,
    pub data_source_info: Datasource,
    pub data_source_set_info: Option<Datasource>,
    pub policy_id: String,
    pub policy_parameters: Option<Value>,
    pub auth_credentials: Option<Value>,
    pub identity_details: Option<Value>,
    pub validation_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub provisioning_state: String,
    pub protection_state: String,
    pub protection_status: String,
    pub protection_error: Option<Value>,
    pub protection_due_ms: Option<u64>,
    pub protection_outcome: Option<ProtectionOutcome>,
    pub busy_operation: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum OpKind {
    Validate,
    Create,
    Update,
    Delete,
    /// `deletedBackupInstances/{name}/undelete`: back to `ProtectionStopped`.
    Undelete,
    /// The protection actions; each ends in the state [`OpKind::target_state`] names.
    StopProtection,
    SuspendBackups,
    ResumeProtection,
    ResumeBackups,
}

impl OpKind {
    pub fn knob_name(self) -> &'static str {
        match self {
            OpKind::Validate => "validate",
            OpKind::Create | OpKind::Update => "put",
            OpKind::Delete => "delete",
            OpKind::Undelete => "undelete",
            OpKind::StopProtection => "stopProtection",
            OpKind::SuspendBackups => "suspendBackups",
            OpKind::ResumeProtection => "resumeProtection",
            OpKind::ResumeBackups => "resumeBackups",
        }
    }

    /// The protection state a successful action leaves (both `currentProtectionState` and
    /// `protectionStatus.status`, as the recordings show).
    pub fn target_state(self) -> Option<&'static str> {
        match self {
            OpKind::StopProtection | OpKind::Undelete => Some("ProtectionStopped"),
            OpKind::SuspendBackups => Some("BackupsSuspended"),
            OpKind::ResumeProtection | OpKind::ResumeBackups => Some("ProtectionConfigured"),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum OpStatus {
    Inprogress,
    Succeeded,
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub kind: OpKind,
    pub api_version: String,
    pub subscription: String,
    pub location: String,
    pub vault_id: String,
    /// Lower-cased instance ID the operation is about (create/update/delete).
    pub instance_key: Option<String>,
    /// The candidate instance a validation or PUT checks when it completes.
    pub candidate: Option<Instance>,
    /// An updated instance as it was before, restored if the update fails.
    pub previous: Option<Instance>,
    pub start_ms: u64,
    /// `None`: never finishes.
    pub due_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub status: OpStatus,
    /// The `error` object of a failed status, and the HTTP status its result URL answers with.
    pub error: Option<Value>,
    pub error_http: u16,
    pub forced_failure: bool,
}

/// One entry of `GET /admin/requests`.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub time_ms: u64,
    pub method: String,
    pub path: String,
    pub api_version: Option<String>,
    pub operation: String,
    pub status: u16,
    pub ms: f64,
    pub request_id: String,
    pub correlation_id: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counter {
    pub count: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub total_ms: f64,
}

/// What the fault RNG decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    ServerError(u16),
    Drop,
}

/// The part of the state written to `--state`.
#[derive(Serialize, Deserialize)]
pub struct Persisted {
    pub format: u32,
    pub world: World,
    pub knobs: Knobs,
    pub instances: Vec<Instance>,
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub deleted: Vec<Deleted>,
    pub tokens: Vec<(String, u64)>,
    pub ca_cert_pem: Option<String>,
    pub ca_key_pem: Option<String>,
}

pub struct State {
    pub world: World,
    pub knobs: Knobs,
    /// Keyed by lower-cased instance ID, so a vault's instances are one contiguous range.
    pub instances: BTreeMap<String, Instance>,
    /// Lower-cased datasource ID → keys of the instances protecting it (for "already protected").
    by_datasource: HashMap<String, BTreeSet<String>>,
    pub operations: HashMap<String, Operation>,
    /// Soft-deleted instances, keyed by [`deleted_key`].
    pub deleted: BTreeMap<String, Deleted>,
    pending: BTreeSet<String>,
    pub tokens: HashMap<String, u64>,
    pub log: VecDeque<LogEntry>,
    pub counters: BTreeMap<String, Counter>,
    rng: StdRng,
    /// Bumped on every change worth persisting.
    pub version: u64,
}

impl State {
    pub fn new(world: World, knobs: Knobs) -> State {
        let rng = StdRng::seed_from_u64(knobs.seed);
        State {
            world,
            knobs,
            instances: BTreeMap::new(),
            by_datasource: HashMap::new(),
            operations: HashMap::new(),
            deleted: BTreeMap::new(),
            pending: BTreeSet::new(),
            tokens: HashMap::new(),
            log: VecDeque::new(),
            counters: BTreeMap::new(),
            rng,
            version: 0,
        }
    }

    pub fn from_persisted(p: Persisted) -> State {
        let mut s = State::new(p.world, p.knobs);
        for i in p.instances {
            s.insert_instance(lower(&i.id), i);
        }
        for o in p.operations {
            if o.status == OpStatus::Inprogress {
                s.pending.insert(o.id.clone());
            }
            s.operations.insert(o.id.clone(), o);
        }
        for d in p.deleted {
            s.deleted
                .insert(deleted_key(&d.instance.vault_id, &d.instance.name), d);
        }
        s.tokens = p.tokens.into_iter().collect();
        s
    }

    pub fn to_persisted(&self, ca: Option<(&str, &str)>) -> Persisted {
        let now = now_ms();
        Persisted {
            format: 1,
            world: self.world.clone(),
            knobs: self.knobs.clone(),
            instances: self.instances.values().cloned().collect(),
            operations: self.operations.values().cloned().collect(),
            deleted: self.deleted.values().cloned().collect(),
            tokens: self
                .tokens
                .iter()
                .filter(|(_, e)| **e > now)
                .map(|(t, e)| (t.clone(), *e))
                .collect(),
            ca_cert_pem: ca.map(|c| c.0.to_string()),
            ca_key_pem: ca.map(|c| c.1.to_string()),
        }
    }

    pub fn bump(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    pub fn set_knobs(&mut self, knobs: Knobs, reseed: bool) {
        if reseed {
            self.rng = StdRng::seed_from_u64(knobs.seed);
        }
        self.knobs = knobs;
        self.bump();
    }

    /// One draw per ARM request, always, so the same seed gives the same sequence of faults.
    pub fn draw_fault(&mut self) -> Fault {
        let x: f64 = self.rng.random();
        let f = &self.knobs.faults;
        if x < f.throttle_rate {
            Fault::Throttle
        } else if x < f.throttle_rate + f.server_error_rate {
            // A second draw picks which 5xx, still deterministic.
            if self.rng.random::<bool>() {
                Fault::ServerError(500)
            } else {
                Fault::ServerError(503)
            }
        } else if x < f.throttle_rate + f.server_error_rate + f.drop_rate {
            Fault::Drop
        } else {
            Fault::None
        }
    }

    pub fn issue_token(&mut self, token: String) -> u64 {
        let now = now_ms();
        if self.tokens.len() > 10_000 {
            self.tokens.retain(|_, e| *e > now);
        }
        let expiry = now + self.knobs.token_lifetime_secs * 1000;
        self.tokens.insert(token, expiry);
        self.bump();
        expiry
    }

    /// Starts a long-running operation; rules and the fault RNG decide whether it is forced to
    /// fail or never finish.
    #[allow(clippy::too_many_arguments)]
    pub fn start_operation(
        &mut self,
        kind: OpKind,
        api_version: &str,
        subscription: &str,
        location: &str,
        vault_id: &str,
        instance_key: Option<String>,
        candidate: Option<Instance>,
        previous: Option<Instance>,
        subjects: &[&str],
    ) -> String {
        let now = now_ms();
        self.prune_operations(now);
        let duration = match kind {
            OpKind::Validate => self.knobs.validate_ms,
            OpKind::Create | OpKind::Update => self.knobs.put_ms,
            OpKind::Delete | OpKind::Undelete => self.knobs.delete_ms,
            OpKind::StopProtection
            | OpKind::SuspendBackups
            | OpKind::ResumeProtection
            | OpKind::ResumeBackups => self.knobs.put_ms,
        };
        let x: f64 = self.rng.random();
        let f = &self.knobs.faults;
        let outcome = self.knobs.operation_rule(kind.knob_name(), subjects).or(
            if x < f.fail_operation_rate {
                Some(OperationOutcome::Fail)
            } else if x < f.fail_operation_rate + f.stuck_operation_rate {
                Some(OperationOutcome::NeverFinish)
            } else {
                None
            },
        );
        // The real IDs are base64 of two GUIDs joined by ';'.
        let raw = format!("{};{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let id = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
        let op = Operation {
            id: id.clone(),
            kind,
            api_version: api_version.to_string(),
            subscription: subscription.to_string(),
            location: location.to_string(),
            vault_id: vault_id.to_string(),
            instance_key,
            candidate,
            previous,
            start_ms: now,
            due_ms: if outcome == Some(OperationOutcome::NeverFinish) {
                None
            } else {
                Some(now + duration)
            },
            end_ms: None,
            status: OpStatus::Inprogress,
            error: None,
            error_http: 200,
            forced_failure: outcome == Some(OperationOutcome::Fail),
        };
        self.operations.insert(id.clone(), op);
        self.pending.insert(id.clone());
        self.bump();
        id
    }

    fn prune_operations(&mut self, now: u64) {
        if self.operations.len() < OP_SOFT_CAP {
            return;
        }
        self.operations.retain(|_, o| {
            o.status == OpStatus::Inprogress || o.end_ms.is_none_or(|e| e + OP_KEEP_MS > now)
        });
    }

    /// Brings running operations (all, or the one `id`) due now and settles them; without an
    /// `id`, pending protection configuration ends now too. Returns how many operations finished.
    pub fn finish_now(&mut self, id: Option<&str>, now: u64) -> usize {
        let ids: Vec<String> = self
            .pending
            .iter()
            .filter(|p| id.is_none_or(|i| i == p.as_str()))
            .cloned()
            .collect();
        for i in &ids {
            if let Some(o) = self.operations.get_mut(i) {
                o.due_ms = Some(now);
            }
        }
        self.settle(now);
        if id.is_none() {
            for inst in self.instances.values_mut() {
                if inst.protection_due_ms.is_some() {
                    inst.protection_due_ms = Some(now);
                }
            }
            self.settle_all_instances(now);
        }
        ids.len()
    }

    /// Completes every operation whose time has come, oldest first, and applies its effects.
    pub fn settle(&mut self, now: u64) {
        if self.pending.is_empty() {
            return;
        }
        let mut due: Vec<(u64, String)> = self
            .pending
            .iter()
            .filter_map(|id| {
                self.operations
                    .get(id)
                    .and_then(|o| o.due_ms)
                    .filter(|d| *d <= now)
                    .map(|d| (d, id.clone()))
            })
            .collect();
        if due.is_empty() {
            return;
        }
        due.sort();
        for (at, id) in due {
            self.pending.remove(&id);
            self.complete(&id, at);
        }
        self.bump();
    }

    fn complete(&mut self, id: &str, at: u64) {
        let Some(op) = self.operations.get(id).cloned() else {
            return;
        };
        let forced = op.forced_failure.then(internal_failure);
        let mut result: Result<(), (Value, u16)> = match (forced, op.kind) {
            (Some(e), _) => Err(e),
            (None, OpKind::Delete | OpKind::Undelete | OpKind::StopProtection) => Ok(()),
            (None, OpKind::SuspendBackups | OpKind::ResumeBackups) => Ok(()),
            (None, OpKind::ResumeProtection) => self.check_resume(&op),
            (None, _) => match &op.candidate {
                Some(c) => super::validation::check_permissions(
                    &self.world,
                    &op.vault_id,
                    c,
                    &op.api_version,
                )
                .map_err(|e| (e, 400)),
                None => Ok(()),
            },
        };
        let key = op.instance_key.clone().unwrap_or_default();
        match op.kind {
            OpKind::Validate => {}
            OpKind::Create => {
                if result.is_err() {
                    // A create whose checks fail leaves nothing behind (see docs/emulator.md).
                    self.remove_instance(&key);
                } else if let Some(inst) = self.instances.get_mut(&key) {
                    inst.provisioning_state = "Succeeded".into();
                    inst.busy_operation = None;
                    let subjects = [
                        inst.name.as_str(),
                        inst.id.as_str(),
                        inst.data_source_info.resource_id.as_str(),
                    ];
                    let outcome = self.knobs.protection_outcome(&subjects);
                    inst.protection_outcome = Some(outcome);
                    inst.protection_due_ms = Some(at + self.knobs.protection_ms);
                }
            }
            OpKind::Update => {
                if result.is_err() {
                    if let Some(prev) = op.previous.clone() {
                        self.insert_instance(key.clone(), prev);
                    }
                } else if let Some(inst) = self.instances.get_mut(&key) {
                    inst.provisioning_state = "Succeeded".into();
                    inst.busy_operation = None;
                    // An update of a stopped or suspended instance keeps that state (a guess,
                    // see docs/emulator.md); otherwise protection is configured again.
                    let held = op
                        .previous
                        .as_ref()
                        .map(|p| p.protection_state.as_str())
                        .filter(|s| is_held(s));
                    if let Some(s) = held {
                        inst.protection_state = s.to_string();
                        inst.protection_status = s.to_string();
                        inst.protection_due_ms = None;
                    } else {
                        let subjects = [
                            inst.name.as_str(),
                            inst.id.as_str(),
                            inst.data_source_info.resource_id.as_str(),
                        ];
                        inst.protection_outcome = Some(self.knobs.protection_outcome(&subjects));
                        inst.protection_due_ms = Some(at);
                    }
                }
            }
            OpKind::Delete => {
                if result.is_ok() {
                    if let Some(inst) = self.remove_instance(&key) {
                        self.soft_delete(inst, at);
                    }
                } else if let Some(inst) = self.instances.get_mut(&key) {
                    inst.provisioning_state = "Succeeded".into();
                    inst.busy_operation = None;
                    if let Some(p) = &op.previous {
                        inst.protection_state = p.protection_state.clone();
                        inst.protection_status = p.protection_status.clone();
                    }
                }
            }
            OpKind::Undelete
            | OpKind::StopProtection
            | OpKind::SuspendBackups
            | OpKind::ResumeProtection
            | OpKind::ResumeBackups => self.complete_lifecycle(&op, &key, result.is_ok()),
        }
        if let Some(inst) = self
            .instances
            .get_mut(&key)
            .filter(|i| i.busy_operation.as_deref() == Some(id))
        {
            inst.busy_operation = None;
        }
        if let Some(o) = self.operations.get_mut(id) {
            o.end_ms = Some(at);
            o.candidate = None;
            o.previous = None;
            match result.as_mut() {
                Ok(()) => o.status = OpStatus::Succeeded,
                Err((e, http)) => {
                    o.status = OpStatus::Failed;
                    o.error = Some(e.take());
                    o.error_http = *http;
                }
            }
        }
    }

    /// Moves an instance's protection state on if its time has come. Returns whether it changed.
    pub fn settle_instance(inst: &mut Instance, now: u64) -> bool {
        let Some(due) = inst.protection_due_ms else {
            return false;
        };
        if due > now {
            return false;
        }
        let outcome = inst
            .protection_outcome
            .unwrap_or(ProtectionOutcome::ProtectionConfigured);
        apply_protection(inst, outcome);
        true
    }

    pub fn settle_all_instances(&mut self, now: u64) {
        let mut changed = false;
        for inst in self.instances.values_mut() {
            changed |= State::settle_instance(inst, now);
        }
        if changed {
            self.bump();
        }
    }

    pub fn record(&mut self, entry: LogEntry) {
        let c = self.counters.entry(entry.operation.clone()).or_default();
        c.count += 1;
        *c.statuses.entry(entry.status).or_default() += 1;
        c.total_ms += entry.ms;
        if self.log.len() >= LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    pub fn reset_log(&mut self) {
        self.log.clear();
        self.counters.clear();
    }

    /// Instances protecting `datasource_id`, other than `except_key`.
    pub fn protecting(&self, datasource_id: &str, except_key: Option<&str>) -> Option<&Instance> {
        self.by_datasource
            .get(&lower(datasource_id))?
            .iter()
            .find(|k| Some(k.as_str()) != except_key)
            .and_then(|k| self.instances.get(k))
    }

    /// Every insertion goes through here so the datasource index stays right.
    pub fn insert_instance(&mut self, key: String, inst: Instance) {
        if let Some(old) = self.instances.get(&key) {
            let ds = lower(&old.data_source_info.resource_id);
            if let Some(set) = self.by_datasource.get_mut(&ds) {
                set.remove(&key);
            }
        }
        self.by_datasource
            .entry(lower(&inst.data_source_info.resource_id))
            .or_default()
            .insert(key.clone());
        self.instances.insert(key, inst);
    }

    pub fn remove_instance(&mut self, key: &str) -> Option<Instance> {
        let inst = self.instances.remove(key)?;
        let ds = lower(&inst.data_source_info.resource_id);
        if let Some(set) = self.by_datasource.get_mut(&ds) {
            set.remove(key);
            if set.is_empty() {
                self.by_datasource.remove(&ds);
            }
        }
        Some(inst)
    }
}

/// Sets an instance to the end state of `outcome`. `Stuck` keeps it configuring for ever.
pub fn apply_protection(inst: &mut Instance, outcome: ProtectionOutcome) {
    match outcome {
        ProtectionOutcome::ProtectionConfigured => {
            inst.protection_state = "ProtectionConfigured".into();
            inst.protection_status = "ProtectionConfigured".into();
            inst.protection_error = None;
            inst.protection_due_ms = None;
        }
        ProtectionOutcome::ProtectionError | ProtectionOutcome::ConfiguringProtectionFailed => {
            let err = super::errors::user_facing(
                "UserErrorProtectionConfigurationFailed",
                "Configuring protection failed for the datasource.",
                &[
                    "Check the datasource and the permissions of the backup vault's identity, then retry (emulator-injected outcome).",
                ],
                None,
            );
            inst.protection_state = if outcome == ProtectionOutcome::ProtectionError {
                "ProtectionError"
            } else {
                "ConfiguringProtectionFailed"
            }
            .into();
            inst.protection_status = "ConfiguringProtectionFailed".into();
            inst.protection_error = Some(err);
            inst.protection_due_ms = None;
        }
        ProtectionOutcome::Stuck => {
            inst.protection_state = "ConfiguringProtection".into();
            inst.protection_status = "ConfiguringProtection".into();
            inst.protection_error = None;
            inst.protection_due_ms = None;
        }
    }
}

fn internal_failure() -> (Value, u16) {
    let e = super::errors::error_object(
        "InternalError",
        "The operation failed because of an internal error. Retry the operation (emulator fault injection).",
        Some(super::errors::user_facing(
            "InternalError",
            "The operation failed because of an internal error.",
            &["Retry the operation. If the issue persists, contact Microsoft support."],
            None,
        )),
    );
    (e, 500)
}
