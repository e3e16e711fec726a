//! The clock: maps wall time to source time and feeds the source's messages to the router.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::{Shared, deliver, lock};

/// Waits until `min_subscriptions` subscriptions exist; `false` on shutdown.
async fn wait_for_subscribers(shared: &Shared, min: usize) -> bool {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let notified = shared.sub_changed.notified();
        if *shutdown.borrow() {
            return false;
        }
        if lock(&shared.router).active_subscriptions() >= min {
            return true;
        }
        tokio::select! {
            _ = notified => {}
            _ = shutdown.changed() => return false,
            // A safety net against a missed notification.
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

/// Runs the clock until shutdown or the end of the source.
pub(crate) async fn run(shared: Arc<Shared>) {
    let cfg = &shared.cfg;
    if !wait_for_subscribers(&shared, cfg.min_subscriptions).await {
        return;
    }
    let mut shutdown = shared.shutdown.clone();
    let mut src_now = shared.now();
    let mut anchor: Option<(Instant, f64, f64)> = None;
    let mut out = Vec::new();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let speed = shared.speed();
        let fast = speed.is_infinite() || cfg.fast_forward_until.is_some_and(|t| src_now < t);
        let target = if fast {
            anchor = None;
            if !wait_for_subscribers(&shared, 1).await {
                return;
            }
            let mut t = src_now + cfg.step.max(1e-6);
            if let Some(ff) = cfg.fast_forward_until
                && ff > src_now
                && !speed.is_infinite()
            {
                t = t.min(ff);
            }
            t
        } else {
            tokio::select! {
                _ = tokio::time::sleep(cfg.tick) => {}
                _ = shutdown.changed() => return,
            }
            let (wall, src, sp) = *anchor.get_or_insert((Instant::now(), src_now, speed));
            if sp != speed {
                // Speed changed: re-anchor at the current source time.
                anchor = Some((Instant::now(), src_now, speed));
                src_now
            } else {
                (src + wall.elapsed().as_secs_f64() * speed.max(0.0)).max(src_now)
            }
        };
        let more = lock(&shared.source).advance(target, &mut out);
        src_now = target;
        shared.set_now(src_now);
        deliver(&shared, &mut out, fast).await;
        if !more {
            shared.exhausted.store(true, Ordering::Relaxed);
            tracing::debug!(src_now, "mock exchange: source exhausted");
            return;
        }
        if fast {
            // Let the connection tasks run between steps.
            tokio::task::yield_now().await;
        }
    }
}
