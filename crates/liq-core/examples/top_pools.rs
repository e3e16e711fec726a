//! Embedding liq-core: feed a capture file's minute closes and liquidations into the engine
//! manager and print each symbol's top liquidation pools per minute. The example reads the
//! file itself (with liq-store's reader); the core does no I/O.
//!
//! `cargo run --release -p liq-core --example top_pools -- ../shared/fixtures/replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl`

use liq_core::calibrator::{Calibrator, CalibratorConfig};
use liq_core::compat::ReferenceCompat;
use liq_core::engine::{EngineManager, SymbolSpec};
use liq_core::zones::ZoneManager;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: top_pools FILE")?;
    let compat = ReferenceCompat::fixed();
    let mut engine = EngineManager::new(compat);
    for spec in SymbolSpec::defaults() {
        let cfg = CalibratorConfig::runtime(&spec.symbol, spec.step, &compat);
        let (calibrator, _) = Calibrator::new(cfg, None);
        let zones = ZoneManager::new(&spec.symbol, spec.step, &compat)?;
        engine.add_symbol(&spec, calibrator, zones)?;
    }
    for record in liq_store::capture::ReplayReader::open(std::path::Path::new(&path))? {
        let Some(minute) = engine.apply_replay(&record?) else {
            continue;
        };
        let Some(v2) = &minute.v2 else {
            continue;
        };
        let top = |levels: &[liq_core::heatmap::Level]| -> String {
            levels
                .iter()
                .take(3)
                .map(|l| format!("{:.0} ${:.0}k", l.price, l.notional_usd / 1000.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "{} {} longs [{}] shorts [{}]",
            minute.minute_key,
            minute.symbol,
            top(&v2.pools.long_levels),
            top(&v2.pools.short_levels)
        );
        engine.take_records(); // a real program would write them
    }
    Ok(())
}
