//! The derived forms that take more than a few lines to compile: `cond`, `case`,
//! quasiquote and `define-record-type`.

use super::code::{Node, NodeId};
use super::compiler::{err, Compiler};
use super::error::{Pos, Result};
use super::primitives::{self, Primitive};
use super::reader::{Datum, Syntax};
use super::value::Value;

impl Compiler<'_> {
    fn is_keyword(&self, s: &Syntax, keyword: &str) -> bool {
        s.as_symbol() == Some(keyword) && !self.is_local(keyword)
    }

    /// `cond`, compiled from the last clause back so a long `cond` needs no recursion.
    pub(super) fn compile_cond(&mut self, clauses: &[Syntax], pos: Pos) -> Result<NodeId> {
        let mut alt = self.constant(Value::Unspecified);
        for (i, clause) in clauses.iter().enumerate().rev() {
            let items = clause
                .as_list()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| err(clause.pos, "a cond clause is (test expr...)"))?;
            if self.is_keyword(&items[0], "else") {
                if i + 1 != clauses.len() {
                    return Err(err(clause.pos, "else must be the last cond clause"));
                }
                if items.len() == 1 {
                    return Err(err(clause.pos, "else clause without expressions"));
                }
                alt = self.compile_seq(&items[1..])?;
                continue;
            }
            let test = self.compile(&items[0])?;
            alt = match &items[1..] {
                [] => self.add(Node::Or(Box::new([test, alt]))),
                [arrow, func] if self.is_keyword(arrow, "=>") => {
                    let func = self.compile(func)?;
                    self.add(Node::CondArrow {
                        test,
                        func,
                        alt,
                        pos: clause.pos,
                    })
                }
                body => {
                    let then = self.compile_seq(body)?;
                    self.add(Node::If { test, then, alt })
                }
            };
        }
        let _ = pos;
        Ok(alt)
    }

    /// `case`: the clauses' data become constants compared with `eqv?`.
    pub(super) fn compile_case(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        if let Some(expanded) = self.case_with_arrows(args, pos)? {
            return self.compile(&expanded);
        }
        let Some((key, clauses)) = args.split_first() else {
            return Err(err(pos, "case needs a key"));
        };
        let key = self.compile(key)?;
        let mut compiled = Vec::with_capacity(clauses.len());
        let mut default = None;
        for (i, clause) in clauses.iter().enumerate() {
            let items = clause
                .as_list()
                .filter(|c| c.len() >= 2)
                .ok_or_else(|| err(clause.pos, "a case clause is ((datum...) expr...)"))?;
            let body = self.compile_seq(&items[1..])?;
            if self.is_keyword(&items[0], "else") {
                if i + 1 != clauses.len() {
                    return Err(err(clause.pos, "else must be the last case clause"));
                }
                default = Some(body);
                continue;
            }
            let data = items[0]
                .as_list()
                .ok_or_else(|| err(items[0].pos, "case data must be a list"))?;
            let values: Vec<Value> = data
                .iter()
                .map(|d| self.ctx.datum_to_value(d))
                .collect::<Result<_>>()?;
            compiled.push((values.into_boxed_slice(), body));
        }
        let default = match default {
            Some(d) => d,
            None => self.constant(Value::Unspecified),
        };
        Ok(self.add(Node::Case {
            key,
            clauses: compiled.into(),
            default,
        }))
    }

    fn prim_call(&mut self, name: &str, args: Vec<NodeId>, pos: Pos) -> Result<NodeId> {
        let prim: &'static Primitive =
            primitives::internal(name).ok_or_else(|| err(pos, format!("no primitive {name}")))?;
        Ok(self.add(Node::PrimCall {
            prim,
            args: args.into(),
            pos,
        }))
    }

    fn quoted_symbol(&mut self, name: &str) -> Result<NodeId> {
        let v = self.ctx.intern(name)?;
        Ok(self.constant(v))
    }

    /// `(list 'tag node)`, for nested quasiquote levels.
    fn tagged(&mut self, tag: &str, node: NodeId, pos: Pos) -> Result<NodeId> {
        let tag = self.quoted_symbol(tag)?;
        let nil = self.constant(Value::Nil);
        let inner = self.prim_call("cons", vec![node, nil], pos)?;
        self.prim_call("cons", vec![tag, inner], pos)
    }

    /// Quasiquote at nesting `depth` (1 = the outermost backquote).
    pub(super) fn quasi(&mut self, d: &Syntax, depth: usize) -> Result<NodeId> {
        if !has_unquote(d) {
            let v = self.ctx.datum_to_value(d)?;
            return Ok(self.constant(v));
        }
        let pos = d.pos;
        match &d.datum {
            Datum::List(items, tail) => {
                if let ([head, x], None) = (items.as_slice(), tail) {
                    match head.as_symbol() {
                        Some("unquote") if depth == 1 => return self.compile(x),
                        Some("unquote") => {
                            let inner = self.quasi(x, depth - 1)?;
                            return self.tagged("unquote", inner, pos);
                        }
                        Some("quasiquote") => {
                            let inner = self.quasi(x, depth + 1)?;
                            return self.tagged("quasiquote", inner, pos);
                        }
                        _ => {}
                    }
                }
                let mut acc = match tail {
                    Some(t) => self.quasi(t, depth)?,
                    None => self.constant(Value::Nil),
                };
                for item in items.iter().rev() {
                    if let Some([h, x]) = item.as_list() {
                        if h.as_symbol() == Some("unquote-splicing") {
                            if depth == 1 {
                                let spliced = self.compile(x)?;
                                acc = self.prim_call("append2", vec![spliced, acc], item.pos)?;
                                continue;
                            }
                            let inner = self.quasi(x, depth - 1)?;
                            let elem = self.tagged("unquote-splicing", inner, item.pos)?;
                            acc = self.prim_call("cons", vec![elem, acc], item.pos)?;
                            continue;
                        }
                    }
                    let elem = self.quasi(item, depth)?;
                    acc = self.prim_call("cons", vec![elem, acc], item.pos)?;
                }
                Ok(acc)
            }
            Datum::Vector(items) => {
                let as_list = Syntax {
                    datum: Datum::List(items.clone(), None),
                    pos,
                };
                let list = self.quasi(&as_list, depth)?;
                self.prim_call("list->vector", vec![list], pos)
            }
            _ => {
                let v = self.ctx.datum_to_value(d)?;
                Ok(self.constant(v))
            }
        }
    }

    /// `(define-record-type type (ctor field...) pred (field accessor [modifier])...)`.
    pub(super) fn compile_record_type(
        &mut self,
        form: &Syntax,
        items: &[Syntax],
    ) -> Result<NodeId> {
        let pos = form.pos;
        let spec = parse_record_type(items).map_err(|(p, m)| err(p.unwrap_or(pos), m))?;
        let mut nodes = Vec::new();
        let type_name = self.quoted_symbol(spec.type_name)?;
        let field_list = self.symbol_list(spec.fields.iter().map(|f| f.0))?;
        let make = self.prim_call("make-record-type", vec![type_name, field_list], pos)?;
        nodes.push(self.bind(spec.type_name, make, pos)?);
        let rtype = |c: &mut Self| c.compile_ref(spec.type_name, pos);
        if let Some((ctor, args)) = &spec.constructor {
            let t = rtype(self)?;
            let fields = self.symbol_list(args.iter().copied())?;
            let node = self.prim_call("record-constructor", vec![t, fields], pos)?;
            nodes.push(self.bind(ctor, node, pos)?);
        }
        if let Some(pred) = spec.predicate {
            let t = rtype(self)?;
            let node = self.prim_call("record-predicate", vec![t], pos)?;
            nodes.push(self.bind(pred, node, pos)?);
        }
        for (field, accessor, modifier) in &spec.fields {
            for (proc_name, kind) in [(accessor, "record-accessor"), (modifier, "record-modifier")]
            {
                if let Some(proc_name) = proc_name {
                    let t = rtype(self)?;
                    let f = self.quoted_symbol(field)?;
                    let node = self.prim_call(kind, vec![t, f], pos)?;
                    nodes.push(self.bind(proc_name, node, pos)?);
                }
            }
        }
        Ok(self.add(Node::Seq(nodes.into())))
    }

    fn symbol_list<'s>(
        &mut self,
        names: impl DoubleEndedIterator<Item = &'s str>,
    ) -> Result<NodeId> {
        let mut list = Value::Nil;
        for name in names.rev() {
            let sym = self.ctx.intern(name)?;
            list = self.ctx.cons(sym, list)?;
        }
        Ok(self.constant(list))
    }
}

/// Whether a quasiquoted datum contains `unquote` or `unquote-splicing` anywhere.
fn has_unquote(d: &Syntax) -> bool {
    match &d.datum {
        Datum::List(items, tail) => {
            matches!(
                items.first().and_then(Syntax::as_symbol),
                Some("unquote" | "unquote-splicing")
            ) || items.iter().any(has_unquote)
                || tail.as_deref().is_some_and(has_unquote)
        }
        Datum::Vector(items) => items.iter().any(has_unquote),
        _ => false,
    }
}

/// A parsed `define-record-type`.
struct RecordSpec<'s> {
    type_name: &'s str,
    constructor: Option<(&'s str, Vec<&'s str>)>,
    predicate: Option<&'s str>,
    /// (field, accessor, modifier)
    fields: Vec<(&'s str, Option<&'s str>, Option<&'s str>)>,
}

type SpecError = (Option<Pos>, String);

fn parse_record_type(items: &[Syntax]) -> std::result::Result<RecordSpec<'_>, SpecError> {
    let bad = |p: Pos, m: &str| (Some(p), m.to_string());
    if items.len() < 4 {
        return Err((
            None,
            "define-record-type needs a type, a constructor and a predicate".into(),
        ));
    }
    let type_name = items[1]
        .as_symbol()
        .ok_or_else(|| bad(items[1].pos, "record type name must be a symbol"))?;
    let mut fields = Vec::new();
    for f in &items[4..] {
        let parts = f
            .as_list()
            .filter(|p| !p.is_empty() && p.len() <= 3)
            .ok_or_else(|| bad(f.pos, "a field spec is (field accessor [modifier])"))?;
        let names: Vec<&str> = parts
            .iter()
            .map(|p| {
                p.as_symbol()
                    .ok_or_else(|| bad(p.pos, "field specs hold symbols"))
            })
            .collect::<Result<_, _>>()?;
        if fields.iter().any(|(n, _, _)| *n == names[0]) {
            return Err(bad(f.pos, "duplicate field"));
        }
        fields.push((names[0], names.get(1).copied(), names.get(2).copied()));
    }
    let constructor = match &items[2].datum {
        Datum::Bool(false) => None,
        Datum::Symbol(s) => Some((s.as_str(), fields.iter().map(|f| f.0).collect())),
        Datum::List(parts, None) if !parts.is_empty() => {
            let mut names = Vec::new();
            for p in parts {
                names.push(
                    p.as_symbol()
                        .ok_or_else(|| bad(p.pos, "constructor spec holds symbols"))?,
                );
            }
            for arg in &names[1..] {
                if !fields.iter().any(|f| f.0 == *arg) {
                    return Err(bad(
                        items[2].pos,
                        &format!("constructor names unknown field {arg}"),
                    ));
                }
            }
            let ctor = names.remove(0);
            Some((ctor, names))
        }
        _ => return Err(bad(items[2].pos, "bad record constructor spec")),
    };
    let predicate = match &items[3].datum {
        Datum::Bool(false) => None,
        Datum::Symbol(s) => Some(s.as_str()),
        _ => return Err(bad(items[3].pos, "record predicate name must be a symbol")),
    };
    Ok(RecordSpec {
        type_name,
        constructor,
        predicate,
        fields,
    })
}

/// The names a `define-record-type` form binds, for a body's slot scan.
pub fn record_type_names(items: &[Syntax]) -> Vec<&str> {
    match parse_record_type(items) {
        Ok(spec) => {
            let mut names = vec![spec.type_name];
            names.extend(spec.constructor.as_ref().map(|c| c.0));
            names.extend(spec.predicate);
            for (_, a, m) in &spec.fields {
                names.extend(*a);
                names.extend(*m);
            }
            names
        }
        Err(_) => Vec::new(),
    }
}
