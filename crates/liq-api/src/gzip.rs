//! Compressed bodies computed once: a cached JSON body is the same shared allocation on every
//! hit, so its gzip form is kept next to it (keyed by the allocation, checked by content) and
//! served without deflating the same bytes again per request. Responses this layer does not
//! handle fall through to tower-http's compression.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Bodies kept; past this the memo starts over (entries are cheap to rebuild).
const CAPACITY: usize = 256;
/// Bodies smaller than this are not worth compressing.
const MIN_LEN: usize = 1024;
/// The largest body this layer collects (larger ones are left to tower-http).
const MAX_LEN: usize = 8 << 20;

/// `(allocation address, length)` of a body -> `(body, gzip body)`.
type Memo = HashMap<(usize, usize), (Bytes, Bytes)>;

/// The memo of compressed bodies.
#[derive(Clone, Default)]
pub struct GzipMemo(Arc<Mutex<Memo>>);

impl GzipMemo {
    fn get_or_compress(&self, body: &Bytes) -> Option<Bytes> {
        let key = (body.as_ptr() as usize, body.len());
        if let Ok(m) = self.0.lock()
            && let Some((orig, gz)) = m.get(&key)
            && orig == body
        {
            return Some(gz.clone());
        }
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::default(),
        );
        enc.write_all(body).ok()?;
        let gz = Bytes::from(enc.finish().ok()?);
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.insert(key, (body.clone(), gz.clone()));
        }
        Some(gz)
    }
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// The middleware: a successful JSON response to a client that accepts gzip gets the memoized
/// compressed body.
pub async fn gzip_memo(State(memo): State<GzipMemo>, req: Request, next: Next) -> Response {
    let gzip = accepts_gzip(&req);
    let resp = next.run(req).await;
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !gzip
        || !json
        || resp.status() != StatusCode::OK
        || resp.headers().contains_key(header::CONTENT_ENCODING)
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_LEN).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if bytes.len() < MIN_LEN {
        return Response::from_parts(parts, Body::from(bytes));
    }
    match memo.get_or_compress(&bytes) {
        Some(gz) => {
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts
                .headers
                .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(gz))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn one_compression_per_shared_body() {
        let memo = GzipMemo::default();
        let body = Bytes::from(vec![b'a'; 5000]);
        let gz1 = memo.get_or_compress(&body.clone()).unwrap();
        let gz2 = memo.get_or_compress(&body).unwrap();
        assert_eq!(
            gz1.as_ptr(),
            gz2.as_ptr(),
            "the second hit reuses the compressed bytes"
        );
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz1[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        // Another body (even at a reused address) is checked by content.
        let other = Bytes::from(vec![b'b'; 5000]);
        let gz3 = memo.get_or_compress(&other).unwrap();
        assert_ne!(gz3, gz1);
    }

    #[test]
    fn accept_encoding_parsing() {
        let req = |v: &str| {
            Request::builder()
                .header(header::ACCEPT_ENCODING, v)
                .body(Body::empty())
                .unwrap()
        };
        assert!(accepts_gzip(&req("gzip")));
        assert!(accepts_gzip(&req("br, GZIP;q=0.5")));
        assert!(!accepts_gzip(&req("gzip;q=0")));
        assert!(!accepts_gzip(&req("br, deflate")));
    }
}
