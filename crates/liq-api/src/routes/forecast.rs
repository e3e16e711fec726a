//! `/liq_forecast`: the liquidation forecast of the last minute close for one horizon
//! (DECISIONS protocol v2 item 6; beyond the reference, docs/API.md).

use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::liq::{SNAPSHOT_TTL, with_warning};
use super::{cached, reply};
use crate::error::ApiError;
use crate::forecast::{encode_body, parse_horizon};
use crate::query::Params;
use crate::state::AppState;
use crate::symbols::normalize;

/// `GET /liq_forecast?symbol=BTC&horizon=60`: symbol (400) -> horizon (400) -> cache 5 s ->
/// no forecast yet 503 -> the body (`_warning` appended when its minute is over 120 s old).
pub async fn liq_forecast(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let i = normalize(p.get("symbol"))?;
        let horizon = parse_horizon(p.get("horizon"))?;
        let slot = state.slot(i);
        let key = format!("liq_forecast?symbol={}&horizon={horizon}", slot.info.name);
        cached(&state, key, SNAPSHOT_TTL, || {
            let name = slot.info.name;
            let no_forecast = || {
                ApiError::Unavailable(format!(
                    "No forecast for {name} yet (one per minute close), try again shortly"
                ))
            };
            let snap = slot.forecast().ok_or_else(no_forecast)?;
            let body = encode_body(name, &snap, horizon).ok_or_else(no_forecast)??;
            match snap.ts {
                Some(ts) => with_warning(ts, body, state.now()),
                None => Ok(body),
            }
        })
    })())
}
