//! asyncio's `Condition`: a lock of its own plus a queue of tasks waiting to be notified.
//! One thread, any executor: see the [`locks`](crate::Lock) module docs for what all of
//! `locks.py`'s primitives share.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::wait_list::{self, WaitList, WaiterKey};

use crate::sync::locks::{Acquire, Lock};

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
/// A `Condition` is a handle: clones share one condition (see the [`locks`](crate::Lock)
/// module docs). One thread, as asyncio's; it uses only wakers, so it works on any
/// single-threaded executor, not just corio's loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// let cond = corio_runtime::Condition::new();
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
#[derive(Clone)]
pub struct Condition {
    inner: Rc<ConditionState>,
}

/// The condition a [`Condition`] handle shares.
struct ConditionState {
    lock: Lock,
    waiters: RefCell<WaitList>,
}

impl Condition {
    /// A condition with a lock of its own (asyncio's `Condition()`).
    pub fn new() -> Self {
        Condition::with_lock(Lock::new())
    }

    /// A condition over `lock`, a handle to a [`Lock`] shared with other code (asyncio's
    /// `Condition(lock)`): acquiring either acquires the same lock.
    pub fn with_lock(lock: Lock) -> Self {
        Condition {
            inner: Rc::new(ConditionState {
                lock,
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Whether the underlying lock is held (asyncio's `locked()`).
    pub fn locked(&self) -> bool {
        self.inner.lock.locked()
    }

    /// Acquires the underlying lock, as [`Lock::acquire`] (asyncio's `acquire()` /
    /// `async with cond:`).
    pub async fn acquire(&self) -> ConditionGuard<'_> {
        let guard = self.inner.lock.acquire().await;
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
        wait_list::notify(&self.inner.waiters, n);
    }

    /// Wakes every waiter (asyncio's `notify_all()`).
    ///
    /// # Panics
    ///
    /// As [`notify`](Condition::notify).
    pub fn notify_all(&self) {
        let n = self.inner.waiters.borrow().waiting();
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
        let waiting = self.inner.waiters.borrow().waiting();
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
        wait_list::notify(&self.cond.inner.waiters, n);
    }

    /// Wakes every waiter, as [`Condition::notify_all`].
    pub fn notify_all(&self) {
        self.cond.notify_all();
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        if self.cond.inner.lock.locked() {
            self.cond.inner.lock.unlock();
        }
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConditionGuard").field(self.cond).finish()
    }
}

#[derive(Debug)]
enum WaitState<'a> {
    /// Holding the lock; the first poll releases it.
    Start,
    /// Queued for a notification under this key.
    Waiting(WaiterKey),
    /// Notified; re-acquiring the lock.
    Reacquire(Acquire<'a>),
    Done,
}

/// The future of [`ConditionGuard::wait`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
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
                    let key = cond.inner.waiters.borrow_mut().push_back(cx.waker());
                    self.state = WaitState::Waiting(key);
                    cond.inner.lock.release();
                    return Poll::Pending;
                }
                WaitState::Waiting(key) => {
                    let key = *key;
                    let mut list = cond.inner.waiters.borrow_mut();
                    if !list.poll_notified(key, cx.waker()) {
                        return Poll::Pending;
                    }
                    list.remove(key);
                    drop(list);
                    self.state = WaitState::Reacquire(cond.inner.lock.acquire());
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
            WaitState::Start => cond.inner.lock.release(),
            WaitState::Waiting(key) => {
                if cond.inner.waiters.borrow_mut().remove(key) {
                    wait_list::notify(&cond.inner.waiters, 1);
                }
            }
            WaitState::Reacquire(acquire) => {
                drop(acquire);
                wait_list::notify(&cond.inner.waiters, 1);
            }
            WaitState::Done => {}
        }
    }
}
