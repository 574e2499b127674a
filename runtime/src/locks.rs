//! asyncio's `locks.py`: [`Event`], [`Lock`], [`Semaphore`], [`BoundedSemaphore`] and
//! [`Condition`] (the [`Barrier`](crate::Barrier) has a module of its own).
//!
//! # One thread, any executor
//!
//! As asyncio's, these primitives belong to one thread and are not thread-safe: they are
//! `!Sync` (like a `RefCell`, one may move to another thread only while nothing borrows or
//! waits on it), use `Cell`/`RefCell` inside, and are shared between tasks with `Rc` (or by
//! reference, inside one task's `gather!`). That is what makes them cheap on the
//! single-threaded loop: no atomics, no locked mutex. They use only wakers, never the loop's
//! internals, so they work under any single-threaded executor (`futures::executor::block_on`,
//! a tokio `LocalSet`, smol's `LocalExecutor`); a waker they wake may hand the wake to another
//! thread, and a spurious poll is harmless. For threads, use `std::sync` or a `Send` crate.
//!
//! # Fairness and cancellation
//!
//! Waiters are served first in, first out, as asyncio's deques serve them. A newly arriving
//! acquirer never barges past waiters: while anyone waits (or has been woken but has not run
//! yet), `acquire()` queues. Dropping a waiting future (cancelling its task) removes it from
//! the queue; if it had already been woken (the lock or a permit was on its way to it), what
//! it was given passes to the next waiter, so no wakeup and no permit is lost. This is
//! asyncio's `except CancelledError: ... self._wake_up_first()` handling.
//!
//! Guards ([`LockGuard`], [`SemaphorePermit`], [`ConditionGuard`]) release on drop, as
//! `async with` releases on exit.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiters::{self, WaitList};

// ---------------------------------------------------------------------------------------------
// Event

/// asyncio's `Event`: a flag that tasks wait on until another task [`set`](Event::set)s it.
///
/// One thread, as asyncio's: `!Sync`, shared between tasks with `Rc`; it uses only wakers,
/// so it works on any single-threaded executor, not just corio's loop.
///
/// ```
/// use std::rc::Rc;
/// let event = Rc::new(corio_runtime::Event::new());
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let waiter = corio_runtime::create_task({
///         let event = event.clone();
///         async move {
///             event.wait().await;
///             corio_runtime::time()
///         }
///     });
///     corio_runtime::sleep(1).await;
///     event.set();
///     assert_eq!(waiter.await.unwrap(), 1.0);
/// });
/// ```
pub struct Event {
    value: Cell<bool>,
    waiters: RefCell<WaitList>,
}

impl Event {
    /// An unset event (asyncio's `Event()`).
    pub const fn new() -> Self {
        Event {
            value: Cell::new(false),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Whether the flag is set (asyncio's `is_set()`).
    pub fn is_set(&self) -> bool {
        self.value.get()
    }

    /// Sets the flag and wakes every waiter, in the order they began waiting (asyncio's
    /// `set()`). A waiter woken here returns even if the flag is cleared before it runs.
    pub fn set(&self) {
        if !self.value.replace(true) {
            let n = self.waiters.borrow().waiting();
            waiters::notify(&self.waiters, n);
        }
    }

    /// Clears the flag (asyncio's `clear()`); later [`wait`](Event::wait)s block until the
    /// next [`set`](Event::set).
    pub fn clear(&self) {
        self.value.set(false);
    }

    /// Waits until the flag is set (asyncio's `wait()`); returns at once if it is set.
    /// Cancel-safe: dropping the future just stops waiting.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    /// asyncio's repr: `<Event [set]>` or `<Event [unset, waiters:2]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting = self.waiters.borrow().waiting();
        let state = if self.is_set() { "set" } else { "unset" };
        if waiting > 0 {
            write!(f, "<Event [{state}, waiters:{waiting}]>")
        } else {
            write!(f, "<Event [{state}]>")
        }
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<usize>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let event = self.event;
        let mut list = event.waiters.borrow_mut();
        match self.key {
            Some(key) => {
                if list.poll_notified(key, cx.waker()) {
                    list.remove(key);
                    self.key = None;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
            None if event.value.get() => Poll::Ready(()),
            None => {
                self.key = Some(list.push_back(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.event.waiters.borrow_mut().remove(key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lock

/// asyncio's `Lock`: a mutual-exclusion lock for tasks, first in, first out.
///
/// [`acquire`](Lock::acquire) returns a [`LockGuard`] that releases on drop (asyncio's
/// `async with lock:`). For asyncio's explicit style, [`LockGuard::forget`] keeps the lock held
/// without a guard and [`Lock::release`] releases it. The lock has no owner, as in asyncio:
/// any task may release it.
///
/// Ordering, as asyncio's (`_wake_up_first`): `release()` unlocks and wakes the longest
/// waiter, which takes the lock when it runs; until then the lock reads as unlocked, yet a
/// newly arriving `acquire()` queues behind the woken waiter instead of barging. If the woken
/// waiter is dropped (its task cancelled) before it runs, the next waiter is woken instead.
///
/// One thread, as asyncio's: `!Sync`, shared between tasks with `Rc`; it uses only wakers,
/// so it works on any single-threaded executor, not just corio's loop.
///
/// ```
/// use std::rc::Rc;
/// let lock = Rc::new(corio_runtime::Lock::new());
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let guard = lock.acquire().await;
///     assert!(lock.locked());
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
pub struct Lock {
    locked: Cell<bool>,
    waiters: RefCell<WaitList>,
}

impl Lock {
    /// An unlocked lock (asyncio's `Lock()`).
    pub const fn new() -> Self {
        Lock {
            locked: Cell::new(false),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Whether the lock is held (asyncio's `locked()`).
    pub fn locked(&self) -> bool {
        self.locked.get()
    }

    /// Acquires the lock, waiting in FIFO order behind earlier acquirers (asyncio's
    /// `acquire()`); the guard releases it on drop. Cancel-safe: dropping the future while it
    /// waits leaves the queue, and a lock already handed to it passes to the next waiter.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            lock: self,
            key: None,
        }
    }

    /// Takes the lock if that needs no waiting (free, and nobody queued); `None` otherwise.
    /// asyncio has no equivalent beyond checking `locked()` first.
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        if !self.locked.get() && self.waiters.borrow().is_idle() {
            self.locked.set(true);
            Some(LockGuard { lock: self })
        } else {
            None
        }
    }

    /// Releases the lock and wakes the longest waiter (asyncio's `release()`), for a lock
    /// held without a guard (see [`LockGuard::forget`]).
    ///
    /// # Panics
    ///
    /// With `Lock is not acquired.` (asyncio's `RuntimeError`) if the lock is not held.
    pub fn release(&self) {
        assert!(self.locked.get(), "Lock is not acquired.");
        self.unlock();
    }

    fn unlock(&self) {
        self.locked.set(false);
        self.wake_up_first();
    }

    /// asyncio's `_wake_up_first`: wakes the first waiter unless one was woken already.
    fn wake_up_first(&self) {
        let waker = {
            let mut list = self.waiters.borrow_mut();
            if list.notified() > 0 {
                return;
            }
            list.notify_one()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    /// asyncio's repr: `<Lock [locked, waiters:1]>` or `<Lock [unlocked]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting = self.waiters.borrow().waiting();
        let state = if self.locked() { "locked" } else { "unlocked" };
        if waiting > 0 {
            write!(f, "<Lock [{state}, waiters:{waiting}]>")
        } else {
            write!(f, "<Lock [{state}]>")
        }
    }
}

/// The future of [`Lock::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    lock: &'a Lock,
    key: Option<usize>,
}

impl<'a> Future for Acquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        let mut list = lock.waiters.borrow_mut();
        match self.key {
            None => {
                if !lock.locked.get() && list.is_idle() {
                    lock.locked.set(true);
                    return Poll::Ready(LockGuard { lock });
                }
                self.key = Some(list.push_back(cx.waker()));
                Poll::Pending
            }
            Some(key) => {
                if !list.poll_notified(key, cx.waker()) {
                    return Poll::Pending;
                }
                list.remove(key);
                self.key = None;
                // Only `release()` notifies, it unlocks first, and nobody else may take the
                // lock while a woken waiter exists.
                debug_assert!(!lock.locked.get());
                lock.locked.set(true);
                Poll::Ready(LockGuard { lock })
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.lock.waiters.borrow_mut().remove(key);
            if !self.lock.locked.get() {
                self.lock.wake_up_first();
            }
        }
    }
}

/// A held [`Lock`]; dropping it releases the lock (the end of asyncio's `async with lock:`).
#[must_use = "dropping the guard releases the lock at once"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl<'a> LockGuard<'a> {
    /// Keeps the lock held and drops the guard without releasing: asyncio's bare
    /// `await lock.acquire()`. Release later with [`Lock::release`].
    pub fn forget(self) {
        std::mem::forget(self);
    }

    /// The lock this guard holds.
    pub fn lock(&self) -> &'a Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    /// Releases the lock. If it was already released explicitly (with [`Lock::release`]),
    /// the drop does nothing rather than panic in a destructor.
    fn drop(&mut self) {
        if self.lock.locked.get() {
            self.lock.unlock();
        }
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LockGuard").field(self.lock).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Semaphore

/// asyncio's `Semaphore`: a counter of permits; [`acquire`](Semaphore::acquire) takes one,
/// waiting while there is none, and [`release`](Semaphore::release) returns one.
///
/// The value is a `usize`, so asyncio's `ValueError` for a negative initial value becomes a
/// compile error:
///
/// ```compile_fail,E0600
/// let sem = corio_runtime::Semaphore::new(-1); // error: `usize` cannot be negative
/// ```
///
/// Ordering, as asyncio 3.12's: a release hands its permit to the longest waiter at once
/// (counted as taken even before that task runs), and while anyone waits, a new `acquire()`
/// queues rather than barging. A woken waiter that is dropped before it runs gives its
/// permit back, and the permit goes to the next waiter.
///
/// One thread, as asyncio's: `!Sync`, shared between tasks with `Rc`; it uses only wakers,
/// so it works on any single-threaded executor, not just corio's loop.
///
/// ```compile_fail,E0277
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<corio_runtime::Semaphore>(); // not thread-safe, as asyncio's
/// ```
pub struct Semaphore {
    value: Cell<usize>,
    /// `Some(initial value)` for a [`BoundedSemaphore`].
    bound: Option<usize>,
    waiters: RefCell<WaitList>,
}

impl Semaphore {
    /// A semaphore with `value` permits (asyncio's `Semaphore(value)`).
    pub const fn new(value: usize) -> Self {
        Semaphore {
            value: Cell::new(value),
            bound: None,
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// How many permits are free now.
    pub fn value(&self) -> usize {
        self.value.get()
    }

    /// Whether an `acquire()` now would wait (asyncio's `locked()`): no permit is free, or
    /// someone is queued or woken ahead.
    pub fn locked(&self) -> bool {
        self.value.get() == 0 || !self.waiters.borrow().is_idle()
    }

    /// Takes a permit, waiting in FIFO order while there is none (asyncio's `acquire()`); the
    /// [`SemaphorePermit`] returns it on drop. Cancel-safe: a dropped waiter leaves the queue,
    /// and a permit already handed to it goes to the next waiter.
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            sem: self,
            key: None,
        }
    }

    /// Takes a permit if that needs no waiting; `None` otherwise.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        if self.locked() {
            return None;
        }
        self.value.set(self.value.get() - 1);
        Some(SemaphorePermit { sem: self })
    }

    /// Returns a permit and wakes the longest waiter (asyncio's `release()`), for a permit
    /// held without a guard ([`SemaphorePermit::forget`]). On a plain `Semaphore` this may
    /// raise the value above the initial one, as in asyncio.
    ///
    /// # Panics
    ///
    /// On a [`BoundedSemaphore`], with `BoundedSemaphore released too many times` (asyncio's
    /// `ValueError`) when the value would exceed the initial one; on a `Semaphore`, with
    /// `Semaphore value overflowed` at `usize::MAX`.
    pub fn release(&self) {
        let value = self.value.get();
        if let Some(bound) = self.bound {
            assert!(value < bound, "BoundedSemaphore released too many times");
        }
        self.value
            .set(value.checked_add(1).expect("Semaphore value overflowed"));
        self.wake_up_next();
    }

    /// asyncio's `_wake_up_next`: hands a free permit to the first waiting entry.
    fn wake_up_next(&self) -> bool {
        let waker = self.waiters.borrow_mut().notify_one();
        match waker {
            Some(waker) => {
                self.value.set(self.value.get() - 1);
                waker.wake();
                true
            }
            None => false,
        }
    }

    /// Hands out free permits while there are waiters (asyncio's `finally` of `acquire`).
    fn wake_up_all_free(&self) {
        while self.value.get() > 0 && self.wake_up_next() {}
    }
}

impl fmt::Debug for Semaphore {
    /// asyncio's repr: `<Semaphore [unlocked, value:2]>`, `<Semaphore [locked, waiters:1]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.bound.is_some() {
            "BoundedSemaphore"
        } else {
            "Semaphore"
        };
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{name} [{state}, value:{}", self.value())?;
        let waiting = self.waiters.borrow().waiting();
        if waiting > 0 {
            write!(f, ", waiters:{waiting}")?;
        }
        f.write_str("]>")
    }
}

/// The future of [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire<'a> {
    sem: &'a Semaphore,
    key: Option<usize>,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let sem = self.sem;
        match self.key {
            None => {
                if !sem.locked() {
                    sem.value.set(sem.value.get() - 1);
                    return Poll::Ready(SemaphorePermit { sem });
                }
                self.key = Some(sem.waiters.borrow_mut().push_back(cx.waker()));
                Poll::Pending
            }
            Some(key) => {
                {
                    let mut list = sem.waiters.borrow_mut();
                    if !list.poll_notified(key, cx.waker()) {
                        return Poll::Pending;
                    }
                    // The permit was taken for us when we were woken.
                    list.remove(key);
                }
                self.key = None;
                sem.wake_up_all_free();
                Poll::Ready(SemaphorePermit { sem })
            }
        }
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let sem = self.sem;
            if sem.waiters.borrow_mut().remove(key) {
                // Woken, so a permit was taken for us: give it back.
                sem.value.set(sem.value.get() + 1);
            }
            sem.wake_up_all_free();
        }
    }
}

/// A permit of a [`Semaphore`] or [`BoundedSemaphore`]; dropping it releases the permit (the
/// end of asyncio's `async with sem:`).
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken and drops the guard: asyncio's bare `await sem.acquire()`.
    /// Return it later with `release()`.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    /// Releases the permit, as `release()` does (including its panic on a
    /// [`BoundedSemaphore`] that was already released explicitly too often).
    fn drop(&mut self) {
        self.sem.release();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SemaphorePermit").field(self.sem).finish()
    }
}

/// asyncio's `BoundedSemaphore`: a [`Semaphore`] whose `release()` panics when it would raise
/// the value above the initial one.
///
/// ```should_panic
/// let sem = corio_runtime::BoundedSemaphore::new(1);
/// sem.release();
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits (asyncio's `BoundedSemaphore(value)`); a
    /// negative value is a compile error, as for [`Semaphore::new`].
    pub const fn new(value: usize) -> Self {
        BoundedSemaphore {
            sem: Semaphore {
                value: Cell::new(value),
                bound: Some(value),
                waiters: RefCell::new(WaitList::new()),
            },
        }
    }

    /// How many permits are free now.
    pub fn value(&self) -> usize {
        self.sem.value()
    }

    /// As [`Semaphore::locked`].
    pub fn locked(&self) -> bool {
        self.sem.locked()
    }

    /// As [`Semaphore::acquire`].
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        self.sem.acquire()
    }

    /// As [`Semaphore::try_acquire`].
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.sem.try_acquire()
    }

    /// Returns a permit, as [`Semaphore::release`].
    ///
    /// # Panics
    ///
    /// With `BoundedSemaphore released too many times` (asyncio's `ValueError`) if every
    /// permit is already free.
    pub fn release(&self) {
        self.sem.release();
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sem.fmt(f)
    }
}

// ---------------------------------------------------------------------------------------------
// Condition

/// asyncio's `Condition`: a [`Lock`] plus a queue of tasks waiting to be notified.
///
/// Acquire it to get a [`ConditionGuard`]; [`ConditionGuard::wait`] releases the lock, waits
/// for a notification, re-acquires the lock and gives the guard back (by value, as
/// `std::sync::Condvar::wait` does, so code that was cancelled mid-wait cannot go on believing
/// it holds the lock). [`notify`](Condition::notify) wakes waiters in the order they began
/// waiting.
///
/// Cancellation: dropping a wait future gives up the notification it may have received; the
/// notification then passes to the next waiter (asyncio 3.13 does the same for a waiter
/// cancelled after it was notified), so `notify(1)` is never lost. The lock is not held
/// while a dropped wait was waiting, and a dropped re-acquire leaves the lock's queue.
///
/// One thread, as asyncio's: `!Sync`, shared between tasks with `Rc`; it uses only wakers,
/// so it works on any single-threaded executor, not just corio's loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// let cond = Rc::new(corio_runtime::Condition::new());
/// let ready = Rc::new(Cell::new(false));
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let consumer = corio_runtime::create_task({
///         let (cond, ready) = (cond.clone(), ready.clone());
///         async move {
///             let guard = cond.acquire().await;
///             let _guard = guard.wait_for(|| ready.get()).await;
///             corio_runtime::time()
///         }
///     });
///     corio_runtime::sleep(1).await;
///     let guard = cond.acquire().await;
///     ready.set(true);
///     guard.notify_all();
///     drop(guard);
///     assert_eq!(consumer.await.unwrap(), 1.0);
/// });
/// ```
pub struct Condition {
    lock: Lock,
    waiters: RefCell<WaitList>,
}

impl Condition {
    /// A condition with a lock of its own (asyncio's `Condition()`).
    pub const fn new() -> Self {
        Condition {
            lock: Lock::new(),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Whether the underlying lock is held (asyncio's `locked()`).
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Acquires the underlying lock, as [`Lock::acquire`] (asyncio's `acquire()` /
    /// `async with cond:`).
    pub async fn acquire(&self) -> ConditionGuard<'_> {
        let guard = self.lock.acquire().await;
        guard.forget();
        ConditionGuard { cond: self }
    }

    /// Wakes up to `n` waiters, longest waiting first (asyncio's `notify(n)`). Each re-acquires
    /// the lock before its `wait()` returns.
    ///
    /// # Panics
    ///
    /// With `cannot notify on un-acquired lock` (asyncio's `RuntimeError`) if the lock is not
    /// held. [`ConditionGuard::notify`] needs no check.
    pub fn notify(&self, n: usize) {
        assert!(self.locked(), "cannot notify on un-acquired lock");
        waiters::notify(&self.waiters, n);
    }

    /// Wakes every waiter (asyncio's `notify_all()`).
    ///
    /// # Panics
    ///
    /// As [`notify`](Condition::notify).
    pub fn notify_all(&self) {
        let n = self.waiters.borrow().waiting();
        self.notify(n);
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    /// asyncio's repr: `<Condition [locked, waiters:1]>` or `<Condition [unlocked]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting = self.waiters.borrow().waiting();
        let state = if self.locked() { "locked" } else { "unlocked" };
        if waiting > 0 {
            write!(f, "<Condition [{state}, waiters:{waiting}]>")
        } else {
            write!(f, "<Condition [{state}]>")
        }
    }
}

/// The held lock of a [`Condition`]; dropping it releases the lock.
#[must_use = "dropping the guard releases the lock at once"]
pub struct ConditionGuard<'a> {
    cond: &'a Condition,
}

impl<'a> ConditionGuard<'a> {
    /// Releases the lock, waits until notified, re-acquires the lock and returns the guard
    /// (asyncio's `wait()`). See [`Condition`] for cancellation.
    pub fn wait(self) -> ConditionWait<'a> {
        let cond = self.cond;
        std::mem::forget(self);
        ConditionWait {
            cond,
            state: WaitState::Start,
        }
    }

    /// Waits until `predicate()` is true, checking it first and after each notification, with
    /// the lock held each time (asyncio's `wait_for(predicate)`).
    pub async fn wait_for(self, mut predicate: impl FnMut() -> bool) -> ConditionGuard<'a> {
        let mut guard = self;
        while !predicate() {
            guard = guard.wait().await;
        }
        guard
    }

    /// Wakes up to `n` waiters, as [`Condition::notify`].
    pub fn notify(&self, n: usize) {
        waiters::notify(&self.cond.waiters, n);
    }

    /// Wakes every waiter, as [`Condition::notify_all`].
    pub fn notify_all(&self) {
        self.cond.notify_all();
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        if self.cond.lock.locked() {
            self.cond.lock.unlock();
        }
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConditionGuard").field(self.cond).finish()
    }
}

enum WaitState<'a> {
    /// Holding the lock; the first poll releases it.
    Start,
    /// Queued for a notification under this key.
    Waiting(usize),
    /// Notified; re-acquiring the lock.
    Reacquire(Acquire<'a>),
    Done,
}

/// The future of [`ConditionGuard::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a> {
    cond: &'a Condition,
    state: WaitState<'a>,
}

impl<'a> Future for ConditionWait<'a> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        let cond = self.cond;
        loop {
            match &mut self.state {
                WaitState::Start => {
                    let key = cond.waiters.borrow_mut().push_back(cx.waker());
                    self.state = WaitState::Waiting(key);
                    cond.lock.release();
                    return Poll::Pending;
                }
                WaitState::Waiting(key) => {
                    let key = *key;
                    let mut list = cond.waiters.borrow_mut();
                    if !list.poll_notified(key, cx.waker()) {
                        return Poll::Pending;
                    }
                    list.remove(key);
                    drop(list);
                    self.state = WaitState::Reacquire(cond.lock.acquire());
                }
                WaitState::Reacquire(acquire) => {
                    let Poll::Ready(guard) = Pin::new(acquire).poll(cx) else {
                        return Poll::Pending;
                    };
                    guard.forget();
                    self.state = WaitState::Done;
                    return Poll::Ready(ConditionGuard { cond });
                }
                WaitState::Done => panic!("`ConditionWait` polled after completion"),
            }
        }
    }
}

impl Drop for ConditionWait<'_> {
    fn drop(&mut self) {
        let cond = self.cond;
        match std::mem::replace(&mut self.state, WaitState::Done) {
            // Never polled: the guard was given up unreleased, so release the lock now.
            WaitState::Start => cond.lock.release(),
            WaitState::Waiting(key) => {
                if cond.waiters.borrow_mut().remove(key) {
                    waiters::notify(&cond.waiters, 1);
                }
            }
            WaitState::Reacquire(acquire) => {
                drop(acquire);
                waiters::notify(&cond.waiters, 1);
            }
            WaitState::Done => {}
        }
    }
}
