//! Where the compiler meets macros: defining them (`define-syntax` at top level or in a
//! body, `let-syntax`, `letrec-syntax`), finding them, and expanding their uses.

use std::collections::HashMap;
use std::rc::Rc;

use super::code::NodeId;
use super::compiler::{err, Compiler};
use super::error::{Pos, Result};
use super::macros::{Macro, MAX_EXPANSIONS};
use super::reader::{Datum, Syntax};
use super::value::Value;

/// Macros by name.
pub type MacroTable = HashMap<String, Rc<Macro>>;

impl Compiler<'_> {
    /// The macro `name` refers to here, if any: local macros first, then (unless a local
    /// variable shadows it) the top-level ones.
    pub(super) fn macro_for(&self, name: &str) -> Option<Rc<Macro>> {
        for scope in self.local_macros.iter().rev() {
            if let Some(m) = scope.get(name) {
                return Some(m.clone());
            }
        }
        if self.is_local(name) {
            return None;
        }
        self.macros.get(name).cloned()
    }

    /// If `form` is a macro use, its expansion.
    pub(super) fn expand_use(&mut self, form: &Syntax) -> Result<Option<Syntax>> {
        let Some(name) = form
            .as_list()
            .and_then(|items| items.first())
            .and_then(Syntax::as_symbol)
        else {
            return Ok(None);
        };
        let Some(m) = self.macro_for(name) else {
            return Ok(None);
        };
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            return Err(err(
                form.pos,
                format!("more than {MAX_EXPANSIONS} macro expansions in one top-level form"),
            ));
        }
        let name = name.to_string();
        m.expand(form, &name).map(Some)
    }

    /// `(define-syntax name transformer)`: at top level for every later form, in a body
    /// for the rest of the body.
    pub(super) fn define_syntax(&mut self, items: &[Syntax], pos: Pos) -> Result<NodeId> {
        let [_, name, spec] = items else {
            return Err(err(pos, "define-syntax takes a name and a transformer"));
        };
        let name = name
            .as_symbol()
            .ok_or_else(|| err(name.pos, "define-syntax needs a name"))?;
        let m = Macro::parse(spec)?;
        match self.local_macros.last_mut() {
            Some(scope) if !self.scopes.is_empty() => {
                scope.insert(name.to_string(), m);
            }
            _ => {
                self.macros.insert(name.to_string(), m);
            }
        }
        Ok(self.constant(Value::Unspecified))
    }

    /// `(let-syntax ((name transformer)...) body...)`, and `letrec-syntax` (the same here:
    /// transformers are not evaluated, so each may use the others).
    pub(super) fn let_syntax(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let Some((bindings, body)) = args.split_first() else {
            return Err(err(pos, "let-syntax needs bindings and a body"));
        };
        let bindings = bindings
            .as_list()
            .ok_or_else(|| err(bindings.pos, "let-syntax bindings must be a list"))?;
        let mut scope = MacroTable::new();
        for b in bindings {
            match b.as_list() {
                Some([name, spec]) => {
                    let name = name
                        .as_symbol()
                        .ok_or_else(|| err(name.pos, "a macro needs a name"))?;
                    scope.insert(name.to_string(), Macro::parse(spec)?);
                }
                _ => return Err(err(b.pos, "a let-syntax binding is (name transformer)")),
            }
        }
        self.local_macros.push(scope);
        let mut items = vec![
            Syntax {
                datum: Datum::Symbol("let".to_string()),
                pos,
            },
            Syntax {
                datum: Datum::List(Vec::new(), None),
                pos,
            },
        ];
        items.extend(body.iter().cloned());
        let result = self.compile(&Syntax {
            datum: Datum::List(items, None),
            pos,
        });
        self.local_macros.pop();
        result
    }

    /// A body's forms with macro uses at its top expanded and its `define-syntax`es
    /// registered (so the definitions a macro makes get their slots).
    pub(super) fn expand_body(&mut self, body: &[Syntax]) -> Result<Vec<Syntax>> {
        let mut out = Vec::with_capacity(body.len());
        for form in body {
            let mut form = form.clone();
            while let Some(expanded) = self.expand_use(&form)? {
                form = expanded;
            }
            let head = form
                .as_list()
                .and_then(|i| i.first())
                .and_then(Syntax::as_symbol);
            if head == Some("define-syntax") && !self.is_local("define-syntax") {
                if let Some(items) = form.as_list() {
                    let [_, name, spec] = items else {
                        return Err(err(
                            form.pos,
                            "define-syntax takes a name and a transformer",
                        ));
                    };
                    let name = name
                        .as_symbol()
                        .ok_or_else(|| err(name.pos, "define-syntax needs a name"))?;
                    let m = Macro::parse(spec)?;
                    if let Some(scope) = self.local_macros.last_mut() {
                        scope.insert(name.to_string(), m);
                    }
                }
                continue;
            }
            out.push(form);
        }
        Ok(out)
    }
}
