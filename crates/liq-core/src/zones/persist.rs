//! `liq_active_zones_{SYM}.json` (zones_orderbook.md A7): read the reference's files, write the
//! same shape (byte for byte under the reference preset; ours adds each zone's weight parts).
//! Pure: the store moves the bytes.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::event::Side;
use crate::pyfmt::PyJsonWriter;

use super::zone::{Zone, ZoneOrigin};
use super::{MAX_ZONE_AGE_MINUTES, MIN_ZONE_WEIGHT, ZONE_DECAY_PER_MINUTE, ZoneManager};

/// One zone of the file; every field optional on read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct FileZone {
    /// Price.
    pub price: Option<f64>,
    /// `long` or `short`.
    pub side: Option<String>,
    /// Weight.
    pub weight: Option<f64>,
    /// Creation time.
    pub created_at: Option<f64>,
    /// Last reinforcement.
    pub last_reinforced_at: Option<f64>,
    /// Reinforcements.
    pub reinforcement_count: Option<u64>,
    /// Origin name.
    pub source: Option<String>,
    /// Contributions by tier (string keys, file order).
    pub tier_contributions: Option<IndexMap<String, f64>>,
    /// Our addition: the observed part of the weight.
    pub weight_observed: Option<f64>,
    /// Our addition: the projected part.
    pub weight_projected: Option<f64>,
}

/// The file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ZonesFile {
    /// Symbol.
    pub symbol: Option<String>,
    /// Save time.
    pub saved_at: Option<f64>,
    /// Zones in map order.
    #[serde(default)]
    pub zones: Vec<FileZone>,
}

impl ZonesFile {
    /// Parses a file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// What a load did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// The file belongs to another symbol: nothing loaded.
    pub wrong_symbol: Option<String>,
    /// Zones loaded.
    pub loaded: u64,
    /// Zones older than 240 minutes (A6.1), skipped.
    pub too_old: u64,
    /// Zones without a price, side or weight, skipped.
    pub invalid: u64,
    /// Entries that fell on the key of an earlier one (replaced, or summed with the fix).
    pub duplicates: u64,
    /// Minutes of decay applied for the downtime (DECISIONS zones 5).
    pub catch_up_minutes: u64,
    /// Zones gone under the minimum weight after that decay.
    pub faded: u64,
}

impl ZoneManager {
    /// A6.1 load into an empty manager at `now`. The reference rules, with our fixes unless
    /// the preset says otherwise: prices re-bucketed and duplicates summed (Z4), the decay of
    /// the minutes since `saved_at` applied and faded zones dropped (Z2).
    pub fn load(&mut self, file: &ZonesFile, now: f64) -> LoadReport {
        let mut rep = LoadReport::default();
        if file.symbol.as_deref() != Some(self.symbol.as_str()) {
            rep.wrong_symbol = Some(file.symbol.clone().unwrap_or_default());
            return rep;
        }
        for fz in &file.zones {
            let age = (now - fz.last_reinforced_at.unwrap_or(0.0)) / 60.0;
            if age > MAX_ZONE_AGE_MINUTES {
                rep.too_old += 1;
                continue;
            }
            let side = match fz.side.as_deref() {
                Some("long") => Side::Long,
                Some("short") => Side::Short,
                _ => {
                    rep.invalid += 1;
                    continue;
                }
            };
            let (Some(price), Some(weight)) = (fz.price, fz.weight) else {
                rep.invalid += 1;
                continue;
            };
            if !(price.is_finite() && weight.is_finite()) {
                rep.invalid += 1;
                continue;
            }
            let source = fz
                .source
                .as_deref()
                .map_or(ZoneOrigin::Unknown, ZoneOrigin::parse);
            let (observed, projected) = match (fz.weight_observed, fz.weight_projected) {
                (Some(o), Some(p)) if o >= 0.0 && p >= 0.0 && o + p > 0.0 => {
                    let f = weight / (o + p);
                    (o * f, p * f)
                }
                _ => match source {
                    ZoneOrigin::Tape => (weight, 0.0),
                    ZoneOrigin::Combined => (weight / 2.0, weight / 2.0),
                    _ => (0.0, weight),
                },
            };
            let k = self.step.key(price);
            let tiers: IndexMap<u32, f64> = fz
                .tier_contributions
                .iter()
                .flatten()
                .filter_map(|(t, c)| t.parse::<u32>().ok().map(|t| (t, *c)))
                .collect();
            let zone = Zone {
                price: if self.compat.raw_load_price {
                    price
                } else {
                    self.step.price(k)
                },
                side,
                weight,
                observed,
                projected,
                created_at: fz.created_at.unwrap_or(now),
                last_reinforced_at: fz.last_reinforced_at.unwrap_or(now),
                reinforcement_count: fz.reinforcement_count.unwrap_or(0),
                source,
                tier_contributions: tiers,
            };
            match self.zones.get_mut(&(side, k)) {
                Some(prev) if !self.compat.raw_load_price => {
                    rep.duplicates += 1;
                    prev.weight += zone.weight;
                    prev.observed += zone.observed;
                    prev.projected += zone.projected;
                    for (t, c) in &zone.tier_contributions {
                        prev.contribute(*t, *c);
                    }
                    if prev.source != zone.source {
                        prev.source = ZoneOrigin::Combined;
                    }
                    prev.last_reinforced_at = prev.last_reinforced_at.max(zone.last_reinforced_at);
                }
                Some(prev) => {
                    rep.duplicates += 1;
                    *prev = zone;
                }
                None => {
                    self.zones.insert((side, k), zone);
                }
            }
        }
        if !self.compat.no_load_catch_up
            && let Some(saved) = file.saved_at.filter(|s| s.is_finite() && now > *s)
        {
            let minutes = ((now - saved) / 60.0).floor();
            if minutes >= 1.0 {
                rep.catch_up_minutes = minutes as u64;
                let f = ZONE_DECAY_PER_MINUTE.powf(minutes);
                let before = self.zones.len();
                self.zones.retain(|_, z| {
                    z.scale(f);
                    z.weight >= MIN_ZONE_WEIGHT
                });
                rep.faded = (before - self.zones.len()) as u64;
            }
        }
        rep.loaded = self.zones.len() as u64;
        rep
    }

    /// A7: the file's text at `now`, as `json.dump(indent=2)` writes it. Ours adds
    /// `weight_observed` and `weight_projected` to each zone (not under `zones_z8`).
    pub fn to_json(&self, now: f64) -> String {
        let mut w = PyJsonWriter::new();
        w.begin_object();
        w.key("symbol");
        w.string(&self.symbol);
        w.key("saved_at");
        w.float(now);
        w.key("zone_count");
        w.int(i64::try_from(self.zones.len()).unwrap_or(i64::MAX));
        w.key("zones");
        w.begin_array();
        for z in self.zones.values() {
            w.begin_object();
            w.key("price");
            w.float(z.price);
            w.key("side");
            w.string(z.side.as_str());
            w.key("weight");
            w.float(z.weight);
            w.key("created_at");
            w.float(z.created_at);
            w.key("last_reinforced_at");
            w.float(z.last_reinforced_at);
            w.key("reinforcement_count");
            w.int(i64::try_from(z.reinforcement_count).unwrap_or(i64::MAX));
            w.key("source");
            w.string(z.source.as_str());
            w.key("tier_contributions");
            w.begin_object();
            for (t, c) in &z.tier_contributions {
                w.key(&t.to_string());
                w.float(*c);
            }
            w.end_object();
            if !self.compat.scale_all {
                w.key("weight_observed");
                w.float(z.observed);
                w.key("weight_projected");
                w.float(z.projected);
            }
            w.end_object();
        }
        w.end_array();
        w.end_object();
        w.finish()
    }
}
