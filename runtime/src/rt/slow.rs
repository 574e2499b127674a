//! Debug mode's slow-callback reports, as asyncio's: a task step or a callback that holds the
//! loop longer than the loop's `slow_callback_duration` (100 ms unless set) is reported on
//! stderr, `Executing <Task pending name='Task-2' coro=<worker() running at src/main.rs:9:20>>
//! took 0.152 seconds`. Durations are real time, under virtual time too: a step takes no loop
//! time there, yet holds the thread all the same.
//!
//! Outside debug mode a step or callback costs one thread-local test more. A traced run
//! records frames as debug mode does, so its steps come through [`timed_step`] too, to be
//! recorded (`rt::trace_log`); they are reported only in debug mode.

use std::fmt;
use std::io::Write as _;
use std::time::Instant;

use async_task::Runnable;

use crate::coroutine::live;
use crate::rt::remote::LoopShared;
use crate::rt::task_state::{Described, TaskMeta};
use crate::rt::trace_log;

/// Runs a task's step; in debug mode, timed and reported if slow; in a traced run, recorded.
#[inline(always)]
pub(crate) fn step(shared: &LoopShared, runnable: Runnable<TaskMeta>) {
    if live::recording() {
        timed_step(shared, runnable);
    } else {
        runnable.run();
    }
}

#[inline(never)]
fn timed_step(shared: &LoopShared, runnable: Runnable<TaskMeta>) {
    if trace_log::on() {
        return traced_step(shared, runnable);
    }
    // Keeps the task's allocation, hence its metadata, alive after the step.
    let waker = runnable.waker();
    let meta: *const TaskMeta = runnable.metadata();
    let start = Instant::now();
    runnable.run();
    let took = start.elapsed();
    if took.as_nanos() >= u128::from(shared.slow_callback_ns()) {
        // SAFETY: `waker` keeps the task's allocation (where the metadata lives) alive.
        let meta = unsafe { &*meta };
        report(&Described(meta), took.as_secs_f64());
    }
    drop(waker);
}

/// A step of a traced run: recorded, and in debug mode timed as [`timed_step`] times it.
#[inline(never)]
fn traced_step(shared: &LoopShared, runnable: Runnable<TaskMeta>) {
    // Keeps the task's allocation, hence its metadata, alive after the step.
    let waker = runnable.waker();
    let meta: *const TaskMeta = runnable.metadata();
    let began = trace_log::step_begins();
    let start = Instant::now();
    runnable.run();
    let took = start.elapsed();
    // SAFETY: `waker` keeps the task's allocation (where the metadata lives) alive.
    let meta = unsafe { &*meta };
    trace_log::step_ended(meta, began);
    if shared.debug() && took.as_nanos() >= u128::from(shared.slow_callback_ns()) {
        report(&Described(meta), took.as_secs_f64());
    }
    drop(waker);
}

/// Runs a callback (`what` names its kind); in debug mode, timed and reported if slow.
#[inline(always)]
pub(crate) fn callback(shared: &LoopShared, what: &str, run: impl FnOnce()) {
    if live::recording() {
        let start = Instant::now();
        run();
        let took = start.elapsed();
        if shared.debug() && took.as_nanos() >= u128::from(shared.slow_callback_ns()) {
            report(&format_args!("<Handle {what}>"), took.as_secs_f64());
        }
    } else {
        run();
    }
}

#[cold]
fn report(what: &dyn fmt::Display, seconds: f64) {
    // Not `eprintln!`: it panics when stderr is closed.
    let _ = writeln!(
        std::io::stderr(),
        "Executing {what} took {seconds:.3} seconds"
    );
}
