//! HTTP plumbing shared by the client and the poller: the injectable clock, request context,
//! [`retry`] (one logical request with retries) and [`throttle`] (ARM's request budget, shared
//! by every request of the process).

pub mod retry;
pub mod throttle;

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
