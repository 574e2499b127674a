//! asyncio's `locks.py`, the lock: [`Lock`] (FIFO, no barging) and its [`LockGuard`]. The
//! other primitives of `locks.py` have modules of their own: [`Event`](crate::Event)
//! (`event.rs`), [`Semaphore`](crate::Semaphore) and
//! [`BoundedSemaphore`](crate::BoundedSemaphore) (`semaphore.rs`),
//! [`Condition`](crate::Condition) (`condition.rs`), and [`Barrier`](crate::Barrier).
//!
//! # One thread, any executor
//!
//! As asyncio's, these primitives belong to one thread and are not thread-safe: they are
//! `!Send` and `!Sync`, and use `Cell`/`RefCell` inside. Each is a cheap handle to one shared
//! primitive, as a Python name is a reference to one object: `clone()` the handle into each
//! task that uses it (one `Rc` count, no allocation); user code never writes `Rc`. A handle
//! can also be lent by reference, inside one task's `gather!`. That is what makes them cheap on the
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
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::wait_list::{WaitList, WaiterKey};

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
/// A `Lock` is a handle: clones share one lock (see the module docs). One thread, as
/// asyncio's; it uses only wakers, so it works on any single-threaded executor, not just
/// corio's loop.
///
/// ```
/// let lock = corio_runtime::Lock::new();
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let guard = lock.acquire().await;
///     assert!(lock.locked());
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
#[derive(Clone)]
pub struct Lock {
    inner: Rc<LockState>,
}

/// The lock a [`Lock`] handle shares.
struct LockState {
    locked: Cell<bool>,
    waiters: RefCell<WaitList>,
}

impl Lock {
    /// An unlocked lock (asyncio's `Lock()`).
    pub fn new() -> Self {
        Lock {
            inner: Rc::new(LockState {
                locked: Cell::new(false),
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Whether the lock is held (asyncio's `locked()`).
    pub fn locked(&self) -> bool {
        self.inner.locked.get()
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
        if !self.inner.locked.get() && self.inner.waiters.borrow().is_idle() {
            self.inner.locked.set(true);
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
        assert!(self.inner.locked.get(), "Lock is not acquired.");
        self.unlock();
    }

    pub(crate) fn unlock(&self) {
        self.inner.locked.set(false);
        self.wake_up_first();
    }

    /// asyncio's `_wake_up_first`: wakes the first waiter unless one was woken already.
    fn wake_up_first(&self) {
        let waker = {
            let mut list = self.inner.waiters.borrow_mut();
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
        let waiting = self.inner.waiters.borrow().waiting();
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
#[derive(Debug)]
pub struct Acquire<'a> {
    lock: &'a Lock,
    key: Option<WaiterKey>,
}

impl<'a> Future for Acquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        let mut list = lock.inner.waiters.borrow_mut();
        match self.key {
            None => {
                if !lock.inner.locked.get() && list.is_idle() {
                    lock.inner.locked.set(true);
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
                debug_assert!(!lock.inner.locked.get());
                lock.inner.locked.set(true);
                Poll::Ready(LockGuard { lock })
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.lock.inner.waiters.borrow_mut().remove(key);
            if !self.lock.inner.locked.get() {
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
        if self.lock.inner.locked.get() {
            self.lock.unlock();
        }
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LockGuard").field(self.lock).finish()
    }
}
