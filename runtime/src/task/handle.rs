//! Task handles: [`create_task`] and the [`Task`] it returns, [`TaskRef`] for any task of the
//! loop, [`current_task`] and [`all_tasks`], as asyncio's `Task` and its module functions.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::rt::context;
use crate::rt::spawn::{self, RawTask};
use crate::rt::task_state::{CANCELLED, DONE, PANICKED, TaskEntry, TaskMeta};
use crate::task::error::TaskError;

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
    Task::new(spawn::spawn(None, future))
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
    Task::new(spawn::spawn(Some(name.into()), future))
}

/// A handle to a task spawned by [`create_task`]: await it for the task's result, or
/// inspect and cancel the task.
///
/// `Task` is `Unpin`, so `(&mut task).await` keeps the handle for [`done`](Task::done) and
/// [`cancelled`](Task::cancelled) afterwards. Awaiting it again after it returned its result
/// panics.
pub struct Task<T> {
    /// Taken only in `drop`.
    inner: ManuallyDrop<RawTask<T>>,
    /// Whether an `.await` has started (decides between detaching and cancelling on drop).
    awaited: bool,
    /// Whether the result has been returned (a second await is a bug, reported clearly).
    returned: bool,
}

impl<T> Task<T> {
    fn new(inner: RawTask<T>) -> Self {
        Task {
            inner: ManuallyDrop::new(inner),
            awaited: false,
            returned: false,
        }
    }

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
        let on_own_loop = context::try_with_current(|core| core.owns(self.meta().shared()));
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
        context::try_with_current(|core| core.task_entry(meta).map(TaskRef::from_entry)).flatten()
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
    fn from_entry(entry: TaskEntry) -> Self {
        let (keepalive, meta) = entry.into_parts();
        TaskRef {
            _keepalive: keepalive,
            meta,
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
    context::with_current("corio::current_task()", |core| {
        let meta = core.current_task()?;
        // SAFETY: `current_task` points at the metadata of the task whose step is running; the
        // runnable being run keeps its allocation alive.
        let meta = unsafe { meta.as_ref() };
        core.task_entry(meta).map(TaskRef::from_entry)
    })
}

/// The running loop's unfinished tasks, in creation order, as `asyncio.all_tasks()`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub fn all_tasks() -> Vec<TaskRef> {
    context::with_current("corio::all_tasks()", |core| {
        let mut tasks: Vec<TaskRef> = core
            .task_entries()
            .into_iter()
            .map(TaskRef::from_entry)
            .collect();
        tasks.sort_by_key(|task| task.meta().id());
        tasks
    })
}
