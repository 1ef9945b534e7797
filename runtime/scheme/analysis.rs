//! Which variables need a heap cell.
//!
//! Closures copy the variables they capture (flat closures), which is only correct for a
//! variable whose value never changes after the closure is made; and a continuation copies
//! the frames on the value stack, which is only correct for slots that never change after
//! their first store. So two kinds of variable live in a cell that the frame, every closure
//! and every copy of the frame share: one a program assigns with `set!`, and one a closure
//! captures that gets its value by a store (`letrec`, internal `define`, named `let`, whose
//! closures may be made before it). Every other variable stays a plain slot of the stack:
//! an inlined `let`'s variables are stored once, before anything can capture them.

use std::collections::HashSet;

use super::code::{Code, LambdaId, Node, NodeId};
use super::loops::Inlined;

/// A variable: the scope (a lambda of the code store, procedure or `let` frame) and its slot.
pub type VarKey = (LambdaId, u16);

enum Work {
    Visit(NodeId),
    Enter(LambdaId, bool),
    Exit(bool),
}

/// What the code generator needs to know about the variables of a top-level form.
pub struct Analysis {
    /// The variables that must live in cells.
    pub boxed: HashSet<VarKey>,
    /// The variables with more than one store (a named `let`'s procedure variable has
    /// exactly one unless the program assigns it).
    pub reassigned: HashSet<VarKey>,
}

/// The variables of the tree under `root` that must live in cells, and those stored to
/// more than once.
///
/// The procedures of the `inlined` loops run in the frame around them: their variables are
/// that frame's, not captured by it.
///
/// Walks with an explicit stack: long `let*` and `cond` chains make deep trees.
pub fn analyse(code: &Code, root: NodeId, inlined: &Inlined) -> Analysis {
    let inlined: HashSet<LambdaId> = inlined.iter().filter_map(|h| code.loop_proc(*h)).collect();
    let mut assigned = HashSet::new();
    let mut set = HashSet::new();
    let mut reassigned = HashSet::new();
    let mut captured = HashSet::new();
    // Each scope in effect: its lambda and the procedure (numbered) it belongs to.
    let mut scopes: Vec<(LambdaId, usize)> = Vec::new();
    let mut funcs = vec![0usize];
    let mut next_func = 1;
    let mut work = vec![Work::Visit(root)];
    let target = |scopes: &[(LambdaId, usize)], depth: u16| {
        scopes
            .len()
            .checked_sub(1 + depth as usize)
            .map(|i| scopes[i])
    };
    while let Some(item) = work.pop() {
        let id = match item {
            Work::Visit(id) => id,
            Work::Enter(lambda, new_func) => {
                if new_func {
                    funcs.push(next_func);
                    next_func += 1;
                }
                scopes.push((lambda, *funcs.last().unwrap_or(&0)));
                continue;
            }
            Work::Exit(new_func) => {
                scopes.pop();
                if new_func {
                    funcs.pop();
                }
                continue;
            }
        };
        let func = *funcs.last().unwrap_or(&0);
        let visit = |work: &mut Vec<Work>, ids: &[NodeId]| {
            work.extend(ids.iter().rev().map(|&n| Work::Visit(n)));
        };
        match code.node(id) {
            Node::Const(_) | Node::Global { .. } => {}
            Node::Local { depth, index, .. } => {
                if let Some((lambda, f)) = target(&scopes, *depth) {
                    if f != func {
                        captured.insert((lambda, *index));
                    }
                }
            }
            Node::SetLocal {
                depth,
                index,
                value,
                init,
            } => {
                if let Some((lambda, f)) = target(&scopes, *depth) {
                    if !assigned.insert((lambda, *index)) {
                        reassigned.insert((lambda, *index));
                    }
                    if !*init {
                        set.insert((lambda, *index));
                    }
                    if f != func {
                        captured.insert((lambda, *index));
                    }
                }
                work.push(Work::Visit(*value));
            }
            Node::SetGlobal { value, .. } | Node::DefineGlobal { value, .. } => {
                work.push(Work::Visit(*value))
            }
            Node::If { test, then, alt } => visit(&mut work, &[*test, *then, *alt]),
            Node::Lambda(lambda) => {
                let new_func = !inlined.contains(lambda);
                work.push(Work::Exit(new_func));
                work.push(Work::Visit(code.lambda(*lambda).body));
                work.push(Work::Enter(*lambda, new_func));
            }
            Node::Seq(ids) | Node::And(ids) | Node::Or(ids) => visit(&mut work, ids),
            Node::Call { parts: ids, .. } | Node::PrimCall { args: ids, .. } => {
                visit(&mut work, ids)
            }
            Node::Let { lambda, inits } => {
                work.push(Work::Exit(false));
                work.push(Work::Visit(code.lambda(*lambda).body));
                work.push(Work::Enter(*lambda, false));
                visit(&mut work, inits);
            }
            Node::CondArrow {
                test, func, alt, ..
            } => visit(&mut work, &[*test, *func, *alt]),
            Node::Guard { body, handler } => {
                work.push(Work::Exit(false));
                work.push(Work::Visit(code.lambda(*handler).body));
                work.push(Work::Enter(*handler, false));
                work.push(Work::Visit(*body));
            }
            Node::Case {
                key,
                clauses,
                default,
            } => {
                let mut ids = vec![*key];
                ids.extend(clauses.iter().map(|(_, body)| *body));
                ids.push(*default);
                visit(&mut work, &ids);
            }
        }
    }
    let mut boxed: HashSet<VarKey> = assigned.intersection(&captured).copied().collect();
    boxed.extend(set);
    Analysis { boxed, reassigned }
}
