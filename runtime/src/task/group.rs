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
//! group.join().await?`. The `async with` block's exit is [`TaskGroup::join`] on the handle
//! `new` made (the owner); leaving the block by cancellation is dropping that handle (or the
//! `join` future), which cancels the members. Clones of the handle are what `tg` is inside
//! the block: members use them to add siblings.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::rt::spawn::Start;
use crate::rt::task_body::{Flat, Plain, Shape};
use crate::task::error::{SharedPanic, TaskError};
use crate::task::group_error::{TaskFailure, TaskGroupError};
use crate::task::handle::{Task, TaskRef, create_task_shaped};

/// A group of tasks that live and fail together, as `asyncio.TaskGroup` (Python 3.11).
///
/// What it promises:
///
/// * **Members run concurrently** as ordinary tasks ([`create_task`](TaskGroup::create_task)
///   returns their [`Task`] handle, which can be awaited for the member's result, also after
///   the group was joined).
/// * **[`join`](TaskGroup::join) waits for every member**, including ones added while it
///   waits and ones cancelled on the way (their futures have been dropped, destructors run,
///   when it returns), and returns `Err(TaskGroupError)` listing every failure, in the order
///   they happened, as asyncio's `ExceptionGroup`.
/// * **A failure is an `Err` or a panic** (a cancellation is not one, as in asyncio). A
///   member made with [`create_task_try`](TaskGroup::create_task_try) fails the group by
///   returning `Err(e)`: `e` goes, whole, into the group's [`TaskGroupError`] as
///   [`TaskFailure::Err`], and the member's own [`Task`] reports a [`TaskError`] that is not a
///   cancellation and whose `Display` is `task failed: <e>`. Any member fails it by panicking
///   ([`TaskFailure::Panicked`]; the member's handle reports the same panic, one payload
///   shared). The group's error type is `E` (`Infallible` unless said:
///   [`TaskGroup::with_errors`]); `E` needs no `Clone`.
/// * **The first failure cancels the other members** (dropped at their next step, each
///   destructor once). As in asyncio, where a done callback run by `call_soon` does it, the
///   cancelling happens one loop pass after the failure: members whose steps were already
///   queued in the failing pass run them, so members that fail in the same pass are all
///   reported.
/// * **It is a `Clone` handle**, as `tg` is shared in asyncio: hand a clone to a member and it
///   can add siblings, which `join` waits for too. The handle [`new`](TaskGroup::new) made is
///   the owner, the `async with` block: dropping it, or its `join` future, before `join`
///   returned cancels every unfinished member (the owner task was cancelled, a `wait_for!`
///   around the join timed out); dropping a clone does nothing. Adding a member after `join`
///   returned panics (asyncio: `RuntimeError: TaskGroup is finished`).
///
/// Differences from asyncio, forced by corio's cancellation model (a drop, which cannot be
/// thrown into a running body): a failing member does not interrupt the owner's code before
/// `join` (asyncio cancels the parent task in its `async with` body); the owner finds out at
/// `join`, or earlier through [`failed`](TaskGroup::failed). A member created after the group
/// failed, or after the owner was dropped, is created cancelled (its future never runs;
/// asyncio raises `RuntimeError: TaskGroup is shutting down`), so a loop that keeps spawning
/// reaches `join` and the real failures.
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
///
/// With errors as values:
///
/// ```
/// use corio_runtime::{Runner, TaskFailure, TaskGroup, sleep, time};
///
/// Runner::new().virtual_time().run(async {
///     let group = TaskGroup::with_errors();
///     let slow = group.create_task(async { sleep(5).await; "never" });
///     let bad = group.create_task_try(async {
///         sleep(1).await;
///         Err::<u8, _>(std::io::Error::other("connection reset"))
///     });
///     let err = group.join().await.unwrap_err();
///     assert_eq!(time(), 1.0); // `slow` was cancelled one pass after the failure
///     let [TaskFailure::Err(io)] = &err.failures()[..] else { panic!("{err:?}") };
///     assert_eq!(io.to_string(), "connection reset");
///     assert_eq!(bad.await.unwrap_err().to_string(), "task failed: connection reset");
///     assert!(slow.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct TaskGroup<E = Infallible> {
    state: Rc<GroupState<E>>,
    /// Whether this is the handle `new` made (the `async with` block): dropping it unjoined
    /// cancels the members.
    owner: bool,
}

/// What the group's handles and its members' wrappers share.
struct GroupState<E> {
    /// Unfinished members (`None` only between a member's spawn and its registration).
    members: RefCell<Slab<Option<TaskRef>>>,
    /// Every member failure so far, in order.
    failures: RefCell<Vec<TaskFailure<E>>>,
    /// Set by the first failure: the other members were cancelled.
    aborting: Cell<bool>,
    /// Set when the owner handle was dropped unjoined: the members were cancelled.
    abandoned: Cell<bool>,
    /// Set when `join` has returned: no member may be added.
    joined: Cell<bool>,
    /// The waker of the task awaiting `join`.
    joiner: RefCell<Option<Waker>>,
}

impl<E> GroupState<E> {
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
}

impl<E: 'static> GroupState<E> {
    /// Records a member's failure. The first one cancels the other members from a `call_soon`
    /// callback, one loop pass later, as asyncio's done callback does: members whose steps were
    /// already queued in this pass still run them, so members failing in the same pass are
    /// all reported.
    fn fail(self: &Rc<Self>, failure: TaskFailure<E>) {
        self.failures.borrow_mut().push(failure);
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
    /// An empty group whose members fail only by panicking, as `asyncio.TaskGroup()`: the
    /// owner handle. It needs no running loop until a member is created. For members that
    /// fail with an `Err`, see [`with_errors`](TaskGroup::with_errors).
    pub fn new() -> Self {
        TaskGroup::with_errors()
    }
}

impl<E: 'static> TaskGroup<E> {
    /// An empty group whose fallible members ([`create_task_try`](TaskGroup::create_task_try))
    /// return `Result<_, E>`: the owner handle. `E` is usually inferred from those members;
    /// else name it: `TaskGroup::<io::Error>::with_errors()`.
    pub fn with_errors() -> Self {
        TaskGroup {
            state: Rc::new(GroupState {
                members: RefCell::new(Slab::new()),
                failures: RefCell::new(Vec::new()),
                aborting: Cell::new(false),
                abandoned: Cell::new(false),
                joined: Cell::new(false),
                joiner: RefCell::new(None),
            }),
            owner: true,
        }
    }

    /// Creates a member task running `future`, as `tg.create_task(coro)`: a task like
    /// [`create_task`](crate::create_task)'s (first step on a later pass), whose panic fails
    /// the group. If the group has already failed, the task is created cancelled: its future
    /// never runs.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run); if the group was joined.
    #[track_caller]
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn::<F, Plain>(None, future)
    }

    /// [`create_task`](TaskGroup::create_task) with a task name, as
    /// `tg.create_task(coro, name=...)`.
    ///
    /// # Panics
    ///
    /// As [`create_task`](TaskGroup::create_task).
    #[track_caller]
    pub fn create_task_named<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn::<F, Plain>(Some(name.into()), future)
    }

    /// Creates a fallible member: `future`'s `Err(e)` fails the group as a panic does, `e`
    /// going whole into [`join`](TaskGroup::join)'s [`TaskGroupError`]. The member's own
    /// handle gives `Ok(value)`, or for that `Err` a [`TaskError`] that is neither a
    /// cancellation nor a panic ([`TaskError::is_group_failure`]) and whose `Display` is
    /// `task failed: <e>`.
    ///
    /// # Panics
    ///
    /// As [`create_task`](TaskGroup::create_task).
    #[track_caller]
    pub fn create_task_try<F, T>(&self, future: F) -> Task<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
        E: fmt::Display,
    {
        let group = self.state.clone();
        let routed = async move {
            future.await.map_err(|error| {
                let described = TaskError::failed(error.to_string());
                group.fail(TaskFailure::Err(error));
                described
            })
        };
        self.spawn::<_, Flat>(None, routed)
    }

    #[track_caller]
    fn spawn<F, S>(&self, name: Option<String>, future: F) -> Task<S::Value>
    where
        F: Future + 'static,
        S: Shape<F::Output>,
        S::Value: 'static,
    {
        // Checked first, so that a panic leaves no member slot behind.
        crate::rt::context::with_current("corio::TaskGroup::create_task()", |_| ());
        assert!(
            !self.state.joined.get(),
            "corio::TaskGroup::create_task(): the group has been joined (asyncio: TaskGroup is \
             finished)"
        );
        let key = self.state.members.borrow_mut().insert(None);
        let member = Member {
            future,
            key,
            group: Some(self.state.clone()),
        };
        // A member of a failed or abandoned group is created cancelled: it must not start
        // eagerly under `Runner::eager_tasks`, its future never runs.
        let start = if self.state.aborting.get() || self.state.abandoned.get() {
            Start::Queued
        } else {
            Start::Loop
        };
        let task = create_task_shaped::<_, S>(name, start, member);
        if let Some(slot) = self.state.members.borrow_mut().get_mut(key) {
            *slot = task.task_ref();
        }
        if self.state.aborting.get() || self.state.abandoned.get() {
            task.cancel();
        }
        task
    }

    /// Whether a member has failed (returned its `Err` or panicked): the other members have
    /// been cancelled, and [`join`](TaskGroup::join) will return the failures.
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
    /// Members added while it waits (by members holding a clone) are waited for too. With no
    /// unfinished members it returns at once. Dropping the owner's `join` future before it
    /// returns cancels the unfinished members.
    pub async fn join(self) -> Result<(), TaskGroupError<E>> {
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
        self.state.joined.set(true);
        let failures = self.state.failures.take();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(TaskGroupError::new(failures))
        }
    }
}

impl Default for TaskGroup {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<E> Clone for TaskGroup<E> {
    /// Another handle to the same group, for a member to add siblings; not the owner.
    fn clone(&self) -> Self {
        TaskGroup {
            state: self.state.clone(),
            owner: false,
        }
    }
}

impl<E> Drop for TaskGroup<E> {
    /// The owner cancels the unfinished members (none are left after a completed `join`);
    /// members created later are created cancelled.
    fn drop(&mut self) {
        if self.owner {
            self.state.abandoned.set(true);
            self.state.cancel_members();
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio: `<TaskGroup tasks=2 errors=1 cancelling>`
        write!(f, "<TaskGroup")?;
        let tasks = self.state.members.borrow().len();
        if tasks > 0 {
            write!(f, " tasks={tasks}")?;
        }
        let errors = self.state.failures.borrow().len();
        if errors > 0 {
            write!(f, " errors={errors}")?;
        }
        if self.state.aborting.get() || self.state.abandoned.get() {
            write!(f, " cancelling")?;
        }
        write!(f, ">")
    }
}

pin_project_lite::pin_project! {
    /// A member's future inside its task: reports a panic to the group and tells it when the
    /// member has finished (its future is dropped, whether it returned, panicked or was
    /// cancelled).
    struct Member<F, E: 'static> {
        #[pin]
        future: F,
        key: usize,
        group: Option<Rc<GroupState<E>>>,
    }

    impl<F, E: 'static> PinnedDrop for Member<F, E> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(group) = this.group.take() {
                group.finished(*this.key);
            }
        }
    }
}

impl<F: Future, E: 'static> Future for Member<F, E> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        match catch_unwind(AssertUnwindSafe(|| this.future.poll(cx))) {
            Ok(polled) => polled,
            Err(payload) => {
                let error = TaskError::panicked(payload);
                if let Some(group) = this.group.as_ref() {
                    group.fail(TaskFailure::Panicked(error.clone()));
                }
                // The task still ends as panicked, with the same (shared) payload.
                resume_unwind(Box::new(SharedPanic(error)))
            }
        }
    }
}
