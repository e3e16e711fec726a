//! The REST client: reqwest over rustls (the same TLS configuration as the WebSocket
//! connectors), with per-exchange rate-limit accounting.
//!
//! Binance USD-M ("General Info", "LIMITS"): every request has a weight, the IP budget is
//! 2400 per minute, `X-MBX-USED-WEIGHT-1M` reports the weight used in the current minute; a
//! 429 means back off (`Retry-After` seconds), and repeating after a 429 earns a 418, an IP ban
//! whose length `Retry-After` gives (spec F20: 2 minutes when absent). Bybit and OKX answer 429
//! (Bybit may answer 403 for an IP limit); both are backed off the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liq_core::event::Exchange;
use serde::Serialize;
use tokio::time::Instant;
use tracing::warn;

use crate::clock::SharedClock;

/// Binance USD-M request-weight budget per minute.
pub const BINANCE_WEIGHT_PER_MINUTE: u32 = 2400;

/// A REST failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestError {
    /// Transport failure (DNS, TLS, timeout, reset).
    #[error("request failed: {0}")]
    Transport(String),
    /// The exchange answered with a non-success status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Body (truncated).
        body: String,
    },
    /// Backing off after a 429 (or banned after a 418) for this many more seconds.
    #[error("rate limited ({status}), retry in {retry_in:.0} s")]
    RateLimited {
        /// The status that caused it (429, 418, 403).
        status: u16,
        /// Seconds left.
        retry_in: f64,
    },
    /// The request would exceed the per-minute weight budget.
    #[error("weight budget exhausted ({used}/{budget}), request of weight {weight} deferred")]
    Budget {
        /// Weight used this minute.
        used: u32,
        /// Budget.
        budget: u32,
        /// Weight of the refused request.
        weight: u32,
    },
    /// The client could not be built.
    #[error("client: {0}")]
    Client(String),
}

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct RestReply {
    /// HTTP status (2xx).
    pub status: u16,
    /// Body text.
    pub body: String,
    /// Receive time (client clock), Unix s.
    pub ts: f64,
}

/// Rate-limit accounting of one exchange.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LimitSnapshot {
    /// Weight used in the current minute (Binance, from `X-MBX-USED-WEIGHT-1M`).
    pub used_weight: u32,
    /// Requests sent.
    pub requests: u64,
    /// Answers 429/418/403 received.
    pub rate_limited: u64,
    /// Requests refused locally (budget, backoff, ban).
    pub refused: u64,
    /// Other failures (transport, status).
    pub errors: u64,
    /// Seconds until requests are allowed again (0 when not blocked).
    pub blocked_for: f64,
    /// Whether the block is a ban (Binance 418).
    pub banned: bool,
}

#[derive(Debug, Default)]
struct Limits {
    used_weight: u32,
    minute: i64,
    blocked_until: Option<Instant>,
    blocked_status: u16,
    snap: LimitSnapshot,
}

/// The shared REST client.
#[derive(Clone, Debug)]
pub struct RestClient {
    http: reqwest::Client,
    clock: SharedClock,
    limits: Arc<Mutex<HashMap<Exchange, Limits>>>,
    budget: u32,
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<f64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

impl RestClient {
    /// A client with the given TLS configuration and total request timeout.
    pub fn new(
        tls: Arc<rustls::ClientConfig>,
        timeout: Duration,
        clock: SharedClock,
    ) -> Result<Self, RestError> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("liq-feeds/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Client(e.to_string()))?;
        Ok(RestClient {
            http,
            clock,
            limits: Arc::new(Mutex::new(HashMap::new())),
            budget: BINANCE_WEIGHT_PER_MINUTE,
        })
    }

    /// Now on the client's clock, Unix s.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Uses another Binance weight budget (tests).
    pub fn with_budget(mut self, budget: u32) -> Self {
        self.budget = budget;
        self
    }

    fn with_limits<T>(&self, ex: Exchange, f: impl FnOnce(&mut Limits) -> T) -> T {
        let mut g = match self.limits.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(g.entry(ex).or_default())
    }

    /// The accounting of one exchange.
    pub fn limits(&self, exchange: Exchange) -> LimitSnapshot {
        self.with_limits(exchange, |l| {
            let mut s = l.snap.clone();
            s.used_weight = l.used_weight;
            let now = Instant::now();
            s.blocked_for = l
                .blocked_until
                .filter(|t| *t > now)
                .map_or(0.0, |t| (t - now).as_secs_f64());
            s.banned = s.blocked_for > 0.0 && l.blocked_status == 418;
            s
        })
    }

    /// `GET url`, accounted against `exchange`'s limits with `weight` (Binance request weight).
    pub async fn get(
        &self,
        exchange: Exchange,
        url: &str,
        weight: u32,
    ) -> Result<RestReply, RestError> {
        let minute = (self.clock.now() / 60.0).floor() as i64;
        let budget = self.budget;
        self.with_limits(exchange, |l| {
            let now = Instant::now();
            if let Some(t) = l.blocked_until.filter(|t| *t > now) {
                l.snap.refused += 1;
                return Err(RestError::RateLimited {
                    status: l.blocked_status,
                    retry_in: (t - now).as_secs_f64(),
                });
            }
            if l.minute != minute {
                l.minute = minute;
                l.used_weight = 0;
            }
            if exchange == Exchange::Binance && l.used_weight + weight > budget {
                l.snap.refused += 1;
                return Err(RestError::Budget {
                    used: l.used_weight,
                    budget,
                    weight,
                });
            }
            l.used_weight += weight;
            l.snap.requests += 1;
            Ok(())
        })?;
        let resp = self.http.get(url).send().await.map_err(|e| {
            self.with_limits(exchange, |l| l.snap.errors += 1);
            RestError::Transport(e.without_url().to_string())
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(used) = headers
            .get("x-mbx-used-weight-1m")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            self.with_limits(exchange, |l| l.used_weight = used);
        }
        let limited =
            status == 429 || status == 418 || (exchange == Exchange::Bybit && status == 403);
        if limited {
            let default = match status {
                418 => 120.0,
                429 if exchange == Exchange::Binance => 60.0,
                _ => 10.0,
            };
            let secs = retry_after(&headers).unwrap_or(default);
            self.with_limits(exchange, |l| {
                l.snap.rate_limited += 1;
                l.blocked_until = Some(Instant::now() + Duration::from_secs_f64(secs));
                l.blocked_status = status;
            });
            warn!(%exchange, status, retry_after = secs, "rate limited: backing off");
            return Err(RestError::RateLimited {
                status,
                retry_in: secs,
            });
        }
        let body = resp.text().await.map_err(|e| {
            self.with_limits(exchange, |l| l.snap.errors += 1);
            RestError::Transport(e.without_url().to_string())
        })?;
        if !(200..300).contains(&status) {
            self.with_limits(exchange, |l| l.snap.errors += 1);
            let body: String = body.chars().take(200).collect();
            return Err(RestError::Status { status, body });
        }
        Ok(RestReply {
            status,
            body,
            ts: self.clock.now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    type Scripted = (u16, Vec<(&'static str, String)>, &'static str);

    /// A loopback HTTP/1.1 server answering the scripted responses in order (the last repeats),
    /// counting requests.
    async fn server(script: Vec<Scripted>) -> (String, Arc<AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                let n = c.fetch_add(1, Ordering::SeqCst);
                let (status, headers, body) = script[n.min(script.len() - 1)].clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut got = Vec::new();
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        let Ok(k) = s.read(&mut buf).await else {
                            return;
                        };
                        if k == 0 {
                            return;
                        }
                        got.extend_from_slice(&buf[..k]);
                    }
                    let mut resp = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        resp.push_str(&format!("{k}: {v}\r\n"));
                    }
                    resp.push_str("\r\n");
                    resp.push_str(body);
                    let _ = s.write_all(resp.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        (format!("http://{addr}"), count)
    }

    fn client() -> RestClient {
        let tls = crate::conn::tls_config().unwrap();
        RestClient::new(tls, Duration::from_secs(5), crate::clock::system_clock()).unwrap()
    }

    #[tokio::test]
    async fn reads_used_weight_and_refuses_over_budget() {
        let (base, hits) = server(vec![(
            200,
            vec![("X-MBX-USED-WEIGHT-1M", "2390".to_owned())],
            r#"{"openInterest":"1"}"#,
        )])
        .await;
        let c = client();
        let r = c
            .get(Exchange::Binance, &format!("{base}/a"), 1)
            .await
            .unwrap();
        assert_eq!(r.body, r#"{"openInterest":"1"}"#);
        assert_eq!(c.limits(Exchange::Binance).used_weight, 2390);
        // 2390 + 20 > 2400: refused locally, the server never sees it.
        let e = c
            .get(Exchange::Binance, &format!("{base}/b"), 20)
            .await
            .unwrap_err();
        assert!(matches!(e, RestError::Budget { used: 2390, .. }), "{e:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Other exchanges have no weight budget.
        c.get(Exchange::Okx, &format!("{base}/c"), 20)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn backs_off_after_429_and_stops_on_418() {
        let (base, hits) = server(vec![
            (429, vec![("Retry-After", "30".to_owned())], ""),
            (418, vec![("Retry-After", "120".to_owned())], ""),
        ])
        .await;
        let c = client();
        let e = c
            .get(Exchange::Binance, &format!("{base}/x"), 1)
            .await
            .unwrap_err();
        assert_eq!(
            e,
            RestError::RateLimited {
                status: 429,
                retry_in: 30.0
            }
        );
        let e = c
            .get(Exchange::Binance, &format!("{base}/x"), 1)
            .await
            .unwrap_err();
        assert!(matches!(e, RestError::RateLimited { status: 429, retry_in } if retry_in > 25.0));
        assert_eq!(hits.load(Ordering::SeqCst), 1, "the backoff is local");
        let l = c.limits(Exchange::Binance);
        assert_eq!((l.rate_limited, l.refused, l.banned), (1, 1, false));
        // Bybit is accounted separately: its 418 (the second script entry) bans Bybit only.
        let e = c
            .get(Exchange::Bybit, &format!("{base}/y"), 1)
            .await
            .unwrap_err();
        assert!(matches!(e, RestError::RateLimited { status: 418, .. }));
        assert!(c.limits(Exchange::Bybit).banned);
        assert!(c.limits(Exchange::Bybit).blocked_for > 100.0);
    }

    #[tokio::test]
    async fn error_status_is_reported_with_the_body() {
        let (base, _) = server(vec![(500, vec![], "oops")]).await;
        let c = client();
        let e = c
            .get(Exchange::Okx, &format!("{base}/z"), 1)
            .await
            .unwrap_err();
        assert_eq!(
            e,
            RestError::Status {
                status: 500,
                body: "oops".into()
            }
        );
        assert_eq!(c.limits(Exchange::Okx).errors, 1);
    }
}
