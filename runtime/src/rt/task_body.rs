//! The future a task's allocation holds: the user's future plus corio's task semantics
//! (cancellation at the next step, panic containment, leaving the registry when done).
//!
//! Cancellation follows corio's model (see the crate docs): `cancel()` marks the task and
//! schedules it; at its next step the body drops the future instead of polling it, so each
//! destructor runs exactly once, and the awaiter gets [`TaskError::Cancelled`].

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::rt::context;
use crate::rt::task_state::{CANCEL_REQUESTED, CANCELLED, DONE, PANICKED, TaskMeta};
use crate::task::error::TaskError;

pin_project_lite::pin_project! {
    /// A task's future around the user's.
    pub(crate) struct TaskBody<'m, F> {
        meta: &'m TaskMeta,
        #[pin]
        future: Option<F>,
    }

    impl<'m, F> PinnedDrop for TaskBody<'m, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Dropped unfinished: async-task closed the task (its handle was dropped while
                // awaited, or the loop is ending).
                this.meta.mark(DONE | CANCELLED);
            }
            // async-task drops a task's future where a panic aborts: contain it.
            drop_contained(this.future.as_mut());
            unregister(this.meta);
        }
    }
}

impl<'m, F> TaskBody<'m, F> {
    pub(crate) fn new(meta: &'m TaskMeta, future: F) -> Self {
        TaskBody {
            meta,
            future: Some(future),
        }
    }
}

impl<F: Future> Future for TaskBody<'_, F> {
    type Output = Result<F::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.meta.has(CANCEL_REQUESTED) {
            // Mark first: a destructor that asks `done()` of this task sees it finished.
            this.meta.mark(DONE | CANCELLED);
            drop_contained(this.future);
            return Poll::Ready(Err(TaskError::Cancelled));
        }
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("async-task never polls a finished task");
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        let output = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => {
                this.meta.mark(DONE);
                Ok(value)
            }
            Err(payload) => {
                this.meta.mark(DONE | PANICKED);
                Err(TaskError::Panicked(payload))
            }
        };
        drop_contained(this.future);
        Poll::Ready(output)
    }
}

/// Drops a task's future in place. A panic in its destructor is contained like one in
/// `poll` (the loop must survive it); its payload is discarded and what the destructor left is
/// leaked rather than dropped twice.
fn drop_contained<F>(mut future: Pin<&mut Option<F>>) {
    let _ = catch_unwind(AssertUnwindSafe(|| future.set(None)));
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
