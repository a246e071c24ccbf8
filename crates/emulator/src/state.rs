//! The store: the emulator's data (world, knobs, backup instances with their datasource index,
//! long-running operations, soft-deleted instances, tokens, request log, the fault RNG) and the
//! methods that read and write it. It knows no behaviour: operations, protection, lifecycle,
//! validation and the kinds are rooms above it (see the crate's layout) that take a `&mut State`.
//! Time is wall-clock milliseconds so that in-flight operations survive a restart.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::armpath::lower;
pub use super::clock::now_ms;
use super::knobs::Knobs;
pub use super::records::*;
use super::world::World;

/// Longest request log kept; older entries fall off so memory stays bounded.
const LOG_CAP: usize = 10_000;

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
    #[serde(default)]
    pub jobs: Vec<Job>,
    #[serde(default)]
    pub recovery_points: Vec<(String, Vec<RecoveryPoint>)>,
    #[serde(default)]
    pub clock_offset_ms: u64,
    #[serde(default)]
    pub restores: Vec<AppliedRestore>,
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
    pub(crate) by_datasource: HashMap<String, BTreeSet<String>>,
    pub operations: HashMap<String, Operation>,
    /// Soft-deleted instances, keyed by [`deleted_key`].
    pub deleted: BTreeMap<String, Deleted>,
    /// Backup and restore jobs, keyed by lower-cased job ARM ID (a vault's jobs are a range).
    pub jobs: BTreeMap<String, Job>,
    /// Recovery points per lower-cased instance ID, newest first.
    pub recovery_points: HashMap<String, Vec<RecoveryPoint>>,
    /// How far the emulator's clock is ahead of the wall clock (`POST /admin/clock/advance`).
    pub clock_offset_ms: u64,
    /// Restores that completed, oldest first (what they changed is also in the world).
    pub restores: Vec<AppliedRestore>,
    /// IDs of the operations still running (what the operations room settles).
    pub(crate) pending: BTreeSet<String>,
    pub tokens: HashMap<String, u64>,
    pub log: VecDeque<LogEntry>,
    pub counters: BTreeMap<String, Counter>,
    /// The fault RNG (one draw per ARM request and per new operation).
    pub(crate) rng: StdRng,
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
            jobs: BTreeMap::new(),
            recovery_points: HashMap::new(),
            clock_offset_ms: 0,
            restores: Vec::new(),
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
        for j in p.jobs {
            s.jobs
                .insert(lower(&format!("{}/backupJobs/{}", j.vault_id, j.guid)), j);
        }
        s.recovery_points = p.recovery_points.into_iter().collect();
        s.clock_offset_ms = p.clock_offset_ms;
        s.restores = p.restores;
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
            jobs: self.jobs.values().cloned().collect(),
            recovery_points: self
                .recovery_points
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            clock_offset_ms: self.clock_offset_ms,
            restores: self.restores.clone(),
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

    /// The emulator's time: the wall clock plus however far the admin API moved it on.
    /// Tokens keep to the wall clock (clients cache them by it).
    pub fn now(&self) -> u64 {
        now_ms().saturating_add(self.clock_offset_ms)
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
