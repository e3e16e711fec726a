//! `GET /` (alias `/index.html`): the built-in web page, beyond the reference. Its HTML, CSS
//! and JavaScript live in `src/web/` and are compiled into the binary (no build step, no CDN,
//! nothing fetched but the API's own endpoints).

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;

const HTML: &str = include_str!("../web/index.html");
const CSS: &str = include_str!("../web/style.css");
const JS: &str = include_str!("../web/app.js");

/// The page with its stylesheet and script inlined (one request).
pub(crate) fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        HTML.replacen("/*STYLE*/", CSS, 1)
            .replacen("/*SCRIPT*/", JS, 1)
    })
}

/// `GET /`.
pub async fn index() -> Response {
    let mut resp = Response::new(Body::from(page()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_inlined() {
        let p = page();
        assert!(p.contains("<canvas"));
        assert!(!p.contains("/*STYLE*/") && !p.contains("/*SCRIPT*/"));
        assert!(p.contains(CSS) && p.contains(JS));
        // Offline: nothing loaded from another host.
        assert!(!p.contains("http://") && !p.contains("https://"));
    }
}
