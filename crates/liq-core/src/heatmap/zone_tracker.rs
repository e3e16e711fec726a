//! `ZoneTracker`: hysteresis over the display pools that become the V1 snapshot's top zones.
//!
//! Implements `spec/heatmap.md` 6.7 and the `zone_tracker_debug` record of 8.7. Every symbol gets
//! its own tracker with its own step ([`ZoneTrackerConfig::for_step`], DECISIONS Heatmap 3, fixing
//! B20); the reference tracks BTC only, with `steps = 20.0` ([`ZoneTrackerConfig::reference`]).

use std::cmp::Ordering;

use serde::Serialize;

use crate::grid::py_round;

/// A displayed zone as `(price, strength)`.
pub type ZonePoint = (f64, f64);

/// A displayed zone as `(price, strength, age in minutes)`.
pub type ZoneRow = (f64, f64, i64);

/// Tuning of a [`ZoneTracker`] (spec 6.7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneTrackerConfig {
    /// Match radius in price units: a candidate within `±steps` of a zone belongs to it.
    pub steps: f64,
    /// Most zones displayed per side.
    pub max_zones: usize,
    /// A candidate displaces the weakest zone of a full side only if stronger by more than this.
    pub enter_margin: f64,
    /// An old zone exits when weaker than the best unmatched candidate by more than this.
    pub exit_margin: f64,
    /// Age in minutes from which a zone may exit by peak drop or by the exit margin.
    pub ttl_minutes: i64,
    /// An old zone exits once its relative drop from its peak exceeds this.
    pub peak_drop_threshold: f64,
    /// A zone weaker than this exits at any age (entry does not check it).
    pub min_strength: f64,
    /// Factor applied each update to a zone that no candidate matched.
    pub missing_decay: f64,
}

impl ZoneTrackerConfig {
    /// The reference's BTC tracker: steps 20, 5 zones, margins 0.07/0.05, TTL 10, drop 0.70.
    pub fn reference() -> Self {
        Self {
            steps: 20.0,
            max_zones: 5,
            enter_margin: 0.07,
            exit_margin: 0.05,
            ttl_minutes: 10,
            peak_drop_threshold: 0.70,
            min_strength: 0.01,
            missing_decay: 0.95,
        }
    }

    /// The reference tuning with the symbol's own bucket step as match radius (fixes B20).
    pub fn for_step(step: f64) -> Self {
        Self {
            steps: step,
            ..Self::reference()
        }
    }
}

/// A zone on display: its price is fixed at entry, its strength follows the matching candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisplayedZone {
    /// Candidate price at the minute the zone entered (never moved afterwards).
    pub price: f64,
    /// Current strength (the matching candidate's intensity, or decayed when unmatched).
    pub strength: f64,
    /// Minute key of entry; `age = minute - entry_minute`.
    pub entry_minute: i64,
    /// Highest strength seen since entry.
    pub peak_strength: f64,
}

/// The `config` object of a `zone_tracker_debug` record (key order as in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZoneTrackerDebugConfig {
    /// Match radius.
    pub steps: f64,
    /// Most zones per side.
    pub max_zones: usize,
    /// Entry margin.
    pub enter_margin: f64,
    /// Exit margin.
    pub exit_margin: f64,
    /// TTL in minutes.
    pub ttl_minutes: i64,
}

/// Payload of a `zone_tracker_debug` record (8.7); the writer adds `type` first and `ts` last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneTrackerDebug {
    /// Minute key of the update.
    pub minute: i64,
    /// Long zones strongest first as `[price, py_round(strength, 3), age]`.
    pub displayed_long: Vec<ZoneRow>,
    /// Short zones strongest first as `[price, py_round(strength, 3), age]`.
    pub displayed_short: Vec<ZoneRow>,
    /// The tracker's configuration.
    pub config: ZoneTrackerDebugConfig,
}

/// Per-side displayed zones with entry/exit hysteresis (spec 6.7).
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneTracker {
    cfg: ZoneTrackerConfig,
    long: Vec<DisplayedZone>,
    short: Vec<DisplayedZone>,
    last_debug_minute: Option<i64>,
}

/// Python float order for sort keys: `-0.0 == 0.0`; NaN gets a fixed place so the order is total.
fn strength_cmp(a: f64, b: f64) -> Ordering {
    let norm = |x: f64| if x == 0.0 { 0.0 } else { x };
    norm(a).total_cmp(&norm(b))
}

/// The zones stable-sorted by strength descending (Python `sorted(..., reverse=True)`).
fn strongest_first(zones: &[DisplayedZone]) -> Vec<DisplayedZone> {
    let mut sorted = zones.to_vec();
    sorted.sort_by(|a, b| strength_cmp(b.strength, a.strength));
    sorted
}

/// The `n` strongest zones as `(price, shown(strength), age)`.
fn rows(zones: &[DisplayedZone], minute: i64, n: usize, shown: fn(f64) -> f64) -> Vec<ZoneRow> {
    let sorted = strongest_first(zones);
    let row = |z: &DisplayedZone| (z.price, shown(z.strength), minute - z.entry_minute);
    sorted.iter().take(n).map(row).collect()
}

/// Whether some zone lies within `±steps` of `price`.
fn has_zone_near(zones: &[DisplayedZone], price: f64, steps: f64) -> bool {
    zones.iter().any(|z| (price - z.price).abs() <= steps)
}

/// Spec 6.7 `update_side`: refresh, exit, entry, in that order.
fn update_side(
    cfg: &ZoneTrackerConfig,
    zones: &mut Vec<DisplayedZone>,
    candidates: &[(f64, f64)],
    minute: i64,
) {
    for zone in zones.iter_mut() {
        let matched = candidates
            .iter()
            .find(|(price, _)| (price - zone.price).abs() <= cfg.steps);
        match matched {
            Some(&(_, strength)) => {
                zone.strength = strength;
                if strength > zone.peak_strength {
                    zone.peak_strength = strength;
                }
            }
            None => zone.strength *= cfg.missing_decay,
        }
    }

    let best = candidates
        .iter()
        .filter(|(price, _)| !has_zone_near(zones, *price, cfg.steps))
        .fold(0.0, |best, &(_, s)| if s > best { s } else { best });
    zones.retain(|z| {
        let old = minute - z.entry_minute >= cfg.ttl_minutes;
        let drop = if z.peak_strength > 0.0 {
            (z.peak_strength - z.strength) / z.peak_strength
        } else {
            0.0
        };
        let exits = z.strength < cfg.min_strength
            || (old && drop > cfg.peak_drop_threshold)
            || (old && z.strength < best - cfg.exit_margin);
        !exits
    });

    for &(price, strength) in candidates {
        if has_zone_near(zones, price, cfg.steps) {
            continue;
        }
        let weakest = zones
            .iter()
            .map(|z| z.strength)
            .reduce(|w, s| if s < w { s } else { w })
            .unwrap_or(0.0);
        if zones.len() < cfg.max_zones || strength > weakest + cfg.enter_margin {
            zones.push(DisplayedZone {
                price,
                strength,
                entry_minute: minute,
                peak_strength: strength,
            });
            if zones.len() > cfg.max_zones {
                zones.sort_by(|a, b| strength_cmp(a.strength, b.strength));
                zones.remove(0);
            }
        }
    }
}

impl ZoneTracker {
    /// An empty tracker.
    pub fn new(cfg: ZoneTrackerConfig) -> Self {
        Self {
            cfg,
            long: Vec::new(),
            short: Vec::new(),
            last_debug_minute: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ZoneTrackerConfig {
        &self.cfg
    }

    /// Long zones in internal list order (the order that breaks strength ties).
    pub fn displayed_long(&self) -> &[DisplayedZone] {
        &self.long
    }

    /// Short zones in internal list order (the order that breaks strength ties).
    pub fn displayed_short(&self) -> &[DisplayedZone] {
        &self.short
    }

    /// One minute's update from `(price, intensity)` candidates, taken in the given order (the
    /// caller stable-sorts them by intensity descending); returns `(long, short)` zones as
    /// `(price, strength)`, each stable-sorted by strength descending.
    pub fn update(
        &mut self,
        minute: i64,
        longs: &[(f64, f64)],
        shorts: &[(f64, f64)],
    ) -> (Vec<ZonePoint>, Vec<ZonePoint>) {
        update_side(&self.cfg, &mut self.long, longs, minute);
        update_side(&self.cfg, &mut self.short, shorts, minute);
        let pairs = |zones: &[DisplayedZone]| {
            strongest_first(zones)
                .iter()
                .map(|z| (z.price, z.strength))
                .collect()
        };
        (pairs(&self.long), pairs(&self.short))
    }

    /// The `n` strongest zones per side as `(price, strength, age)` (V1 `top_*_zones`, unrounded).
    pub fn top_zones(&self, minute: i64, n: usize) -> (Vec<ZoneRow>, Vec<ZoneRow>) {
        let raw = |s| s;
        (
            rows(&self.long, minute, n, raw),
            rows(&self.short, minute, n, raw),
        )
    }

    /// The `zone_tracker_debug` record of the current state, unconditionally.
    pub fn build_debug_record(&self, minute: i64) -> ZoneTrackerDebug {
        let shown = |s| py_round(s, 3);
        ZoneTrackerDebug {
            minute,
            displayed_long: rows(&self.long, minute, usize::MAX, shown),
            displayed_short: rows(&self.short, minute, usize::MAX, shown),
            config: ZoneTrackerDebugConfig {
                steps: self.cfg.steps,
                max_zones: self.cfg.max_zones,
                enter_margin: self.cfg.enter_margin,
                exit_margin: self.cfg.exit_margin,
                ttl_minutes: self.cfg.ttl_minutes,
            },
        }
    }

    /// The debug record to write after `update(minute, ..)`: `Some` once per distinct minute.
    pub fn debug_record(&mut self, minute: i64) -> Option<ZoneTrackerDebug> {
        if self.last_debug_minute == Some(minute) {
            return None;
        }
        self.last_debug_minute = Some(minute);
        Some(self.build_debug_record(minute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M100: [(f64, f64); 6] = [
        (1000.0, 0.9),
        (1200.0, 0.5),
        (900.0, 0.3),
        (800.0, 0.2),
        (700.0, 0.15),
        (600.0, 0.12),
    ];
    const M101: [(f64, f64); 3] = [(1010.0, 0.8), (600.0, 0.25), (500.0, 0.31)];
    const M102: [(f64, f64); 2] = [(1010.0, 0.8), (500.0, 0.31)];
    const M112: [(f64, f64); 3] = [(1010.0, 0.8), (500.0, 0.31), (300.0, 0.2)];

    /// Checks zones against `prices` exactly and `strengths` to `tol`.
    fn assert_zones(got: &[ZonePoint], prices: &[f64], strengths: &[f64], tol: f64) {
        let got_prices: Vec<f64> = got.iter().map(|z| z.0).collect();
        assert_eq!(got_prices, prices, "{got:?}");
        assert_eq!(got.len(), strengths.len(), "{got:?}");
        for (g, w) in got.iter().zip(strengths) {
            assert!((g.1 - w).abs() <= tol, "{got:?} vs {strengths:?}");
        }
    }

    #[test]
    fn spec_10_6_vector() {
        let mut t = ZoneTracker::new(ZoneTrackerConfig::reference());
        // Minute 100: five enter, 600 fails the margin (0.12 <= 0.15 + 0.07).
        let (long, short) = t.update(100, &M100, &[]);
        assert_eq!(long, M100[..5]);
        assert!(short.is_empty());

        // Minute 101: 1000 refreshed, the rest decay; 600 evicts 700, then 500 evicts 800.
        let (long, _) = t.update(101, &M101, &[]);
        let prices = [1000.0, 1200.0, 500.0, 900.0, 600.0];
        assert_zones(&long, &prices, &[0.8, 0.475, 0.31, 0.285, 0.25], 1e-12);
        assert_eq!(long[1].1, 0.5 * 0.95);
        // Evictions re-sort the list ascending, so 1000 is now last, with its peak kept.
        let z = t.displayed_long()[4];
        assert_eq!(
            (z.price, z.entry_minute, z.peak_strength),
            (1000.0, 100, 0.9)
        );

        // Minutes 102..=111: 1000 and 500 refreshed, the others decay.
        for minute in 102..=111 {
            assert_eq!(t.update(minute, &M102, &[]).0.len(), 5, "minute {minute}");
        }
        // Without (300, 0.2) the best unmatched strength is 0, so 600 would stay.
        let (long, _) = t.clone().update(112, &M102, &[]);
        assert!(long.iter().any(|&(p, _)| p == 600.0));

        // Minute 112: 600 (age 11, 0.1422) exits since 0.1422 < 0.2 - 0.05; 300 enters.
        let (long, _) = t.update(112, &M112, &[]);
        let rounded: Vec<ZonePoint> = long.iter().map(|&(p, s)| (p, py_round(s, 4))).collect();
        let prices = [1000.0, 500.0, 1200.0, 300.0, 900.0];
        assert_zones(&rounded, &prices, &[0.8, 0.31, 0.2702, 0.2, 0.1621], 0.0);
        assert!((long[2].1 - 0.5 * 0.95f64.powi(12)).abs() < 1e-12);
        assert!((long[4].1 - 0.3 * 0.95f64.powi(12)).abs() < 1e-12);

        let (top_long, top_short) = t.top_zones(112, 3);
        let ages: Vec<(f64, i64)> = top_long.iter().map(|&(p, _, age)| (p, age)).collect();
        assert_eq!(ages, [(1000.0, 12), (500.0, 11), (1200.0, 12)]);
        assert!(top_short.is_empty());
    }

    #[test]
    fn debug_record_once_per_minute_with_reference_keys() {
        let mut t = ZoneTracker::new(ZoneTrackerConfig::reference());
        t.update(100, &M100, &[(67180.0, 1.0), (68500.0, 0.9487)]);
        let rec = t.debug_record(100).expect("first record of minute 100");
        let json = serde_json::to_string(&rec).expect("serializable");
        assert_eq!(
            json,
            concat!(
                r#"{"minute":100,"displayed_long":[[1000.0,0.9,0],[1200.0,0.5,0],[900.0,0.3,0],"#,
                r#"[800.0,0.2,0],[700.0,0.15,0]],"displayed_short":[[67180.0,1.0,0],"#,
                r#"[68500.0,0.949,0]],"config":{"steps":20.0,"max_zones":5,"#,
                r#""enter_margin":0.07,"exit_margin":0.05,"ttl_minutes":10}}"#
            )
        );
        t.update(100, &M100, &[]);
        assert_eq!(t.debug_record(100), None);
        t.update(101, &M101, &[]);
        let rec = t.debug_record(101).expect("first record of minute 101");
        assert_eq!(rec.displayed_long[0], (1000.0, 0.8, 1));
        assert_eq!(rec.displayed_long[2], (500.0, 0.31, 0));
    }

    #[test]
    fn ties_keep_list_order_and_zone_price_never_moves() {
        let mut t = ZoneTracker::new(ZoneTrackerConfig::reference());
        let (long, _) = t.update(1, &[(100.0, 0.5), (200.0, 0.5), (300.0, 0.5)], &[]);
        assert_eq!(long, [(100.0, 0.5), (200.0, 0.5), (300.0, 0.5)]);
        // The first candidate within ±20 refreshes, in candidate order; the price stays.
        let (long, _) = t.update(2, &[(115.0, 0.7), (95.0, 0.9)], &[]);
        assert_eq!(long[0], (100.0, 0.7));
    }

    #[test]
    fn entry_ignores_min_strength_but_exit_does_not() {
        let mut t = ZoneTracker::new(ZoneTrackerConfig::reference());
        let (long, _) = t.update(1, &[(65560.0, 0.0079)], &[]);
        assert_eq!(long, [(65560.0, 0.0079)]);
        // Refreshed at 0.0079 it exits (< 0.01), then re-enters as a new zone of age 0.
        t.update(2, &[(65560.0, 0.0079)], &[]);
        assert_eq!(t.top_zones(2, 5).0, [(65560.0, 0.0079, 0)]);
        let (long, _) = t.update(3, &[], &[]);
        assert!(long.is_empty());
    }

    #[test]
    fn peak_drop_exit_after_ttl() {
        let mut t = ZoneTracker::new(ZoneTrackerConfig::reference());
        t.update(0, &[(100.0, 1.0)], &[]);
        let gone_at = (1..60).find(|&minute| t.update(minute, &[], &[]).0.is_empty());
        // 0.95^24 = 0.292 (drop 0.708 > 0.70) is the first minute past the threshold.
        assert_eq!(gone_at, Some(24));
    }

    #[test]
    fn for_step_uses_the_symbols_step() {
        let cfg = ZoneTrackerConfig::for_step(0.1);
        assert_eq!(cfg.steps, 0.1);
        assert_eq!(
            ZoneTrackerConfig { steps: 20.0, ..cfg },
            ZoneTrackerConfig::reference()
        );
        let mut sol = ZoneTracker::new(cfg);
        sol.update(1, &[(82.0, 0.5)], &[]);
        let (long, _) = sol.update(2, &[(82.1, 0.6), (82.5, 0.4)], &[]);
        assert_eq!(long, [(82.0, 0.6), (82.5, 0.4)]);
        // The reference BTC radius would swallow every SOL level (B20).
        let mut btc = ZoneTracker::new(ZoneTrackerConfig::reference());
        btc.update(1, &[(82.0, 0.5)], &[]);
        let (long, _) = btc.update(2, &[(82.1, 0.6), (82.5, 0.4)], &[]);
        assert_eq!(long, [(82.0, 0.6)]);
    }
}
