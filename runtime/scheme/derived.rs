//! R7RS forms defined by rewriting them into other forms: `case` with `=>`, `case-lambda`,
//! `let-values`, `let*-values`, `define-values`, `guard`, `delay`, `delay-force` and
//! `parameterize`. The rewrites call internal primitives through names a program cannot
//! write (see [`HIDDEN`]), so rebinding `list` or `dynamic-wind` does not change them.

use super::code::Node;
use super::compiler::{err, Compiler};
use super::error::{Pos, Result};
use super::reader::{Datum, Syntax};

/// Prefix of the names of internal primitives and variables in rewritten forms.
pub const HIDDEN: char = '\u{1}';

fn sym(name: &str, pos: Pos) -> Syntax {
    Syntax {
        datum: Datum::Symbol(name.to_string()),
        pos,
    }
}

fn hidden(name: &str, pos: Pos) -> Syntax {
    sym(&format!("{HIDDEN}{name}"), pos)
}

fn list(items: Vec<Syntax>, pos: Pos) -> Syntax {
    Syntax {
        datum: Datum::List(items, None),
        pos,
    }
}

fn boolean(b: bool, pos: Pos) -> Syntax {
    Syntax {
        datum: Datum::Bool(b),
        pos,
    }
}

/// `(lambda params body...)`.
fn lambda(params: Syntax, body: &[Syntax], pos: Pos) -> Syntax {
    let mut items = vec![sym("lambda", pos), params];
    items.extend(body.iter().cloned());
    list(items, pos)
}

/// The variables of a formals list: `(a b)`, `(a . rest)` or `all`.
fn formals_names(formals: &Syntax) -> Result<Vec<&str>> {
    let (fixed, rest): (&[Syntax], Option<&Syntax>) = match &formals.datum {
        Datum::Symbol(_) => (&[], Some(formals)),
        Datum::List(items, tail) => (items, tail.as_deref()),
        _ => return Err(err(formals.pos, "bad formals: expected (name ...)")),
    };
    fixed
        .iter()
        .chain(rest)
        .map(|s| {
            s.as_symbol()
                .ok_or_else(|| err(s.pos, "a formal must be a symbol"))
        })
        .collect()
}

/// `formals` with each variable renamed by `rename`.
fn rename_formals(formals: &Syntax, rename: &impl Fn(&str) -> String) -> Syntax {
    let pos = formals.pos;
    match &formals.datum {
        Datum::Symbol(s) => sym(&rename(s), pos),
        Datum::List(items, tail) => Syntax {
            datum: Datum::List(
                items.iter().map(|i| rename_formals(i, rename)).collect(),
                tail.as_ref().map(|t| Box::new(rename_formals(t, rename))),
            ),
            pos,
        },
        _ => formals.clone(),
    }
}

/// The names `define-values` in a body binds (for the body's frame).
pub fn define_values_names(items: &[Syntax]) -> Vec<&str> {
    items
        .get(1)
        .and_then(|f| formals_names(f).ok())
        .unwrap_or_default()
}

impl Compiler<'_> {
    /// `(case key clause...)` when a clause uses `=>`: the key is bound once and each
    /// `=>` clause calls its procedure on it.
    pub(super) fn case_with_arrows(&mut self, args: &[Syntax], pos: Pos) -> Result<Option<Syntax>> {
        let Some((key, clauses)) = args.split_first() else {
            return Ok(None);
        };
        let arrow = |c: &Syntax| {
            c.as_list()
                .is_some_and(|i| i.len() == 3 && i[1].as_symbol() == Some("=>"))
        };
        if self.is_local("=>") || !clauses.iter().any(arrow) {
            return Ok(None);
        }
        let k = hidden("case-key", pos);
        let mut items = vec![sym("case", pos), k.clone()];
        for c in clauses {
            if arrow(c) {
                let i = c.as_list().unwrap_or_default();
                let call = list(vec![i[2].clone(), k.clone()], c.pos);
                items.push(list(vec![i[0].clone(), call], c.pos));
            } else {
                items.push(c.clone());
            }
        }
        let binding = list(vec![list(vec![k, key.clone()], pos)], pos);
        Ok(Some(list(
            vec![sym("let", pos), binding, list(items, pos)],
            pos,
        )))
    }

    /// `(case-lambda (formals body...) ...)`.
    pub(super) fn case_lambda(&mut self, args: &[Syntax], pos: Pos) -> Result<Syntax> {
        if args.is_empty() {
            return Err(err(pos, "case-lambda needs at least one clause"));
        }
        let mut items = vec![hidden("make-case-lambda", pos)];
        for clause in args {
            match clause.as_list() {
                Some([formals, body @ ..]) if !body.is_empty() => {
                    formals_names(formals)?;
                    items.push(lambda(formals.clone(), body, clause.pos));
                }
                _ => return Err(err(clause.pos, "a case-lambda clause is (formals body...)")),
            }
        }
        Ok(list(items, pos))
    }

    /// `let-values` (`sequential`: `let*-values`).
    pub(super) fn let_values(
        &mut self,
        args: &[Syntax],
        sequential: bool,
        pos: Pos,
    ) -> Result<Syntax> {
        let (Some(bindings), body) = (args.first(), args.get(1..).unwrap_or_default()) else {
            return Err(err(pos, "let-values needs bindings and a body"));
        };
        if body.is_empty() {
            return Err(err(pos, "let-values needs a body"));
        }
        let bindings = bindings
            .as_list()
            .ok_or_else(|| err(bindings.pos, "let-values bindings must be a list"))?;
        let mut parsed = Vec::with_capacity(bindings.len());
        for b in bindings {
            match b.as_list() {
                Some([formals, init]) => {
                    formals_names(formals)?;
                    parsed.push((formals, init, b.pos));
                }
                _ => return Err(err(b.pos, "a let-values binding is (formals expression)")),
            }
        }
        // let-values: every init sees the outer scope, so the values go to hidden names
        // first and the real names are bound around the body.
        let rename = |i: usize| move |n: &str| format!("{HIDDEN}lv{i} {n}");
        let mut inner: Vec<Syntax> = body.to_vec();
        if !sequential {
            let mut lets = Vec::new();
            for (i, (formals, _, p)) in parsed.iter().enumerate() {
                for n in formals_names(formals)? {
                    lets.push(list(vec![sym(n, *p), sym(&rename(i)(n), *p)], *p));
                }
            }
            let mut let_items = vec![sym("let", pos), list(lets, pos)];
            let_items.extend(inner);
            inner = vec![list(let_items, pos)];
        }
        for (i, (formals, init, p)) in parsed.iter().enumerate().rev() {
            let formals = if sequential {
                (*formals).clone()
            } else {
                rename_formals(formals, &rename(i))
            };
            let producer = lambda(list(Vec::new(), *p), std::slice::from_ref(init), *p);
            let consumer = lambda(formals, &inner, *p);
            inner = vec![list(
                vec![hidden("call-with-values", *p), producer, consumer],
                *p,
            )];
        }
        if parsed.is_empty() {
            let mut items = vec![sym("let", pos), list(Vec::new(), pos)];
            items.extend(inner);
            return Ok(list(items, pos));
        }
        Ok(inner.remove(0))
    }

    /// `(define-values formals expression)`: each name defined, then set from the values.
    pub(super) fn define_values(&mut self, items: &[Syntax], pos: Pos) -> Result<Syntax> {
        let [_, formals, expr] = items else {
            return Err(err(pos, "define-values takes formals and one expression"));
        };
        let names = formals_names(formals)?;
        let temp = |n: &str| format!("{HIDDEN}dv {n}");
        let mut out = vec![sym("begin", pos)];
        for n in &names {
            out.push(list(vec![sym("define", pos), sym(n, pos)], pos));
        }
        let sets: Vec<Syntax> = names
            .iter()
            .map(|n| list(vec![sym("set!", pos), sym(n, pos), sym(&temp(n), pos)], pos))
            .chain(std::iter::once(boolean(false, pos)))
            .collect();
        let producer = lambda(list(Vec::new(), pos), std::slice::from_ref(expr), pos);
        let consumer = lambda(rename_formals(formals, &temp), &sets, pos);
        out.push(list(
            vec![hidden("call-with-values", pos), producer, consumer],
            pos,
        ));
        Ok(list(out, pos))
    }

    /// `(guard (var clause...) body...)`.
    pub(super) fn compile_guard(
        &mut self,
        args: &[Syntax],
        pos: Pos,
    ) -> Result<super::code::NodeId> {
        let (Some(spec), body) = (args.first(), args.get(1..).unwrap_or_default()) else {
            return Err(err(pos, "guard needs (variable clause...) and a body"));
        };
        if body.is_empty() {
            return Err(err(pos, "guard needs a body"));
        }
        let spec_items = spec
            .as_list()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err(spec.pos, "guard needs (variable clause...)"))?;
        let var = spec_items[0]
            .as_symbol()
            .ok_or_else(|| err(spec_items[0].pos, "guard needs a variable name"))?;
        let clauses = &spec_items[1..];
        let has_else = clauses.last().is_some_and(|c| {
            c.as_list()
                .and_then(|i| i.first())
                .and_then(Syntax::as_symbol)
                == Some("else")
        });
        let mut cond = vec![sym("cond", spec.pos)];
        cond.extend(clauses.iter().cloned());
        if !has_else {
            // No clause took it: raise it again to the handlers outside the guard.
            let reraise = list(vec![hidden("raise-continuable", pos), sym(var, pos)], pos);
            cond.push(list(vec![sym("else", pos), reraise], pos));
        }
        let body = self.compile_seq(body)?;
        let handler = self.body_lambda(
            vec![var.to_string()],
            1,
            false,
            &[list(cond, spec.pos)],
            pos,
        )?;
        Ok(self.add(Node::Guard { body, handler }))
    }

    /// `(delay e)` / `(delay-force e)`.
    pub(super) fn delay(&mut self, args: &[Syntax], force: bool, pos: Pos) -> Result<Syntax> {
        let [e] = args else {
            return Err(err(pos, "delay takes one expression"));
        };
        let thunk = lambda(list(Vec::new(), pos), std::slice::from_ref(e), pos);
        Ok(list(
            vec![hidden("make-lazy-promise", pos), thunk, boolean(force, pos)],
            pos,
        ))
    }

    /// `(parameterize ((param value) ...) body...)`: the parameters take the converted
    /// values for the dynamic extent of the body (restored on any exit).
    pub(super) fn parameterize(&mut self, args: &[Syntax], pos: Pos) -> Result<Syntax> {
        let (Some(bindings), body) = (args.first(), args.get(1..).unwrap_or_default()) else {
            return Err(err(pos, "parameterize needs bindings and a body"));
        };
        if body.is_empty() {
            return Err(err(pos, "parameterize needs a body"));
        }
        let bindings = bindings
            .as_list()
            .ok_or_else(|| err(bindings.pos, "parameterize bindings must be a list"))?;
        let mut outer = Vec::new();
        let mut params = vec![hidden("list", pos)];
        let mut values = vec![hidden("list", pos)];
        for (i, b) in bindings.iter().enumerate() {
            let Some([p, v]) = b.as_list() else {
                return Err(err(b.pos, "a parameterize binding is (parameter value)"));
            };
            let name = hidden(&format!("param{i}"), b.pos);
            outer.push(list(vec![name.clone(), p.clone()], b.pos));
            params.push(name.clone());
            values.push(list(
                vec![hidden("param-convert", b.pos), name, v.clone()],
                b.pos,
            ));
        }
        let ps = hidden("params", pos);
        let vs = hidden("values", pos);
        let swap = || {
            let call = list(vec![hidden("param-swap", pos), ps.clone(), vs.clone()], pos);
            let set = list(vec![sym("set!", pos), vs.clone(), call], pos);
            lambda(list(Vec::new(), pos), &[set], pos)
        };
        let wind = list(
            vec![
                hidden("dynamic-wind", pos),
                swap(),
                lambda(list(Vec::new(), pos), body, pos),
                swap(),
            ],
            pos,
        );
        let inner_bindings = list(
            vec![
                list(vec![ps.clone(), list(params, pos)], pos),
                list(vec![vs.clone(), list(values, pos)], pos),
            ],
            pos,
        );
        let inner = list(vec![sym("let*", pos), inner_bindings, wind], pos);
        Ok(list(vec![sym("let", pos), list(outer, pos), inner], pos))
    }
}
