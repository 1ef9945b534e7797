//! The shared half of `prologue stress`: buffers passed through two static pools (one per drain
//! policy) by every thread, while every thread's collections drain them.
//!
//! A buffer carries a stamp and a byte pattern derived from it. A thread that takes a buffer
//! checks the pattern, writes its own unique stamp, and checks again when it gives the buffer
//! back: if a pool ever handed one buffer to two threads at once, the other thread's writes show.
//! Every buffer counts its creation and its drop, so at the end (after the pools are drained)
//! the two counts must balance.

use prologue::{DrainPolicy, Pool, PoolStats, Pooled};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of pattern in each buffer.
const BUFFER_BYTES: usize = 512;

static CREATED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Buffers whose every collection drops them all.
static DRAINED: Pool<Stamped> = Pool::new(Stamped::new);
/// Buffers that survive one collection in a victim cache.
static VICTIM: Pool<Stamped> = Pool::new(Stamped::new).with_policy(DrainPolicy::Victim);

/// A pooled buffer: a stamp and the pattern it implies.
pub struct Stamped {
    stamp: u64,
    bytes: Vec<u8>,
}

fn pattern_byte(stamp: u64, i: usize) -> u8 {
    (stamp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> ((i % 8) * 8)) as u8 ^ (i as u8)
}

impl Stamped {
    fn new() -> Stamped {
        CREATED.fetch_add(1, Ordering::Relaxed);
        let mut buffer = Stamped {
            stamp: 0,
            bytes: vec![0; BUFFER_BYTES],
        };
        buffer.restamp(0);
        buffer
    }

    fn restamp(&mut self, stamp: u64) {
        self.stamp = stamp;
        for (i, b) in self.bytes.iter_mut().enumerate() {
            *b = pattern_byte(stamp, i);
        }
    }

    fn is_intact(&self) -> bool {
        self.bytes.len() == BUFFER_BYTES
            && self
                .bytes
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(self.stamp, i))
    }
}

impl Drop for Stamped {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// One thread's buffers in hand, and what it has done with the pools.
pub struct BufferHands {
    thread: u64,
    next_stamp: u64,
    held: Vec<(u64, Stamped, bool)>,
    /// Gets and takes.
    pub gets: u64,
    /// Buffers given back.
    pub puts: u64,
}

/// How many buffers a thread holds at most.
const MAX_HELD: usize = 8;

impl BufferHands {
    /// Hands for `thread`.
    pub fn new(thread: usize) -> BufferHands {
        BufferHands {
            thread: thread as u64,
            next_stamp: 0,
            held: Vec::new(),
            gets: 0,
            puts: 0,
        }
    }

    fn pool(victim: bool) -> &'static Pool<Stamped> {
        if victim {
            &VICTIM
        } else {
            &DRAINED
        }
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        (self.thread + 1) << 48 | self.next_stamp
    }

    /// Takes a buffer from one of the pools, checks it and stamps it; keeps it in hand.
    /// Returns a description of the damage if the buffer was not intact.
    pub fn take(&mut self, victim: bool) -> Result<(), String> {
        if self.held.len() >= MAX_HELD {
            self.give_back(0)?;
        }
        let mut buffer = Self::pool(victim).get();
        self.gets += 1;
        let checked = check(&buffer, "taken from");
        let stamp = self.stamp();
        buffer.restamp(stamp);
        self.held.push((stamp, buffer, victim));
        checked
    }

    /// Takes a buffer through the pool's guard and stamps it; then either lets the guard put it
    /// back, or (`keep`) takes it out of the guard with `Pooled::into_inner` and holds it.
    pub fn take_guarded(&mut self, victim: bool, keep: bool) -> Result<(), String> {
        if keep && self.held.len() >= MAX_HELD {
            self.give_back(0)?;
        }
        let mut guard = Self::pool(victim).pull();
        self.gets += 1;
        let checked = check(&guard, "taken (guard) from");
        let stamp = self.stamp();
        guard.restamp(stamp);
        if keep {
            self.held.push((stamp, Pooled::into_inner(guard), victim));
        } else {
            drop(guard);
            self.puts += 1;
        }
        checked
    }

    /// Puts back the buffer held at `index % held` (if any), after checking nobody wrote it.
    pub fn give_back(&mut self, index: usize) -> Result<(), String> {
        if self.held.is_empty() {
            return Ok(());
        }
        let (stamp, buffer, victim) = self.held.swap_remove(index % self.held.len());
        let checked = if buffer.stamp != stamp {
            Err(format!(
                "a buffer held by thread {} was restamped by someone else ({:#x} became {:#x})",
                self.thread, stamp, buffer.stamp
            ))
        } else {
            check(&buffer, "held by")
        };
        Self::pool(victim).put(buffer);
        self.puts += 1;
        checked
    }

    /// Gives back every buffer in hand.
    pub fn give_back_all(&mut self) -> Result<(), String> {
        let mut result = Ok(());
        while !self.held.is_empty() {
            let r = self.give_back(0);
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

fn check(buffer: &Stamped, what: &str) -> Result<(), String> {
    if buffer.is_intact() {
        Ok(())
    } else {
        Err(format!(
            "a buffer {what} a pool does not hold the pattern of its stamp {:#x}",
            buffer.stamp
        ))
    }
}

/// Totals of both pools and the buffers' life counts, read after every thread has finished.
pub struct BufferAudit {
    /// Gets on both pools, as their statistics count them.
    pub gets: u64,
    /// Calls of `new`.
    pub news: u64,
    /// Puts.
    pub puts: u64,
    /// Buffers the drains dropped.
    pub drained: u64,
    /// Buffers created.
    pub created: u64,
    /// Buffers dropped.
    pub dropped: u64,
}

/// Drains both pools until they are empty (the victim pool needs two drains), then reads the
/// counts. Call it only once no thread uses the pools any more.
pub fn drain_and_audit() -> BufferAudit {
    for _ in 0..3 {
        prologue::clear_pools();
    }
    let stats: [PoolStats; 2] = [DRAINED.stats(), VICTIM.stats()];
    BufferAudit {
        gets: stats.iter().map(|s| s.gets).sum(),
        news: stats.iter().map(|s| s.news).sum(),
        puts: stats.iter().map(|s| s.puts).sum(),
        drained: stats.iter().map(|s| s.drained).sum(),
        created: CREATED.load(Ordering::Relaxed),
        dropped: DROPPED.load(Ordering::Relaxed),
    }
}

impl BufferAudit {
    /// Mismatches between the counts, given what the threads say they did.
    pub fn mismatches(&self, gets: u64, puts: u64) -> Vec<String> {
        let mut out = Vec::new();
        if self.created != self.dropped {
            out.push(format!(
                "pooled buffers: {} created but {} dropped after the final drain",
                self.created, self.dropped
            ));
        }
        if self.news != self.created {
            out.push(format!(
                "pool statistics count {} calls of new but {} buffers were created",
                self.news, self.created
            ));
        }
        if self.gets != gets || self.puts != puts {
            out.push(format!(
                "pool statistics count {} gets and {} puts; the threads did {gets} and {puts}",
                self.gets, self.puts
            ));
        }
        out
    }
}
