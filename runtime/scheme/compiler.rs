//! The compiler: [`Syntax`] to [`Node`]s, with variables resolved to frame slots.
//!
//! Every derived form (let*, letrec, named let, do, cond, case, when, unless, quasiquote,
//! define-record-type) becomes a handful of core nodes here, so the machine stays small.
//! The compiler recurses over the syntax tree, whose depth the reader bounds; forms that
//! may be long rather than deep (cond clauses, let* bindings, list items) are compiled with
//! loops.

use super::code::{Code, Lambda, LambdaId, Node, NodeId};
use super::ctx::Ctx;
use super::derived::HIDDEN;
use super::error::{Pos, Result, SchemeError};
use super::globals::Globals;
use super::macro_use::MacroTable;
use super::primitives;
use super::reader::{Datum, Syntax};
use super::value::Value;

/// Compiles top-level forms into a code store.
pub struct Compiler<'a> {
    pub(super) code: &'a mut Code,
    pub(super) globals: &'a mut Globals,
    pub(super) ctx: &'a mut Ctx,
    /// The frames in scope, innermost last; each lists its slots' names.
    pub(super) scopes: Vec<Vec<String>>,
    /// Top-level macros (they outlive the compiler: the interpreter keeps them).
    pub(super) macros: &'a mut MacroTable,
    /// Macros of `let-syntax`, `letrec-syntax` and bodies, innermost last.
    pub(super) local_macros: Vec<MacroTable>,
    /// Macro expansions so far (bounded: a macro may expand forever).
    pub(super) expansions: usize,
}

pub(super) fn err(pos: Pos, msg: impl Into<String>) -> SchemeError {
    SchemeError::at(pos, msg)
}

/// A variable reference, resolved.
enum Var {
    Local(u16, u16),
    Global(u32),
}

impl<'a> Compiler<'a> {
    /// A compiler that adds to `code` and `globals`, allocating constants through `ctx`,
    /// with the top-level `macros` defined so far.
    pub fn new(
        code: &'a mut Code,
        globals: &'a mut Globals,
        ctx: &'a mut Ctx,
        macros: &'a mut MacroTable,
    ) -> Compiler<'a> {
        Compiler {
            code,
            globals,
            ctx,
            scopes: Vec::new(),
            macros,
            local_macros: Vec::new(),
            expansions: 0,
        }
    }

    /// Compiles one top-level form.
    pub fn compile_toplevel(&mut self, form: &Syntax) -> Result<NodeId> {
        self.compile_body_form(form, true)
    }

    pub(super) fn add(&mut self, node: Node) -> NodeId {
        self.code.add(node)
    }

    pub(super) fn constant(&mut self, v: Value) -> NodeId {
        self.add(Node::Const(v))
    }

    fn resolve(&mut self, name: &str, pos: Pos) -> Result<Var> {
        for (depth, scope) in self.scopes.iter().rev().enumerate() {
            if let Some(index) = scope.iter().rposition(|n| n == name) {
                let depth =
                    u16::try_from(depth).map_err(|_| err(pos, "scopes nested too deeply"))?;
                let index = u16::try_from(index).map_err(|_| err(pos, "too many variables"))?;
                return Ok(Var::Local(depth, index));
            }
        }
        Ok(Var::Global(self.globals.id(name)))
    }

    pub(super) fn is_local(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    /// A form in a body or at top level, where `define` is allowed.
    fn compile_body_form(&mut self, form: &Syntax, toplevel: bool) -> Result<NodeId> {
        if let Some(mut expanded) = self.expand_use(form)? {
            // Expanded in a loop: a macro whose use expands to another use recurses only
            // as deep as what it builds nests.
            while let Some(next) = self.expand_use(&expanded)? {
                expanded = next;
            }
            return self.compile_body_form(&expanded, toplevel);
        }
        if let Some(items) = form.as_list() {
            if let Some(head) = items.first().and_then(Syntax::as_symbol) {
                if !self.is_local(head) {
                    match head {
                        "define" => return self.compile_define(form, items),
                        "define-record-type" => return self.compile_record_type(form, items),
                        "define-values" => {
                            let expanded = self.define_values(items, form.pos)?;
                            return self.compile_body_form(&expanded, toplevel);
                        }
                        "define-syntax" => return self.define_syntax(items, form.pos),
                        "begin" if items.len() > 1 => {
                            let mut nodes = Vec::with_capacity(items.len() - 1);
                            for f in &items[1..] {
                                nodes.push(self.compile_body_form(f, toplevel)?);
                            }
                            return Ok(self.add(Node::Seq(nodes.into())));
                        }
                        "import" if toplevel => return Ok(self.constant(Value::Unspecified)),
                        _ => {}
                    }
                }
            }
        }
        self.compile(form)
    }

    /// Compiles an expression.
    pub fn compile(&mut self, form: &Syntax) -> Result<NodeId> {
        let pos = form.pos;
        match &form.datum {
            Datum::Symbol(name) => self.compile_ref(name, pos),
            Datum::List(items, None) if !items.is_empty() => self.compile_list(form, items),
            Datum::List(items, _) if items.is_empty() => Err(err(pos, "empty combination ()")),
            Datum::List(_, Some(_)) => Err(err(pos, "a dotted list is not an expression")),
            Datum::Vector(_) | Datum::Str(_) | Datum::Int(_) | Datum::Float(_) => {
                let v = self.ctx.datum_to_value(form)?;
                Ok(self.constant(v))
            }
            Datum::Bool(b) => Ok(self.constant(Value::Bool(*b))),
            Datum::Char(c) => Ok(self.constant(Value::Char(*c))),
            Datum::List(..) => Err(err(pos, "empty combination ()")),
        }
    }

    pub(super) fn compile_ref(&mut self, name: &str, pos: Pos) -> Result<NodeId> {
        Ok(match self.resolve(name, pos)? {
            Var::Local(depth, index) => {
                let name = self.code.name_id(name);
                self.add(Node::Local {
                    depth,
                    index,
                    name,
                    pos,
                })
            }
            Var::Global(_) if name.starts_with(HIDDEN) => {
                let prim = primitives::internal(&name[HIDDEN.len_utf8()..])
                    .ok_or_else(|| err(pos, format!("internal error: no primitive {name:?}")))?;
                self.add(Node::Const(Value::Primitive(prim)))
            }
            Var::Global(id) => self.add(Node::Global { id, pos }),
        })
    }

    fn compile_list(&mut self, form: &Syntax, items: &[Syntax]) -> Result<NodeId> {
        let pos = form.pos;
        if let Some(mut expanded) = self.expand_use(form)? {
            while let Some(next) = self.expand_use(&expanded)? {
                expanded = next;
            }
            return self.compile(&expanded);
        }
        if let Some(head) = items[0].as_symbol() {
            if !self.is_local(head) {
                if let Some(node) = self.special_form(head, form, items)? {
                    return Ok(node);
                }
            }
        }
        let parts = self.compile_all(items)?;
        Ok(self.add(Node::Call {
            parts: parts.into(),
            pos,
        }))
    }

    pub(super) fn compile_all(&mut self, forms: &[Syntax]) -> Result<Vec<NodeId>> {
        forms.iter().map(|f| self.compile(f)).collect()
    }

    pub(super) fn compile_seq(&mut self, forms: &[Syntax]) -> Result<NodeId> {
        if let [one] = forms {
            return self.compile(one);
        }
        let nodes = self.compile_all(forms)?;
        Ok(self.add(Node::Seq(nodes.into())))
    }

    pub(super) fn compile_if(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let (test, then, alt) = match args {
            [t, c] => (t, c, None),
            [t, c, a] => (t, c, Some(a)),
            _ => {
                return Err(err(
                    pos,
                    "if takes a test, a consequent and an optional alternative",
                ))
            }
        };
        let test = self.compile(test)?;
        let then = self.compile(then)?;
        let alt = match alt {
            Some(a) => self.compile(a)?,
            None => self.constant(Value::Unspecified),
        };
        Ok(self.add(Node::If { test, then, alt }))
    }

    pub(super) fn compile_set(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let [target, value] = args else {
            return Err(err(pos, "set! takes a variable and a value"));
        };
        let name = target
            .as_symbol()
            .ok_or_else(|| err(target.pos, "set! needs a variable name"))?;
        let value = self.compile(value)?;
        Ok(match self.resolve(name, pos)? {
            Var::Local(depth, index) => self.add(Node::SetLocal {
                depth,
                index,
                value,
                init: false,
            }),
            Var::Global(id) => self.add(Node::SetGlobal { id, value, pos }),
        })
    }

    fn compile_define(&mut self, form: &Syntax, items: &[Syntax]) -> Result<NodeId> {
        let pos = form.pos;
        let (name, value) = match items.get(1).map(|s| &s.datum) {
            Some(Datum::Symbol(name)) => {
                let value = match &items[2..] {
                    [] => self.constant(Value::Unspecified),
                    [v] => self.compile(v)?,
                    _ => return Err(err(pos, "define takes a name and one value")),
                };
                (name.clone(), value)
            }
            Some(Datum::List(sig, tail)) if !sig.is_empty() => {
                let name = sig[0]
                    .as_symbol()
                    .ok_or_else(|| err(sig[0].pos, "define needs a procedure name"))?
                    .to_string();
                let params = Syntax {
                    datum: Datum::List(sig[1..].to_vec(), tail.clone()),
                    pos: items[1].pos,
                };
                let params = match (&params.datum, sig.len()) {
                    (Datum::List(_, Some(t)), 1) => (**t).clone(),
                    _ => params,
                };
                let lambda = self.compile_lambda(&params, &items[2..], pos)?;
                self.code.name_lambda(lambda, &name);
                (name, self.add(Node::Lambda(lambda)))
            }
            _ => return Err(err(pos, "bad define")),
        };
        if let Node::Lambda(id) = self.code.node(value) {
            let id = *id;
            self.code.name_lambda(id, &name);
        }
        self.bind(&name, value, pos)
    }

    /// Binds `name` to `value`'s result in the innermost frame, or globally at top level.
    pub(super) fn bind(&mut self, name: &str, value: NodeId, pos: Pos) -> Result<NodeId> {
        if let Some(scope) = self.scopes.last() {
            // Body definitions were given slots by `scan_defines` before the body compiled.
            let index = scope
                .iter()
                .rposition(|n| n == name)
                .ok_or_else(|| err(pos, "define is only allowed in a body or at top level"))?;
            return Ok(self.add(Node::SetLocal {
                depth: 0,
                index: index as u16,
                value,
                init: true,
            }));
        }
        let id = self.globals.id(name);
        Ok(self.add(Node::DefineGlobal { id, value }))
    }

    /// Compiles `(lambda params body...)` into a lambda of the code store.
    pub(super) fn compile_lambda(
        &mut self,
        params: &Syntax,
        body: &[Syntax],
        pos: Pos,
    ) -> Result<LambdaId> {
        let mut names = Vec::new();
        let (fixed, rest): (&[Syntax], Option<&Syntax>) = match &params.datum {
            Datum::Symbol(_) => (&[], Some(params)),
            Datum::List(items, tail) => (items, tail.as_deref()),
            _ => return Err(err(params.pos, "bad parameter list")),
        };
        for p in fixed.iter().chain(rest) {
            let name = p
                .as_symbol()
                .ok_or_else(|| err(p.pos, "a parameter must be a symbol"))?;
            if names.iter().any(|n| n == name) {
                return Err(err(p.pos, format!("duplicate parameter {name}")));
            }
            names.push(name.to_string());
        }
        self.body_lambda(names, fixed.len(), rest.is_some(), body, pos)
    }

    /// Compiles a body in a new frame whose first slots are `params`.
    pub(super) fn body_lambda(
        &mut self,
        mut slots: Vec<String>,
        required: usize,
        rest: bool,
        body: &[Syntax],
        pos: Pos,
    ) -> Result<LambdaId> {
        if body.is_empty() {
            return Err(err(pos, "empty body"));
        }
        if slots.len() > u16::MAX as usize / 2 {
            return Err(err(pos, "too many parameters"));
        }
        // The body's own macros are visible in it (and in nothing else).
        self.local_macros.push(Default::default());
        let body = match self.expand_body(body) {
            Ok(body) => body,
            Err(e) => {
                self.local_macros.pop();
                return Err(e);
            }
        };
        scan_defines(&body, &mut slots);
        self.scopes.push(slots);
        let compiled: Result<Vec<NodeId>> = body
            .iter()
            .map(|f| self.compile_body_form(f, false))
            .collect();
        let slots = self.scopes.pop().unwrap_or_default();
        self.local_macros.pop();
        let mut compiled = compiled?;
        if slots.len() > u16::MAX as usize {
            return Err(err(pos, "too many local variables"));
        }
        let body = if compiled.len() == 1 {
            compiled.pop().unwrap_or(0)
        } else {
            self.add(Node::Seq(compiled.into()))
        };
        Ok(self.code.add_lambda(Lambda {
            required,
            rest,
            frame_size: slots.len(),
            body,
            name: None,
        }))
    }
}

/// Adds the names a body defines (`define`, `define-record-type`, inside `begin` too) to
/// `slots`, each once.
fn scan_defines(body: &[Syntax], slots: &mut Vec<String>) {
    let add = |name: &str, slots: &mut Vec<String>| {
        if !slots.iter().any(|s| s == name) {
            slots.push(name.to_string());
        }
    };
    let mut stack: Vec<&Syntax> = body.iter().rev().collect();
    while let Some(form) = stack.pop() {
        let Some(items) = form.as_list() else {
            continue;
        };
        match items.first().and_then(Syntax::as_symbol) {
            Some("define") => match items.get(1).map(|s| &s.datum) {
                Some(Datum::Symbol(n)) => add(n, slots),
                Some(Datum::List(sig, _)) => {
                    if let Some(n) = sig.first().and_then(Syntax::as_symbol) {
                        add(n, slots)
                    }
                }
                _ => {}
            },
            Some("define-record-type") => {
                for name in super::expand::record_type_names(items) {
                    add(name, slots);
                }
            }
            Some("define-values") => {
                for name in super::derived::define_values_names(items) {
                    add(name, slots);
                }
            }
            Some("begin") => stack.extend(items[1..].iter().rev()),
            _ => {}
        }
    }
}
