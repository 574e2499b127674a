//! [`wait`]: wait for tasks until some or all of them have finished, as `asyncio.wait`.
//!
//! The tasks are handed back, split into `(done, pending)`; nothing is ever cancelled, so the
//! pending ones keep running and can be awaited (or waited for) later.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::join::child_wakers::Group;
use crate::join::maybe_done::MaybeDone;
use crate::task::handle::Task;
use crate::time::deadline::Deadline;
use crate::time::delay::IntoTimeout;

/// When [`wait`] returns, as asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION` and
/// `ALL_COMPLETED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any task has finished (returned, panicked or been cancelled).
    FirstCompleted,
    /// As soon as any task has failed (asyncio: "by raising an exception"): it panicked, or
    /// it was made with [`create_task_try`](crate::create_task_try) (or a group's
    /// `create_task_try`) and returned an `Err`; if none fails, when all have finished, as
    /// [`AllCompleted`](ReturnWhen::AllCompleted).
    /// A *cancelled* task does not count, as in asyncio (whose check is
    /// `not f.cancelled() and f.exception() is not None`).
    FirstException,
    /// When every task has finished (asyncio's default).
    #[default]
    AllCompleted,
}

/// Waits for `tasks` until `return_when` holds, as `asyncio.wait(tasks, return_when=...)`;
/// add a timeout with [`WaitTasks::timeout`]. The output is `(done, pending)`.
///
/// What it promises:
///
/// * **Never cancels.** When it returns (by its condition or by its timeout) the unfinished
///   tasks are handed back in `pending`, still running. Dropping the `WaitTasks` future before it
///   returns cancels nothing either: its tasks are detached (the loop runs them on), as
///   dropping a [`Task`] that was never awaited does.
/// * **The handles come back whole.** `done` holds finished tasks: awaiting one gives its
///   result at once (`Ok`, or the [`TaskError`](crate::TaskError) it panicked or was
///   cancelled with). Both lists keep the order `tasks` came in (asyncio returns sets).
/// * **Checked at every poll.** A condition that already holds at the first poll returns
///   there, without yielding (asyncio always suspends at least once). Otherwise it returns in
///   the step after the deciding task finished (at the loop time it finished at, under
///   virtual time) or when the timeout's timer fires, whichever comes first; if both happen
///   in the same pass, the tasks win.
/// * **Cost per task is flat.** Each task gets its own waker, registered once (at the first
///   poll); a task's end wakes the wait with that task's index, and the wait looks only at the
///   tasks that woke it, so waiting for n tasks costs O(n) in all, not O(n) per wake.
///
/// # Panics
///
/// At once, if `tasks` is empty (asyncio's `ValueError: Set of Tasks/Futures is empty.`).
/// When polled off the loop that runs the tasks, or again after it returned.
///
/// ```
/// use corio_runtime::{ReturnWhen, Runner, create_task, sleep, wait};
///
/// Runner::new().virtual_time().run(async {
///     let quick = create_task(async { sleep(1).await; "quick" });
///     let slow = create_task(async { sleep(5).await; "slow" });
///     let (done, pending) = wait([quick, slow], ReturnWhen::FirstCompleted).await;
///     assert_eq!(corio_runtime::time(), 1.0);
///     assert_eq!(done.len(), 1);
///     assert_eq!(pending.len(), 1); // still running
///     for task in done {
///         assert_eq!(task.await.unwrap(), "quick");
///     }
/// });
/// ```
pub fn wait<T, I>(tasks: I, return_when: ReturnWhen) -> WaitTasks<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    assert!(
        !tasks.is_empty(),
        "corio::wait(): Set of Tasks/Futures is empty: pass at least one task"
    );
    WaitTasks {
        tasks: Some(Group::new(
            tasks.into_iter().map(|task| Finished(Some(task))),
            true,
        )),
        return_when,
        deadline: Deadline::Never,
        failed: false,
    }
}

/// The future of [`wait`]: `(done, pending)`, both `Vec<Task<T>>` in the order given.
#[must_use = "futures do nothing unless awaited"]
pub struct WaitTasks<T> {
    /// Each task with its own waker; `None` once it has returned.
    tasks: Option<Group<Finished<T>>>,
    return_when: ReturnWhen,
    deadline: Deadline,
    /// Whether a finished task failed: panicked, or returned the `Err` of a fallible task
    /// (what `FirstException` waits for).
    failed: bool,
}

/// A task until it has finished; then the task itself, handed back whole. Registering the
/// waiter's waker (not awaiting) keeps the task detachable: dropping the wait cancels nothing.
struct Finished<T>(Option<Task<T>>);

impl<T> Future for Finished<T> {
    type Output = Task<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Task<T>> {
        let task = self
            .0
            .as_mut()
            .expect("a finished wait slot is never polled");
        std::task::ready!(task.poll_finished("corio::wait()", cx));
        Poll::Ready(self.0.take().expect("checked just above"))
    }
}

impl<T> WaitTasks<T> {
    /// Returns after at most `timeout` (seconds, a `Duration`, or an `Option` of one; `None`
    /// waits as long as it takes), as `asyncio.wait(..., timeout=)`: the tasks that have not
    /// finished by then come back in `pending`, still running (never cancelled, unlike
    /// `wait_for!`). The deadline is armed at the first poll, at `time() + timeout` on the loop
    /// clock; a timeout of zero or less returns at the first poll with whatever is done.
    ///
    /// # Panics
    ///
    /// At once, for a NaN, infinite or overflowing timeout (the message names the value).
    pub fn timeout(mut self, timeout: impl IntoTimeout) -> Self {
        self.deadline = Deadline::after(timeout.into_timeout_nanos());
        self
    }

    /// Whether `return_when` holds; polls the tasks that finished since the last poll (every
    /// task at the first).
    fn poll_condition(&mut self, cx: &mut Context<'_>) -> bool {
        let group = self
            .tasks
            .as_mut()
            .expect("corio: a wait() future was polled again after it returned");
        group.poll_woken(cx);
        while let Some(index) = group.pop_done() {
            if let MaybeDone::Done { output: task } = &*group.slot(index) {
                self.failed |= task.failed();
            }
        }
        let finished = group.len() - group.remaining();
        match self.return_when {
            ReturnWhen::FirstCompleted => finished > 0,
            ReturnWhen::FirstException => self.failed || group.remaining() == 0,
            ReturnWhen::AllCompleted => group.remaining() == 0,
        }
    }

    /// Splits the tasks into `(done, pending)`, in the order given, and takes this future's
    /// waker back from the pending ones, so their end does not wake a task that no longer
    /// waits for them.
    fn split(&mut self) -> (Vec<Task<T>>, Vec<Task<T>>) {
        let Some(mut group) = self.tasks.take() else {
            return (Vec::new(), Vec::new());
        };
        let (mut done, mut pending) = (Vec::new(), Vec::new());
        let mut forget = Context::from_waker(Waker::noop());
        for index in 0..group.len() {
            // `Finished` is `Unpin`, so its slot may be moved out of.
            match mem::replace(group.slot(index).get_mut(), MaybeDone::Taken) {
                MaybeDone::Done { output: task } => done.push(task),
                MaybeDone::Pending {
                    future: Finished(Some(mut task)),
                } => {
                    let _ = task.poll_finished("corio::wait()", &mut forget);
                    pending.push(task);
                }
                MaybeDone::Pending {
                    future: Finished(None),
                }
                | MaybeDone::Taken => {}
            }
        }
        (done, pending)
    }
}

// `Task<T>` is `Unpin`, `Sleep` is `Unpin`: so is `WaitTasks`, whatever `T` is.
impl<T> Unpin for WaitTasks<T> {}

impl<T> Future for WaitTasks<T> {
    type Output = (Vec<Task<T>>, Vec<Task<T>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.poll_condition(cx) {
            return Poll::Ready(this.split());
        }
        if !this.deadline.poll_passed(cx) {
            return Poll::Pending;
        }
        // Timed out: whatever is unfinished is pending, and stays running.
        Poll::Ready(this.split())
    }
}

impl<T> fmt::Debug for WaitTasks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitTasks")
            .field("tasks", &self.tasks.as_ref().map_or(0, Group::len))
            .field("return_when", &self.return_when)
            .field("deadline", &self.deadline)
            .finish()
    }
}
