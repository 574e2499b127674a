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
//!   slot is sorted by (deadline, seq) the first time it is looked into (its `sorted0` bit), kept
//!   sorted by inserts until it empties, and fires from its head while `deadline_ns <= now`.
//!   Level-0 slots are disjoint spans visited in time order, so one `fire_due` call fires in
//!   global (deadline, seq) order without sorting the batch.
//! * Arming order: each insert takes the next `seq`; `seq` is also the key's generation, so a key
//!   whose timer fired or was removed never matches the node that later reuses its slab entry.
//! * Memory: nodes live in a [`Slab`], linked by index into one doubly linked list per slot, so
//!   removal unlinks and frees the entry (dropping the waker) in O(1); the next insert reuses it.

use std::mem;
use std::task::Waker;

use slab::Slab;

/// Slots per level, as a bit count.
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 6;
/// log2 of the level-0 slot span in ns (~1.05 ms, tokio's millisecond tick).
const LEVEL0_SHIFT: u32 = 20;
/// log2 of the span the wheel covers ahead of `elapsed_ns`, in ns.
const WHEEL_BITS: u32 = LEVEL0_SHIFT + SLOT_BITS * LEVELS as u32;
/// Index of the overflow list in `Wheel::lists`, after the `LEVELS * SLOTS` slot lists.
const OVERFLOW: usize = LEVELS * SLOTS;
/// The null link.
const NIL: u32 = u32::MAX;

/// Identifies one armed timer; a key whose timer fired or was removed is stale, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    seq: u64,
}

/// One armed timer, linked into the list of the slot it is placed in.
struct Node {
    deadline_ns: u64,
    /// Arming sequence number: orders equal deadlines and tells stale keys apart.
    seq: u64,
    waker: Waker,
    prev: u32,
    next: u32,
    /// `level * SLOTS + slot`, or `OVERFLOW`.
    list: u16,
}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

/// The armed timers of one event loop.
pub(crate) struct Wheel {
    nodes: Slab<Node>,
    lists: [List; OVERFLOW + 1],
    occupied: [u64; LEVELS],
    /// Bit `s` set iff level-0 slot `s` is non-empty and its list is in (deadline, seq) order.
    sorted0: u64,
    elapsed_ns: u64,
    next_seq: u64,
    /// The exact earliest deadline when known: saves rescanning a big higher-level slot on every
    /// `next_deadline` of a real-time loop. `None` means "recompute".
    cached_next: Option<Option<u64>>,
    /// Reused buffer for sorting a level-0 slot.
    sort_buf: Vec<(u64, u64, u32)>,
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

/// Start (ns) of slot `slot` of `level` within `elapsed_ns`'s current turn of that level.
fn slot_start(elapsed_ns: u64, level: usize, slot: usize) -> u64 {
    let level_range = 1u64 << slot_shift(level + 1);
    (elapsed_ns & !(level_range - 1)) + ((slot as u64) << slot_shift(level))
}

impl Wheel {
    pub(crate) fn new() -> Self {
        Wheel {
            nodes: Slab::new(),
            lists: [EMPTY; OVERFLOW + 1],
            occupied: [0; LEVELS],
            sorted0: 0,
            elapsed_ns: 0,
            next_seq: 0,
            cached_next: Some(None),
            sort_buf: Vec::new(),
        }
    }

    /// Arms a timer for `deadline_ns`. Equal deadlines fire in arming order.
    pub(crate) fn insert(&mut self, deadline_ns: u64, waker: Waker) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = self.nodes.vacant_entry();
        let index = match u32::try_from(entry.key()) {
            Ok(index) if index != NIL => index,
            _ => panic!("more than 2^32 - 1 timers armed at once"),
        };
        entry.insert(Node {
            deadline_ns,
            seq,
            waker,
            prev: NIL,
            next: NIL,
            list: 0,
        });
        self.place(index);
        self.cached_next = self
            .cached_next
            .map(|next| Some(next.map_or(deadline_ns, |n| n.min(deadline_ns))));
        TimerKey { index, seq }
    }

    /// If the timer is still armed, stores `waker` (cloning only when it would wake another task)
    /// and returns false; if it has fired or was removed, returns true.
    pub(crate) fn poll(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.nodes.get_mut(key.index as usize) {
            Some(node) if node.seq == key.seq => {
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
            .get(key.index as usize)
            .is_none_or(|node| node.seq != key.seq)
        {
            return;
        }
        self.unlink(key.index);
        let node = self.nodes.remove(key.index as usize);
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
                self.nodes[self.lists[list].head as usize].deadline_ns
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
    /// no task, so no task ever reads a time that is not a deadline.
    pub(crate) fn next_wakeup(&mut self) -> Option<u64> {
        match self.earliest_list()? {
            list if list < SLOTS => {
                self.sort_slot(list);
                Some(self.nodes[self.lists[list].head as usize].deadline_ns)
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
    pub(crate) fn fire_due(&mut self, now_ns: u64, mut fire: impl FnMut(Waker)) {
        // A `now_ns` behind `elapsed_ns` still reaches the past timers in `elapsed_ns`'s slot.
        let reach_ns = now_ns.max(self.elapsed_ns);
        while let Some(list) = self.earliest_list() {
            if list < SLOTS {
                if slot_start(self.elapsed_ns, 0, list) > reach_ns {
                    break;
                }
                self.sort_slot(list);
                loop {
                    let head = self.lists[list].head;
                    if head == NIL || self.nodes[head as usize].deadline_ns > now_ns {
                        break;
                    }
                    self.unlink(head);
                    let node = self.nodes.remove(head as usize);
                    self.cached_next = None;
                    fire(node.waker);
                }
                if self.lists[list].head != NIL {
                    break; // The rest of this slot, and every later slot, is after `now_ns`.
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
    }

    /// How many timers are armed (not fired, not removed).
    #[allow(
        dead_code,
        reason = "part of the store's interface even where the loop needs only some"
    )]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    #[allow(
        dead_code,
        reason = "part of the store's interface even where the loop needs only some"
    )]
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
            let node = &self.nodes[index as usize];
            min_ns = min_ns.min(node.deadline_ns);
            index = node.next;
        }
        min_ns
    }

    /// Re-places every timer of `list` relative to the (just advanced) `elapsed_ns`.
    fn cascade(&mut self, list: usize) {
        let mut index = self.lists[list].head;
        self.lists[list] = EMPTY;
        if list < OVERFLOW {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
        while index != NIL {
            let next = self.nodes[index as usize].next;
            self.place(index);
            index = next;
        }
    }

    /// Links node `index` into the list its placement time belongs to, keeping a sorted level-0
    /// slot sorted.
    fn place(&mut self, index: u32) {
        let node = &self.nodes[index as usize];
        let order = (node.deadline_ns, node.seq);
        let list = list_for(self.elapsed_ns, node.deadline_ns.max(self.elapsed_ns));
        let List { head, tail } = self.lists[list];
        let mut prev = tail;
        if list < SLOTS && self.sorted0 & (1 << list) != 0 {
            if order < self.order_of(head) {
                prev = NIL; // Common for past deadlines: they go first.
            } else {
                while self.order_of(prev) > order {
                    prev = self.nodes[prev as usize].prev;
                }
            }
        }
        self.link(index, list, prev);
    }

    fn order_of(&self, index: u32) -> (u64, u64) {
        let node = &self.nodes[index as usize];
        (node.deadline_ns, node.seq)
    }

    /// Links node `index` into `list` right after `prev` (`NIL`: at the head).
    fn link(&mut self, index: u32, list: usize, prev: u32) {
        let next = match prev {
            NIL => self.lists[list].head,
            prev => self.nodes[prev as usize].next,
        };
        let node = &mut self.nodes[index as usize];
        (node.prev, node.next, node.list) = (prev, next, list as u16);
        match prev {
            NIL => self.lists[list].head = index,
            prev => self.nodes[prev as usize].next = index,
        }
        match next {
            NIL => self.lists[list].tail = index,
            next => self.nodes[next as usize].prev = index,
        }
        if list < OVERFLOW {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    /// Unlinks node `index` from its list, clearing the slot's bits if it empties.
    fn unlink(&mut self, index: u32) {
        let node = &self.nodes[index as usize];
        let (prev, next, list) = (node.prev, node.next, node.list as usize);
        match prev {
            NIL => self.lists[list].head = next,
            prev => self.nodes[prev as usize].next = next,
        }
        match next {
            NIL => self.lists[list].tail = prev,
            next => self.nodes[next as usize].prev = prev,
        }
        if self.lists[list].head == NIL && list < OVERFLOW {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            if list < SLOTS {
                self.sorted0 &= !(1 << list);
            }
        }
    }

    /// Puts non-empty level-0 slot `slot` in (deadline, seq) order, once until it empties.
    fn sort_slot(&mut self, slot: usize) {
        if self.sorted0 & (1 << slot) != 0 {
            return;
        }
        self.sorted0 |= 1 << slot;
        let List { head, tail } = self.lists[slot];
        if head == tail {
            return;
        }
        let mut buf = mem::take(&mut self.sort_buf);
        let mut index = head;
        while index != NIL {
            let node = &self.nodes[index as usize];
            buf.push((node.deadline_ns, node.seq, index));
            index = node.next;
        }
        buf.sort_unstable();
        self.lists[slot] = EMPTY;
        for &(_, _, index) in &buf {
            let tail = self.lists[slot].tail;
            self.link(index, slot, tail);
        }
        buf.clear();
        self.sort_buf = buf;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::Arc;
    use std::task::Wake;

    use super::*;

    const MS: u64 = 1_000_000;
    const SEC: u64 = 1_000 * MS;
    const DAY: u64 = 24 * 3600 * SEC;
    const YEAR: u64 = 365 * DAY;

    thread_local! {
        static FIRED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    }

    /// A waker that logs its id when woken.
    struct Tag(u64);

    impl Wake for Tag {
        fn wake(self: Arc<Self>) {
            FIRED.with(|fired| fired.borrow_mut().push(self.0));
        }
    }

    fn tag(id: u64) -> Waker {
        Waker::from(Arc::new(Tag(id)))
    }

    /// Arms one timer per deadline, with its position as id; returns (deadline, id) sorted.
    fn arm(timers: &mut Wheel, deadlines: &[u64]) -> Vec<(u64, u64)> {
        let first = timers.next_seq;
        let mut armed: Vec<_> = (deadlines.iter().copied().zip(first..)).collect();
        armed
            .iter()
            .for_each(|&(deadline_ns, id)| _ = timers.insert(deadline_ns, tag(id)));
        armed.sort();
        armed
    }

    /// Fires what is due at `now_ns`; returns the ids fired, in order.
    fn fire(timers: &mut Wheel, now_ns: u64) -> Vec<u64> {
        timers.fire_due(now_ns, Waker::wake);
        FIRED.with(|fired| fired.take())
    }

    /// Fires everything as a virtual-time loop does; returns (deadline jumped to, id) in order.
    fn drain(timers: &mut Wheel) -> Vec<(u64, u64)> {
        let mut fired = Vec::new();
        while let Some(deadline_ns) = timers.next_deadline() {
            let ids = fire(timers, deadline_ns);
            assert!(
                !ids.is_empty(),
                "nothing fired at next_deadline {deadline_ns}"
            );
            fired.extend(ids.into_iter().map(|id| (deadline_ns, id)));
        }
        fired
    }

    /// Fires everything as the loop does, jumping to each `next_wakeup`; returns (time of the
    /// firing, id) in order. Some jumps (to a higher-level slot's start) fire nothing.
    fn drain_by_wakeups(timers: &mut Wheel) -> Vec<(u64, u64)> {
        let mut fired = Vec::new();
        let mut empty_jumps = 0;
        while let Some(wakeup_ns) = timers.next_wakeup() {
            let ids = fire(timers, wakeup_ns);
            if ids.is_empty() {
                empty_jumps += 1;
                assert!(empty_jumps <= LEVELS, "no progress at wakeup {wakeup_ns}");
            } else {
                empty_jumps = 0;
            }
            fired.extend(ids.into_iter().map(|id| (wakeup_ns, id)));
        }
        fired
    }

    #[test]
    fn wakeups_fire_each_timer_at_its_exact_deadline() {
        let deadlines: Vec<u64> = {
            let mut rng = XorShift(7);
            (0..20_000).map(|_| rng.below(1 << 40)).collect()
        };
        let (mut exact, mut by_wakeups) = (Wheel::new(), Wheel::new());
        arm(&mut exact, &deadlines);
        arm(&mut by_wakeups, &deadlines);
        assert_eq!(drain_by_wakeups(&mut by_wakeups), drain(&mut exact));
    }

    fn level_of(timers: &Wheel, index: usize) -> usize {
        timers.nodes[index].list as usize / SLOTS
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound.max(1)
        }
    }

    /// Asserts the invariants of the module docs: links, bitmaps, placement, sorted slots.
    fn check(timers: &Wheel) {
        let mut seen = 0;
        for list in 0..=OVERFLOW {
            let List { head, tail } = timers.lists[list];
            if list < OVERFLOW {
                assert_eq!(
                    timers.occupied[list / SLOTS] >> (list % SLOTS) & 1 == 1,
                    head != NIL
                );
            }
            let sorted = list < SLOTS && timers.sorted0 >> list & 1 == 1;
            assert!(!sorted || head != NIL, "empty slot {list} marked sorted");
            let (mut prev, mut index) = (NIL, head);
            while index != NIL {
                let node = &timers.nodes[index as usize];
                assert_eq!((node.prev, node.list as usize), (prev, list));
                let at_ns = node.deadline_ns.max(timers.elapsed_ns);
                assert_eq!(list_for(timers.elapsed_ns, at_ns), list, "misplaced timer");
                assert!(!sorted || prev == NIL || timers.order_of(prev) < timers.order_of(index));
                (prev, index, seen) = (index, node.next, seen + 1);
            }
            assert_eq!(tail, prev);
        }
        assert_eq!(seen, timers.len());
    }

    #[test]
    fn equal_deadlines_fire_in_arming_order_across_levels() {
        let mut timers = Wheel::new();
        let deadline_ns = 5 * SEC;
        arm(&mut timers, &[deadline_ns, deadline_ns + 1]);
        assert_eq!(level_of(&timers, 0), 2);
        assert!(fire(&mut timers, 4_300 * MS).is_empty()); // cascades level 2 -> level 1
        arm(&mut timers, &[deadline_ns]);
        assert_eq!(level_of(&timers, 2), 1);
        assert!(fire(&mut timers, 4_990 * MS).is_empty()); // cascades level 1 -> level 0
        arm(&mut timers, &[deadline_ns, deadline_ns - 1]);
        assert_eq!(level_of(&timers, 3), 0);
        check(&timers);
        assert_eq!(timers.next_deadline(), Some(deadline_ns - 1));
        assert_eq!(fire(&mut timers, deadline_ns), [4, 0, 2, 3]);
        assert_eq!(fire(&mut timers, deadline_ns + 1), [1]);
    }

    #[test]
    fn one_fire_due_sorts_across_slots_and_levels() {
        let mut timers = Wheel::new();
        let deadlines = [3 * SEC, MS, 2 * SEC, MS, 500, 70 * MS, 3 * SEC, 0, 40 * DAY];
        let mut expected = arm(&mut timers, &deadlines);
        let (last_ns, last_id) = expected.pop().unwrap();
        let ids: Vec<_> = expected.iter().map(|&(_, id)| id).collect();
        assert_eq!(fire(&mut timers, 10 * SEC), ids);
        assert_eq!(timers.next_deadline(), Some(last_ns));
        assert_eq!(fire(&mut timers, last_ns), [last_id]);
    }

    #[test]
    fn deadlines_are_exact_within_one_slot() {
        let mut timers = Wheel::new();
        arm(&mut timers, &[1_000_000_000, 1_000_300_000, 1_000_500_000]);
        assert_eq!(timers.nodes[0].list, timers.nodes[1].list);
        assert_eq!(timers.next_deadline(), Some(1_000_000_000));
        assert!(fire(&mut timers, 999_999_999).is_empty());
        assert_eq!(fire(&mut timers, 1_000_000_000), [0]);
        assert_eq!(level_of(&timers, 1), 0);
        assert_eq!(timers.next_deadline(), Some(1_000_300_000));
        assert!(fire(&mut timers, 1_000_299_999).is_empty());
        assert_eq!(fire(&mut timers, 1_000_300_000), [1]);
        assert!(fire(&mut timers, 1_000_499_999).is_empty());
        assert_eq!(fire(&mut timers, 1_000_500_000), [2]);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn removal_frees_memory_at_once() {
        let mut timers = Wheel::new();
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let keys: Vec<_> = (0..100_000)
            .map(|_| timers.insert(rng.below(3600 * SEC), Waker::noop().clone()))
            .collect();
        assert_eq!(timers.len(), 100_000);
        let (front, back) = keys.split_at(50_000);
        for &key in front.iter().rev().chain(back) {
            timers.remove(key);
        }
        assert_eq!((timers.nodes.len(), timers.is_empty()), (0, true));
        assert_eq!((timers.occupied, timers.sorted0), ([0; LEVELS], 0));
        check(&timers);
        assert_eq!(timers.next_deadline(), None);

        let waker = Arc::new(Tag(7));
        let key = timers.insert(SEC, Waker::from(waker.clone()));
        timers.remove(key);
        assert_eq!(Arc::strong_count(&waker), 1, "dropped at removal");
        let capacity = timers.nodes.capacity();
        let reused = timers.insert(2 * SEC, tag(8));
        assert_eq!(
            (reused.index, timers.nodes.capacity()),
            (key.index, capacity)
        );
        assert!(
            mem::size_of::<Node>() <= 48,
            "one 48-byte slab entry per timer"
        );
    }

    #[test]
    fn past_deadlines_fire_at_next_fire_due() {
        let mut timers = Wheel::new();
        assert!(fire(&mut timers, 10 * SEC).is_empty());
        arm(&mut timers, &[5 * SEC, 10 * SEC, 0, 10 * SEC + 1]);
        check(&timers);
        assert_eq!(timers.next_deadline(), Some(0));
        assert_eq!(fire(&mut timers, 10 * SEC), [2, 0, 1]);
        assert_eq!(timers.next_deadline(), Some(10 * SEC + 1));
        arm(&mut timers, &[3]); // into the sorted, partly fired slot: still first
        check(&timers);
        assert_eq!(fire(&mut timers, 10 * SEC), [4]);
        assert_eq!(fire(&mut timers, 10 * SEC + 1), [3]);
    }

    #[test]
    fn far_deadlines_fire_exactly_and_in_order() {
        let mut timers = Wheel::new();
        let far = [
            u64::MAX / 2,
            3 * YEAR,
            YEAR + 1,
            u64::MAX,
            400 * YEAR,
            u64::MAX / 2,
            2 * SEC,
        ];
        let expected = arm(&mut timers, &far);
        check(&timers);
        assert_eq!(drain(&mut timers), expected);

        arm(&mut timers, &[u64::MAX / 2]);
        assert!(fire(&mut timers, u64::MAX / 2 - 1).is_empty());
        check(&timers);
        assert_eq!(fire(&mut timers, u64::MAX / 2), [7]);
    }

    #[test]
    fn poll_reports_fired_and_removed() {
        let mut timers = Wheel::new();
        let a = timers.insert(SEC, tag(0));
        let b = timers.insert(SEC, tag(1));
        assert!(
            !timers.poll(a, &tag(9)),
            "armed; the new waker replaces the old"
        );
        timers.remove(b);
        assert!(timers.poll(b, Waker::noop()));
        let c = timers.insert(2 * SEC, tag(2));
        assert_eq!(c.index, b.index, "b's entry is reused");
        assert!(timers.poll(b, Waker::noop()));
        timers.remove(b); // stale: must not disarm c
        assert_eq!(timers.len(), 2);
        assert_eq!(fire(&mut timers, SEC), [9]);
        assert!(timers.poll(a, Waker::noop()));
        timers.remove(a);
        assert!(!timers.poll(c, &tag(2)));
        assert_eq!(fire(&mut timers, 2 * SEC), [2]);
        assert!(timers.poll(c, Waker::noop()));
    }

    /// Removes from the model, in firing order, the ids due at `now_ns`.
    fn take_due(model: &mut Vec<(u64, u64)>, now_ns: u64) -> Vec<u64> {
        let mut due: Vec<_> = model
            .iter()
            .copied()
            .filter(|&(d, _)| d <= now_ns)
            .collect();
        due.sort();
        model.retain(|&(d, _)| d > now_ns);
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// Mixed operations against a naive model: a list of (deadline, id) fired in sorted order.
    fn against_model(seed: u64, spread_ns: u64, steps: usize) {
        let (mut rng, mut timers) = (XorShift(seed), Wheel::new());
        let (mut model, mut keys, mut now_ns) = (Vec::<(u64, u64)>::new(), Vec::new(), 0u64);
        for step in 0..steps {
            match rng.below(10) {
                0..=3 => {
                    let deadline_ns = match rng.below(8) {
                        0 => rng.below(now_ns.saturating_add(1)),
                        1 if !model.is_empty() => model[rng.below(model.len() as u64) as usize].0,
                        2 => now_ns.saturating_add(rng.next() >> rng.below(64)),
                        _ => now_ns.saturating_add(rng.below(spread_ns)),
                    };
                    let id = keys.len() as u64;
                    keys.push(timers.insert(deadline_ns, tag(id)));
                    model.push((deadline_ns, id));
                }
                4 | 5 if !keys.is_empty() => {
                    let id = rng.below(keys.len() as u64);
                    timers.remove(keys[id as usize]);
                    model.retain(|&(_, armed)| armed != id);
                }
                6 => {
                    let earliest = model.iter().map(|&(d, _)| d).min();
                    let wakeup = timers.next_wakeup();
                    assert_eq!(wakeup.is_some(), earliest.is_some());
                    assert!(wakeup <= earliest, "wakeup {wakeup:?} after {earliest:?}");
                    assert_eq!(timers.next_deadline(), earliest);
                }
                7 => {
                    // A `now` behind an earlier one fires exactly what is due by it.
                    let then_ns = rng.below(now_ns.saturating_add(1));
                    assert_eq!(fire(&mut timers, then_ns), take_due(&mut model, then_ns));
                }
                _ => {
                    now_ns = match rng.below(3) {
                        0 => timers.next_deadline().unwrap_or(now_ns).max(now_ns),
                        1 if rng.below(2) == 0 => {
                            timers.next_wakeup().unwrap_or(now_ns).max(now_ns)
                        }
                        1 => now_ns.saturating_add(rng.below(spread_ns / 8)),
                        _ => now_ns.saturating_add(rng.below(2 * MS)),
                    };
                    let due = take_due(&mut model, now_ns);
                    assert_eq!(fire(&mut timers, now_ns), due, "step {step}, now {now_ns}");
                }
            }
            assert_eq!(timers.len(), model.len());
            if !keys.is_empty() {
                let id = rng.below(keys.len() as u64);
                let armed = model.iter().any(|&(_, armed)| armed == id);
                assert_eq!(timers.poll(keys[id as usize], &tag(id)), !armed);
            }
            if step % 16 == 0 {
                check(&timers);
            }
        }
        model.sort();
        assert_eq!(
            drain(&mut timers),
            model,
            "each fired at exactly its deadline, in order"
        );
    }

    #[test]
    fn matches_model_with_dense_deadlines() {
        for (seed, spread_ns) in [(1, 5 * MS), (2, 200 * MS)] {
            against_model(seed, spread_ns, 20_000);
        }
    }

    #[test]
    fn matches_model_with_huge_spread() {
        for (seed, spread_ns) in [(3, 10 * SEC), (4, 1 << 58)] {
            against_model(seed, spread_ns, 20_000);
        }
    }
}
