//! [`SettableFuture`], asyncio's `Future`: a one-shot result that code sets by hand and tasks
//! await. Named so it is never confused with [`std::future::Future`], which it implements
//! (through [`IntoFuture`]) rather than replaces.

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::rt::callbacks;
use crate::rt::context;
use crate::rt::context_store;

/// How a [`SettableFuture`] ended without a result: asyncio's `CancelledError`, or the
/// exception given to `set_exception`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FutureError<E> {
    /// The future was cancelled ([`SettableFuture::cancel`], or an awaiter was dropped).
    Cancelled,
    /// The error given to [`SettableFuture::set_exception`].
    Exception(E),
}

impl<E: fmt::Display> fmt::Display for FutureError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled => f.write_str("future was cancelled"),
            FutureError::Exception(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for FutureError<E> {}

/// A boxed done callback.
type DoneCallback<T, E> = Box<dyn FnOnce(&SettableFuture<T, E>)>;

/// A done callback and the awaiters, in registration order (asyncio keeps both in one list).
enum Waiter<T, E> {
    /// A pending `.await`; `None` once it has been dropped.
    Await(Option<Waker>),
    Callback(DoneCallback<T, E>),
    /// A callback taken out by `remove_done_callback` (the slot stays, so the other entries'
    /// indices, which awaits and callback ids hold, stay valid).
    Removed,
}

/// Names a callback added by [`SettableFuture::add_done_callback`] or
/// [`Task::add_done_callback`](crate::Task::add_done_callback), to remove it with
/// `remove_done_callback` (Rust closures cannot be compared, as asyncio compares callbacks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DoneCallbackId {
    /// The address of the future's shared state (a task's metadata): an id of another future
    /// removes nothing.
    future: usize,
    /// The callback's slot in the waiter list; `usize::MAX` for one scheduled at once.
    slot: usize,
}

impl DoneCallbackId {
    /// The id of the callback in `slot` of the future (or task) at address `future`.
    pub(crate) fn new(future: usize, slot: usize) -> Self {
        DoneCallbackId { future, slot }
    }

    /// The callback's slot, if the id names one of the future (or task) at `future`'s.
    pub(crate) fn slot_in(&self, future: usize) -> Option<usize> {
        (self.future == future).then_some(self.slot)
    }
}

enum State<T, E> {
    Pending(Vec<Waiter<T, E>>),
    Done(Result<T, FutureError<E>>),
}

/// A settable one-shot future, as asyncio's `Future` (`loop.create_future()`).
///
/// Code sets it once with [`set_result`](SettableFuture::set_result),
/// [`set_exception`](SettableFuture::set_exception) or [`cancel`](SettableFuture::cancel);
/// tasks await it (`fut.clone().await` or `(&fut).await`) for `Result<T, FutureError<E>>`.
/// Handles are cheap clones of one shared future, which lives on one thread (it is not `Send`,
/// as asyncio's futures are not thread-safe: from another thread, set it through
/// [`EventLoop::call_soon_threadsafe`](crate::EventLoop::call_soon_threadsafe)).
///
/// What it promises, as asyncio:
///
/// * **Order.** Done callbacks ([`add_done_callback`](SettableFuture::add_done_callback)) and
///   awaiters are scheduled with `call_soon` semantics when the future completes: they run on
///   the next loop pass, after what was already ready, in the order they were registered
///   (awaiters in the order they began awaiting). A callback added to a finished future is
///   scheduled at once, the same way.
/// * **One shot.** Setting a finished future panics (asyncio's `InvalidStateError`); `cancel`
///   of a finished future returns `false`.
/// * **Cancellation.** Dropping a pending `.await` of the future cancels the future, as
///   asyncio cancels the future a cancelled task was awaiting: the other awaiters get
///   [`FutureError::Cancelled`].
/// * Awaiting and [`result`](SettableFuture::result) clone the value (`T: Clone`, `E: Clone`),
///   since any number of awaiters may read it; wrap a value that is not `Clone` in an `Rc`.
///
/// `E`, the error of `set_exception`, defaults to [`std::convert::Infallible`]: a future that
/// cannot fail.
///
/// ```
/// use corio_runtime::{SettableFuture, create_task, sleep};
/// let out = corio_runtime::Runner::new().virtual_time().run(async {
///     let fut: SettableFuture<u32> = SettableFuture::new();
///     let setter = fut.clone();
///     create_task(async move {
///         sleep(1).await;
///         setter.set_result(42);
///     })
///     .detach();
///     fut.await
/// });
/// assert_eq!(out, Ok(42));
/// ```
pub struct SettableFuture<T, E = std::convert::Infallible> {
    state: Rc<RefCell<State<T, E>>>,
}

impl<T, E> Clone for SettableFuture<T, E> {
    fn clone(&self) -> Self {
        SettableFuture {
            state: self.state.clone(),
        }
    }
}

impl<T: 'static, E: 'static> Default for SettableFuture<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static, E: 'static> SettableFuture<T, E> {
    /// A new pending future (asyncio's `Future()`; see also
    /// [`EventLoop::create_future`](crate::EventLoop::create_future)). It may be created
    /// anywhere; its done callbacks need a running loop when it completes.
    pub fn new() -> Self {
        SettableFuture {
            state: Rc::new(RefCell::new(State::Pending(Vec::new()))),
        }
    }

    /// Whether the future has a result, an exception, or was cancelled, as `done()`.
    pub fn done(&self) -> bool {
        matches!(*self.state.borrow(), State::Done(_))
    }

    /// Whether the future was cancelled, as `cancelled()`.
    pub fn cancelled(&self) -> bool {
        matches!(
            *self.state.borrow(),
            State::Done(Err(FutureError::Cancelled))
        )
    }

    /// Marks the future done with `value` and schedules its callbacks and awaiters, as
    /// `set_result()`.
    ///
    /// # Panics
    ///
    /// With `invalid state` if the future is already done (asyncio's `InvalidStateError`),
    /// and with `no running event loop` if it has done callbacks and no loop runs here.
    pub fn set_result(&self, value: T) {
        self.complete("set_result", Ok(value));
    }

    /// Marks the future done with the error `error`, as `set_exception()`: awaiters and
    /// [`result`](SettableFuture::result) get [`FutureError::Exception`].
    ///
    /// # Panics
    ///
    /// As [`set_result`](SettableFuture::set_result).
    pub fn set_exception(&self, error: E) {
        self.complete("set_exception", Err(FutureError::Exception(error)));
    }

    /// Cancels the future, as `cancel()`: if it is pending, it becomes done with
    /// [`FutureError::Cancelled`] and its callbacks and awaiters are scheduled; returns
    /// `false` (and does nothing) if it was already done.
    ///
    /// # Panics
    ///
    /// With `no running event loop` if it has done callbacks and no loop runs here.
    pub fn cancel(&self) -> bool {
        if self.done() {
            return false;
        }
        self.complete("cancel", Err(FutureError::Cancelled));
        true
    }

    fn complete(&self, what: &str, outcome: Result<T, FutureError<E>>) {
        let waiters = {
            let mut state = self.state.borrow_mut();
            let State::Pending(waiters) = &mut *state else {
                panic!(
                    "corio: SettableFuture::{what}(): invalid state: the future is already done \
                     (asyncio's InvalidStateError); check done() first"
                );
            };
            let has_callbacks = waiters.iter().any(|w| matches!(w, Waiter::Callback(_)));
            if has_callbacks && context::try_with_current(|_| ()).is_none() {
                panic!(
                    "corio: SettableFuture::{what}() called with no running event loop, and the \
                     future has done callbacks to schedule; call it inside corio::run()"
                );
            }
            let waiters = std::mem::take(waiters);
            *state = State::Done(outcome);
            waiters
        };
        // Scheduled outside the borrow, in registration order: a wake queues the awaiting
        // task's step at the back of the ready queue, exactly where call_soon puts a callback.
        for waiter in waiters {
            match waiter {
                Waiter::Await(Some(waker)) => waker.wake(),
                Waiter::Await(None) | Waiter::Removed => {}
                Waiter::Callback(callback) => self.schedule_callback(callback),
            }
        }
    }

    fn schedule_callback(&self, callback: DoneCallback<T, E>) {
        let fut = self.clone();
        context::with_current("corio::SettableFuture done callback", |core| {
            // It carries the context it was added in (`add_done_callback`).
            let _handle = callbacks::call_soon_bound(core, move || callback(&fut));
        });
    }

    /// Adds `callback` to run once the future is done, as `add_done_callback()`: it gets the
    /// future, and runs on the loop (`call_soon`) in registration order with the other
    /// callbacks and the awaiters. On a future that is already done, it is scheduled at once.
    /// The id removes it again ([`remove_done_callback`](SettableFuture::remove_done_callback)).
    /// As asyncio's, it runs in a copy of the context current where it was added (its
    /// [`ContextVar`](crate::ContextVar) values), not the setter's.
    ///
    /// # Panics
    ///
    /// With `no running event loop` when the future is already done and no loop runs here.
    pub fn add_done_callback(
        &self,
        callback: impl FnOnce(&SettableFuture<T, E>) + 'static,
    ) -> DoneCallbackId {
        // It runs in a copy of the context current now, as asyncio's.
        let callback: DoneCallback<T, E> = if context_store::current_is_empty() {
            Box::new(callback)
        } else {
            let bound = context_store::bind(callback);
            Box::new(move |fut| bound.enter(|callback| callback(fut)))
        };
        let future = Rc::as_ptr(&self.state).cast::<()>() as usize;
        let mut state = self.state.borrow_mut();
        match &mut *state {
            State::Pending(waiters) => {
                waiters.push(Waiter::Callback(callback));
                DoneCallbackId {
                    future,
                    slot: waiters.len() - 1,
                }
            }
            State::Done(_) => {
                drop(state);
                self.schedule_callback(callback);
                DoneCallbackId {
                    future,
                    slot: usize::MAX,
                }
            }
        }
    }

    /// Removes a callback that has not been scheduled yet, as `remove_done_callback()`:
    /// returns how many were removed, `1` or `0` (the future is done, so the callback was
    /// scheduled already; it was removed before; or `id` names another future's callback).
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        if id.future != Rc::as_ptr(&self.state).cast::<()>() as usize {
            return 0;
        }
        let removed = match &mut *self.state.borrow_mut() {
            State::Pending(waiters) => match waiters.get_mut(id.slot) {
                Some(waiter @ Waiter::Callback(_)) => {
                    Some(std::mem::replace(waiter, Waiter::Removed))
                }
                _ => None,
            },
            State::Done(_) => None,
        };
        // Dropped outside the borrow: the closure's captures may touch this future.
        usize::from(removed.is_some())
    }

    /// The result, as `result()`: `Ok(value)`, or the exception or cancellation as a
    /// [`FutureError`]. Each call clones the value.
    ///
    /// # Panics
    ///
    /// With `Result is not set.` (asyncio's `InvalidStateError` message) if the future is
    /// still pending.
    pub fn result(&self) -> Result<T, FutureError<E>>
    where
        T: Clone,
        E: Clone,
    {
        match &*self.state.borrow() {
            State::Done(outcome) => outcome.clone(),
            State::Pending(_) => panic!(
                "corio: SettableFuture::result(): invalid state: Result is not set. (await the \
                 future, or check done() first)"
            ),
        }
    }
}

impl<T: fmt::Debug, E: fmt::Debug> fmt::Debug for SettableFuture<T, E> {
    /// asyncio's repr: `<Future pending>`, `<Future finished result=42>`,
    /// `<Future finished exception=...>`, `<Future cancelled>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.state.borrow() {
            State::Pending(_) => f.write_str("<Future pending>"),
            State::Done(Ok(value)) => write!(f, "<Future finished result={value:?}>"),
            State::Done(Err(FutureError::Exception(e))) => {
                write!(f, "<Future finished exception={e:?}>")
            }
            State::Done(Err(FutureError::Cancelled)) => f.write_str("<Future cancelled>"),
        }
    }
}

/// The future of `.await` on a [`SettableFuture`]: its output is the future's result.
///
/// Dropping it while it waits cancels the [`SettableFuture`] (see its docs).
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct SettableWait<T: 'static, E: 'static> {
    fut: SettableFuture<T, E>,
    /// This await's entry in the waiter list, once registered.
    slot: Option<usize>,
}

impl<T: Clone + 'static, E: Clone + 'static> Future for SettableWait<T, E> {
    type Output = Result<T, FutureError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.fut.state.borrow_mut();
        match &mut *state {
            State::Done(outcome) => {
                this.slot = None;
                Poll::Ready(outcome.clone())
            }
            State::Pending(waiters) => {
                match this.slot {
                    Some(slot) => {
                        if let Waiter::Await(Some(waker)) = &mut waiters[slot] {
                            waker.clone_from(cx.waker());
                        }
                    }
                    None => {
                        this.slot = Some(waiters.len());
                        waiters.push(Waiter::Await(Some(cx.waker().clone())));
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl<T: 'static, E: 'static> Drop for SettableWait<T, E> {
    fn drop(&mut self) {
        let Some(slot) = self.slot else { return };
        let pending = match &mut *self.fut.state.borrow_mut() {
            State::Pending(waiters) => {
                waiters[slot] = Waiter::Await(None);
                true
            }
            State::Done(_) => false,
        };
        if pending {
            // As asyncio: cancelling the awaiter cancels the future it awaits. Without a loop
            // for its callbacks, the future is left pending rather than panicking in a drop.
            let has_callbacks = match &*self.fut.state.borrow() {
                State::Pending(waiters) => waiters.iter().any(|w| matches!(w, Waiter::Callback(_))),
                State::Done(_) => false,
            };
            if !has_callbacks || context::try_with_current(|_| ()).is_some() {
                self.fut.cancel();
            }
        }
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for SettableFuture<T, E> {
    type Output = Result<T, FutureError<E>>;
    type IntoFuture = SettableWait<T, E>;

    fn into_future(self) -> SettableWait<T, E> {
        SettableWait {
            fut: self,
            slot: None,
        }
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for &SettableFuture<T, E> {
    type Output = Result<T, FutureError<E>>;
    type IntoFuture = SettableWait<T, E>;

    fn into_future(self) -> SettableWait<T, E> {
        self.clone().into_future()
    }
}
