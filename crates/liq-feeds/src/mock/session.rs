//! One WebSocket connection's protocol state, per exchange.

use liq_core::event::{Exchange, Market};

use super::MockConfig;
use super::binance::BinanceSession;
use super::bybit::BybitSession;
use super::okx::OkxSession;
use super::router::RouteKey;

/// Why a handshake is refused.
#[derive(Debug)]
pub(crate) enum Reject {
    /// Unknown path (HTTP 404).
    NotFound,
    /// A bad request (HTTP 400), e.g. too many streams in the URL.
    BadRequest(String),
}

/// What the connection task does after a client message.
#[derive(Debug, PartialEq)]
pub(crate) enum Action {
    /// Send this text (ack, pong).
    Reply(String),
    /// Send this error text (counted as a subscribe error).
    Error(String),
    /// Subscribe to these topics (routed); `wrong_path` more were acknowledged but are not served.
    Subscribe {
        /// Topics to route to this connection.
        topics: Vec<String>,
        /// Topics acknowledged on the wrong Binance path.
        wrong_path: usize,
    },
    /// Unsubscribe from these topics.
    Unsubscribe(Vec<String>),
    /// An application ping arrived (Bybit op ping, OKX text ping).
    AppPing,
}

/// Protocol state of a connection.
#[derive(Debug)]
pub(crate) enum Session {
    /// Binance USD-M.
    Binance(BinanceSession),
    /// Bybit v5 public.
    Bybit(BybitSession),
    /// OKX v5 public.
    Okx(OkxSession),
}

impl Session {
    /// Builds the session from the handshake path and query; the actions subscribe the streams
    /// named in a Binance URL.
    pub(crate) fn open(
        exchange: Exchange,
        path: &str,
        query: &str,
        conn_no: u64,
        cfg: &MockConfig,
    ) -> Result<(Session, Vec<Action>), Reject> {
        match exchange {
            Exchange::Binance => {
                let (mut s, streams) =
                    BinanceSession::from_path(path, query, cfg.binance_max_streams)?;
                let mut actions = Vec::new();
                if !streams.is_empty() {
                    let (topics, wrong_path) =
                        s.add_streams(&streams).map_err(Reject::BadRequest)?;
                    actions.push(Action::Subscribe { topics, wrong_path });
                }
                Ok((Session::Binance(s), actions))
            }
            Exchange::Bybit => BybitSession::from_path(path, conn_no, cfg.bybit_max_args_chars)
                .map(|s| (Session::Bybit(s), Vec::new()))
                .ok_or(Reject::NotFound),
            Exchange::Okx => OkxSession::from_path(path, conn_no)
                .map(|s| (Session::Okx(s), Vec::new()))
                .ok_or(Reject::NotFound),
        }
    }

    /// Handles one client text frame.
    pub(crate) fn on_text(&mut self, text: &str) -> Vec<Action> {
        match self {
            Session::Binance(s) => s.on_text(text),
            Session::Bybit(s) => s.on_text(text),
            Session::Okx(s) => s.on_text(text),
        }
    }

    /// The route key of a topic on this connection.
    pub(crate) fn key(&self, exchange: Exchange, topic: &str) -> RouteKey {
        let market = match self {
            Session::Bybit(s) => s.market,
            _ => Market::Perp,
        };
        RouteKey {
            exchange,
            market,
            topic: topic.to_owned(),
        }
    }

    /// Whether data frames use the Binance combined envelope.
    pub(crate) fn combined(&self) -> bool {
        matches!(self, Session::Binance(s) if s.combined)
    }

    /// Whether the server sends WebSocket Ping frames (Binance: every 3 minutes, documented).
    pub(crate) fn server_pings(&self) -> bool {
        self.is_binance()
    }

    /// Whether this is a Binance connection.
    pub(crate) fn is_binance(&self) -> bool {
        matches!(self, Session::Binance(_))
    }

    /// The idle timeout of this exchange, if it closes idle connections.
    pub(crate) fn idle_timeout(&self, cfg: &MockConfig) -> Option<std::time::Duration> {
        match self {
            Session::Binance(_) => None,
            Session::Bybit(_) => Some(cfg.bybit_idle_timeout),
            Session::Okx(_) => Some(cfg.okx_idle_timeout),
        }
    }
}
