//! The global environment: one slot per top-level name, found by index at run time.

use super::names::Names;
use super::value::Value;

/// Top-level variables. The compiler turns each global name into an index once; the machine
/// reads and writes `values` by that index. Values live in a Rust `Vec`, so each is a root.
#[derive(Default)]
pub struct Globals {
    names: Names,
    values: Vec<Value>,
    /// Whether each variable still holds the primitive the interpreter installed in it
    /// (no program stored into it since): the machine may then run its inline version.
    builtin: Vec<bool>,
    /// Whether a program stored into a variable that held its installed primitive. Until
    /// then every variable a fast instruction names still holds its primitive (the code
    /// generator emits them only for such variables), and the machine skips `builtin`.
    touched: bool,
}

impl Globals {
    /// The index of `name`, creating an unbound variable if it is new.
    pub fn id(&mut self, name: &str) -> u32 {
        let (id, new) = self.names.intern(name);
        if new {
            self.values.push(Value::Undefined);
            self.builtin.push(false);
        }
        id
    }

    /// The value of variable `id` (`Value::Undefined` when unbound).
    #[inline]
    pub fn get(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }

    /// Sets variable `id` (it no longer holds an installed primitive).
    #[inline]
    pub fn set(&mut self, id: u32, value: Value) {
        self.values[id as usize] = value;
        let builtin = &mut self.builtin[id as usize];
        self.touched |= *builtin;
        *builtin = false;
    }

    /// Whether variable `id`, named by a fast instruction, still holds the primitive
    /// installed in it: one flag while no program stored into such a variable.
    #[inline(always)]
    pub fn is_builtin(&self, id: u32) -> bool {
        !self.touched || self.builtin[id as usize]
    }

    /// Whether variables `id` and `id2`, named by a fast instruction, both still hold their
    /// primitives.
    #[inline(always)]
    pub fn are_builtin(&self, id: u32, id2: u32) -> bool {
        !self.touched || (self.builtin[id as usize] && self.builtin[id2 as usize])
    }

    /// Whether variable `id` holds the primitive installed in it now (the code generator
    /// emits a fast instruction only then).
    pub fn holds_primitive(&self, id: u32) -> bool {
        self.builtin[id as usize]
    }

    /// The name of variable `id`.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id).expect("a variable's id comes from `id`")
    }

    /// Installs a primitive as `name`.
    pub fn define(&mut self, name: &str, value: Value) {
        let id = self.id(name);
        let primitive = matches!(value, Value::Primitive(_));
        self.values[id as usize] = value;
        let builtin = &mut self.builtin[id as usize];
        self.touched |= *builtin && !primitive;
        *builtin = primitive;
    }
}
