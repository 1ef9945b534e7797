//! The interactive loop: read a form (across lines until it is complete), run it, print its
//! value; errors are reported and the session goes on.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use super::error::SchemeError;
use super::reader::Reader;
use super::value::Value;
use super::{write_string, Interpreter, Options};

/// Standard output that remembers whether the last byte written ended a line, so the REPL
/// can finish a line `display` left open before the next prompt overwrites it.
struct LineTracker {
    at_line_start: Rc<Cell<bool>>,
}

impl Write for LineTracker {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(&last) = buf.last() {
            self.at_line_start.set(last == b'\n');
        }
        std::io::stdout().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// Whether `src` holds at least one complete form and no unterminated one: an
/// "unterminated" error means the user has more to type.
fn needs_more(src: &str) -> bool {
    let mut reader = Reader::new(src);
    loop {
        match reader.next_datum() {
            Ok(Some(_)) => {}
            Ok(None) => return false,
            Err(e) => return e.message.starts_with("unterminated"),
        }
    }
}

/// Runs the REPL on the terminal until end of input. Returns the process exit status.
pub fn run(options: Options) -> u8 {
    let at_line_start = Rc::new(Cell::new(true));
    let out = LineTracker {
        at_line_start: Rc::clone(&at_line_start),
    };
    let mut interp = Interpreter::new(options, Box::new(out));
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("prologue run: cannot start the line editor: {e}");
            return 1;
        }
    };
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "> " } else { ". " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(_) => break,
        };
        pending.push_str(&line);
        pending.push('\n');
        if needs_more(&pending) {
            continue;
        }
        let _ = editor.add_history_entry(pending.trim_end());
        let src = std::mem::take(&mut pending);
        // --fuel and --timeout limit each input, not the whole session.
        interp.reset_budget();
        let result = interp.run_source(&src);
        let _ = interp.flush();
        if !at_line_start.get() {
            println!();
            at_line_start.set(true);
        }
        match result {
            Ok(Value::Unspecified) => {}
            Ok(v) => println!("{}", write_string(&v)),
            Err(e) => report(&e),
        }
    }
    0
}

fn report(e: &SchemeError) {
    eprintln!("{}", e.render("<repl>"));
    eprint!("{}", e.render_backtrace("<repl>"));
}

#[cfg(test)]
mod tests {
    use super::needs_more;

    #[test]
    fn an_unterminated_form_asks_for_more_input() {
        assert!(needs_more("(define (f x)\n"));
        assert!(needs_more("(display \"abc\n"));
        assert!(needs_more("#| a comment"));
        assert!(!needs_more("(f 1)"));
        assert!(!needs_more("1 2 (+ 1 2)"));
        // A syntax error is not an incomplete form: it is reported at once.
        assert!(!needs_more(")"));
        assert!(!needs_more("(1 . )"));
    }
}
