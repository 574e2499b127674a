//! asyncio's `queues.py`: [`Queue`] (FIFO), [`PriorityQueue`] (smallest first) and
//! [`LifoQueue`] (last in, first out), with `maxsize`, `task_done`/`join` and 3.13's
//! `shutdown`; errors [`QueueFull`], [`QueueEmpty`], [`QueueShutDown`].
//!
//! Like the [locks](crate::Lock), queues belong to one thread (`!Send`, `!Sync`), are cheap
//! `Clone` handles to one shared queue, use only wakers, and so work under any
//! single-threaded executor.
//!
//! Ordering, as asyncio's: blocked getters (and putters) are woken one at a time, longest
//! waiting first, each time an item arrives (or a slot frees). A woken getter takes an item
//! when it runs; if another task took it first (with `get_nowait`, say), it queues again at the
//! back. A woken getter or putter dropped (its task cancelled) before it runs passes its wakeup
//! to the next one, so no item and no free slot is left unnoticed.
//!
//! Differences from asyncio, for Rust: `maxsize` is a `usize` (0 means unbounded, as asyncio's
//! `maxsize <= 0`; a negative size is a compile error); a failed put hands the item back inside
//! its error; `task_done()` called too often panics (asyncio's `ValueError`).

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::event::Event;
use crate::sync::queue_errors::{
    GetNowaitError, PutNowaitError, QueueEmpty, QueueFull, QueueShutDown,
};
use crate::sync::wait_list::{self, WaitList, WaiterKey};

/// How many items a store holds (asyncio's `_qsize`); apart from [`Store`] so the futures'
/// destructors, which cannot name the item type's bounds, can call it.
trait StoreLen {
    fn len(&self) -> usize;
}

/// Where a queue keeps its items: asyncio's `_put` and `_get` overrides.
trait Store<T>: StoreLen {
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
}

impl<T> Store<T> for VecDeque<T> {
    fn push(&mut self, item: T) {
        self.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }
}

impl<T> StoreLen for VecDeque<T> {
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

/// A stack, for [`LifoQueue`].
struct Stack<T>(Vec<T>);

impl<T> Store<T> for Stack<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
}

impl<T> StoreLen for Stack<T> {
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A min-heap, for [`PriorityQueue`].
struct MinHeap<T>(BinaryHeap<Reverse<T>>);

impl<T: Ord> Store<T> for MinHeap<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
}

impl<T> StoreLen for MinHeap<T> {
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// The queue itself, over any [`Store`]: asyncio's `Queue` class body.
struct QueueState<S> {
    items: RefCell<S>,
    maxsize: usize,
    getters: RefCell<WaitList>,
    putters: RefCell<WaitList>,
    unfinished: Cell<usize>,
    finished: Event,
    shutdown: Cell<bool>,
}

impl<S> QueueState<S> {
    fn new(items: S, maxsize: usize) -> Self {
        let finished = Event::new();
        finished.set();
        QueueState {
            items: RefCell::new(items),
            maxsize,
            getters: RefCell::new(WaitList::new()),
            putters: RefCell::new(WaitList::new()),
            unfinished: Cell::new(0),
            finished,
            shutdown: Cell::new(false),
        }
    }

    fn qsize(&self) -> usize
    where
        S: StoreLen,
    {
        self.items.borrow().len()
    }

    fn full(&self) -> bool
    where
        S: StoreLen,
    {
        self.maxsize > 0 && self.qsize() >= self.maxsize
    }

    fn put_nowait<T>(&self, item: T) -> Result<(), PutNowaitError<T>>
    where
        S: Store<T>,
    {
        if self.shutdown.get() {
            return Err(PutNowaitError::ShutDown(QueueShutDown(item)));
        }
        if self.full() {
            return Err(PutNowaitError::Full(QueueFull(item)));
        }
        self.items.borrow_mut().push(item);
        self.unfinished.set(self.unfinished.get() + 1);
        self.finished.clear();
        wait_list::notify(&self.getters, 1);
        Ok(())
    }

    fn get_nowait<T>(&self) -> Result<T, GetNowaitError>
    where
        S: Store<T>,
    {
        let item = self.items.borrow_mut().pop();
        match item {
            Some(item) => {
                wait_list::notify(&self.putters, 1);
                Ok(item)
            }
            None if self.shutdown.get() => Err(GetNowaitError::ShutDown(QueueShutDown(()))),
            None => Err(GetNowaitError::Empty(QueueEmpty)),
        }
    }

    fn task_done(&self) {
        let unfinished = self.unfinished.get();
        assert!(unfinished > 0, "task_done() called too many times");
        self.unfinished.set(unfinished - 1);
        if unfinished == 1 {
            self.finished.set();
        }
    }

    async fn join(&self) {
        if self.unfinished.get() > 0 {
            self.finished.wait().await;
        }
    }

    fn shutdown<T>(&self, immediate: bool)
    where
        S: Store<T>,
    {
        self.shutdown.set(true);
        if immediate {
            loop {
                // Each item is dropped after the borrow ends: its destructor may use the queue.
                let item = self.items.borrow_mut().pop();
                if item.is_none() {
                    break;
                }
                drop(item);
                if self.unfinished.get() > 0 {
                    self.unfinished.set(self.unfinished.get() - 1);
                }
            }
            if self.unfinished.get() == 0 {
                self.finished.set();
            }
        }
        let n = self.getters.borrow().waiting();
        wait_list::notify(&self.getters, n);
        let n = self.putters.borrow().waiting();
        wait_list::notify(&self.putters, n);
    }
}

/// The future of a queue's `put`.
struct Put<'a, T, S: StoreLen> {
    core: &'a QueueState<S>,
    item: Option<T>,
    key: Option<WaiterKey>,
}

impl<T, S: StoreLen> Unpin for Put<'_, T, S> {}

impl<T, S: Store<T>> Future for Put<'_, T, S> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = self.core;
        if let Some(key) = self.key {
            let mut list = core.putters.borrow_mut();
            if !list.poll_notified(key, cx.waker()) {
                return Poll::Pending;
            }
            list.remove(key);
            self.key = None;
        }
        let item = self.item.take().expect("`put` polled after completion");
        match core.put_nowait(item) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(PutNowaitError::ShutDown(e)) => Poll::Ready(Err(e)),
            Err(PutNowaitError::Full(QueueFull(item))) => {
                self.item = Some(item);
                self.key = Some(core.putters.borrow_mut().push_back(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl<T, S: StoreLen> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let core = self.core;
            let notified = core.putters.borrow_mut().remove(key);
            // Woken for a free slot we will not use: pass the wakeup on.
            let full = core.maxsize > 0 && core.items.borrow().len() >= core.maxsize;
            if notified && !full {
                wait_list::notify(&core.putters, 1);
            }
        }
    }
}

/// The future of a queue's `get`.
struct Get<'a, T, S: StoreLen> {
    core: &'a QueueState<S>,
    key: Option<WaiterKey>,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T, S: Store<T>> Future for Get<'_, T, S> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = self.core;
        if let Some(key) = self.key {
            let mut list = core.getters.borrow_mut();
            if !list.poll_notified(key, cx.waker()) {
                return Poll::Pending;
            }
            list.remove(key);
            self.key = None;
        }
        match core.get_nowait() {
            Ok(item) => Poll::Ready(Ok(item)),
            Err(GetNowaitError::ShutDown(e)) => Poll::Ready(Err(e)),
            Err(GetNowaitError::Empty(_)) => {
                self.key = Some(core.getters.borrow_mut().push_back(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl<T, S: StoreLen> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let core = self.core;
            let notified = core.getters.borrow_mut().remove(key);
            // Woken for an item we will not take: pass the wakeup on.
            if notified && core.items.borrow().len() > 0 {
                wait_list::notify(&core.getters, 1);
            }
        }
    }
}

macro_rules! queue_methods {
    () => {
        /// The largest number of items the queue holds (asyncio's `maxsize`); 0 means
        /// unbounded.
        pub fn maxsize(&self) -> usize {
            self.core.maxsize
        }

        /// How many items are in the queue (asyncio's `qsize()`).
        pub fn qsize(&self) -> usize {
            self.core.qsize()
        }

        /// Whether the queue holds no item (asyncio's `empty()`).
        pub fn empty(&self) -> bool {
            self.qsize() == 0
        }

        /// Whether the queue holds `maxsize` items (asyncio's `full()`); never for an
        /// unbounded queue.
        pub fn full(&self) -> bool {
            self.core.full()
        }

        /// Puts `item` in the queue, waiting while it is full (asyncio's `put()`).
        /// `Err(QueueShutDown(item))` once the queue is shut down, even while waiting.
        /// Cancel-safe: dropping the future drops the item unput and leaves the putters'
        /// queue (a free slot it was woken for passes to the next putter).
        pub fn put(&self, item: T) -> impl Future<Output = Result<(), QueueShutDown<T>>> + '_ {
            Put {
                core: &*self.core,
                item: Some(item),
                key: None,
            }
        }

        /// Puts `item` without waiting (asyncio's `put_nowait()`): `QueueFull` when the
        /// queue is full, `QueueShutDown` once it is shut down, each with the item.
        pub fn put_nowait(&self, item: T) -> Result<(), PutNowaitError<T>> {
            self.core.put_nowait(item)
        }

        /// Removes and returns an item, waiting while the queue is empty (asyncio's `get()`).
        /// Once the queue is shut down, the remaining items still come out, then
        /// `Err(QueueShutDown(()))`. Cancel-safe: dropping the future takes no item (an item
        /// it was woken for passes to the next getter).
        pub fn get(&self) -> impl Future<Output = Result<T, QueueShutDown>> + '_ {
            Get {
                core: &*self.core,
                key: None,
                _item: std::marker::PhantomData,
            }
        }

        /// Removes and returns an item without waiting (asyncio's `get_nowait()`):
        /// `QueueEmpty` when there is none, `QueueShutDown` when there is none and the queue
        /// is shut down.
        pub fn get_nowait(&self) -> Result<T, GetNowaitError> {
            self.core.get_nowait()
        }

        /// Marks one item taken from the queue as processed (asyncio's `task_done()`); when
        /// every item put has been marked, [`join`](Self::join) returns.
        ///
        /// # Panics
        ///
        /// With `task_done() called too many times` (asyncio's `ValueError`) when more items
        /// are marked than were put.
        pub fn task_done(&self) {
            self.core.task_done();
        }

        /// Waits until every item put has been marked with [`task_done`](Self::task_done)
        /// (asyncio's `join()`); returns at once if none is unfinished.
        pub fn join(&self) -> impl Future<Output = ()> + '_ {
            self.core.join()
        }

        /// Shuts the queue down (asyncio 3.13's `shutdown(immediate)`): puts fail with
        /// `QueueShutDown` from now on (waiting putters too); gets drain what is left, then
        /// fail (waiting getters are woken and fail). With `immediate`, the items left are
        /// dropped at once, each counted as done for [`join`](Self::join), so joiners are
        /// released.
        pub fn shutdown(&self, immediate: bool) {
            self.core.shutdown(immediate);
        }

        /// Whether [`shutdown`](Self::shutdown) was called.
        pub fn is_shut_down(&self) -> bool {
            self.core.shutdown.get()
        }
    };
}

macro_rules! queue_debug {
    ($name:ident) => {
        /// asyncio's repr: `<Queue maxsize=0 _getters[1] tasks=2>`.
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let core = &self.core;
            write!(f, "<{} maxsize={}", stringify!($name), core.maxsize)?;
            let getters = core.getters.borrow().waiting();
            if getters > 0 {
                write!(f, " _getters[{getters}]")?;
            }
            let putters = core.putters.borrow().waiting();
            if putters > 0 {
                write!(f, " _putters[{putters}]")?;
            }
            if core.unfinished.get() > 0 {
                write!(f, " tasks={}", core.unfinished.get())?;
            }
            if core.shutdown.get() {
                f.write_str(" shutdown")?;
            }
            f.write_str(">")
        }
    };
}

/// asyncio's `Queue`: first in, first out.
///
/// A `Queue` is a handle: clones share one queue (see the [`locks`](crate::Lock) module
/// docs). One thread, as asyncio's; it uses only wakers, so it works on any single-threaded
/// executor, not just corio's loop. See also [`LifoQueue`] and [`PriorityQueue`], which
/// behave the same apart from their order.
///
/// ```
/// let queue = corio_runtime::Queue::new(1);
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let consumer = corio_runtime::create_task({
///         let queue = queue.clone();
///         async move {
///             let mut got = Vec::new();
///             while let Ok(item) = queue.get().await {
///                 got.push(item);
///                 queue.task_done();
///             }
///             got
///         }
///     });
///     for i in 0..3 {
///         queue.put(i).await.unwrap(); // waits while the queue holds one item
///     }
///     queue.join().await;
///     queue.shutdown(false);
///     assert_eq!(consumer.await.unwrap(), [0, 1, 2]);
/// });
/// ```
pub struct Queue<T> {
    core: Rc<QueueState<VecDeque<T>>>,
}

impl<T> Queue<T> {
    /// A queue of at most `maxsize` items (asyncio's `Queue(maxsize)`); `0` means unbounded,
    /// as asyncio's `maxsize <= 0`.
    pub fn new(maxsize: usize) -> Self {
        Queue {
            core: Rc::new(QueueState::new(VecDeque::new(), maxsize)),
        }
    }

    queue_methods!();
}

/// Another handle to the same queue.
impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            core: self.core.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    queue_debug!(Queue);
}

/// asyncio's `LifoQueue`: last in, first out.
pub struct LifoQueue<T> {
    core: Rc<QueueState<Stack<T>>>,
}

impl<T> LifoQueue<T> {
    /// A stack of at most `maxsize` items (asyncio's `LifoQueue(maxsize)`); `0` means
    /// unbounded.
    pub fn new(maxsize: usize) -> Self {
        LifoQueue {
            core: Rc::new(QueueState::new(Stack(Vec::new()), maxsize)),
        }
    }

    queue_methods!();
}

/// Another handle to the same queue.
impl<T> Clone for LifoQueue<T> {
    fn clone(&self) -> Self {
        LifoQueue {
            core: self.core.clone(),
        }
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    queue_debug!(LifoQueue);
}

/// asyncio's `PriorityQueue`: the smallest item comes out first, as `heapq` orders it (equal
/// items in no promised order; use `(priority, sequence, item)` tuples for a stable order).
pub struct PriorityQueue<T: Ord> {
    core: Rc<QueueState<MinHeap<T>>>,
}

impl<T: Ord> PriorityQueue<T> {
    /// A priority queue of at most `maxsize` items (asyncio's `PriorityQueue(maxsize)`); `0`
    /// means unbounded.
    pub fn new(maxsize: usize) -> Self {
        PriorityQueue {
            core: Rc::new(QueueState::new(MinHeap(BinaryHeap::new()), maxsize)),
        }
    }

    queue_methods!();
}

/// Another handle to the same queue.
impl<T: Ord> Clone for PriorityQueue<T> {
    fn clone(&self) -> Self {
        PriorityQueue {
            core: self.core.clone(),
        }
    }
}

impl<T: Ord> fmt::Debug for PriorityQueue<T> {
    queue_debug!(PriorityQueue);
}
