//! What the loop and the handles know of a task: its state bits and metadata, kept in the
//! task's own allocation (async-task's metadata slot), and the registry entry the loop keeps
//! per unfinished task.

use std::borrow::Cow;
use std::fmt;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::Waker;

use crate::rt::context;
use crate::rt::remote::{LoopShared, Remote};

/// The task was asked to cancel (by `cancel()`, the loop's end, or a dropped awaiter).
pub(crate) const CANCEL_REQUESTED: u8 = 1 << 0;
/// The task has finished: returned, panicked or been cancelled. Its future is gone.
pub(crate) const DONE: u8 = 1 << 1;
/// It finished by cancellation.
pub(crate) const CANCELLED: u8 = 1 << 2;
/// It finished by panicking.
pub(crate) const PANICKED: u8 = 1 << 3;

/// A task's metadata; lives in the task's allocation, so it is kept to 32 bytes (a name is a
/// thin pointer; most tasks have none).
pub(crate) struct TaskMeta {
    /// Per-loop counter, from 1 (the main future); names tasks `Task-<id>`.
    id: u64,
    name: Option<Box<TaskName>>,
    /// The task's slot in its loop's registry while it is unfinished.
    key: u32,
    /// `CANCEL_REQUESTED | DONE | CANCELLED | PANICKED` bits.
    state: AtomicU8,
    /// The loop that runs the task: wakes from other threads go to its remote queue.
    shared: Arc<LoopShared>,
}

/// A task's given name, boxed once more so that `TaskMeta` holds a thin pointer.
pub(crate) struct TaskName(String);

impl TaskName {
    pub(crate) fn new(name: String) -> Box<Self> {
        Box::new(TaskName(name))
    }
}

impl TaskMeta {
    pub(crate) fn new(
        id: u64,
        key: u32,
        name: Option<Box<TaskName>>,
        shared: Arc<LoopShared>,
    ) -> Self {
        TaskMeta {
            id,
            name,
            key,
            state: AtomicU8::new(0),
            shared,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn key(&self) -> u32 {
        self.key
    }

    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// Sets state bits.
    pub(crate) fn mark(&self, bits: u8) {
        self.state.fetch_or(bits, Ordering::AcqRel);
    }

    pub(crate) fn request_cancel(&self) {
        self.mark(CANCEL_REQUESTED);
    }

    /// Whether `bit` is set.
    pub(crate) fn has(&self, bit: u8) -> bool {
        self.state.load(Ordering::Acquire) & bit != 0
    }

    pub(crate) fn name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name.0.as_str()),
            None => Cow::Owned(format!("Task-{}", self.id)),
        }
    }

    /// asyncio's task repr: `<Task pending name='Task-2'>`, `<Task cancelled ...>`, ...
    pub(crate) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.has(CANCELLED) {
            "cancelled"
        } else if self.has(PANICKED) {
            "finished exception=panic"
        } else if self.has(DONE) {
            "finished"
        } else if self.has(CANCEL_REQUESTED) {
            "cancelling"
        } else {
            "pending"
        };
        write!(f, "<Task {state} name='{}'>", self.name())
    }

    /// Cancels: marks the task, then schedules it so its next step drops the future. Returns
    /// `false` when the task has already finished. Works from any thread.
    pub(crate) fn cancel(&self) -> bool {
        if self.has(DONE) {
            return false;
        }
        self.request_cancel();
        let on_own_loop = context::try_with_current(|core| {
            if core.owns(&self.shared) {
                core.wake_registered(self.key, self.id);
                true
            } else {
                false
            }
        });
        if on_own_loop != Some(true) {
            self.shared.push_remote(Remote::Cancel {
                key: self.key,
                id: self.id,
            });
        }
        true
    }
}

/// A registry entry: how the loop reaches an unfinished task.
#[derive(Clone)]
pub(crate) struct TaskEntry {
    /// Wakes the task (to cancel it); also keeps its allocation, hence `meta`, alive.
    waker: Waker,
    meta: NonNull<TaskMeta>,
}

impl TaskEntry {
    pub(crate) fn new(waker: Waker, meta: &TaskMeta) -> Self {
        TaskEntry {
            waker,
            meta: NonNull::from(meta),
        }
    }

    pub(crate) fn meta(&self) -> &TaskMeta {
        // SAFETY: `meta` points into the task's allocation, which `waker` keeps alive (async-task
        // frees it only when no waker, runnable or handle is left).
        unsafe { self.meta.as_ref() }
    }

    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Whether this entry is the task `meta`'s (a registry key is reused once freed).
    pub(crate) fn is(&self, meta: &TaskMeta) -> bool {
        ptr::eq(self.meta.as_ptr(), meta)
    }

    /// The entry as its two parts, for a handle that keeps the task alive by its waker.
    pub(crate) fn into_parts(self) -> (Waker, NonNull<TaskMeta>) {
        (self.waker, self.meta)
    }
}
