//! asyncio's `Semaphore` and `BoundedSemaphore`: permits handed out first in, first out,
//! without barging; a dropped waiter passes on a permit it was given. One thread, any executor:
//! see the [`locks`](crate::Lock) module docs for what all of `locks.py`'s primitives share.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::wait_list::{WaitList, WaiterKey};

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
/// A `Semaphore` is a handle: clones share one counter (see the [`locks`](crate::Lock) module
/// docs). One thread, as asyncio's; it uses only wakers, so it works on any single-threaded
/// executor, not just corio's loop.
///
/// ```compile_fail,E0277
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<corio_runtime::Semaphore>(); // not thread-safe, as asyncio's
/// ```
#[derive(Clone)]
pub struct Semaphore {
    inner: Rc<SemaphoreState>,
}

/// The semaphore a [`Semaphore`] (or [`BoundedSemaphore`]) handle shares.
struct SemaphoreState {
    value: Cell<usize>,
    /// `Some(initial value)` for a [`BoundedSemaphore`].
    bound: Option<usize>,
    waiters: RefCell<WaitList>,
}

impl Semaphore {
    /// A semaphore with `value` permits (asyncio's `Semaphore(value)`).
    pub fn new(value: usize) -> Self {
        Semaphore::with_bound(value, None)
    }

    fn with_bound(value: usize, bound: Option<usize>) -> Self {
        Semaphore {
            inner: Rc::new(SemaphoreState {
                value: Cell::new(value),
                bound,
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// How many permits are free now.
    pub fn value(&self) -> usize {
        self.inner.value.get()
    }

    /// Whether an `acquire()` now would wait (asyncio's `locked()`): no permit is free, or
    /// someone is queued or woken ahead.
    pub fn locked(&self) -> bool {
        self.inner.value.get() == 0 || !self.inner.waiters.borrow().is_idle()
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
        self.inner.value.set(self.inner.value.get() - 1);
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
        let value = self.inner.value.get();
        if let Some(bound) = self.inner.bound {
            assert!(value < bound, "BoundedSemaphore released too many times");
        }
        self.inner
            .value
            .set(value.checked_add(1).expect("Semaphore value overflowed"));
        self.wake_up_next();
    }

    /// asyncio's `_wake_up_next`: hands a free permit to the first waiting entry.
    fn wake_up_next(&self) -> bool {
        let waker = self.inner.waiters.borrow_mut().notify_one();
        match waker {
            Some(waker) => {
                self.inner.value.set(self.inner.value.get() - 1);
                waker.wake();
                true
            }
            None => false,
        }
    }

    /// Hands out free permits while there are waiters (asyncio's `finally` of `acquire`).
    fn wake_up_all_free(&self) {
        while self.inner.value.get() > 0 && self.wake_up_next() {}
    }
}

impl fmt::Debug for Semaphore {
    /// asyncio's repr: `<Semaphore [unlocked, value:2]>`, `<Semaphore [locked, waiters:1]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.inner.bound.is_some() {
            "BoundedSemaphore"
        } else {
            "Semaphore"
        };
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{name} [{state}, value:{}", self.value())?;
        let waiting = self.inner.waiters.borrow().waiting();
        if waiting > 0 {
            write!(f, ", waiters:{waiting}")?;
        }
        f.write_str("]>")
    }
}

/// The future of [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct SemaphoreAcquire<'a> {
    sem: &'a Semaphore,
    key: Option<WaiterKey>,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let sem = self.sem;
        match self.key {
            None => {
                if !sem.locked() {
                    sem.inner.value.set(sem.inner.value.get() - 1);
                    return Poll::Ready(SemaphorePermit { sem });
                }
                self.key = Some(sem.inner.waiters.borrow_mut().push_back(cx.waker()));
                Poll::Pending
            }
            Some(key) => {
                {
                    let mut list = sem.inner.waiters.borrow_mut();
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
            if sem.inner.waiters.borrow_mut().remove(key) {
                // Woken, so a permit was taken for us: give it back.
                sem.inner.value.set(sem.inner.value.get() + 1);
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
#[derive(Clone)]
pub struct BoundedSemaphore {
    sem: Semaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits (asyncio's `BoundedSemaphore(value)`); a
    /// negative value is a compile error, as for [`Semaphore::new`].
    pub fn new(value: usize) -> Self {
        BoundedSemaphore {
            sem: Semaphore::with_bound(value, Some(value)),
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
