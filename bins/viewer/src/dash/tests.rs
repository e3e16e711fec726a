//! Rendering tests: fixture models drawn on ratatui's `TestBackend`, snapshots of the text.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use arc_swap::ArcSwap;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::Color;

use super::model::*;
use super::{is_quit, log_file_writer, render, require_terminal};

/// 2025-11-27 17:20:12 UTC.
const NOW: f64 = 1_764_264_012.0;

/// A strip around `price`: long intensity rising towards a band below, short above.
fn strip(price: f64, cells: usize) -> HeatStrip {
    let lo = price * 0.95;
    let hi = price * 1.05;
    let mut long = vec![0.0f32; cells];
    let mut short = vec![0.0f32; cells];
    for i in 0..cells {
        let p = lo + (hi - lo) * (i as f64 + 0.5) / cells as f64;
        let d = (p - price) / price * 100.0;
        if d < 0.0 {
            long[i] = (1.0 - ((d + 2.0).abs() / 2.5)).clamp(0.0, 1.0) as f32;
        } else {
            short[i] = (1.0 - ((d - 1.5).abs() / 2.0)).clamp(0.0, 1.0) as f32;
        }
    }
    HeatStrip {
        price_min: lo,
        price_max: hi,
        long,
        short,
    }
}

/// One symbol's overview row.
fn symbol(name: &str, price: f64, change: f64, oi: f64, partial: bool) -> SymbolRow {
    SymbolRow {
        symbol: name.to_owned(),
        price: Some(price),
        change_1h_pct: Some(change),
        liq_events: 1_234,
        liq_long_usd_1h: 1_234_567.0,
        liq_short_usd_1h: 350_000.0,
        calibrator: CalibratorRow {
            enabled: name != "SOL",
            events: 987,
            calibrations: 12,
            top_tier: Some((25, 0.27)),
        },
        zones_long: 7,
        zones_short: 5,
        oi: Some(oi),
        oi_partial: partial,
        strip: strip(price, 200),
    }
}

/// One exchange's row.
fn exchange(name: &'static str, state: ConnState, age: Option<f64>) -> ExchangeRow {
    ExchangeRow {
        exchange: name,
        state,
        liquidations: 4_321,
        liq_usd_1h: 2_500_000.0,
        messages: 12_345_678,
        reconnects: 2,
        errors: if state == ConnState::Down { 17 } else { 0 },
        last_msg_age_s: age,
    }
}

/// One zone.
fn zone(sym: &str, side: &'static str, price: f64, weight: f64, dist: f64) -> ZoneRow {
    ZoneRow {
        symbol: sym.to_owned(),
        side,
        price,
        weight,
        distance_pct: dist,
    }
}

/// 3 symbols, 3 exchanges (LIVE, STALE, DOWN), 8 zones, ratios and strips.
fn rich() -> DashModel {
    DashModel {
        mode: "DEMO x10".to_owned(),
        now: NOW,
        minutes: 1_440,
        api: Some("127.0.0.1:8899".to_owned()),
        symbols: vec![
            symbol("BTC", 97_123.44, 1.234, 251_234.6, false),
            symbol("ETH", 3_456.781, -0.449, 2_123_456.0, true),
            symbol("SOL", 145.234, 0.0, 31_234_567.0, false),
        ],
        exchanges: vec![
            exchange("binance", ConnState::Live, Some(0.4)),
            exchange("bybit", ConnState::Stale, Some(42.0)),
            exchange("okx", ConnState::Down, Some(185.0)),
        ],
        top_zones: vec![
            zone("BTC", "long", 95_200.0, 4.87, -1.98),
            zone("BTC", "short", 98_650.0, 4.12, 1.57),
            zone("ETH", "long", 3_380.5, 3.9, -2.21),
            zone("BTC", "long", 94_000.0, 3.55, -3.22),
            zone("SOL", "short", 149.12, 2.75, 2.68),
            zone("ETH", "short", 3_510.0, 2.5, 1.54),
            zone("SOL", "long", 141.05, 1.75, -2.88),
            zone("BTC", "short", 99_900.0, 1.2, 2.86),
        ],
        ratios: RatioPanel {
            top_account: Some(1.8523),
            top_position: Some(0.9412),
            global_account: Some(2.1034),
            ts: Some(NOW - 185.0),
        },
        notices: Vec::new(),
        duplicates: 3,
        late_events: 1,
        forecasts: Vec::new(),
    }
}

/// Startup: no prices, no exchange counters, nothing else.
fn empty() -> DashModel {
    DashModel::default()
}

/// The rich model with notices (more than fit: the newest three show).
fn with_notices() -> DashModel {
    let mut m = rich();
    m.mode = "LIVE".to_owned();
    m.notices = vec![
        "old notice that scrolled away".to_owned(),
        "binance: 3 reconnects in 5 minutes".to_owned(),
        "bybit: tickers stale, OI from REST".to_owned(),
        "exchanges unreachable — try --demo".to_owned(),
    ];
    m
}

/// A forecast around `price`: a bell-shaped prior (width 15 cells) and pools at cells `long`
/// and `short` (only `+ - * /`: the same bits everywhere).
fn forecast(price: f64, long: f64, short: f64) -> liq_core::forecast::Forecast {
    use liq_core::forecast::{CELLS, HorizonForecast, OUTSIDE, SideForecast};
    let side = |pool: f64| {
        let bell = |x: f64, c: f64, w: f64| 1.0 / (1.0 + ((x - c) / w) * ((x - c) / w));
        let mut prior: Vec<f64> = (0..CELLS).map(|j| bell(j as f64, 99.5, 15.0)).collect();
        prior[OUTSIDE] = 2.0;
        let mut prob: Vec<f64> = (0..CELLS)
            .map(|j| prior[j] * (1.0 + 6.0 * bell(j as f64, pool, 2.0)))
            .collect();
        prob[OUTSIDE] = 2.0;
        let norm = |v: Vec<f64>| {
            let t: f64 = v.iter().sum();
            v.into_iter().map(|x| x / t).collect()
        };
        SideForecast {
            prob: norm(prob),
            prior: norm(prior),
        }
    };
    liq_core::forecast::Forecast {
        minute_key: 29_404_400,
        price,
        close: price,
        bin_width: 0.001 * price,
        horizons: vec![HorizonForecast {
            horizon: 60,
            long: side(long),
            short: side(short),
        }],
    }
}

/// Draws `model` on a `w`x`h` test terminal.
fn draw(model: &DashModel, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render::draw(f, model)).unwrap();
    term.backend().buffer().clone()
}

/// The buffer's text, one line per row, trailing blanks cut.
fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The foreground colour of the first cell of the first occurrence of `needle`.
fn fg_of(buf: &Buffer, needle: &str) -> Option<Color> {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let row: Vec<String> = (area.left()..area.right())
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        let line: String = row.concat();
        if let Some(byte) = line.find(needle) {
            // Cells here are one char each; turn the byte offset into a cell index.
            let x = line[..byte].chars().count() as u16;
            return Some(buf[(area.left() + x, y)].fg);
        }
    }
    None
}

#[test]
fn rich_model_120x40() {
    let buf = draw(&rich(), 120, 40);
    let t = text(&buf);
    for key in [
        "DEMO x10",
        "2025-11-27 17:20:12 UTC",
        "minutes 1,440",
        "API 127.0.0.1:8899",
        " MARKETS  (* OI partial) ",
        "97,123.4",
        "+1.23%",
        "1.2M",
        "350k",
        "25x 27%",
        "7/5",
        "251,235",
        "2,123,456*",
        " EXCHANGES ",
        "12,345,678",
        "3m05s",
        " HEATMAP ",
        "▼ 97,123.4",
        " TOP ZONES ",
        "95,200.0",
        "-1.98%",
        " BTC TRADER RATIOS (5m) ",
        "1.8523 (64.9% L)",
        "as of 3m05s ago",
        "msgs 37,037,034",
        "reconn 6 · errors 17 · dups 3 · late 1",
    ] {
        assert!(t.contains(key), "missing {key:?} in\n{t}");
    }
    // All 8 zones have room at this size.
    assert!(t.contains("99,900.0"), "{t}");
    assert_eq!(fg_of(&buf, "LIVE"), Some(Color::Green));
    assert_eq!(fg_of(&buf, "STALE"), Some(Color::Yellow));
    assert_eq!(fg_of(&buf, "DOWN"), Some(Color::Red));
    // The strips carry intensity: both ramps appear.
    assert!(t.contains('█') && t.contains('░'), "{t}");
    insta::assert_snapshot!("rich_120x40", t);
}

#[test]
fn forecast_strip_120x40() {
    let mut m = rich();
    m.forecasts = [
        ("BTC", 97_123.44, 80.0, 125.0),
        ("ETH", 3_456.781, 90.0, 112.0),
    ]
    .iter()
    .filter_map(|(s, p, l, h)| super::forecast::row(s, &forecast(*p, *l, *h), 60))
    .collect();
    let t = text(&draw(&m, 120, 40));
    // BTC: the long pool at cell 80 = 97,123.44 - 20 x 97.12344, the short one at 125.
    assert!(t.contains(" FORECAST 60m "), "{t}");
    assert!(t.contains("long  95,181 "), "{t}");
    assert!(t.contains("short 99,552 "), "{t}");
    assert!(t.contains("(prior "), "{t}");
    insta::assert_snapshot!("forecast_120x40", t);
    // Without room (80x24) the strip gives way to the zones; nothing panics when narrow.
    assert!(!text(&draw(&m, 80, 24)).contains("FORECAST"));
    let _ = draw(&m, 30, 40);
}

#[test]
fn rich_model_80x24_keeps_every_panel() {
    let buf = draw(&rich(), 80, 24);
    let t = text(&buf);
    for key in [
        "DEMO x10",
        "17:20:12 UTC",
        "API 127.0.0.1:8899",
        " MARKETS",
        "97,123.4",
        " EXCHANGES ",
        "STALE",
        " HEATMAP ",
        " TOP ZONES ",
        "95,200.0",
        " BTC TRADER RATIOS (5m) ",
        "1.8523",
    ] {
        assert!(t.contains(key), "missing {key:?} in\n{t}");
    }
    // Compact strips: the symbol labels its short row, no axis row.
    assert!(t.contains("BTC   S "), "{t}");
    insta::assert_snapshot!("rich_80x24", t);
}

#[test]
fn empty_model_at_startup() {
    let t = text(&draw(&empty(), 120, 40));
    for key in [
        "STARTING",
        "waiting for data",
        "minutes 0",
        "API off",
        "waiting for the first prices…",
        "no exchange connection yet",
        "waiting for the first strips…",
        "no zones yet / waiting…",
        "no ratios yet",
    ] {
        assert!(t.contains(key), "missing {key:?} in\n{t}");
    }
    insta::assert_snapshot!("empty_120x40", t);
}

#[test]
fn symbols_without_prices_yet() {
    let mut m = rich();
    for s in &mut m.symbols {
        s.price = None;
        s.change_1h_pct = None;
        s.oi = None;
        s.strip = HeatStrip::default();
    }
    m.ratios = RatioPanel::default();
    let t = text(&draw(&m, 120, 40));
    assert!(t.contains("no strip yet"), "{t}");
    assert!(!t.contains("▼"), "{t}");
    assert!(t.contains("—"), "{t}");
}

#[test]
fn tiny_terminal_does_not_panic() {
    let t = text(&draw(&rich(), 40, 10));
    assert!(t.contains(" LIQ "), "{t}");
    assert!(t.contains("MARKETS"), "{t}");
    insta::assert_snapshot!("rich_40x10", t);
    for (w, h) in [
        (1, 1),
        (3, 2),
        (10, 3),
        (20, 5),
        (200, 3),
        (5, 60),
        (300, 100),
    ] {
        draw(&rich(), w, h);
        draw(&with_notices(), w, h);
        draw(&empty(), w, h);
    }
}

#[test]
fn hostile_values_do_not_panic() {
    let mut m = rich();
    m.now = f64::NAN;
    m.minutes = u64::MAX;
    m.symbols[0].price = Some(f64::INFINITY);
    m.symbols[0].change_1h_pct = Some(f64::NAN);
    m.symbols[0].liq_long_usd_1h = f64::MAX;
    m.symbols[0].oi = Some(-1e300);
    m.symbols[0].calibrator.top_tier = Some((u32::MAX, f64::NAN));
    m.symbols[1].strip = HeatStrip {
        price_min: f64::NAN,
        price_max: 1.0,
        long: vec![f32::NAN; 3],
        short: vec![f32::INFINITY; 1000],
    };
    m.symbols[2].strip.price_max = m.symbols[2].strip.price_min;
    m.symbols[2].price = Some(-5.0);
    m.exchanges[0].last_msg_age_s = Some(f64::INFINITY);
    m.exchanges[0].messages = u64::MAX;
    m.top_zones[0].weight = f64::NAN;
    m.top_zones[1].distance_pct = f64::NEG_INFINITY;
    m.ratios.ts = Some(f64::NAN);
    m.symbols
        .push(symbol("AVERYLONGSYMBOLNAME", 1e-9, 1e9, 0.0, true));
    for _ in 0..50 {
        m.symbols.push(symbol("X", 1.0, 0.0, 1.0, false));
        m.top_zones.push(zone("X", "short", 1.0, 1.0, 0.0));
    }
    m.notices = vec!["n".repeat(500); 10];
    for (w, h) in [(120, 40), (80, 24), (40, 10), (300, 200)] {
        let t = text(&draw(&m, w, h));
        assert!(t.contains(" LIQ "), "{t}");
    }
}

#[test]
fn notices_show_newest_first_under_the_header() {
    let buf = draw(&with_notices(), 120, 40);
    let t = text(&buf);
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines[0].contains("LIVE"), "{t}");
    assert_eq!(lines[3], " ! exchanges unreachable — try --demo");
    assert!(lines[1].contains("binance: 3 reconnects"), "{t}");
    assert!(!t.contains("old notice"), "{t}");
    assert_eq!(fg_of(&buf, "! exchanges"), Some(Color::Yellow));
    // Every panel is still there.
    for key in [
        " MARKETS",
        " EXCHANGES ",
        " HEATMAP ",
        " TOP ZONES ",
        " BTC TRADER",
    ] {
        assert!(t.contains(key), "missing {key:?} in\n{t}");
    }
    insta::assert_snapshot!("notices_120x40", t);
    // On a small screen the notice still shows.
    let t = text(&draw(&with_notices(), 80, 24));
    assert!(t.contains("exchanges unreachable — try --demo"), "{t}");
}

#[test]
fn quit_keys() {
    let key = |code, mods| KeyEvent::new(code, mods);
    assert!(is_quit(&key(KeyCode::Char('q'), KeyModifiers::NONE)));
    assert!(is_quit(&key(KeyCode::Esc, KeyModifiers::NONE)));
    assert!(is_quit(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(!is_quit(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
    assert!(!is_quit(&key(KeyCode::Char('x'), KeyModifiers::NONE)));
    let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(!is_quit(&release));
}

#[test]
fn not_a_terminal_says_headless() {
    let err = require_terminal(false).unwrap_err().to_string();
    assert!(err.contains("--headless"), "{err}");
    assert!(require_terminal(true).is_ok());
}

#[test]
fn event_loop_returns_when_stop_is_set() {
    // `stop` already set: no key is read, the loop returns without drawing.
    let model = ArcSwap::from_pointee(rich());
    let stop = AtomicBool::new(true);
    let screen = AtomicBool::new(true);
    let mut term = Terminal::new(TestBackend::new(40, 5)).unwrap();
    super::event_loop(&mut term, &model, &stop, &screen).unwrap();
    assert!(!text(term.backend().buffer()).contains(" LIQ "));
}

#[test]
fn event_loop_stops_when_the_screen_was_restored() {
    // A panic elsewhere restored the terminal: stop with an error rather than draw on.
    let model = ArcSwap::from_pointee(rich());
    let stop = AtomicBool::new(false);
    let screen = AtomicBool::new(false);
    let mut term = Terminal::new(TestBackend::new(40, 5)).unwrap();
    let err = super::event_loop(&mut term, &model, &stop, &screen).unwrap_err();
    assert!(err.to_string().contains("panic"), "{err}");
}

#[test]
fn log_lines_go_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("data");
    let writer: Mutex<std::fs::File> = log_file_writer(&logs).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!("bybit reconnecting");
    });
    let text = std::fs::read_to_string(logs.join(super::LOG_FILE)).unwrap();
    assert!(
        text.contains("WARN") && text.contains("bybit reconnecting"),
        "{text}"
    );
}

#[test]
#[ignore = "needs a terminal: script -qec 'cargo test -p viewer pty_smoke -- --ignored' /dev/null"]
fn pty_smoke() {
    let model = std::sync::Arc::new(ArcSwap::from_pointee(rich()));
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let m2 = model.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(600));
        m2.store(std::sync::Arc::new(with_notices()));
        std::thread::sleep(std::time::Duration::from_millis(600));
        s2.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    super::run(model, stop).unwrap();
    assert!(!ratatui::crossterm::terminal::is_raw_mode_enabled().unwrap());
}

#[test]
#[ignore = "needs a terminal and a q on stdin: (sleep 1; printf q) | script -qec 'cargo test -p viewer pty_quit -- --ignored' /dev/null"]
fn pty_quit_key_sets_stop() {
    let model = std::sync::Arc::new(ArcSwap::from_pointee(rich()));
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let timed_out = std::sync::Arc::new(AtomicBool::new(false));
    let (s2, t2) = (stop.clone(), timed_out.clone());
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(10));
        t2.store(true, std::sync::atomic::Ordering::SeqCst);
        s2.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    super::run(model, stop.clone()).unwrap();
    assert!(stop.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!timed_out.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
#[ignore = "needs a terminal: script -qec 'cargo test -p viewer pty_panic -- --ignored' /dev/null"]
fn pty_panic_restores_the_terminal() {
    let caught = std::panic::catch_unwind(|| {
        let _guard = super::TerminalGuard::enter().unwrap();
        assert!(ratatui::crossterm::terminal::is_raw_mode_enabled().unwrap());
        panic!("boom inside the dashboard");
    });
    assert!(caught.is_err());
    assert!(!ratatui::crossterm::terminal::is_raw_mode_enabled().unwrap());
    assert!(!super::ACTIVE.load(std::sync::atomic::Ordering::SeqCst));
}
