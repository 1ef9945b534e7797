//! Which variables need a heap cell: those a closure captures and something assigns.
//!
//! Closures copy the variables they capture (flat closures), which is only correct for a
//! variable whose value never changes after the closure is made. A variable that is both
//! captured by an inner procedure and assigned (`set!`, or the store a `letrec`, internal
//! `define` or named `let` makes) lives instead in a cell that the frame and every closure
//! share. Every other variable stays a plain slot of the machine's stack.

use std::collections::HashSet;

use super::code::{Code, LambdaId, Node, NodeId};

/// A variable: the scope (a lambda of the code store, procedure or `let` frame) and its slot.
pub type VarKey = (LambdaId, u16);

enum Work {
    Visit(NodeId),
    Enter(LambdaId, bool),
    Exit(bool),
}

/// The variables of the tree under `root` that must live in cells.
///
/// Walks with an explicit stack: long `let*` and `cond` chains make deep trees.
pub fn boxed_variables(code: &Code, root: NodeId) -> HashSet<VarKey> {
    let mut assigned = HashSet::new();
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
            } => {
                if let Some((lambda, f)) = target(&scopes, *depth) {
                    assigned.insert((lambda, *index));
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
                work.push(Work::Exit(true));
                work.push(Work::Visit(code.lambda(*lambda).body));
                work.push(Work::Enter(*lambda, true));
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
    assigned.intersection(&captured).copied().collect()
}
