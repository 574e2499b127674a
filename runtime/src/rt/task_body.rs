//! The future a task's allocation holds: the user's future plus corio's task semantics
//! (cancellation at the next step, panic containment, leaving the registry when done).
//!
//! Cancellation follows corio's model (see the crate docs): `cancel()` marks the task and
//! schedules it; at its next step the body drops the future instead of polling it, so each
//! destructor runs exactly once, and the awaiter gets a cancelled [`TaskError`].

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::coroutine::live;
use crate::rt::context;
use crate::rt::context_store;
use crate::rt::task_output::{NeverRetrieved, TaskOutput};
use crate::rt::task_state::{CANCEL_REQUESTED, CANCELLED, FAILED, HAS_VARS, PANICKED, TaskMeta};
use crate::rt::trace_log;
use crate::task::error::{SharedPanic, TaskError};

/// How a task's output `O` becomes what its handle gives, and whether it is a failure (an
/// `Err` that counts as asyncio counts an exception: `wait(FirstException)`, the
/// never-retrieved report). Chosen where the task is created: a generic `create_task` cannot
/// see whether its output is a `Result`.
pub(crate) trait Shape<O> {
    /// The handle's `T` (its output is `Result<T, TaskError>`).
    type Value;
    /// The handle's output, whether it is a failure, and what to report if nobody retrieves
    /// it (`None`: nothing).
    fn shape(output: O) -> Shaped<Self::Value>;
}

/// What [`Shape::shape`] gives.
pub(crate) struct Shaped<T> {
    output: Result<T, TaskError>,
    failed: bool,
    unretrieved: Option<String>,
}

/// `create_task`: the output as it is, never a failure.
pub(crate) struct Plain;

impl<O> Shape<O> for Plain {
    type Value = O;
    fn shape(output: O) -> Shaped<O> {
        Shaped {
            output: Ok(output),
            failed: false,
            unretrieved: None,
        }
    }
}

/// `create_task_try`: the `Result` as it is; an `Err` is a failure, reported by its `Debug`
/// if nobody retrieves it.
pub(crate) struct Fallible;

impl<T, E: fmt::Debug> Shape<Result<T, E>> for Fallible {
    type Value = Result<T, E>;
    fn shape(output: Result<T, E>) -> Shaped<Result<T, E>> {
        let unretrieved = output
            .as_ref()
            .err()
            .map(|error| format!("returned Err({error:?})"));
        Shaped {
            failed: unretrieved.is_some(),
            output: Ok(output),
            unretrieved,
        }
    }
}

/// A group's fallible member: its future already gives the handle's `Result` (its typed
/// error went to the group, which reports it; the `TaskError` names it); an `Err` is a
/// failure.
pub(crate) struct Flat;

impl<T> Shape<Result<T, TaskError>> for Flat {
    type Value = T;
    fn shape(output: Result<T, TaskError>) -> Shaped<T> {
        Shaped {
            failed: output.is_err(),
            output,
            unretrieved: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// A task's future around the user's; `S` shapes its output.
    pub(crate) struct TaskBody<'m, F, S> {
        meta: &'m TaskMeta,
        #[pin]
        future: Option<F>,
        shape: PhantomData<fn() -> S>,
    }

    impl<'m, F, S> PinnedDrop for TaskBody<'m, F, S> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Dropped unfinished: async-task closed the task (its handle was dropped while
                // awaited, or the loop is ending).
                dropped_unfinished(this.meta);
                // async-task drops a task's future where a panic aborts: contain it. Its
                // destructors run in the task's context, as its steps did.
                let future = this.future.as_mut();
                context_store::drop_in_task(this.meta, || drop_contained(future));
            }
            unregister(this.meta);
        }
    }
}

impl<'m, F, S> TaskBody<'m, F, S> {
    pub(crate) fn new(meta: &'m TaskMeta, future: F) -> Self {
        TaskBody {
            meta,
            future: Some(future),
            shape: PhantomData,
        }
    }
}

impl<F: Future, S: Shape<F::Output>> Future for TaskBody<'_, F, S> {
    type Output = TaskOutput<S::Value>;

    // Inlined into async-task's `run`, its only caller: no call, and the output is built in
    // place instead of copied out twice (-14 instructions a step; `probe spawn`).
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // One load for the two bits a step tests.
        let bits = this.meta.bits();
        // The step runs in the task's context (context variables), if it has one; each way
        // out of it leaves that context (`leave_step`) before it returns.
        context_store::enter_step(this.meta, bits & HAS_VARS != 0);
        if bits & CANCEL_REQUESTED != 0 {
            return Poll::Ready(cancelled_step(this.meta, this.future));
        }
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("async-task never polls a finished task");
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        // The rare ends (a failure to report, a panic) are out of line, in functions that do
        // not depend on `F`: the step that every task takes stays small enough for the
        // optimiser to keep it inside async-task's `run`.
        let output = match polled {
            Ok(Poll::Pending) => {
                context_store::leave_step(this.meta);
                return Poll::Pending;
            }
            Ok(Poll::Ready(value)) => {
                let Shaped {
                    output,
                    failed,
                    unretrieved,
                } = S::shape(value);
                this.meta.finish(if failed { FAILED } else { 0 });
                let unretrieved = unretrieved.map(|failure| never_retrieved(this.meta, failure));
                TaskOutput::new(output, unretrieved)
            }
            Err(payload) => {
                let (error, unretrieved) = panicked(this.meta, payload);
                TaskOutput::new(Err(error), unretrieved)
            }
        };
        drop_contained(this.future);
        context_store::leave_step(this.meta);
        Poll::Ready(output)
    }
}

/// A step of a task asked to cancel: it is marked finished, its future dropped unpolled.
#[cold]
#[inline(never)]
fn cancelled_step<F, T>(meta: &TaskMeta, future: Pin<&mut Option<F>>) -> TaskOutput<T> {
    // Mark first: a destructor that asks `done()` of this task sees it finished.
    meta.finish(CANCELLED);
    drop_contained(future);
    context_store::leave_step(meta);
    let cancelled = TaskError::cancelled(meta.cancel_message());
    TaskOutput::new(Err(cancelled), None)
}

/// The report of `meta`'s task's `failure`, should nobody retrieve it.
#[cold]
#[inline(never)]
fn never_retrieved(meta: &TaskMeta, failure: String) -> Box<NeverRetrieved> {
    let name = meta.name().into_owned();
    Box::new(NeverRetrieved::new(name, failure, meta.created_at()))
}

/// A step that panicked: the task is marked finished; its error, and the report of it should
/// nobody retrieve it (none for a group member's panic: its group reports it).
#[cold]
#[inline(never)]
fn panicked(
    meta: &TaskMeta,
    payload: Box<dyn Any + Send>,
) -> (TaskError, Option<Box<NeverRetrieved>>) {
    // The frames the panic unwound through did not restore the one being polled.
    live::reset_current();
    meta.finish(PANICKED);
    let in_group = payload.is::<SharedPanic>();
    let error = TaskError::panicked(payload);
    let unretrieved = (!in_group).then(|| {
        let failure = match error.panic_message() {
            Some(message) => format!("panicked: {message}"),
            None => "panicked".to_owned(),
        };
        never_retrieved(meta, failure)
    });
    (error, unretrieved)
}

/// Drops a task's future in place. A panic in its destructor is contained like one in
/// `poll` (the loop must survive it); its payload is discarded and what the destructor left is
/// leaked rather than dropped twice.
fn drop_contained<F>(mut future: Pin<&mut Option<F>>) {
    let _ = catch_unwind(AssertUnwindSafe(|| future.set(None)));
}

/// Marks a task whose future is dropped unfinished cancelled (a traced run records it). Out of
/// line: the drop of every finished task stays as small as before.
#[cold]
#[inline(never)]
fn dropped_unfinished(meta: &TaskMeta) {
    meta.finish(CANCELLED);
    trace_log::dropped(meta);
}

/// Removes a finished task from its loop's registry.
fn unregister(meta: &TaskMeta) {
    let entry = context::try_with_current(|core| {
        core.owns(meta.shared())
            .then(|| core.unregister_task(meta))
            .flatten()
    });
    // The entry's waker is dropped outside the registry borrow.
    drop(entry);
}
