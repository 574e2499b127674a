//! The event loop: one thread, one FIFO ready queue, one clock, one timer store.
//!
//! Scheduling reproduces CPython's `BaseEventLoop._run_once`, so programs print what asyncio
//! prints, line for line:
//!
//! 1. Wakes and callbacks from other threads join the back of the ready queue (asyncio's
//!    `call_soon_threadsafe`).
//! 2. If nothing is ready, the loop waits for the next timer: a real clock parks the thread
//!    until the deadline or a wake from another thread; a virtual clock first waits for the
//!    outstanding thread work the loop knows of (`to_thread` calls: thread work takes no
//!    virtual time, so timings stay exact), then jumps to the deadline.
//! 3. Timers that are due join the back of the ready queue, in deadline order and, for equal
//!    deadlines, in arming order. A due timer does not step its task directly: asyncio's timer
//!    callback resolves a future, which then `call_soon`s the task, so the task's step runs one
//!    pass later, after whatever the pass's other items scheduled. corio gets the same order
//!    without queueing the callbacks: it wakes the fired timers' tasks in order at the end of
//!    the pass, which is where their callbacks would have run. A `call_later`/`call_at`
//!    callback runs right there too, in the same (deadline, arming) order.
//! 4. The pass runs only what was ready when it began (a snapshot of the queue's length);
//!    whatever becomes ready during the pass (a new task's first step, a task woken by a task
//!    that finished, `sleep(0)`) runs in the next pass.
//!
//! `call_soon` callbacks share the ready queue's FIFO order with task steps without making the
//! queue's entries bigger than a task step (8 bytes): they wait in a second queue, each tagged
//! with the ready queue's absolute position at the time it was scheduled (how many steps had
//! been queued), and a pass runs the two as one FIFO sequence merged by that position.
//!
//! The loop ends when the main future's task has finished; leftover tasks are then cancelled
//! and their futures dropped (their destructors run) before [`Runner::run`] returns, as
//! `asyncio.run` cancels what is left.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use async_task::Runnable;
use slab::Slab;

use crate::rt::callbacks::{self, Callback, Fired};
use crate::task::task::{self, TaskEntry, TaskError, TaskMeta};
use crate::time::clock::Clock;
use crate::time::wheel::Timers;

thread_local! {
    /// The loop running on this thread, or null. Set only by [`Enter`], which clears it before
    /// the [`Core`] it points to is dropped.
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

/// Numbers loops, so a future armed on one loop can tell it is polled on another.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// What other threads hand to the loop.
pub(crate) enum Remote {
    /// A task woken on another thread.
    Step(Runnable<TaskMeta>),
    /// `cancel()` called on another thread for the task registered under `key` with `id`.
    Cancel { key: u32, id: u64 },
    /// A callback from `call_soon_threadsafe` (or `run_coroutine_threadsafe`): it joins the
    /// back of the ready queue, as `call_soon` from the loop's thread does.
    Call(Box<dyn FnOnce() + Send>),
}

/// The part of a loop other threads may touch: the queue of their wakes and the thread to
/// unpark. Tasks keep it alive through their metadata, so a late wake never dangles.
pub(crate) struct Shared {
    remote: Mutex<Vec<Remote>>,
    /// Set while `remote` is non-empty, so a pass checks the queue without taking the lock.
    has_remote: AtomicBool,
    thread: Thread,
    /// Outstanding thread work the loop knows of (`to_thread` calls not yet finished): under
    /// virtual time, a loop with nothing ready waits for it (parks) before it jumps the clock
    /// or reports a deadlock. Incremented on the loop's thread by [`Shared::start_external`],
    /// decremented by the worker *after* it has handed its result (and wake) to the loop, by
    /// [`Shared::finish_external`].
    external: AtomicUsize,
    /// Whether [`Runner::run`] is running this loop (`loop.is_running()`).
    pub(crate) running: AtomicBool,
    /// Whether the loop has ended (`loop.is_closed()`); set under the `remote` lock, so a
    /// callback is either queued before the loop closes (and dropped by it) or refused.
    pub(crate) closed: AtomicBool,
}

impl Shared {
    /// Hands `item` to the loop and unparks it.
    pub(crate) fn push_remote(&self, item: Remote) {
        self.remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
        self.has_remote.store(true, Ordering::Release);
        self.thread.unpark();
    }

    /// Hands a callback to the loop unless it has closed; gives it back if it has.
    pub(crate) fn push_call(
        &self,
        call: Box<dyn FnOnce() + Send>,
    ) -> Result<(), Box<dyn FnOnce() + Send>> {
        {
            let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            if self.closed.load(Ordering::Acquire) {
                return Err(call);
            }
            remote.push(Remote::Call(call));
        }
        self.has_remote.store(true, Ordering::Release);
        self.thread.unpark();
        Ok(())
    }

    /// Counts one piece of thread work the loop must wait for (see `external`).
    pub(crate) fn start_external(&self) {
        self.external.fetch_add(1, Ordering::AcqRel);
    }

    /// Ends one piece of thread work; call it after handing the work's result to the loop.
    pub(crate) fn finish_external(&self) {
        self.external.fetch_sub(1, Ordering::AcqRel);
        self.thread.unpark();
    }

    /// Marks the loop closed and returns what was still queued for it.
    fn close(&self) -> Vec<Remote> {
        let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Release);
        self.running.store(false, Ordering::Release);
        self.has_remote.store(false, Ordering::Relaxed);
        std::mem::take(&mut *remote)
    }
}

/// Options of a loop, set through [`Runner`].
#[derive(Clone, Copy, Debug, Default)]
struct Config {
    virtual_time: bool,
}

/// The state of one running loop. It lives on the stack of [`Runner::run`]; code on the loop's
/// thread reaches it through [`with_current`]. Every field is borrowed only briefly and never
/// across a call into user code, so a task may spawn, sleep or cancel from anywhere.
pub(crate) struct Core {
    pub(crate) id: u64,
    pub(crate) clock: Clock,
    /// Task steps to run, in order (asyncio's `_ready`).
    pub(crate) ready: RefCell<VecDeque<Runnable<TaskMeta>>>,
    /// How many task steps have been taken off `ready` so far: with `ready`'s length, it gives
    /// the absolute position of the next step to be queued.
    popped: Cell<u64>,
    /// `call_soon` callbacks, each with the absolute ready-queue position it runs before (it
    /// runs after every step queued before it, and before every step queued after it).
    pub(crate) callbacks: RefCell<VecDeque<(u64, Callback)>>,
    pub(crate) timers: RefCell<Timers>,
    /// The callbacks of armed `call_later`/`call_at` timers; a timer's waker is a marker
    /// naming its slot here (see `callbacks::marker_waker`).
    pub(crate) timer_callbacks: RefCell<Slab<Callback>>,
    /// What the timers fired this pass did, done at its end (a reused buffer): wakers to wake
    /// and callbacks to run, in (deadline, arming) order.
    fired: RefCell<Vec<Fired>>,
    /// Every task that has not finished, so `all_tasks()` can list them and the end of `run`
    /// can cancel them.
    pub(crate) tasks: RefCell<Slab<TaskEntry>>,
    /// The id the next task gets; asyncio names tasks `Task-1`, `Task-2`, ... from it.
    pub(crate) next_task_id: Cell<u64>,
    /// The task whose step is running, for `current_task()`.
    pub(crate) current_task: Cell<*const TaskMeta>,
    pub(crate) shared: Arc<Shared>,
}

impl Core {
    fn new(config: Config) -> Self {
        Core {
            id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
            clock: if config.virtual_time {
                Clock::Virtual(Cell::new(0))
            } else {
                Clock::Real
            },
            ready: RefCell::new(VecDeque::new()),
            popped: Cell::new(0),
            callbacks: RefCell::new(VecDeque::new()),
            timers: RefCell::new(Timers::new()),
            timer_callbacks: RefCell::new(Slab::new()),
            fired: RefCell::new(Vec::new()),
            tasks: RefCell::new(Slab::new()),
            next_task_id: Cell::new(1),
            current_task: Cell::new(ptr::null()),
            shared: Arc::new(Shared {
                remote: Mutex::new(Vec::new()),
                has_remote: AtomicBool::new(false),
                thread: thread::current(),
                external: AtomicUsize::new(0),
                running: AtomicBool::new(false),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Whether `shared` belongs to this loop.
    pub(crate) fn owns(&self, shared: &Arc<Shared>) -> bool {
        Arc::ptr_eq(&self.shared, shared)
    }

    /// Queues `callback` at the back of the ready queue, as asyncio's `call_soon`.
    pub(crate) fn call_soon(&self, callback: Callback) {
        let position = self.popped.get() + self.ready.borrow().len() as u64;
        self.callbacks.borrow_mut().push_back((position, callback));
    }

    /// Whether neither a task step nor a callback is ready.
    fn idle(&self) -> bool {
        self.ready.borrow().is_empty() && self.callbacks.borrow().is_empty()
    }

    /// Moves what other threads sent to the back of the ready queue.
    fn take_remote(&self) {
        if !self.shared.has_remote.load(Ordering::Acquire) {
            return;
        }
        let items = {
            let mut remote = self
                .shared
                .remote
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.shared.has_remote.store(false, Ordering::Relaxed);
            std::mem::take(&mut *remote)
        };
        for item in items {
            match item {
                Remote::Step(runnable) => self.ready.borrow_mut().push_back(runnable),
                Remote::Cancel { key, id } => task::cancel_registered(self, key, id),
                Remote::Call(call) => self.call_soon(callbacks::from_remote(call)),
            }
        }
    }

    /// Waits until something can be ready: the next timer's deadline or a wake from another
    /// thread. Under virtual time the clock jumps to the deadline instead.
    fn wait_for_work(&self) {
        let next_wakeup = self.timers.borrow_mut().next_wakeup();
        match (&self.clock, next_wakeup) {
            (Clock::Virtual(_), deadline) => {
                // Thread work the loop knows of takes no virtual time: wait for it first.
                loop {
                    // Read before draining: the worker hands its result over, then decrements.
                    let external = self.shared.external.load(Ordering::Acquire);
                    self.take_remote();
                    if !self.idle() {
                        return;
                    }
                    if external == 0 {
                        break;
                    }
                    thread::park();
                }
                match deadline {
                    Some(deadline) => self.clock.advance_to(deadline),
                    None => panic!(
                        "corio: deadlock under virtual time: the main future is waiting, but no \
                         task is ready, no timer is armed and no thread work is outstanding, so \
                         nothing can ever wake it"
                    ),
                }
            }
            (Clock::Real, deadline) => loop {
                if self.shared.has_remote.load(Ordering::Acquire) {
                    return;
                }
                match deadline {
                    None => thread::park(),
                    Some(deadline) => {
                        let now = self.clock.now();
                        if now >= deadline {
                            return;
                        }
                        thread::park_timeout(Duration::from_nanos(deadline - now));
                    }
                }
            },
        }
    }

    /// One pass of the loop, as asyncio's `_run_once`.
    fn run_once(&self) {
        self.take_remote();
        if self.idle() {
            self.wait_for_work();
            self.take_remote();
        }
        let mut fired = self.fired.take();
        // A pass with no timer armed skips the clock: reading it is most of a hot pass's cost.
        if !self.timers.borrow().is_empty() {
            let now = self.clock.now();
            self.timers.borrow_mut().fire_due(now, |waker| {
                fired.push(match callbacks::marker_slot(&waker) {
                    Some(slot) => Fired::Call(self.timer_callbacks.borrow_mut().remove(slot)),
                    None => Fired::Wake(waker),
                })
            });
        }
        let ntodo = self.ready.borrow().len() + self.callbacks.borrow().len();
        for _ in 0..ntodo {
            self.run_next();
        }
        // The fired timers' callbacks come last in this pass: their tasks step in the next,
        // and `call_later` callbacks run here, in the same order.
        for item in fired.drain(..) {
            match item {
                Fired::Wake(waker) => waker.wake(),
                Fired::Call(callback) => callback.run(),
            }
        }
        self.fired.replace(fired);
    }

    /// Runs the next item of the merged FIFO: the first callback if every step queued before
    /// it has run, else the first task step.
    fn run_next(&self) {
        let callback = {
            let mut callbacks = self.callbacks.borrow_mut();
            match callbacks.front() {
                Some(&(position, _))
                    if position <= self.popped.get() || self.ready.borrow().is_empty() =>
                {
                    callbacks.pop_front()
                }
                _ => None,
            }
        };
        match callback {
            Some((_, callback)) => callback.run(),
            None => {
                self.run_ready_item();
            }
        }
    }

    /// Runs the step at the front of the ready queue, if any; returns whether there was one.
    fn run_ready_item(&self) -> bool {
        // The borrow ends before the step runs: running it may push to the queue.
        let Some(runnable) = self.ready.borrow_mut().pop_front() else {
            return false;
        };
        self.popped.set(self.popped.get() + 1);
        self.current_task.set(runnable.metadata());
        runnable.run();
        self.current_task.set(ptr::null());
        true
    }

    /// Drops the callbacks still queued or armed, without running them (asyncio's `close()`
    /// discards its ready queue and timers). Returns whether there were any.
    fn drop_callbacks(&self) -> bool {
        let queued = std::mem::take(&mut *self.callbacks.borrow_mut());
        let armed = std::mem::take(&mut *self.timer_callbacks.borrow_mut());
        let any = !queued.is_empty() || !armed.is_empty();
        // Dropped outside the borrows: a closure's destructor may schedule more.
        drop(queued);
        drop(armed);
        any
    }

    /// Cancels every unfinished task and runs the loop, without advancing time, until each
    /// one's future has been dropped. A destructor may spawn a task (asynchronous cleanup):
    /// it runs while it has ready steps, then it is cancelled too.
    fn shutdown(&self) {
        loop {
            self.take_remote();
            let wakers: Vec<Waker> = self
                .tasks
                .borrow()
                .iter()
                .map(|(_, entry)| {
                    entry.meta().request_cancel();
                    entry.waker.clone()
                })
                .collect();
            // Woken outside the borrow: waking schedules, and scheduling may touch the registry.
            for waker in wakers {
                waker.wake();
            }
            let dropped = self.drop_callbacks();
            if self.ready.borrow().is_empty() && !dropped {
                break;
            }
            while self.run_ready_item() {
                self.take_remote();
            }
        }
    }
}

/// Runs `f` with the loop running on this thread.
///
/// # Panics
///
/// With `{what} called with no running event loop` when no loop runs on this thread, the
/// message asyncio's `RuntimeError` carries.
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Core) -> R) -> R {
    match try_with_current(f) {
        Some(r) => r,
        None => panic!("{what} called with no running event loop; call it inside corio::run()"),
    }
}

/// Runs `f` with the loop running on this thread, or returns `None` if there is none.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let core = CURRENT.with(Cell::get);
    if core.is_null() {
        return None;
    }
    // SAFETY: CURRENT is non-null only between `Enter::new` and `Enter::drop`, while the `Core`
    // it points to is alive and pinned on `Runner::run`'s stack; it is a thread-local, so only
    // the loop's own thread reads it, and `Core` is only ever shared by `&`.
    Some(f(unsafe { &*core }))
}

/// Marks a loop as running on this thread for as long as it lives; on drop (normal return or
/// unwinding) it cancels and drops every leftover task and callback, marks the loop closed,
/// then unmarks the thread.
struct Enter<'a> {
    core: &'a Core,
}

impl<'a> Enter<'a> {
    fn new(core: &'a Core) -> Self {
        CURRENT.with(|current| {
            if !current.get().is_null() {
                panic!(
                    "This event loop is already running: corio::run() was called inside a \
                     running loop; await the future, or spawn it with corio::create_task()"
                );
            }
            current.set(core);
        });
        Enter { core }
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        self.core.shutdown();
        // Callbacks other threads sent too late are dropped here, on the loop's thread.
        let late = self.core.shared.close();
        drop(late);
        self.core.drop_callbacks();
        CURRENT.with(|current| current.set(ptr::null()));
    }
}

/// Configures and runs an event loop, as asyncio's `Runner`.
///
/// ```
/// let out = corio_runtime::Runner::new().virtual_time().run(async {
///     corio_runtime::sleep(3600).await; // an hour, at once
///     corio_runtime::time()
/// });
/// assert_eq!(out, 3600.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Runner {
    config: Config,
}

impl Runner {
    /// A runner with asyncio's defaults: the real monotonic clock.
    pub fn new() -> Self {
        Runner::default()
    }

    /// Runs on a virtual clock that starts at `0.0` and jumps to the next timer whenever
    /// nothing is ready, so sleeps take no real time and timings are exact. A loop that then
    /// has nothing ready, no timer and an unfinished main future can never progress: it panics
    /// with a message saying it deadlocked, instead of hanging.
    ///
    /// The clock moves only when nothing is ready, so a task that polls in a `sleep(0)` loop
    /// waiting for time to pass never lets it pass: wait with a non-zero `sleep` instead.
    pub fn virtual_time(mut self) -> Self {
        self.config.virtual_time = true;
        self
    }

    /// Runs `future` to completion on a new loop on this thread and returns its output, as
    /// `asyncio.run`.
    ///
    /// The future runs as the loop's first task (`Task-1`; it need not be `'static` or `Send`).
    /// When it finishes, leftover tasks are cancelled and their futures dropped before `run`
    /// returns, so no task outlives its loop. If the future panics, the panic resumes here
    /// after that clean-up; a panic in any other task is contained in that task's
    /// [`TaskError`].
    ///
    /// # Panics
    ///
    /// With `already running` if a loop already runs on this thread (that loop is left
    /// untouched and keeps working if the panic is caught); with the future's own panic; and,
    /// under virtual time, with `deadlock` when nothing can ever wake the future.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        let core = Core::new(self.config);
        let enter = Enter::new(&core);
        core.shared.running.store(true, Ordering::Release);
        let mut main = task::spawn_main(&core, future);
        while !main.is_finished() {
            core.run_once();
        }
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(output) = std::pin::Pin::new(&mut main).poll(&mut cx) else {
            unreachable!("a finished task has its output");
        };
        drop(main);
        drop(enter);
        match output {
            Some(Ok(value)) => value,
            Some(Err(TaskError::Panicked(payload))) => std::panic::resume_unwind(payload),
            Some(Err(TaskError::Cancelled)) | None => {
                panic!("corio::run(): the main task was cancelled before it finished")
            }
        }
    }
}

/// Runs `future` on a new event loop on this thread with the real clock, as `asyncio.run`.
///
/// See [`Runner::run`] for what happens to leftover tasks and panics.
///
/// ```
/// async fn main_coro() -> u32 {
///     corio_runtime::sleep(0).await;
///     42
/// }
/// assert_eq!(corio_runtime::run(main_coro()), 42);
/// ```
///
/// # Panics
///
/// With `already running` when called inside a running loop (asyncio's `RuntimeError`).
pub fn run<F: Future>(future: F) -> F::Output {
    Runner::new().run(future)
}
