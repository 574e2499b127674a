//! Per-child wakers and a ready queue: how `gather!(..iter)` and `as_completed!` re-poll only the
//! children that were woken.
//!
//! A [`Group`] owns `n` children in one pinned allocation of [`MaybeDone`] slots and gives each
//! child its own [`Waker`], all pointing into one shared allocation (see [`WakeQueue`]). Waking
//! child `i` pushes `i` onto the group's ready queue (once, until it is polled again) and wakes
//! the parent task only when the queue goes from empty to non-empty. When the parent is polled, the group drains the queue and polls only the children
//! in it. So a wake costs O(1), a poll costs O(children woken), and the total work of running
//! `n` children is linear in `n`, whatever order they finish in.
//!
//! Invariants:
//!
//! * `queued[i]` is `true` exactly while the child's index sits in the shared queue or
//!   in the parent's current batch; it is cleared just before the child is polled, so a wake
//!   during the poll queues the child again.
//! * Each poll of the parent drains the queue once, and the drain stores the parent's waker
//!   under the same lock as the queue: a push after the drain finds the queue empty and wakes
//!   that waker. No wake is lost.
//! * Every woken child is polled in the poll that drained it (never left for later), so each
//!   child starts at the group's first poll and runs as soon as it is woken, as asyncio's
//!   tasks do.
//! * A finished child's slot is `Done` or `Taken`; a late wake of it is skipped.

use std::collections::VecDeque;
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

use crate::join::maybe_done::MaybeDone;

/// The part of a group that wakers share across threads: one allocation for the whole group.
///
/// Child `i`'s waker is a `RawWaker` whose data pointer is `&links[i]`; `links[i]` holds the
/// address of this `WakeQueue`, and `i` is the link's offset in `links`. Each `Waker` value owns
/// one strong count of the `Arc<WakeQueue>` (the vtable below keeps the count), so no per-child
/// allocation is needed: 9 bytes per child here. This is the `unsafe` of the module (with the
/// pinned indexing); the safe alternative, one `Arc` per child through `std::task::Wake`, was
/// measured slower in `benches/gather.rs` and `benches/as_completed.rs` (same machine, same
/// run conditions): `gather!(..)` of 10k children 710 us safe vs 398 us raw, 100k 7.26 ms vs
/// 6.57 ms; `as_completed!` 10k 747 us vs 421 us, 100k 7.51 ms vs 7.23 ms.
struct WakeQueue {
    state: Mutex<WakeQueueState>,
    /// `queued[i]` is set while child `i` sits in the ready queue or the parent's batch.
    queued: Box<[AtomicBool]>,
    /// `links[i]` is the address of this `WakeQueue`; `&links[i]` is child `i`'s waker data.
    links: Box<[AtomicPtr<WakeQueue>]>,
}

struct WakeQueueState {
    /// Indices of woken children, in wake order.
    ready: Vec<u32>,
    /// The parent's waker, stored by the last drain and taken by the wake that found `ready`
    /// empty.
    parent: Option<Waker>,
}

impl WakeQueue {
    /// Queues child `index` (once, until it is polled again) and wakes the parent when the
    /// queue was empty.
    fn wake(&self, index: usize) {
        if self.queued[index].swap(true, Ordering::AcqRel) {
            return; // already queued: the parent will poll it
        }
        let parent = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.ready.push(index as u32);
            // A non-empty queue means the parent was already woken since its last drain.
            if state.ready.len() == 1 {
                state.parent.take()
            } else {
                None
            }
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }

    /// Child `index`'s waker, borrowed: it owns no strong count, so it must not be dropped
    /// (`ManuallyDrop`) nor outlive `self`'s `Arc`; a clone of it owns one.
    fn borrowed_waker(&self, index: usize) -> ManuallyDrop<Waker> {
        let data: *const AtomicPtr<WakeQueue> = &self.links[index];
        // SAFETY: the data pointer is a link of a live `WakeQueue`, as the vtable requires; the
        // waker is never dropped, so it never gives back the strong count it does not own, and
        // the caller holds an `Arc<WakeQueue>` for as long as it lends the waker out.
        ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data.cast(), &VTABLE)) })
    }
}

/// The vtable of children's wakers. Each takes a data pointer that is `&links[i]` of a live
/// `WakeQueue` on which the waker owns one strong count (except borrowed wakers, which are never
/// dropped nor woken by value: `Waker::wake` consumes an owned clone).
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// The `WakeQueue` and the child index a waker's data pointer names.
///
/// # Safety
///
/// `data` is `&links[i]` of a `WakeQueue` kept alive by a strong count for the returned lifetime.
unsafe fn link<'a>(data: *const ()) -> (&'a WakeQueue, usize) {
    let link = data.cast::<AtomicPtr<WakeQueue>>();
    // SAFETY: `link` points into a live `WakeQueue`'s `links` (the caller's contract), and the
    // link holds that `WakeQueue`'s address, so both dereferences are of live memory.
    let shared = unsafe { &*(*link).load(Ordering::Relaxed) };
    let index =
        (link as usize - shared.links.as_ptr() as usize) / size_of::<AtomicPtr<WakeQueue>>();
    (shared, index)
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned owns (or, borrowed, is backed by) a strong count, so the
    // `WakeQueue` is live; the clone takes a count of its own.
    unsafe {
        let (shared, _) = link(data);
        Arc::increment_strong_count(ptr::from_ref(shared));
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: an owned waker: wake through it, then give back its strong count.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker owns (or is backed by) a strong count, so the `WakeQueue` is live.
    let (shared, index) = unsafe { link(data) };
    shared.wake(index);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: an owned waker gives back the strong count it owns; the `WakeQueue` is live until
    // then, and nothing reads it after.
    unsafe {
        let (shared, _) = link(data);
        Arc::decrement_strong_count(ptr::from_ref(shared));
    }
}

/// `n` children in one pinned allocation, each with its own waker, and the queue of those that
/// were woken.
pub(crate) struct Group<F: Future> {
    slots: Pin<Box<[MaybeDone<F>]>>,
    shared: Arc<WakeQueue>,
    /// Whether the first poll, which polls every child in argument order, has happened.
    started: bool,
    /// The indices drained from the shared queue (kept to reuse its allocation).
    batch: Vec<u32>,
    /// With `track_done`: the children that finished and were not popped yet, in completion
    /// order.
    done: VecDeque<u32>,
    track_done: bool,
    /// Children not finished yet.
    remaining: usize,
}

impl<F: Future> Group<F> {
    /// Takes every future of `children`; each is first polled at the group's first poll, in
    /// argument order. With `track_done`, finished children are queued for [`Group::pop_done`].
    ///
    /// # Panics
    ///
    /// With more than `u32::MAX` children.
    pub(crate) fn new(children: impl IntoIterator<Item = F>, track_done: bool) -> Self {
        let slots: Box<[MaybeDone<F>]> = children.into_iter().map(MaybeDone::new).collect();
        let n = u32::try_from(slots.len())
            .unwrap_or_else(|_| panic!("corio: more than {} children in one group", u32::MAX));
        let shared = Arc::new_cyclic(|shared: &Weak<WakeQueue>| WakeQueue {
            state: Mutex::new(WakeQueueState {
                ready: Vec::new(),
                parent: None,
            }),
            // Until the first poll every child counts as queued: it will be polled then.
            queued: (0..n).map(|_| AtomicBool::new(true)).collect(),
            // The address the `Arc` will hold (`Weak::as_ptr` gives it before it is built).
            links: (0..n)
                .map(|_| AtomicPtr::new(shared.as_ptr().cast_mut()))
                .collect(),
        });
        Group {
            slots: Box::into_pin(slots),
            shared,
            started: false,
            batch: Vec::new(),
            done: VecDeque::new(),
            track_done,
            remaining: n as usize,
        }
    }

    /// The number of children not finished yet.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Polls every child woken since the last call (all of them at the first call), once, in
    /// wake order; a child that finishes keeps its output in its slot (`Done`) and, with
    /// `track_done`, is queued for [`Group::pop_done`]. Registers `cx`'s waker: the parent is
    /// woken when a child is.
    ///
    /// Children woken during the call (one that yields, waking itself) are polled at the next
    /// call, so children that wake themselves in a loop cannot starve the parent's executor.
    pub(crate) fn poll_woken(&mut self, cx: &mut Context<'_>) {
        self.drain(cx.waker());
        if !self.started {
            // Every child is due for its first poll, in argument order (the batch is empty:
            // nothing could be queued before).
            self.started = true;
            for index in 0..self.slots.len() {
                self.poll_child(index);
            }
            return;
        }
        let batch = mem::take(&mut self.batch);
        for &index in &batch {
            self.poll_child(index as usize);
        }
        self.batch = batch;
    }

    /// Polls child `index` with its own waker, if it is unfinished.
    fn poll_child(&mut self, index: usize) {
        self.shared.queued[index].store(false, Ordering::Release);
        let slot = pin_slot(&mut self.slots, index);
        if !slot.is_pending() {
            return;
        }
        let waker = self.shared.borrowed_waker(index);
        if slot.poll_done(&mut Context::from_waker(&waker)) {
            self.remaining -= 1;
            if self.track_done {
                self.done.push_back(index as u32);
            }
        }
    }

    /// The number of finished children not popped yet.
    pub(crate) fn done_len(&self) -> usize {
        self.done.len()
    }

    /// The next finished child not popped yet, in completion order (`track_done` only).
    pub(crate) fn pop_done(&mut self) -> Option<usize> {
        self.done.pop_front().map(|index| index as usize)
    }

    /// Moves the shared queue into `batch` and registers the parent's waker, under one lock.
    fn drain(&mut self, parent: &Waker) {
        self.batch.clear();
        let mut state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        mem::swap(&mut self.batch, &mut state.ready);
        match &mut state.parent {
            Some(stored) if stored.will_wake(parent) => {}
            stored => *stored = Some(parent.clone()),
        }
    }

    /// The slot of child `index`, pinned.
    pub(crate) fn slot(&mut self, index: usize) -> Pin<&mut MaybeDone<F>> {
        pin_slot(&mut self.slots, index)
    }

    /// The number of children the group was built with.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Drops every unfinished child now (each exactly once) and every output not taken.
    pub(crate) fn clear(&mut self) {
        for index in 0..self.len() {
            self.slot(index).set(MaybeDone::Taken);
        }
        self.remaining = 0;
        self.done.clear();
    }
}

/// Element `index` of a pinned slice, pinned.
fn pin_slot<T>(slots: &mut Pin<Box<[T]>>, index: usize) -> Pin<&mut T> {
    // SAFETY: a pinned slice's elements are structurally pinned: the slice is never moved,
    // resized or replaced while it lives (`Group` only hands out pinned references to its
    // elements, and `Pin::set` drops an element in place). The closure only indexes
    // (bounds-checked) and moves nothing out.
    unsafe { slots.as_mut().map_unchecked_mut(|slots| &mut slots[index]) }
}

#[cfg(test)]
mod tests {
    use std::future::{Future, poll_fn};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::Group;

    /// A child that keeps a clone of its waker in `store` and is ready when `ready` says so.
    fn child(
        store: Arc<Mutex<Vec<Waker>>>,
        ready: Arc<Mutex<bool>>,
    ) -> impl Future<Output = ()> + Send {
        poll_fn(move |cx| {
            if *ready.lock().unwrap() {
                return Poll::Ready(());
            }
            store.lock().unwrap().push(cx.waker().clone());
            Poll::Pending
        })
    }

    #[test]
    fn wakers_keep_the_shared_state_alive_and_give_their_counts_back() {
        let store = Arc::new(Mutex::new(Vec::new()));
        let ready = Arc::new(Mutex::new(false));
        let mut group = Group::new((0..3).map(|_| child(store.clone(), ready.clone())), true);
        let mut cx = Context::from_waker(Waker::noop());
        group.poll_woken(&mut cx);
        assert_eq!(store.lock().unwrap().len(), 3);
        assert_eq!(
            Arc::strong_count(&group.shared),
            4,
            "the group and one per stored waker"
        );

        // Clones, wakes by reference and by value: each clone owns a count.
        let clone = store.lock().unwrap()[1].clone();
        assert_eq!(Arc::strong_count(&group.shared), 5);
        assert!(clone.will_wake(&store.lock().unwrap()[1]));
        assert!(!clone.will_wake(&store.lock().unwrap()[0]));
        clone.wake_by_ref();
        clone.wake();
        assert_eq!(Arc::strong_count(&group.shared), 4);

        // Only child 1 was queued, once.
        *ready.lock().unwrap() = true;
        group.poll_woken(&mut cx);
        assert_eq!(group.pop_done(), Some(1));
        assert_eq!(group.pop_done(), None);
        assert_eq!(group.remaining(), 2);

        // Wakers outlive the group: waking them then is harmless, dropping them frees all.
        let shared = Arc::downgrade(&group.shared);
        drop(group);
        assert!(shared.upgrade().is_some());
        let wakers: Vec<Waker> = store.lock().unwrap().drain(..).collect();
        for waker in &wakers {
            waker.wake_by_ref();
        }
        drop(wakers);
        assert!(
            shared.upgrade().is_none(),
            "the last waker freed the shared state"
        );
    }

    #[test]
    fn wakes_from_other_threads_reach_the_parent() {
        let store = Arc::new(Mutex::new(Vec::new()));
        let ready = Arc::new(Mutex::new(false));
        let mut group = Group::new((0..64).map(|_| child(store.clone(), ready.clone())), false);
        let parent = Arc::new(Parent::default());
        let parent_waker = Waker::from(parent.clone());
        group.poll_woken(&mut Context::from_waker(&parent_waker));
        *ready.lock().unwrap() = true;
        let wakers: Vec<Waker> = store.lock().unwrap().drain(..).collect();
        std::thread::scope(|scope| {
            for chunk in wakers.chunks(16) {
                scope.spawn(move || chunk.iter().for_each(Waker::wake_by_ref));
            }
        });
        assert_eq!(
            *parent.0.lock().unwrap(),
            1,
            "woken once: the queue went non-empty once"
        );
        group.poll_woken(&mut Context::from_waker(&parent_waker));
        assert_eq!(group.remaining(), 0);
    }

    /// Counts its wakes.
    #[derive(Default)]
    struct Parent(Mutex<usize>);

    impl std::task::Wake for Parent {
        fn wake(self: Arc<Self>) {
            *self.0.lock().unwrap() += 1;
        }
    }
}
