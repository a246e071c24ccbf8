//! Throttle awareness shared by every request of one provider process: ARM's remaining-budget
//! headers slow requests down *before* the budget is gone, and a 429's `Retry-After` holds back
//! every request of its class, not only the one that was refused.
//!
//! ARM meters a subscription per region with token buckets (reads about 250 burst refilled at
//! 25/s, writes 200 at 10/s) and reports what is left in
//! `x-ms-ratelimit-remaining-subscription-{reads,writes}` (newer gateways also send
//! `-global-{reads,writes}`). Terraform runs ten operations at once by default, and many
//! workspaces share one subscription, so a provider that only reacts to 429s keeps hitting them.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
}

impl Class {
    pub fn of(method: &Method) -> Class {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Class::Read
        } else {
            Class::Write
        }
    }

    fn index(self) -> usize {
        match self {
            Class::Read => 0,
            Class::Write => 1,
        }
    }
}

/// When to start slowing down and by how much. See [`Default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Below this many remaining requests of a class, each request of that class waits.
    pub low_water: [u32; 2],
    /// The wait per request missing below `low_water`: about one bucket refill interval.
    pub per_missing: [Duration; 2],
}

impl Default for ThrottleConfig {
    /// Slow down when fewer than 50 reads or 25 writes are left: that is two seconds of ARM's
    /// refill, enough for Terraform's ten parallel operations to notice before a 429. At the
    /// low-water mark a request waits nothing; at zero left it waits 50 × 40 ms = 2 s (reads)
    /// or 25 × 100 ms = 2.5 s (writes), which is what the bucket needs to refill that much.
    fn default() -> Self {
        ThrottleConfig {
            low_water: [50, 25],
            per_missing: [Duration::from_millis(40), Duration::from_millis(100)],
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct ClassState {
    /// The last remaining-budget figure ARM reported for this class.
    remaining: Option<u32>,
    /// No request of this class before this instant (set by a 429's `Retry-After`).
    not_before: Option<Instant>,
}

/// The shared state. One per client; every clone of the client shares it.
#[derive(Debug, Default)]
pub struct Throttle {
    config: ThrottleConfig,
    state: Mutex<[ClassState; 2]>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Throttle {
        Throttle {
            config,
            state: Mutex::default(),
        }
    }

    /// How long a request of `class` should wait before it is sent, at `now`.
    pub fn delay(&self, class: Class, now: Instant) -> Duration {
        let Ok(state) = self.state.lock() else {
            return Duration::ZERO;
        };
        let s = state[class.index()];
        let held = s
            .not_before
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or_default();
        let low = self.config.low_water[class.index()];
        let pacing = match s.remaining {
            Some(left) if left < low => self.config.per_missing[class.index()] * (low - left),
            _ => Duration::ZERO,
        };
        held.max(pacing)
    }

    /// Records what a response said about the budget: the remaining figure of its class, and
    /// for a 429 the server's wait, which then holds back every request of that class.
    pub fn observe(
        &self,
        class: Class,
        status: u16,
        headers: &HeaderMap,
        server_wait: Option<Duration>,
        now: Instant,
    ) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let s = &mut state[class.index()];
        if let Some(left) = remaining(headers, class) {
            s.remaining = Some(left);
        }
        if status == 429 {
            let until = now + server_wait.unwrap_or(Duration::from_secs(1));
            s.not_before = Some(s.not_before.map_or(until, |t| t.max(until)));
        }
    }
}

/// The smallest remaining figure the response reports for `class` (subscription or global).
fn remaining(headers: &HeaderMap, class: Class) -> Option<u32> {
    let names: &[&str] = match class {
        Class::Read => &[
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-global-reads",
        ],
        Class::Write => &[
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-ratelimit-remaining-subscription-global-writes",
        ],
    };
    names
        .iter()
        .filter_map(|n| headers.get(*n)?.to_str().ok()?.trim().parse::<u32>().ok())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn plenty_left_means_no_wait_and_little_left_means_a_growing_one() {
        let t = Throttle::new(ThrottleConfig::default());
        let now = Instant::now();
        assert_eq!(t.delay(Class::Read, now), Duration::ZERO);
        t.observe(
            Class::Read,
            200,
            &headers(&[("x-ms-ratelimit-remaining-subscription-reads", "11999")]),
            None,
            now,
        );
        assert_eq!(t.delay(Class::Read, now), Duration::ZERO);
        t.observe(
            Class::Read,
            200,
            &headers(&[("x-ms-ratelimit-remaining-subscription-reads", "40")]),
            None,
            now,
        );
        assert_eq!(t.delay(Class::Read, now), Duration::from_millis(400));
        t.observe(
            Class::Read,
            200,
            &headers(&[
                ("x-ms-ratelimit-remaining-subscription-reads", "45"),
                ("x-ms-ratelimit-remaining-subscription-global-reads", "0"),
            ]),
            None,
            now,
        );
        assert_eq!(t.delay(Class::Read, now), Duration::from_secs(2));
        // Writes have their own bucket.
        assert_eq!(t.delay(Class::Write, now), Duration::ZERO);
    }

    #[test]
    fn a_429_holds_back_the_whole_class_until_its_retry_after() {
        let t = Throttle::new(ThrottleConfig::default());
        let now = Instant::now();
        t.observe(
            Class::Write,
            429,
            &HeaderMap::new(),
            Some(Duration::from_secs(17)),
            now,
        );
        assert_eq!(t.delay(Class::Write, now), Duration::from_secs(17));
        assert_eq!(
            t.delay(Class::Write, now + Duration::from_secs(10)),
            Duration::from_secs(7)
        );
        assert_eq!(
            t.delay(Class::Write, now + Duration::from_secs(20)),
            Duration::ZERO
        );
        assert_eq!(t.delay(Class::Read, now), Duration::ZERO);
    }
}
