//! The raw record of a traced run ([`Runner::trace`](crate::Runner::trace)): what the loop's
//! hooks append while a tracing runner's loop runs on this thread, one event per task creation,
//! task step and task end. `crate::trace` turns it into the public [`Trace`](crate::Trace).
//!
//! A traced run records coroutine frames as debug mode does, so the hooks on the hot paths (a
//! task's step, its creation) sit behind debug mode's own test (`live::recording()`) and cost
//! nothing more; the others (an eager first step, a future dropped unfinished) test the
//! thread-local [`ON`]. The log lives in a thread-local only while a [`Recording`] holds it
//! there (the runner keeps it between runs). Passes are the loop's own count.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::coroutine::live::{self, LiveFrame};
use crate::coroutine::{AwaitSite, CoroutineInfo};
use crate::rt::awaited_by;
use crate::rt::context;
use crate::rt::task_state::{CANCELLED, DONE, FAILED, PANICKED, TaskMeta};

thread_local! {
    /// Whether a traced loop runs on this thread: [`LOG`] then holds its log.
    static ON: Cell<bool> = const { Cell::new(false) };
    /// The log of the traced loop running on this thread.
    static LOG: RefCell<Option<TraceLog>> = const { RefCell::new(None) };
}

/// What a traced run recorded, in the order it happened.
#[derive(Debug, Default)]
pub(crate) struct TraceLog {
    pub(crate) events: Vec<Event>,
}

/// One thing that happened to the task numbered `task`, at loop time `time_ns` in pass `pass`.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) task: u64,
    pub(crate) time_ns: u64,
    pub(crate) pass: u64,
    pub(crate) kind: EventKind,
}

/// A frame a step left suspended: the innermost coroutine of one branch of the task.
pub(crate) type SuspendedFrame = (&'static CoroutineInfo, Option<&'static AwaitSite>);

#[derive(Debug)]
pub(crate) enum EventKind {
    /// The task was created, under this name.
    Created(String),
    /// A step that returned `Pending`: the task's outermost coroutine (the first it runs
    /// directly), and the innermost frames of its coroutines (the leaves of its frame tree, in
    /// the order they started).
    Suspended {
        outermost: Option<&'static CoroutineInfo>,
        frames: Vec<SuspendedFrame>,
    },
    /// A step that ended the task (`stepped`), or its future dropped unfinished without a
    /// step (the loop's end, a dropped handle): the state bits it ended with, its name then.
    Ended {
        bits: u8,
        stepped: bool,
        name: String,
    },
}

/// Whether a traced loop runs on this thread.
#[inline(always)]
pub(crate) fn on() -> bool {
    ON.get()
}

/// Holds a runner's log in this thread's slot while its loop runs (or ends), and puts it back
/// into `home` when dropped.
pub(crate) struct Recording<'a> {
    home: &'a RefCell<Option<TraceLog>>,
}

impl<'a> Recording<'a> {
    /// Starts recording into the log in `home`, if there is one (the runner traces).
    pub(crate) fn start(home: &'a RefCell<Option<TraceLog>>) -> Self {
        if let Some(log) = home.borrow_mut().take() {
            LOG.set(Some(log));
            ON.set(true);
        }
        Recording { home }
    }
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        if ON.replace(false) {
            *self.home.borrow_mut() = LOG.take();
        }
    }
}

/// The loop's time and pass.
fn now() -> (u64, u64) {
    context::try_with_current(|core| (core.now(), core.passes())).unwrap_or((0, 0))
}

/// Appends an event for `meta` at loop time `time_ns` in pass `pass`.
fn push(meta: &TaskMeta, (time_ns, pass): (u64, u64), kind: EventKind) {
    LOG.with_borrow_mut(|log| {
        if let Some(log) = log {
            log.events.push(Event {
                task: meta.id(),
                time_ns,
                pass,
                kind,
            });
        }
    });
}

/// Hook: the task `meta` was created. Called while frames are recorded (debug mode or a
/// traced run).
#[inline]
pub(crate) fn created(meta: &TaskMeta) {
    if on() {
        push(meta, now(), EventKind::Created(meta.name().into_owned()));
    }
}

/// Hook, in a traced run: a task's step begins. The loop time and pass it begins at (a real
/// clock moves during the step), for [`step_ended`].
pub(crate) fn step_begins() -> (u64, u64) {
    now()
}

/// Hook: the step of `meta` that began at `at` (what [`step_begins`] gave) just ended. The
/// caller keeps the task's allocation, hence `meta`, alive.
#[inline(never)]
pub(crate) fn step_ended(meta: &TaskMeta, at: (u64, u64)) {
    let kind = if meta.has(DONE) {
        // A closed task's run drops its future without polling it: `dropped` told the end.
        let told = LOG.with_borrow(|log| {
            log.as_ref()
                .and_then(|log| log.events.last())
                .is_some_and(|last| {
                    last.task == meta.id() && matches!(last.kind, EventKind::Ended { .. })
                })
        });
        if told {
            return;
        }
        ended_kind(meta, true)
    } else {
        suspended(awaited_by::key_of(meta))
    };
    push(meta, at, kind);
}

/// Hook: the future of `meta` was dropped unfinished, without a step.
#[inline]
pub(crate) fn dropped(meta: &TaskMeta) {
    if on() {
        push(meta, now(), ended_kind(meta, false));
    }
}

fn ended_kind(meta: &TaskMeta, stepped: bool) -> EventKind {
    let bits = [CANCELLED, PANICKED, FAILED]
        .into_iter()
        .filter(|bit| meta.has(*bit))
        .fold(0, |bits, bit| bits | bit);
    EventKind::Ended {
        bits,
        stepped,
        name: meta.name().into_owned(),
    }
}

/// Where the task `task` is suspended: its outermost live frame, and its innermost ones (the
/// frames of its tree no other frame runs inside), in the order they started, each with the
/// await it is suspended at.
fn suspended(task: awaited_by::TaskKey) -> EventKind {
    let mut frames = live::snapshot();
    frames.sort_by_key(|(_, frame)| frame.seq);
    let by_key: HashMap<u32, LiveFrame> = frames.iter().copied().collect();
    let in_task = |frame: &LiveFrame| {
        let mut frame = *frame;
        // A chain longer than the live frames is a stale loop: not this task's.
        for _ in 0..=by_key.len() {
            if frame.parent == live::NONE {
                return frame.task == task;
            }
            match by_key.get(&frame.parent) {
                Some(parent) => frame = *parent,
                None => return false,
            }
        }
        false
    };
    let ours: Vec<&(u32, LiveFrame)> = frames.iter().filter(|(_, f)| in_task(f)).collect();
    let outermost = ours
        .iter()
        .find(|(_, frame)| frame.parent == live::NONE)
        .map(|(_, frame)| frame.info);
    let frames = ours
        .iter()
        .filter(|(key, _)| !ours.iter().any(|(_, inner)| inner.parent == *key))
        .map(|(_, frame)| {
            let site = frame.info.await_sites().get(usize::from(frame.site));
            (frame.info, site)
        })
        .collect();
    EventKind::Suspended { outermost, frames }
}
