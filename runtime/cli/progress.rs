//! Progress display for long runs: on a terminal only, on stderr, never with `--json`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether stderr is a terminal a person is watching.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A spinner with `message` and the elapsed time, ticking by itself until cleared.
pub fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar over `seconds` of a timed run; the caller sets its position and message.
pub fn timed_bar(seconds: u64) -> ProgressBar {
    let bar = ProgressBar::new(seconds);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} s  {msg}") {
        bar.set_style(style);
    }
    bar
}
