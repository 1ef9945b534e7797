//! `#[derive(Trace)]` on recursive types (through Box, Vec, Option, maps).

use prologue_gc::{Config, Gc, Heap, Trace};

#[derive(Trace)]
enum Expr {
    Num(f64),
    Add(Box<Expr>, Box<Expr>),
    Call(Gc<String>, Vec<Expr>),
}

#[derive(Trace)]
struct Tree {
    value: u32,
    kids: Vec<Tree>,
}

#[test]
fn recursive_types_derive_and_trace() {
    let heap = Heap::with_config(Config::default().torture(false));
    let name = heap.alloc(String::from("f"));
    let e = heap.alloc(Expr::Add(
        Box::new(Expr::Num(1.0)),
        Box::new(Expr::Call(name, vec![Expr::Num(2.0)])),
    ));
    let t = heap.alloc(Tree {
        value: 1,
        kids: vec![Tree {
            value: 2,
            kids: vec![],
        }],
    });
    assert_eq!(heap.collect().objects_live, 3);
    assert_eq!(t.kids[0].value + t.value, 3);
    drop((e, t));
    assert_eq!(heap.collect().objects_freed, 3);
}

#[derive(Trace)]
#[trace(recursive)]
struct Forest {
    trees: Vec<Grove>,
}

#[derive(Trace)]
struct Grove {
    forest: Option<Box<Forest>>,
    leaf: Option<Gc<u8>>,
}

#[derive(Trace)]
struct Plain {
    kids: Vec<Plain>,
    n: u64,
}

#[test]
fn mutually_recursive_types_use_trace_recursive() {
    const { assert!(<Forest as Trace>::NEEDS_TRACE) };
    const { assert!(<Grove as Trace>::NEEDS_TRACE) };
    let heap = Heap::with_config(Config::default().torture(false));
    let leaf = heap.alloc(1u8);
    let forest = heap.alloc(Forest {
        trees: vec![Grove {
            forest: Some(Box::new(Forest { trees: vec![] })),
            leaf: Some(leaf),
        }],
    });
    assert_eq!(heap.collect().objects_live, 2);
    drop(forest);
    assert_eq!(heap.collect().objects_freed, 2);
}

#[test]
fn a_self_recursive_leaf_type_is_conservatively_traced() {
    // Conservative (true), never unsound; costs one trace call per object.
    const { assert!(<Plain as Trace>::NEEDS_TRACE) };
    let heap = Heap::with_config(Config::default().torture(false));
    let p = heap.alloc(Plain {
        kids: vec![Plain { kids: vec![], n: 2 }],
        n: 1,
    });
    assert_eq!(p.kids[0].n + p.n, 3);
}

/// Fields whose names are not snake case, or start with an underscore, derive without a
/// warning: the generated impl sits inside a module that denies warnings, so a warning about
/// its bindings fails this test's build.
#[deny(warnings)]
mod odd_names {
    use prologue_gc::{Gc, Trace};

    #[derive(Trace)]
    #[allow(non_snake_case)]
    pub struct OddFieldNames {
        pub _i: Gc<u32>,
        pub Upper: Vec<Gc<u32>>,
        pub r#type: Option<Gc<u32>>,
    }
}

#[test]
fn odd_field_names_trace_every_field() {
    let heap = Heap::new();
    let odd = heap.alloc(odd_names::OddFieldNames {
        _i: heap.alloc(1),
        Upper: vec![heap.alloc(2)],
        r#type: Some(heap.alloc(3)),
    });
    heap.collect();
    assert_eq!(heap.stats().objects, 4);
    assert_eq!(*odd._i + *odd.Upper[0] + **odd.r#type.as_ref().unwrap(), 6);
}
