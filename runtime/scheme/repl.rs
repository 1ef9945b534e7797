//! The interactive loop: read a form (across lines until it is complete), run it, print its
//! value; errors are reported and the session goes on.

use super::error::SchemeError;
use super::reader::Reader;
use super::value::Value;
use super::{write_string, Interpreter};

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
pub fn run(mut interp: Interpreter) -> u8 {
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
        let result = interp.run_source(&src);
        let _ = interp.flush();
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
}
