//! Tasks: futures the loop owns and steps, as asyncio's `Task`.
//!
//! Each task is one allocation (async-task's), holding its [`TaskMeta`], its future and, once
//! finished, its output. The loop keeps a registry entry per unfinished task (a waker and a
//! pointer to its metadata) so it can list, cancel and, at the end of `run`, drop them.
//!
//! Cancellation follows corio's model (see the crate docs): `cancel()` marks the task and
//! schedules it; at its next step the task's body drops the future instead of polling it, so
//! each destructor runs exactly once, and the awaiter gets [`TaskError::Cancelled`].

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Waker};

use async_task::{Builder, Runnable};

use crate::rt::event_loop::{self, Core, Remote, Shared};

/// The task was asked to cancel (by `cancel()`, the loop's end, or a dropped awaiter).
const CANCEL_REQUESTED: u8 = 1 << 0;
/// The task has finished: returned, panicked or been cancelled. Its future is gone.
const DONE: u8 = 1 << 1;
/// It finished by cancellation.
const CANCELLED: u8 = 1 << 2;
/// It finished by panicking.
const PANICKED: u8 = 1 << 3;

/// What the loop and the handles know of a task; lives in the task's allocation, so it is
/// kept to 32 bytes (a name is a thin pointer; most tasks have none).
pub(crate) struct TaskMeta {
    /// Per-loop counter, from 1 (the main future); names tasks `Task-<id>`.
    id: u64,
    name: Option<Box<TaskName>>,
    /// The task's slot in its loop's registry while it is unfinished.
    key: u32,
    /// `CANCEL_REQUESTED | DONE | CANCELLED | PANICKED` bits.
    state: AtomicU8,
    /// The loop that runs the task: wakes from other threads go to its remote queue.
    shared: Arc<Shared>,
}

/// A task's given name, boxed once more so that `TaskMeta` holds a thin pointer.
struct TaskName(String);

impl TaskMeta {
    pub(crate) fn request_cancel(&self) {
        self.state.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel);
    }

    fn has(&self, bit: u8) -> bool {
        self.state.load(Ordering::Acquire) & bit != 0
    }

    fn name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name.0.as_str()),
            None => Cow::Owned(format!("Task-{}", self.id)),
        }
    }

    /// asyncio's task repr: `<Task pending name='Task-2'>`, `<Task cancelled ...>`, ...
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.has(CANCELLED) {
            "cancelled"
        } else if self.has(PANICKED) {
            "finished exception=panic"
        } else if self.has(DONE) {
            "finished"
        } else if self.has(CANCEL_REQUESTED) {
            "cancelling"
        } else {
            "pending"
        };
        write!(f, "<Task {state} name='{}'>", self.name())
    }

    /// Cancels: marks the task, then schedules it so its next step drops the future. Returns
    /// `false` when the task has already finished.
    fn cancel(&self) -> bool {
        if self.has(DONE) {
            return false;
        }
        self.request_cancel();
        let on_own_loop = event_loop::try_with_current(|core| {
            if core.owns(&self.shared) {
                cancel_registered(core, self.key, self.id);
                true
            } else {
                false
            }
        });
        if on_own_loop != Some(true) {
            self.shared.push_remote(Remote::Cancel {
                key: self.key,
                id: self.id,
            });
        }
        true
    }
}

/// A registry entry: how the loop reaches an unfinished task.
pub(crate) struct TaskEntry {
    /// Wakes the task (to cancel it); also keeps its allocation, hence `meta`, alive.
    pub(crate) waker: Waker,
    meta: NonNull<TaskMeta>,
}

impl TaskEntry {
    pub(crate) fn meta(&self) -> &TaskMeta {
        // SAFETY: `meta` points into the task's allocation, which `waker` keeps alive (async-task
        // frees it only when no waker, runnable or handle is left).
        unsafe { self.meta.as_ref() }
    }
}

/// Schedules the task registered under `key` if it is still the task numbered `id` (the slot
/// may have been reused by the time a cancel from another thread arrives).
pub(crate) fn cancel_registered(core: &Core, key: u32, id: u64) {
    let waker = core
        .tasks
        .borrow()
        .get(key as usize)
        .filter(|entry| entry.meta().id == id)
        .map(|entry| entry.waker.clone());
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The schedule function of every task: a woken task's step joins the back of its loop's
/// ready queue; from another thread, it goes through the loop's remote queue.
fn schedule(runnable: Runnable<TaskMeta>) {
    let mut runnable = Some(runnable);
    event_loop::try_with_current(|core| {
        if let Some(local) = runnable.take_if(|r| core.owns(&r.metadata().shared)) {
            core.ready.borrow_mut().push_back(local);
        }
    });
    if let Some(runnable) = runnable {
        let shared = runnable.metadata().shared.clone();
        shared.push_remote(Remote::Step(runnable));
    }
}

pin_project_lite::pin_project! {
    /// The future a task's allocation holds: the user's future plus corio's task semantics
    /// (cancellation at the next step, panic containment, the registry entry).
    struct TaskBody<'m, F> {
        meta: &'m TaskMeta,
        #[pin]
        future: Option<F>,
    }

    impl<'m, F> PinnedDrop for TaskBody<'m, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Dropped unfinished: async-task closed the task (its handle was dropped while
                // awaited, or the loop is ending).
                this.meta.state.fetch_or(DONE | CANCELLED, Ordering::AcqRel);
            }
            this.future.set(None);
            unregister(this.meta);
        }
    }
}

impl<F: Future> Future for TaskBody<'_, F> {
    type Output = Result<F::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.meta.has(CANCEL_REQUESTED) {
            // Mark first: a destructor that asks `done()` of this task sees it finished.
            this.meta.state.fetch_or(DONE | CANCELLED, Ordering::AcqRel);
            drop_contained(this.future);
            return Poll::Ready(Err(TaskError::Cancelled));
        }
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("async-task never polls a finished task");
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        let output = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => {
                this.meta.state.fetch_or(DONE, Ordering::AcqRel);
                Ok(value)
            }
            Err(payload) => {
                this.meta.state.fetch_or(DONE | PANICKED, Ordering::AcqRel);
                Err(TaskError::Panicked(payload))
            }
        };
        drop_contained(this.future);
        Poll::Ready(output)
    }
}

/// Drops a task's future in place. A panic in its destructor is contained like one in
/// `poll` (the loop must survive it); its payload is discarded and what the destructor left is
/// leaked rather than dropped twice.
fn drop_contained<F>(mut future: Pin<&mut Option<F>>) {
    let _ = catch_unwind(AssertUnwindSafe(|| future.set(None)));
}

/// Removes a finished task from its loop's registry.
fn unregister(meta: &TaskMeta) {
    let entry = event_loop::try_with_current(|core| {
        if !core.owns(&meta.shared) {
            return None;
        }
        let mut tasks = core.tasks.borrow_mut();
        let key = meta.key as usize;
        let ours = tasks
            .get(key)
            .is_some_and(|entry| ptr::eq(entry.meta.as_ptr(), meta));
        ours.then(|| tasks.remove(key))
    })
    .flatten();
    // The entry's waker is dropped outside the registry borrow.
    drop(entry);
}

/// Allocates a task on `core` and queues its first step at the back of the ready queue.
///
/// # Safety
///
/// If `F` is not `'static`, everything it borrows must outlive the loop `core` belongs to
/// (the loop drops every task's future before `run` returns).
unsafe fn spawn_on<F: Future>(
    core: &Core,
    name: Option<Box<TaskName>>,
    future: F,
) -> async_task::Task<Result<F::Output, TaskError>, TaskMeta> {
    let id = core.next_task_id.get();
    core.next_task_id.set(id + 1);
    let key = core.tasks.borrow().vacant_key();
    let key = u32::try_from(key).expect("corio: more than 2^32 tasks alive on one loop");
    let meta = TaskMeta {
        id,
        name,
        key,
        state: AtomicU8::new(0),
        shared: core.shared.clone(),
    };
    let body = body_in(future);
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
    let entry = TaskEntry {
        waker: runnable.waker(),
        meta: NonNull::from(runnable.metadata()),
    };
    let inserted = core.tasks.borrow_mut().insert(entry);
    debug_assert_eq!(inserted, key as usize);
    runnable.schedule();
    handle
}

/// The closure async-task calls to build a task's future around its pinned metadata.
fn body_in<'m, F>(future: F) -> impl FnOnce(&'m TaskMeta) -> TaskBody<'m, F> {
    move |meta| TaskBody {
        meta,
        future: Some(future),
    }
}

/// Spawns `run`'s main future as the loop's first task.
pub(crate) fn spawn_main<F: Future>(
    core: &Core,
    future: F,
) -> async_task::FallibleTask<Result<F::Output, TaskError>, TaskMeta> {
    // SAFETY: `Runner::run` keeps `future`'s borrows alive for the whole loop: the loop drops
    // every task's future (this one included) before `run` returns.
    unsafe { spawn_on(core, None, future) }.fallible()
}

/// Schedules `future` to run concurrently as a new task on the running loop, as asyncio's
/// `create_task`.
///
/// The task's first step runs on a later loop pass, after everything already ready; never
/// inline. The future need not be `Send`. The task is named `Task-<n>`; see
/// [`create_task_named`].
///
/// The returned [`Task`] is a future of `Result<T, TaskError>`. Dropping a `Task` that was never
/// polled detaches it (the loop still runs it to the end); dropping one while an `.await` on it
/// is pending cancels the task.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_task(None, future)
}

/// [`create_task`] with a name, as `create_task(coro, name=...)`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub fn create_task_named<F>(name: impl Into<String>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_task(Some(Box::new(TaskName(name.into()))), future)
}

fn spawn_task<F>(name: Option<Box<TaskName>>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    event_loop::with_current("corio::create_task()", |core| {
        // SAFETY: the future is `'static`: it borrows nothing.
        let inner = unsafe { spawn_on(core, name, future) };
        Task {
            inner: ManuallyDrop::new(inner),
            awaited: false,
            returned: false,
        }
    })
}

/// How a task ended without producing its value.
pub enum TaskError {
    /// The task was cancelled: its future was dropped before it finished.
    Cancelled,
    /// The task's future panicked; the payload is what `panic!` was given (see
    /// [`std::panic::resume_unwind`] to re-raise it).
    Panicked(Box<dyn Any + Send + 'static>),
}

impl TaskError {
    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// The panic's message, when it was a string (as `panic!("...")` makes).
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            TaskError::Panicked(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            TaskError::Cancelled => None,
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("Cancelled"),
            TaskError::Panicked(_) => match self.panic_message() {
                Some(message) => f.debug_tuple("Panicked").field(&message).finish(),
                None => f.write_str("Panicked(..)"),
            },
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task was cancelled"),
            TaskError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl std::error::Error for TaskError {}

/// A handle to a task spawned by [`create_task`]: await it for the task's result, or
/// inspect and cancel the task.
///
/// `Task` is `Unpin`, so `(&mut task).await` keeps the handle for [`done`](Task::done) and
/// [`cancelled`](Task::cancelled) afterwards. Awaiting it again after it returned its result
/// panics.
pub struct Task<T> {
    /// Taken only in `drop`.
    inner: ManuallyDrop<async_task::Task<Result<T, TaskError>, TaskMeta>>,
    /// Whether an `.await` has started (decides between detaching and cancelling on drop).
    awaited: bool,
    /// Whether the result has been returned (a second await is a bug, reported clearly).
    returned: bool,
}

impl<T> Task<T> {
    fn meta(&self) -> &TaskMeta {
        self.inner.metadata()
    }

    /// Requests cancellation, as asyncio's `Task.cancel()`: the task's future is dropped at its
    /// next step and awaiting the task gives [`TaskError::Cancelled`]. Returns `false` if the
    /// task has already finished. Works from any thread.
    pub fn cancel(&self) -> bool {
        self.meta().cancel()
    }

    /// Whether the task has finished (returned, panicked or was cancelled).
    pub fn done(&self) -> bool {
        self.meta().has(DONE)
    }

    /// Whether the task finished by cancellation.
    pub fn cancelled(&self) -> bool {
        self.meta().has(CANCELLED)
    }

    /// The task's name: the one given to [`create_task_named`], or `Task-<n>`.
    pub fn name(&self) -> Cow<'_, str> {
        self.meta().name()
    }

    /// Lets the task run on unobserved, as a background task: the loop owns it, runs it to the
    /// end (or cancels it when `run` ends) and drops its result. The same as dropping a `Task`
    /// that was never awaited, said out loud.
    pub fn detach(self) {
        debug_assert!(!self.awaited || self.returned, "detaching a task mid-await");
        drop(self);
    }

    /// `Ready` once the task has finished, without taking its result (for `wait` and `shield`);
    /// otherwise registers `cx`'s waker to be woken when it finishes. It does not count as an
    /// await: dropping the handle afterwards detaches the task, it does not cancel it.
    ///
    /// # Panics
    ///
    /// With a message naming `what` when polled off the task's own loop (there the task could
    /// finish between the check and the registration, and its result would be lost).
    pub(crate) fn poll_finished(&mut self, what: &str, cx: &mut Context<'_>) -> Poll<()> {
        if self.inner.is_finished() {
            return Poll::Ready(());
        }
        let on_own_loop = event_loop::try_with_current(|core| core.owns(&self.meta().shared));
        assert!(
            on_own_loop == Some(true),
            "{what} must run on the event loop that runs its tasks"
        );
        // On the task's loop, and outside its step, an unfinished task cannot finish during
        // this poll: it only registers the waker.
        match Pin::new(&mut *self.inner).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => unreachable!("an unfinished task finished while it was polled"),
        }
    }

    /// Whether the task finished by panicking.
    pub(crate) fn panicked(&self) -> bool {
        self.meta().has(PANICKED)
    }

    /// A [`TaskRef`] to this task while it is unfinished (`None` once it has finished).
    pub(crate) fn task_ref(&self) -> Option<TaskRef> {
        let meta = self.meta();
        event_loop::try_with_current(|core| {
            core.tasks
                .borrow()
                .get(meta.key as usize)
                .filter(|entry| ptr::eq(entry.meta.as_ptr(), meta))
                .map(TaskRef::from_entry)
        })
        .flatten()
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.returned {
            panic!(
                "corio: {:?} was awaited again after it returned its result; keep the result of \
                 the first await",
                this
            );
        }
        this.awaited = true;
        // The inner task is never closed while this handle lives (only dropping the handle
        // closes it, and the loop finishes every task through its body), so it always has an
        // output to give.
        let output = std::task::ready!(Pin::new(&mut *this.inner).poll(cx));
        this.returned = true;
        Poll::Ready(output)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if self.awaited && !self.returned {
            // An await on the task was abandoned: cancel the task, as asyncio cancels the task
            // a cancelled awaiter was waiting on. Its next step drops the future.
            self.meta().cancel();
        }
        // SAFETY: `inner` is taken once, here, and `self` is not used afterwards.
        let inner = unsafe { ManuallyDrop::take(&mut self.inner) };
        // Detached, the task runs on (or is dropped at its next step if cancelled above); its
        // result, if any, is dropped with the allocation.
        inner.detach();
    }
}
impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.meta().describe(f)
    }
}

/// A handle to any task of a loop, whatever its output type: what [`current_task`] and
/// [`all_tasks`] return. It can name, inspect and cancel the task, from any thread, but not
/// await it.
#[derive(Clone)]
pub struct TaskRef {
    /// Keeps the task's allocation (hence `meta`) alive.
    _keepalive: Waker,
    meta: NonNull<TaskMeta>,
}

// SAFETY: `TaskMeta` is `Send + Sync` (atomics and immutable fields); the pointer stays valid
// while `_keepalive` holds the allocation, and wakers are `Send + Sync`.
unsafe impl Send for TaskRef {}
// SAFETY: as above; every method takes `&self` and touches only atomics or immutable data.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    fn from_entry(entry: &TaskEntry) -> Self {
        TaskRef {
            _keepalive: entry.waker.clone(),
            meta: entry.meta,
        }
    }

    fn meta(&self) -> &TaskMeta {
        // SAFETY: see the `Send` impl: `_keepalive` keeps the allocation alive.
        unsafe { self.meta.as_ref() }
    }

    /// Requests cancellation, as [`Task::cancel`]; returns `false` if the task has finished.
    pub fn cancel(&self) -> bool {
        self.meta().cancel()
    }

    /// Whether the task has finished.
    pub fn done(&self) -> bool {
        self.meta().has(DONE)
    }

    /// Whether the task finished by cancellation.
    pub fn cancelled(&self) -> bool {
        self.meta().has(CANCELLED)
    }

    /// The task's name.
    pub fn name(&self) -> Cow<'_, str> {
        self.meta().name()
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &Self) -> bool {
        self.meta == other.meta
    }
}

impl Eq for TaskRef {}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.meta().describe(f)
    }
}

/// The task whose step is running, as `asyncio.current_task()`; `None` when code runs outside
/// any task's step (in a destructor run by the loop's clean-up, for example). The main future
/// of [`run`](crate::run) is a task too: `Task-1`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub fn current_task() -> Option<TaskRef> {
    event_loop::with_current("corio::current_task()", |core| {
        let meta = core.current_task.get();
        if meta.is_null() {
            return None;
        }
        // SAFETY: `current_task` points at the metadata of the task whose step is running; the
        // runnable being run keeps its allocation alive.
        let meta = unsafe { &*meta };
        core.tasks
            .borrow()
            .get(meta.key as usize)
            .map(TaskRef::from_entry)
    })
}

/// The running loop's unfinished tasks, in creation order, as `asyncio.all_tasks()`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub fn all_tasks() -> Vec<TaskRef> {
    event_loop::with_current("corio::all_tasks()", |core| {
        let mut tasks: Vec<TaskRef> = core
            .tasks
            .borrow()
            .iter()
            .map(|(_, entry)| TaskRef::from_entry(entry))
            .collect();
        tasks.sort_by_key(|task| task.meta().id);
        tasks
    })
}
