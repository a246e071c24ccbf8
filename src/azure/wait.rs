//! Waiting on the service between calls: one [`Backoff`] type (initial, factor, cap) that sleeps
//! on the client's injected clock, stops before the caller's deadline and on cancellation, and
//! the three waits a backup instance needs (protection configured, another operation finished,
//! role assignments propagated) as methods on [`DataProtectionClient`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::azure::client::{DataProtectionClient, OpOptions, ProtectionAction};
use crate::azure::error::{AzureError, ErrorKind};
use crate::azure::http::Clock;
use crate::azure::models::{BackupInstance, BackupInstanceResource};

/// Exponential backoff: `initial`, then times `factor` each time, never above `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub factor: u32,
    pub cap: Duration,
}

/// Polls of the protection state: Azure configures protection within seconds to minutes.
pub const PROTECTION: Backoff =
    Backoff::new(Duration::from_millis(500), 2, Duration::from_secs(10));
/// Retries while another operation holds the instance (409).
pub const IDLE: Backoff = Backoff::new(Duration::from_secs(1), 2, Duration::from_secs(15));
/// Re-validation while role assignments propagate (minutes, in Azure's own words).
pub const PERMISSION: Backoff = Backoff::new(Duration::from_secs(2), 2, Duration::from_secs(30));

/// Why a [`Waiter`] did not sleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The next wait would end at or after the caller's deadline (or outside the window).
    Deadline,
    Cancelled,
}

impl Backoff {
    pub const fn new(initial: Duration, factor: u32, cap: Duration) -> Backoff {
        Backoff {
            initial,
            factor,
            cap,
        }
    }

    /// The waits in order, for as long as the caller asks.
    pub fn delays(self) -> impl Iterator<Item = Duration> {
        std::iter::successors(Some(self.initial.min(self.cap)), move |d| {
            Some(d.saturating_mul(self.factor).min(self.cap))
        })
    }

    /// A waiter bounded by `op` (deadline, cancellation) on `clock`.
    pub fn waiter<'a>(self, clock: &'a Arc<dyn Clock>, op: &'a OpOptions) -> Waiter<'a> {
        Waiter {
            clock,
            op,
            next: self.initial.min(self.cap),
            backoff: self,
            started: clock.now(),
            window: None,
        }
    }
}

/// One wait loop's state: the next interval and the bounds.
#[derive(Debug)]
pub struct Waiter<'a> {
    clock: &'a Arc<dyn Clock>,
    op: &'a OpOptions,
    backoff: Backoff,
    next: Duration,
    started: Instant,
    window: Option<Duration>,
}

impl Waiter<'_> {
    /// Also stop once waiting longer would pass `window` since the waiter was made.
    pub fn within(mut self, window: Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// The wait [`Waiter::pause`] would sleep next.
    pub fn next_wait(&self) -> Duration {
        self.next
    }

    /// Sleeps the next interval, unless it would reach the deadline (or leave the window) or
    /// the caller cancels first. Returns the time slept.
    pub async fn pause(&mut self) -> Result<Duration, Stop> {
        let wait = self.next;
        let now = self.clock.now();
        let in_window = self.window.is_none_or(|w| {
            now.saturating_duration_since(self.started)
                .saturating_add(wait)
                <= w
        });
        if crate::azure::http::reaches(now, wait, self.op.deadline) || !in_window {
            return Err(Stop::Deadline);
        }
        // Checked first so that a cancelled caller does not even start a sleep.
        if self.op.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        tokio::select! {
            biased;
            _ = self.op.cancel.cancelled() => return Err(Stop::Cancelled),
            _ = self.clock.sleep(wait) => {}
        }
        self.next = wait
            .saturating_mul(self.backoff.factor)
            .min(self.backoff.cap);
        Ok(wait)
    }
}

/// How waiting for protection ended without it being configured. `last` is the instance as
/// last seen, when it was seen at all.
#[derive(Debug)]
pub struct ProtectionWaitError {
    pub last: Option<Box<BackupInstanceResource>>,
    pub kind: ProtectionWaitFailure,
}

#[derive(Debug)]
pub enum ProtectionWaitFailure {
    /// Azure reports `ProtectionError` or `ConfiguringProtectionFailed`.
    ProtectionFailed,
    /// The instance is gone (404).
    Vanished,
    Timeout,
    Cancelled,
    /// A GET while waiting failed.
    Azure(AzureError),
    /// The protection action itself was refused or failed.
    Action(ProtectionAction, AzureError),
}

/// How often a protection action whose connection dropped is read back and sent again.
const DROPPED_ACTION_RETRIES: u32 = 3;
/// Upper bound of the steps [`DataProtectionClient::converge_protection`] takes (the longest
/// path has two actions; every wait for another operation and every resend counts).
const MAX_CONVERGE_STEPS: u32 = 24;

/// What [`DataProtectionClient::validate_until_permitted`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    Passed,
    /// The datasource is already protected by the instance we are about to create (same ID,
    /// same datasource): a create that crashed before its state was saved. Adopt it.
    AlreadyOurs,
}

/// ARM IDs compare case-insensitively, ignoring a trailing slash.
pub fn same_arm_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn state_is(res: &BackupInstanceResource, want: &dyn Fn(&str) -> bool) -> (bool, bool) {
    let p = &res.properties;
    let current = p.current_protection_state.as_deref().is_some_and(want);
    let status = p
        .protection_status
        .as_ref()
        .and_then(|s| s.status.as_deref())
        .is_some_and(want);
    (current, status)
}

/// Protection is still being set up: neither configured, nor failed, nor held (stopped or
/// suspended), nor on its way out.
pub fn is_configuring(res: &BackupInstanceResource) -> bool {
    let (held, _) = state_is(res, &|s| {
        [
            "ProtectionStopped",
            "BackupsSuspended",
            "SoftDeleted",
            "SoftDeleting",
        ]
        .iter()
        .any(|h| s.eq_ignore_ascii_case(h))
    });
    !held && !is_protected(res) && !is_protection_failure(res)
}

/// Either the current state or the status reports a failure.
pub fn is_protection_failure(res: &BackupInstanceResource) -> bool {
    let (current, status) = state_is(res, &|s| {
        s.eq_ignore_ascii_case("ProtectionError")
            || s.eq_ignore_ascii_case("ConfiguringProtectionFailed")
    });
    current || status
}

/// The current state says so; only without a current state does the status decide.
pub fn is_protected(res: &BackupInstanceResource) -> bool {
    let (current, status) = state_is(res, &|s| s.eq_ignore_ascii_case("ProtectionConfigured"));
    match res.properties.current_protection_state {
        Some(_) => current,
        None => status,
    }
}

impl DataProtectionClient {
    /// Options for one operation: a deadline `timeout` from now on this client's clock.
    pub fn op_options(
        &self,
        timeout: Duration,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> OpOptions {
        OpOptions {
            deadline: crate::azure::http::instant_after(self.clock().now(), timeout),
            cancel: cancel.clone(),
        }
    }

    /// Polls the instance until protection is configured, fails, or time runs out. Azure
    /// reports `provisioningState: Succeeded` minutes before protection is actually configured.
    /// `first` is the instance a PUT already read back: that is the first look, not another GET.
    pub async fn wait_for_protection(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
        mut first: Option<BackupInstanceResource>,
    ) -> Result<BackupInstanceResource, ProtectionWaitError> {
        let fail = |last: Option<BackupInstanceResource>, kind| {
            Err(ProtectionWaitError {
                last: last.map(Box::new),
                kind,
            })
        };
        let mut waiter = PROTECTION.waiter(self.clock(), op);
        let mut last = None;
        loop {
            let seen = match first.take() {
                Some(res) => Ok(Some(res)),
                None => self.get_backup_instance(id, op).await,
            };
            match seen {
                Ok(Some(res)) if is_protected(&res) => return Ok(res),
                Ok(Some(res)) if is_protection_failure(&res) => {
                    return fail(Some(res), ProtectionWaitFailure::ProtectionFailed);
                }
                Ok(Some(res)) => {
                    tracing::info!(instance = %id, state = res.properties.current_protection_state.as_deref().unwrap_or("unknown"), "waiting for protection to be configured");
                    last = Some(res);
                }
                Ok(None) => return fail(None, ProtectionWaitFailure::Vanished),
                Err(e) => return fail(last, ProtectionWaitFailure::Azure(e)),
            }
            match waiter.pause().await {
                Ok(_) => {}
                Err(Stop::Deadline) => return fail(last, ProtectionWaitFailure::Timeout),
                Err(Stop::Cancelled) => return fail(last, ProtectionWaitFailure::Cancelled),
            }
        }
    }

    /// Polls the instance until its protection state is `want` (a protection action or an
    /// undelete finished: the service may report the old state for a while after the operation).
    pub async fn wait_for_state(
        &self,
        id: &BackupInstanceId,
        want: &str,
        op: &OpOptions,
    ) -> Result<BackupInstanceResource, ProtectionWaitError> {
        let fail = |last: Option<BackupInstanceResource>, kind| {
            Err(ProtectionWaitError {
                last: last.map(Box::new),
                kind,
            })
        };
        let mut waiter = PROTECTION.waiter(self.clock(), op);
        let mut last = None;
        loop {
            match self.get_backup_instance(id, op).await {
                Ok(Some(res)) if state_is(&res, &|s| s.eq_ignore_ascii_case(want)).0 => {
                    return Ok(res);
                }
                Ok(Some(res)) => {
                    tracing::info!(instance = %id, want, state = res.properties.current_protection_state.as_deref().unwrap_or("unknown"), "waiting for the protection state");
                    last = Some(res);
                }
                Ok(None) => return fail(None, ProtectionWaitFailure::Vanished),
                Err(e) => return fail(last, ProtectionWaitFailure::Azure(e)),
            }
            match waiter.pause().await {
                Ok(_) => {}
                Err(Stop::Deadline) => return fail(last, ProtectionWaitFailure::Timeout),
                Err(Stop::Cancelled) => return fail(last, ProtectionWaitFailure::Cancelled),
            }
        }
    }

    /// Retries `call` while another operation holds the instance (409), until the deadline. A
    /// create interrupted by a crash leaves its operation running, and the retried apply must
    /// wait for it rather than fail.
    pub async fn when_idle<T, F, Fut>(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
        mut call: F,
    ) -> Result<T, AzureError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AzureError>>,
    {
        let mut waiter = IDLE.waiter(self.clock(), op);
        loop {
            match call().await {
                Err(e) if e.is_operation_in_progress() => {
                    tracing::info!(instance = %id, wait_s = waiter.next_wait().as_secs(), "another operation is in progress on the instance; waiting for it");
                    if waiter.pause().await.is_err() {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    /// Takes the protection actions `next` names, one at a time, until it names none. `next`
    /// is asked again after every step with the instance as just read, never with the view from
    /// before: when another operation holds the instance (a killed run's action still running),
    /// this waits it out, reads again and lets `next` decide afresh; when an action's connection
    /// drops (it may or may not have reached the service), it reads the state before sending
    /// again. Protection still being configured is awaited before any action. Returns the
    /// instance as last read.
    pub async fn converge_protection(
        &self,
        id: &BackupInstanceId,
        mut current: BackupInstanceResource,
        next: impl Fn(&BackupInstanceResource) -> Option<ProtectionAction>,
        op: &OpOptions,
    ) -> Result<BackupInstanceResource, ProtectionWaitError> {
        let mut idle = IDLE.waiter(self.clock(), op);
        let mut dropped = 0u32;
        // Waits for another operation are bounded by the deadline, not counted.
        let mut steps = 0u32;
        while steps < MAX_CONVERGE_STEPS {
            steps += 1;
            let Some(action) = next(&current) else {
                return Ok(current);
            };
            if is_configuring(&current) {
                current = self.wait_until_settled(id, op, current).await?;
                continue;
            }
            tracing::info!(instance = %id, action = action.verb(), state = current.properties.current_protection_state.as_deref().unwrap_or("unknown"), "changing protection mode");
            match self.protection_action(id, action, op).await {
                Ok(()) => {
                    current = match action.target_state() {
                        "ProtectionConfigured" => self.wait_for_protection(id, op, None).await?,
                        s => self.wait_for_state(id, s, op).await?,
                    };
                }
                Err(e) if e.is_operation_in_progress() => {
                    tracing::info!(instance = %id, action = action.verb(), wait_s = idle.next_wait().as_secs(), "another operation is in progress on the instance; waiting for it, then reading the instance again");
                    if idle.pause().await.is_err() {
                        return Err(self.action_failed(id, current, action, e).await);
                    }
                    steps -= 1;
                    current = self.read_for_converge(id, op, current).await?;
                }
                Err(e) if e.kind() == ErrorKind::Transport && dropped < DROPPED_ACTION_RETRIES => {
                    dropped += 1;
                    tracing::warn!(instance = %id, action = action.verb(), attempt = dropped, "the protection action's connection failed; reading the instance before sending it again");
                    current = self.read_for_converge(id, op, current).await?;
                }
                Err(e) => return Err(self.action_failed(id, current, action, e).await),
            }
        }
        Err(ProtectionWaitError {
            last: Some(Box::new(current)),
            kind: ProtectionWaitFailure::Timeout,
        })
    }

    /// Polls while protection is still being set up (or updated), until the instance is
    /// configured, failed, stopped or suspended: whichever it ends in, the caller decides.
    async fn wait_until_settled(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
        first: BackupInstanceResource,
    ) -> Result<BackupInstanceResource, ProtectionWaitError> {
        let mut waiter = PROTECTION.waiter(self.clock(), op);
        let mut last = first;
        loop {
            if !is_configuring(&last) {
                return Ok(last);
            }
            tracing::info!(instance = %id, state = last.properties.current_protection_state.as_deref().unwrap_or("unknown"), "waiting for the protection state to settle");
            let kind = match waiter.pause().await {
                Ok(_) => None,
                Err(Stop::Deadline) => Some(ProtectionWaitFailure::Timeout),
                Err(Stop::Cancelled) => Some(ProtectionWaitFailure::Cancelled),
            };
            if let Some(kind) = kind {
                return Err(ProtectionWaitError {
                    last: Some(Box::new(last)),
                    kind,
                });
            }
            last = self.read_for_converge(id, op, last).await?;
        }
    }

    /// A fresh read between converge steps.
    async fn read_for_converge(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
        current: BackupInstanceResource,
    ) -> Result<BackupInstanceResource, ProtectionWaitError> {
        match self.get_backup_instance(id, op).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(ProtectionWaitError {
                last: None,
                kind: ProtectionWaitFailure::Vanished,
            }),
            Err(e) => Err(ProtectionWaitError {
                last: Some(Box::new(current)),
                kind: ProtectionWaitFailure::Azure(e),
            }),
        }
    }

    /// A failed action, with the instance as read after the failure (the view from before
    /// the action is what the failure may have changed), else as last seen.
    async fn action_failed(
        &self,
        id: &BackupInstanceId,
        current: BackupInstanceResource,
        action: ProtectionAction,
        e: AzureError,
    ) -> ProtectionWaitError {
        let rescue = self.op_options(
            Duration::from_secs(20),
            &tokio_util::sync::CancellationToken::new(),
        );
        let last = match self.get_backup_instance(id, &rescue).await {
            Ok(Some(r)) => r,
            _ => current,
        };
        ProtectionWaitError {
            last: Some(Box::new(last)),
            kind: ProtectionWaitFailure::Action(action, e),
        }
    }

    /// Whether the instance `id` exists and protects `datasource`: then "already protected" is
    /// our own earlier create, to adopt rather than fail on.
    pub async fn protects(&self, id: &BackupInstanceId, datasource: &str, op: &OpOptions) -> bool {
        matches!(
            self.get_backup_instance(id, op).await,
            Ok(Some(existing)) if same_arm_id(&existing.properties.data_source_info.resource_id, datasource)
        )
    }

    /// `validateForBackup`, re-checked with backoff while the vault identity lacks permissions,
    /// for up to `window` (role assignments take minutes to propagate). "Already protected" by
    /// the instance `id` itself is [`Validation::AlreadyOurs`].
    pub async fn validate_until_permitted(
        &self,
        vault: &BackupVaultId,
        id: &BackupInstanceId,
        instance: &BackupInstance,
        window: Duration,
        op: &OpOptions,
    ) -> Result<Validation, AzureError> {
        let mut waiter = PERMISSION.waiter(self.clock(), op).within(window);
        let mut attempt = 1u32;
        loop {
            match self.validate_for_backup(vault, instance, op).await {
                Ok(()) => return Ok(Validation::Passed),
                Err(e) if e.is_already_protected() => {
                    let datasource = &instance.data_source_info.resource_id;
                    return match self.protects(id, datasource, op).await {
                        true => Ok(Validation::AlreadyOurs),
                        false => Err(e),
                    };
                }
                Err(e) if e.is_permission() => {
                    if attempt == 1 {
                        tracing::warn!(instance = %id, window_s = window.as_secs(), "the vault's managed identity lacks permissions; waiting up to {} for role assignments to propagate", humantime::format_duration(window));
                    }
                    tracing::info!(attempt, wait_s = waiter.next_wait().as_secs(), instance = %id, "vault identity lacks permissions; waiting for role assignments to propagate");
                    if waiter.pause().await.is_err() {
                        return Err(e);
                    }
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_by_the_factor_up_to_the_cap() {
        let secs: Vec<f64> = PROTECTION
            .delays()
            .take(7)
            .map(|d| d.as_secs_f64())
            .collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]);
        let secs: Vec<u64> = IDLE.delays().take(6).map(|d| d.as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 15, 15]);
        let secs: Vec<u64> = PERMISSION.delays().take(6).map(|d| d.as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn protected_and_failed_states() {
        let mut res = BackupInstanceResource::default();
        assert!(!is_protected(&res) && !is_protection_failure(&res));
        res.properties.protection_status = Some(crate::azure::models::ProtectionStatusDetails {
            status: Some("ProtectionConfigured".into()),
            ..Default::default()
        });
        assert!(is_protected(&res));
        // The current state, when present, wins over the status.
        res.properties.current_protection_state = Some("ConfiguringProtection".into());
        assert!(!is_protected(&res));
        res.properties.current_protection_state = Some("configuringprotectionfailed".into());
        assert!(is_protection_failure(&res));
    }

    #[test]
    fn arm_ids_compare_without_case_or_trailing_slash() {
        assert!(same_arm_id("/subscriptions/S/rg/", "/subscriptions/s/RG"));
        assert!(!same_arm_id("/subscriptions/s/a", "/subscriptions/s/b"));
    }
}
