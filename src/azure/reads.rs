//! Coalesced reads: many concurrent reads of instances in one vault are answered from the
//! vault's `backupInstances` list (one walk, shared) instead of one GET each.
//!
//! Terraform refreshes every instance of a configuration at once (ten at a time by default), so
//! a plan of 1,000 instances would otherwise send 1,000 GETs, which at real ARM latency is most
//! of a pipeline's plan time and eats the subscription's read budget that other workspaces
//! share. A list page holds many instances for the price of one request.
//!
//! # When the list is used (the heuristic)
//! - The first [`CoalesceConfig::list_after`]` - 1` reads of a vault are plain GETs: a
//!   configuration that manages a handful of instances never lists, however big the vault.
//! - From the `list_after`-th read on, reads of that vault look the instance up in the list,
//!   walking it page by page as needed. Only one walk runs per vault; other readers wait for
//!   the page they need.
//! - The walk continues only while it pays: page `p + 1` is fetched only if at least
//!   [`CoalesceConfig::reads_per_page`]` × (p + 1)` reads of this vault have been asked for,
//!   and the `p` pages fetched so far have answered at least `p` reads. A vault of 10,000
//!   instances of which 20 are managed stops after its first page or two (they answer almost
//!   nothing); its remaining reads fall back to GETs.
//! - An instance found in the list is answered from it unless its entry is in a transient state
//!   (provisioning not `Succeeded`, protection configuring, updating or soft-deleting): then a
//!   GET, so the caller sees the freshest state. An instance absent from the list is never
//!   taken as gone on the list's word: a list can end early, shift under offset paging while
//!   another client deletes, or (through a bad `nextLink`) be another vault's, and any of these
//!   would drop existing instances from state. Its GET decides (a 404 that proves it absent).
//!   A complete walk of a vault that holds every managed instance costs no such GET.
//! - A failed page, an entry that is not for this vault, a `nextLink` that leaves the vault's
//!   list (checked by the client), a `nextLink` seen before, or more than
//!   [`crate::azure::client::MAX_ENTRIES`] entries end the walk: its remaining reads are GETs.
//! - A list follows the refresh that asked for it, not a fixed clock: it answers reads as long
//!   as they keep coming (no gap longer than [`CoalesceConfig::idle`] since the walk last
//!   answered one), up to [`CoalesceConfig::max_age`] in all. A refresh is one burst of reads
//!   however long it takes under load; a read after a quiet spell is a new question and starts
//!   a fresh walk. A write by this process (create, update, delete) drops its vault's list, so
//!   the process never answers from a list older than its own change.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::azure::client::{DataProtectionClient, OpOptions};
use crate::azure::error::AzureError;
use crate::azure::models::BackupInstanceResource;

/// See the module documentation for how each value is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoalesceConfig {
    /// Off: every read is a GET.
    pub enabled: bool,
    /// The read of a vault (counting from 1) from which the list is used.
    pub list_after: u32,
    /// How many reads each list page must serve, at least, for the walk to go on.
    pub reads_per_page: u32,
    /// A walk stops answering once no read has used it for this long.
    pub idle: Duration,
    /// A walk stops answering this long after its first page, however busy.
    pub max_age: Duration,
}

impl Default for CoalesceConfig {
    /// List from the 5th read of a vault; each page must be worth 2 reads; a list answers
    /// while reads come at least every 20 s, for 10 minutes at most. Four GETs cost what four
    /// list pages cost, so below that a list cannot win. Terraform asks ten reads at a time,
    /// each a few hundred milliseconds at most, so 20 s without one means the refresh is over;
    /// a provider process lives for one Terraform operation, and the 10-minute bound only
    /// matters for one that runs longer than that.
    fn default() -> Self {
        CoalesceConfig {
            enabled: true,
            list_after: 5,
            reads_per_page: 2,
            idle: Duration::from_secs(20),
            max_age: Duration::from_secs(600),
        }
    }
}

/// One walk of one vault's list.
#[derive(Default)]
struct Walk {
    started: Option<Instant>,
    /// When this walk last answered a read (or fetched a page).
    last_used: Option<Instant>,
    /// [`InstanceReads::writes`] when the walk started: a later write makes it stale.
    writes: u64,
    /// Entries seen so far, by lower-case instance name. An entry is handed out once and leaves
    /// `None` behind: a refresh reads each instance once, so the walk holds only what is still
    /// to be read (at 1,000 instances that is most of the provider's heap), and a second read
    /// of the same instance, which is rare, asks with a GET.
    /// Each is the entry's JSON as the service sent it, parsed when handed out.
    entries: HashMap<String, Option<Box<RawValue>>>,
    pages: u32,
    /// Reads this walk has answered from its entries.
    hits: u32,
    next_link: Option<String>,
    /// Every `nextLink` followed: one seen again means the list loops.
    links: std::collections::HashSet<String>,
    complete: bool,
    /// A page failed: this walk answers nothing more.
    broken: bool,
}

#[derive(Default)]
struct VaultReads {
    requested: AtomicU32,
    walk: tokio::sync::Mutex<Walk>,
}

/// Shared by every read of one provider process.
pub struct InstanceReads {
    client: DataProtectionClient,
    config: CoalesceConfig,
    vaults: Mutex<HashMap<String, Arc<VaultReads>>>,
    /// Writes this process has made (see [`InstanceReads::wrote`]).
    writes: AtomicU64,
}

/// What the list says about one instance.
enum Listed {
    Found(Box<BackupInstanceResource>),
    /// The list cannot answer (absent, changing, or the walk ended): ask with a GET.
    Ask,
}

impl InstanceReads {
    pub fn new(client: DataProtectionClient, config: CoalesceConfig) -> InstanceReads {
        InstanceReads {
            client,
            config,
            vaults: Mutex::default(),
            writes: AtomicU64::new(0),
        }
    }

    /// Tells the reader that this process is changing an instance: every list taken before is
    /// stale (a complete list would call a just-created instance gone). Called before and after
    /// each write, so a walk that ran while the write did is dropped too.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    pub fn config(&self) -> CoalesceConfig {
        self.config
    }

    /// Reads one instance: from the vault's list when the heuristic says so, else with a GET.
    /// `Ok(None)` means the instance does not exist.
    ///
    /// # Errors
    /// As [`DataProtectionClient::get_backup_instance`]; a failed list page is not an error
    /// here (the read falls back to a GET).
    pub async fn read(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
    ) -> Result<Option<BackupInstanceResource>, AzureError> {
        if self.config.enabled {
            let vault = self.vault(&id.vault);
            let n = vault.requested.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.config.list_after {
                match self.look_up_in_list(&vault, id, op).await {
                    Listed::Found(res) => return Ok(Some(*res)),
                    Listed::Ask => {}
                }
            }
        }
        self.client.get_backup_instance(id, op).await
    }

    fn vault(&self, vault: &BackupVaultId) -> Arc<VaultReads> {
        let key = vault.to_string().to_ascii_lowercase();
        let mut map = self.vaults.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key).or_default().clone()
    }

    async fn look_up_in_list(
        &self,
        vault: &VaultReads,
        id: &BackupInstanceId,
        op: &OpOptions,
    ) -> Listed {
        let name = id.name.to_ascii_lowercase();
        let mut walk = tokio::select! {
            w = vault.walk.lock() => w,
            _ = op.cancel.cancelled() => return Listed::Ask,
        };
        let mut now = self.client.clock().now();
        let writes = self.writes.load(Ordering::SeqCst);
        let stale = |w: &Walk| {
            let older = |t: Option<Instant>, limit: Duration| {
                t.is_some_and(|t| now.saturating_duration_since(t) > limit)
            };
            w.started.is_some()
                && (w.writes != writes
                    || older(w.last_used, self.config.idle)
                    || older(w.started, self.config.max_age))
        };
        if stale(&walk) {
            *walk = Walk::default();
        }
        if walk.started.is_none() {
            walk.writes = writes;
        }
        loop {
            if let Some(slot) = walk.entries.get_mut(&name) {
                let entry = slot.take();
                walk.hits += 1;
                walk.last_used = Some(now);
                let parsed = entry
                    .and_then(|raw| serde_json::from_str::<BackupInstanceResource>(raw.get()).ok());
                return match parsed {
                    Some(entry) if is_settled(&entry) => Listed::Found(Box::new(entry)),
                    // Changing, already handed out, or not a backup instance: ask with a GET.
                    _ => Listed::Ask,
                };
            }
            if walk.complete {
                // Absent from a walk that ended: only a GET may say it is gone.
                walk.last_used = Some(now);
                tracing::debug!(instance = %id, "absent from the vault's list; confirming with a GET");
                return Listed::Ask;
            }
            let requested = vault.requested.load(Ordering::SeqCst);
            let worth_it = requested >= self.config.reads_per_page * (walk.pages + 1)
                && walk.hits >= walk.pages;
            if walk.broken || !worth_it {
                return Listed::Ask;
            }
            if walk.pages > 0 && walk.next_link.is_none() {
                return Listed::Ask;
            }
            walk.started.get_or_insert(now);
            walk.last_used = Some(now);
            let next = walk.next_link.take();
            match self
                .client
                .list_backup_instances_page(&id.vault, next.as_deref(), op)
                .await
            {
                Ok(_) if self.writes.load(Ordering::SeqCst) != walk.writes => {
                    // This process changed an instance while the page was on its way.
                    *walk = Walk::default();
                    return Listed::Ask;
                }
                Ok(page) => {
                    now = self.client.clock().now();
                    walk.pages += 1;
                    for entry in page.value {
                        match entry_name(&entry, &id.vault) {
                            Some(n) => {
                                walk.entries.insert(n, Some(entry));
                            }
                            None => {
                                // An answer about something else: trust none of this list.
                                tracing::warn!(vault = %id.vault, entry = entry_id(&entry).as_deref().unwrap_or(""), "the vault's list holds an entry of another vault; reading instances one by one");
                                walk.broken = true;
                                return Listed::Ask;
                            }
                        }
                    }
                    if walk.entries.len() > crate::azure::client::MAX_ENTRIES {
                        tracing::warn!(vault = %id.vault, "the vault's list is too long; reading instances one by one");
                        walk.broken = true;
                        return Listed::Ask;
                    }
                    match page.next_link.filter(|l| !l.trim().is_empty()) {
                        Some(l) if !walk.links.insert(l.clone()) => {
                            tracing::warn!(vault = %id.vault, "the vault's list sent the same next page link twice; reading instances one by one");
                            walk.broken = true;
                            return Listed::Ask;
                        }
                        Some(l) => walk.next_link = Some(l),
                        None => walk.complete = true,
                    }
                }
                Err(e) => {
                    tracing::info!(vault = %id.vault, error = %e, "listing the vault failed; reading instances one by one");
                    walk.broken = true;
                    return Listed::Ask;
                }
            }
        }
    }
}

/// The `id` of a list entry, read without parsing the rest of it.
fn entry_id(entry: &RawValue) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(entry.get()).ok()?.id
}

/// The entry's lower-case name, if its ID is an instance of `vault`.
fn entry_name(entry: &RawValue, vault: &BackupVaultId) -> Option<String> {
    let id: BackupInstanceId = entry_id(entry)?.parse().ok()?;
    id.vault
        .to_string()
        .eq_ignore_ascii_case(&vault.to_string())
        .then(|| id.name.to_ascii_lowercase())
}

/// Whether a list entry is a state the caller can take as it is.
fn is_settled(entry: &BackupInstanceResource) -> bool {
    let p = &entry.properties;
    let provisioned = p
        .provisioning_state
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"));
    let transient = |s: &str| {
        [
            "ConfiguringProtection",
            "UpdatingProtection",
            "SoftDeleting",
        ]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t))
    };
    let protection_moving = p.current_protection_state.as_deref().is_some_and(transient)
        || p.protection_status
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .is_some_and(transient);
    provisioned && !protection_moving
}
