//! What a drain does to the values a pool holds.

/// What [`clear_pools`](crate::clear_pools) (and [`Pool::clear`](crate::Pool::clear)) does to a
/// pool's values.
///
/// Every drain moves a pool's current values (its *primary* cache) into a new *generation* of
/// victims and drops the generations older than the policy keeps. `get` takes from the victims
/// only after every primary cache is empty, newest generation first.
///
/// ```
/// use prologue_pool::{DrainPolicy, Pool};
///
/// static BUFFERS: Pool<Vec<u8>> = Pool::new(Vec::new).with_policy(DrainPolicy::Victim);
/// assert_eq!(BUFFERS.policy(), DrainPolicy::Victim);
/// assert_eq!(DrainPolicy::default(), DrainPolicy::Drain);
/// assert_eq!(DrainPolicy::Victim.generations(), 1);
/// ```
///
/// `#[non_exhaustive]`: a policy may be added (one by age in time rather than in drains, say)
/// without breaking a `match` written today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DrainPolicy {
    /// Every drain drops everything the pool holds (the Go runtime until 1.12).
    #[default]
    Drain,
    /// Every drain moves the primary cache to the victim cache and drops the previous victim
    /// (Go 1.13+): a value idle across two drains is dropped.
    Victim,
    /// A value survives `n` drains in the victim caches and is dropped by the next one:
    /// `MaxAge(0)` is [`Drain`](DrainPolicy::Drain), `MaxAge(1)` is
    /// [`Victim`](DrainPolicy::Victim). For pools whose values are expensive to rebuild and
    /// whose traffic is bursty across collections.
    MaxAge(u8),
}

impl DrainPolicy {
    /// How many victim generations a pool keeps between drains.
    pub const fn generations(self) -> usize {
        match self {
            DrainPolicy::Drain => 0,
            DrainPolicy::Victim => 1,
            DrainPolicy::MaxAge(n) => n as usize,
        }
    }
}
