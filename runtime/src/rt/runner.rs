//! Running a loop: [`Runner`] and [`run`], as asyncio's `Runner` and `asyncio.run`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::rt::context::{self, Enter};
use crate::rt::context_store::{self, Ctx};
use crate::rt::context_vars::ContextSnapshot;
use crate::rt::core::LoopCore;
use crate::rt::shutdown;
use crate::rt::signals;
use crate::rt::spawn;
use crate::rt::task_output::TaskOutput;
use crate::rt::trace_log::{Recording, TraceLog};
use crate::time::delay::IntoDelay;

/// How long the end of `run` lets clean-up tasks run by default: asyncio's bound on waiting
/// for the default executor at the end of `asyncio.run`, 300 s.
const DEFAULT_SHUTDOWN_TIMEOUT_NS: u64 = 300_000_000_000;

/// Options of a loop, set through [`Runner`].
#[derive(Clone, Copy, Debug)]
struct Config {
    virtual_time: bool,
    /// See [`Runner::debug`].
    debug: bool,
    /// See [`Runner::slow_callback_duration`].
    slow_callback_ns: u64,
    /// See [`Runner::shutdown_timeout`].
    shutdown_timeout_ns: u64,
    /// See [`Runner::eager_tasks`].
    eager_tasks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            virtual_time: false,
            debug: debug_from_env(),
            slow_callback_ns: 100_000_000,
            shutdown_timeout_ns: DEFAULT_SHUTDOWN_TIMEOUT_NS,
            eager_tasks: false,
        }
    }
}

/// Debug mode's default: on when the environment variable `CORIO_DEBUG` is set and not empty
/// (asyncio's `PYTHONASYNCIODEBUG`).
fn debug_from_env() -> bool {
    std::env::var_os("CORIO_DEBUG").is_some_and(|value| !value.is_empty())
}

/// Configures and runs an event loop, as asyncio's `Runner`: it keeps its loop across
/// [`run`](Runner::run) calls, so tasks created in one run go on in the next and the clock
/// goes on, until [`close`](Runner::close) (or dropping the runner) ends the loop as
/// [`run`](crate::run) ends its own: leftover tasks cancelled, their clean-up tasks let finish,
/// everything dropped.
///
/// ```
/// let out = corio_runtime::Runner::new().virtual_time().run(async {
///     corio_runtime::sleep(3600).await; // an hour, at once
///     corio_runtime::time()
/// });
/// assert_eq!(out, 3600.0);
/// ```
///
/// ```
/// use corio_runtime::{Runner, create_task, sleep, time};
///
/// let runner = Runner::new().virtual_time();
/// // A task made in one run...
/// let task = runner.run(async { Some(create_task(async { sleep(5).await; time() })) });
/// // ... goes on while the next runs, on the same clock.
/// assert_eq!(runner.run(async { sleep(1).await; time() }), 1.0);
/// assert_eq!(runner.run(task.unwrap()).unwrap(), 5.0);
/// runner.close();
/// ```
#[derive(Default)]
pub struct Runner {
    config: Config,
    /// The loop, kept between runs; boxed, so the thread's pointer to it stays valid.
    held: RefCell<Option<Box<LoopCore>>>,
    closed: Cell<bool>,
    /// A traced runner's log (see [`Runner::trace`]), between runs; `None` when not tracing.
    trace: RefCell<Option<TraceLog>>,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("virtual_time", &self.config.virtual_time)
            .field("debug", &self.config.debug)
            .field("eager_tasks", &self.config.eager_tasks)
            .field("has_loop", &self.held.borrow().is_some())
            .field("closed", &self.closed.get())
            .field("trace", &self.trace.borrow().is_some())
            .finish()
    }
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

    /// Debug mode, as asyncio's (`asyncio.Runner(debug=True)`, `loop.set_debug(True)`); its
    /// default is on when the environment variable `CORIO_DEBUG` is set and not empty, as
    /// `PYTHONASYNCIODEBUG`. [`EventLoop::get_debug`](crate::EventLoop::get_debug) and the
    /// loop's `Debug` say which.
    ///
    /// In debug mode the loop records what [`capture_call_graph`](crate::capture_call_graph)
    /// and [`print_call_graph`](crate::print_call_graph) show: each task's chain of
    /// `#[corio::coroutine]` frames with the await each is suspended at, and which task awaits
    /// which. Outside it, a call graph holds the tasks alone: recording costs a few
    /// instructions per poll of each frame, which corio does not charge every program.
    pub fn debug(mut self, on: bool) -> Self {
        self.config.debug = on;
        self
    }

    /// In debug mode, a task step or callback that holds the loop longer than this (seconds,
    /// or a `Duration`; 100 ms by default, asyncio's `loop.slow_callback_duration`) is
    /// reported on stderr: `Executing <Task pending name='Task-2' coro=<worker() running at
    /// src/main.rs:9:20>> took 0.152 seconds`. Real time, under virtual time too.
    ///
    /// # Panics
    ///
    /// For a NaN, infinite or overflowing duration.
    pub fn slow_callback_duration(mut self, duration: impl IntoDelay) -> Self {
        self.config.slow_callback_ns = duration.into_delay_nanos();
        self
    }

    /// Records a trace of what the loop does, for [`take_trace`](Runner::take_trace): each
    /// task's creation, each of its steps (loop time and pass) with the `.await`s it is
    /// suspended at after it, and its end. See [`Trace`](crate::Trace) for what it holds and
    /// how it renders (an SVG timeline, JSON).
    ///
    /// The await sites come from `#[corio::coroutine]` frames, which a traced loop records as
    /// debug mode does; a task whose future is no coroutine shows its steps without sites.
    /// Tracing costs a record per step (about ten times the loop's own work per step, in
    /// `BENCHMARKS.md`); a runner that does not trace pays nothing measurable for it.
    ///
    /// ```
    /// use corio_runtime::{Runner, create_task, sleep};
    ///
    /// let runner = Runner::new().virtual_time().trace();
    /// runner.run(async {
    ///     let child = create_task(async { sleep(1).await });
    ///     child.await.unwrap();
    /// });
    /// let trace = runner.take_trace().unwrap();
    /// let names: Vec<&str> = trace.tasks().iter().map(|task| task.name()).collect();
    /// assert_eq!(names, ["Task-1", "Task-2"]);
    /// assert_eq!(trace.tasks()[1].end().unwrap().time(), 1.0);
    /// ```
    pub fn trace(self) -> Self {
        *self.trace.borrow_mut() = Some(TraceLog::default());
        self
    }

    /// Takes the raw log a traced runner recorded since [`trace`](Runner::trace) or the last
    /// take, leaving an empty one; `None` if the runner does not trace.
    pub(crate) fn take_trace_log(&self) -> Option<TraceLog> {
        self.trace.borrow_mut().as_mut().map(std::mem::take)
    }

    /// Bounds the loop time the end of [`run`](Runner::run) gives clean-up tasks (seconds, or
    /// a `Duration`; 300 s by default, asyncio's bound at the end of `asyncio.run`). Past it
    /// they are cancelled and `run` says so on stderr; `0` cancels them at once.
    ///
    /// # Panics
    ///
    /// For a NaN, infinite or overflowing timeout.
    pub fn shutdown_timeout(mut self, timeout: impl IntoDelay) -> Self {
        self.config.shutdown_timeout_ns = timeout.into_delay_nanos();
        self
    }

    /// Makes every task created on the loop start eagerly, as
    /// `loop.set_task_factory(asyncio.eager_task_factory)` (Python 3.12): [`create_task`],
    /// [`create_task_named`], [`create_task_try`], a [`TaskGroup`]'s members and the tasks
    /// corio creates for you ([`shield`](crate::shield)'s) behave as [`create_eager_task`]:
    /// their first step runs inside the call, until the task first suspends. The main future
    /// stays a regular task, as asyncio's main task (the loop is not running yet when
    /// `Runner.run` creates it, so the factory queues it). Off by default.
    ///
    /// Differences from asyncio 3.12: a member of a [`TaskGroup`] that already failed is
    /// still created cancelled, without running (asyncio refuses to create it); and
    /// [`create_task_named`] names the task before its eager step, where asyncio's
    /// `create_task(coro, name=...)` renames it only after (its step sees `Task-<n>`), so
    /// `current_task()` in the step already has the name, as with
    /// `eager_task_factory(loop, coro, name=...)` called directly.
    ///
    /// ```
    /// use corio_runtime::{Runner, create_task, current_task};
    ///
    /// Runner::new().eager_tasks(true).run(async {
    ///     let task = create_task(async { current_task().unwrap().name().into_owned() });
    ///     assert!(task.done()); // its first step ran, and finished, inside create_task
    ///     assert_eq!(task.await.unwrap(), "Task-2");
    /// });
    /// ```
    ///
    /// [`create_task`]: crate::create_task
    /// [`create_task_named`]: crate::create_task_named
    /// [`create_task_try`]: crate::create_task_try
    /// [`create_eager_task`]: crate::create_eager_task
    /// [`TaskGroup`]: crate::TaskGroup
    pub fn eager_tasks(mut self, eager: bool) -> Self {
        self.config.eager_tasks = eager;
        self
    }

    /// Runs `future` to completion on the runner's loop (made by the first run) on this
    /// thread and returns its output, as asyncio's `Runner.run`.
    ///
    /// The future runs as a task of the loop (`Task-1` in the first run; it need not be
    /// `'static` or `Send`). When it finishes, `run` returns: the tasks it left go on in the
    /// next run, and the clock goes on. [`close`](Runner::close), or dropping the runner, ends
    /// the loop: leftover tasks are cancelled and their futures dropped, so no task outlives
    /// its loop. A task their destructors spawn (asynchronous clean-up, the substitute for an
    /// `await` in `finally`) runs to completion first, timers and I/O included, for up to the
    /// [`shutdown_timeout`](Runner::shutdown_timeout) of loop time; what is still running then
    /// is cancelled, and the end says so on stderr. If the future panics, the panic resumes
    /// here; a panic in any other task is contained in that task's
    /// [`TaskError`](crate::TaskError). A panic out of the loop itself (a deadlock under
    /// virtual time) ends the loop on its way: the next run starts a new one.
    ///
    /// The loop's end is panic-safe: if a destructor panics there (a leftover callback's
    /// captures, a cancelled task's future), every other leftover is still dropped, the loop
    /// is closed and the thread is free for a new loop before the panic resumes (from
    /// `close`, or from the drop of a runner that is not already unwinding). The first panic
    /// wins: a main future's panic unwinding through the runner's drop, else the first
    /// destructor's; later ones are discarded. [`run`](crate::run), which is
    /// `Runner::new().run(future)` then `close()`, keeps asyncio's one loop per call.
    ///
    /// # Ctrl-C
    ///
    /// On the main thread, if SIGINT has its default disposition when `run` starts, `run`
    /// handles it as asyncio's `Runner` does:
    ///
    /// * the first SIGINT cancels the main task (in a loop pass: its future is dropped, so its
    ///   destructors run); `run` then panics with `corio::run(): KeyboardInterrupt: interrupted by SIGINT, the main task
    ///   was cancelled`. This is asyncio's `KeyboardInterrupt`: it unwinds through the
    ///   caller's destructors, `catch_unwind` can stop it, and uncaught it ends the program
    ///   with that message (exit code 101, where CPython ends by SIGINT). A main task that
    ///   finishes anyway (it was about to) returns its output as usual.
    /// * a second SIGINT ends the process at once, by SIGINT (its default disposition comes
    ///   back and the signal is raised again), whatever the loop is doing: the way out of a
    ///   clean-up that hangs.
    ///
    /// A program's own SIGINT handler ([`EventLoop::add_signal_handler`]) replaces this
    /// handling until it is removed. When `run` returns, SIGINT has its default again. Off the
    /// main thread, or with SIGINT already handled or ignored, `run` leaves SIGINT alone.
    ///
    /// # Panics
    ///
    /// With `already running` if a loop already runs on this thread (that loop is left
    /// untouched and keeps working if the panic is caught); with the future's own panic;
    /// with `KeyboardInterrupt` after a SIGINT (see above); and, under virtual time, with
    /// `deadlock` when nothing can ever wake the future.
    ///
    /// [`EventLoop::add_signal_handler`]: crate::EventLoop::add_signal_handler
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !self.closed.get(),
            "corio::Runner::run(): the Runner is closed (asyncio: Runner is closed)"
        );
        context::assert_none_running();
        // Dropped after `enter`: a loop that ends on a panic is traced to its end.
        let _recording = Recording::start(&self.trace);
        let core = self.held.borrow_mut().take();
        let core = core.unwrap_or_else(|| Box::new(LoopCore::new(self.config.virtual_time)));
        core.shared().set_debug(self.config.debug);
        core.shared()
            .set_slow_callback_ns(self.config.slow_callback_ns);
        core.stepping().set_eager_tasks(self.config.eager_tasks);
        // A panic out of the loop's own work (a deadlock, ...) ends the loop on the way out
        // (`Enter`'s drop): the next run starts a new one.
        let enter = Enter::new(&core);
        core.shared().start();
        // The main task runs in a copy of the caller's context, as `asyncio.run`'s.
        let spawn_main = || spawn::spawn_main(&core, future);
        let (main_id, mut main) = match enter.caller_vars() {
            caller if caller.values.is_none() => spawn_main(),
            caller => context_store::run_in(&mut caller.copy(), spawn_main),
        };
        // What each pass fires, done at its end: a buffer kept across passes.
        let mut fired = Vec::new();
        let interrupted = Rc::new(Cell::new(false));
        signals::handle_interrupt(&core, {
            let interrupted = interrupted.clone();
            move || {
                interrupted.set(true);
                cancel_main(main_id);
            }
        });
        while !main.is_finished() {
            core.run_once(&mut fired);
        }
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(output) = Pin::new(&mut main).poll(&mut cx) else {
            unreachable!("a finished task has its output");
        };
        drop(main);
        signals::end_interrupt(&core);
        core.shared().pause();
        enter.pause();
        *self.held.borrow_mut() = Some(core);
        match output.map(TaskOutput::take) {
            Some(Err(error)) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Some(Ok(value)) => value,
            Some(Err(_)) | None if interrupted.get() => panic!(
                "corio::run(): KeyboardInterrupt: interrupted by SIGINT, the main task was \
                 cancelled"
            ),
            Some(Err(_)) | None => {
                panic!("corio::run(): the main task was cancelled before it finished")
            }
        }
    }
}

impl Runner {
    /// [`run`](Runner::run)s `future` in `context` itself, as `Runner.run(coro, context=ctx)`:
    /// the main task starts with `context`'s values, and what it sets is in `context`
    /// afterwards (the next run in it sees it). [`run`](Runner::run) without a context runs
    /// the main task in a copy of the caller's context.
    ///
    /// ```
    /// use corio_runtime::{ContextSnapshot, ContextVar, Runner};
    ///
    /// static USER: ContextVar<&str> = ContextVar::new("user");
    ///
    /// let mut context = ContextSnapshot::new();
    /// context.run(|| drop(USER.set("ada")));
    /// assert_eq!(USER.get(), None); // set in `context` only
    /// let runner = Runner::new();
    /// assert_eq!(runner.run_with_context(&mut context, async { USER.get() }), Some("ada"));
    /// runner.run_with_context(&mut context, async { drop(USER.set("grace")) });
    /// assert_eq!(context.run(|| USER.get()), Some("grace"));
    /// ```
    ///
    /// # Panics
    ///
    /// As [`run`](Runner::run).
    pub fn run_with_context<F: Future>(
        &self,
        context: &mut ContextSnapshot,
        future: F,
    ) -> F::Output {
        self.run(InContext {
            ctx: context.ctx_mut(),
            future: Some(future),
        })
    }

    /// Ends the loop, as asyncio's `Runner.close()`: cancels the tasks left from earlier runs,
    /// lets the clean-up tasks their destructors spawn finish (for up to the
    /// [`shutdown_timeout`](Runner::shutdown_timeout)), waits for the default pool's work
    /// within the same bound, drops what is left and closes the loop. Later runs panic. Closing
    /// twice, or a runner that never ran, does nothing. Dropping the runner closes it.
    ///
    /// # Panics
    ///
    /// With the first panic a destructor raised while the loop ended (the loop is closed
    /// all the same), and with `already running` inside a running loop.
    pub fn close(&self) {
        self.closed.set(true);
        if let Some(payload) = self.end_loop() {
            std::panic::resume_unwind(payload);
        }
    }

    /// Ends the held loop, if any; the first destructor panic there.
    fn end_loop(&self) -> Option<shutdown::Payload> {
        let core = self.held.borrow_mut().take()?;
        context::assert_none_running();
        let _recording = Recording::start(&self.trace);
        let mut enter = Enter::new(&core);
        core.shared().start();
        let payload = enter.end(self.config.shutdown_timeout_ns);
        drop(enter);
        drop(core);
        payload
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if self.held.get_mut().is_none() {
            return;
        }
        if context::try_with_current(|_| ()).is_some() {
            // Dropped inside another loop's task: this loop cannot run here; its tasks are
            // left undropped rather than dropped off their loop.
            std::mem::forget(self.held.get_mut().take());
            return;
        }
        match self.end_loop() {
            Some(payload) if std::thread::panicking() => shutdown::discard(payload),
            Some(payload) => std::panic::resume_unwind(payload),
            None => {}
        }
    }
}

pin_project_lite::pin_project! {
    /// A main future that runs (is polled and dropped) in a given context.
    struct InContext<'c, F> {
        ctx: &'c mut Ctx,
        #[pin]
        future: Option<F>,
    }

    impl<'c, F> PinnedDrop for InContext<'c, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut future = this.future;
            context_store::run_in(this.ctx, || future.set(None));
        }
    }
}

impl<F: Future> Future for InContext<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        context_store::run_in(this.ctx, || {
            future
                .as_pin_mut()
                .expect("a finished main future is not polled again")
                .poll(cx)
        })
    }
}

/// Cancels the running loop's main task (the task numbered `id`) if it has not finished.
fn cancel_main(id: u64) {
    let main = context::try_with_current(|core| {
        core.task_entries()
            .into_iter()
            .find(|entry| entry.meta().id() == id)
    });
    if let Some(main) = main.flatten() {
        main.meta().cancel(None);
    }
}

/// Runs `future` on a new event loop on this thread with the real clock, as `asyncio.run`.
///
/// See [`Runner::run`] for what happens to leftover tasks, panics and Ctrl-C.
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
    let runner = Runner::new();
    let output = runner.run(future);
    // A destructor's panic at the end comes out here; the main future's own panic came out of
    // `run` above, and ended the loop on its way (the runner's drop discards a later one).
    runner.close();
    output
}
