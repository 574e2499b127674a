//! [`TaskGroup`]: structured concurrency as asyncio 3.11's `TaskGroup`: members run
//! concurrently, the group waits for all of them, the first failure cancels the rest, and
//! every failure is reported together.
//!
//! asyncio writes
//!
//! ```python
//! async with asyncio.TaskGroup() as tg:
//!     a = tg.create_task(one())
//!     b = tg.create_task(two())
//! ```
//!
//! corio writes `let group = TaskGroup::new(); let a = group.create_task(one()); ...;
//! group.join().await?`. The `async with` block's exit is [`TaskGroup::join`], which consumes
//! the group, so nothing can be added to a group that has been joined; leaving the block by
//! cancellation is dropping the group (or the `join` future), which cancels the members.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::task::error::{SharedPanic, TaskError};
use crate::task::handle::{Task, TaskRef, create_task, create_task_named};

/// A group of tasks that live and fail together, as `asyncio.TaskGroup` (Python 3.11).
///
/// What it promises:
///
/// * **Members run concurrently** as ordinary tasks ([`create_task`](TaskGroup::create_task)
///   returns their [`Task`] handle, which can be awaited for the member's result, also after
///   the group was joined).
/// * **[`join`](TaskGroup::join) waits for every member**, including ones cancelled on the way
///   (their futures have been dropped, destructors run, when it returns), and returns
///   `Err(TaskGroupError)` listing every failure, in the order they happened, as asyncio's
///   `ExceptionGroup`.
/// * **A failure is a panic.** A member that panics fails the group, and every other
///   unfinished member is cancelled (dropped at its next step, each destructor once). As in
///   asyncio, where a done callback run by `call_soon` does it, the cancelling happens one
///   loop pass after the failure (in a `call_soon` callback): members whose steps were
///   already queued in the failing pass run them, so members that fail in the same pass are
///   all reported.
///   A member that is *cancelled* (by the group, by `Task::cancel`, by an abandoned await on
///   its handle) is not a failure, as in asyncio. To fail the group with an error value,
///   `unwrap`/`expect` it in the member (fallible members are spelled with a panic, so the
///   payload travels in [`TaskGroupError`]). The member's own handle then reports
///   the same panic (one payload, shared: [`TaskError::panic_message`] gives its message).
/// * **Cancelling the owner cancels the members.** Dropping the group, or the `join` future
///   (the owner task was cancelled, a `wait_for!` around the join timed out), cancels every
///   unfinished member: no member outlives the group by more than its last step, which drops
///   its future on the next loop pass.
///
/// Differences from asyncio, forced by corio's cancellation model (a drop, which cannot be
/// thrown into a running body): a failing member does not interrupt the owner's code before
/// `join` (asyncio cancels the parent task in its `async with` body); the owner finds out at
/// `join`, or earlier through [`failed`](TaskGroup::failed). A member created after the group
/// failed is created cancelled (its future never runs; asyncio raises `RuntimeError: TaskGroup
/// is shutting down`), so a loop that keeps spawning reaches `join` and the real failures.
///
/// ```
/// use corio_runtime::{Runner, TaskGroup, sleep, time};
///
/// Runner::new().virtual_time().run(async {
///     let group = TaskGroup::new();
///     let a = group.create_task(async { sleep(1).await; 1 });
///     let b = group.create_task(async { sleep(2).await; 2 });
///     group.join().await.unwrap();
///     assert_eq!(time(), 2.0); // concurrently
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
/// });
/// ```
pub struct TaskGroup {
    state: Rc<GroupState>,
}

/// What the group and its members' wrappers share.
struct GroupState {
    /// Unfinished members (`None` only between a member's spawn and its registration).
    members: RefCell<Slab<Option<TaskRef>>>,
    /// Every member failure so far, in order.
    failures: RefCell<Vec<TaskError>>,
    /// Set by the first failure: the other members were cancelled.
    aborting: Cell<bool>,
    /// The waker of the task awaiting `join`.
    joiner: RefCell<Option<Waker>>,
}

impl GroupState {
    /// Cancels every unfinished member.
    fn cancel_members(&self) {
        let members: Vec<TaskRef> = self
            .members
            .borrow()
            .iter()
            .filter_map(|(_, member)| member.clone())
            .collect();
        // Cancelled outside the borrow: cancelling wakes, and waking may run user code.
        for member in members {
            member.cancel();
        }
    }

    /// Records a member's failure. The first one cancels the other members from a `call_soon`
    /// callback, one loop pass later, as asyncio's done callback does: members whose steps were
    /// already queued in this pass still run them, so members failing in the same pass are
    /// all reported.
    fn fail(self: &Rc<Self>, error: TaskError) {
        self.failures.borrow_mut().push(error);
        if !self.aborting.replace(true) {
            let group = self.clone();
            // The handle is not kept: this callback is never cancelled.
            let _ = crate::get_running_loop().call_soon(move || group.cancel_members());
        }
    }

    /// The member under `key` has finished (its future is being dropped).
    fn finished(&self, key: usize) {
        let (entry, last) = {
            let mut members = self.members.borrow_mut();
            (members.try_remove(key), members.is_empty())
        };
        // Dropped and woken outside the borrows: waking may run user code, which may add a
        // member.
        drop(entry);
        if last {
            let joiner = self.joiner.borrow_mut().take();
            if let Some(joiner) = joiner {
                joiner.wake();
            }
        }
    }
}

impl TaskGroup {
    /// An empty group, as `asyncio.TaskGroup()`. It needs no running loop until a member is
    /// created.
    pub fn new() -> Self {
        TaskGroup {
            state: Rc::new(GroupState {
                members: RefCell::new(Slab::new()),
                failures: RefCell::new(Vec::new()),
                aborting: Cell::new(false),
                joiner: RefCell::new(None),
            }),
        }
    }

    /// Creates a member task running `future`, as `tg.create_task(coro)`: a task like
    /// [`create_task`]'s (first step on a later pass), whose panic fails the group. If the
    /// group has already failed, the task is created cancelled: its future never runs.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn(create_task, future)
    }

    /// [`create_task`](TaskGroup::create_task) with a task name, as
    /// `tg.create_task(coro, name=...)`.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn create_task_named<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let name = name.into();
        self.spawn(|member| create_task_named(name, member), future)
    }

    fn spawn<F>(
        &self,
        spawn: impl FnOnce(Member<F>) -> Task<F::Output>,
        future: F,
    ) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Checked first, so that a panic leaves no member slot behind.
        crate::rt::context::with_current("corio::TaskGroup::create_task()", |_| ());
        let key = self.state.members.borrow_mut().insert(None);
        let member = Member {
            future,
            key,
            group: Some(self.state.clone()),
        };
        let task = spawn(member);
        if let Some(slot) = self.state.members.borrow_mut().get_mut(key) {
            *slot = task.task_ref();
        }
        if self.state.aborting.get() {
            task.cancel();
        }
        task
    }

    /// Whether a member has failed (panicked): the other members have been cancelled, and
    /// [`join`](TaskGroup::join) will return the failures.
    pub fn failed(&self) -> bool {
        self.state.aborting.get()
    }

    /// The number of members that have not finished.
    pub fn len(&self) -> usize {
        self.state.members.borrow().len()
    }

    /// Whether every member has finished (or none was created).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for every member to finish, as leaving `async with TaskGroup()`: `Ok(())` if
    /// none failed, else a [`TaskGroupError`] with every failure in the order they happened.
    /// With no unfinished members it returns at once. Dropping the `join` future before it
    /// returns cancels the unfinished members (the group goes with it).
    pub async fn join(self) -> Result<(), TaskGroupError> {
        std::future::poll_fn(|cx| {
            if self.state.members.borrow().is_empty() {
                return Poll::Ready(());
            }
            let mut joiner = self.state.joiner.borrow_mut();
            match &mut *joiner {
                Some(waker) => waker.clone_from(cx.waker()),
                None => *joiner = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await;
        let failures = self.state.failures.take();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(TaskGroupError { failures })
        }
    }
}

impl Default for TaskGroup {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl Drop for TaskGroup {
    /// Cancels the unfinished members (none are left after a completed `join`).
    fn drop(&mut self) {
        self.state.cancel_members();
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio: `<TaskGroup tasks=2 errors=1 cancelling>`
        write!(f, "<TaskGroup")?;
        let tasks = self.len();
        if tasks > 0 {
            write!(f, " tasks={tasks}")?;
        }
        let errors = self.state.failures.borrow().len();
        if errors > 0 {
            write!(f, " errors={errors}")?;
        }
        if self.failed() {
            write!(f, " cancelling")?;
        }
        write!(f, ">")
    }
}

pin_project_lite::pin_project! {
    /// A member's future inside its task: reports a panic to the group and tells it when the
    /// member has finished (its future is dropped, whether it returned, panicked or was
    /// cancelled).
    struct Member<F> {
        #[pin]
        future: F,
        key: usize,
        group: Option<Rc<GroupState>>,
    }

    impl<F> PinnedDrop for Member<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(group) = this.group.take() {
                group.finished(*this.key);
            }
        }
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        match catch_unwind(AssertUnwindSafe(|| this.future.poll(cx))) {
            Ok(polled) => polled,
            Err(payload) => {
                let error = TaskError::panicked(payload);
                if let Some(group) = this.group.as_ref() {
                    group.fail(error.clone());
                }
                // The task still ends as panicked, with the same (shared) payload.
                resume_unwind(Box::new(SharedPanic(error)))
            }
        }
    }
}

/// The failures of a [`TaskGroup`]'s members, as the `ExceptionGroup` asyncio's `TaskGroup`
/// raises: one panic [`TaskError`] per member that panicked, in the order they panicked.
///
/// Its `Display` is asyncio's message: `unhandled errors in a TaskGroup (1 sub-exception)`.
pub struct TaskGroupError {
    failures: Vec<TaskError>,
}

impl TaskGroupError {
    /// Every failure, in the order the members failed.
    pub fn failures(&self) -> &[TaskError] {
        &self.failures
    }

    /// Takes the failures, to re-raise one with [`std::panic::resume_unwind`].
    pub fn into_failures(self) -> Vec<TaskError> {
        self.failures
    }

    /// The failures' panic messages (for payloads that are strings), in order.
    pub fn panic_messages(&self) -> Vec<&str> {
        self.failures
            .iter()
            .filter_map(TaskError::panic_message)
            .collect()
    }
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(
            f,
            "unhandled errors in a TaskGroup ({n} sub-exception{plural})"
        )
    }
}

impl fmt::Debug for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl std::error::Error for TaskGroupError {}
