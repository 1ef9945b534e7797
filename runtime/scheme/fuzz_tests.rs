//! Property tests: random bytes and random well-formed-but-wrong programs, fed to the reader,
//! compiler and machine, end in a value or an error, never a panic. Fixed seed; the number of
//! cases is `PROLOGUE_FUZZ_CASES` (default 256 per property) for a long run.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::tests::Capture;
use super::{gc, primitives, Interpreter, Options};

fn cases() -> u32 {
    std::env::var("PROLOGUE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn runner() -> TestRunner {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]))
}

/// An output sink that refuses to grow past 64 KiB (an infinite `display` loop then ends in
/// an output error instead of eating memory).
struct Capped(Capture);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 .0.borrow().len() > 64 * 1024 {
            return Err(std::io::Error::other("output limit"));
        }
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `src` with every limit on; returns whether it failed with an error.
fn run_limited(src: &str) -> bool {
    // Torture mode stays off even under PROLOGUE_GC_TORTURE=1: these properties are about
    // panics, and the torture-mode suite in tests/scheme.rs hunts missing roots.
    let heap = gc::Config::default().max_heap_bytes(8 << 20).torture(false);
    let options = Options {
        heap,
        max_depth: 2_000,
        fuel: Some(20_000),
        timeout: Some(std::time::Duration::from_secs(5)),
    };
    let mut interp = Interpreter::new(options, Box::new(Capped(Capture::default())));
    let failed = interp.run_source(src).is_err();
    // A failed program leaves the interpreter and its heap usable (with a fresh budget, and
    // through special forms only: the program may have redefined any procedure).
    interp.reset_budget();
    assert_eq!(
        interp
            .eval_to_string("(if #t '(1 \"two\" #(3)) #f)")
            .ok()
            .as_deref(),
        Some("(1 \"two\" #(3))")
    );
    interp.heap().collect();
    failed
}

/// Names worth calling: every primitive, the special forms, and a few variables.
fn vocabulary() -> Vec<&'static str> {
    let mut words = primitives::names();
    words.extend([
        "define",
        "lambda",
        "let",
        "let*",
        "letrec",
        "if",
        "cond",
        "case",
        "do",
        "and",
        "or",
        "when",
        "unless",
        "begin",
        "set!",
        "quote",
        "quasiquote",
        "unquote",
        "unquote-splicing",
        "define-record-type",
        "else",
        "=>",
        "x",
        "y",
        "f",
        "loop",
        "lst",
        "...",
    ]);
    words
}

fn atom() -> impl Strategy<Value = String> {
    let words = vocabulary();
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-3i64..20).prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "[a-z]{0,6}".prop_map(|s| format!("{s:?}")),
        proptest::sample::select(words).prop_map(str::to_string),
        proptest::sample::select(vec!["#t", "#f", "#\\a", "#\\space", "'()", "'x", "#(1 2)"])
            .prop_map(str::to_string),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    atom().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("({})", items.join(" "))),
            inner.clone().prop_map(|e| format!("'{e}")),
            inner.clone().prop_map(|e| format!("`(a ,{e} ,@{e})")),
            proptest::collection::vec(inner, 1..4)
                .prop_map(|items| format!("#({})", items.join(" "))),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    let template = (expr(), expr(), expr())
        .prop_map(|(a, b, c)| format!("(define (f x . rest) {a})\n(define y {b})\n(f {c} y)"));
    prop_oneof![
        proptest::collection::vec(expr(), 1..5).prop_map(|forms| forms.join("\n")),
        template,
    ]
}

const SEEDS: &[&str] = &[
    "(define (f n) (if (= n 0) 1 (* n (f (- n 1))))) (display (f 10))",
    "(let loop ((i 0) (acc '())) (if (< i 10) (loop (+ i 1) (cons i acc)) (reverse acc)))",
    "(define-record-type p (mk a b) p? (a pa set-pa!) (b pb)) (pa (mk 1 2))",
    "`(1 ,@(map (lambda (x) (* x x)) '(1 2 3)) #(a ,(vector 1 2)))",
    "(do ((i 0 (+ i 1))) ((= i 3)) (display (string-append \"x\" (number->string i))))",
    "(cond ((assq 'b '((a 1) (b 2))) => cadr) (else (error \"no\" 'b)))",
];

#[test]
fn random_bytes_never_panic() {
    runner()
        .run(&proptest::collection::vec(any::<u8>(), 0..300), |bytes| {
            run_limited(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_programs_never_panic() {
    let strategy = (
        proptest::sample::select(SEEDS),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    );
    runner()
        .run(&strategy, |(seed, edits)| {
            let mut bytes = seed.as_bytes().to_vec();
            for (at, byte, kind) in edits {
                let i = at.index(bytes.len() + 1);
                match kind {
                    0 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    1 if i < bytes.len() => bytes[i] = byte,
                    _ => bytes.insert(i, b"()'`,@#.\"\\ 0a"[byte as usize % 13]),
                }
            }
            run_limited(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_wrong_programs_never_panic_and_mostly_fail() {
    let failed = std::cell::Cell::new(0u32);
    let total = std::cell::Cell::new(0u32);
    runner()
        .run(&program(), |src| {
            total.set(total.get() + 1);
            if run_limited(&src) {
                failed.set(failed.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    let (failed, total) = (failed.get(), total.get());
    // The generator aims at wrong programs: most must be rejected with an error (and the
    // property above holds for all of them).
    assert!(failed * 2 > total, "{failed} of {total} failed");
}
