//! The event loop behind [corio](https://docs.rs/corio): asyncio's single-threaded loop, tasks,
//! cancellation, timers, a loop clock and virtual time.
//!
//! Use it through the `corio` facade, whose crate docs hold the asyncio -> corio map.

#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]

mod coroutine;
mod io;
mod join;
mod rt;
mod sync;
mod task;
mod time;
mod trace;
mod util;

pub use coroutine::{
    AwaitSite, Coroutine, CoroutineInfo, CoroutineState, NeverAwaited, NeverAwaitedHook,
    capture_never_awaited, set_never_awaited_hook,
};
pub use join::as_completed::{AsCompleted, AsCompletedFixed, AsCompletedTimeout};
pub use join::gather::{GatherAll, TryGatherAll};
pub use rt::bridge::{LoopClosed, Threadsafe};
pub use rt::callbacks::{Handle, TimerHandle};
pub use rt::concurrent::{ConcurrentError, ConcurrentFuture, run_coroutine_threadsafe};
pub use rt::context_vars::{ContextSnapshot, ContextVar, Token, copy_context};
pub use rt::executor::{Executor, Job};
pub use rt::loop_handle::{EventLoop, get_running_loop, time};
pub use rt::runner::{Runner, run};
pub use rt::settable::{DoneCallbackId, FutureError, SettableFuture, SettableWait};
pub use rt::task_output::{NeverRetrieved, NeverRetrievedHook, set_never_retrieved_hook};
pub use rt::threads::{ThreadsafeHandle, ToThread, to_thread};
pub use sync::barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use sync::condition::{Condition, ConditionGuard, ConditionWait};
pub use sync::event::{Event, EventWait};
pub use sync::locks::{Acquire, Lock, LockGuard};
pub use sync::queue_errors::{
    GetNowaitError, PutNowaitError, QueueEmpty, QueueFull, QueueShutDown,
};
pub use sync::queues::{LifoQueue, PriorityQueue, Queue};
pub use sync::semaphore::{BoundedSemaphore, Semaphore, SemaphoreAcquire, SemaphorePermit};
pub use task::call_graph::{
    CallGraph, FrameEntry, capture_call_graph, format_call_graph, print_call_graph,
};
pub use task::error::TaskError;
pub use task::group::TaskGroup;
pub use task::group_error::{TaskFailure, TaskGroupError};
pub use task::handle::{
    Task, TaskRef, TaskRefWait, all_tasks, create_eager_task, create_eager_task_named, create_task,
    create_task_named, create_task_try, current_task,
};
pub use task::shield::{Shield, shield};
pub use task::wait::{ReturnWhen, WaitTasks, wait};
pub use time::delay::{IntoDelay, TimeoutDelay};
pub use time::sleep::{Sleep, sleep};
pub use time::timeout_error::TimeoutError;
pub use time::timeouts::{Timeout, WithTimeout, timeout, timeout_at};
pub use time::wait_for::WaitFor;
pub use trace::{
    TaskOutcome, Trace, TraceEnd, TraceFrame, TraceInstant, TraceSite, TraceStep, TracedTask,
};

/// Sockets on the loop, as asyncio's low-level socket API: TCP, UDP and Unix-domain sockets
/// with futures-io's traits. Most programs want the streams at the crate root
/// ([`open_connection`], [`start_server`]) instead.
pub mod net {
    pub use crate::io::net::resolve::ToSocketAddrs;
    pub use crate::io::net::tcp::{TcpListener, TcpStream};
    pub use crate::io::net::udp::UdpSocket;
    pub use crate::io::net::unix::{UnixListener, UnixStream};
}

/// Signal numbers for [`EventLoop::add_signal_handler`], as Python's `signal` module names
/// them. They are this OS's numbers (`libc`'s); any other catchable signal number works too.
pub mod signal {
    /// Interrupt from the keyboard (Ctrl-C). [`run`](crate::run) handles it on the main
    /// thread (see [`Runner::run`](crate::Runner::run)).
    pub const SIGINT: i32 = libc::SIGINT;
    /// Termination request (`kill`'s default, a service manager's stop).
    pub const SIGTERM: i32 = libc::SIGTERM;
    /// Hangup: the controlling terminal closed; daemons take it as "reload".
    pub const SIGHUP: i32 = libc::SIGHUP;
    /// User-defined signal 1.
    pub const SIGUSR1: i32 = libc::SIGUSR1;
    /// User-defined signal 2.
    pub const SIGUSR2: i32 = libc::SIGUSR2;
}

pub use io::net::resolve::getaddrinfo;
pub use io::process::{Command, Process, create_subprocess_exec, create_subprocess_shell};
pub use io::streams::{
    IncompleteReadError, LimitOverrunError, Server, StreamAddr, StreamReader, StreamWriter,
    open_connection, open_unix_connection, start_server, start_unix_server,
};

/// Support for the expansions of corio's macros. Not public API: names and signatures change
/// without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::Runner;
    pub use crate::coroutine::site::{At, AwaitArg};
    pub use crate::coroutine::{AwaitSite, Coroutine, CoroutineInfo};
    pub use crate::io::process::exit::force_waiter_thread as subprocess_force_waiter_thread;
    pub use crate::join::as_completed::{
        as_completed_all, as_completed_fixed, as_completed_timeout,
    };
    pub use crate::join::future_arg::{
        ArgFuture, AsCompletedArg, GatherArg, Is, SameOutput, SpreadArg, WaitForArg,
    };
    pub use crate::join::gather::{gather_all, try_gather_all};
    pub use crate::join::maybe_done::{MaybeDone, TryOutput};
    pub use crate::time::delay::{IntoDelay, IntoTimeout};
    pub use crate::time::wait_for::wait_for;
    pub use futures_core::Stream;
    pub use pin_project_lite::pin_project;
}
