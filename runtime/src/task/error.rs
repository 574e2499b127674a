//! How a task ended without producing its value: [`TaskError`].

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// How a task ended without producing its value: it was cancelled, it panicked, or (a
/// [`TaskGroup`](crate::TaskGroup) member made with
/// [`create_task_try`](crate::TaskGroup::create_task_try)) it returned an `Err` that went to its
/// group.
///
/// It is an ordinary error value, `std::error::Error + Send + Sync + 'static` as tokio's
/// `JoinError`, so `task.await?` converts into `anyhow::Error` or
/// `Box<dyn Error + Send + Sync>`. A cancellation is not a failure (asyncio's
/// `CancelledError` is not an `Exception`): tell them apart with
/// [`is_cancelled`](TaskError::is_cancelled) and [`is_panic`](TaskError::is_panic).
///
/// `Display` says what happened: `task was cancelled` (with the message given to
/// [`Task::cancel_with`](crate::Task::cancel_with): `task was cancelled: shutting down`),
/// `task panicked: <the panic message>`, `task failed: <the error's Display>`.
///
/// It is `Clone` (a few reference counts): every clone of a [`Task`](crate::Task) gets the
/// same error. A panic's payload is kept once, shared by the clones: the first
/// [`into_panic`](TaskError::into_panic) takes the original payload (to re-raise it with
/// [`std::panic::resume_unwind`]); later ones get the panic message as a `String` payload.
///
/// ```
/// use corio_runtime::{Runner, create_task};
///
/// let err = Runner::new().run(async {
///     create_task(async { panic!("boom") }).await.unwrap_err()
/// });
/// assert!(err.is_panic() && !err.is_cancelled());
/// assert_eq!(err.panic_message(), Some("boom"));
/// assert_eq!(err.to_string(), "task panicked: boom");
/// let boxed: Box<dyn std::error::Error + Send + Sync> = err.into();
/// assert_eq!(boxed.to_string(), "task panicked: boom");
/// ```
#[derive(Clone)]
pub struct TaskError {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// Cancelled, with the message given to `cancel_with`, if any.
    Cancelled(Option<Arc<str>>),
    Panicked(Arc<Panic>),
    /// A group member's `Err`, which went to the group: its `Display`.
    Failed(Arc<str>),
}

/// A panic's payload, shared by the clones of a task's error.
struct Panic {
    /// The payload's message, read once when the panic was caught.
    message: Option<String>,
    /// The payload itself until [`TaskError::into_panic`] takes it.
    payload: Mutex<Option<Box<dyn Any + Send + 'static>>>,
}

/// What a panic payload says, when it is a string (as `panic!("...")` makes).
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// A panic payload that already is a task's error: a [`TaskGroup`](crate::TaskGroup) member
/// re-raises its panic wrapped in this, so the member's task and the group share one payload.
pub(crate) struct SharedPanic(pub(crate) TaskError);

impl TaskError {
    /// A cancellation, with the message given to `cancel_with`, if any.
    pub(crate) fn cancelled(message: Option<Arc<str>>) -> Self {
        TaskError {
            repr: Repr::Cancelled(message),
        }
    }

    /// A panic caught from a task's future, with its payload.
    pub(crate) fn panicked(payload: Box<dyn Any + Send + 'static>) -> Self {
        let payload = match payload.downcast::<SharedPanic>() {
            Ok(shared) => return shared.0,
            Err(payload) => payload,
        };
        let message = payload_message(&*payload).map(str::to_owned);
        TaskError {
            repr: Repr::Panicked(Arc::new(Panic {
                message,
                payload: Mutex::new(Some(payload)),
            })),
        }
    }

    /// A group member's `Err`, described by its `Display`.
    pub(crate) fn failed(description: String) -> Self {
        TaskError {
            repr: Repr::Failed(description.into()),
        }
    }

    /// Whether the task was cancelled (asyncio's `CancelledError`; not a failure).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(_))
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked(_))
    }

    /// Whether the task was a [`TaskGroup`](crate::TaskGroup) member whose `Err` failed the
    /// group (the typed error is in the group's [`TaskGroupError`](crate::TaskGroupError); this
    /// error's `Display` names it).
    pub fn is_group_failure(&self) -> bool {
        matches!(self.repr, Repr::Failed(_))
    }

    /// The panic's message, when the payload was a string (as `panic!("...")` makes).
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panicked(panic) => panic.message.as_deref(),
            _ => None,
        }
    }

    /// The message the task was cancelled with ([`Task::cancel_with`](crate::Task::cancel_with),
    /// asyncio's `cancel(msg)`), if it was cancelled with one.
    pub fn cancel_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Cancelled(message) => message.as_deref(),
            _ => None,
        }
    }

    /// The panic payload, to re-raise it with [`std::panic::resume_unwind`], as tokio's
    /// `JoinError::into_panic`. The first call among the clones of one error gets the original
    /// payload; later calls get the panic message as a `String` (or `"task panicked"` for a
    /// payload that was not a string).
    ///
    /// # Panics
    ///
    /// If the error is not a panic (check [`is_panic`](TaskError::is_panic), or use
    /// [`try_into_panic`](TaskError::try_into_panic)).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("corio: TaskError::into_panic() on an error that is not a panic")
    }

    /// The panic payload as [`into_panic`](TaskError::into_panic), or the error back if it is
    /// not a panic.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, TaskError> {
        match &self.repr {
            Repr::Panicked(panic) => {
                let taken = panic
                    .payload
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                Ok(taken.unwrap_or_else(|| {
                    Box::new(
                        panic
                            .message
                            .clone()
                            .unwrap_or_else(|| "task panicked".to_owned()),
                    )
                }))
            }
            _ => Err(self),
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled(None) => f.write_str("Cancelled"),
            Repr::Cancelled(Some(message)) => f.debug_tuple("Cancelled").field(message).finish(),
            Repr::Panicked(panic) => match &panic.message {
                Some(message) => f.debug_tuple("Panicked").field(message).finish(),
                None => f.write_str("Panicked(..)"),
            },
            Repr::Failed(description) => f.debug_tuple("Failed").field(description).finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled(None) => f.write_str("task was cancelled"),
            Repr::Cancelled(Some(message)) => write!(f, "task was cancelled: {message}"),
            Repr::Panicked(panic) => match &panic.message {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
            Repr::Failed(description) => write!(f, "task failed: {description}"),
        }
    }
}

impl std::error::Error for TaskError {}
