//! Doubly linked lists whose nodes live in one [`Slab`] and link by index: the one list under
//! the sync primitives' wait lists and the timer wheel's slots.
//!
//! # Invariants
//!
//! * A node is either *linked* into exactly one list or *unlinked*; `prev`/`next` of an
//!   unlinked node are [`NIL`]. Several lists may share the slab (the wheel keeps 385): a
//!   list is just its [`ListEnds`], held by the caller, so the slab never knows which list a
//!   node is in. Callers that need to know keep it in the node's value.
//! * Only a node's owner removes it, after unlinking it ([`SlabList::remove`] checks in debug
//!   builds), so an index never dangles while its owner holds it; a removed index may be
//!   reused by the next insert (owners that keep stale keys add a generation, as the wheel's
//!   arming sequence does).
//! * Every operation is O(1) except walking.
//!
//! Indices are `u32` to keep nodes small (8 bytes of links); [`NIL`] is `u32::MAX`, so at most
//! `2^32 - 1` nodes are live at once.

use std::ops::{Index, IndexMut};

use slab::Slab;

use crate::util::slab_shrink::ShrinkPolicy;

/// The null index: the end of a list, or no list.
pub(crate) const NIL: u32 = u32::MAX;

/// The two ends of one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ListEnds {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl ListEnds {
    /// An empty list.
    pub(crate) const EMPTY: ListEnds = ListEnds {
        head: NIL,
        tail: NIL,
    };

    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

#[derive(Debug)]
struct Node<T> {
    value: T,
    prev: u32,
    next: u32,
}

/// The slab of nodes behind one or more lists. See the module docs.
#[derive(Debug)]
pub(crate) struct SlabList<T> {
    nodes: Slab<Node<T>>,
    /// Gives the slots back once the slab is mostly empty (after a burst).
    shrink: ShrinkPolicy,
}

impl<T> SlabList<T> {
    pub(crate) const fn new() -> Self {
        SlabList {
            nodes: Slab::new(),
            shrink: ShrinkPolicy::new(),
        }
    }

    /// How many nodes are live (linked or not).
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many nodes fit before the slab grows.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.capacity()
    }

    /// The bytes one node takes: the value and its two links.
    #[cfg(test)]
    pub(crate) fn node_size() -> usize {
        std::mem::size_of::<Node<T>>()
    }

    /// Stores `value` in an unlinked node; returns its index.
    ///
    /// # Panics
    ///
    /// With more than `2^32 - 1` live nodes.
    #[inline]
    pub(crate) fn insert(&mut self, value: T) -> u32 {
        let entry = self.nodes.vacant_entry();
        let index = match u32::try_from(entry.key()) {
            Ok(index) if index != NIL => index,
            _ => panic!("corio: more than 2^32 - 1 list nodes live at once"),
        };
        entry.insert(Node {
            value,
            prev: NIL,
            next: NIL,
        });
        index
    }

    /// Frees the unlinked node `index` and returns its value. The slab gives its slots back
    /// once it is mostly empty (see [`slab_shrink`](crate::util::slab_shrink)).
    #[inline]
    pub(crate) fn remove(&mut self, index: u32) -> T {
        let node = self.nodes.remove(index as usize);
        debug_assert!(
            node.prev == NIL && node.next == NIL,
            "removing a linked node"
        );
        self.shrink.after_remove(&mut self.nodes);
        node.value
    }

    /// The value of node `index`, if it is live.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<&T> {
        self.nodes.get(index as usize).map(|node| &node.value)
    }

    /// The value of node `index`, if it is live.
    #[inline]
    pub(crate) fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        self.nodes
            .get_mut(index as usize)
            .map(|node| &mut node.value)
    }

    /// The node after `index` in its list, or [`NIL`].
    #[inline]
    pub(crate) fn next(&self, index: u32) -> u32 {
        self.nodes[index as usize].next
    }

    /// The node before `index` in its list, or [`NIL`].
    #[inline]
    pub(crate) fn prev(&self, index: u32) -> u32 {
        self.nodes[index as usize].prev
    }

    /// Links the unlinked node `index` at the back of `list`.
    #[inline]
    pub(crate) fn push_back(&mut self, list: &mut ListEnds, index: u32) {
        let tail = list.tail;
        self.link_after(list, tail, index);
    }

    /// Links the unlinked node `index` into `list` right after `prev` ([`NIL`]: at the head).
    #[inline]
    pub(crate) fn link_after(&mut self, list: &mut ListEnds, prev: u32, index: u32) {
        let next = match prev {
            NIL => list.head,
            prev => self.nodes[prev as usize].next,
        };
        let node = &mut self.nodes[index as usize];
        (node.prev, node.next) = (prev, next);
        match prev {
            NIL => list.head = index,
            prev => self.nodes[prev as usize].next = index,
        }
        match next {
            NIL => list.tail = index,
            next => self.nodes[next as usize].prev = index,
        }
    }

    /// Unlinks node `index` from `list`, the list it is linked into.
    #[inline]
    pub(crate) fn unlink(&mut self, list: &mut ListEnds, index: u32) {
        let node = &mut self.nodes[index as usize];
        let (prev, next) = (node.prev, node.next);
        (node.prev, node.next) = (NIL, NIL);
        match prev {
            NIL => list.head = next,
            prev => self.nodes[prev as usize].next = next,
        }
        match next {
            NIL => list.tail = prev,
            next => self.nodes[next as usize].prev = prev,
        }
    }

    /// Unlinks and returns the head of `list`, if any.
    #[inline]
    pub(crate) fn pop_front(&mut self, list: &mut ListEnds) -> Option<u32> {
        let head = list.head;
        if head == NIL {
            return None;
        }
        self.unlink(list, head);
        Some(head)
    }
}

impl<T> Index<u32> for SlabList<T> {
    type Output = T;

    #[inline]
    fn index(&self, index: u32) -> &T {
        &self.nodes[index as usize].value
    }
}

impl<T> IndexMut<u32> for SlabList<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut T {
        &mut self.nodes[index as usize].value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(list: &SlabList<char>, ends: ListEnds) -> String {
        let mut out = String::new();
        let mut index = ends.head;
        while index != NIL {
            out.push(list[index]);
            index = list.next(index);
        }
        // Walk back too: the prev links must agree.
        let mut back = String::new();
        let mut index = ends.tail;
        while index != NIL {
            back.insert(0, list[index]);
            index = list.prev(index);
        }
        assert_eq!(out, back, "prev links disagree with next links");
        out
    }

    #[test]
    fn two_lists_share_one_slab() {
        let mut nodes = SlabList::new();
        let (mut a, mut b) = (ListEnds::EMPTY, ListEnds::EMPTY);
        let x = nodes.insert('x');
        let y = nodes.insert('y');
        let z = nodes.insert('z');
        nodes.push_back(&mut a, x);
        nodes.push_back(&mut a, z);
        nodes.link_after(&mut a, x, y);
        assert_eq!(collect(&nodes, a), "xyz");
        nodes.unlink(&mut a, y);
        nodes.push_back(&mut b, y);
        assert_eq!(
            (collect(&nodes, a).as_str(), collect(&nodes, b).as_str()),
            ("xz", "y")
        );
        let head = nodes.pop_front(&mut b).unwrap();
        nodes.link_after(&mut a, NIL, head);
        assert!(b.is_empty());
        assert_eq!(collect(&nodes, a), "yxz");
        nodes.unlink(&mut a, z);
        assert_eq!(nodes.remove(z), 'z');
        // The freed index is reused, unlinked.
        let w = nodes.insert('w');
        assert_eq!(w, z);
        nodes.push_back(&mut a, w);
        assert_eq!(collect(&nodes, a), "yxw");
        while let Some(index) = nodes.pop_front(&mut a) {
            nodes.remove(index);
        }
        assert!(a.is_empty() && nodes.is_empty());
    }
}
