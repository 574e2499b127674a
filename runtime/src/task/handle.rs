//! Task handles: [`create_task`] and the [`Task`] it returns, [`TaskRef`] for any task of the
//! loop, [`current_task`] and [`all_tasks`], as asyncio's `Task` and its module functions.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::task::{Context, Poll, Waker};

use crate::rt::context;
use crate::rt::spawn::{self, RawTask, Start};
use crate::rt::task_body::{Fallible, Plain, Shape};
use crate::rt::task_state::{CANCELLED, DONE, FAILED, PANICKED, TaskEntry, TaskMeta};
use crate::task::error::TaskError;
use crate::task::shared::SharedTask;

/// Schedules `future` to run concurrently as a new task on the running loop, as asyncio's
/// `create_task`.
///
/// The task's first step runs on a later loop pass, after everything already ready; never
/// inline (unless the loop runs eager tasks: [`Runner::eager_tasks`](crate::Runner::eager_tasks);
/// [`create_eager_task`] starts one task eagerly). The future need not be `Send`. The task is
/// named `Task-<n>`; see [`create_task_named`].
///
/// The returned [`Task`] is a future of `Result<T, TaskError>`. Dropping a `Task` that was never
/// polled detaches it (the loop still runs it to the end); dropping one while an `.await` on it
/// is pending cancels the task.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Task::new(spawn::spawn::<F, Plain>(None, Start::Loop, future))
}

/// [`create_task`] for a future of `Result<T, E>` whose `Err` is a failure, as an exception
/// is in asyncio: [`wait`](crate::wait)`(.., ReturnWhen::FirstException)` ends on it, and an
/// `Err` that nobody retrieves is reported (by its `Debug`) when the task's result is dropped
/// (see [`NeverRetrieved`](crate::NeverRetrieved)).
///
/// The handle gives the `Result` as it is (`Ok(Err(e))` for the task's own `Err`; the outer
/// `Result` says whether it was cancelled or panicked). A plain [`create_task`] cannot tell
/// that its output is a `Result` on stable Rust, so a task is made fallible here, where it is
/// created; such a task from `create_task` fails only by panicking.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub fn create_task_try<F, T, E>(future: F) -> Task<Result<T, E>>
where
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: fmt::Debug + 'static,
{
    Task::new(spawn::spawn::<F, Fallible>(None, Start::Loop, future))
}

/// Spawns a task whose output `S` shapes (group members), starting as `start` says.
#[track_caller]
pub(crate) fn create_task_shaped<F, S>(
    name: Option<String>,
    start: Start,
    future: F,
) -> Task<S::Value>
where
    F: Future + 'static,
    S: Shape<F::Output>,
    S::Value: 'static,
{
    Task::new(spawn::spawn::<F, S>(name, start, future))
}

/// [`create_task`] with a name, as `create_task(coro, name=...)`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub fn create_task_named<F>(name: impl Into<String>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Task::new(spawn::spawn::<F, Plain>(
        Some(name.into()),
        Start::Loop,
        future,
    ))
}

/// Creates a task whose first step runs at once, inside this call, as asyncio 3.12's eager
/// tasks (`Task(coro, eager_start=True)`, what `loop.set_task_factory(asyncio.eager_task_factory)`
/// makes of every `create_task`).
///
/// The new task is the [`current_task`] during that step, and the caller's task is current
/// again when it returns. A task that finishes without suspending is done when this returns
/// ([`Task::done`] is `true`, its result is waiting, it is not in [`all_tasks`]) and never goes
/// through the loop's ready queue: no loop pass, no scheduling, which is the point (a cache
/// hit, a function that only sometimes awaits). A task that suspends is then an ordinary task:
/// it is woken and stepped as one whose first step ran in a loop pass. So, unlike
/// [`create_task`], the caller's code after this call runs *after* the task's first step, and
/// a task that suspends at once runs its later steps no earlier than a regular one would.
/// With no current task (in a [`call_soon`](crate::EventLoop::call_soon) callback, say), the
/// step runs with the new task current and none afterwards, as asyncio does.
///
/// A panic in the first step is contained in the task, as in any step: the caller gets the
/// task back (done) and finds the panic in its [`TaskError`] when it awaits it.
///
/// [`Runner::eager_tasks`](crate::Runner::eager_tasks) makes every `create_task` of a run
/// eager, as setting asyncio's factory on the loop does.
///
/// ```
/// use corio_runtime::{Runner, create_eager_task, sleep};
///
/// Runner::new().virtual_time().run(async {
///     let cached = create_eager_task(async { 42 });
///     assert!(cached.done()); // finished inside create_eager_task
///     let slow = create_eager_task(async { sleep(1).await; 7 });
///     assert!(!slow.done()); // suspended in `sleep`: a task as any other from here
///     assert_eq!(cached.await.unwrap() + slow.await.unwrap(), 49);
/// });
/// ```
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub fn create_eager_task<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Task::new(spawn::spawn::<F, Plain>(None, Start::Eager, future))
}

/// [`create_eager_task`] with a name, as `eager_task_factory(loop, coro, name=...)`: the task
/// has its name during its eager step already.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
#[track_caller]
pub fn create_eager_task_named<F>(name: impl Into<String>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Task::new(spawn::spawn::<F, Plain>(
        Some(name.into()),
        Start::Eager,
        future,
    ))
}

/// A handle to a task spawned by [`create_task`]: await it for the task's result, or
/// inspect and cancel the task.
///
/// `Task` is `Unpin`, so `(&mut task).await` keeps the handle for [`done`](Task::done) and
/// [`cancelled`](Task::cancelled) afterwards. Awaiting one handle again after it returned its
/// result panics.
///
/// # Sharing
///
/// When `T: Clone`, `Task<T>` is `Clone`, as an asyncio task can be awaited from several
/// places: every clone refers to the same task, and each clone's await gives its own copy of
/// the result (`Ok(value.clone())`, or the same [`TaskError`]; a panic's payload is shared
/// among the clones, see [`TaskError::into_panic`]). So `shield(t.clone())` and a later
/// `t.await` both work. Each handle keeps its own await state: dropping a handle while its
/// `.await` is pending cancels the task, as asyncio cancels a task whose awaiter was
/// cancelled; the loop detaches the task once the last handle is dropped. The first clone of a
/// task costs one allocation (the shared result); a task never cloned costs nothing more.
///
/// ```
/// use corio_runtime::{Runner, Shield, create_task, sleep};
///
/// Runner::new().virtual_time().run(async {
///     let t = create_task(async { sleep(1).await; String::from("done") });
///     // asyncio: `await asyncio.shield(t)`, then `await t`.
///     assert_eq!(Shield::from_task(t.clone()).await.unwrap(), "done");
///     assert_eq!(t.await.unwrap(), "done");
/// });
/// ```
pub struct Task<T> {
    /// The raw task. Owned by this handle while `shared` is null; once the task is shared, a
    /// bitwise copy that is only read for the task's metadata (the [`SharedTask`] owns the
    /// raw task and keeps its allocation alive). Taken only in `drop`.
    inner: ManuallyDrop<RawTask<T>>,
    /// Null, or (once a clone was made) an `Arc<SharedTask<T>>` from `Arc::into_raw`, set
    /// once, owned by this handle.
    shared: AtomicPtr<SharedTask<T>>,
    /// Whether an `.await` has started (decides between detaching and cancelling on drop).
    awaited: bool,
    /// Whether the result has been returned (a second await is a bug, reported clearly).
    returned: bool,
    _owns: PhantomData<Arc<SharedTask<T>>>,
}

impl<T> Task<T> {
    fn new(inner: RawTask<T>) -> Self {
        Task {
            inner: ManuallyDrop::new(inner),
            shared: AtomicPtr::new(ptr::null_mut()),
            awaited: false,
            returned: false,
            _owns: PhantomData,
        }
    }

    pub(super) fn meta(&self) -> &TaskMeta {
        self.inner.metadata()
    }

    /// The shared state, if the task has been cloned.
    fn shared(&self) -> Option<&SharedTask<T>> {
        let shared = self.shared.load(Ordering::Acquire);
        // SAFETY: a non-null `shared` is an `Arc::into_raw` this handle owns a count of; it is
        // released only in `drop`, which `&self` rules out.
        (!shared.is_null()).then(|| unsafe { &*shared })
    }

    /// Requests cancellation, as asyncio's `Task.cancel()`: the task's future is dropped at its
    /// next step and awaiting the task gives a cancelled [`TaskError`]. Returns `false` if the
    /// task has already finished. Works from any thread.
    pub fn cancel(&self) -> bool {
        self.meta().cancel(None)
    }

    /// [`cancel`](Task::cancel) with a message, as asyncio's `Task.cancel(msg)`: the
    /// [`TaskError`] of the cancelled task shows it (`task was cancelled: <msg>`, and
    /// [`TaskError::cancel_message`]). A later message replaces an earlier one while the task
    /// has not finished.
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.meta().cancel(Some(message.into()))
    }

    /// The result, without waiting, as asyncio's `Task.result()` and `exception()` without
    /// the raising: `None` while the task runs; once it has finished, `Some` of what `.await`
    /// gives (`Ok(value)`, or the [`TaskError`] of its panic, cancellation or group failure).
    ///
    /// `Some` takes the result from this handle, as an `.await` does: asking again (or
    /// awaiting the handle afterwards) panics, as a second await does. Clone the task first
    /// (`T: Clone`) to read it from several places.
    pub fn result(&mut self) -> Option<Result<T, TaskError>> {
        if !self.done() {
            return None;
        }
        match Pin::new(self).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => Some(output),
            // Finished on another thread's loop a moment ago: its output is on the way.
            Poll::Pending => None,
        }
    }

    /// Whether the task has finished (returned, panicked or was cancelled).
    pub fn done(&self) -> bool {
        self.meta().has(DONE)
    }

    /// Whether the task finished by cancellation.
    pub fn cancelled(&self) -> bool {
        self.meta().has(CANCELLED)
    }

    /// The task's name: the one given to [`create_task_named`] or [`set_name`](Task::set_name),
    /// or `Task-<n>`.
    pub fn name(&self) -> Cow<'_, str> {
        self.meta().name()
    }

    /// Renames the task, as asyncio's `Task.set_name()`. Works from any thread.
    pub fn set_name(&self, name: impl Into<String>) {
        self.meta().set_name(name.into());
    }

    /// Lets the task run on unobserved, as a background task: the loop owns it, runs it to the
    /// end (or cancels it when `run` ends) and drops its result, with a panicking destructor
    /// contained; a panic (or a `create_task_try` task's `Err`) is reported as never
    /// retrieved ([`NeverRetrieved`](crate::NeverRetrieved)). The same as dropping a `Task`
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
        if let Some(shared) = self.shared() {
            let polled = shared.poll_finished(cx);
            if polled.is_pending() {
                self.meta().also_wake_in_order(cx.waker());
            }
            return polled;
        }
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
            Poll::Pending => {
                self.meta().also_wake_in_order(cx.waker());
                Poll::Pending
            }
            Poll::Ready(_) => unreachable!("an unfinished task finished while it was polled"),
        }
    }

    /// Whether the task failed: it panicked, or (made fallible) it returned an `Err`.
    pub(crate) fn failed(&self) -> bool {
        self.meta().has(PANICKED | FAILED)
    }

    /// A [`TaskRef`] to this task while it is unfinished (`None` once it has finished).
    pub(crate) fn task_ref(&self) -> Option<TaskRef> {
        let meta = self.meta();
        context::try_with_current(|core| core.task_entry(meta).map(TaskRef::from_entry)).flatten()
    }
}

impl<T: Clone> Clone for Task<T> {
    /// Another handle to the same task (see [Sharing](Task#sharing)). Cloning a handle whose
    /// own await already returned the result (before any clone existed) gives a handle whose
    /// await panics, as a second await of that handle would: clone before awaiting.
    fn clone(&self) -> Self {
        let shared = match self.shared() {
            Some(_) => self.shared.load(Ordering::Acquire),
            None => self.share(),
        };
        // SAFETY: `shared` is an `Arc::into_raw` that `self` owns a count of; the new handle
        // takes a count of its own.
        unsafe { Arc::increment_strong_count(shared) };
        Task {
            // SAFETY: a bitwise copy of the raw task, only ever read for its metadata (see the
            // field's docs): the `SharedTask` owns the raw task now.
            inner: unsafe { ptr::read(&self.inner) },
            shared: AtomicPtr::new(shared),
            awaited: false,
            returned: self.returned && self.shared().is_none(),
            _owns: PhantomData,
        }
    }
}

impl<T: Clone> Task<T> {
    /// Moves the raw task into a new [`SharedTask`] and publishes it in `self.shared` (or
    /// takes the one another thread's clone published first); returns it.
    fn share(&self) -> *mut SharedTask<T> {
        // SAFETY: from now on this copy owns the raw task and `self.inner` is only read for
        // metadata (see the field's docs); if another clone wins the race below, this copy is
        // forgotten instead.
        let new = Arc::new(SharedTask::new(unsafe { ptr::read(&*self.inner) }));
        let new = Arc::into_raw(new).cast_mut();
        match self.shared.compare_exchange(
            ptr::null_mut(),
            new,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => new,
            Err(existing) => {
                // SAFETY: `new` lost the race and was never published: this is its only count.
                let lost = unsafe { Arc::from_raw(new) };
                lost.forget_raw();
                existing
            }
        }
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    // Inlined where the handle is awaited; what few awaits take is out of line.
    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.returned {
            this.meta().awaited_again();
        }
        this.awaited = true;
        let polled = match this.shared() {
            Some(shared) => shared.poll_output(cx),
            // The inner task is never closed while this handle lives (only dropping the handle
            // closes it, and the loop finishes every task through its body), so it always has
            // an output to give.
            None => Pin::new(&mut *this.inner)
                .poll(cx)
                .map(|output| output.take()),
        };
        let Poll::Ready(output) = polled else {
            // In its place among the task's done callbacks, if it has any.
            this.meta().also_wake_in_order(cx.waker());
            return Poll::Pending;
        };
        this.returned = true;
        Poll::Ready(output)
    }
}

impl<T> Drop for Task<T> {
    #[inline]
    fn drop(&mut self) {
        if self.awaited && !self.returned {
            // An await on the task was abandoned: cancel the task, as asyncio cancels the task
            // a cancelled awaiter was waiting on. Its next step drops the future.
            self.meta().cancel(None);
        }
        let shared = *self.shared.get_mut();
        if !shared.is_null() {
            // SAFETY: this handle's count of the `Arc` (see the field); `inner` is a copy that
            // the `SharedTask` owns, so it is not dropped here.
            drop(unsafe { Arc::from_raw(shared) });
            return;
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
/// [`all_tasks`] return. It can name, inspect and cancel the task, from any thread, and be
/// awaited for the task's end: `task_ref.await` (or `(&task_ref).await`) gives `()` once the
/// task has finished, whichever way (returned, panicked, cancelled); the result stays with the
/// task's [`Task`] handle. Dropping that await cancels nothing.
///
/// ```
/// use corio_runtime::{Runner, all_tasks, create_task, sleep, time};
///
/// Runner::new().virtual_time().run(async {
///     create_task(async { sleep(2).await }).detach();
///     sleep(0).await;
///     let background = all_tasks().pop().unwrap();
///     (&background).await;
///     assert!(background.done());
///     assert_eq!(time(), 2.0);
/// });
/// ```
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

    pub(super) fn meta(&self) -> &TaskMeta {
        // SAFETY: see the `Send` impl: `_keepalive` keeps the allocation alive.
        unsafe { self.meta.as_ref() }
    }

    /// Requests cancellation, as [`Task::cancel`]; returns `false` if the task has finished.
    pub fn cancel(&self) -> bool {
        self.meta().cancel(None)
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

impl IntoFuture for TaskRef {
    type Output = ();
    type IntoFuture = TaskRefWait;

    fn into_future(self) -> TaskRefWait {
        TaskRefWait { task: self }
    }
}

impl IntoFuture for &TaskRef {
    type Output = ();
    type IntoFuture = TaskRefWait;

    fn into_future(self) -> TaskRefWait {
        TaskRefWait { task: self.clone() }
    }
}

/// The future of `.await` on a [`TaskRef`]: `()` once the task has finished.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct TaskRefWait {
    task: TaskRef,
}

impl Future for TaskRefWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.task.meta().poll_done(cx.waker())
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
