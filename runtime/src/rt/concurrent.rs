//! `asyncio.run_coroutine_threadsafe` and the concurrent future it returns: a thread blocks
//! on it for the coroutine's result, and a loop awaits it (asyncio's `wrap_future`).

use std::any::Any;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::rt::context;
use crate::rt::loop_handle::EventLoop;
use crate::rt::remote::{LoopShared, RemoteCall};
use crate::rt::threads::lock;
use crate::task::error::TaskError;
use crate::task::handle::{TaskRef, create_task, current_task};
use crate::time::delay::IntoDelay;

/// Why [`ConcurrentFuture::result`] returned no value.
pub enum ConcurrentError {
    /// The timeout passed before the coroutine finished (it keeps running).
    Timeout,
    /// The coroutine's task was cancelled ([`ConcurrentFuture::cancel`], a cancel on the loop,
    /// or the loop ended first).
    Cancelled,
    /// The coroutine panicked; the payload is what `panic!` was given.
    Panicked(Box<dyn Any + Send + 'static>),
}

impl ConcurrentError {
    /// The panic's message, when it was a string.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            ConcurrentError::Panicked(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            _ => None,
        }
    }
}

impl fmt::Debug for ConcurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConcurrentError::Timeout => f.write_str("Timeout"),
            ConcurrentError::Cancelled => f.write_str("Cancelled"),
            ConcurrentError::Panicked(_) => match self.panic_message() {
                Some(message) => f.debug_tuple("Panicked").field(&message).finish(),
                None => f.write_str("Panicked(..)"),
            },
        }
    }
}

impl fmt::Display for ConcurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConcurrentError::Timeout => f.write_str("timed out waiting for the coroutine"),
            ConcurrentError::Cancelled => f.write_str("the coroutine was cancelled"),
            ConcurrentError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "the coroutine panicked: {message}"),
                None => f.write_str("the coroutine panicked"),
            },
        }
    }
}

impl std::error::Error for ConcurrentError {}

impl From<TaskError> for ConcurrentError {
    fn from(error: TaskError) -> Self {
        if error.is_cancelled() {
            return ConcurrentError::Cancelled;
        }
        match error.try_into_panic() {
            Ok(payload) => ConcurrentError::Panicked(payload),
            // A group member's `Err` (its group holds the typed error): a panic carrying the
            // error's description is the nearest a thread can be told.
            Err(failed) => ConcurrentError::Panicked(Box::new(failed.to_string())),
        }
    }
}

/// What the submitting thread and the loop share.
struct Concurrent<T> {
    state: Mutex<ConcurrentState<T>>,
    done: Condvar,
    /// The loop the coroutine runs on.
    target: Arc<LoopShared>,
}

struct ConcurrentState<T> {
    /// `None` while running; taken by `result`.
    outcome: Option<Result<T, ConcurrentError>>,
    finished: bool,
    taken: bool,
    cancel_requested: bool,
    /// The task running the coroutine, once it has started.
    task: Option<TaskRef>,
    /// Threads blocked in `result` now, counted on `target` (see `LoopShared::external`).
    blocked: usize,
    /// The task awaiting it on a loop (`wrap_future`), to wake when it finishes.
    waker: Option<Waker>,
    /// Another loop that counts the awaiting as outstanding work until it finishes.
    counted_by: Option<Arc<LoopShared>>,
    /// Run when it finishes, on the finishing thread (`add_done_callback`).
    callbacks: Vec<Box<dyn FnOnce() + Send>>,
}

impl<T> Concurrent<T> {
    fn finish(&self, outcome: Result<T, ConcurrentError>) {
        let (waker, counted_by, callbacks) = {
            let mut state = lock(&self.state);
            if state.finished {
                return;
            }
            state.finished = true;
            state.outcome = Some(outcome);
            // Before the waiters wake: from here their thread work can finish on its own.
            self.target.end_blocked(std::mem::take(&mut state.blocked));
            self.done.notify_all();
            (
                state.waker.take(),
                state.counted_by.take(),
                std::mem::take(&mut state.callbacks),
            )
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Some(shared) = counted_by {
            shared.finish_external();
        }
        for callback in callbacks {
            callback();
        }
    }
}

/// Finishes the shared state with `Cancelled` if the relay is dropped before it delivered a
/// result (its task was cancelled, the loop ended, or the callback never ran).
struct Completer<T> {
    shared: Arc<Concurrent<T>>,
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.shared.finish(Err(ConcurrentError::Cancelled));
    }
}

/// The handle [`run_coroutine_threadsafe`] returns, as asyncio's `concurrent.futures.Future`:
/// the submitting thread blocks on it for the coroutine's result, with a timeout.
pub struct ConcurrentFuture<T> {
    shared: Arc<Concurrent<T>>,
}

impl<T> ConcurrentFuture<T> {
    /// Blocks this thread until the coroutine has finished or `timeout` (seconds, or a
    /// `Duration`) has passed, as `future.result(timeout)`. A timeout leaves the coroutine
    /// running and this handle usable; call again to wait more.
    ///
    /// # Panics
    ///
    /// If the result was already taken by an earlier call; for a NaN or overflowing timeout.
    pub fn result(&self, timeout: impl IntoDelay) -> Result<T, ConcurrentError> {
        let deadline = Instant::now().checked_add(Duration::from_nanos(timeout.into_delay_nanos()));
        self.wait(deadline)
    }

    /// Blocks this thread until the coroutine has finished, as `future.result()` with no
    /// timeout.
    ///
    /// # Panics
    ///
    /// If the result was already taken by an earlier call.
    pub fn result_blocking(&self) -> Result<T, ConcurrentError> {
        self.wait(None)
    }

    fn wait(&self, deadline: Option<Instant>) -> Result<T, ConcurrentError> {
        let mut state = lock(&self.shared.state);
        if !state.finished {
            // Under virtual time the loop would otherwise wait for this thread's work (a
            // `to_thread` blocking here) while it waits for the loop: a hang.
            state.blocked += 1;
            self.shared.target.start_blocked();
        }
        while !state.finished {
            match deadline {
                None => {
                    state = self
                        .shared
                        .done
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        state.blocked -= 1;
                        self.shared.target.end_blocked(1);
                        return Err(ConcurrentError::Timeout);
                    }
                    state = self
                        .shared
                        .done
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
        if state.taken {
            panic!("corio: ConcurrentFuture::result(): the result was already taken");
        }
        state.taken = true;
        state
            .outcome
            .take()
            .expect("a finished future has an outcome")
    }

    /// Whether the coroutine has finished (returned, panicked or been cancelled).
    pub fn done(&self) -> bool {
        lock(&self.shared.state).finished
    }

    /// Cancels the coroutine's task from any thread, as `future.cancel()`: it is dropped at
    /// its next step on the loop and [`result`](ConcurrentFuture::result) gives
    /// [`ConcurrentError::Cancelled`]. Returns `false` if it had already finished.
    pub fn cancel(&self) -> bool {
        let task = {
            let mut state = lock(&self.shared.state);
            if state.finished {
                return false;
            }
            state.cancel_requested = true;
            state.task.clone()
        };
        if let Some(task) = task {
            task.cancel();
        }
        true
    }
}

impl<T> ConcurrentFuture<T> {
    /// Runs `callback` once the coroutine has finished (returned, panicked or been
    /// cancelled), on the thread that finishes it (the loop's), as a concurrent future's
    /// `add_done_callback`; at once, on this thread, if it already has.
    pub fn add_done_callback(&self, callback: impl FnOnce() + Send + 'static) {
        let mut state = lock(&self.shared.state);
        if state.finished {
            drop(state);
            callback();
        } else {
            state.callbacks.push(Box::new(callback));
        }
    }
}

/// Awaiting a `ConcurrentFuture` on a loop, as asyncio's `wrap_future`: its output is what
/// [`result`](ConcurrentFuture::result) gives, without blocking the thread. On a loop other
/// than the coroutine's, the wait counts as outstanding work there (as `to_thread`'s does)
/// until it finishes or this future is dropped.
///
/// # Panics
///
/// If the result was already taken.
impl<T> Future for ConcurrentFuture<T> {
    type Output = Result<T, ConcurrentError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = lock(&self.shared.state);
        if state.finished {
            if state.taken {
                panic!("corio: ConcurrentFuture awaited after its result was taken");
            }
            state.taken = true;
            return Poll::Ready(
                state
                    .outcome
                    .take()
                    .expect("a finished future has an outcome"),
            );
        }
        if state
            .waker
            .as_ref()
            .is_none_or(|w| !w.will_wake(cx.waker()))
        {
            state.waker = Some(cx.waker().clone());
        }
        if state.counted_by.is_none() {
            let other_loop = context::try_with_current(|core| core.shared().clone())
                .filter(|shared| !Arc::ptr_eq(shared, &self.shared.target));
            if let Some(shared) = other_loop {
                shared.start_external();
                state.counted_by = Some(shared);
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for ConcurrentFuture<T> {
    /// An awaiter that gives up stops its loop waiting for the coroutine.
    fn drop(&mut self) {
        let counted_by = lock(&self.shared.state).counted_by.take();
        if let Some(shared) = counted_by {
            shared.finish_external();
        }
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.done() { "finished" } else { "pending" };
        write!(f, "<ConcurrentFuture {state}>")
    }
}

/// Submits `future` to the loop `event_loop` from another thread, as
/// `asyncio.run_coroutine_threadsafe(coro, loop)`: the loop runs it as a new task (spawned by a
/// `call_soon_threadsafe` callback), and the returned [`ConcurrentFuture`] lets this thread
/// block for its output with a timeout, or cancel it.
///
/// Get `event_loop` with [`get_running_loop`](crate::get_running_loop) on the loop's thread
/// and hand it over. Blocking on the result from the loop's own thread deadlocks, as in
/// asyncio.
///
/// # Panics
///
/// With `Event loop is closed` once the loop has ended.
pub fn run_coroutine_threadsafe<F>(future: F, event_loop: &EventLoop) -> ConcurrentFuture<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shared = Arc::new(Concurrent {
        state: Mutex::new(ConcurrentState {
            outcome: None,
            finished: false,
            taken: false,
            cancel_requested: false,
            task: None,
            blocked: 0,
            waker: None,
            counted_by: None,
            callbacks: Vec::new(),
        }),
        done: Condvar::new(),
        target: event_loop.shared().clone(),
    });
    let completer = Completer {
        shared: shared.clone(),
    };
    let call = RemoteCall::new(move || {
        create_task(relay(future, completer)).detach();
    });
    if event_loop.shared().push_call(call).is_err() {
        panic!("corio: run_coroutine_threadsafe(): Event loop is closed");
    }
    ConcurrentFuture { shared }
}

/// The task body of [`run_coroutine_threadsafe`]: runs `future` and hands its outcome over.
async fn relay<F: Future>(future: F, completer: Completer<F::Output>) {
    {
        let mut state = lock(&completer.shared.state);
        if state.cancel_requested {
            return; // The completer reports the cancellation.
        }
        state.task = current_task();
    }
    let mut future = pin!(future);
    let polled = poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(ConcurrentError::Panicked(payload))),
        },
    )
    .await;
    completer.shared.finish(polled);
}
