//! `audit chart`: renders the shortest shared replay (34 minutes) and the reference's
//! `plot_feed.jsonl`, parses the SVG (roxmltree) and counts each series against the input file
//! read independently here; bad input gives errors (exit code 2), not panics.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use audit::chart::{self, ChartError, InputKind, Options, Summary};
use serde_json::Value;

const REPLAY_34: &str = "btc_2026-01-29T0812Z_34m.jsonl";
const FEED: &str = "logs/2026-02-28/plot_feed.jsonl";

fn fixture(test: &str, rel: &str) -> Option<PathBuf> {
    liq_store::shared_fixtures::dir(test).map(|d| d.join(rel))
}

fn replay_34(test: &str) -> Option<PathBuf> {
    fixture(test, &format!("replay/{REPLAY_34}"))
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap()
}

/// Renders `opts` into a temporary directory; returns the summary and the SVG text.
fn render(opts: Options) -> (Summary, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chart.svg");
    let opts = Options {
        out: out.clone(),
        ..opts
    };
    let summary = chart::run(&opts).unwrap();
    (summary, std::fs::read_to_string(&out).unwrap())
}

/// The elements named `tag` inside the layer `<g id="{id}">`.
fn layer<'a>(
    doc: &'a roxmltree::Document<'_>,
    id: &str,
    tag: &str,
) -> Vec<roxmltree::Node<'a, 'a>> {
    let g = doc
        .descendants()
        .find(|n| n.has_tag_name("g") && n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no layer {id}"));
    g.descendants().filter(|n| n.has_tag_name(tag)).collect()
}

fn num(n: &roxmltree::Node<'_, '_>, attr: &str) -> f64 {
    n.attribute(attr).unwrap().parse().unwrap()
}

/// The y coordinates of a polyline's points.
fn ys(n: &roxmltree::Node<'_, '_>) -> Vec<f64> {
    n.attribute("points")
        .unwrap()
        .split_whitespace()
        .map(|p| p.split_once(',').unwrap().1.parse().unwrap())
        .collect()
}

/// One BTC bar of the replay: (bar start minute, open, close); liquidations: (ts, notional).
struct ReplayFacts {
    bars: Vec<(i64, f64, f64)>,
    liqs: Vec<(f64, f64)>,
}

fn replay_facts(path: &Path) -> ReplayFacts {
    let mut bars = Vec::new();
    let mut liqs = Vec::new();
    let mut prev_close = None;
    for v in lines(path) {
        if v["symbol"] != "BTC" {
            continue;
        }
        match v["kind"].as_str() {
            Some("minute") if f(&v, "high") > 0.0 && f(&v, "low") > 0.0 => {
                let close = f(&v, "close");
                let open = v["open"].as_f64().or(prev_close).unwrap_or(close);
                prev_close = Some(close);
                bars.push((v["minute_key"].as_i64().unwrap() - 1, open, close));
            }
            Some("liquidation") => liqs.push((f(&v, "ts"), f(&v, "notional_usd"))),
            _ => {}
        }
    }
    ReplayFacts { bars, liqs }
}

/// Checks the candle layers against the bars: one body and one wick each, up/down colours.
fn check_candles(doc: &roxmltree::Document<'_>, bars: &[(i64, f64, f64)]) {
    let bodies = layer(doc, "candles", "rect");
    assert_eq!(bodies.len(), bars.len(), "one body per minute");
    assert_eq!(layer(doc, "candle-wicks", "polyline").len(), bars.len());
    let up = bars.iter().filter(|(_, o, c)| c >= o).count();
    let drawn_up = bodies
        .iter()
        .filter(|r| r.attribute("fill") == Some("#26A69A"))
        .count();
    assert_eq!(drawn_up, up, "up candles");
    // Bodies left to right, one slot per minute.
    let xs: Vec<f64> = bodies.iter().map(|r| num(r, "x")).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
}

#[test]
fn replay_chart_draws_candles_heatmap_zones_and_liquidations() {
    let Some(file) = replay_34("replay_chart_draws_candles_heatmap_zones_and_liquidations") else {
        return;
    };
    let facts = replay_facts(&file);
    assert_eq!(facts.bars.len(), 34, "the file's BTC minutes");
    let (summary, svg) = render(Options::new(&file, ""));
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    assert_eq!(summary.kind, InputKind::Replay);
    assert_eq!(summary.minutes, 34);
    check_candles(&doc, &facts.bars);

    let heat = layer(&doc, "heatmap", "rect");
    assert!(heat.len() > 100, "heat cells: {}", heat.len());
    assert_eq!(heat.len(), summary.heat_cells);
    // Both sides of the field are coloured (long: blue over red, short: red over blue), in
    // several levels.
    let fills: HashSet<&str> = heat.iter().filter_map(|r| r.attribute("fill")).collect();
    assert!(fills.len() > 4, "colour levels: {fills:?}");
    let rb = |c: &str| {
        let h = |i: usize| u8::from_str_radix(&c[i..i + 2], 16).unwrap();
        (h(1), h(5))
    };
    assert!(fills.iter().any(|c| rb(c).0 < rb(c).1), "{fills:?}");
    assert!(fills.iter().any(|c| rb(c).0 > rb(c).1), "{fills:?}");

    let zones = layer(&doc, "zones", "polyline");
    assert!(!zones.is_empty());
    assert_eq!(zones.len(), summary.zones);

    // Every liquidation of the shown minutes is one dot, in file order, sized by notional.
    let (lo, hi) = (facts.bars[0].0, facts.bars[facts.bars.len() - 1].0);
    let shown: Vec<(f64, f64)> = facts
        .liqs
        .iter()
        .copied()
        .filter(|(ts, _)| *ts >= lo as f64 * 60.0 && *ts < (hi + 1) as f64 * 60.0)
        .collect();
    let dots = layer(&doc, "liquidations", "circle");
    assert!(shown.len() > 5);
    assert_eq!(dots.len(), shown.len(), "one dot per liquidation");
    let mut sized: Vec<(f64, f64)> = shown
        .iter()
        .zip(&dots)
        .map(|((_, usd), d)| (*usd, num(d, "r")))
        .collect();
    sized.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        sized.windows(2).all(|w| w[0].1 <= w[1].1),
        "radius grows with notional: {sized:?}"
    );
    assert!(sized[0].1 < sized[sized.len() - 1].1, "{sized:?}");
}

#[test]
fn replay_chart_of_the_last_minutes() {
    let Some(file) = replay_34("replay_chart_of_the_last_minutes") else {
        return;
    };
    let facts = replay_facts(&file);
    let (summary, svg) = render(Options {
        last: Some(10),
        ..Options::new(&file, "")
    });
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars = &facts.bars[facts.bars.len() - 10..];
    assert_eq!(summary.minutes, 10);
    check_candles(&doc, bars);
    let t0 = bars[0].0 as f64 * 60.0;
    let in_range = facts.liqs.iter().filter(|(ts, _)| *ts >= t0).count();
    assert!(
        in_range < facts.liqs.len(),
        "the range drops some liquidations"
    );
    assert_eq!(layer(&doc, "liquidations", "circle").len(), in_range);
    assert!(!layer(&doc, "heatmap", "rect").is_empty());
}

/// The BTC-or-`sym` records of the feed, the last of each minute.
fn feed_bars(path: &Path, sym: &str) -> Vec<Value> {
    let mut by_minute = std::collections::BTreeMap::new();
    for v in lines(path) {
        if v["symbol"] == sym {
            by_minute.insert(v["minute"].as_i64().unwrap(), v);
        }
    }
    by_minute.into_values().collect()
}

#[test]
fn plot_feed_chart_draws_candles_and_every_zone() {
    let Some(file) = fixture("plot_feed_chart_draws_candles_and_every_zone", FEED) else {
        return;
    };
    let recs = feed_bars(&file, "BTC");
    assert_eq!(recs.len(), 47);
    let bars: Vec<(i64, f64, f64)> = recs
        .iter()
        .map(|v| (v["minute"].as_i64().unwrap() - 1, f(v, "o"), f(v, "c")))
        .collect();
    let mut distinct = HashSet::new();
    for v in &recs {
        for side in ["long_zones", "short_zones"] {
            for z in v[side].as_array().unwrap().iter().take(5) {
                distinct.insert((side, z[0].as_f64().unwrap().to_bits()));
            }
        }
    }
    let (summary, svg) = render(Options::new(&file, ""));
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    assert_eq!(summary.kind, InputKind::PlotFeed);
    check_candles(&doc, &bars);
    assert!(
        layer(&doc, "heatmap", "rect").is_empty(),
        "no heatmap in a feed"
    );
    assert!(layer(&doc, "liquidations", "circle").is_empty());
    // Every zone price of the feed is drawn (the y range covers them), inside the canvas.
    let zones = layer(&doc, "zones", "polyline");
    assert!(
        zones.len() >= distinct.len() && distinct.len() > 10,
        "{} segments for {} zone prices",
        zones.len(),
        distinct.len()
    );
    let height = f64::from(chart::render::HEIGHT);
    for z in &zones {
        assert!(ys(z).iter().all(|y| *y > 0.0 && *y < height), "{z:?}");
    }
    // Deterministic output (spec 8.4 6).
    let (_, again) = render(Options::new(&file, ""));
    assert!(svg == again, "two renders differ");

    // ETH: its own candles (P1), no zones.
    let eth = feed_bars(&file, "ETH");
    let (_, svg) = render(Options {
        symbol: "ETH".to_owned(),
        ..Options::new(&file, "")
    });
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let eth_bars: Vec<(i64, f64, f64)> = eth
        .iter()
        .map(|v| (v["minute"].as_i64().unwrap() - 1, f(v, "o"), f(v, "c")))
        .collect();
    check_candles(&doc, &eth_bars);
    assert!(layer(&doc, "zones", "polyline").is_empty());
}

fn error_of(input: &Path, symbol: &str, from: Option<i64>) -> ChartError {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        symbol: symbol.to_owned(),
        from,
        ..Options::new(input, dir.path().join("x.svg"))
    };
    let e = chart::run(&opts).expect_err("an error");
    assert!(!dir.path().join("x.svg").exists(), "no SVG on error");
    e
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (dir.path().join("missing.jsonl"), "BTC", "No such file"),
        (write("empty.jsonl", ""), "BTC", "empty file"),
        (write("blank.jsonl", "\n  \n"), "BTC", "no line"),
        (write("garbage.jsonl", "not json\n"), "BTC", "not JSON"),
        (write("other.jsonl", "{\"a\": 1}\n"), "BTC", "neither"),
        (
            write(
                "sol.jsonl",
                "{\"symbol\":\"SOL\",\"minute\":5,\"o\":1,\"h\":1,\"l\":1,\"c\":1}\n",
            ),
            "BTC",
            "no BTC minute",
        ),
        (
            write(
                "feed_bad.jsonl",
                "{\"symbol\":\"BTC\",\"minute\":5,\"h\":1,\"l\":1}\n{\"symbol\":\"BTC\",\"minute\":\"x\"}\n",
            ),
            "BTC",
            "no BTC minute",
        ),
    ];
    for (path, sym, want) in cases {
        let e = error_of(&path, sym, None);
        assert!(e.to_string().contains(want), "{}: {e}", path.display());
        assert_eq!(e.exit_code(), audit::EXIT_USAGE, "{e}");
    }

    // Minutes no bar can have (the range arithmetic would overflow) are malformed lines.
    let hostile = write(
        "hostile.jsonl",
        "{\"symbol\":\"BTC\",\"minute\":29537374,\"o\":1,\"h\":2,\"l\":1,\"c\":2}\n\
         {\"symbol\":\"BTC\",\"minute\":9223372036854775807,\"o\":1,\"h\":2,\"l\":1,\"c\":2}\n\
         {\"symbol\":\"BTC\",\"minute\":-9223372036854775808,\"o\":1,\"h\":2,\"l\":1,\"c\":2}\n",
    );
    let (summary, _) = render(Options::new(&hostile, ""));
    assert_eq!((summary.minutes, summary.bad_lines), (1, 2));
}

#[test]
fn bad_replay_arguments_and_lines() {
    let Some(file) = replay_34("bad_replay_arguments_and_lines") else {
        return;
    };
    let e = error_of(&file, "DOGE", None);
    assert!(e.to_string().contains("unknown symbol"), "{e}");
    assert_eq!(e.exit_code(), audit::EXIT_USAGE);
    let e = error_of(&file, "BTC", Some(40_000_000));
    assert!(e.to_string().contains("no BTC minute in the range"), "{e}");
    assert_eq!(e.exit_code(), audit::EXIT_USAGE);

    // A malformed line in the middle is counted and skipped; a minute key no bar can have
    // draws nothing and does not overflow.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut out: Vec<&str> = text.lines().collect();
    out.insert(out.len() / 2, "{\"kind\":\"minute\",\"symbol\":");
    out.insert(
        out.len() / 3,
        "{\"ts\":1769674380.0,\"kind\":\"minute\",\"symbol\":\"BTC\",\"minute_key\":9223372036854775807,\
         \"open\":1,\"high\":2,\"low\":1,\"close\":1,\"src\":1}",
    );
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.jsonl");
    std::fs::write(&damaged, out.join("\n")).unwrap();
    let (summary, svg) = render(Options::new(&damaged, ""));
    assert_eq!(summary.bad_lines, 1);
    assert_eq!(summary.minutes, 34);
    roxmltree::Document::parse(&svg).unwrap();
}

#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_audit");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.svg");
    let missing = Command::new(bin)
        .args(["chart", "--replay"])
        .arg(dir.path().join("missing.jsonl"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("audit chart:") && err.contains("missing.jsonl"),
        "{err}"
    );
    assert!(!out.exists());

    let Some(feed) = fixture("cli_exit_codes", FEED) else {
        return;
    };
    let ok = Command::new(bin)
        .args(["chart", "--feed"])
        .arg(&feed)
        .args(["--window", "30", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(err.contains("30 minutes, 30 candles"), "{err}");
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(layer(&doc, "candles", "rect").len(), 30);
}
