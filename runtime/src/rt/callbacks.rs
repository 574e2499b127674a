//! Callbacks on the loop: asyncio's `call_soon`, `call_later` and `call_at`, and the
//! [`Handle`] / [`TimerHandle`] they return.
//!
//! The methods live on [`EventLoop`](crate::EventLoop) (get one with
//! [`get_running_loop`](crate::get_running_loop)), as asyncio's live on the loop object. What
//! they promise, as asyncio:
//!
//! * **`call_soon(f)`** queues `f` at the back of the ready queue: it runs in the next loop pass,
//!   in FIFO order with task steps and other callbacks (a task woken before the call steps
//!   before `f`; one woken after steps after it).
//! * **`call_later(delay, f)` / `call_at(when, f)`** arm a loop timer; `f` runs in the pass the
//!   timer comes due, at the tail of that pass, in (deadline, arming) order among every timer
//!   fired in it, which is where asyncio's `_run_once` runs a due `TimerHandle`. Virtual time
//!   applies.
//! * **`cancel()`** on a handle drops the callback (and its captures) at once, and it never
//!   runs; cancelling after it ran, or twice, does nothing. A cancelled timer is disarmed, so a
//!   virtual clock no longer jumps to its deadline.
//! * A callback that **panics** does not kill the loop: the panic is caught after the panic hook
//!   has reported it (asyncio logs an exception raised in a callback and goes on).
//! * Callbacks still pending when the loop ends are dropped without running, as
//!   `loop.close()` discards asyncio's ready queue.
//!
//! Callbacks run outside any task: `current_task()` is `None` inside one.

use std::cell::Cell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::rt::context;
use crate::rt::context_store;
use crate::rt::core::LoopCore;
use crate::rt::fd_callbacks::FdCallback;
use crate::rt::remote::RunRemote;
use crate::time::clock::NANOS_PER_SEC;
use crate::time::wheel::TimerKey;

/// What a loop callback is to the loop: something to run once, or to cancel.
pub(crate) trait RunOnce {
    fn run(&self);
    fn cancel(&self);
    fn state(&self) -> CallbackState;
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CallbackState {
    Pending,
    Ran,
    Cancelled,
}

/// A callback and its state in one allocation.
struct CallbackCell<F> {
    f: Cell<Option<F>>,
    state: Cell<CallbackState>,
}

impl<F: FnOnce()> RunOnce for CallbackCell<F> {
    fn run(&self) {
        if let Some(f) = self.f.take() {
            self.state.set(CallbackState::Ran);
            // The panic hook has already reported a panic by the time it is caught here.
            let _ = catch_unwind(AssertUnwindSafe(f));
        }
    }

    fn cancel(&self) {
        if self.state.get() == CallbackState::Pending {
            self.state.set(CallbackState::Cancelled);
            // asyncio drops the callback and its arguments at cancel(): so does corio.
            drop(self.f.take());
        }
    }

    fn state(&self) -> CallbackState {
        self.state.get()
    }
}

/// A callback as the loop's queues hold it (the handle shares it): one of the loop's thread,
/// or one another thread sent.
#[derive(Clone)]
pub(crate) enum Callback {
    Local(Rc<dyn RunOnce>),
    Remote(Arc<dyn RunRemote>),
}

impl Callback {
    /// A callback that runs in a copy of the context current now, as asyncio's `Handle`
    /// (`context=None`): what it sets stays in that copy.
    pub(crate) fn new(f: impl FnOnce() + 'static) -> Self {
        if context_store::current_is_empty() {
            Self::cell(f)
        } else {
            let bound = context_store::bind(f);
            Self::cell(move || bound.call())
        }
    }

    /// A callback that runs as it is: it carries its context (a done callback, bound where it
    /// was added), or runs in an empty one.
    pub(crate) fn cell(f: impl FnOnce() + 'static) -> Self {
        Callback::Local(Rc::new(CallbackCell {
            f: Cell::new(Some(f)),
            state: Cell::new(CallbackState::Pending),
        }))
    }

    /// Runs the callback unless it was cancelled or has run.
    pub(crate) fn run(&self) {
        match self {
            Callback::Local(callback) => callback.run(),
            Callback::Remote(callback) => callback.run(),
        }
        // One made in an empty context (or on another thread) may have set variables: they
        // go with it, as they would with asyncio's copy.
        context_store::discard_stray();
    }

    /// Whether `other` is this very callback.
    pub(crate) fn same(&self, other: &Callback) -> bool {
        match (self, other) {
            (Callback::Local(a), Callback::Local(b)) => Rc::ptr_eq(a, b),
            (Callback::Remote(a), Callback::Remote(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    fn local(&self) -> &dyn RunOnce {
        match self {
            Callback::Local(callback) => &**callback,
            Callback::Remote(_) => unreachable!("handles hold local callbacks only"),
        }
    }
}

/// What the selector and the timers fired in this pass do at the pass's end.
pub(crate) enum Fired {
    /// Wake a task (a `sleep`, a timeout).
    Wake(Waker),
    /// Run a `call_later`/`call_at` callback.
    Call(Callback),
    /// Run the callback of an fd the selector found ready (`add_reader` / `add_writer`).
    Io(Rc<FdCallback>),
}

/// The vtable of marker wakers: a timer armed by `call_at` carries one in place of a task's
/// waker, its data being the callback's slot in `LoopCore::timer_callbacks`. Waking one does
/// nothing; the loop recognises it by this vtable's address when the timer fires.
static MARKER: RawWakerVTable =
    RawWakerVTable::new(marker_clone, marker_noop, marker_noop, marker_noop);

fn marker_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &MARKER)
}

fn marker_noop(_: *const ()) {}

/// The marker waker naming `slot`.
pub(crate) fn marker_waker(slot: usize) -> Waker {
    // SAFETY: every function of `MARKER` is a no-op or a copy of the data pointer, which is a
    // plain integer never dereferenced; they are trivially thread-safe, as `Waker` requires.
    unsafe { Waker::from_raw(RawWaker::new(ptr::without_provenance(slot), &MARKER)) }
}

/// The slot a marker waker names, or `None` for any other waker.
pub(crate) fn marker_slot(waker: &Waker) -> Option<usize> {
    ptr::eq(waker.vtable(), &MARKER).then(|| waker.data() as usize)
}

/// Queues `f` on `core`, as `loop.call_soon(f)`.
pub(crate) fn call_soon(core: &LoopCore, f: impl FnOnce() + 'static) -> Handle {
    let callback = Callback::new(f);
    core.call_soon(callback.clone());
    Handle { callback }
}

/// Queues `f`, which carries its own context (see [`Callback::cell`]), on `core`.
pub(crate) fn call_soon_bound(core: &LoopCore, f: impl FnOnce() + 'static) -> Handle {
    let callback = Callback::cell(f);
    core.call_soon(callback.clone());
    Handle { callback }
}

/// Arms `f` on `core` for loop time `when_ns`, as `loop.call_at(when, f)`.
pub(crate) fn call_at(core: &LoopCore, when_ns: u64, f: impl FnOnce() + 'static) -> TimerHandle {
    let callback = Callback::new(f);
    let (slot, key) = core.call_at(when_ns, callback.clone());
    TimerHandle {
        callback,
        when_ns,
        slot,
        key,
        loop_id: core.id(),
    }
}

/// The handle `call_soon` returns, as asyncio's `Handle`: it can cancel the callback before it
/// runs. Not `Send`: callbacks belong to the loop's thread (for other threads, see
/// [`EventLoop::call_soon_threadsafe`](crate::EventLoop::call_soon_threadsafe)).
#[must_use = "dropping a Handle does not cancel its callback; bind it to `_` to say so"]
pub struct Handle {
    callback: Callback,
}

impl Handle {
    /// Cancels the callback, as `Handle.cancel()`: if it has not run, it never will, and it is
    /// dropped now. Does nothing if it has run or was cancelled.
    pub fn cancel(&self) {
        self.callback.local().cancel();
    }

    /// Whether [`cancel`](Handle::cancel) stopped the callback (asyncio's `cancelled()`).
    pub fn cancelled(&self) -> bool {
        self.callback.local().state() == CallbackState::Cancelled
    }
}

impl fmt::Debug for Handle {
    /// `<Handle pending>`, `<Handle ran>` or `<Handle cancelled>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.callback.local().state() {
            CallbackState::Pending => "pending",
            CallbackState::Ran => "ran",
            CallbackState::Cancelled => "cancelled",
        };
        write!(f, "<Handle {state}>")
    }
}

/// The handle `call_later` and `call_at` return, as asyncio's `TimerHandle`: it can cancel the
/// callback (disarming its timer) and tells when it is due.
#[must_use = "dropping a TimerHandle does not cancel its callback; bind it to `_` to say so"]
pub struct TimerHandle {
    callback: Callback,
    when_ns: u64,
    /// The callback's slot in its loop's `timer_callbacks` while the timer is armed.
    slot: usize,
    key: TimerKey,
    loop_id: u64,
}

impl TimerHandle {
    /// Cancels the callback, as `TimerHandle.cancel()`: it never runs, it is dropped now, and
    /// its timer is disarmed. Does nothing if it has run or was cancelled.
    pub fn cancel(&self) {
        self.callback.local().cancel();
        context::try_with_current(|core| {
            if core.id() == self.loop_id {
                core.cancel_call_at(self.slot, self.key, &self.callback);
            }
        });
    }

    /// Whether [`cancel`](TimerHandle::cancel) stopped the callback.
    pub fn cancelled(&self) -> bool {
        self.callback.local().state() == CallbackState::Cancelled
    }

    /// The loop time the callback is due at, in seconds, as `TimerHandle.when()`.
    pub fn when(&self) -> f64 {
        self.when_ns as f64 / NANOS_PER_SEC as f64
    }
}

impl fmt::Debug for TimerHandle {
    /// `<TimerHandle when=1.5 pending>` (or `ran`, `cancelled`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.callback.local().state() {
            CallbackState::Pending => "pending",
            CallbackState::Ran => "ran",
            CallbackState::Cancelled => "cancelled",
        };
        write!(f, "<TimerHandle when={} {state}>", self.when())
    }
}
