//! Reconnect delays: exponential backoff with jitter (feeds spec 1.5, F4).
//!
//! `delay(n) = min(initial * 2^n, cap) * U(0.8, 1.2)`; the attempt counter is reset only after a
//! connection stayed healthy (delivered data) for a while, so a server that accepts and then drops
//! at once is not re-dialled every second. A rate-limit answer (HTTP 429/418 at the handshake)
//! raises the cap.

use std::time::Duration;

/// Backoff settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffConfig {
    /// First delay.
    pub initial: Duration,
    /// Largest delay before jitter.
    pub cap: Duration,
    /// Cap after a rate-limit answer.
    pub rate_limited_cap: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            rate_limited_cap: Duration::from_secs(60),
        }
    }
}

/// The state of one connection's backoff.
#[derive(Debug)]
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// A fresh backoff with a random jitter seed.
    pub fn new(config: BackoffConfig) -> Self {
        Self::with_rng(config, fastrand::Rng::new())
    }

    /// A fresh backoff with a seeded jitter (tests).
    pub fn with_rng(config: BackoffConfig, rng: fastrand::Rng) -> Self {
        Backoff {
            config,
            attempt: 0,
            rng,
        }
    }

    /// Failed attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt (and counts the attempt).
    pub fn next_delay(&mut self, rate_limited: bool) -> Duration {
        let cap = if rate_limited {
            self.config.rate_limited_cap
        } else {
            self.config.cap
        };
        let base = if rate_limited {
            cap
        } else {
            let factor = 2u32.saturating_pow(self.attempt.min(16));
            self.config.initial.saturating_mul(factor).min(cap)
        };
        self.attempt = self.attempt.saturating_add(1);
        base.mul_f64(0.8 + 0.4 * self.rng.f64())
    }

    /// Back to the initial delay (after a healthy period).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_bounded_jitter_and_resets() {
        let mut b = Backoff::with_rng(BackoffConfig::default(), fastrand::Rng::with_seed(7));
        let expected = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0];
        for e in expected {
            let d = b.next_delay(false).as_secs_f64();
            assert!(d >= e * 0.8 - 1e-9 && d <= e * 1.2 + 1e-9, "{d} vs {e}");
        }
        b.reset();
        let d = b.next_delay(false).as_secs_f64();
        assert!((0.8..=1.2).contains(&d), "{d}");
    }

    #[test]
    fn rate_limit_uses_the_larger_cap() {
        let mut b = Backoff::with_rng(BackoffConfig::default(), fastrand::Rng::with_seed(1));
        let d = b.next_delay(true).as_secs_f64();
        assert!((48.0..=72.0).contains(&d), "{d}");
    }

    #[test]
    fn jitter_varies() {
        let mut b = Backoff::with_rng(BackoffConfig::default(), fastrand::Rng::with_seed(3));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            b.reset();
            seen.insert(b.next_delay(false).as_nanos());
        }
        assert!(seen.len() > 1);
    }
}
