//! The special forms: which heads they are, and compiling each (most in `bindings`,
//! `expand`, `derived` and `macro_use`).

use super::code::Node;
use super::code::NodeId;
use super::compiler::{err, Compiler};
use super::error::Result;
use super::reader::Syntax;
use super::value::Value;

/// The heads `special_form` compiles.
const SPECIAL_FORMS: &[&str] = &[
    "quote",
    "quasiquote",
    "unquote",
    "unquote-splicing",
    "lambda",
    "let-syntax",
    "letrec-syntax",
    "define",
    "define-record-type",
    "define-values",
    "define-syntax",
    "import",
    "set!",
    "if",
    "begin",
    "let",
    "let*",
    "letrec",
    "letrec*",
    "and",
    "or",
    "when",
    "unless",
    "cond",
    "case",
    "do",
    "case-lambda",
    "let-values",
    "let*-values",
    "guard",
    "delay",
    "delay-force",
    "parameterize",
];

impl Compiler<'_> {
    /// A special form (`head` not shadowed by a local), or `None` for a call. Apart from
    /// `compile_list` so that a plain call, the form deep nesting is made of, does not
    /// carry this function's large frame (debug builds recurse through it per level).
    pub(super) fn special_form(
        &mut self,
        head: &str,
        form: &Syntax,
        items: &[Syntax],
    ) -> Result<Option<NodeId>> {
        if !SPECIAL_FORMS.contains(&head) {
            return Ok(None);
        }
        self.compile_special(head, form, items).map(Some)
    }

    fn compile_special(&mut self, head: &str, form: &Syntax, items: &[Syntax]) -> Result<NodeId> {
        let pos = form.pos;
        let args = &items[1..];
        match head {
            "quote" => {
                let [d] = args else {
                    return Err(err(pos, "quote takes one datum"));
                };
                let v = self.ctx.datum_to_value(d)?;
                Ok(self.constant(v))
            }
            "quasiquote" => {
                let [d] = args else {
                    return Err(err(pos, "quasiquote takes one datum"));
                };
                self.quasi(d, 1)
            }
            "unquote" | "unquote-splicing" => Err(err(pos, format!("{head} outside quasiquote"))),
            "lambda" => {
                let Some((params, body)) = args.split_first() else {
                    return Err(err(pos, "lambda needs parameters and a body"));
                };
                let id = self.compile_lambda(params, body, pos)?;
                Ok(self.add(Node::Lambda(id)))
            }
            "let-syntax" | "letrec-syntax" => self.let_syntax(args, pos),
            "define" | "define-record-type" | "define-values" | "define-syntax" => {
                Err(err(pos, format!("{head} is not allowed here")))
            }
            "import" => Err(err(pos, "import is only allowed at top level")),
            "set!" => self.compile_set(args, pos),
            "if" => self.compile_if(args, pos),
            "begin" => {
                if args.is_empty() {
                    return Ok(self.constant(Value::Unspecified));
                }
                self.compile_seq(args)
            }
            "let" => self.compile_let(args, pos),
            "let*" => self.compile_let_star(args, pos),
            "letrec" | "letrec*" => self.compile_letrec(args, pos),
            "and" | "or" => {
                if args.is_empty() {
                    return Ok(self.constant(Value::Bool(head == "and")));
                }
                let nodes = self.compile_all(args)?;
                Ok(self.add(if head == "and" {
                    Node::And(nodes.into())
                } else {
                    Node::Or(nodes.into())
                }))
            }
            "when" | "unless" => {
                let Some((test, body)) = args.split_first() else {
                    return Err(err(pos, format!("{head} needs a test")));
                };
                let test = self.compile(test)?;
                let body = if body.is_empty() {
                    self.constant(Value::Unspecified)
                } else {
                    self.compile_seq(body)?
                };
                let none = self.constant(Value::Unspecified);
                let (then, alt) = if head == "when" {
                    (body, none)
                } else {
                    (none, body)
                };
                Ok(self.add(Node::If { test, then, alt }))
            }
            "cond" => self.compile_cond(args, pos),
            "case" => self.compile_case(args, pos),
            "do" => self.compile_do(args, pos),
            "case-lambda" => {
                let expanded = self.case_lambda(args, pos)?;
                self.compile(&expanded)
            }
            "let-values" | "let*-values" => {
                let expanded = self.let_values(args, head == "let*-values", pos)?;
                self.compile(&expanded)
            }
            "guard" => self.compile_guard(args, pos),
            "delay" | "delay-force" => {
                let expanded = self.delay(args, head == "delay-force", pos)?;
                self.compile(&expanded)
            }
            "parameterize" => {
                let expanded = self.parameterize(args, pos)?;
                self.compile(&expanded)
            }
            _ => Err(err(pos, "internal error: not a special form")),
        }
    }
}
