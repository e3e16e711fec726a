//! Helpers of the mock exchange tests: a minimal WebSocket client (tokio-tungstenite) and a
//! minimal HTTP/1.1 GET, so the tests do not depend on the real connectors.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// A test client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Deadline of every wait (against hangs; never a timing check).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// What the client saw next.
#[derive(Debug)]
pub enum Ev {
    /// A text frame.
    Text(String),
    /// A server Ping frame.
    Ping,
    /// A close frame.
    Close,
    /// An error (e.g. a reset without closing handshake).
    Error(String),
    /// The stream ended without a close frame.
    End,
}

/// Connects.
pub async fn connect(url: &str) -> Ws {
    connect_async(url).await.expect("connect").0
}

/// The next event, Pongs skipped.
pub async fn next_ev(ws: &mut Ws) -> Ev {
    loop {
        let r = tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("no frame before the deadline");
        return match r {
            None => Ev::End,
            Some(Err(e)) => Ev::Error(e.to_string()),
            Some(Ok(Message::Text(t))) => Ev::Text(t.as_str().to_owned()),
            Some(Ok(Message::Ping(_))) => Ev::Ping,
            Some(Ok(Message::Close(_))) => Ev::Close,
            Some(Ok(_)) => continue,
        };
    }
}

/// The next text frame (Pings skipped); panics on anything else.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match next_ev(ws).await {
            Ev::Text(t) => return t,
            Ev::Ping => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("send");
}

/// Parses JSON.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// An HTTP answer.
#[derive(Debug)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl HttpAnswer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// `GET base+path_and_query` with `Connection: close`.
pub async fn get(base: &str, path_and_query: &str) -> HttpAnswer {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.expect("connect REST");
    let req = format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(DEADLINE, s.read_to_end(&mut buf))
        .await
        .expect("REST answer before the deadline")
        .expect("read");
    let text = String::from_utf8(buf).expect("utf8");
    let (head, body) = text.split_once("\r\n\r\n").expect("header end");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    HttpAnswer {
        status,
        headers,
        body,
    }
}

/// Decodes a chunked body.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
