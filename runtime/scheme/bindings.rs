//! The binding forms: `let`, named `let`, `let*`, `letrec`/`letrec*` and `do`. Each makes
//! frames directly (`Node::Let`) rather than closures it would call at once.

use super::code::{Lambda, Node, NodeId};
use super::compiler::{err, Compiler};
use super::error::{Pos, Result};
use super::reader::{Datum, Syntax};

/// Names the compiler makes up; a space keeps them out of reach of any program.
const HIDDEN_LOOP: &str = " loop";

/// The name an inlined `let` variable takes once its body is compiled: unreadable, so the
/// slot stays allocated but no later reference can reach it.
const OUT_OF_SCOPE: &str = " out of scope";

/// Whether compiling `form` may create a closure (or a body with definitions): then a `let`
/// around it needs a frame of its own, since a closure could capture its variables.
/// Conservative: the forms are recognised by name, even inside quoted data.
fn creates_closures(form: &Syntax) -> bool {
    let mut stack = vec![form];
    while let Some(f) = stack.pop() {
        match &f.datum {
            Datum::List(items, tail) => {
                let head = items.first().and_then(Syntax::as_symbol);
                let named_let =
                    head == Some("let") && items.get(1).and_then(Syntax::as_symbol).is_some();
                if named_let
                    || matches!(
                        head,
                        Some("lambda" | "define" | "do" | "define-record-type")
                    )
                {
                    return true;
                }
                stack.extend(items.iter());
                stack.extend(tail.as_deref());
            }
            Datum::Vector(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    false
}

impl Compiler<'_> {
    /// Whether a `let` whose bindings and body are `forms` can keep its variables in the
    /// enclosing frame: inside a procedure, with no closure that could capture them.
    fn can_inline(&self, forms: &[Syntax]) -> bool {
        !self.scopes.is_empty() && !forms.is_empty() && !forms.iter().any(creates_closures)
    }

    /// A `let` (or, if `sequential`, a `let*`) whose variables become extra slots of the
    /// enclosing frame: no frame is allocated when it runs. Only done when no closure can
    /// capture the variables (`can_inline`), so sharing the slots across runs is invisible.
    fn inline_let(
        &mut self,
        bindings: &[(&str, &Syntax, Pos)],
        body: &[Syntax],
        sequential: bool,
        pos: Pos,
    ) -> Result<NodeId> {
        if body.is_empty() {
            return Err(err(pos, "empty body"));
        }
        let base = self.scopes.last().map_or(0, Vec::len);
        let result = self.inline_let_in_scope(bindings, body, sequential);
        if let Some(scope) = self.scopes.last_mut() {
            for name in scope.iter_mut().skip(base) {
                *name = OUT_OF_SCOPE.to_string();
            }
        }
        result
    }

    fn inline_let_in_scope(
        &mut self,
        bindings: &[(&str, &Syntax, Pos)],
        body: &[Syntax],
        sequential: bool,
    ) -> Result<NodeId> {
        let mut nodes = Vec::with_capacity(bindings.len() + 1);
        let mut values = Vec::with_capacity(bindings.len());
        for (name, init, _) in bindings {
            // An init may itself hold an inlined `let`, which takes slots of this frame:
            // a variable's slot is known only when it is added.
            let value = self.compile(init)?;
            if sequential {
                let index = self.push_slot(name, init.pos)?;
                nodes.push(self.add(Node::SetLocal {
                    depth: 0,
                    index,
                    value,
                    init: true,
                }));
            } else {
                values.push(value);
            }
        }
        // For `let`, every init is compiled before any name is visible; the values go to
        // fresh slots, so storing one cannot change what another init reads.
        for ((name, init, _), value) in bindings.iter().zip(values) {
            let index = self.push_slot(name, init.pos)?;
            nodes.push(self.add(Node::SetLocal {
                depth: 0,
                index,
                value,
                init: true,
            }));
        }
        nodes.push(self.compile_seq(body)?);
        Ok(self.add(Node::Seq(nodes.into())))
    }

    /// Adds a slot named `name` to the innermost frame and returns its index.
    fn push_slot(&mut self, name: &str, pos: Pos) -> Result<u16> {
        let scope = self
            .scopes
            .last_mut()
            .ok_or_else(|| err(pos, "internal error: no frame to inline into"))?;
        let index = u16::try_from(scope.len()).map_err(|_| err(pos, "too many local variables"))?;
        scope.push(name.to_string());
        Ok(index)
    }

    fn bindings<'s>(&self, bindings: &'s Syntax) -> Result<Vec<(&'s str, &'s Syntax, Pos)>> {
        let items = bindings
            .as_list()
            .ok_or_else(|| err(bindings.pos, "bindings must be a list"))?;
        items
            .iter()
            .map(|b| match b.as_list() {
                Some([name, init]) => match name.as_symbol() {
                    Some(n) => Ok((n, init, b.pos)),
                    None => Err(err(name.pos, "a binding needs a variable name")),
                },
                _ => Err(err(b.pos, "a binding is (name value)")),
            })
            .collect()
    }

    pub(super) fn compile_let(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let Some(first) = args.first() else {
            return Err(err(pos, "let needs bindings and a body"));
        };
        if let Some(name) = first.as_symbol() {
            return self.compile_named_let(name, &args[1..], pos);
        }
        let bindings = self.bindings(first)?;
        let mut names: Vec<String> = Vec::new();
        for (n, _, p) in &bindings {
            if names.iter().any(|m| m == n) {
                return Err(err(*p, format!("duplicate binding {n}")));
            }
            names.push(n.to_string());
        }
        if self.can_inline(&args[1..]) {
            return self.inline_let(&bindings, &args[1..], false, pos);
        }
        let inits: Vec<NodeId> = bindings
            .iter()
            .map(|(_, init, _)| self.compile(init))
            .collect::<Result<_>>()?;
        let n = names.len();
        let lambda = self.body_lambda(names, n, false, &args[1..], pos)?;
        Ok(self.add(Node::Let {
            lambda,
            inits: inits.into(),
        }))
    }

    /// `(let name ((v init) ...) body)`: a frame holding the loop procedure, which is then
    /// called with the inits (evaluated outside that frame, as the standard says).
    fn compile_named_let(&mut self, name: &str, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let Some((bindings, body)) = args.split_first() else {
            return Err(err(pos, "named let needs bindings and a body"));
        };
        let bindings = self.bindings(bindings)?;
        let inits: Vec<NodeId> = bindings
            .iter()
            .map(|(_, init, _)| self.compile(init))
            .collect::<Result<_>>()?;
        let params: Vec<String> = bindings.iter().map(|(n, _, _)| n.to_string()).collect();
        let n = params.len();
        self.scopes.push(vec![name.to_string()]);
        let proc = self.body_lambda(params, n, false, body, pos);
        self.scopes.pop();
        let proc = proc?;
        self.code.name_lambda(proc, name);
        // The frame's body: (begin (set! name (lambda ...)) name)
        let make = self.add(Node::Lambda(proc));
        let set = self.add(Node::SetLocal {
            depth: 0,
            index: 0,
            value: make,
            init: true,
        });
        let loop_name = self.code.name_id(name);
        let get = self.add(Node::Local {
            depth: 0,
            index: 0,
            name: loop_name,
            pos,
        });
        let body = self.add(Node::Seq(vec![set, get].into()));
        let holder = self.code.add_lambda(Lambda {
            required: 0,
            rest: false,
            frame_size: 1,
            body,
            name: None,
        });
        self.code.mark_loop(holder, proc);
        let func = self.add(Node::Let {
            lambda: holder,
            inits: Box::new([]),
        });
        let mut parts = vec![func];
        parts.extend(inits);
        Ok(self.add(Node::Call {
            parts: parts.into(),
            pos,
        }))
    }

    pub(super) fn compile_let_star(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let Some((bindings, body)) = args.split_first() else {
            return Err(err(pos, "let* needs bindings and a body"));
        };
        let bindings = self.bindings(bindings)?;
        if self.can_inline(args) {
            return self.inline_let(&bindings, body, true, pos);
        }
        if bindings.is_empty() {
            let lambda = self.body_lambda(Vec::new(), 0, false, body, pos)?;
            return Ok(self.add(Node::Let {
                lambda,
                inits: Box::new([]),
            }));
        }
        // One frame per binding, built without recursion: compile each init with the
        // previous bindings in scope, then the body, then wrap the frames inside out.
        let depth_before = self.scopes.len();
        let mut inits = Vec::with_capacity(bindings.len());
        let mut result = Ok(());
        for (i, (name, init, _)) in bindings.iter().enumerate() {
            match self.compile(init) {
                Ok(node) => inits.push(node),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            if i + 1 < bindings.len() {
                self.scopes.push(vec![name.to_string()]);
            }
        }
        let last = bindings
            .last()
            .map(|(n, _, _)| n.to_string())
            .unwrap_or_default();
        let inner = match result {
            Ok(()) => self.body_lambda(vec![last], 1, false, body, pos),
            Err(e) => Err(e),
        };
        // A binding's frame may have grown while later inits compiled (an inlined `let`
        // takes slots in the innermost frame): size each frame by its final scope.
        let sizes: Vec<usize> = self.scopes[depth_before.min(self.scopes.len())..]
            .iter()
            .map(Vec::len)
            .collect();
        self.scopes.truncate(depth_before);
        let mut lambda = inner?;
        let mut node = 0;
        for (i, init) in inits.into_iter().enumerate().rev() {
            node = self.add(Node::Let {
                lambda,
                inits: Box::new([init]),
            });
            if i > 0 {
                lambda = self.code.add_lambda(Lambda {
                    required: 1,
                    rest: false,
                    frame_size: sizes.get(i - 1).copied().unwrap_or(1),
                    body: node,
                    name: None,
                });
            }
        }
        Ok(node)
    }

    pub(super) fn compile_letrec(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        let Some((bindings, body)) = args.split_first() else {
            return Err(err(pos, "letrec needs bindings and a body"));
        };
        let bindings = self.bindings(bindings)?;
        let names: Vec<String> = bindings.iter().map(|(n, _, _)| n.to_string()).collect();
        self.scopes.push(names);
        let sets: Result<Vec<NodeId>> = bindings
            .iter()
            .enumerate()
            .map(|(index, (name, init, _))| {
                let value = self.compile(init)?;
                if let Node::Lambda(id) = self.code.node(value) {
                    let id = *id;
                    self.code.name_lambda(id, name);
                }
                Ok(self.add(Node::SetLocal {
                    depth: 0,
                    index: index as u16,
                    value,
                    init: true,
                }))
            })
            .collect();
        let names = self.scopes.pop().unwrap_or_default();
        let sets = sets?;
        // The body runs in a frame of its own (its defines must not clash with the bindings).
        self.scopes.push(names);
        let inner = self.body_lambda(Vec::new(), 0, false, body, pos);
        let names = self.scopes.pop().unwrap_or_default();
        let inner = inner?;
        let run_body = self.add(Node::Let {
            lambda: inner,
            inits: Box::new([]),
        });
        let mut seq = sets;
        seq.push(run_body);
        let seq = self.add(Node::Seq(seq.into()));
        let outer = self.code.add_lambda(Lambda {
            required: 0,
            rest: false,
            frame_size: names.len(),
            body: seq,
            name: None,
        });
        Ok(self.add(Node::Let {
            lambda: outer,
            inits: Box::new([]),
        }))
    }

    pub(super) fn compile_do(&mut self, args: &[Syntax], pos: Pos) -> Result<NodeId> {
        // (do ((var init step)...) (test expr...) body...) =>
        // (let <loop> ((var init)...) (if test (begin expr...) (begin body... (<loop> step...))))
        let (Some(specs), Some(exit)) = (args.first(), args.get(1)) else {
            return Err(err(pos, "do needs variable specs and an exit clause"));
        };
        let specs = specs
            .as_list()
            .ok_or_else(|| err(specs.pos, "do variable specs must be a list"))?;
        let exit = exit
            .as_list()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| err(exit.pos, "do needs an exit clause (test expr...)"))?;
        let sym = |s: &str, pos: Pos| Syntax {
            datum: Datum::Symbol(s.to_string()),
            pos,
        };
        let list = |items: Vec<Syntax>, pos: Pos| Syntax {
            datum: Datum::List(items, None),
            pos,
        };
        let mut bindings = Vec::new();
        let mut steps = vec![sym(HIDDEN_LOOP, pos)];
        for spec in specs {
            match spec.as_list() {
                Some([var, init]) if var.as_symbol().is_some() => {
                    bindings.push(list(vec![var.clone(), init.clone()], spec.pos));
                    steps.push(var.clone());
                }
                Some([var, init, step]) if var.as_symbol().is_some() => {
                    bindings.push(list(vec![var.clone(), init.clone()], spec.pos));
                    steps.push(step.clone());
                }
                _ => return Err(err(spec.pos, "a do spec is (var init [step])")),
            }
        }
        let mut body_items = vec![sym("begin", pos)];
        body_items.extend(args[2..].iter().cloned());
        body_items.push(list(steps, pos));
        let exit_expr = if exit.len() == 1 {
            // No result expressions: the value is unspecified, as `(if #f #f)` says.
            let f = Syntax {
                datum: Datum::Bool(false),
                pos,
            };
            list(vec![sym("if", pos), f.clone(), f], pos)
        } else {
            let mut items = vec![sym("begin", pos)];
            items.extend(exit[1..].iter().cloned());
            list(items, pos)
        };
        let body = list(
            vec![
                sym("if", pos),
                exit[0].clone(),
                exit_expr,
                list(body_items, pos),
            ],
            pos,
        );
        let named = [sym(HIDDEN_LOOP, pos), list(bindings, pos), body];
        self.compile_named_let(HIDDEN_LOOP, &named[1..], pos)
    }
}
