//! The error bodies of api.md 0 and 6: `{"detail": "..."}` for the application's errors and the
//! framework's 422 list for query values of the wrong type.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::json::to_json;

/// Which type a query parameter failed to parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer parameter.
    Int,
    /// A float parameter.
    Float,
}

/// One 422 entry: a query parameter that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The expected type.
    pub kind: ParamKind,
    /// The parameter's name.
    pub name: String,
    /// The value as received.
    pub input: String,
}

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400 with a detail message.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404 with a detail message.
    #[error("not found: {0}")]
    NotFound(String),
    /// 405 `Method Not Allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 422: query parameters of the wrong type (api.md 6.2).
    #[error("unprocessable query: {0:?}")]
    Unprocessable(Vec<ParamError>),
    /// 503 with a detail message.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500 with the plain-text body `Internal Server Error`.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct Detail<'a> {
    detail: &'a str,
}

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    loc: (&'static str, &'a str),
    msg: &'static str,
    input: &'a str,
}

#[derive(Serialize)]
struct Details<'a> {
    detail: Vec<Entry<'a>>,
}

impl ApiError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body (`None` for the plain-text 500).
    pub fn body(&self) -> Option<Vec<u8>> {
        let detail = |m: &str| to_json(&Detail { detail: m }).ok();
        match self {
            ApiError::BadRequest(m) | ApiError::NotFound(m) | ApiError::Unavailable(m) => detail(m),
            ApiError::MethodNotAllowed => detail("Method Not Allowed"),
            ApiError::Unprocessable(errs) => {
                let detail = errs
                    .iter()
                    .map(|e| match e.kind {
                        ParamKind::Int => Entry {
                            kind: "int_parsing",
                            loc: ("query", &e.name),
                            msg: "Input should be a valid integer, unable to parse string as an integer",
                            input: &e.input,
                        },
                        ParamKind::Float => Entry {
                            kind: "float_parsing",
                            loc: ("query", &e.name),
                            msg: "Input should be a valid number, unable to parse string as a number",
                            input: &e.input,
                        },
                    })
                    .collect();
                to_json(&Details { detail }).ok()
            }
            ApiError::Internal(_) => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(why) = &self {
            tracing::error!(%why, "internal error");
        }
        let mut resp = match self.body() {
            Some(b) => crate::json::json_response(status, b.into()),
            None => (status, "Internal Server Error").into_response(),
        };
        if status == StatusCode::METHOD_NOT_ALLOWED {
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
        }
        resp
    }
}
