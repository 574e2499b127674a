//! Which task's step is running, and how a new task takes its first step: queued at the back
//! of the ready queue (asyncio's default), or at once inside `create_task`, as asyncio 3.12's
//! eager tasks (`eager_task_factory`, `Task(..., eager_start=True)`).
//!
//! An eager start is `Task.__eager_start`: the new task becomes the current task
//! (`_swap_current_task`), its first step runs right there, and the creator becomes the current
//! task again, whatever the step did (a panic in it is contained by the task's body, as an
//! exception is by `__step`). A task that finished in that step is done when `create_task`
//! returns and never reaches the ready queue; one that suspended waits for its wake exactly as
//! a task whose step ran in a pass. With no current task (a callback, a destructor), the step
//! runs with the new task current and none after, as asyncio's swap with `None`.
//!
//! The step runs inside the creator's poll, so the creator's step-scoped thread state is saved
//! and given back around it: the current task, and `crate::coroutine`'s poll state (the await
//! site stored and, in debug mode, the frame being polled, which the new task's outermost
//! coroutine must not take for its parent; a panicking coroutine restores neither), and the
//! creator's context (context variables): a step starts from an empty one, and the new task
//! took its copy at creation.

use std::cell::Cell;
use std::ptr::{self, NonNull};

use async_task::Runnable;

use crate::coroutine;
use crate::rt::context_store::{self, Aside};
use crate::rt::remote::LoopShared;
use crate::rt::slow;
use crate::rt::task_state::TaskMeta;
use crate::rt::trace_log;

/// The loop's step-scoped state (a field of the loop core).
pub(crate) struct Stepping {
    /// The task whose step is running, for `current_task()`; null outside any task's step.
    current_task: Cell<*const TaskMeta>,
    /// Whether `create_task` starts tasks eagerly ([`Runner::eager_tasks`]).
    ///
    /// [`Runner::eager_tasks`]: crate::Runner::eager_tasks
    eager_tasks: Cell<bool>,
}

impl Stepping {
    pub(crate) fn new() -> Self {
        Stepping {
            current_task: Cell::new(ptr::null()),
            eager_tasks: Cell::new(false),
        }
    }

    /// The task whose step is running.
    pub(crate) fn current_task(&self) -> Option<NonNull<TaskMeta>> {
        NonNull::new(self.current_task.get().cast_mut())
    }

    /// Runs a step the loop took off its ready queue, `runnable`'s task being current.
    /// In debug mode the step is timed (see [`slow`]).
    #[inline]
    pub(crate) fn run_step(&self, shared: &LoopShared, runnable: Runnable<TaskMeta>) {
        self.current_task.set(runnable.metadata());
        slow::step(shared, runnable);
        self.current_task.set(ptr::null());
    }

    /// Whether new tasks start eagerly unless told otherwise.
    pub(crate) fn eager_tasks(&self) -> bool {
        self.eager_tasks.get()
    }

    /// Makes new tasks start eagerly (or not) unless told otherwise.
    pub(crate) fn set_eager_tasks(&self, eager: bool) {
        self.eager_tasks.set(eager);
    }

    /// Runs a new task's first step at once, as asyncio's `Task.__eager_start`: `runnable`'s
    /// task is current during it, with no coroutine frame being polled; the creator's current
    /// task and coroutine poll state come back after, also if something unwinds out of the
    /// step. Out of line: a regular spawn, which inlines
    /// the choice, stays as small as without eager tasks.
    #[inline(never)]
    pub(crate) fn run_eagerly(&self, runnable: Runnable<TaskMeta>) {
        let _creator = Creator {
            stepping: self,
            task: self.current_task.replace(runnable.metadata()),
            polling: coroutine::set_aside(),
            // A step starts from an empty context (the new task has its copy of this one).
            vars: context_store::set_aside(),
        };
        if trace_log::on() {
            traced_step(runnable);
        } else {
            runnable.run();
        }
    }
}

/// An eager first step of a traced run, recorded.
#[cold]
#[inline(never)]
fn traced_step(runnable: Runnable<TaskMeta>) {
    // Keeps the task's allocation, hence its metadata, alive after the step.
    let waker = runnable.waker();
    let meta: *const TaskMeta = runnable.metadata();
    let began = trace_log::step_begins();
    runnable.run();
    // SAFETY: `waker` keeps the allocation where the metadata lives.
    trace_log::step_ended(unsafe { &*meta }, began);
    drop(waker);
}

/// What an eager step borrows from its creator's step, given back on drop.
struct Creator<'a> {
    stepping: &'a Stepping,
    task: *const TaskMeta,
    polling: coroutine::Polling,
    /// The creator's context (context variables).
    vars: Aside,
}

impl Drop for Creator<'_> {
    fn drop(&mut self) {
        self.stepping.current_task.set(self.task);
        coroutine::give_back(self.polling);
        context_store::give_back(self.vars);
    }
}
