//! The event loop: one thread, one FIFO ready queue, one clock, one timer store.
//!
//! Scheduling reproduces CPython's `BaseEventLoop._run_once`, so programs print what asyncio
//! prints, line for line:
//!
//! 1. Wakes from other threads join the back of the ready queue (asyncio's
//!    `call_soon_threadsafe`).
//! 2. If nothing is ready, the loop waits for the next timer: a real clock parks the thread
//!    until the deadline or a wake from another thread; a virtual clock jumps to the deadline.
//! 3. Timers that are due join the back of the ready queue, in deadline order and, for equal
//!    deadlines, in arming order. A due timer does not step its task directly: asyncio's timer
//!    callback resolves a future, which then `call_soon`s the task, so the task's step runs one
//!    pass later, after whatever the pass's other items scheduled. corio gets the same order
//!    without queueing the callbacks: it wakes the fired timers' tasks in order at the end of
//!    the pass, which is where their callbacks would have run.
//! 4. The pass runs only what was ready when it began (a snapshot of the queue's length);
//!    whatever becomes ready during the pass (a new task's first step, a task woken by a task
//!    that finished, `sleep(0)`) runs in the next pass.
//!
//! The loop ends when the main future's task has finished; leftover tasks are then cancelled
//! and their futures dropped (their destructors run) before [`Runner::run`] returns, as
//! `asyncio.run` cancels what is left.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use async_task::Runnable;
use slab::Slab;

use crate::clock::Clock;
use crate::task::{self, TaskEntry, TaskError, TaskMeta};
use crate::timers::Timers;

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
}

/// The part of a loop other threads may touch: the queue of their wakes and the thread to
/// unpark. Tasks keep it alive through their metadata, so a late wake never dangles.
pub(crate) struct Shared {
    remote: Mutex<Vec<Remote>>,
    /// Set while `remote` is non-empty, so a pass checks the queue without taking the lock.
    has_remote: AtomicBool,
    thread: Thread,
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
    pub(crate) timers: RefCell<Timers>,
    /// The wakers of the timers fired this pass, woken at its end (a reused buffer).
    fired: RefCell<Vec<Waker>>,
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
            timers: RefCell::new(Timers::new()),
            fired: RefCell::new(Vec::new()),
            tasks: RefCell::new(Slab::new()),
            next_task_id: Cell::new(1),
            current_task: Cell::new(ptr::null()),
            shared: Arc::new(Shared {
                remote: Mutex::new(Vec::new()),
                has_remote: AtomicBool::new(false),
                thread: thread::current(),
            }),
        }
    }

    /// Whether `shared` belongs to this loop.
    pub(crate) fn owns(&self, shared: &Arc<Shared>) -> bool {
        Arc::ptr_eq(&self.shared, shared)
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
            }
        }
    }

    /// Waits until something can be ready: the next timer's deadline or a wake from another
    /// thread. Under virtual time the clock jumps to the deadline instead.
    fn wait_for_work(&self) {
        let next_wakeup = self.timers.borrow_mut().next_wakeup();
        match (&self.clock, next_wakeup) {
            (Clock::Virtual(_), Some(deadline)) => self.clock.advance_to(deadline),
            (Clock::Virtual(_), None) => {
                self.take_remote();
                if self.ready.borrow().is_empty() {
                    panic!(
                        "corio: deadlock under virtual time: the main future is waiting, but no \
                         task is ready and no timer is armed, so nothing can ever wake it"
                    );
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
        if self.ready.borrow().is_empty() {
            self.wait_for_work();
            self.take_remote();
        }
        let now = self.clock.now();
        let mut fired = self.fired.take();
        self.timers
            .borrow_mut()
            .fire_due(now, |waker| fired.push(waker));
        let ntodo = self.ready.borrow().len();
        for _ in 0..ntodo {
            self.run_ready_item();
        }
        // The fired timers' callbacks come last in this pass: their tasks step in the next.
        for waker in fired.drain(..) {
            waker.wake();
        }
        self.fired.replace(fired);
    }

    /// Runs the step at the front of the ready queue, if any; returns whether there was one.
    fn run_ready_item(&self) -> bool {
        // The borrow ends before the step runs: running it may push to the queue.
        let Some(runnable) = self.ready.borrow_mut().pop_front() else {
            return false;
        };
        self.current_task.set(runnable.metadata());
        runnable.run();
        self.current_task.set(ptr::null());
        true
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
            if self.ready.borrow().is_empty() {
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
/// unwinding) it cancels and drops every leftover task, then unmarks the thread.
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
