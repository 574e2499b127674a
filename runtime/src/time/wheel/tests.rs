//! The wheel's tests: order, exactness, removal and the next-wakeup contract.

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
    let first = u64::from(timers.next_generation);
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

fn level_of(timers: &Wheel, index: u32) -> usize {
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
        let ListEnds { head, tail } = timers.lists[list];
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
            let node = &timers.nodes[index];
            assert_eq!((timers.nodes.prev(index), node.list as usize), (prev, list));
            let at_ns = node.deadline_ns.max(timers.elapsed_ns);
            assert_eq!(list_for(timers.elapsed_ns, at_ns), list, "misplaced timer");
            // Arming order (generations do not wrap in the tests), or, in a sorted slot,
            // (deadline, arming order).
            if prev != NIL {
                let order = |i: u32| (timers.nodes[i].deadline_ns, timers.nodes[i].generation);
                let (before, after) = (order(prev), order(index));
                match sorted {
                    true => assert!(before < after, "sorted slot {list} out of order"),
                    false => assert!(before.1 < after.1, "list {list} not in arming order"),
                }
            }
            (prev, index, seen) = (index, timers.nodes.next(index), seen + 1);
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
fn a_crowded_level_1_slot_cascades_in_deadline_then_arming_order() {
    // More timers in one level-1 slot (4.966 s to 5.033 s) than the cascade's radix sort
    // takes, on a few deadlines (long runs of ties), half cascaded there from level 2 and
    // half armed into level 1 afterwards, each half in shuffled deadline order.
    let mut timers = Wheel::new();
    let mut rng = XorShift(5);
    let mut deadlines = || -> Vec<u64> {
        (0..400)
            .map(|_| 5 * SEC + rng.below(6) * 3 * MS + rng.below(2))
            .collect()
    };
    let mut expected = arm(&mut timers, &deadlines());
    assert_eq!(level_of(&timers, 0), 2);
    assert!(fire(&mut timers, 4_300 * MS).is_empty()); // cascades level 2 -> level 1
    expected.extend(arm(&mut timers, &deadlines()));
    assert_eq!(level_of(&timers, 0), 1);
    assert_eq!(level_of(&timers, 400), 1);
    assert!(fire(&mut timers, 4_990 * MS).is_empty()); // cascades level 1 -> level 0
    assert_eq!(level_of(&timers, 0), 0);
    check(&timers);
    expected.sort();
    assert_eq!(drain(&mut timers), expected);
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
        SlabList::<Timer>::node_size() <= 48,
        "one 48-byte node per timer"
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
                    1 if rng.below(2) == 0 => timers.next_wakeup().unwrap_or(now_ns).max(now_ns),
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

#[test]
fn a_timer_and_its_key_stay_small() {
    // Deadline, waker, generation and list: with the shared list's two links, a 40-byte slab
    // entry; a key is one word, so a `Sleep` holding one is too.
    assert_eq!(std::mem::size_of::<Timer>(), 32);
    assert_eq!(std::mem::size_of::<TimerKey>(), 8);
}

#[test]
fn generations_wrap_without_touching_order_or_keys() {
    let mut timers = Wheel::new();
    timers.next_generation = u32::MAX - 2;
    // Six timers across the wrap, on two deadlines (odd ones at 1 ms): equal deadlines fire
    // in arming order, which a comparison of wrapped generations would get wrong.
    let keys: Vec<_> = (0..6)
        .map(|i| timers.insert([2 * MS, MS][i % 2], tag(i as u64)))
        .collect();
    assert_eq!(timers.next_generation, 3);
    timers.remove(keys[2]);
    assert!(!timers.poll(keys[5], &tag(5)), "armed across the wrap");
    assert_eq!(fire(&mut timers, 2 * MS), [1, 3, 5, 0, 4]);
    assert!(timers.poll(keys[5], &tag(5)), "fired");
    // Each freed entry is reused with a new generation: the old keys stay stale.
    let fresh = timers.insert(3 * MS, tag(9));
    assert!(keys.iter().all(|&key| key != fresh));
    timers.remove(keys[0]);
    assert_eq!(fire(&mut timers, 3 * MS), [9]);
}
