//! The terminal dashboard: the engine publishes a [`DashModel`] into an `ArcSwap` several times
//! per second; [`run`] draws the newest one 4 times per second until the user quits or the
//! service stops.
//!
//! Wiring (main):
//! - logs: while the dashboard owns the screen, tracing must not write to stderr; install the
//!   subscriber with `.with_writer(dash::log_file_writer(&data_dir)?).with_ansi(false)` (the
//!   file is `DATA_DIR/viewer.log`), and with stderr only under `--headless`;
//! - `let model = Arc::new(ArcSwap::from_pointee(DashModel::default()));` the engine calls
//!   `model.store(Arc::new(next))`;
//! - run [`run`] on a plain thread (`std::thread::spawn` or `spawn_blocking`): it blocks and
//!   reads the keyboard; when it returns `stop` is true, so the service shuts down.
//!
//! `ArcSwap` rather than a `watch` channel: the dashboard redraws on a fixed 250 ms clock
//! whatever the engine does, so it needs "the newest model" and no change notification; a
//! lock-free load from a plain thread needs no runtime, and the engine's store never waits on
//! the renderer.

mod fmt;
pub mod forecast;
pub mod model;
mod panels;
pub mod render;
mod strip;
mod table;
#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use arc_swap::ArcSwap;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};

pub use model::DashModel;

/// Time between two frames (4 frames per second).
const FRAME: Duration = Duration::from_millis(250);

/// The log file's name inside the data directory.
pub const LOG_FILE: &str = "viewer.log";

/// Whether the terminal is in raw mode on the alternate screen (for the panic hook).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Installs the panic hook once per process.
static HOOK: Once = Once::new();

/// Runs the dashboard until q, Esc or Ctrl-C (which set `stop`) or until `stop` becomes true.
///
/// Blocks the calling thread. The terminal is restored on every exit path, including errors
/// and panics. Fails at once when stdout is not a terminal.
pub fn run(model: Arc<ArcSwap<DashModel>>, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    require_terminal(io::stdout().is_terminal())?;
    let guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    // No `Terminal::clear` here: it asks the terminal for the cursor position, which some
    // terminals never answer; the guard has cleared the alternate screen already.
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let result = event_loop(&mut term, &model, &stop, &ACTIVE);
    drop(term);
    drop(guard);
    result
}

/// The error for a stdout that is not a terminal.
fn require_terminal(is_tty: bool) -> anyhow::Result<()> {
    if !is_tty {
        bail!("the dashboard needs a terminal on stdout: run the viewer with --headless");
    }
    Ok(())
}

/// Draws every [`FRAME`] and reads keys in between.
///
/// `screen` says whether the terminal is still ours: a panic on another thread restores it
/// from the panic hook, and drawing on would then bury the panic message.
fn event_loop<B: Backend>(
    term: &mut Terminal<B>,
    model: &ArcSwap<DashModel>,
    stop: &AtomicBool,
    screen: &AtomicBool,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if !screen.load(Ordering::SeqCst) {
            bail!("the terminal was restored after a panic; the dashboard stops");
        }
        let snapshot = model.load_full();
        term.draw(|f| render::draw(f, &snapshot))?;
        let due = Instant::now() + FRAME;
        loop {
            let wait = due.saturating_duration_since(Instant::now());
            if wait.is_zero() || !event::poll(wait)? {
                break;
            }
            match event::read()? {
                Event::Key(key) if is_quit(&key) => {
                    stop.store(true, Ordering::SeqCst);
                    return Ok(());
                }
                // Redraw at once to the new size.
                Event::Resize(..) => break,
                _ => {}
            }
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
        }
    }
}

/// q, Esc or Ctrl-C (raw mode turns Ctrl-C into a key, not a signal).
fn is_quit(key: &KeyEvent) -> bool {
    if key.kind == KeyEventKind::Release {
        return false;
    }
    match key.code {
        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => true,
        KeyCode::Char('c') | KeyCode::Char('C') => key.modifiers.contains(KeyModifiers::CONTROL),
        _ => false,
    }
}

/// Raw mode and the alternate screen for as long as it lives; restores both in `Drop`.
struct TerminalGuard;

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, hides the cursor, installs the panic hook.
    fn enter() -> io::Result<Self> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Restore first, so the panic message lands on the normal screen.
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        // From here on the guard exists, so a failure below still restores.
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen and raw mode, once; errors are ignored (nothing better to do).
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

/// Opens `dir/viewer.log` for appending (creating `dir`), as a tracing writer.
///
/// `tracing_subscriber::fmt().with_writer(log_file_writer(dir)?).with_ansi(false).init()`:
/// `Mutex<File>` is a `MakeWriter`, so the log lines stay whole across threads.
pub fn log_file_writer(dir: &Path) -> io::Result<Mutex<File>> {
    std::fs::create_dir_all(dir)?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(LOG_FILE))?;
    Ok(Mutex::new(file))
}
