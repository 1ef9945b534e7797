//! Unit tests of the evaluator: each runs a snippet on a fresh interpreter and checks its
//! value (as `write` shows it), its output or its error.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use super::error::Pos;
use super::{Interpreter, Options};

/// An output sink the test can read back.
#[derive(Clone, Default)]
pub struct Capture(pub Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn interp(options: Options) -> (Interpreter, Capture) {
    let out = Capture::default();
    (Interpreter::new(options, Box::new(out.clone())), out)
}

/// A heap configuration: the defaults, then `set` (field by field, never a struct literal:
/// `Config` is becoming a builder).
fn config(set: impl FnOnce(&mut super::gc::Config)) -> super::gc::Config {
    let mut c = super::gc::Config::default();
    set(&mut c);
    c
}

fn eval(src: &str) -> String {
    let (mut i, _) = interp(Options::default());
    match i.eval_to_string(src) {
        Ok(s) => s,
        Err(e) => panic!("{src}: {e}"),
    }
}

fn output(src: &str) -> String {
    let (mut i, out) = interp(Options::default());
    if let Err(e) = i.run_source(src) {
        panic!("{src}: {e}");
    }
    let bytes = out.0.borrow().clone();
    String::from_utf8(bytes).unwrap()
}

fn error(src: &str) -> (Option<Pos>, String) {
    let (mut i, _) = interp(Options::default());
    match i.run_source(src) {
        Ok(v) => panic!("{src}: expected an error, got {}", super::write_string(&v)),
        Err(e) => (e.pos, e.message),
    }
}

#[test]
fn arithmetic_and_numbers() {
    assert_eq!(eval("(+ 1 2 3)"), "6");
    assert_eq!(eval("(- 10)"), "-10");
    assert_eq!(eval("(* 1.5 2)"), "3.0");
    assert_eq!(eval("(/ 10 4)"), "2.5");
    assert_eq!(eval("(/ 10 5)"), "2");
    assert_eq!(eval("(quotient -7 2)"), "-3");
    assert_eq!(eval("(remainder -7 2)"), "-1");
    assert_eq!(eval("(modulo -7 2)"), "1");
    assert_eq!(
        eval("(list (< 1 2 3) (< 1 3 2) (= 1 1.0) (>= 3 3 1))"),
        "(#t #f #t #t)"
    );
    assert_eq!(
        eval("(list (sqrt 16) (sqrt 2.25) (expt 2 62) (exact->inexact 1))"),
        "(4 1.5 4611686018427387904 1.0)"
    );
    assert_eq!(
        eval("(list (max 1 2.0) (min 1 2) (abs -5) (round 2.5) (round 3.5))"),
        "(2.0 1 5 2.0 4.0)"
    );
    assert_eq!(
        eval("(list (number->string 255 16) (string->number \"1e3\") (string->number \"x\"))"),
        "(\"ff\" 1000.0 #f)"
    );
    assert_eq!(
        eval("(list (even? 4) (odd? 4) (zero? 0) (exact 3.0))"),
        "(#t #f #t 3)"
    );
    assert_eq!(eval("9223372036854775807"), "9223372036854775807");
}

#[test]
fn integer_overflow_is_an_error() {
    assert!(error("(+ 9223372036854775807 1)")
        .1
        .contains("integer overflow"));
    assert!(error("(* 4611686018427387904 2)")
        .1
        .contains("integer overflow"));
    assert!(error("(- -9223372036854775808)")
        .1
        .contains("integer overflow"));
    assert!(error("(quotient -9223372036854775808 -1)")
        .1
        .contains("integer overflow"));
    assert!(error("(expt 2 64)").1.contains("integer overflow"));
}

#[test]
fn special_forms() {
    assert_eq!(eval("(if #f 1)"), "#<unspecified>");
    assert_eq!(eval("(let ((x 1) (y 2)) (+ x y))"), "3");
    assert_eq!(eval("(let* ((x 1) (y (+ x 1))) (* x y))"), "2");
    assert_eq!(
        eval("(letrec ((f (lambda (n) (if (= n 0) 1 (* n (f (- n 1))))))) (f 5))"),
        "120"
    );
    assert_eq!(
        eval("(let loop ((i 0) (acc '())) (if (= i 3) acc (loop (+ i 1) (cons i acc))))"),
        "(2 1 0)"
    );
    assert_eq!(eval("(do ((i 0 (+ i 1)) (s 0 (+ s i))) ((= i 5) s))"), "10");
    assert_eq!(
        eval("(cond ((assv 2 '((1 . a) (2 . b))) => cdr) (else 'no))"),
        "b"
    );
    assert_eq!(eval("(cond (#f 1) ((+ 1 1)))"), "2");
    assert_eq!(
        eval("(case (* 2 3) ((2 3 5 7) 'prime) ((1 4 6 8 9) 'composite))"),
        "composite"
    );
    assert_eq!(eval("(case 'x ((a) 1) (else 2))"), "2");
    assert_eq!(
        eval("(list (and) (and 1 2) (and #f 2) (or) (or #f 3))"),
        "(#t 2 #f #f 3)"
    );
    assert_eq!(eval("(list (when #t 1 2) (unless #f 3))"), "(2 3)");
    assert_eq!(eval("(begin (define x 5) (set! x (+ x 1)) x)"), "6");
    assert_eq!(eval("((lambda args args) 1 2)"), "(1 2)");
    assert_eq!(
        eval("((lambda (a . rest) (list a rest)) 1 2 3)"),
        "(1 (2 3))"
    );
    assert_eq!(eval("(define (f #;(ignored) x) x) (f 7)"), "7");
    assert_eq!(eval("(import (scheme base)) 1"), "1");
}

#[test]
fn lets_inlined_into_the_enclosing_frame_keep_their_scoping() {
    // Closure-free lets inside procedures live in the procedure's frame.
    assert_eq!(
        eval("(define (f x) (let ((x (+ x 1)) (y x)) (list x y))) (f 1)"),
        "(2 1)"
    );
    assert_eq!(
        eval("(define (f x) (let* ((x (+ x 1)) (x (* x 10))) x)) (f 1)"),
        "20"
    );
    assert_eq!(
        eval("(define (f x) (let ((a (let ((t (* x 2))) t))) (list a x))) (f 4)"),
        "(8 4)"
    );
    assert_eq!(eval("(define (f x) (let ((y 1)) y) x) (f 5)"), "5");
    assert_eq!(eval("(define (f n) (let loop ((i 0) (acc '())) (if (= i n) acc (let ((sq (* i i))) (loop (+ i 1) (cons sq acc)))))) (f 4)"), "(9 4 1 0)");
    // An inlined let inside a let* whose later binding makes a closure.
    assert_eq!(
        eval(
            "(define (f) (let* ((a 1) (b (let ((t (+ a 1))) t)) (g (lambda () (+ a b)))) (g))) (f)"
        ),
        "3"
    );
    // A let whose body makes closures keeps a frame per run: each closure sees its own.
    assert_eq!(eval("(define (f) (map (lambda (i) (let ((j i)) (lambda () j))) '(1 2 3))) (map (lambda (p) (p)) (f))"), "(1 2 3)");
}

#[test]
fn internal_defines_and_scoping() {
    assert_eq!(
        eval("(define (f x) (define y (* x 2)) (define (g) (+ x y)) (g)) (f 5)"),
        "15"
    );
    assert_eq!(eval("(define x 1) (define (f) x) (let ((x 2)) (f))"), "1");
    assert_eq!(
        eval("(let ((x 1)) (let ((x 2) (y x)) (list x y)))"),
        "(2 1)"
    );
    assert_eq!(
        eval("(define (f) (begin (define a 1) (define b 2)) (+ a b)) (f)"),
        "3"
    );
    // Shadowing a special form's name with a local makes it an ordinary variable.
    assert_eq!(eval("(let ((if (lambda (a b c) c))) (if 1 2 3))"), "3");
}

#[test]
fn quasiquote() {
    assert_eq!(eval("`(1 ,(+ 1 1) ,@(list 3 4))"), "(1 2 3 4)");
    assert_eq!(eval("`(a . ,(+ 1 2))"), "(a . 3)");
    assert_eq!(eval("`#(1 ,(* 2 3))"), "#(1 6)");
    assert_eq!(
        eval("`(1 `(2 ,(3 ,(+ 1 3))))"),
        "(1 (quasiquote (2 (unquote (3 4)))))"
    );
    assert_eq!(eval("`(x ,@'() y)"), "(x y)");
}

#[test]
fn lists_vectors_strings() {
    assert_eq!(eval("(append '(1) '(2 3) '() '(4 . 5))"), "(1 2 3 4 . 5)");
    assert_eq!(eval("(list (length '(1 2 3)) (reverse '(1 2 3)) (list-tail '(1 2 3) 1) (list-ref '(a b c) 2))"), "(3 (3 2 1) (2 3) c)");
    assert_eq!(eval("(list (memq 'c '(a b c d)) (member \"b\" '(\"a\" \"b\")) (assoc 2.0 '((1 . a) (2.0 . b))))"), "((c d) (\"b\") (2.0 . b))");
    assert_eq!(
        eval("(map (lambda (x y) (* x y)) '(1 2 3) '(4 5))"),
        "(4 10)"
    );
    assert_eq!(eval("(let ((v (make-vector 3 'x))) (vector-set! v 0 1) (vector-fill! v 7) (vector->list v))"), "(7 7 7)");
    // Every slot of a made vector holds the fill itself (one object, not copies); no fill
    // is 0; a length of 0 is an empty vector.
    assert_eq!(
        eval("(let* ((f (list 1)) (v (make-vector 3 f))) (list (eq? (vector-ref v 0) f) (eq? (vector-ref v 2) f) (vector-ref v 1) (make-vector 2) (make-vector 0)))"),
        "(#t #t (1) #(0 0) #())"
    );
    assert_eq!(
        eval("(list->vector (list 1 \"a\" #\\b))"),
        "#(1 \"a\" #\\b)"
    );
    assert_eq!(
        eval("(list (string-length \"héllo\") (string-ref \"héllo\" 1) (substring \"hello\" 1 3))"),
        "(5 #\\é \"el\")"
    );
    assert_eq!(eval("(list (string->symbol \"abc\") (symbol->string 'xyz) (string=? \"a\" \"a\") (string<? \"a\" \"b\"))"), "(abc \"xyz\" #t #t)");
    assert_eq!(eval("(list (make-string 3 #\\z) (string-copy \"abc\") (char->integer #\\A) (integer->char 97))"), "(\"zzz\" \"abc\" 65 #\\a)");
    assert_eq!(eval("(list (eq? 'a 'a) (eqv? 1.5 1.5) (equal? '(1 #(2 \"x\")) '(1 #(2 \"x\"))) (eq? '() '()))"), "(#t #t #t #t)");
    assert_eq!(eval("(apply + 1 2 '(3 4))"), "10");
    assert_eq!(eval("(cadr '(1 2 3))"), "2");
    assert_eq!(
        eval("(let ((n 0)) (for-each (lambda (x) (set! n (+ n x))) '(1 2 3)) n)"),
        "6"
    );
}

#[test]
fn display_and_write() {
    assert_eq!(
        output(
            "(display \"a\\nb\") (write \"a\\nb\") (write #\\space) (display 'sym) (write '|a b|)"
        ),
        "a\nb\"a\\nb\"#\\spacesym|a b|"
    );
    assert_eq!(
        output("(write '(1 . (2 . (3 . ()))))(write '(1 . 2))(write 1.0)(write -0.5)(write 1e21)"),
        "(1 2 3)(1 . 2)1.0-0.51e21"
    );
    assert_eq!(
        output("(write (/ 1. 0))(write (- (/ 1. 0)))"),
        "+inf.0-inf.0"
    );
}

#[test]
fn errors_carry_the_position_of_the_failing_expression() {
    assert_eq!(
        error("(define x 1)\n  (car x)"),
        (Some(Pos::new(2, 3)), "car: expected a pair, got 1".into())
    );
    assert_eq!(
        error("(+ 1\n   nope)"),
        (Some(Pos::new(2, 4)), "unbound variable: nope".into())
    );
    assert_eq!(
        error("((lambda (x) x))").1,
        "wrong number of arguments to #<procedure>: expected 1, got 0"
    );
    assert_eq!(
        error("(define (f a . b) a) (f)").1,
        "wrong number of arguments to f: expected at least 1, got 0"
    );
    assert_eq!(
        error("(car 1 2)").1,
        "wrong number of arguments to car: expected 1, got 2"
    );
    assert_eq!(
        error("(error \"bad thing:\" 42 'x \"s\")").1,
        "bad thing: 42 x \"s\""
    );
    assert_eq!(
        error("(vector-ref (vector 1 2) 2)").1,
        "vector-ref: index 2 out of range for a vector of length 2"
    );
    assert_eq!(
        error("(letrec ((a b) (b 1)) a)").1,
        "variable used before its definition: b"
    );
    assert_eq!(
        error("(\"not a procedure\")").1,
        "not a procedure: \"not a procedure\""
    );
    assert!(error("(lambda)").1.contains("lambda"));
    assert!(error("(if)").1.contains("if"));
    assert!(error("(let ((x)) x)").1.contains("binding"));
    assert!(error("(define)").1.contains("define"));
    assert!(error("(quote)").1.contains("quote"));
    assert!(error(",x").1.contains("unquote outside quasiquote"));
    assert!(error("(+ 1 (if #t (define y 2)))")
        .1
        .contains("not allowed"));
    assert!(error("(length '(1 2 . 3))").1.contains("proper list"));
}

#[test]
fn the_depth_limit_stops_deep_recursion_and_tail_calls_do_not_count() {
    let opts = Options {
        max_depth: 1000,
        ..Options::default()
    };
    let (mut i, _) = interp(opts.clone());
    let e = i
        .run_source("(define (f n) (if (= n 0) 0 (+ 1 (f (- n 1))))) (f 100000)")
        .unwrap_err();
    assert!(e.message.contains("stack depth exceeded"), "{e}");
    // The interpreter stays usable after the error.
    assert_eq!(i.eval_to_string("(f 100)").unwrap(), "100");
    let (mut i, _) = interp(opts);
    assert_eq!(
        i.eval_to_string("(let loop ((i 0)) (if (< i 100000) (loop (+ i 1)) i))")
            .unwrap(),
        "100000"
    );
}

#[test]
fn fuel_and_heap_limits_are_errors_and_the_interpreter_stays_usable() {
    let (mut i, _) = interp(Options {
        fuel: Some(10_000),
        ..Options::default()
    });
    assert!(i
        .run_source("(let loop () (loop))")
        .unwrap_err()
        .message
        .contains("fuel"));
    let heap = super::gc::Config::default().max_heap_bytes(2 << 20);
    let (mut i, _) = interp(Options {
        heap,
        ..Options::default()
    });
    let e = i
        .run_source(
            "(define keep '()) (let loop () (set! keep (cons (make-vector 10) keep)) (loop))",
        )
        .unwrap_err();
    assert_eq!(e.message, "heap limit exceeded");
    assert_eq!(
        i.eval_to_string("(set! keep '()) (length (make-list 1000 'x))")
            .unwrap(),
        "1000"
    );
}

#[test]
fn collections_in_the_middle_of_evaluation_keep_everything_reachable() {
    // Stop-the-world torture: a whole cycle at every allocation (incremental torture, which
    // CI runs over the Scheme programs too, spreads a cycle over many allocations).
    let heap = super::gc::Config::default()
        .torture(true)
        .incremental(false);
    let (mut i, out) = interp(Options {
        heap,
        ..Options::default()
    });
    i.run_source(
        "(define (build n) (if (= n 0) '() (cons (vector n (number->string n)) (build (- n 1)))))
         (define l (build 30))
         (define v (list->vector (map (lambda (x) (vector-ref x 1)) l)))
         (display (apply string-append (vector->list v)))",
    )
    .unwrap();
    let expected: String = (1..=30).rev().map(|n| n.to_string()).collect();
    assert_eq!(String::from_utf8(out.0.borrow().clone()).unwrap(), expected);
    assert!(i.heap().stats().cycles > 100);
}

#[test]
fn circular_structures_are_errors_or_bounded_not_hangs() {
    assert!(
        error("(define l (list 1 2)) (set-cdr! (cdr l) l) (length l)")
            .1
            .contains("circular")
    );
    assert!(
        error("(define l (list 1 2)) (set-cdr! (cdr l) l) (map + l)")
            .1
            .contains("circular")
    );
    // Cycles of odd and even lengths behind a tail: `length` finds them, `map` stops at
    // the end of its finite list.
    for cycle in ["(list 1 2 3)", "(list 1 2 3 4)", "(list 1)"] {
        let prefix = format!("(define c {cycle}) (set-cdr! (last-pair c) c) (define l (cons 0 c))");
        assert!(error(&format!("{prefix} (length l)"))
            .1
            .contains("circular"));
        assert_eq!(
            eval(&format!("{prefix} (map (lambda (a b) a) '(a b c d e f) l)")),
            "(a b c d e f)"
        );
    }
    let (mut i, _) = interp(Options {
        fuel: Some(100_000),
        ..Options::default()
    });
    let e = i
        .run_source("(define l (list 1 2)) (set-cdr! (cdr l) l) (display l)")
        .unwrap_err();
    assert!(e.message.contains("fuel"), "{e}");
    let (mut i, _) = interp(Options {
        fuel: Some(100_000),
        ..Options::default()
    });
    let e = i
        .run_source("(define l (list 1 2)) (set-cdr! (cdr l) l) (list-tail l 9223372036854775807)")
        .unwrap_err();
    assert!(e.message.contains("fuel"), "{e}");
}

#[test]
fn the_deepest_nesting_the_reader_accepts_compiles_and_runs_on_a_small_stack() {
    // Test threads have 2 MiB stacks; the reader's nesting limit must leave the recursive
    // reader and compiler room there, in debug builds too.
    let depth = super::reader::MAX_NESTING - 2;
    let nested_calls = "(list ".repeat(depth) + "1" + &")".repeat(depth);
    let value = eval(&format!("(define x {nested_calls}) (let loop ((x x) (n 0)) (if (pair? x) (loop (car x) (+ n 1)) n))"));
    assert_eq!(value, depth.to_string());
    let nested_lets = "(let ((a ".repeat(depth / 3) + "1" + &")) a)".repeat(depth / 3);
    assert_eq!(eval(&nested_lets), "1");
    let quoted = format!("'{}", "(".repeat(depth) + &")".repeat(depth));
    assert!(eval(&quoted).starts_with("(((("));
}

#[test]
fn continuations_are_re_entrant_and_share_assigned_variables() {
    // Re-entered after its call/cc returned, from inside the same form.
    assert_eq!(
        eval(
            "(let ((k #f) (n 0))
               (let ((v (call/cc (lambda (c) (set! k c) 0))))
                 (set! n (+ n 1))
                 (if (< v 3) (k (+ v 1)) (list v n))))"
        ),
        "(3 4)"
    );
    // No values, several values, and a continuation passed to map.
    assert_eq!(
        eval("(call-with-values (lambda () (call/cc (lambda (k) (k)))) list)"),
        "()"
    );
    assert_eq!(
        eval("(+ 1 (call/cc (lambda (k) (apply + (map k '(10 20))))))"),
        "11"
    );
    // An error in an `after` thunk while a jump leaves its wind is an error, not a panic.
    let (_, message) = error(
        "(define k #f)
         (define n 0)
         (dynamic-wind (lambda () #f)
                       (lambda () (call/cc (lambda (c) (set! k c))))
                       (lambda () (set! n (+ n 1)) (if (> n 1) (car '()))))
         (k 1)",
    );
    assert!(message.contains("car"), "{message}");
}

#[test]
fn continuations_survive_collections_and_count_against_the_heap_limit() {
    let heap = config(|c| {
        c.torture = true;
        c.incremental = false;
    });
    let (mut i, out) = interp(Options {
        heap,
        ..Options::default()
    });
    i.run_source(
        "(define (gen-list lst)
           (define return #f)
           (define resume #f)
           (lambda ()
             (call/cc (lambda (r)
               (set! return r)
               (if resume
                   (resume #f)
                   (begin
                     (for-each (lambda (x)
                                 (call/cc (lambda (k) (set! resume k) (return (list x (make-vector 2 x))))))
                               lst)
                     (return 'done)))))))
         (define g (gen-list '(1 2 3)))
         (display (list (g) (g) (g) (g)))",
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out.0.borrow().clone()).unwrap(),
        "((1 #(1 1)) (2 #(2 2)) (3 #(3 3)) done)"
    );
    assert!(i.heap().stats().cycles > 10, "{}", i.heap().stats().cycles);

    let heap = config(|c| c.max_heap_bytes = Some(2 << 20));
    let (mut i, _) = interp(Options {
        heap,
        ..Options::default()
    });
    // Each continuation copies a deep stack: keeping them all must hit the limit.
    let e = i
        .run_source(
            "(define keep '())
             (define (deep n) (if (= n 0) (call/cc (lambda (k) (set! keep (cons k keep)) 0))
                                  (+ 1 (deep (- n 1)))))
             (let loop () (deep 1000) (loop))",
        )
        .unwrap_err();
    assert_eq!(e.message, "heap limit exceeded");
    assert_eq!(i.eval_to_string("(set! keep '()) (+ 1 2)").unwrap(), "3");
}

#[test]
fn only_assigned_or_captured_stored_variables_get_cells() {
    // An inlined `let`'s variable is stored once before anything can capture it: no cell.
    // binary-trees' make-tree must allocate one pair per node and nothing else.
    let (mut i, _) = interp(Options::default());
    i.run_source(
        "(define (make-tree depth)
           (if (= depth 0)
               (cons '() '())
               (let ((d (- depth 1)))
                 (cons (make-tree d) (make-tree d)))))",
    )
    .unwrap();
    let before = i.heap().stats().allocations;
    i.run_source("(make-tree 10)").unwrap();
    let pairs = (1 << 11) - 1;
    let made = i.heap().stats().allocations - before;
    assert!(made < pairs + 16, "{made} allocations for {pairs} pairs");
    // A `set!` variable does get one, so a continuation's copy of the frame shares it.
    assert_eq!(
        eval("(let ((x 0)) (let ((k (call/cc (lambda (c) c)))) (set! x (+ x 1)) (if (procedure? k) (k 1) x)))"),
        "2"
    );
}

#[test]
fn self_calls_share_the_running_closure_with_their_frames() {
    // A global procedure calling itself keeps one handle for all its frames; each frame must
    // still get its closure back (`k` is read after the call returns): after a tail call to another closure from the innermost
    // call (whose captured `k` differs), after a guard catching mid-way, after re-entering a
    // continuation captured inside the recursion.
    let f = "(define f (let ((k 5)) (lambda (n) (if (= n 0) (g) (+ (f (- n 1)) k)))))
             (define g (let ((k 1000)) (lambda () k)))";
    assert_eq!(eval(&format!("{f} (f 3)")), "1015");
    assert_eq!(
        eval(
            "(define f (let ((k 5))
               (lambda (n)
                 (cond ((= n 0) (raise 'boom))
                       ((= n 2) (guard (e (#t k)) (+ (f (- n 1)) k)))
                       (else (+ (f (- n 1)) k))))))
             (f 4)"
        ),
        "15"
    );
    assert_eq!(
        output(
            "(define saved #f)
             (define f (let ((k 5))
               (lambda (n)
                 (if (= n 0) (call/cc (lambda (c) (set! saved c) 0)) (+ (f (- n 1)) k)))))
             (define r (f 3))
             (display r) (newline)
             (if (< r 100) (saved 100))"
        ),
        "15\n115\n"
    );
    // Backtraces name the procedure of every frame, shared or not (the top-level forms'
    // calls are tail calls: no frame).
    let (mut i, _) = interp(Options::default());
    let e = i
        .run_source(
            "(define (g) (car '()))
             (define (f n) (if (= n 0) (g) (+ 5 (f (- n 1)))))
             (f 2)",
        )
        .unwrap_err();
    let names: Vec<&str> = e.backtrace.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["g", "f", "f"], "{e}");
    let e = i
        .run_source("(define (h n) (if (= n 0) (car '()) (+ 1 (h (- n 1))))) (h 2)")
        .unwrap_err();
    let names: Vec<&str> = e.backtrace.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["h", "h", "h"], "{e}");
}

#[test]
fn mutable_strings_keep_their_length_and_index_by_bytes_while_ascii() {
    // string-set!, string-fill! and string-copy! move a string in and out of ASCII; every
    // index must still name the same character, inline and through the primitives.
    assert_eq!(
        eval(
            "(let ((s (make-string 5 #\\a)))
               (string-set! s 1 #\\λ)
               (let ((r1 (list (string-ref s 0) (string-ref s 1) (string-ref s 4)
                               (string-length s))))
                 (string-set! s 1 #\\b)
                 (string-fill! s #\\é 3)
                 (let ((r2 (list (string-copy s) (string-ref s 3) (string-length s))))
                   (string-copy! s 2 \"xyz\")
                   (list r1 r2 s (string-ref s 4) (string-length s)))))"
        ),
        "((#\\a #\\λ #\\a 5) (\"abaéé\" #\\é 5) \"abxyz\" #\\z 5)"
    );
    let (_, message) = error("(string-ref (make-string 3 #\\a) 3)");
    assert_eq!(
        message,
        "string-ref: index 3 out of range for a string of length 3"
    );
    let (_, message) = error("(let ((s (make-string 3 #\\λ))) (string-set! s 3 #\\a))");
    assert_eq!(
        message,
        "string-set!: index 3 out of range for a string of length 3"
    );
    // A long ASCII string read and written at every index: linear, not quadratic, time.
    assert_eq!(
        eval(
            "(let ((s (make-string 200000 #\\a)))
               (do ((i 0 (+ i 1))) ((= i (string-length s)))
                 (string-set! s i (if (even? i) #\\b #\\c)))
               (let loop ((i 0) (n 0))
                 (if (= i (string-length s)) n
                     (loop (+ i 1) (if (char=? (string-ref s i) #\\b) (+ n 1) n)))))"
        ),
        "100000"
    );
}

#[test]
fn immutable_strings_ascii_or_not_behave_alike() {
    // ASCII immutable strings are their own kind of value (byte-indexed); to programs they are
    // strings like the others: equal, printed, compared, immutable, indexed the same way.
    assert_eq!(
        eval(
            "(let ((a \"abc\") (u \"aλc\") (m (string-copy \"abc\")))
               (list (string? a) (string? u) (equal? a m) (equal? a \"abc\") (eq? a a)
                     (string=? a m) (string<? a u) (string-ref a 2) (string-ref u 2)
                     (string-length a) (string-length u) (symbol->string 'abc)
                     (string->list a) (string-append a u) (string-map char-upcase a)))"
        ),
        "(#t #t #t #t #t #t #t #\\c #\\c 3 3 \"abc\" (#\\a #\\b #\\c) \"abcaλc\" \"ABC\")"
    );
    assert_eq!(
        error("(string-set! \"abc\" 0 #\\x)").1,
        "string-set!: expected a mutable string (literals are immutable), got \"abc\""
    );
    assert_eq!(
        error("(string-ref \"abc\" 3)").1,
        "string-ref: index 3 out of range for a string of length 3"
    );
    assert_eq!(
        error("(string-ref \"aλc\" 3)").1,
        "string-ref: index 3 out of range for a string of length 3"
    );
    assert_eq!(
        output("(display \"abc\") (write \"a\\nb\")"),
        "abc\"a\\nb\""
    );
}

#[test]
fn a_value_is_two_words_and_so_are_a_vector_slot_and_a_pair_field() {
    // The machine's speed rests on this: a value comes back from a call in two registers.
    // A fat handle (`Gc<str>`, `Gc<[T]>`) in a variant would make it three; a `GcCell`
    // instead of a `GcSlot` would add a word to every vector slot and pair field.
    use super::value::{Pair, Slot, Value};
    assert_eq!(std::mem::size_of::<Value>(), 16);
    assert_eq!(std::mem::size_of::<Slot>(), 16);
    assert_eq!(std::mem::size_of::<Pair>(), 32);
}

#[test]
fn immediates_clone_by_copy_and_handles_count() {
    // `Value::clone` copies the variants before `Symbol` bit for bit: every immediate must
    // come back equal, and every variant with a handle must count its new handle.
    use super::gc::{Gc, Heap};
    use super::value::Value;
    let immediates = [
        Value::Nil,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(i64::MIN),
        Value::Float(f64::NAN),
        Value::Char('λ'),
        Value::Unspecified,
        Value::Undefined,
    ];
    for v in &immediates {
        let c = v.clone();
        assert!(c.eqv(v), "{v:?}");
        assert_eq!(format!("{c:?}"), format!("{v:?}"));
    }
    let heap = Heap::new();
    let text = heap.alloc_str("x");
    for v in [
        Value::Symbol(text.clone().into()),
        Value::Str(text.clone().into()),
        Value::AStr(text.clone().into()),
    ] {
        let before = Gc::handle_count(&text);
        let c = v.clone();
        assert_eq!(Gc::handle_count(&text), before + 1, "{v:?}");
        drop(c);
        assert_eq!(Gc::handle_count(&text), before);
    }
    let (mut i, _) = interp(Options::default());
    let pair = i.run_source("(cons 1 2)").unwrap();
    let Value::Pair(p) = &pair else {
        panic!("not a pair: {pair:?}")
    };
    let before = Gc::handle_count(p);
    let copy = pair.clone();
    assert_eq!(Gc::handle_count(p), before + 1);
    drop(copy);
}

#[test]
fn rebinding_a_primitive_reaches_code_compiled_before_and_after() {
    // Fast instructions skip the per-variable check until a program stores into a variable
    // holding its primitive; from then on every one of them checks again.
    assert_eq!(
        eval(
            "(define (f p) (car p))
             (define (g a b) (if (< a b) 'lt 'ge))
             (define (k a b) (+ a b))
             (define r1 (list (f '(1 2)) (g 1 2) (k 1 2)))
             (set! car (lambda (p) 'mine))
             (define (h p) (car p))
             (define r2 (list (f '(1 2)) (h '(1 2)) (g 1 2) (k 1 2)))
             (define < (lambda (a b) #f))
             (define (+ a b) (list 'plus a b))
             (list r1 r2 (g 1 2) (k 1 2) (f '(1 2)))"
        ),
        "((1 lt 3) (mine mine lt 3) ge (plus 1 2) mine)"
    );
    // A primitive the program redefines before compiling its first use.
    assert_eq!(
        eval("(define (cdr p) 'own) (define (f p) (cdr p)) (f '(1 2))"),
        "own"
    );
}
