//! Interned names: each distinct string gets a dense `u32` index once, and the index gives the
//! string back (the globals' slots and the compiler's local-variable names both use it).

use std::collections::HashMap;

/// A string interner with dense indices from 0.
#[derive(Default)]
pub struct Names {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    /// The index of `name` and whether it was new (indices are handed out in order: a new
    /// one is the previous count).
    pub fn intern(&mut self, name: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        (id, true)
    }

    /// The name with index `id`, if one was interned.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn each_name_gets_one_dense_index() {
        let mut names = Names::default();
        assert_eq!(names.intern("x"), (0, true));
        assert_eq!(names.intern("y"), (1, true));
        assert_eq!(names.intern("x"), (0, false));
        assert_eq!(names.get(1), Some("y"));
        assert_eq!(names.get(2), None);
    }
}
