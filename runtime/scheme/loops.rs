//! Named `let` and `do` loops run in the frame of the procedure around them.
//!
//! The compiler turns `(let name ((v init) ...) body)` (and `do`, which expands to one) into a
//! frame holding the variable `name`, a closure stored in it, and a call of that closure.
//! When every use of `name` is a call in tail position of the loop's own body, with as many
//! arguments as the loop has variables, the closure can never be seen: the code generator
//! then lays the loop's variables out as slots of the enclosing frame, like an inlined
//! `let`, and each call of `name` becomes an [`Op::Loop`](super::bytecode::Op) that moves the
//! new values into those slots and jumps back to the loop's head. No closure, no call.
//!
//! Each iteration is still a fresh binding, as R7RS's `do` and named `let` say: a closure
//! made in the body copies the variables it captures (flat closures), and a variable that
//! needs a cell (one the program assigns) gets a new cell at the head of every iteration.
//!
//! A call of an outer loop from the tail of an inner loop's body is a tail call of the outer
//! body too, when the inner loop is itself inlined and called in tail position: such an
//! outer loop is inlined when the inner ones it depends on are (a fixpoint over the loops
//! of the form). A use of `name` anywhere else (as a value, in a `lambda`, inside a `guard`
//! body, with the wrong number of arguments, assigned) keeps the loop a procedure.

use std::collections::{HashMap, HashSet};

use super::bytecode::Op;
use super::code::{Code, LambdaId, Node, NodeId};
use super::codegen::{Gen, Place};
use super::error::{Pos, Result};

/// The loop holders (frames holding a named `let`'s variable) whose loops are inlined.
pub type Inlined = HashSet<LambdaId>;

/// Where an inlined loop's iterations start, for the `Loop` instructions of its calls.
#[derive(Clone, Copy)]
pub(super) struct LoopHead {
    /// The first instruction of an iteration.
    pub(super) head: u32,
    /// The loop variables' first slot.
    pub(super) slot: u16,
}

/// A procedure being walked: its lambda's loop, when it is a named `let`'s procedure.
struct FuncCtx {
    /// The holder of the loop whose procedure this is.
    holder: Option<LambdaId>,
    /// Whether the loop's call is in tail position of the procedure around it.
    tail_call: bool,
}

/// What the walk learned about one loop.
#[derive(Default)]
struct Uses {
    /// A use that keeps it a procedure.
    escapes: bool,
    /// Inner loops it is called from: each must be inlined for this one to be.
    through: Vec<LambdaId>,
}

enum Work {
    Visit(NodeId, bool),
    EnterScope(LambdaId),
    ExitScope,
    EnterFunc(FuncCtx),
    ExitFunc,
}

/// The holder and the procedure of the named-`let` loop that the call `parts` makes, if it
/// is one.
pub(super) fn loop_call(code: &Code, parts: &[NodeId]) -> Option<(LambdaId, LambdaId)> {
    match parts.first().map(|p| code.node(*p)) {
        Some(Node::Let { lambda, inits }) if inits.is_empty() => {
            code.loop_proc(*lambda).map(|proc| (*lambda, proc))
        }
        _ => None,
    }
}

/// The loops of the tree under `root` that can run inlined (see the module's docs).
pub fn inlined_loops(code: &Code, root: NodeId) -> Inlined {
    let mut uses: HashMap<LambdaId, Uses> = HashMap::new();
    // Each scope in effect: its lambda and the index in `funcs` of its procedure.
    let mut scopes: Vec<(LambdaId, usize)> = Vec::new();
    let mut funcs = vec![FuncCtx {
        holder: None,
        tail_call: false,
    }];
    let mut work = vec![Work::Visit(root, true)];
    while let Some(item) = work.pop() {
        let (id, tail) = match item {
            Work::Visit(id, tail) => (id, tail),
            Work::EnterScope(lambda) => {
                scopes.push((lambda, funcs.len() - 1));
                continue;
            }
            Work::ExitScope => {
                scopes.pop();
                continue;
            }
            Work::EnterFunc(f) => {
                funcs.push(f);
                continue;
            }
            Work::ExitFunc => {
                funcs.pop();
                continue;
            }
        };
        let loop_var = |scopes: &[(LambdaId, usize)], depth: u16, index: u16| {
            let at = scopes.len().checked_sub(1 + usize::from(depth))?;
            let (lambda, func) = scopes[at];
            (index == 0 && code.loop_proc(lambda).is_some()).then_some((lambda, func))
        };
        let visit = |work: &mut Vec<Work>, ids: &[NodeId], tail: bool| {
            work.extend(ids.iter().rev().map(|&n| Work::Visit(n, tail)));
        };
        match code.node(id) {
            Node::Const(_) | Node::Global { .. } => {}
            Node::Local { depth, index, .. } => {
                if let Some((holder, _)) = loop_var(&scopes, *depth, *index) {
                    uses.entry(holder).or_default().escapes = true;
                }
            }
            Node::SetLocal {
                depth,
                index,
                value,
                ..
            } => {
                if let Some((holder, _)) = loop_var(&scopes, *depth, *index) {
                    uses.entry(holder).or_default().escapes = true;
                }
                work.push(Work::Visit(*value, false));
            }
            Node::SetGlobal { value, .. } | Node::DefineGlobal { value, .. } => {
                work.push(Work::Visit(*value, false))
            }
            Node::If { test, then, alt } => {
                visit(&mut work, &[*then, *alt], tail);
                work.push(Work::Visit(*test, false));
            }
            Node::Lambda(lambda) => {
                work.push(Work::ExitFunc);
                work.push(Work::ExitScope);
                work.push(Work::Visit(code.lambda(*lambda).body, true));
                work.push(Work::EnterScope(*lambda));
                work.push(Work::EnterFunc(FuncCtx {
                    holder: None,
                    tail_call: false,
                }));
            }
            Node::Seq(ids) | Node::And(ids) | Node::Or(ids) => {
                if let Some((last, init)) = ids.split_last() {
                    work.push(Work::Visit(*last, tail));
                    visit(&mut work, init, false);
                }
            }
            Node::Call { parts, .. } => {
                if let Some((holder, proc)) = loop_call(code, parts) {
                    // The loop itself: its procedure's body, in the holder's scope.
                    uses.entry(holder).or_default();
                    work.push(Work::ExitScope);
                    work.push(Work::ExitFunc);
                    work.push(Work::ExitScope);
                    work.push(Work::Visit(code.lambda(proc).body, true));
                    work.push(Work::EnterScope(proc));
                    work.push(Work::EnterFunc(FuncCtx {
                        holder: Some(holder),
                        tail_call: tail,
                    }));
                    work.push(Work::EnterScope(holder));
                    visit(&mut work, &parts[1..], false);
                    continue;
                }
                let Some((head, args)) = parts.split_first() else {
                    continue;
                };
                let target = match code.node(*head) {
                    Node::Local { depth, index, .. } => loop_var(&scopes, *depth, *index),
                    _ => None,
                };
                match target {
                    Some((holder, func)) => {
                        let verdict = self_call(code, &funcs, holder, func, args.len(), tail);
                        let u = uses.entry(holder).or_default();
                        match verdict {
                            Some(through) => u.through.extend(through),
                            None => u.escapes = true,
                        }
                    }
                    None => work.push(Work::Visit(*head, false)),
                }
                visit(&mut work, args, false);
            }
            Node::PrimCall { args, .. } => visit(&mut work, args, false),
            Node::Let { lambda, inits } => {
                work.push(Work::ExitScope);
                work.push(Work::Visit(code.lambda(*lambda).body, tail));
                work.push(Work::EnterScope(*lambda));
                visit(&mut work, inits, false);
            }
            Node::CondArrow {
                test, func, alt, ..
            } => {
                work.push(Work::Visit(*alt, tail));
                visit(&mut work, &[*test, *func], false);
            }
            Node::Guard { body, handler } => {
                work.push(Work::ExitScope);
                work.push(Work::Visit(code.lambda(*handler).body, false));
                work.push(Work::EnterScope(*handler));
                work.push(Work::Visit(*body, false));
            }
            Node::Case {
                key,
                clauses,
                default,
            } => {
                work.push(Work::Visit(*default, tail));
                let bodies: Vec<NodeId> = clauses.iter().map(|(_, body)| *body).collect();
                visit(&mut work, &bodies, tail);
                work.push(Work::Visit(*key, false));
            }
        }
    }
    settle(uses)
}

/// For a call of the loop held by `holder` (whose scope belongs to procedure `func`) with
/// `argc` arguments, made from the innermost procedure of `funcs`: the inner loops it goes
/// through when it can be a jump to the loop's head, `None` when it cannot.
fn self_call(
    code: &Code,
    funcs: &[FuncCtx],
    holder: LambdaId,
    func: usize,
    argc: usize,
    tail: bool,
) -> Option<Vec<LambdaId>> {
    let proc = code.lambda(code.loop_proc(holder)?);
    if !tail || proc.rest || proc.required != argc {
        return None;
    }
    // The loop's own procedure is the one right inside the holder's.
    if funcs.get(func + 1)?.holder != Some(holder) {
        return None;
    }
    funcs[func + 2..]
        .iter()
        .map(|f| f.holder.filter(|_| f.tail_call))
        .collect()
}

/// The loops with no escaping use whose inner loops are all inlined.
fn settle(uses: HashMap<LambdaId, Uses>) -> Inlined {
    let mut inlined: Inlined = uses
        .iter()
        .filter(|(_, u)| !u.escapes)
        .map(|(h, _)| *h)
        .collect();
    loop {
        let out: Vec<LambdaId> = inlined
            .iter()
            .filter(|h| uses[h].through.iter().any(|t| !inlined.contains(t)))
            .copied()
            .collect();
        if out.is_empty() {
            return inlined;
        }
        for h in out {
            inlined.remove(&h);
        }
    }
}

impl Gen<'_> {
    /// The named-`let` loop held by `holder`, inlined: its `inits` are evaluated, moved
    /// into the loop variables' slots by a `Loop`, and the body runs from the head.
    pub(super) fn inline_loop(
        &mut self,
        (holder, proc): (LambdaId, LambdaId),
        inits: &[NodeId],
        pos: Pos,
        tail: bool,
    ) -> Result<()> {
        for n in inits {
            self.expr(*n, false)?;
        }
        // The holder's one variable is never stored: its slot only keeps scopes in step.
        self.enter_scope(holder)?;
        let slot = self.enter_scope(proc)?;
        let l = self.code.lambda(proc);
        let (given, size) = (l.required, l.frame_size);
        self.pos = pos;
        let next = self.prog.here() + 1;
        self.emit(Op::Loop {
            slot,
            n: given as u16,
            target: next,
        });
        let head = self.prog.here();
        self.loop_heads.insert(holder, LoopHead { head, slot });
        self.clear_and_box(proc, slot, given, size)?;
        let body = self.expr(l.body, tail);
        self.exit_let();
        self.exit_let();
        body
    }

    /// A call of an inlined loop from its body (in tail position, with one argument per
    /// loop variable, as [`inlined_loops`] checked): the arguments, then a `Loop`.
    pub(super) fn loop_jump(&mut self, head: LoopHead, args: &[NodeId], pos: Pos) -> Result<()> {
        // Trailing arguments that pass a loop variable on unchanged (`(loop (+ i 1) acc)`
        // in the clause that leaves `acc` alone) are neither pushed nor stored: the slot
        // already holds the value. Only for variables without a cell, whose slot holds the
        // value itself and which nothing assigns.
        let mut n = args.len();
        while n > 0 && self.passes_itself(args[n - 1], head.slot, n - 1)? {
            n -= 1;
        }
        let args = &args[..n];
        if let [arg] = args {
            self.pos = pos;
            self.inline_step(*arg, head)?;
        }
        for a in args {
            self.expr(*a, false)?;
        }
        self.pos = pos;
        self.emit(Op::Loop {
            slot: head.slot,
            n: args.len() as u16,
            target: head.head,
        });
        Ok(())
    }

    /// Whether `arg` reads loop variable `k` (slot `slot + k`), held without a cell.
    fn passes_itself(&mut self, arg: NodeId, slot: u16, k: usize) -> Result<bool> {
        let Node::Local { depth, index, .. } = self.code.node(arg) else {
            return Ok(false);
        };
        let (depth, index) = (*depth, *index);
        Ok(matches!(
            self.place(depth, index)?,
            (Place::Slot(s), false) if usize::from(s) == usize::from(slot) + k
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::scheme::{Interpreter, Options};

    /// Heap objects allocated by running `program` after `setup`.
    fn allocations(setup: &str, program: &str) -> u64 {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        i.run_source(setup).unwrap();
        let before = i.heap().stats().allocations;
        i.run_source(program).unwrap();
        i.heap().stats().allocations - before
    }

    #[test]
    fn an_inlined_loop_allocates_no_closure() {
        let loops = "(define (count n) (let loop ((i 0)) (if (< i n) (loop (+ i 1)) i)))
                     (define (sum n) (do ((i 0 (+ i 1)) (s 0 (+ s i))) ((= i n) s)))
                     (define (grid n)
                       (let outer ((i 0) (t 0))
                         (if (= i n) t
                             (let inner ((j 0) (t t))
                               (if (= j n) (outer (+ i 1) t) (inner (+ j 1) (+ t 1)))))))";
        let run = "(do ((k 0 (+ k 1))) ((= k 1000)) (count 3) (sum 3) (grid 3))";
        let made = allocations(loops, run);
        assert!(made < 16, "{made} allocations for 3000 loops");
    }

    #[test]
    fn a_one_variable_step_of_parameters_is_one_instruction() {
        use crate::scheme::bytecode::Op;
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        let src = "(define (f v n s) (do ((j 0 (+ j s))) ((> j n)) (vector-set! v j #f)))
                   (define (g n) (let loop ((i 0) (a 0)) (if (< i n) (loop (+ i 1) a) a)))
                   (define (h n) (let loop ((i 0)) (if (< i n) (loop (car (list (+ i 1)))) i)))";
        i.run_source(src).unwrap();
        let steps = i
            .prog
            .ops
            .iter()
            .filter(|op| matches!(op, Op::StepLoop { .. }));
        // `f`, and `g`, whose second variable goes on unchanged (so it is not stored); not
        // `h`, whose new value is not an operation in place.
        assert_eq!(steps.count(), 2);
        let mut run = |s: &str| crate::scheme::printer::repr(&i.run_source(s).unwrap());
        assert_eq!(
            run("(let ((v (make-vector 7 #t))) (f v 6 3) v)"),
            "#(#f #t #t #f #t #t #f)"
        );
        assert_eq!(run("(list (g 5) (h 5))"), "(0 5)");
    }

    #[test]
    fn variables_passed_on_unchanged_at_the_end_are_not_stored() {
        use crate::scheme::bytecode::Op;
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        // `acc` and `k` go on unchanged in the odd clause: one value stored there; `m`
        // changes after `k`, so nothing is left out in the other; `c` has a cell, so it is
        // stored as every other argument.
        let src = "(define (f n)
                     (let loop ((i 0) (acc '()) (k 10))
                       (cond ((= i n) (list acc k))
                             ((even? i) (loop (+ i 1) (cons i acc) k))
                             (else (loop (+ i 1) acc k)))))
                   (define (g n)
                     (let loop ((i 0) (k 0) (m 0))
                       (if (< i n) (loop (+ i 1) k (+ m 1)) (list k m))))
                   (define (c n)
                     (let loop ((i 0) (c 0) (fs '()))
                       (if (= i n) (map (lambda (f) (f)) fs)
                           (loop (+ i 1) c (cons (lambda () (set! c (+ c 1)) c) fs)))))";
        i.run_source(src).unwrap();
        let stores: Vec<u16> = i
            .prog
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Loop { n, target, .. } if *target > 0 => Some(*n),
                _ => None,
            })
            .collect();
        // The first `Loop` of each procedure sets the variables up; the others are the
        // calls: f's two calls (2, 1 after the step), g's (3), c's (3).
        assert!(stores.contains(&1), "{stores:?}");
        let mut run = |s: &str| crate::scheme::printer::repr(&i.run_source(s).unwrap());
        assert_eq!(run("(f 7)"), "((6 4 2 0) 10)");
        assert_eq!(run("(g 4)"), "(0 4)");
        assert_eq!(run("(c 3)"), "(1 1 1)");
        assert_eq!(
            run("(do ((i 0 (+ i 1)) (s 7 s)) ((= i 3) s))"),
            "7",
            "a `do` variable with itself as its step"
        );
    }

    #[test]
    fn a_step_loop_spends_fuel_per_iteration() {
        let options = Options {
            fuel: Some(10_000),
            ..Options::default()
        };
        let mut i = Interpreter::new(options, Box::new(std::io::sink()));
        let e = i
            .run_source("(let loop ((i 0)) (loop (+ i 1)))")
            .unwrap_err();
        assert!(e.to_string().contains("fuel exhausted"), "{e}");
        // A call that passes every variable on unchanged stores nothing, and still spends.
        let e = i.run_source("(let loop ((i 0)) (loop i))").unwrap_err();
        assert!(e.to_string().contains("fuel exhausted"), "{e}");
    }

    #[test]
    fn a_loop_whose_name_escapes_is_a_procedure() {
        let escapes = "(define (f) (let loop ((i 0)) (if (< i 3) (loop (+ i 1)) loop)))
                       (define (g) (let loop ((i 0)) (if (< i 3) (+ 1 (loop (+ i 1))) 0)))";
        let made = allocations(escapes, "(do ((k 0 (+ k 1))) ((= k 1000)) (f) (g))");
        assert!(made >= 2000, "{made} allocations for 2000 loops");
    }

    #[test]
    fn a_self_call_with_the_wrong_arity_is_the_procedures_error() {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        let e = i
            .run_source("(let loop ((i 0)) (if (< i 3) (loop) i))")
            .unwrap_err();
        assert!(
            e.to_string().contains("wrong number of arguments to loop"),
            "{e}"
        );
    }
}
