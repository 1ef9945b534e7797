//! Source positions and the one error type every stage (reader, compiler, machine) returns.

use std::fmt;

/// A 1-based line and column in a source text (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub col: u32,
}

impl Pos {
    /// The position `line:col`.
    pub const fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A syntax or runtime error of a script: a message and, once known, where it happened.
///
/// Primitives raise errors without a position; the machine fills in the position of the
/// call being evaluated. The command line prints it as `FILE:LINE:COL: error: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeError {
    /// Where the error happened, if known.
    pub pos: Option<Pos>,
    /// What went wrong, on one line.
    pub message: String,
    /// The innermost procedures running when it happened, innermost first: each one's name
    /// (`top level` outside any procedure) and where it was (the error, then each call).
    pub backtrace: Vec<(String, Pos)>,
    /// How many more pending calls the backtrace leaves out.
    pub more_frames: usize,
    /// Whether it is a limit of the run (fuel, time, depth, heap): those end the program,
    /// no exception handler can catch them.
    pub limit: bool,
}

impl SchemeError {
    /// An error with a message and no position yet.
    pub fn new(message: impl Into<String>) -> SchemeError {
        let mut message = message.into();
        // One line, always: a message built from user data must not break the format.
        if message.contains('\n') {
            message = message.replace('\n', "\\n");
        }
        SchemeError {
            pos: None,
            message,
            backtrace: Vec::new(),
            more_frames: 0,
            limit: false,
        }
    }

    /// An error of a run's limits, which handlers cannot catch.
    pub fn limit(message: impl Into<String>) -> SchemeError {
        SchemeError {
            limit: true,
            ..SchemeError::new(message)
        }
    }

    /// An error at `pos`.
    pub fn at(pos: Pos, message: impl Into<String>) -> SchemeError {
        SchemeError::new(message).with_pos(pos)
    }

    /// Sets the position unless one is already known (the innermost position wins).
    pub fn with_pos(mut self, pos: Pos) -> SchemeError {
        if self.pos.is_none() {
            self.pos = Some(pos);
        }
        self
    }

    /// The `FILE:LINE:COL: error: message` line (without a newline).
    pub fn render(&self, file: &str) -> String {
        let pos = self.pos.unwrap_or(Pos::new(1, 1));
        format!("{file}:{pos}: error: {}", self.message)
    }

    /// The backtrace lines to print after [`render`](Self::render) (none when the error
    /// happened outside any procedure call), each ending in a newline.
    pub fn render_backtrace(&self, file: &str) -> String {
        let mut out = String::new();
        let mut i = 0;
        while let Some((name, pos)) = self.backtrace.get(i) {
            // A run of identical calls (a recursion) is one line.
            let run = if i == 0 {
                1
            } else {
                self.backtrace[i..]
                    .iter()
                    .take_while(|(n, p)| n == name && p == pos)
                    .count()
            };
            let how = if i == 0 { "in" } else { "called from" };
            out.push_str(&format!("  {how} {name} at {file}:{pos}"));
            if run > 1 {
                out.push_str(&format!(" ({run} times)"));
            }
            out.push('\n');
            i += run;
        }
        if self.more_frames > 0 {
            out.push_str(&format!("  ... {} more calls\n", self.more_frames));
        }
        out
    }
}

impl fmt::Display for SchemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{pos}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SchemeError {}

/// The result type of every fallible interpreter operation.
pub type Result<T, E = SchemeError> = std::result::Result<T, E>;

/// Returns early with a [`SchemeError`] built from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::scheme::error::SchemeError::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_uses_file_line_col() {
        let e = SchemeError::at(Pos::new(3, 7), "unbound variable: x");
        assert_eq!(e.render("a.scm"), "a.scm:3:7: error: unbound variable: x");
    }

    #[test]
    fn innermost_position_wins_and_newlines_are_escaped() {
        let e = SchemeError::new("a\nb")
            .with_pos(Pos::new(1, 2))
            .with_pos(Pos::new(5, 5));
        assert_eq!(e.pos, Some(Pos::new(1, 2)));
        assert_eq!(e.message, "a\\nb");
    }
}
