//! A task's output while it waits in the task's allocation for a handle to take it
//! ([`TaskOutput`]), and what happens when nobody does: its drop is contained (a value whose
//! destructor panics must not take the loop or the process down) and a failure in it is
//! reported, as asyncio logs "Task exception was never retrieved" ([`NeverRetrieved`],
//! [`set_never_retrieved_hook`]).

use std::fmt;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::RwLock;

use crate::task::error::TaskError;

/// A finished task's output, as async-task keeps it until the task's handle takes it.
///
/// Dropped untaken (the task was detached, its last handle was dropped after it finished, or
/// the loop ended), it reports its failure, if it has one to report, then drops the value with
/// any panic contained, as a task's own panic is: this drop may run inside the loop's step
/// (async-task drops a detached task's output there) or in the code that drops the handle.
pub(crate) struct TaskOutput<T> {
    /// Taken by `take`, or dropped by `Drop`: each runs once, and neither runs after the other.
    value: ManuallyDrop<Result<T, TaskError>>,
    /// What to report if the value is dropped untaken: a panic nobody else holds, or the
    /// `Err` of a task made with `create_task_try`. Boxed: failures are rare.
    unretrieved: ManuallyDrop<Option<Box<NeverRetrieved>>>,
}

impl<T> TaskOutput<T> {
    #[inline]
    pub(crate) fn new(
        value: Result<T, TaskError>,
        unretrieved: Option<Box<NeverRetrieved>>,
    ) -> Self {
        TaskOutput {
            value: ManuallyDrop::new(value),
            unretrieved: ManuallyDrop::new(unretrieved),
        }
    }

    /// The value, retrieved: nothing is reported any more.
    #[inline]
    pub(crate) fn take(self) -> Result<T, TaskError> {
        // Taken apart without running `Drop`, which is for outputs nobody took.
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again, and its `Drop` does not run: each field is
        // taken once.
        unsafe {
            drop(ManuallyDrop::take(&mut this.unretrieved));
            ManuallyDrop::take(&mut this.value)
        }
    }
}

impl<T> Drop for TaskOutput<T> {
    // Small, so the drop of async-task's output slot (`None` once the handle took the
    // output) stays small where a handle is detached; the work is out of line.
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `drop` runs once and `take` (which consumes `self` without running `drop`)
        // did not run: both fields are still there, and nothing uses them afterwards.
        let (value, unretrieved) = unsafe {
            (
                ManuallyDrop::take(&mut self.value),
                ManuallyDrop::take(&mut self.unretrieved),
            )
        };
        drop_untaken(value, unretrieved);
    }
}

/// Drops an output nobody took: its failure reported, if it has one to report, then the value
/// dropped. A destructor that panics (the output's, or a panic payload's) is contained here;
/// the panic hook has printed it, as it prints a task's panic.
#[inline(never)]
fn drop_untaken<T>(value: Result<T, TaskError>, unretrieved: Option<Box<NeverRetrieved>>) {
    if let Some(report) = unretrieved {
        report_never_retrieved(&report);
    }
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// The report of a task whose failure nobody retrieved (asyncio's "Task exception was never
/// retrieved"): a task that panicked, or a task made with
/// [`create_task_try`](crate::create_task_try) that returned an `Err`, whose result was
/// dropped with its last handle (or never had one: a detached task) without being awaited.
///
/// A [`TaskGroup`](crate::TaskGroup) member's failure is never reported here: its group
/// holds it. A cancellation is not a failure.
///
/// `Display` is one line: `Task exception was never retrieved: task 'Task-2' panicked: boom`,
/// or `... task 'Task-3' returned Err(Refused(80))` (the error's `Debug`); in debug mode it
/// ends with where the task was created: `... panicked: boom (created at src/main.rs:9:5)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeverRetrieved {
    task_name: String,
    failure: String,
    created_at: Option<&'static Location<'static>>,
}

impl NeverRetrieved {
    pub(crate) fn new(
        task_name: String,
        failure: String,
        created_at: Option<&'static Location<'static>>,
    ) -> Self {
        NeverRetrieved {
            task_name,
            failure,
            created_at,
        }
    }

    /// Where the task was created (the call of `create_task`), when it was created while its
    /// loop ran in debug mode ([`Runner::debug`](crate::Runner::debug)); `None` otherwise.
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.created_at
    }

    /// The task's name (`Task-<n>` unless it was given one).
    pub fn task_name(&self) -> &str {
        &self.task_name
    }

    /// What the failure was: `panicked: <message>` (or `panicked` for a payload that is not a
    /// string), or `returned Err(<the error's Debug>)`.
    pub fn failure(&self) -> &str {
        &self.failure
    }
}

impl fmt::Display for NeverRetrieved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Task exception was never retrieved: task '{}' {}",
            self.task_name, self.failure
        )?;
        if let Some(at) = self.created_at {
            write!(f, " (created at {at})")?;
        }
        Ok(())
    }
}

/// A process-wide handler of never-retrieved reports; see [`set_never_retrieved_hook`].
pub type NeverRetrievedHook = Box<dyn Fn(&NeverRetrieved) + Send + Sync>;

static HOOK: RwLock<Option<NeverRetrievedHook>> = RwLock::new(None);

/// Sets the process-wide handler of never-retrieved reports and returns the previous one;
/// `None` restores the default, which writes the report's one line and a newline to stderr.
///
/// The hook runs where the result is dropped (on the loop's thread, in a step, for a detached
/// task; in the code that drops the last handle otherwise): keep it short, and don't panic in
/// it.
pub fn set_never_retrieved_hook(hook: Option<NeverRetrievedHook>) -> Option<NeverRetrievedHook> {
    let mut slot = HOOK.write().unwrap_or_else(|poison| poison.into_inner());
    std::mem::replace(&mut *slot, hook)
}

#[cold]
#[inline(never)]
fn report_never_retrieved(report: &NeverRetrieved) {
    let hook = HOOK.read().unwrap_or_else(|poison| poison.into_inner());
    match &*hook {
        Some(hook) => {
            // A panicking hook must not turn a report into a crash of the loop.
            let _ = catch_unwind(AssertUnwindSafe(|| hook(report)));
        }
        // Not `eprintln!`: it panics when stderr is closed, and this runs in a destructor.
        None => drop(writeln!(std::io::stderr(), "{report}")),
    }
}
