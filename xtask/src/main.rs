//! Developer tasks: `cargo xtask <task>`.
//!
//! * `ci`: what `.ci/run` runs (fmt check, clippy with -D warnings on all targets, the tests).
//! * `fuzz [RUNS]`: every cargo-fuzz target for RUNS executions (default 1,000,000; nightly).
//! * `bench`: the criterion benchmarks.

use std::process::{Command, ExitCode};

const FUZZ_TARGETS: [&str; 5] = [
    "normalize_binance",
    "normalize_bybit",
    "normalize_okx",
    "state_files",
    "api_files",
];

fn run(cmd: &mut Command) -> bool {
    eprintln!("xtask: running {cmd:?}");
    matches!(cmd.status(), Ok(s) if s.success())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn ci() -> bool {
    run(cargo().args(["fmt", "--all", "--check"]))
        && run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
        && run(cargo().args(["test", "--workspace", "--locked"]))
}

fn fuzz(runs: &str) -> bool {
    FUZZ_TARGETS.iter().all(|t| {
        run(Command::new("cargo").args([
            "+nightly",
            "fuzz",
            "run",
            t,
            "--",
            &format!("-runs={runs}"),
        ]))
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ok = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("fuzz") => fuzz(args.get(1).map_or("1000000", String::as_str)),
        Some("bench") => run(cargo().args(["bench", "--workspace"])),
        _ => {
            eprintln!("usage: cargo xtask <ci | fuzz [RUNS] | bench>");
            return ExitCode::from(2);
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
