//! The sort behind a level-1 cascade: a stable least-significant-digit radix sort of the
//! batch by each timer's offset in the slot.
//!
//! A level-1 slot spans `2^26` ns, so every offset fits in [`KEY_BITS`] bits, and the batch
//! arrives in arming order (see `Wheel::cascade_sorted`). Three counting passes (10, 10 and 6
//! bits) order thousands of timers in a few instructions each, where a comparison sort of
//! (deadline, seq) keys took over a hundred, and being stable they keep arming order among
//! equal deadlines without comparing sequence numbers. A small batch, where the counters'
//! fixed cost would dominate, takes the standard library's stable sort instead.

use std::mem;

/// Bits of a sort key: a deadline's offset from the start of its level-1 slot.
pub(super) const KEY_BITS: u32 = 26;
/// The passes, as (shift, bits), least significant digit first.
const DIGITS: [(u32, u32); 3] = [(0, 10), (10, 10), (20, KEY_BITS - 20)];
/// Counters per pass: the widest digit's values.
const COUNTERS: usize = 1 << 10;
/// Batches shorter than this take a comparison sort: the passes' prefix sums over their
/// counters would cost more than the sort they save.
const RADIX_MIN: usize = 256;

/// An item of the batch: `key` (below `2^KEY_BITS`) in the high half, `index` in the low.
pub(super) fn item(key: u64, index: u32) -> u64 {
    debug_assert!(key < 1 << KEY_BITS);
    key << 32 | u64::from(index)
}

/// An item's key.
pub(super) fn key(item: u64) -> u64 {
    item >> 32
}

/// An item's index.
pub(super) fn index(item: u64) -> u32 {
    item as u32
}

/// Sorts `items` by key, keeping the order of items with equal keys. `scratch` is working
/// space, left with unspecified contents.
pub(super) fn sort_stable(items: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if items.len() < RADIX_MIN {
        items.sort_by_key(|&item| key(item));
        return;
    }
    let mut counts = [[0u32; COUNTERS]; DIGITS.len()];
    for &item in items.iter() {
        for (count, &(shift, bits)) in counts.iter_mut().zip(&DIGITS) {
            count[digit(item, shift, bits)] += 1;
        }
    }
    scratch.clear();
    scratch.resize(items.len(), 0);
    for (count, &(shift, bits)) in counts.iter_mut().zip(&DIGITS) {
        // A digit every item shares leaves the order as it is.
        if count[digit(items[0], shift, bits)] as usize == items.len() {
            continue;
        }
        // Each counter becomes where its first item goes.
        let mut next = 0;
        for slot in &mut count[..1 << bits] {
            (*slot, next) = (next, next + *slot);
        }
        for &item in items.iter() {
            let slot = &mut count[digit(item, shift, bits)];
            scratch[*slot as usize] = item;
            *slot += 1;
        }
        mem::swap(items, scratch);
    }
}

fn digit(item: u64, shift: u32, bits: u32) -> usize {
    (key(item) >> shift) as usize & ((1 << bits) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudo-random sequence (xorshift), the same on every run.
    fn keys(n: usize, mut state: u64, span: u64) -> Vec<u64> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state % span
            })
            .collect()
    }

    fn check(keys: &[u64]) {
        let mut items: Vec<u64> = (0u32..).zip(keys).map(|(i, &k)| item(k, i)).collect();
        let mut expected = items.clone();
        expected.sort_by_key(|&item| key(item));
        sort_stable(&mut items, &mut Vec::new());
        assert_eq!(items, expected, "{} keys", keys.len());
    }

    #[test]
    fn sorts_like_the_standard_stable_sort_above_and_below_the_radix_threshold() {
        for n in [0, 1, 2, RADIX_MIN - 1, RADIX_MIN, 5000] {
            check(&keys(n, 0x9e37_79b9_7f4a_7c15, 1 << KEY_BITS));
        }
    }

    #[test]
    fn keeps_arming_order_among_equal_keys() {
        // Few distinct keys: long runs of equal keys, whose indices must stay increasing.
        check(&keys(3000, 7, 5));
        // Keys sharing their low digit, or their high one: the skipped passes.
        let shared_low: Vec<u64> = keys(3000, 11, 1 << 16).iter().map(|k| k << 10).collect();
        check(&shared_low);
        check(&keys(3000, 13, 1 << 10));
        // The largest key.
        check(&[(1 << KEY_BITS) - 1; 300]);
    }
}
