//! HTTP plumbing shared by the client and the poller: the injectable clock, request context,
//! [`retry`] (one logical request with retries) and [`throttle`] (ARM's request budget, shared
//! by every request of the process).

pub mod retry;
pub mod throttle;
pub mod tls;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// Time as the retry loop and the poller see it. The default is tokio's clock; tests inject a
/// virtual clock whose `sleep` returns at once and advances `now`, so waits of minutes run in
/// microseconds against a real socket server.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// tokio's clock (so `tokio::time::pause` works too).
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// The shared default clock.
pub fn tokio_clock() -> Arc<dyn Clock> {
    Arc::new(TokioClock)
}

/// Longest span a deadline is ever set from now: far past any timeout the provider accepts, and
/// small enough that adding it to an `Instant` cannot overflow.
pub const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + d` without the panic `Instant + Duration` has on overflow: a span past
/// [`FAR_FUTURE`] saturates there.
pub fn instant_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(3600)))
        .unwrap_or(now)
}

/// Whether waiting `wait` from `now` would reach `deadline` (an overflowing sum always does).
pub fn reaches(now: Instant, wait: Duration, deadline: Instant) -> bool {
    now.checked_add(wait).is_none_or(|t| t >= deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_spans_saturate_instead_of_panicking() {
        let now = Instant::now();
        let far = instant_after(now, Duration::MAX);
        assert!(far > now);
        assert!(reaches(now, Duration::MAX, far));
        assert!(!reaches(now, Duration::from_secs(1), far));
        assert_eq!(
            instant_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
    }
}
