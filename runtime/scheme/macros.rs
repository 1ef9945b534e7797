//! `syntax-rules` macros: `define-syntax`, `let-syntax` and `letrec-syntax`.
//!
//! Patterns may use literals, `_`, nested lists and vectors, dotted tails and an ellipsis
//! (also followed by more patterns, and a custom ellipsis as in R7RS). Templates may use
//! nested ellipses and `(... ...)`. Expansion is not hygienic: a symbol the template
//! introduces means whatever it means where the macro is used. Syntax the template adds
//! takes the position of the macro use, so errors in an expansion point at the use.

use std::collections::HashMap;
use std::rc::Rc;

use super::compiler::err;
use super::error::{Pos, Result};
use super::reader::{Datum, Syntax};

/// The most expansions while compiling one top-level form.
pub const MAX_EXPANSIONS: usize = 100_000;

/// The deepest nesting an expansion may produce (the compiler recurses over nesting).
const MAX_EXPANSION_DEPTH: usize = 1_000;

/// A `syntax-rules` transformer.
pub struct Macro {
    ellipsis: String,
    literals: Vec<String>,
    rules: Vec<(Syntax, Syntax)>,
}

/// What a pattern variable matched.
#[derive(Clone)]
enum Binding {
    One(Syntax),
    Many(Vec<Binding>),
}

type Bindings = HashMap<String, Binding>;

impl Macro {
    /// Parses `(syntax-rules (literal...) (pattern template)...)`.
    pub fn parse(spec: &Syntax) -> Result<Rc<Macro>> {
        let pos = spec.pos;
        let items = spec
            .as_list()
            .filter(|i| i.first().and_then(Syntax::as_symbol) == Some("syntax-rules"))
            .ok_or_else(|| err(pos, "only syntax-rules transformers are supported"))?;
        let (ellipsis, rest) = match items.get(1).and_then(Syntax::as_symbol) {
            Some(e) => (e.to_string(), &items[2..]),
            None => ("...".to_string(), &items[1..]),
        };
        let (lits, rules) = rest
            .split_first()
            .ok_or_else(|| err(pos, "syntax-rules needs a literal list"))?;
        let literals = lits
            .as_list()
            .ok_or_else(|| err(lits.pos, "syntax-rules literals must be a list"))?
            .iter()
            .map(|l| {
                l.as_symbol()
                    .map(str::to_string)
                    .ok_or_else(|| err(l.pos, "a literal must be a symbol"))
            })
            .collect::<Result<_>>()?;
        let rules = rules
            .iter()
            .map(|r| match r.as_list() {
                Some([pattern, template]) if matches!(pattern.datum, Datum::List(..)) => {
                    Ok((pattern.clone(), template.clone()))
                }
                _ => Err(err(r.pos, "a syntax rule is ((pattern...) template)")),
            })
            .collect::<Result<_>>()?;
        Ok(Rc::new(Macro {
            ellipsis,
            literals,
            rules,
        }))
    }

    /// Expands the use `form` (a list whose head names this macro).
    pub fn expand(&self, form: &Syntax, name: &str) -> Result<Syntax> {
        for (pattern, template) in &self.rules {
            let mut b = Bindings::new();
            // The keyword position of the pattern is ignored.
            let (Datum::List(pitems, ptail), Datum::List(fitems, ftail)) =
                (&pattern.datum, &form.datum)
            else {
                continue;
            };
            if pitems.is_empty() || fitems.is_empty() {
                continue;
            }
            if self.match_seq(
                &pitems[1..],
                ptail.as_deref(),
                &fitems[1..],
                ftail.as_deref(),
                &mut b,
            ) {
                let out = self.instantiate(template, &b, form.pos)?;
                if depth(&out) > MAX_EXPANSION_DEPTH {
                    return Err(err(
                        form.pos,
                        format!("the expansion of {name} nests deeper than {MAX_EXPANSION_DEPTH} levels"),
                    ));
                }
                return Ok(out);
            }
        }
        Err(err(
            form.pos,
            format!("no syntax rule of {name} matches this use"),
        ))
    }

    fn is_ellipsis(&self, s: &Syntax) -> bool {
        s.as_symbol() == Some(self.ellipsis.as_str())
    }

    fn match_one(&self, p: &Syntax, f: &Syntax, b: &mut Bindings) -> bool {
        match &p.datum {
            Datum::Symbol(s) if s == "_" => true,
            Datum::Symbol(s) if self.literals.contains(s) => f.as_symbol() == Some(s),
            Datum::Symbol(s) => {
                b.insert(s.clone(), Binding::One(f.clone()));
                true
            }
            Datum::List(pitems, ptail) => match &f.datum {
                Datum::List(fitems, ftail) => {
                    self.match_seq(pitems, ptail.as_deref(), fitems, ftail.as_deref(), b)
                }
                _ => pitems.is_empty() && ptail.as_deref().is_some_and(|t| self.match_one(t, f, b)),
            },
            Datum::Vector(pitems) => match &f.datum {
                Datum::Vector(fitems) => self.match_seq(pitems, None, fitems, None, b),
                _ => false,
            },
            Datum::Bool(x) => matches!(&f.datum, Datum::Bool(y) if x == y),
            Datum::Int(x) => matches!(&f.datum, Datum::Int(y) if x == y),
            Datum::Float(x) => matches!(&f.datum, Datum::Float(y) if x == y),
            Datum::Char(x) => matches!(&f.datum, Datum::Char(y) if x == y),
            Datum::Str(x) => matches!(&f.datum, Datum::Str(y) if x == y),
        }
    }

    /// Matches pattern items (with an optional tail pattern) against form items.
    fn match_seq(
        &self,
        pitems: &[Syntax],
        ptail: Option<&Syntax>,
        fitems: &[Syntax],
        ftail: Option<&Syntax>,
        b: &mut Bindings,
    ) -> bool {
        let ell = pitems.iter().position(|p| self.is_ellipsis(p));
        match ell {
            Some(e) if e > 0 => {
                let before = &pitems[..e - 1];
                let repeated = &pitems[e - 1];
                let after = &pitems[e + 1..];
                if fitems.len() < before.len() + after.len() {
                    return false;
                }
                let split = fitems.len() - after.len();
                if !before
                    .iter()
                    .zip(fitems)
                    .all(|(p, f)| self.match_one(p, f, b))
                {
                    return false;
                }
                let mut runs = Vec::new();
                for f in &fitems[before.len()..split] {
                    let mut inner = Bindings::new();
                    if !self.match_one(repeated, f, &mut inner) {
                        return false;
                    }
                    runs.push(inner);
                }
                for v in pattern_vars(repeated, self) {
                    let items = runs
                        .iter()
                        .map(|r| r.get(&v).cloned().unwrap_or(Binding::Many(Vec::new())))
                        .collect();
                    b.insert(v, Binding::Many(items));
                }
                if !after
                    .iter()
                    .zip(&fitems[split..])
                    .all(|(p, f)| self.match_one(p, f, b))
                {
                    return false;
                }
                match (ptail, ftail) {
                    (None, None) => true,
                    (Some(pt), None) => self.match_one(pt, &empty(pt.pos), b),
                    (Some(pt), Some(ft)) => self.match_one(pt, ft, b),
                    (None, Some(_)) => false,
                }
            }
            _ => {
                if fitems.len() < pitems.len() {
                    return false;
                }
                if ptail.is_none() && (fitems.len() != pitems.len() || ftail.is_some()) {
                    return false;
                }
                if !pitems
                    .iter()
                    .zip(fitems)
                    .all(|(p, f)| self.match_one(p, f, b))
                {
                    return false;
                }
                match ptail {
                    None => true,
                    Some(pt) => {
                        let rest = &fitems[pitems.len()..];
                        let rest = Syntax {
                            datum: Datum::List(rest.to_vec(), ftail.map(|t| Box::new(t.clone()))),
                            pos: rest.first().map_or(pt.pos, |r| r.pos),
                        };
                        let rest = match (&rest.datum, ftail) {
                            (Datum::List(items, None), _) if items.is_empty() => empty(pt.pos),
                            (Datum::List(items, Some(t)), _) if items.is_empty() => (**t).clone(),
                            _ => rest,
                        };
                        self.match_one(pt, &rest, b)
                    }
                }
            }
        }
    }

    fn instantiate(&self, t: &Syntax, b: &Bindings, pos: Pos) -> Result<Syntax> {
        Ok(match &t.datum {
            Datum::Symbol(s) => match b.get(s) {
                Some(Binding::One(v)) => v.clone(),
                Some(Binding::Many(_)) => {
                    return Err(err(
                        pos,
                        format!("pattern variable {s} used without {}", self.ellipsis),
                    ))
                }
                None => Syntax {
                    datum: t.datum.clone(),
                    pos,
                },
            },
            Datum::List(items, tail) => {
                // (... ...) stands for the ellipsis itself; (... template) quotes it.
                if let [first, rest] = &items[..] {
                    if self.is_ellipsis(first) && tail.is_none() {
                        return Ok(strip(rest, pos));
                    }
                }
                let items = self.instantiate_items(items, b, pos)?;
                let tail = match tail {
                    Some(t) => Some(Box::new(self.instantiate(t, b, pos)?)),
                    None => None,
                };
                Syntax {
                    datum: Datum::List(items, tail),
                    pos,
                }
            }
            Datum::Vector(items) => Syntax {
                datum: Datum::Vector(self.instantiate_items(items, b, pos)?),
                pos,
            },
            _ => Syntax {
                datum: t.datum.clone(),
                pos,
            },
        })
    }

    fn instantiate_items(&self, items: &[Syntax], b: &Bindings, pos: Pos) -> Result<Vec<Syntax>> {
        let mut out = Vec::with_capacity(items.len());
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            if items.get(i + 1).is_some_and(|n| self.is_ellipsis(n)) {
                let vars: Vec<String> = pattern_vars(item, self)
                    .into_iter()
                    .filter(|v| matches!(b.get(v), Some(Binding::Many(_))))
                    .collect();
                if vars.is_empty() {
                    return Err(err(
                        pos,
                        format!(
                            "{} follows a template without pattern variables",
                            self.ellipsis
                        ),
                    ));
                }
                let len = vars
                    .iter()
                    .filter_map(|v| match b.get(v) {
                        Some(Binding::Many(m)) => Some(m.len()),
                        _ => None,
                    })
                    .min()
                    .unwrap_or(0);
                for k in 0..len {
                    let mut inner = b.clone();
                    for v in &vars {
                        if let Some(Binding::Many(m)) = b.get(v) {
                            inner.insert(v.clone(), m[k].clone());
                        }
                    }
                    out.push(self.instantiate(item, &inner, pos)?);
                }
                i += 2;
            } else {
                out.push(self.instantiate(item, b, pos)?);
                i += 1;
            }
        }
        Ok(out)
    }
}

/// The pattern variables of a pattern (or the symbols of a template).
fn pattern_vars(p: &Syntax, m: &Macro) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![p];
    while let Some(s) = stack.pop() {
        match &s.datum {
            Datum::Symbol(name)
                if name != "_" && *name != m.ellipsis && !m.literals.contains(name) =>
            {
                out.push(name.clone())
            }
            Datum::List(items, tail) => {
                stack.extend(items.iter());
                stack.extend(tail.as_deref());
            }
            Datum::Vector(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    out
}

fn empty(pos: Pos) -> Syntax {
    Syntax {
        datum: Datum::List(Vec::new(), None),
        pos,
    }
}

/// A template quoted by `(... template)`: copied as it is, at `pos`.
fn strip(t: &Syntax, pos: Pos) -> Syntax {
    Syntax {
        datum: t.datum.clone(),
        pos,
    }
}

/// How deeply `s` nests.
fn depth(s: &Syntax) -> usize {
    let mut max = 0;
    let mut stack = vec![(s, 1)];
    while let Some((s, d)) = stack.pop() {
        max = max.max(d);
        match &s.datum {
            Datum::List(items, tail) => {
                stack.extend(items.iter().map(|i| (i, d + 1)));
                stack.extend(tail.as_deref().map(|t| (t, d + 1)));
            }
            Datum::Vector(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    max
}
