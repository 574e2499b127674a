//! asyncio's `Event`: a flag tasks wait on until another task sets it. One thread, any
//! executor, FIFO wake order: see the [`locks`](crate::Lock) module docs for what all of
//! `locks.py`'s primitives share.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::wait_list::{self, WaitList, WaiterKey};

/// asyncio's `Event`: a flag that tasks wait on until another task [`set`](Event::set)s it.
///
/// An `Event` is a handle: clones share one flag (see the [`locks`](crate::Lock) module
/// docs). One thread, as asyncio's; it uses only wakers, so it works on any single-threaded
/// executor, not just corio's loop.
///
/// ```
/// let event = corio_runtime::Event::new();
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
#[derive(Clone)]
pub struct Event {
    inner: Rc<EventState>,
}

/// The event an [`Event`] handle shares.
struct EventState {
    value: Cell<bool>,
    waiters: RefCell<WaitList>,
}

impl Event {
    /// An unset event (asyncio's `Event()`).
    pub fn new() -> Self {
        Event {
            inner: Rc::new(EventState {
                value: Cell::new(false),
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Whether the flag is set (asyncio's `is_set()`).
    pub fn is_set(&self) -> bool {
        self.inner.value.get()
    }

    /// Sets the flag and wakes every waiter, in the order they began waiting (asyncio's
    /// `set()`). A waiter woken here returns even if the flag is cleared before it runs.
    pub fn set(&self) {
        if !self.inner.value.replace(true) {
            let n = self.inner.waiters.borrow().waiting();
            wait_list::notify(&self.inner.waiters, n);
        }
    }

    /// Clears the flag (asyncio's `clear()`); later [`wait`](Event::wait)s block until the
    /// next [`set`](Event::set).
    pub fn clear(&self) {
        self.inner.value.set(false);
    }

    /// Waits until the flag is set (asyncio's `wait()`); returns at once if it is set. Gives
    /// `true`, as asyncio's `wait()` returns `True`, so `assert!(event.wait().await)` reads as
    /// it does there. Cancel-safe: dropping the future just stops waiting.
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
        let waiting = self.inner.waiters.borrow().waiting();
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
#[derive(Debug)]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<WaiterKey>,
}

impl Future for EventWait<'_> {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let event = self.event;
        let mut list = event.inner.waiters.borrow_mut();
        match self.key {
            Some(key) => {
                if list.poll_notified(key, cx.waker()) {
                    list.remove(key);
                    self.key = None;
                    Poll::Ready(true)
                } else {
                    Poll::Pending
                }
            }
            None if event.inner.value.get() => Poll::Ready(true),
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
            self.event.inner.waiters.borrow_mut().remove(key);
        }
    }
}
