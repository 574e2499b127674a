//! Which task awaits which, recorded in debug mode for the call graph: asyncio finds it in a
//! future's done callbacks (a task's wake-up is one); corio notes it where an await of a task
//! handle suspends (`.await` on a `Task` or `TaskRef`, and through them `gather!`, `wait`,
//! `as_completed!`), since a waker does not say whose it is.
//!
//! A task is named by its metadata's address and id (unique while it is unfinished, which is
//! when the call graph shows it). The edges to a task go when it finishes; an edge from an
//! awaiter that finished first is skipped by the call graph. An awaiter that stopped waiting
//! while both go on (a `timeout` around `&mut task` that expired) stays listed until the
//! awaited task ends: corio cannot tell a waker that was dropped from one kept.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::coroutine::live;
use crate::rt::context;
use crate::rt::task_state::TaskMeta;

/// A task as the edges name it: its metadata's address and its id.
pub(crate) type TaskKey = (usize, u64);

thread_local! {
    /// For each awaited task, the tasks that await it, in the order they started to.
    static EDGES: RefCell<HashMap<TaskKey, Vec<TaskKey>>> = RefCell::new(HashMap::new());
    /// How many awaited tasks `EDGES` may hold before the finished ones are swept out.
    static SWEEP_AT: Cell<usize> = const { Cell::new(64) };
}

/// The key of a task.
pub(crate) fn key_of(meta: &TaskMeta) -> TaskKey {
    (std::ptr::from_ref(meta) as usize, meta.id())
}

/// In debug mode, notes that the task whose step runs awaits `awaited` (an await of its
/// handle has just suspended). Does nothing outside a task's step or outside debug mode.
#[inline]
pub(crate) fn note(awaited: &TaskMeta) {
    if live::recording() {
        note_slow(awaited);
    }
}

#[inline(never)]
fn note_slow(awaited: &TaskMeta) {
    context::try_with_current(|core| {
        let Some(awaiter) = core.current_task() else {
            return;
        };
        // SAFETY: `current_task` points at the metadata of the task whose step is running,
        // alive for the whole step.
        let awaiter = key_of(unsafe { awaiter.as_ref() });
        let held = EDGES.with_borrow_mut(|edges| {
            let awaiters = edges.entry(key_of(awaited)).or_default();
            if !awaiters.contains(&awaiter) {
                awaiters.push(awaiter);
            }
            edges.len()
        });
        // Edges to finished tasks are swept out once they could outnumber the live ones.
        if held >= SWEEP_AT.get() {
            let alive: Vec<TaskKey> = core
                .task_entries()
                .iter()
                .map(|entry| key_of(entry.meta()))
                .collect();
            retain_alive(&alive);
            SWEEP_AT.set(2 * alive.len() + 64);
        }
    });
}

/// The tasks noted as awaiting `meta`, in the order they started to.
pub(crate) fn awaiters_of(meta: &TaskMeta) -> Vec<TaskKey> {
    EDGES.with_borrow(|edges| edges.get(&key_of(meta)).cloned().unwrap_or_default())
}

/// Drops the edges whose awaited task is not among `alive` (tasks that finished while debug
/// mode was off, or on another loop).
pub(crate) fn retain_alive(alive: &[TaskKey]) {
    EDGES.with_borrow_mut(|edges| edges.retain(|awaited, _| alive.contains(awaited)));
}
