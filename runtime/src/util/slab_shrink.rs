//! Giving a slab's memory back after a burst: a loop that once held a million timers (a burst
//! of timeouts) should not keep their slots for the rest of its life.
//!
//! A slab's entries cannot move (their indices are keys held elsewhere: a `Sleep`'s timer
//! key, a `call_later` handle's slot), so what can go is the run of vacant entries after the
//! last live one, and everything once the slab is empty. The check runs after each removal
//! and costs a compare or two; a trim is considered only when at most a quarter of at least
//! [`MIN_CAPACITY`] slots are live, and done (O(slots): the slab relinks its vacant entries)
//! only when it frees at least half of them, which a walk back over the vacant tail tells
//! first (short when slots were freed in random order, as timers fire). A slab left mostly
//! empty is not looked at again until the live count has halved or the slab has grown, so
//! both stay rare.

use slab::Slab;

/// Below this many slots a slab never shrinks: a small loop keeps its few slots for reuse.
pub(crate) const MIN_CAPACITY: usize = 1024;

/// When a slab may next try to shrink.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShrinkPolicy {
    /// After a trim that left the slab still mostly empty: the live count to fall to before
    /// trying again (half), and the capacity it left (growth means try again too).
    retry_at: usize,
    tried_capacity: usize,
}

impl ShrinkPolicy {
    pub(crate) const fn new() -> Self {
        ShrinkPolicy {
            retry_at: usize::MAX,
            tried_capacity: 0,
        }
    }

    /// Call after removing from `slab`: shrinks it if it is mostly empty.
    #[inline]
    pub(crate) fn after_remove<T>(&mut self, slab: &mut Slab<T>) {
        let (len, capacity) = (slab.len(), slab.capacity());
        if capacity >= MIN_CAPACITY
            && len <= capacity / 4
            && (len <= self.retry_at || capacity != self.tried_capacity)
        {
            self.shrink(slab);
        }
    }

    #[cold]
    fn shrink<T>(&mut self, slab: &mut Slab<T>) {
        if slab.is_empty() {
            *slab = Slab::new();
        } else if vacant_tail(slab) >= slab.capacity() / 2 {
            slab.shrink_to_fit();
        }
        let (len, capacity) = (slab.len(), slab.capacity());
        (self.retry_at, self.tried_capacity) = if len <= capacity / 4 {
            (len / 2, capacity)
        } else {
            (usize::MAX, 0)
        };
    }
}

/// How many slots after the last live one a trim would free: the slab's iterator walks back
/// over the vacant tail to the last live entry.
fn vacant_tail<T>(slab: &Slab<T>) -> usize {
    let live_end = slab.iter().next_back().map_or(0, |(key, _)| key + 1);
    slab.capacity() - live_end
}

impl Default for ShrinkPolicy {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_slab_gives_its_slots_back() {
        let mut slab = Slab::new();
        let mut policy = ShrinkPolicy::new();
        let keys: Vec<_> = (0..10_000).map(|i| slab.insert(i)).collect();
        for key in keys {
            slab.remove(key);
            policy.after_remove(&mut slab);
        }
        assert_eq!(slab.capacity(), 0);
    }

    #[test]
    fn a_mostly_empty_slab_keeps_only_up_to_its_last_live_slot() {
        let mut slab = Slab::new();
        let mut policy = ShrinkPolicy::new();
        let keep = slab.insert(0);
        let keys: Vec<_> = (1..10_000).map(|i| slab.insert(i)).collect();
        for key in keys {
            slab.remove(key);
            policy.after_remove(&mut slab);
        }
        assert_eq!((slab.len(), slab[keep]), (1, 0));
        assert!(slab.capacity() < MIN_CAPACITY, "{}", slab.capacity());
    }

    #[test]
    fn a_small_slab_keeps_its_slots() {
        let mut slab = Slab::new();
        let mut policy = ShrinkPolicy::new();
        let keys: Vec<_> = (0..100).map(|i| slab.insert(i)).collect();
        let capacity = slab.capacity();
        for key in keys {
            slab.remove(key);
            policy.after_remove(&mut slab);
        }
        assert_eq!(slab.capacity(), capacity);
    }
}
