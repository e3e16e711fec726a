//! Progress on stderr for the long commands.

use std::path::Path;

/// A progress bar over the bytes of `file` on stderr (a spinner for gzip).
pub fn progress_bar(file: &Path, what: &str) -> Option<indicatif::ProgressBar> {
    let size = std::fs::metadata(file).ok()?.len();
    let gz = file.extension().is_some_and(|e| e == "gz");
    let bar = if gz {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::new(size)
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let template = if gz {
        format!("{{spinner}} {{elapsed}} {what}")
    } else {
        format!("{{bar:40}} {{percent}}% {{elapsed}}<{{eta}} {what}")
    };
    if let Ok(st) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(st);
    }
    Some(bar)
}
