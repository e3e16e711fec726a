//! Replays a capture-v1 minute file through heatmap + calibrator for one symbol, once with the
//! reference preset and once with our fixes, both from the runtime default weights, and prints
//! what each calibrator did: calibrations run and adopted, whether calibration is still enabled
//! at the end, the safety trip, the final weights, the entropy over time and the hit rate per
//! window.
//!
//! `cargo run --release -p liq-core --example calibrator_compare -- FILE [SYMBOL STEP OI_BASE]`

use std::path::PathBuf;

use liq_core::calibrator::{Calibrator, CalibratorConfig, CalibratorRecord};
use liq_core::compat::ReferenceCompat;
use liq_core::heatmap::replay::{ReplayFeeder, ReplayRecord};
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine};
use liq_core::leverage::{DisabledTiers, enabled_entropy};
use liq_core::pipeline::SymbolPipeline;

struct Window {
    minute: i64,
    events: u64,
    hit_rate: f64,
    entropy: f64,
    adopted: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(
        args.next()
            .ok_or("usage: calibrator_compare FILE [SYMBOL STEP OI_BASE]")?,
    );
    let symbol = args.next().unwrap_or_else(|| "BTC".into());
    let step: f64 = args.next().map_or(Ok(20.0), |s| s.parse())?;
    let oi_base: f64 = args.next().map_or(Ok(160_000.0), |s| s.parse())?;
    let records = liq_store::capture::read_replay(&file)?;
    for (name, compat) in [
        ("reference", ReferenceCompat::reference()),
        ("default", ReferenceCompat::fixed()),
    ] {
        let (cal, _) = Calibrator::new(CalibratorConfig::runtime(&symbol, step, &compat), None);
        let engine = HeatmapEngine::new(HeatmapConfig::runtime(&symbol, step), compat)?;
        let mut p = SymbolPipeline::new(engine, cal);
        let mut feeder = ReplayFeeder::with_oi_base(oi_base);
        let mut windows = Vec::new();
        let mut trip = None;
        let mut errors = 0u64;
        for r in &records {
            let mine = match r {
                ReplayRecord::Minute(b) => b.symbol == symbol,
                ReplayRecord::Liquidation(l) => l.symbol == symbol,
            };
            if !mine {
                continue;
            }
            let minute = match r {
                ReplayRecord::Minute(b) => b.minute_key,
                ReplayRecord::Liquidation(_) => 0,
            };
            match p.apply_replay(&mut feeder, r) {
                Ok(Some(rep)) => {
                    if let Some(c) = rep.calibration {
                        windows.push(Window {
                            minute,
                            events: 0,
                            hit_rate: c.hit_rate,
                            entropy: enabled_entropy(
                                &c.ladder,
                                &c.weights,
                                &DisabledTiers::default(),
                            ),
                            adopted: c.adopted,
                        });
                    }
                }
                Ok(None) => {}
                Err(_) => errors += 1,
            }
            let (_, recs) = p.take_records();
            for rec in recs {
                match rec {
                    CalibratorRecord::Calibration(c) => {
                        if let Some(w) = windows.last_mut() {
                            w.events = c.total_events;
                        }
                    }
                    CalibratorRecord::SafetyTrip(t) => trip = Some((t.minute_key, t.reason)),
                    _ => {}
                }
            }
        }
        let c = p.calibrator();
        let adopted = windows.iter().filter(|w| w.adopted).count();
        println!("== {name} ({symbol}, {} minute closes refused)", errors);
        println!(
            "calibrations run {}, adopted {}, calibration_enabled at end {}",
            windows.len(),
            adopted,
            c.calibration_enabled()
        );
        match &trip {
            Some((m, reason)) => println!("safety trip at minute {m}: {reason}"),
            None => println!("no safety trip"),
        }
        let weights: Vec<String> = p
            .heatmap()
            .ladder()
            .iter()
            .zip(p.heatmap().weights_in_ladder_order())
            .map(|(t, w)| format!("{t}x {w:.4}"))
            .collect();
        println!("final engine weights: {}", weights.join(", "));
        println!(
            "final buffer {:.5}, tolerance {}, vol_ewma {:.6}, bias long {:.6} short {:.6}",
            p.heatmap().config().buffer,
            c.tolerance(),
            c.vol_ewma(),
            c.bias().0,
            c.bias().1
        );
        let with_events: Vec<&Window> = windows.iter().filter(|w| w.events > 0).collect();
        let mean_hit =
            with_events.iter().map(|w| w.hit_rate).sum::<f64>() / with_events.len().max(1) as f64;
        let events: u64 = windows.iter().map(|w| w.events).sum();
        println!(
            "windows with events {}, events {events}, mean hit rate over them {mean_hit:.3}",
            with_events.len()
        );
        println!(
            "entropy and hit rate every 16 windows (4 h): minute, H, hit rate of that window (events)"
        );
        for w in windows.iter().step_by(16).chain(windows.last()) {
            println!(
                "  {} H {:.4} hit {:.3} ({}){}",
                w.minute,
                w.entropy,
                w.hit_rate,
                w.events,
                if w.adopted { "" } else { " not adopted" }
            );
        }
    }
    Ok(())
}
