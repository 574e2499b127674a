//! What a failed [`TaskGroup`](crate::TaskGroup) reports: [`TaskGroupError`], a list of
//! [`TaskFailure`]s, as asyncio's `ExceptionGroup`.

use std::fmt;

use crate::task::error::TaskError;

/// One member's failure: its `Err` (a member made with
/// [`create_task_try`](crate::TaskGroup::create_task_try)), or its panic.
///
/// A cancellation is never a failure, as in asyncio.
pub enum TaskFailure<E> {
    /// The member's own error, moved here whole (no `Clone` bound: `io::Error` and
    /// `anyhow::Error` members work). The member's [`Task`](crate::Task) reports a
    /// [`TaskError`] whose `Display` names it.
    Err(E),
    /// The member panicked; the member's `Task` reports the same error (one payload, shared).
    Panicked(TaskError),
}

impl<E> TaskFailure<E> {
    /// Whether the member panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskFailure::Panicked(_))
    }

    /// The member's error, if it returned one.
    pub fn err(&self) -> Option<&E> {
        match self {
            TaskFailure::Err(error) => Some(error),
            TaskFailure::Panicked(_) => None,
        }
    }

    /// The member's error, if it returned one.
    pub fn into_err(self) -> Option<E> {
        match self {
            TaskFailure::Err(error) => Some(error),
            TaskFailure::Panicked(_) => None,
        }
    }

    /// The panic's message, when the member panicked with a string.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            TaskFailure::Err(_) => None,
            TaskFailure::Panicked(error) => error.panic_message(),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for TaskFailure<E> {
    /// `Err(<the error's Debug>)`, or the panic's `TaskError` Debug: `Panicked("boom")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskFailure::Err(error) => f.debug_tuple("Err").field(error).finish(),
            TaskFailure::Panicked(error) => fmt::Debug::fmt(error, f),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskFailure<E> {
    /// The error's own `Display`, or `task panicked: <message>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskFailure::Err(error) => fmt::Display::fmt(error, f),
            TaskFailure::Panicked(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// The failures of a [`TaskGroup`](crate::TaskGroup)'s members, as the `ExceptionGroup`
/// asyncio's `TaskGroup` raises: one [`TaskFailure`] per member that returned an `Err` or
/// panicked, in the order they failed.
///
/// Its `Display` is asyncio's message: `unhandled errors in a TaskGroup (1 sub-exception)`.
/// It is an `Error + Send + Sync` when `E` is, so `group.join().await?` goes into
/// `anyhow::Error` or `Box<dyn Error + Send + Sync>`.
pub struct TaskGroupError<E = std::convert::Infallible> {
    failures: Vec<TaskFailure<E>>,
}

impl<E> TaskGroupError<E> {
    pub(crate) fn new(failures: Vec<TaskFailure<E>>) -> Self {
        TaskGroupError { failures }
    }

    /// Every failure, in the order the members failed.
    pub fn failures(&self) -> &[TaskFailure<E>] {
        &self.failures
    }

    /// Takes the failures: to handle each error, or re-raise a panic with
    /// [`std::panic::resume_unwind`] and [`TaskError::into_panic`].
    pub fn into_failures(self) -> Vec<TaskFailure<E>> {
        self.failures
    }

    /// The failures' panic messages (for payloads that are strings), in order.
    pub fn panic_messages(&self) -> Vec<&str> {
        self.failures
            .iter()
            .filter_map(TaskFailure::panic_message)
            .collect()
    }
}

impl<E> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(
            f,
            "unhandled errors in a TaskGroup ({n} sub-exception{plural})"
        )
    }
}

impl<E: fmt::Debug> fmt::Debug for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: fmt::Debug> std::error::Error for TaskGroupError<E> {}
