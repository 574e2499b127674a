//! # corio: Python's asyncio, in Rust
//!
//! corio gives Rust programmers who learned concurrency from asyncio the same model, the same
//! names and the same printed output, with Rust's speed and compile-time checks: an
//! asyncio-style single-threaded event loop with tasks, cancellation, timers, a loop clock and
//! virtual time for tests.
//!
//! ```
//! async fn say_after(delay: u64, what: &str) {
//!     corio::sleep(delay).await;
//!     println!("{what}");
//! }
//!
//! // asyncio.run(main()), on a virtual clock so this example takes no real time.
//! let finished_at = corio::Runner::new().virtual_time().run(async {
//!     let task1 = corio::create_task(say_after(1, "hello"));
//!     let task2 = corio::create_task(say_after(2, "world"));
//!     task1.await.unwrap();
//!     task2.await.unwrap();
//!     corio::time()
//! });
//! assert_eq!(finished_at, 2.0); // the tasks ran concurrently
//! ```
//!
//! ## asyncio -> corio
//!
//! | asyncio | corio |
//! |---|---|
//! | `async def f()`, `f()` not awaited | [`#[corio::coroutine] async fn f()`](coroutine) -> [`Coroutine`]; dropped unpolled, it reports `coroutine 'f' was never awaited` |
//! | `asyncio.run(main())` | [`run(main())`](run) returns the output; leftover tasks are cancelled and dropped before it returns, and clean-up tasks their destructors spawn run to completion first (bounded by [`Runner::shutdown_timeout`]) |
//! | `with asyncio.Runner() as r: r.run(a()); r.run(b())` | [`Runner::new()`](Runner) (with [`.virtual_time()`](Runner::virtual_time) for tests): the loop is kept across [`run`](Runner::run)s, tasks and clock go on, until [`close()`](Runner::close) or the runner's drop |
//! | `asyncio.create_task(coro, name=...)` | [`create_task(fut)`](create_task), [`create_task_named(name, fut)`](create_task_named) -> [`Task<T>`](Task) |
//! | `asyncio.eager_task_factory(loop, coro)`, `loop.set_task_factory(asyncio.eager_task_factory)` (3.12) | [`create_eager_task(fut)`](create_eager_task), [`create_eager_task_named(name, fut)`](create_eager_task_named); [`Runner::new().eager_tasks(true)`](Runner::eager_tasks) for every task of the loop but the main one (see [Eager tasks](#eager-tasks)) |
//! | `await task` | `task.await` -> `Result<T, TaskError>` ([`TaskError::is_cancelled`] or [`TaskError::is_panic`]); [`create_task_try(fut)`](create_task_try) for a task whose `Err` is a failure (see [Errors](#errors-err-panic-and-cancellation)) |
//! | `task.cancel(msg)`, `.done()`, `.cancelled()`, `.get_name()`, `.set_name(n)`, `.result()`, `.add_done_callback(cb)`, `.remove_done_callback(cb)` | [`Task::cancel`] / [`Task::cancel_with`], [`Task::done`], [`Task::cancelled`], [`Task::name`], [`Task::set_name`], [`Task::result`] (`None` while pending), [`Task::add_done_callback`] (-> [`DoneCallbackId`]; the closure takes no argument, it captures what it needs) / [`Task::remove_done_callback`] (the count removed) |
//! | `asyncio.current_task()`, `asyncio.all_tasks()` | [`current_task()`](current_task), [`all_tasks()`](all_tasks) -> [`TaskRef`] (`task_ref.await` waits for the task's end) |
//! | `await asyncio.sleep(1)`, `sleep(0.5)`, `sleep(0)` | `sleep(1).await`, `sleep(0.5).await`, `sleep(0).await` (also a `Duration`) |
//! | `loop.time()` | [`time()`](time) |
//! | `await asyncio.gather(a, b, c)`, `gather(*aws)` | [`gather!(a, b, c)`](gather!) -> `(A, B, C)`, `gather!(..aws)` -> `Vec<T>`, `gather!(try a, b)` -> `Result<(A, B), E>` (the first `Err` drops the rest) |
//! | `for aw in asyncio.as_completed(aws, timeout=t): await aw` | [`as_completed!(..aws)`](as_completed!), `as_completed!(a, b)` ([`AsCompletedFixed`]), `as_completed!(..aws, timeout = t)`: a `Stream` with `next().await`, no `pin!`; with a timeout, one `Err(TimeoutError)` ends it |
//! | `done, pending = await asyncio.wait(tasks, timeout=t, return_when=FIRST_COMPLETED)` | [`wait(tasks, ReturnWhen::FirstCompleted)`](wait)`.timeout(t).await` -> `(Vec<Task<T>>, Vec<Task<T>>)` in the order given ([`ReturnWhen`]: `FirstCompleted`, `FirstException` (a panic or a fallible task's `Err`; a cancellation does not count, as in asyncio), `AllCompleted`); never cancels what is pending |
//! | `await asyncio.shield(aw)` | [`shield(fut).await`](shield) -> `Result<T, TaskError>`, [`Shield::from_task`]: the work runs on as a task when the awaiter is dropped or cancelled (the end of `run` still cancels it) |
//! | `async with asyncio.TaskGroup() as tg: tg.create_task(coro)` | [`TaskGroup::new()`](TaskGroup), `group.create_task(fut)` -> [`Task<T>`](Task), `group.create_task_try(fut)` for members whose `Err` fails the group ([`TaskGroup::with_errors`] gives `TaskGroup<E>`), `group.join().await` -> `Result<(), TaskGroupError<E>>`: a member's `Err` or panic cancels the others and every failure is listed ([`TaskGroupError::failures`] -> [`TaskFailure<E>`](TaskFailure), asyncio's `ExceptionGroup`); the group is a `Clone` handle (members add siblings); dropping the owner or its `join` cancels the members |
//! | `async with asyncio.timeout(d) as cm:`, `timeout(None)`, `timeout_at(when)`, `cm.reschedule(w)`, `cm.when()`, `cm.expired()` | [`timeout(d)`](timeout) / [`timeout_at(when)`](timeout_at) -> [`Timeout`]; `scope.wrap(fut).await` -> `Result<T, TimeoutError>`; `reschedule`, `when`, `expired` by the same names, also while the future runs |
//! | `RuntimeError: This event loop is already running` | `run` inside a running loop panics with `already running` |
//! | `fut = loop.create_future()`, `fut.set_result(x)`, `set_exception(e)`, `cancel()`, `add_done_callback(cb)`, `remove_done_callback(cb)`, `await fut` | [`SettableFuture`] (from [`EventLoop::create_future`] or `SettableFuture::new()`): the same methods (`add_done_callback` returns a [`DoneCallbackId`] for `remove_done_callback`, which returns the count removed); `fut.await` -> `Result<T, FutureError<E>>`; callbacks and awaiters run via `call_soon`, in registration order |
//! | `asyncio.get_running_loop()`, `loop.time()`, `loop.call_soon/call_later/call_at(...)` | [`get_running_loop()`](get_running_loop) -> [`EventLoop`] (prints `<corio.EventLoop running=True closed=False debug=False>`); `call_*` return a [`Handle`] / [`TimerHandle`] with `cancel()` |
//! | `loop.call_soon_threadsafe(cb)`, `asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)` | [`EventLoop::call_soon_threadsafe`], [`run_coroutine_threadsafe(fut, &loop)`](run_coroutine_threadsafe) -> [`ConcurrentFuture`] with `result(timeout)` |
//! | `await asyncio.to_thread(f)` | [`to_thread(f).await`](to_thread) (a shared thread pool; a panic in `f` resumes in the awaiter) |
//! | `await asyncio.wrap_future(cf)`, `cf.add_done_callback(f)` | `cf.await` ([`ConcurrentFuture`] is a `Future` on any loop), [`cf.add_done_callback(f)`](ConcurrentFuture::add_done_callback) |
//! | `await loop.run_in_executor(executor, f)` | [`loop.run_in_executor(&executor, f).await`](EventLoop::run_in_executor) (any [`Executor`]: futures-executor's `ThreadPool`, or a `Fn(Job)`) |
//! | `loop.add_reader(fd, cb)`, `add_writer`, `remove_reader(fd)`, `remove_writer` | [`EventLoop::add_reader`] and the rest: level-triggered (once per pass while the fd is ready), `fd` a `RawFd` the caller keeps open until it removes the callback |
//! | `loop.add_signal_handler(signal.SIGTERM, cb)`, `remove_signal_handler(sig)` | [`EventLoop::add_signal_handler`]`(signal::SIGTERM, cb)` ([`signal`] has `SIGINT`, `SIGTERM`, `SIGHUP`, `SIGUSR1`, `SIGUSR2`): `cb` runs on the loop's thread in a loop pass; removing gives the signal its default back |
//! | Ctrl-C under `asyncio.run`: `KeyboardInterrupt` | on the main thread, the first SIGINT cancels the main task (its destructors run) and [`run`] panics with `KeyboardInterrupt`; a second one ends the process by SIGINT at once |
//! | `loop.create_datagram_endpoint`, `sock_sendto`, `sock_recvfrom` | [`net::UdpSocket`]: `bind(addr).await`, `send_to(buf, addr).await`, `recv_from(buf).await` -> `(usize, SocketAddr)`, `connect`/`send`/`recv` |
//! | `asyncio.Event()`: `set()`, `clear()`, `is_set()`, `await wait()` | [`Event`]: the same names (`wait().await` gives `true`); `set()` wakes every waiter in order |
//! | `asyncio.Lock()`: `async with lock:`, `acquire()`, `release()`, `locked()` | [`Lock`]: `lock.acquire().await` -> [`LockGuard`] (releases on drop); [`LockGuard::forget`] + [`Lock::release`] for the explicit style; FIFO, no barging; releasing an unlocked lock panics with `Lock is not acquired.` |
//! | `asyncio.Semaphore(n)`, `BoundedSemaphore(n)` | [`Semaphore::new(n)`](Semaphore), [`BoundedSemaphore::new(n)`](BoundedSemaphore) (`usize`: a negative value does not compile): `acquire().await` -> [`SemaphorePermit`]; releasing a bounded one too often panics with `BoundedSemaphore released too many times` |
//! | `asyncio.Condition()`: `wait()`, `wait_for(pred)`, `notify(n)`, `notify_all()` | [`Condition`]: `cond.acquire().await` -> [`ConditionGuard`]; `guard = guard.wait().await`, `guard.wait_for(pred).await`, `notify(n)`, `notify_all()` |
//! | `asyncio.Barrier(n)`: `wait()`, `reset()`, `abort()`, `BrokenBarrierError` | [`Barrier`]: `wait().await` -> `Result<usize, BrokenBarrierError>`; `reset()`, `abort()` |
//! | `asyncio.Queue(maxsize)`, `PriorityQueue`, `LifoQueue`: `put`, `get`, `put_nowait`, `get_nowait`, `task_done`, `join`, `shutdown` | [`Queue`], [`PriorityQueue`], [`LifoQueue`] with the same names (`maxsize` 0 is unbounded); errors [`QueueFull`], [`QueueEmpty`], [`QueueShutDown`] (a failed put returns the item) |
//! | `reader, writer = await asyncio.open_connection(host, port)`, `open_unix_connection(path)` | [`open_connection(host, port)`](open_connection)`.await?`, [`open_unix_connection(path)`](open_unix_connection) -> ([`StreamReader`], [`StreamWriter`]) |
//! | `reader.read(n)`, `read()`, `readline()`, `readexactly(n)`, `readuntil(sep)`, `at_eof()`, `async for line in reader` | the same names on [`StreamReader`] (`read()` is `read_to_end()`); it is a `Stream` of lines; errors [`IncompleteReadError`], [`LimitOverrunError`] inside `io::Error` |
//! | `writer.write(data)`, `await drain()`, `write_eof()`, `close()`, `await wait_closed()`, `is_closing()`, `get_extra_info("peername")` | the same names on [`StreamWriter`]; `peer_addr()` -> [`StreamAddr`] |
//! | `server = await asyncio.start_server(cb, host, port)`, `start_unix_server(cb, path)`, `server.close()`, `await server.wait_closed()`, `serve_forever()` | [`start_server(cb, host, port)`](start_server), [`start_unix_server(cb, path)`](start_unix_server) -> [`Server`] with the same methods and `local_addrs()`; sockets in [`net`] |
//! | `proc = await asyncio.create_subprocess_exec(prog, *args, stdout=PIPE)`, `create_subprocess_shell(cmd)`: `proc.communicate(input)`, `wait()`, `returncode`, `kill()`, `terminate()`, `send_signal(sig)`, `proc.stdin`/`stdout`/`stderr` | [`Command::new(prog).args(..).stdout(Stdio::piped()).spawn()`](Command) -> [`Process`] with the same names (`returncode()`, `pid()`); [`create_subprocess_exec(prog, args)`](create_subprocess_exec)`.await` and [`create_subprocess_shell(cmd)`](create_subprocess_shell) pipe all three streams |
//! | `asyncio.print_call_graph()`, `capture_call_graph(task)` (3.14), `python -m asyncio pstree` | [`print_call_graph()`](print_call_graph), [`format_call_graph()`](format_call_graph), [`capture_call_graph(&task)`](capture_call_graph) -> [`CallGraph`] (frames and await sites recorded in debug mode: see [below](#seeing-inside-a-running-program-the-call-graph-and-debug-mode)) |
//! | `PYTHONASYNCIODEBUG=1`, `asyncio.run(main(), debug=True)`, `loop.set_debug()`, `loop.slow_callback_duration` | `CORIO_DEBUG=1`, [`Runner::debug(true)`](Runner::debug), [`EventLoop::set_debug`], [`Runner::slow_callback_duration`] / [`EventLoop::set_slow_callback_duration`]: slow steps reported, creation places in the never-awaited and never-retrieved reports |
//! | `request = contextvars.ContextVar("request")`, `request.set(v)` -> token, `request.get()`, `request.reset(token)`, `contextvars.copy_context()`, `ctx.run(f)`, `runner.run(coro, context=ctx)` | `static REQUEST: `[`ContextVar<T>`](ContextVar)` = ContextVar::new("request")` (or [`ContextVar::with_default`]), `REQUEST.set(v)` -> [`Token`], `REQUEST.get()` -> `Option<T>`, `REQUEST.reset(token)`, [`copy_context()`](copy_context) -> [`ContextSnapshot`], `ctx.run(f)`, [`Runner::run_with_context`]: each task runs in a copy of its creator's context, callbacks in a copy of their scheduler's (see [Context variables](#context-variables)) |
//! | `RuntimeError: no running event loop` | `create_task`, `time` outside a loop panic with `no running event loop` (`sleep` and `wait_for!` work on any executor, on a portable timer) |
//!
//! ## Sharing state with tasks
//!
//! asyncio shares objects by reference: every task that holds a `Queue`, a `Lock` or a `Task`
//! holds the same one. corio's handles are shared the same way, and user code never writes
//! `Rc`:
//!
//! * [`Lock`], [`Event`], [`Semaphore`], [`BoundedSemaphore`], [`Condition`], [`Barrier`],
//!   [`Queue`], [`PriorityQueue`] and [`LifoQueue`] are cheap `Clone` handles to one primitive
//!   (one `Rc` inside): clone one into each task that needs it.
//! * A [`Task<T>`](Task) is `Clone` when `T` is: every clone awaits the same task and gets its
//!   own copy of the result, so `shield(t.clone())` and a later `t.await` both work, as asyncio
//!   allows. A [`TaskRef`] (from [`current_task`] or [`all_tasks`]) can be awaited for the
//!   task's end, whatever its output type.
//! * A [`TaskGroup`] is a `Clone` handle: a member given a clone can add siblings, and `join`
//!   waits for them too. The handle `TaskGroup::new()` made is the owner (the `async with`
//!   block): only dropping it unjoined cancels the members.
//!
//! ```
//! use corio::{Lock, Queue, Shield, TaskGroup, create_task, sleep, time};
//!
//! corio::Runner::new().virtual_time().run(async {
//!     let queue = Queue::new(0);
//!     let lock = Lock::new();
//!     let group = TaskGroup::new();
//!     for name in ["a", "b"] {
//!         let (queue, lock, siblings) = (queue.clone(), lock.clone(), group.clone());
//!         group.create_task(async move {
//!             let _held = lock.acquire().await; // one at a time
//!             sleep(1).await;
//!             queue.put_nowait((name, time())).unwrap();
//!             // A member adds a sibling; `join` waits for it.
//!             siblings.create_task(async move { sleep(1).await });
//!         });
//!     }
//!     group.join().await.unwrap();
//!     assert_eq!(time(), 3.0);
//!     assert_eq!(queue.get_nowait().unwrap(), ("a", 1.0));
//!     assert_eq!(queue.get_nowait().unwrap(), ("b", 2.0));
//!
//!     // asyncio: `await asyncio.shield(t)`, then `await t`.
//!     let t = create_task(async { sleep(1).await; String::from("done") });
//!     assert_eq!(Shield::from_task(t.clone()).await.unwrap(), "done");
//!     assert_eq!(t.await.unwrap(), "done");
//! });
//! ```
//!
//! ## Errors: `Err`, panic and cancellation
//!
//! In asyncio one mechanism, the exception, carries failures and cancellation alike. In Rust
//! errors are values and panics are bugs, so corio keeps three things apart:
//!
//! * **An `Err`** is a value: it flows by `?` through `.await`. A task made with
//!   [`create_task_try`] (or a group's [`create_task_try`](TaskGroup::create_task_try)) is
//!   *fallible*: its `Err` counts as asyncio counts an exception (it fails a [`TaskGroup`],
//!   ends [`wait`]`(.., ReturnWhen::FirstException)`, and is reported if nobody retrieves it).
//!   A plain [`create_task`] cannot see that its output is a `Result` (stable Rust), so there
//!   an `Err` is just the output.
//! * **A panic** is contained in its task: awaiting the task gives a [`TaskError`] with
//!   [`is_panic`](TaskError::is_panic) and [`panic_message`](TaskError::panic_message);
//!   [`into_panic`](TaskError::into_panic) re-raises it with `std::panic::resume_unwind`.
//! * **A cancellation** is not a failure (asyncio's `CancelledError` is not an `Exception`):
//!   its `TaskError` has [`is_cancelled`](TaskError::is_cancelled), and it never fails a group.
//!
//! [`TaskError`] is `std::error::Error + Send + Sync + 'static`, so `task.await?` goes into
//! `anyhow::Error` or `Box<dyn Error + Send + Sync>`. A panic, or a fallible task's `Err`,
//! that nobody retrieves is reported on stderr when the task's result is dropped, as asyncio
//! logs `Task exception was never retrieved` (see [`NeverRetrieved`],
//! [`set_never_retrieved_hook`]).
//!
//! | asyncio | corio |
//! |---|---|
//! | `await t` raises the task's exception | `t.await` -> `Ok(Err(e))` for a fallible task's `Err`, `Err(TaskError)` for a panic or cancellation |
//! | `gather(a, b)` raises the first exception | `gather!(try a, b).await` -> the first `Err`, the other children dropped |
//! | `TaskGroup` raises `ExceptionGroup` | `group.join().await` -> [`TaskGroupError<E>`](TaskGroupError) with [`TaskFailure::Err`] / [`TaskFailure::Panicked`] in order |
//! | `wait(.., return_when=FIRST_EXCEPTION)` | [`wait`]`(.., ReturnWhen::FirstException)` ends on a panic or a fallible task's `Err` |
//! | `for aw in as_completed(aws): await aw` raises | [`as_completed!`] yields each output, `Err`s included: handle them in the loop |
//!
//! ```
//! use std::fmt;
//!
//! use corio::{
//!     ReturnWhen, TaskFailure, TaskGroup, as_completed, create_task, create_task_try, gather,
//!     sleep, time, wait,
//! };
//!
//! #[derive(Debug, PartialEq)]
//! struct Refused(u16);
//!
//! impl fmt::Display for Refused {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         write!(f, "refused on port {}", self.0)
//!     }
//! }
//!
//! /// Connects after `secs`; port 0 refuses.
//! async fn connect(port: u16, secs: u64) -> Result<u16, Refused> {
//!     sleep(secs).await;
//!     if port == 0 { Err(Refused(port)) } else { Ok(port) }
//! }
//!
//! corio::Runner::new().virtual_time().run(async {
//!     // `.await`: the task's own `Err` is its output; a panic is a `TaskError`.
//!     assert_eq!(create_task_try(connect(0, 1)).await.unwrap(), Err(Refused(0)));
//!     let crashed = create_task(async { panic!("bug") }).await.unwrap_err();
//!     assert!(crashed.is_panic() && !crashed.is_cancelled());
//!     assert_eq!(crashed.to_string(), "task panicked: bug");
//!
//!     // `gather!(try ..)`: the first `Err`, at once; the slower child is dropped.
//!     let start = time();
//!     assert_eq!(gather!(try connect(80, 5), connect(0, 1)).await, Err(Refused(0)));
//!     assert_eq!(time() - start, 1.0);
//!
//!     // `TaskGroup`: the first failure cancels the rest, one loop pass later.
//!     let group = TaskGroup::with_errors();
//!     let slow = group.create_task_try(connect(443, 10));
//!     let refused = group.create_task_try(connect(0, 1));
//!     let err = group.join().await.unwrap_err();
//!     assert!(matches!(err.failures(), [TaskFailure::Err(Refused(0))]));
//!     assert_eq!(refused.await.unwrap_err().to_string(), "task failed: refused on port 0");
//!     assert!(slow.await.unwrap_err().is_cancelled());
//!
//!     // `wait(FirstException)`: ends on a fallible task's `Err`; pending tasks run on.
//!     let start = time();
//!     let tasks = vec![create_task_try(connect(0, 1)), create_task_try(connect(80, 3))];
//!     let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
//!     assert_eq!((done.len(), pending.len(), time() - start), (1, 1, 1.0));
//!
//!     // `as_completed!`: every output comes out, `Err`s too, in completion order.
//!     let mut results = as_completed!(connect(80, 2), connect(0, 1));
//!     assert_eq!(results.next().await, Some(Err(Refused(0))));
//!     assert_eq!(results.next().await, Some(Ok(80)));
//!     for task in pending {
//!         assert_eq!(task.await.unwrap(), Ok(80));
//!     }
//! });
//! ```
//!
//! ## Scheduling: the same order as asyncio
//!
//! The loop keeps CPython's `_run_once` order, so programs print what asyncio prints, line for
//! line: one FIFO ready queue; each pass runs only what was ready when it began; timers that
//! come due join the queue after what is already ready, in deadline order and, for equal
//! deadlines, in arming order; a new task's first step is queued at the end (never run inline,
//! unless it is an eager task: below); `sleep(0)` yields exactly once; a finished task wakes its
//! awaiter on the next pass.
//!
//! ### Eager tasks
//!
//! asyncio 3.12's eager tasks skip the queue for the first step: [`create_eager_task`] runs
//! the new task at once, inside the call, with the new task as [`current_task`], until it first
//! suspends. A task that finishes without suspending (a cache hit, a path that only sometimes
//! awaits) is done when the call returns and never touches the ready queue; one that suspends
//! is an ordinary task from there on. The caller's code after the call runs after that first
//! step. [`Runner::eager_tasks(true)`](Runner::eager_tasks) makes every `create_task` of the
//! loop eager (asyncio's `loop.set_task_factory(asyncio.eager_task_factory)`); the main task
//! stays a regular one, as in asyncio. The order is CPython 3.12's, checked against its trace.
//!
//! ```
//! use corio::{create_eager_task, create_task, sleep};
//!
//! corio::Runner::new().virtual_time().run(async {
//!     let mut order = Vec::new();
//!     let regular = create_task(async { "regular" });
//!     let cached = create_eager_task(async { "cached" });
//!     assert!(cached.done() && !regular.done()); // no loop pass yet
//!     let fetched = create_eager_task(async {
//!         sleep(1).await; // suspends: from here, a task like any other
//!         "fetched"
//!     });
//!     assert!(!fetched.done());
//!     for task in [regular, cached, fetched] {
//!         order.push(task.await.unwrap());
//!     }
//!     assert_eq!(order, ["regular", "cached", "fetched"]);
//!     assert_eq!(corio::time(), 1.0);
//! });
//! ```
//!
//! ## Seeing inside a running program: the call graph and debug mode
//!
//! Debug mode is asyncio's (`PYTHONASYNCIODEBUG=1`, `asyncio.run(main(), debug=True)`): set
//! the environment variable `CORIO_DEBUG=1`, or build the runner with
//! [`Runner::debug(true)`](Runner::debug). In it, the loop records where every task is, and
//! reports what asyncio's debug mode reports:
//!
//! * [`print_call_graph()`](print_call_graph) (asyncio 3.14's `print_call_graph`, drawn as
//!   `python -m asyncio pstree` draws a process) shows every task as a tree: its
//!   `#[corio::coroutine]` frames from the outermost in, each with the `.await` it is
//!   suspended at, and under it the tasks it awaits (through `.await` on a handle, `gather!`,
//!   `wait`, `as_completed!`). [`capture_call_graph(task)`](capture_call_graph) gives the same
//!   as data ([`CallGraph`], [`FrameEntry`]); a task's `Debug` shows its coroutine and line,
//!   as asyncio's repr: `<Task pending name='Task-2' coro=<worker() running at src/main.rs:9:20>>`.
//! * A task step or callback that holds the loop longer than
//!   [`slow_callback_duration`](Runner::slow_callback_duration) (100 ms) is reported on
//!   stderr: `Executing <Task pending name='Task-2' coro=<...>> took 0.152 seconds`.
//! * The never-awaited report says where the coroutine was created, and the never-retrieved
//!   one where the task was.
//!
//! Outside debug mode none of this is recorded (a call graph then holds the tasks alone): it
//! costs a few instructions per poll of each coroutine, which corio does not charge every
//! program.
//!
//! ```
//! #[corio::coroutine]
//! async fn leaf(secs: u64) {
//!     corio::sleep(secs).await;
//! }
//!
//! #[corio::coroutine]
//! async fn worker(secs: u64) {
//!     leaf(secs).await;
//! }
//!
//! let drawn = corio::Runner::new().virtual_time().debug(true).run(async {
//!     let a = corio::create_task_named("worker-a", worker(1));
//!     let b = corio::create_task_named("worker-b", worker(2));
//!     let drawing = corio::create_task(async {
//!         corio::sleep(0.5).await;
//!         corio::format_call_graph()
//!     });
//!     let _ = corio::gather!(a, b).await;
//!     drawing.await.unwrap()
//! });
//! // (Lines as the doctest's file names them.)
//! let lines: Vec<&str> = drawn.lines().collect();
//! assert_eq!(lines[0], "Task-1");
//! assert!(lines[1].starts_with("├── worker-a worker  at "));
//! assert!(lines[1].ends_with(" leaf(secs).await"));
//! assert!(lines[2].starts_with("│     leaf  at "));
//! assert!(lines[2].ends_with("sleep(secs).await"));
//! assert!(lines[3].starts_with("└── worker-b worker  at "));
//! assert_eq!(lines[5], "Task-4");
//! ```
//!
//! ## Cancellation: drop, not an exception
//!
//! asyncio cancels by throwing `CancelledError` into the coroutine, which may clean up with more
//! awaits or even swallow it. Rust's native cancellation is drop, and corio follows it:
//!
//! * [`Task::cancel`] marks the task; at its next scheduling point the loop drops the task's
//!   future, so every destructor runs exactly once (destructors are the `finally`), and the
//!   awaiter gets a cancelled [`TaskError`].
//! * A task cannot swallow cancellation or await during clean-up. For asynchronous clean-up,
//!   spawn a new task from a destructor; at the end of `run` such a task still runs the steps
//!   it has ready, then it is cancelled too.
//! * Dropping a [`Task`] handle that was never awaited detaches the task (the loop owns running
//!   tasks, so asyncio's "keep a reference" set is not needed); dropping it while an `.await`
//!   on it is pending cancels the task, as asyncio cancels the task a cancelled awaiter was
//!   waiting on.
//! * [`gather!`] and [`as_completed!`] poll plain futures inline, inside the task that awaits
//!   them (asyncio wraps each coroutine in a task of its own): that makes them allocation-free
//!   state machines that run on any executor, and dropping one (or cancelling the task that
//!   awaits it) drops every unfinished child exactly once. Beside *other* tasks, a child's first
//!   step runs when its awaiter is polled (asyncio: one loop pass later), and children woken in
//!   the same pass run within the awaiter's one turn. Outputs match asyncio whenever nothing
//!   else runs beside the children (the factorial example included); for asyncio's
//!   interleaving exactly, gather tasks: `gather!(create_task(a), create_task(b))`.
//!
//! ## Time
//!
//! The loop reads one clock: the real monotonic clock by default, or a virtual clock that
//! starts at `0.0` and jumps to the next timer whenever nothing is ready, so a test of
//! `sleep(3600)` finishes at once and every timing is exact. Under virtual time, a loop with
//! nothing ready, no timer and an unfinished main future panics with a message saying it
//! deadlocked, instead of hanging.
//!
//! ## Context variables
//!
//! Where asyncio code keeps per-request state in a `contextvars.ContextVar`, a `thread_local!`
//! is silently wrong on corio: every task of the loop shares the thread, so every task sees
//! the last value set. A [`ContextVar`] has a value per context, and, as in asyncio, each task
//! runs in a copy of the context current where it was created: what a task sets is its own,
//! across its awaits and in the tasks it creates afterwards, never seen by its creator or its
//! siblings. Callbacks (`call_soon`, `call_later`, done callbacks) run in a copy of the
//! context they were scheduled in. The copy is O(1) (the values are shared until one side
//! sets one), and a program that sets no variable pays nothing for it (see
//! [`ContextVar`] for what differs from asyncio: contexts stay on their thread).
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! use corio::{ContextVar, create_task, gather, sleep};
//!
//! static REQUEST: ContextVar<String> = ContextVar::new("request");
//!
//! async fn handle(id: u32, printed: Rc<RefCell<Vec<String>>>) {
//!     REQUEST.set(format!("req-{id}"));
//!     sleep(1).await; // the other two set theirs meanwhile
//!     printed.borrow_mut().push(REQUEST.get().unwrap()); // print(request.get())
//! }
//!
//! corio::Runner::new().virtual_time().run(async {
//!     let printed = Rc::new(RefCell::new(Vec::new()));
//!     let tasks = (0..3).map(|id| create_task(handle(id, printed.clone())));
//!     gather!(..tasks).await;
//!     assert_eq!(*printed.borrow(), ["req-0", "req-1", "req-2"]);
//!     assert_eq!(REQUEST.get(), None); // the tasks' sets stay theirs
//! });
//! ```
//!
//! ## A timeline of a run
//!
//! A runner made with [`Runner::trace`] records, per task, its creation, each step (the loop
//! time and the loop pass it ran in) with the `.await`s it was left suspended at, and its end
//! (done, cancelled, failed, panicked). [`Runner::take_trace`] hands it back after the run as
//! a [`Trace`]: data ([`Trace::tasks`]), JSON through serde ([`Trace::to_json`]), or an SVG
//! picture, a lane per task over loop time with the steps as marks and the waits between them
//! labelled with their await site ([`Trace::to_svg`]; the README shows two). The await sites
//! are those of `#[corio::coroutine]` frames, recorded as in debug mode; a task whose future
//! is no coroutine shows its steps without them. Not tracing costs nothing measurable on a
//! spawn or an await (`BENCHMARKS.md`).
//!
//! ```
//! #[corio::coroutine]
//! async fn worker(delay: f64) {
//!     corio::sleep(delay).await;
//! }
//!
//! #[corio::coroutine]
//! async fn main_coro() {
//!     let a = corio::create_task(worker(1.0));
//!     let b = corio::create_task(worker(2.0));
//!     let _ = corio::gather!(a, b).await;
//! }
//!
//! let runner = corio::Runner::new().virtual_time().trace();
//! runner.run(main_coro());
//! let trace = runner.take_trace().unwrap();
//! let b = &trace.tasks()[2];
//! assert_eq!((b.name(), b.coroutine()), ("Task-3", Some("worker")));
//! assert_eq!((b.created().time(), b.end().unwrap().time()), (0.0, 2.0));
//! let waited = b.steps()[0].suspended_at()[0].site().unwrap();
//! assert_eq!(waited.source(), "corio :: sleep(delay).await");
//! assert_eq!(trace.to_svg().matches(r#"<g class="lane""#).count(), 3);
//! ```
//!
//! ## Threads
//!
//! The loop runs on one thread and its tasks need not be `Send`. Task wakers are `Send + Sync`:
//! a wake from any thread unparks the loop. [`TaskRef`] and [`Task::cancel`] work from any
//! thread.
//!
//! The loop's objects ([`Event`], [`Queue`], [`SettableFuture`], ...) are not `Send`. To use
//! one from another thread, bridge it on the loop with [`EventLoop::threadsafe`]: the
//! [`Threadsafe`] handle is `Send`, and each [`call`](Threadsafe::call) runs on the loop, as
//! `loop.call_soon_threadsafe` (refused with [`LoopClosed`] once the loop has ended). Each
//! is one line on the other thread:
//!
//! ```
//! use corio::{Event, Queue, SettableFuture, get_running_loop, run};
//!
//! run(async {
//!     let lp = get_running_loop();
//!     // Cheap `Clone` handles: the loop keeps one, this task the other.
//!     let event = Event::new();
//!     let queue: Queue<u32> = Queue::new(0);
//!     let fut: SettableFuture<&str> = lp.create_future();
//!     let (remote_event, remote_queue, remote_fut) = (
//!         lp.threadsafe(event.clone()),
//!         lp.threadsafe(queue.clone()),
//!         lp.threadsafe(fut.clone()),
//!     );
//!     std::thread::spawn(move || {
//!         remote_queue.call(|queue| queue.put_nowait(7).unwrap()).unwrap();
//!         remote_fut.call(|fut| fut.set_result("done")).unwrap();
//!         remote_event.call(|event| event.set()).unwrap();
//!     });
//!     event.wait().await;
//!     assert_eq!(queue.get().await.unwrap(), 7);
//!     assert_eq!(fut.await.unwrap(), "done");
//! });
//! ```
//!
//! A [`ConcurrentFuture`] (from [`run_coroutine_threadsafe`]) is itself awaitable on a loop,
//! as asyncio's `wrap_future`, and [`EventLoop::run_in_executor`] runs blocking work on a pool
//! of the program's own.

#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]

mod macros;

/// Makes an `async fn` a coroutine, as Python's `async def`: the fn returns a
/// [`Coroutine<impl Future<Output = T>>`](Coroutine), which runs nothing until it is awaited
/// or spawned.
///
/// ```
/// #[corio::coroutine]
/// async fn say_after(delay: u64, what: &str) -> usize {
///     corio::sleep(delay).await;
///     what.len()
/// }
///
/// let out = corio::Runner::new().virtual_time().run(async {
///     let coro = say_after(1, "hello"); // nothing runs yet
///     assert_eq!(coro.name(), "say_after");
///     assert_eq!(coro.state(), corio::CoroutineState::Created);
///     assert!(format!("{coro:?}").starts_with("<coroutine object say_after at 0x"));
///     coro.await
/// });
/// assert_eq!(out, 5);
/// ```
///
/// It goes on any `async fn` with a body: free functions, inherent and trait-impl methods
/// (`&self`, `&mut self`, `self`), with generics, lifetimes, where clauses, `impl Trait`
/// arguments, and bodies that use `?` or `return`. rustc still builds the body's state machine,
/// so the coroutine behaves exactly as the bare `async fn`'s future: the same output, the same
/// wakes, every argument moved into it, each destructor run once when it is dropped at any
/// point, and in the same order; it is `Send` exactly when the bare future is. The frame around
/// it adds:
///
/// * the name and module path ([`Coroutine::name`], [`Coroutine::module_path`]);
/// * the state, as `inspect.getcoroutinestate` ([`Coroutine::state`]: `Created`, `Running`,
///   `Suspended`, `Closed`);
/// * the await it is suspended at ([`Coroutine::await_site`]: file, line and column of the
///   `await`, and the awaited expression's text). Each `.await` of the body is rewritten to
///   tell the frame its index before awaiting, without changing what it means (temporaries
///   live as long, `IntoFuture` applies). Awaits in closures, async blocks and nested items
///   belong to those, and awaits written inside another macro's input are not seen;
/// * `#[must_use]`, and `Debug` printing `<coroutine object NAME at 0x...>`, Python's `repr`;
/// * the never-awaited report: a coroutine dropped before its first poll reports
///   `coroutine 'NAME' was never awaited`, by default as
///   `RuntimeWarning: coroutine 'NAME' was never awaited` on stderr; see
///   [`set_never_awaited_hook`] and [`capture_never_awaited`].
///
/// The frame costs 24 bytes over the bare future (16 on 32-bit targets: its static info,
/// where it was created, its state, its debug-mode entry), and per poll a test and a store
/// or two, with a thread-local read and write when it suspends; `benches/coroutine.rs`
/// measures it, and BENCHMARKS.md keeps the figures.
///
/// # Options
///
/// * `name = "..."`: the coroutine's name in reports and `Debug` (default: the fn's name),
///   e.g. `#[corio::coroutine(name = "main")]`.
/// * `crate = path`: where corio is, for a renamed dependency, as tokio's macros:
///   `#[my_corio::coroutine(crate = my_corio)]`.
///
/// # Always write the path: `#[corio::coroutine]`
///
/// rustc has a built-in (unstable) attribute named `coroutine`, so after
/// `use corio::coroutine;` a bare `#[coroutine]` fails on stable with E0659
/// ("`coroutine` is ambiguous ... a name conflict with a builtin attribute"). Write
/// `#[corio::coroutine]` (or `#[crate_alias::coroutine]`); don't import it.
///
/// # Editions
///
/// The return type's `impl Future` is written by the macro, so it follows edition 2024's
/// capture rules whatever the caller's edition: it captures every lifetime and type parameter
/// in scope, as the bare `async fn`'s future does.
///
/// # Errors
///
/// At compile time, with the error on the offending token: not on an `async fn` (a plain fn,
/// a struct, a trait method without a body), a `const` or `extern` fn, an unknown option, a
/// `name` that is not a non-empty string literal.
#[doc(inline)]
pub use corio_macros::coroutine;

/// Runs an `async fn main` to completion on a new corio loop, as `asyncio.run(main())`.
///
/// ```no_run
/// #[corio::main]
/// async fn main() -> Result<(), corio::TaskError> {
///     let task = corio::create_task(async { 6 * 7 });
///     println!("{}", task.await?);
///     Ok(())
/// }
/// ```
///
/// expands to a plain `fn main()` whose body is `corio::Runner::new().run(async move { .. })`;
/// the fn's output (a `Result` included, with `?` in the body) is `main`'s. Like
/// `asyncio.run`, leftover tasks are cancelled when the body returns.
///
/// # Options
///
/// * `virtual_time`: run on the virtual clock ([`Runner::virtual_time`]).
/// * `crate = path`: where corio is, for a renamed dependency.
///
/// # Errors
///
/// At compile time: not an `async fn`, arguments, generics, an unknown option.
#[doc(inline)]
pub use corio_macros::main;

/// Runs an `async fn` test on a new corio loop, as `#[tokio::test]`.
///
/// ```
/// #[corio::test(virtual_time)]
/// async fn an_hour_at_once() {
///     corio::sleep(3600).await;
///     assert_eq!(corio::time(), 3600.0);
/// }
/// ```
///
/// expands to a `#[test] fn` whose body runs on `corio::Runner::new()` (with
/// `.virtual_time()` under the `virtual_time` option); other attributes (`#[should_panic]`,
/// `#[ignore]`) stay. A test may return a `Result`.
///
/// # Options
///
/// * `virtual_time`: run on the virtual clock, so sleeps take no real time and timings are
///   exact.
/// * `crate = path`: where corio is, for a renamed dependency.
///
/// # Errors
///
/// At compile time: not an `async fn`, arguments, generics, a second test attribute, an
/// unknown option.
#[doc(inline)]
pub use corio_macros::test;
pub use corio_runtime::net;
pub use corio_runtime::signal;
pub use corio_runtime::{
    Acquire, Barrier, BarrierWait, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard,
    ConditionWait, Event, EventWait, GetNowaitError, LifoQueue, Lock, LockGuard, PriorityQueue,
    PutNowaitError, Queue, QueueEmpty, QueueFull, QueueShutDown, Semaphore, SemaphoreAcquire,
    SemaphorePermit,
};
pub use corio_runtime::{
    AsCompleted, AsCompletedFixed, AsCompletedTimeout, GatherAll, IntoDelay, Runner, Sleep, Task,
    TaskError, TaskRef, TaskRefWait, TimeoutDelay, TimeoutError, TryGatherAll, WaitFor, all_tasks,
    create_eager_task, create_eager_task_named, create_task, create_task_named, create_task_try,
    current_task, run, sleep, time,
};
pub use corio_runtime::{
    AwaitSite, Coroutine, CoroutineInfo, CoroutineState, NeverAwaited, NeverAwaitedHook,
    capture_never_awaited, set_never_awaited_hook,
};
pub use corio_runtime::{
    CallGraph, FrameEntry, capture_call_graph, format_call_graph, print_call_graph,
};
pub use corio_runtime::{Command, Process, create_subprocess_exec, create_subprocess_shell};
pub use corio_runtime::{
    ConcurrentError, ConcurrentFuture, DoneCallbackId, EventLoop, Executor, FutureError, Handle,
    Job, LoopClosed, SettableFuture, SettableWait, Threadsafe, ThreadsafeHandle, TimerHandle,
    ToThread, get_running_loop, run_coroutine_threadsafe, to_thread,
};
pub use corio_runtime::{ContextSnapshot, ContextVar, Token, copy_context};
pub use corio_runtime::{
    IncompleteReadError, LimitOverrunError, Server, StreamAddr, StreamReader, StreamWriter,
    getaddrinfo, open_connection, open_unix_connection, start_server, start_unix_server,
};
pub use corio_runtime::{NeverRetrieved, NeverRetrievedHook, set_never_retrieved_hook};
pub use corio_runtime::{
    ReturnWhen, Shield, TaskFailure, TaskGroup, TaskGroupError, Timeout, WaitTasks, WithTimeout,
    shield, timeout, timeout_at, wait,
};
pub use corio_runtime::{
    TaskOutcome, Trace, TraceEnd, TraceFrame, TraceInstant, TraceSite, TraceStep, TracedTask,
};

/// Support for the expansions of corio's macros. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use ::core;
    pub use ::std;
    pub use corio_macros::{
        as_completed as as_completed_impl, gather as gather_impl, wait_for as wait_for_impl,
    };
    pub use corio_runtime::__private::*;
}

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
