//! A published liquidation snapshot (V1 or V2 body): the file's JSON made compact, its parsed
//! top-level keys (kept as raw text, in file order) and its `ts`.

use axum::body::Bytes;
use indexmap::IndexMap;
use liq_core::heatmap::history::HistoryFrame;
use serde_json::value::RawValue;

use crate::json::minify;

/// Why a snapshot file cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not a JSON object.
    #[error("not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
}

/// The top-level keys of a snapshot body, values as raw compact JSON.
pub type Fields = IndexMap<String, Box<RawValue>>;

/// One immutable snapshot body.
#[derive(Debug)]
pub struct Snapshot {
    /// The compact JSON object, as served.
    pub body: Bytes,
    /// Its top-level keys.
    pub fields: Fields,
    /// `ts` (0 when absent or not a number).
    pub ts: f64,
}

impl Snapshot {
    /// Parses a snapshot file's bytes.
    pub fn parse(file: &[u8]) -> Result<Self, SnapshotError> {
        let body = minify(file);
        let fields: Fields = serde_json::from_slice(&body)?;
        let ts = num(&fields, "ts").unwrap_or(0.0);
        Ok(Snapshot {
            body: Bytes::from(body),
            fields,
            ts,
        })
    }

    /// A numeric top-level key.
    pub fn num(&self, key: &str) -> Option<f64> {
        num(&self.fields, key)
    }

    /// The history frame of api.md 4.2 (intensities `trunc(v·255)`), if the body has one.
    pub fn history_frame(&self) -> Option<HistoryFrame> {
        let arr = |k: &str| -> Option<Vec<f64>> {
            let v: Vec<Option<f64>> = serde_json::from_str(self.fields.get(k)?.get()).ok()?;
            Some(v.into_iter().map(|x| x.unwrap_or(0.0)).collect())
        };
        let (long, short) = (arr("long_intensity")?, arr("short_intensity")?);
        let f = |k: &str| self.num(k).unwrap_or(0.0);
        Some(HistoryFrame::from_intensities(
            self.ts,
            f("src"),
            f("step"),
            f("price_min"),
            f("price_max"),
            &long,
            &short,
        ))
    }
}

fn num(fields: &Fields, key: &str) -> Option<f64> {
    serde_json::from_str(fields.get(key)?.get()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_minifies() {
        let s = Snapshot::parse(br#"{"ts": 60.5, "src": 10.0, "step": 1.0, "price_min": 9.0, "price_max": 11.0, "long_intensity": [0.5, 1.0, 0.0], "short_intensity": [0.0, 0.0, 1.0]}"#).unwrap();
        assert_eq!(s.ts, 60.5);
        assert!(s.body.starts_with(br#"{"ts":60.5,"src":10.0"#));
        let f = s.history_frame().unwrap();
        assert_eq!(f.long, vec![127, 255, 0]);
        assert!(Snapshot::parse(b"[1]").is_err());
    }
}
