//! proptest: random get / try_get / put / clear / clear_pools sequences over pools with
//! different policies and caps, checked against a simple model after every step: what each
//! `get` may return, and which values must have been dropped (exactly those in no pool and in
//! no hand). Alone in its binary, so no other test's drain interferes.

mod common;

use common::{Ledger, Token};
use prologue_pool::{clear_pools, DrainPolicy, Pool};
use proptest::prelude::*;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Op {
    Get(usize),
    TryGet(usize),
    Put(usize, usize),
    DropHeld(usize),
    Clear(usize),
    ClearPools,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize).prop_map(Op::Get),
        2 => (0..3usize).prop_map(Op::TryGet),
        5 => (0..3usize, any::<prop::sample::Index>()).prop_map(|(p, i)| Op::Put(p, i.index(1 << 16))),
        1 => any::<prop::sample::Index>().prop_map(|i| Op::DropHeld(i.index(1 << 16))),
        1 => (0..3usize).prop_map(Op::Clear),
        1 => Just(Op::ClearPools),
    ]
}

/// The model of one pool on one thread: LIFO primary, victim generations (newest first).
struct Model {
    generations: usize,
    max_items: usize,
    primary: Vec<u64>,
    victims: VecDeque<Vec<u64>>,
}

impl Model {
    fn take(&mut self) -> Option<u64> {
        self.primary
            .pop()
            .or_else(|| self.victims.iter_mut().find_map(Vec::pop))
    }

    fn drain(&mut self) {
        let fresh = std::mem::take(&mut self.primary);
        self.victims.push_front(fresh);
        self.victims.truncate(self.generations);
    }

    fn holds(&self, id: u64) -> bool {
        self.primary.contains(&id) || self.victims.iter().any(|g| g.contains(&id))
    }
}

fn run(ops: Vec<Op>) {
    let ledger = Ledger::new(4096);
    let configs = [
        (DrainPolicy::Drain, usize::MAX),
        (DrainPolicy::Victim, usize::MAX),
        (DrainPolicy::MaxAge(2), 40),
    ];
    let pools: Vec<Pool<Token>> = configs
        .iter()
        .map(|&(policy, cap)| {
            Pool::from_fn(move || ledger.token())
                .with_policy(policy)
                .with_max_items(cap)
        })
        .collect();
    let mut models: Vec<Model> = configs
        .iter()
        .map(|&(policy, cap)| Model {
            generations: policy.generations(),
            max_items: cap,
            primary: Vec::new(),
            victims: VecDeque::new(),
        })
        .collect();
    let mut hand: Vec<Token> = Vec::new();

    for op in ops {
        match op {
            Op::Get(p) | Op::TryGet(p) => {
                let expected = models[p].take();
                let got = if let Op::Get(_) = op {
                    Some(pools[p].get())
                } else {
                    pools[p].try_get()
                };
                match (expected, got) {
                    (Some(want), Some(token)) => {
                        assert_eq!(token.id, want, "pool {p} returned the wrong value");
                        hand.push(token);
                    }
                    (None, Some(token)) => {
                        assert!(matches!(op, Op::Get(_)), "try_get made a value");
                        assert_eq!(
                            token.id as usize,
                            ledger.made() - 1,
                            "get of an empty pool must call new"
                        );
                        hand.push(token);
                    }
                    (None, None) => {}
                    (Some(want), None) => panic!("pool {p} lost value {want}"),
                }
            }
            Op::Put(p, i) => {
                let token = if hand.is_empty() {
                    ledger.token()
                } else {
                    hand.swap_remove(i % hand.len())
                };
                if models[p].primary.len() < models[p].max_items {
                    models[p].primary.push(token.id);
                }
                pools[p].put(token);
            }
            Op::DropHeld(i) => {
                if !hand.is_empty() {
                    drop(hand.swap_remove(i % hand.len()));
                }
            }
            Op::Clear(p) => {
                models[p].drain();
                pools[p].clear();
            }
            Op::ClearPools => {
                for m in &mut models {
                    m.drain();
                }
                clear_pools();
            }
        }
        // Dropped exactly the values in no pool and in no hand.
        for id in 0..ledger.made() as u64 {
            let alive = hand.iter().any(|t| t.id == id) || models.iter().any(|m| m.holds(id));
            assert_eq!(
                ledger.drops(id),
                u32::from(!alive),
                "value {id}: alive in the model = {alive}"
            );
        }
    }
    drop(hand);
    drop(pools);
    ledger.assert_each_dropped_once();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if common::short() { 16 } else { 256 },
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn pools_match_the_model(ops in prop::collection::vec(op(), 1..300)) {
        run(ops);
    }
}
