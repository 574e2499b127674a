//! How a future becomes a task on the loop: one allocation (async-task's) holding the task's
//! [`TaskMeta`], its [`TaskBody`] and, once finished, its output; a registry entry; the first
//! step queued at the back of the ready queue, or run at once for an eager task (see
//! [`stepping`](crate::rt::stepping)).

use std::future::Future;

use async_task::{Builder, Runnable};

use std::panic::Location;

use crate::coroutine::live;
use crate::rt::context;
use crate::rt::context_store;
use crate::rt::core::LoopCore;
use crate::rt::remote::Remote;
use crate::rt::task_body::{Plain, Shape, TaskBody};
use crate::rt::task_output::TaskOutput;
use crate::rt::task_state::{TaskEntry, TaskMeta};
use crate::rt::trace_log;

/// The raw task async-task hands back: what [`Task`](crate::Task) wraps.
pub(crate) type RawTask<T> = async_task::Task<TaskOutput<T>, TaskMeta>;

/// The schedule function of every task: a woken task's step joins the back of its loop's
/// ready queue; from another thread, it goes through the loop's remote queue.
fn schedule(runnable: Runnable<TaskMeta>) {
    let mut runnable = Some(runnable);
    context::try_with_current(|core| {
        if let Some(local) = runnable.take_if(|r| core.owns(r.metadata().shared())) {
            core.push_ready(local);
        }
    });
    if let Some(runnable) = runnable {
        let shared = runnable.metadata().shared().clone();
        shared.push_remote(Remote::Step(runnable));
    }
}

/// How a new task takes its first step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// As the loop's task factory says: queued, or eager under `Runner::eager_tasks(true)`.
    Loop,
    /// At once, inside `create_task` (asyncio 3.12's `eager_start=True`).
    Eager,
    /// Queued at the back of the ready queue, whatever the loop's factory.
    Queued,
}

/// Allocates a task on `core` and queues its first step at the back of the ready queue, or
/// runs it at once if `eager`.
///
/// # Safety
///
/// If `F` is not `'static`, everything it borrows must outlive the loop `core` belongs to
/// (the loop drops every task's future before `run` returns).
unsafe fn spawn_on<F: Future, S: Shape<F::Output>>(
    core: &LoopCore,
    name: Option<String>,
    eager: bool,
    future: F,
    created_at: &'static Location<'static>,
) -> RawTask<S::Value> {
    let (id, key) = core.next_task_slot();
    let meta = TaskMeta::new(id, key, name, core.shared().clone());
    let body = body_in::<F, S>(future);
    // SAFETY: async-task's conditions for `spawn_unchecked`: the future need not be `Send`
    // because its `Runnable` only ever runs, and is dropped, on the loop's thread (other
    // threads only move it into the remote queue, which the loop drains); `schedule` is a
    // `Send + Sync` fn; the body borrows only the metadata, which async-task keeps pinned in
    // the same allocation, and what the caller promises outlives the loop.
    let (runnable, handle) = unsafe {
        Builder::new()
            .metadata(meta)
            .spawn_unchecked(body, schedule)
    };
    // A task runs in a copy of its creator's context, as asyncio's (nothing to copy if empty).
    context_store::inherit(runnable.metadata());
    core.register_task(TaskEntry::new(runnable.waker(), runnable.metadata()));
    if live::recording() {
        runnable.metadata().set_created_at(created_at);
        // A traced run records frames: its hook needs no test of its own.
        trace_log::created(runnable.metadata());
    }
    if eager {
        core.stepping().run_eagerly(runnable);
    } else {
        // What `runnable.schedule()` would do (`schedule` finds this loop current), without
        // going through the task's vtable and the thread-local.
        core.push_ready(runnable);
    }
    handle
}

/// The closure async-task calls to build a task's future around its pinned metadata.
fn body_in<'m, F, S>(future: F) -> impl FnOnce(&'m TaskMeta) -> TaskBody<'m, F, S> {
    move |meta| TaskBody::new(meta, future)
}

/// Spawns `run`'s main future as the loop's first task; returns its id and handle.
#[track_caller]
pub(crate) fn spawn_main<F: Future>(
    core: &LoopCore,
    future: F,
) -> (
    u64,
    async_task::FallibleTask<TaskOutput<F::Output>, TaskMeta>,
) {
    // SAFETY: `Runner::run` keeps `future`'s borrows alive for the whole loop: the loop drops
    // every task's future (this one included) before `run` returns. It is queued, as
    // asyncio's main task (the loop is not running yet when `Runner.run` creates it, so even
    // an eager task factory queues it).
    let task = unsafe { spawn_on::<F, Plain>(core, None, false, future, Location::caller()) };
    (task.metadata().id(), task.fallible())
}

/// Spawns a `'static` future as a task on the running loop, its output shaped by `S`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub(crate) fn spawn<F, S>(name: Option<String>, start: Start, future: F) -> RawTask<S::Value>
where
    F: Future + 'static,
    S: Shape<F::Output>,
    S::Value: 'static,
{
    let created_at = Location::caller();
    context::with_current("corio::create_task()", |core| {
        // Decided here, where `start` is a constant once inlined: a regular spawn pays one
        // test of the loop's flag.
        let eager = match start {
            Start::Loop => core.stepping().eager_tasks(),
            Start::Eager => true,
            Start::Queued => false,
        };
        // SAFETY: the future is `'static`: it borrows nothing.
        unsafe { spawn_on::<F, S>(core, name, eager, future, created_at) }
    })
}
