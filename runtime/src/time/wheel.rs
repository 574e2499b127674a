//! The loop's timer store: a hierarchical timing wheel with exact nanosecond deadlines.
//!
//! Due timers fire in (deadline, arming order), as CPython's timer heap does wherever its order is
//! FIFO, at a cost per timer that does not grow with the number armed.
//!
//! # Invariants
//!
//! * Time is `u64` ns since the loop clock's origin. `elapsed_ns` is how far the wheel has been
//!   advanced: the largest `now` given to [`Wheel::fire_due`], or the start of a slot being
//!   cascaded inside one call. Callers pass non-decreasing `now`s (the loop clock is monotonic).
//! * Six levels of 64 slots. A level-`l` slot spans `2^(20 + 6l)` ns (level 0: ~1.05 ms, level 5:
//!   ~13 days) and a level spans 64 of its slots, so the wheel covers `2^56` ns (~2.28 years).
//! * A timer is placed by its *placement time* `max(deadline_ns, elapsed_ns)`, so a past deadline
//!   sits in `elapsed_ns`'s own level-0 slot. Its level holds the highest bit in which placement
//!   time and `elapsed_ns` differ (bits below 26 count as level 0); its slot is that level's 6 bits
//!   of the placement time. Hence every level-`l` timer lies in `elapsed_ns`'s current
//!   level-`l+1` slot, in a level-`l` slot at or after `elapsed_ns`'s own, and is earlier than
//!   every timer of level `l+1`. Wheel that differ from `elapsed_ns` above bit 55 go to one
//!   unsorted overflow list, later than the whole wheel.
//! * `occupied[l]` has bit `s` set iff slot `s` of level `l` is non-empty, so the earliest
//!   non-empty slot is the lowest set bit (`trailing_zeros`) of the lowest non-zero level.
//! * Exactness: a slot only bounds its timers; each node keeps its exact `deadline_ns`. A higher
//!   slot is cascaded (its timers re-placed) once `fire_due` reaches the slot's start. A level-0
//!   slot is sorted by deadline (ties in arming order) as a level-1 cascade fills it (the
//!   batch sorted at once, while its nodes are in the cache) or else the first time it is
//!   looked into (its `sorted0` bit), kept sorted by inserts until it empties, and fires from
//!   its head while `deadline_ns <= now`.
//!   Level-0 slots are disjoint spans visited in time order, so one `fire_due` call fires in
//!   global (deadline, arming order) without sorting the batch.
//! * Arming order: every list is in arming order, but a sorted level-0 slot, which is in
//!   (deadline, arming order). Inserts append (or, into a sorted slot, go after every timer due
//!   at or before theirs); a cascade appends a list in its order to lists that were empty
//!   (every level below the one cascaded is). So the sorts need no sequence number: a stable
//!   sort by deadline keeps arming order among equal deadlines.
//! * Generations: each insert takes the next `generation` (wrapping), which its key carries, so
//!   a key whose timer fired or was removed does not match the node that later reuses its slab
//!   entry (unless exactly a multiple of 2^32 timers were armed in between while it was kept).
//! * Memory: timers live in one [`SlabList`], linked by index into one list per slot, so
//!   removal unlinks and frees the entry (dropping the waker) in O(1); the next insert reuses it.
//!   Once mostly empty after a burst, the slab gives its slots back (see `util::slab_shrink`).

use std::mem;
use std::task::Waker;

use crate::util::slab_list::{ListEnds, NIL, SlabList};

/// Slots per level, as a bit count.
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 6;
/// log2 of the level-0 slot span in ns (~1.05 ms, tokio's millisecond tick).
const LEVEL0_SHIFT: u32 = 20;
/// log2 of the span the wheel covers ahead of `elapsed_ns`, in ns.
const WHEEL_BITS: u32 = LEVEL0_SHIFT + SLOT_BITS * LEVELS as u32;
/// The largest sort buffer kept between sorts, in entries (at most 512 KiB): a level-1 slot
/// of a busy loop (thousands of timers) is sorted in one go, again and again.
const SORT_BUF_KEPT: usize = 16384;
/// Index of the overflow list in `Wheel::lists`, after the `LEVELS * SLOTS` slot lists.
const OVERFLOW: usize = LEVELS * SLOTS;
// The cascade's radix keys are offsets within one level-1 slot.
const _: () = assert!(radix::KEY_BITS == LEVEL0_SHIFT + SLOT_BITS);

/// Identifies one armed timer; a key whose timer fired or was removed is stale, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

/// One armed timer, linked into the list of the slot it is placed in.
struct Timer {
    deadline_ns: u64,
    waker: Waker,
    /// Tells stale keys apart (see the module docs).
    generation: u32,
    /// `level * SLOTS + slot`, or `OVERFLOW`: the list it is linked into.
    list: u16,
}

/// The armed timers of one event loop.
pub(crate) struct Wheel {
    nodes: SlabList<Timer>,
    lists: [ListEnds; OVERFLOW + 1],
    occupied: [u64; LEVELS],
    /// Bit `s` set iff level-0 slot `s` is non-empty and its list is in (deadline, arming order).
    sorted0: u64,
    elapsed_ns: u64,
    next_generation: u32,
    /// The exact earliest deadline when known: saves rescanning a big higher-level slot on every
    /// `next_deadline` of a real-time loop. `None` means "recompute".
    cached_next: Option<Option<u64>>,
    /// Reused buffer for sorting a level-0 slot: (deadline, node index).
    sort_buf: Vec<(u64, u32)>,
    /// Reused buffers for a level-1 cascade's batch and its radix sort (see [`radix`]).
    batch_buf: Vec<u64>,
    batch_scratch: Vec<u64>,
    /// Whether the wheel is settled at `elapsed_ns`: every timer due by then has fired and
    /// every slot starting by then is cascaded, so `fire_due` with a `now_ns <= elapsed_ns`
    /// has nothing to do. A loop pass that does not move the clock (every busy pass under
    /// virtual time) then skips the wheel. Cleared by an insert due by `elapsed_ns`.
    settled: bool,
}

/// log2 of the span of one slot of `level`, in ns.
fn slot_shift(level: usize) -> u32 {
    LEVEL0_SHIFT + SLOT_BITS * level as u32
}

/// The list a timer with placement time `at_ns >= elapsed_ns` belongs to.
fn list_for(elapsed_ns: u64, at_ns: u64) -> usize {
    let masked = (elapsed_ns ^ at_ns) | ((1 << slot_shift(1)) - 1);
    let significant = 63 - masked.leading_zeros();
    let level = ((significant - LEVEL0_SHIFT) / SLOT_BITS) as usize;
    if level >= LEVELS {
        return OVERFLOW;
    }
    level * SLOTS + ((at_ns >> slot_shift(level)) as usize & (SLOTS - 1))
}

/// `buf` emptied, to be kept for the next sort, unless a burst made it big.
fn keep<T>(mut buf: Vec<T>) -> Vec<T> {
    buf.clear();
    if buf.capacity() > SORT_BUF_KEPT {
        return Vec::new();
    }
    buf
}

/// Start (ns) of slot `slot` of `level` within `elapsed_ns`'s current turn of that level.
fn slot_start(elapsed_ns: u64, level: usize, slot: usize) -> u64 {
    let level_range = 1u64 << slot_shift(level + 1);
    (elapsed_ns & !(level_range - 1)) + ((slot as u64) << slot_shift(level))
}

impl Wheel {
    pub(crate) fn new() -> Self {
        Wheel {
            nodes: SlabList::new(),
            lists: [ListEnds::EMPTY; OVERFLOW + 1],
            occupied: [0; LEVELS],
            sorted0: 0,
            elapsed_ns: 0,
            next_generation: 0,
            cached_next: Some(None),
            sort_buf: Vec::new(),
            batch_buf: Vec::new(),
            batch_scratch: Vec::new(),
            settled: false,
        }
    }

    /// Arms a timer for `deadline_ns`. Equal deadlines fire in arming order.
    pub(crate) fn insert(&mut self, deadline_ns: u64, waker: Waker) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation = generation.wrapping_add(1);
        if deadline_ns <= self.elapsed_ns {
            self.settled = false;
        }
        let index = self.nodes.insert(Timer {
            deadline_ns,
            waker,
            generation,
            list: 0,
        });
        self.place(index);
        self.cached_next = self
            .cached_next
            .map(|next| Some(next.map_or(deadline_ns, |n| n.min(deadline_ns))));
        TimerKey { index, generation }
    }

    /// If the timer is still armed, stores `waker` (cloning only when it would wake another task)
    /// and returns false; if it has fired or was removed, returns true.
    pub(crate) fn poll(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.nodes.get_mut(key.index) {
            Some(node) if node.generation == key.generation => {
                if !node.waker.will_wake(waker) {
                    node.waker = waker.clone();
                }
                false
            }
            _ => true,
        }
    }

    /// Disarms a timer that has not fired, freeing its node and waker now; a fired or stale key
    /// is a no-op.
    pub(crate) fn remove(&mut self, key: TimerKey) {
        if self
            .nodes
            .get(key.index)
            .is_none_or(|node| node.generation != key.generation)
        {
            return;
        }
        self.unlink(key.index);
        let node = self.nodes.remove(key.index);
        if self.cached_next == Some(Some(node.deadline_ns)) {
            self.cached_next = None;
        }
    }

    /// The exact earliest deadline among armed timers. O(1) when cached or when the earliest slot
    /// is on level 0 (once sorted); otherwise one scan of the earliest slot, which the next
    /// `fire_due` reaching it cascades anyway.
    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        if let Some(next) = self.cached_next {
            return next;
        }
        let next = self.earliest_list().map(|list| {
            if list < SLOTS {
                self.sort_slot(list);
                self.nodes[self.lists[list].head].deadline_ns
            } else {
                self.min_deadline_in(list)
            }
        });
        self.cached_next = Some(next);
        next
    }

    /// When the loop should next call [`fire_due`](Self::fire_due): a time at or before the
    /// earliest armed deadline at which `fire_due` makes progress. That is the exact deadline
    /// when the earliest timer sits in a level-0 slot (or the overflow list), and otherwise the
    /// start of the earliest higher-level slot, where `fire_due` cascades that slot. O(1)
    /// apart from a level-0 slot's one-time sort, however often the earliest timer is removed
    /// (an idle real-time loop whose earliest timeout keeps being cancelled never rescans a big
    /// slot). A virtual clock may jump to such a slot start: that jump fires nothing and runs
    /// no task, so no task ever reads a time that is not a deadline. With level 0 occupied,
    /// a known earliest deadline (as after a `fire_due` that stopped at a level-0 slot's head)
    /// is that answer, returned as it is.
    pub(crate) fn next_wakeup(&mut self) -> Option<u64> {
        if self.occupied[0] != 0
            && let Some(next) = self.cached_next
        {
            return next;
        }
        match self.earliest_list()? {
            list if list < SLOTS => {
                self.sort_slot(list);
                Some(self.nodes[self.lists[list].head].deadline_ns)
            }
            OVERFLOW => self.next_deadline(),
            list => {
                Some(slot_start(self.elapsed_ns, list / SLOTS, list % SLOTS).max(self.elapsed_ns))
            }
        }
    }

    /// Fires every armed timer with `deadline_ns <= now_ns`, in (deadline, arming order), handing
    /// its waker to `fire`; a fired timer's node is freed and its key becomes stale. Never fires
    /// early; a `now_ns` behind an earlier one is allowed (it fires what is due by it).
    #[inline]
    pub(crate) fn fire_due(&mut self, now_ns: u64, fire: impl FnMut(Waker)) {
        if !(self.settled && now_ns <= self.elapsed_ns) {
            self.fire_due_unsettled(now_ns, fire);
        }
    }

    fn fire_due_unsettled(&mut self, now_ns: u64, mut fire: impl FnMut(Waker)) {
        // A `now_ns` behind `elapsed_ns` still reaches the past timers in `elapsed_ns`'s slot.
        let reach_ns = now_ns.max(self.elapsed_ns);
        // Behind `elapsed_ns`, timers due between `now_ns` and `elapsed_ns` stay armed.
        let settles = now_ns >= self.elapsed_ns;
        while let Some(list) = self.earliest_list() {
            if list < SLOTS {
                if slot_start(self.elapsed_ns, 0, list) > reach_ns {
                    break;
                }
                self.sort_slot(list);
                loop {
                    let head = self.lists[list].head;
                    if head == NIL || self.nodes[head].deadline_ns > now_ns {
                        break;
                    }
                    self.unlink(head);
                    let node = self.nodes.remove(head);
                    self.cached_next = None;
                    fire(node.waker);
                }
                let head = self.lists[list].head;
                if head != NIL {
                    // The rest of this slot, and every later slot, is after `now_ns`; the
                    // sorted slot's head is the earliest deadline.
                    self.cached_next = Some(Some(self.nodes[head].deadline_ns));
                    break;
                }
            } else {
                let start_ns = if list == OVERFLOW {
                    // The wheel is empty, so the earliest deadline is the overflow's.
                    let earliest_ns = self.next_deadline().expect("overflow list is non-empty");
                    earliest_ns & !((1 << WHEEL_BITS) - 1)
                } else {
                    slot_start(self.elapsed_ns, list / SLOTS, list % SLOTS)
                };
                if start_ns > reach_ns {
                    break;
                }
                self.elapsed_ns = start_ns;
                self.cascade(list);
            }
        }
        self.elapsed_ns = reach_ns;
        self.settled = settles;
    }

    /// How many timers are armed (not fired, not removed).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The earliest non-empty list: lowest level first, then lowest slot, then the overflow.
    fn earliest_list(&self) -> Option<usize> {
        for (level, &bits) in self.occupied.iter().enumerate() {
            if bits != 0 {
                return Some(level * SLOTS + bits.trailing_zeros() as usize);
            }
        }
        (self.lists[OVERFLOW].head != NIL).then_some(OVERFLOW)
    }

    fn min_deadline_in(&self, list: usize) -> u64 {
        let mut min_ns = u64::MAX;
        let mut index = self.lists[list].head;
        while index != NIL {
            min_ns = min_ns.min(self.nodes[index].deadline_ns);
            index = self.nodes.next(index);
        }
        min_ns
    }

    /// Re-places every timer of `list` relative to the (just advanced) `elapsed_ns`.
    fn cascade(&mut self, list: usize) {
        let mut index = self.lists[list].head;
        self.lists[list] = ListEnds::EMPTY;
        if list < OVERFLOW {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
        if list < 2 * SLOTS {
            return self.cascade_sorted(index);
        }
        // Each node's links are stale until `place` relinks it; it never lands in `list`.
        while index != NIL {
            let next = self.nodes.next(index);
            self.place(index);
            index = next;
        }
    }

    /// Cascades the timers of a level-1 slot, the list from `head` (already detached), into
    /// level 0, each level-0 slot filled in (deadline, arming order). Level 0 is empty when a
    /// level-1 slot is cascaded (it is the earliest list), and every timer of the slot lands
    /// there. Sorting the batch now, while the walk has just brought each node into the cache,
    /// spares each level-0 slot a second walk over the same nodes to sort it when it comes up
    /// (with random deadlines, a cache miss per timer).
    ///
    /// The slot's list is in arming order (see the module docs), so a stable sort by deadline
    /// gives (deadline, arming order): the radix sort of [`radix`], by each deadline's offset
    /// from the slot's start.
    fn cascade_sorted(&mut self, head: u32) {
        debug_assert!(self.occupied[0] == 0 && self.sorted0 == 0);
        let start_ns = self.elapsed_ns;
        let mut batch = mem::take(&mut self.batch_buf);
        let mut index = head;
        while index != NIL {
            let node = &self.nodes[index];
            batch.push(radix::item(
                node.deadline_ns.max(start_ns) - start_ns,
                index,
            ));
            index = self.nodes.next(index);
        }
        radix::sort_stable(&mut batch, &mut self.batch_scratch);
        for &item in &batch {
            // The slot's start is a multiple of the level-1 span: the offset's top bits are
            // the level-0 slot.
            let slot = (radix::key(item) >> LEVEL0_SHIFT) as usize;
            debug_assert_eq!(slot, list_for(start_ns, start_ns + radix::key(item)));
            let tail = self.lists[slot].tail;
            self.link(radix::index(item), slot, tail);
        }
        self.sorted0 = self.occupied[0];
        self.batch_buf = keep(batch);
        self.batch_scratch = keep(mem::take(&mut self.batch_scratch));
    }

    /// Links node `index` into the list its placement time belongs to, keeping a sorted level-0
    /// slot sorted.
    fn place(&mut self, index: u32) {
        let deadline_ns = self.nodes[index].deadline_ns;
        let list = list_for(self.elapsed_ns, deadline_ns.max(self.elapsed_ns));
        let ListEnds { head, tail } = self.lists[list];
        let mut prev = tail;
        if list < SLOTS && self.sorted0 & (1 << list) != 0 {
            // The newest timer: after every one due at or before it.
            if deadline_ns < self.deadline_of(head) {
                prev = NIL; // Common for past deadlines: they go first.
            } else {
                while self.deadline_of(prev) > deadline_ns {
                    prev = self.nodes.prev(prev);
                }
            }
        }
        self.link(index, list, prev);
    }

    fn deadline_of(&self, index: u32) -> u64 {
        self.nodes[index].deadline_ns
    }

    /// Links node `index` into `list` right after `prev` (`NIL`: at the head).
    fn link(&mut self, index: u32, list: usize, prev: u32) {
        self.nodes.link_after(&mut self.lists[list], prev, index);
        self.nodes[index].list = list as u16;
        if list < OVERFLOW {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    /// Unlinks node `index` from its list, clearing the slot's bits if it empties.
    fn unlink(&mut self, index: u32) {
        let list = self.nodes[index].list as usize;
        self.nodes.unlink(&mut self.lists[list], index);
        if self.lists[list].is_empty() && list < OVERFLOW {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            if list < SLOTS {
                self.sorted0 &= !(1 << list);
            }
        }
    }

    /// Puts non-empty level-0 slot `slot` in (deadline, arming order), once until it empties.
    #[inline]
    fn sort_slot(&mut self, slot: usize) {
        if self.sorted0 & (1 << slot) == 0 {
            self.sort_unsorted_slot(slot);
        }
    }

    fn sort_unsorted_slot(&mut self, slot: usize) {
        self.sorted0 |= 1 << slot;
        let ListEnds { head, tail } = self.lists[slot];
        if head == tail {
            return;
        }
        let mut buf = mem::take(&mut self.sort_buf);
        let mut index = head;
        while index != NIL {
            buf.push((self.nodes[index].deadline_ns, index));
            index = self.nodes.next(index);
        }
        // Stable: the list is in arming order (see the module docs).
        buf.sort_by_key(|&(deadline_ns, _)| deadline_ns);
        // Relinked in order; each node's old links are overwritten as it is linked.
        self.lists[slot] = ListEnds::EMPTY;
        for &(_, index) in &buf {
            let tail = self.lists[slot].tail;
            self.nodes.link_after(&mut self.lists[slot], tail, index);
        }
        self.sort_buf = keep(buf);
    }
}

mod radix;
#[cfg(test)]
mod tests;
