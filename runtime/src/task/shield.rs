//! [`shield`]: protect work from the cancellation of its awaiter, as `asyncio.shield`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::error::TaskError;
use crate::task::handle::{Task, create_task};

/// Runs `future` as a task of its own and returns a future of its result that can be dropped
/// (or its awaiting task cancelled) without cancelling the work, as `asyncio.shield(aw)`.
///
/// What it promises:
///
/// * **The work runs on.** Dropping the [`Shield`] at any point, or cancelling the task that
///   awaits it (a `wait_for!` timing it out, a `Task::cancel`, a `TaskGroup` failing), only
///   stops the *waiting*: the inner task is detached and runs to its end on the loop; its
///   result is then dropped, unless someone else kept a way to read it (the future itself
///   may store it, say in an `Rc<RefCell<_>>`).
/// * **It is a task**, as asyncio's `shield(coro)` wraps the coroutine in one: the work's
///   first step runs on a later loop pass (see [`create_task`]), so `future` must be
///   `'static`. Use [`Shield::from_task`] to shield a task you already have.
/// * **The output is the task's**: `Ok(value)`, or a panic [`TaskError`] if the work
///   panicked, or a cancelled one if it was cancelled by other means (by the end of
///   `run`, or through [`all_tasks`](crate::all_tasks)).
/// * **At the end of the loop** the inner task is a leftover like any other: if it is still
///   running when `run`'s main future returns, `run` cancels it (drops its future) before
///   returning, as `asyncio.run` cancels what is left. Shielding protects from an awaiter's
///   cancellation, not from the loop ending.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run); when the `Shield` is polled on
/// another loop than the one it was created on, or again after it returned.
pub fn shield<F>(future: F) -> Shield<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Shield::from_task(create_task(future))
}

/// The future of [`shield`]: `Result<T, TaskError>`, the shielded task's result.
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Shield<T> {
    /// Shields a task that is already running, as `asyncio.shield(task)`: awaiting the
    /// `Shield` gives the task's result, and dropping it mid-await detaches the task instead
    /// of cancelling it (dropping the [`Task`] itself mid-await would cancel it).
    pub fn from_task(task: Task<T>) -> Self {
        Shield { task }
    }

    /// The shielded task, to inspect it ([`Task::done`], [`Task::name`]) or to cancel it
    /// explicitly.
    pub fn task(&self) -> &Task<T> {
        &self.task
    }

    /// Gives the task back without waiting for it (awaiting a `Task` directly is unshielded).
    pub fn into_task(self) -> Task<T> {
        self.task
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Wait without awaiting (an await on the `Task` would make a drop cancel it); once it
        // has finished, its result is taken in the same poll, so no await is ever abandoned.
        std::task::ready!(self.task.poll_finished("corio::shield()", cx));
        Pin::new(&mut self.task).poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shield").field(&self.task).finish()
    }
}
