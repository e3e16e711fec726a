//! Per-exchange counters of the mock exchange (atomics, read as a [`MockCounters`] snapshot).

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Live counters of one exchange (relaxed atomics).
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $(pub(crate) $name: AtomicU64,)*
        }

        /// A snapshot of one exchange's counters.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct MockCounters {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Counters {
            /// Reads every counter.
            pub(crate) fn snapshot(&self) -> MockCounters {
                MockCounters {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counters! {
    /// WebSocket connections whose handshake succeeded.
    connections_accepted,
    /// WebSocket connections open now.
    connections_open,
    /// WebSocket handshakes refused (unknown path, too many streams in the URL).
    handshakes_rejected,
    /// Topic subscriptions accepted (one per stream/topic/arg, re-subscriptions included).
    subscriptions,
    /// Subscriptions acknowledged but never served (a Binance stream on the wrong path).
    wrong_path_subscriptions,
    /// Subscribe requests answered with an error (bad topic, limits, bad JSON).
    subscribe_errors,
    /// Market-data frames sent (replayed frames included).
    messages_sent,
    /// Frames re-sent from the replay buffer on subscribe.
    replayed,
    /// Protocol replies sent (subscribe acks, application pongs, errors).
    replies_sent,
    /// WebSocket Ping frames the server sent (Binance).
    pings_sent,
    /// WebSocket Pong frames received.
    pongs_received,
    /// Application pings received (Bybit `{"op":"ping"}`, OKX text `ping`).
    app_pings,
    /// Connections closed because the client could not keep up (queue full or write timeout).
    slow_disconnects,
    /// Connections closed by the idle rule (Bybit, OKX) or a missing pong (Binance).
    idle_closes,
    /// Connections closed at the maximum connection age.
    age_closes,
    /// Connections closed for sending too many messages (Binance: more than 10 per second).
    rate_limit_closes,
    /// Frames not sent because the connection was stalled by a fault.
    stall_dropped,
    /// Faults injected (per connection for connection faults, per answer for REST faults).
    faults_injected,
    /// Depth diffs dropped by `skip_next_depth`.
    depth_skipped,
    /// REST requests received.
    rest_requests,
    /// REST answers 429 (rate limit or injected).
    rest_429,
    /// REST answers 418 (IP ban after ignoring a 429).
    rest_418,
    /// REST answers 500 (injected).
    rest_500,
    /// REST answers 404 (the source had no answer).
    rest_404,
}

impl Counters {
    /// Adds one.
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Subtracts one.
    pub(crate) fn dec(c: &AtomicU64) {
        c.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}
