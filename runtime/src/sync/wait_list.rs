//! A FIFO list of waiting futures, the one building block of the sync primitives and queues
//! (asyncio keeps a `collections.deque` of futures for the same purpose).
//!
//! Invariants:
//!
//! * Every waiter is a slab entry owned by exactly one future, which alone removes it (when it
//!   completes or is dropped), so a key never dangles and is never reused while its future
//!   lives.
//! * An entry is either *waiting* (linked into the FIFO list, in arrival order) or *notified*
//!   (unlinked: asyncio's "future done, but its task has not run yet"). Notifying pops the
//!   head, so the waiting entries are always exactly the linked ones, and `notify_one` is O(1).
//! * Removal returns whether the entry had been notified, so a future dropped after it was
//!   woken can hand what it was given (a lock, a permit, an item's slot) to the next waiter:
//!   no wakeup is lost.
//!
//! The list hands wakers back instead of waking them, so callers wake only after their
//! `RefCell` borrow ends: a waker may run arbitrary code.

use std::task::Waker;

use crate::util::slab_list::{ListEnds, SlabList};

/// Names one entry of a [`WaitList`]; only the future that pushed it holds it.
pub(crate) type WaiterKey = u32;

struct Waiter {
    /// The waker of the future's latest poll; taken when the entry is notified.
    waker: Option<Waker>,
    /// Unlinked and woken; stays in the slab until its future removes it.
    notified: bool,
}

/// A FIFO of waiters. See the module docs for the invariants.
pub(crate) struct WaitList {
    nodes: SlabList<Waiter>,
    waiting: ListEnds,
    /// Entries notified but not yet removed by their future.
    notified: usize,
}

impl WaitList {
    pub(crate) const fn new() -> Self {
        WaitList {
            nodes: SlabList::new(),
            waiting: ListEnds::EMPTY,
            notified: 0,
        }
    }

    /// No entry at all: nothing waiting and nothing notified but not yet run.
    pub(crate) fn is_idle(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many entries are notified but not yet removed.
    pub(crate) fn notified(&self) -> usize {
        self.notified
    }

    /// How many entries are waiting.
    pub(crate) fn waiting(&self) -> usize {
        self.nodes.len() - self.notified
    }

    /// Appends a waiting entry; returns its key.
    pub(crate) fn push_back(&mut self, waker: &Waker) -> WaiterKey {
        let key = self.nodes.insert(Waiter {
            waker: Some(waker.clone()),
            notified: false,
        });
        self.nodes.push_back(&mut self.waiting, key);
        key
    }

    /// Whether `key` has been notified; if not, records `waker` as the one to wake.
    pub(crate) fn poll_notified(&mut self, key: WaiterKey, waker: &Waker) -> bool {
        let node = &mut self.nodes[key];
        if node.notified {
            return true;
        }
        match &mut node.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    /// Removes `key`'s entry; returns whether it had been notified.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> bool {
        let notified = self.nodes[key].notified;
        if notified {
            self.notified -= 1;
        } else {
            self.nodes.unlink(&mut self.waiting, key);
        }
        self.nodes.remove(key);
        notified
    }

    /// Notifies the first waiting entry (unlinks it); returns its waker for the caller to wake
    /// once its borrow ends, or `None` when nothing waits.
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        let key = self.nodes.pop_front(&mut self.waiting)?;
        let node = &mut self.nodes[key];
        node.notified = true;
        self.notified += 1;
        // A node is given a waker when pushed and keeps one until it is notified.
        node.waker.take()
    }
}

/// Notifies up to `n` waiters of the list in `cell`, in FIFO order, waking each after the
/// borrow ends. Returns how many were notified.
pub(crate) fn notify(cell: &std::cell::RefCell<WaitList>, n: usize) -> usize {
    let mut done = 0;
    while done < n {
        let Some(waker) = cell.borrow_mut().notify_one() else {
            break;
        };
        waker.wake();
        done += 1;
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn fifo_with_removal_in_the_middle() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut list = WaitList::new();
        let a = list.push_back(&waker);
        let b = list.push_back(&waker);
        let c = list.push_back(&waker);
        assert_eq!(list.waiting(), 3);
        assert!(!list.remove(b));
        list.notify_one().unwrap().wake();
        assert!(list.poll_notified(a, &waker));
        assert!(!list.poll_notified(c, &waker));
        assert_eq!((list.waiting(), list.notified()), (1, 1));
        list.notify_one().unwrap().wake();
        assert!(list.notify_one().is_none());
        assert_eq!(list.waiting(), 0);
        assert!(list.remove(a));
        assert!(list.remove(c));
        assert!(list.is_idle());
        assert_eq!(count.0.load(Ordering::Relaxed), 2);
        // Reused keys link correctly.
        let d = list.push_back(&waker);
        let e = list.push_back(&waker);
        assert!(!list.remove(e));
        list.notify_one().unwrap();
        assert!(list.poll_notified(d, &waker));
    }
}
