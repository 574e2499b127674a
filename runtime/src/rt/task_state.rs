//! What the loop and the handles know of a task: its state bits and metadata, kept in the
//! task's own allocation (async-task's metadata slot), and the registry entry the loop keeps
//! per unfinished task.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Poll, Waker};

use crate::coroutine::live;
use crate::rt::awaited_by;
use crate::rt::callbacks;
use crate::rt::context;
use crate::rt::context_store::{self, Ctx, TaskVars};
use crate::rt::remote::{LoopShared, Remote};

/// The task was asked to cancel (by `cancel()`, the loop's end, or a dropped awaiter).
pub(crate) const CANCEL_REQUESTED: u8 = 1 << 0;
/// The task has finished: returned, panicked or been cancelled. Its future is gone.
pub(crate) const DONE: u8 = 1 << 1;
/// It finished by cancellation.
pub(crate) const CANCELLED: u8 = 1 << 2;
/// It finished by panicking.
pub(crate) const PANICKED: u8 = 1 << 3;
/// Someone waits for its end through its extension (a `TaskRef` await, a done callback): the
/// end wakes or schedules them.
const WATCHED: u8 = 1 << 4;
/// It finished with an `Err` that counts as asyncio counts an exception: a task made with
/// `create_task_try` (its output is that `Err`), or a group's fallible member (its `Err` went
/// to the group).
pub(crate) const FAILED: u8 = 1 << 5;
/// It has a context (context variables) of its own, in its extension: a step makes it
/// current. A task created in an empty context has none until it sets a variable.
pub(crate) const HAS_VARS: u8 = 1 << 6;

/// A task's metadata; lives in the task's allocation, so it is kept to 32 bytes (what few tasks
/// have, a name or a cancel message, is behind one thin pointer allocated on first use).
pub(crate) struct TaskMeta {
    /// Per-loop counter, from 1 (the main future); names tasks `Task-<id>`.
    id: u64,
    /// Null until the task is given a name or a cancel message; then a `Box<TaskExt>`, freed
    /// with the metadata.
    ext: AtomicPtr<TaskExt>,
    /// The task's slot in its loop's registry while it is unfinished.
    key: u32,
    /// `CANCEL_REQUESTED | DONE | CANCELLED | PANICKED` bits.
    state: AtomicU8,
    /// The loop that runs the task: wakes from other threads go to its remote queue.
    shared: Arc<LoopShared>,
}

/// What few tasks have: a given name, a cancel message. Set from any thread (a `Task` is
/// `Send`), hence the mutexes; read rarely.
#[derive(Default)]
struct TaskExt {
    name: Mutex<Option<Arc<str>>>,
    cancel_message: Mutex<Option<Arc<str>>>,
    /// What waits for the task's end, in registration order (asyncio's `_callbacks`).
    done: Mutex<Vec<DoneEntry>>,
    /// Where the task was created, when it was created in debug mode.
    created_at: OnceLock<&'static Location<'static>>,
    /// Its context between steps (`HAS_VARS`); the loop's thread only.
    vars: TaskVars,
}

impl Drop for TaskExt {
    fn drop(&mut self) {
        // Empty whenever the task finished (`finish` takes the list). Were it not, a callback
        // could be here off its loop's thread: leak rather than drop it there.
        let entries = std::mem::take(self.done.get_mut().unwrap_or_else(PoisonError::into_inner));
        entries.into_iter().for_each(|entry| {
            if let DoneEntry::Callback(callback) = entry {
                std::mem::forget(callback);
            }
        });
    }
}

/// One thing waiting for a task's end. Awaiters and done callbacks share one list, so at the
/// end they are woken and scheduled in the order they came, as asyncio's awaiters (whose
/// wake-up is a done callback) and callbacks are.
enum DoneEntry {
    /// An awaiter: woken at the end (a task's wake is a `call_soon` of its step).
    Wake(Waker),
    /// A done callback: scheduled with `call_soon` at the end.
    Callback(LoopCallback),
    /// A callback taken out by `remove_done_callback`; the slot stays, so ids stay valid.
    Removed,
}

/// A done callback: not `Send`, as asyncio's callbacks are not, yet kept in the metadata that
/// other threads can reach through a `Task`.
struct LoopCallback(Box<dyn FnOnce()>);

// SAFETY: a `LoopCallback` is made only on the task's loop thread (`add_done_callback` checks
// it runs there) and is run or dropped only there: by `finish`, which runs in the task's step
// or in its body's drop, both on the loop's thread, or by `remove_done_callback` (checked as
// `add_done_callback`). `TaskExt::drop` leaks any left rather than drop them elsewhere.
unsafe impl Send for LoopCallback {}

/// Wakes the awaiters and schedules the done callbacks of a finished task, in order.
fn run_entries(entries: Vec<DoneEntry>) {
    for entry in entries {
        match entry {
            DoneEntry::Wake(waker) => waker.wake(),
            // Off a running loop (its end), the callback is dropped unrun. It carries the
            // context it was added in, not the finishing task's.
            DoneEntry::Callback(LoopCallback(callback)) => {
                context::try_with_current(|core| {
                    let _handle = callbacks::call_soon_bound(core, callback);
                });
            }
            DoneEntry::Removed => {}
        }
    }
}

/// Adds `waker` to `entries` unless one that wakes the same task is there already.
fn push_waker(entries: &mut Vec<DoneEntry>, waker: &Waker) {
    let known = entries
        .iter()
        .any(|entry| matches!(entry, DoneEntry::Wake(known) if known.will_wake(waker)));
    if !known {
        entries.push(DoneEntry::Wake(waker.clone()));
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TaskMeta {
    #[inline]
    pub(crate) fn new(id: u64, key: u32, name: Option<String>, shared: Arc<LoopShared>) -> Self {
        let meta = TaskMeta {
            id,
            ext: AtomicPtr::new(ptr::null_mut()),
            key,
            state: AtomicU8::new(0),
            shared,
        };
        if let Some(name) = name {
            meta.set_name(name);
        }
        meta
    }

    /// The extension, if it was allocated.
    fn ext(&self) -> Option<&TaskExt> {
        let ext = self.ext.load(Ordering::Acquire);
        // SAFETY: a non-null `ext` was made by `Box::into_raw` in `ext_or_init` and is freed
        // only in `drop`, which `&self` rules out.
        (!ext.is_null()).then(|| unsafe { &*ext })
    }

    /// The extension, allocated on first use (by whichever thread gets there first).
    fn ext_or_init(&self) -> &TaskExt {
        if let Some(ext) = self.ext() {
            return ext;
        }
        let new = Box::into_raw(Box::<TaskExt>::default());
        match self
            .ext
            .compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: `new` was just made by `Box::into_raw` and now belongs to `self.ext`.
            Ok(_) => unsafe { &*new },
            Err(existing) => {
                // SAFETY: `new` lost the race and was never shared: it is ours to free.
                drop(unsafe { Box::from_raw(new) });
                // SAFETY: as in `ext`: `existing` is non-null and lives as long as `self`.
                unsafe { &*existing }
            }
        }
    }

    /// Names the task, as asyncio's `Task.set_name()`.
    pub(crate) fn set_name(&self, name: String) {
        *locked(&self.ext_or_init().name) = Some(name.into());
    }

    /// The message of `cancel_with`, if the task was cancelled with one.
    pub(crate) fn cancel_message(&self) -> Option<Arc<str>> {
        self.ext()
            .and_then(|ext| locked(&ext.cancel_message).clone())
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Whether the task has a context of its own (see `context_store`).
    #[inline(always)]
    pub(crate) fn has_vars(&self) -> bool {
        self.state.load(Ordering::Acquire) & HAS_VARS != 0
    }

    /// Keeps `ctx` as the task's context until its next step. On the loop's thread.
    pub(crate) fn put_vars(&self, ctx: Ctx) {
        self.ext_or_init().vars.put(ctx);
        self.mark(HAS_VARS);
    }

    /// Takes the task's context out (empty if it has none). On the loop's thread.
    pub(crate) fn take_vars(&self) -> Ctx {
        self.ext().map(|ext| ext.vars.take()).unwrap_or_default()
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

    /// The state bits, for a step that tests several with one load.
    #[inline(always)]
    pub(crate) fn bits(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// Whether `bit` is set.
    #[inline(always)]
    pub(crate) fn has(&self, bit: u8) -> bool {
        self.state.load(Ordering::Acquire) & bit != 0
    }

    pub(crate) fn name(&self) -> Cow<'_, str> {
        match self.ext().and_then(|ext| locked(&ext.name).clone()) {
            Some(name) => Cow::Owned(name.to_string()),
            None => Cow::Owned(format!("Task-{}", self.id)),
        }
    }

    /// `Ready` once the task has finished; otherwise `waker` is woken when it does. Works from
    /// any thread.
    pub(crate) fn poll_done(&self, waker: &Waker) -> Poll<()> {
        if self.has(DONE) {
            return Poll::Ready(());
        }
        let ext = self.ext_or_init();
        let mut entries = locked(&ext.done);
        // `WATCHED` and `DONE` are set on one atomic: either the end sees `WATCHED` (and then
        // takes this lock, after the push below), or this sees `DONE`.
        if self.state.fetch_or(WATCHED, Ordering::AcqRel) & DONE != 0 {
            return Poll::Ready(());
        }
        push_waker(&mut entries, waker);
        drop(entries);
        awaited_by::note(self);
        Poll::Pending
    }

    /// For the `Task` handle's await, which async-task wakes after the task's step: when the
    /// task has an extension (done callbacks, a name, ...), `waker` also joins its list, so the
    /// end wakes it in its place among the callbacks (a second wake from async-task is then a
    /// no-op). Without one, nothing is allocated: no callback can come before it.
    /// In debug mode, the task whose step runs is noted as its awaiter.
    pub(crate) fn also_wake_in_order(&self, waker: &Waker) {
        awaited_by::note(self);
        let Some(ext) = self.ext() else { return };
        let mut entries = locked(&ext.done);
        if self.state.fetch_or(WATCHED, Ordering::AcqRel) & DONE == 0 {
            push_waker(&mut entries, waker);
        }
    }

    /// Adds a done callback, as `Task.add_done_callback()`; its slot, or the callback back if
    /// the task has already finished (the caller schedules it at once). On the loop's thread.
    pub(crate) fn add_done_callback(
        &self,
        callback: Box<dyn FnOnce()>,
    ) -> Result<usize, Box<dyn FnOnce()>> {
        if self.has(DONE) {
            return Err(callback);
        }
        let ext = self.ext_or_init();
        let mut entries = locked(&ext.done);
        if self.state.fetch_or(WATCHED, Ordering::AcqRel) & DONE != 0 {
            return Err(callback);
        }
        // It runs in a copy of the context current now, as asyncio's (not the finishing
        // task's: `run_entries` schedules it as it is).
        let callback: Box<dyn FnOnce()> = if context_store::current_is_empty() {
            callback
        } else {
            let bound = context_store::bind(callback);
            Box::new(move || bound.call())
        };
        entries.push(DoneEntry::Callback(LoopCallback(callback)));
        Ok(entries.len() - 1)
    }

    /// Removes the done callback in `slot` if it has not been scheduled yet; how many were
    /// removed (`0` or `1`), as `remove_done_callback()`. On the loop's thread.
    pub(crate) fn remove_done_callback(&self, slot: usize) -> usize {
        let Some(ext) = self.ext() else { return 0 };
        let removed = match locked(&ext.done).get_mut(slot) {
            Some(entry @ DoneEntry::Callback(_)) => {
                Some(std::mem::replace(entry, DoneEntry::Removed))
            }
            _ => None,
        };
        // Dropped outside the lock: the closure's captures may touch this task.
        usize::from(removed.is_some())
    }

    /// Marks the task finished (`DONE` plus `bits`), then wakes its awaiters and schedules its
    /// done callbacks (`call_soon`), in the order they came.
    #[inline]
    pub(crate) fn finish(&self, bits: u8) {
        if self.state.fetch_or(DONE | bits, Ordering::AcqRel) & WATCHED != 0 {
            self.run_done_list();
        }
    }

    /// The end's wakes and callbacks, for a task something waits on through its extension.
    #[cold]
    #[inline(never)]
    fn run_done_list(&self) {
        let Some(ext) = self.ext() else { return };
        let entries = std::mem::take(&mut *locked(&ext.done));
        run_entries(entries);
    }

    /// Records where the task was created (debug mode).
    #[cold]
    pub(crate) fn set_created_at(&self, at: &'static Location<'static>) {
        let _ = self.ext_or_init().created_at.set(at);
    }

    /// Where the task was created, if it was created in debug mode.
    pub(crate) fn created_at(&self) -> Option<&'static Location<'static>> {
        self.ext()?.created_at.get().copied()
    }

    /// asyncio's task repr: `<Task pending name='Task-2'>`, `<Task cancelled ...>`, ...
    pub(crate) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.has(CANCELLED) {
            "cancelled"
        } else if self.has(PANICKED) {
            "finished exception=panic"
        } else if self.has(FAILED) {
            "finished exception=Err"
        } else if self.has(DONE) {
            "finished"
        } else if self.has(CANCEL_REQUESTED) {
            "cancelling"
        } else {
            "pending"
        };
        write!(f, "<Task {state} name='{}'", self.name())?;
        // In debug mode, on its loop's thread: its coroutine and where it is, as asyncio's
        // `coro=<worker() running at t.py:5>`.
        if !self.has(DONE)
            && let Some(frame) = live::outermost_of(awaited_by::key_of(self))
        {
            write!(f, " coro=<{}()", frame.info.name())?;
            if let Some(site) = frame.info.await_sites().get(usize::from(frame.site)) {
                write!(
                    f,
                    " running at {}:{}:{}",
                    site.file(),
                    site.line(),
                    site.column()
                )?;
            }
            f.write_str(">")?;
        }
        f.write_str(">")
    }

    /// Panics for a handle awaited again after it returned its result; out of line, as every
    /// await tests for it.
    #[cold]
    #[inline(never)]
    pub(crate) fn awaited_again(&self) -> ! {
        let task = Described(self);
        panic!(
            "corio: {task} was awaited again after it returned its result; keep the result of \
             the first await"
        )
    }

    /// Cancels: marks the task, then schedules it so its next step drops the future. Returns
    /// `false` when the task has already finished. Works from any thread. A `message` is what
    /// the task's `TaskError` shows (asyncio's `cancel(msg)`); a later one replaces it.
    pub(crate) fn cancel(&self, message: Option<String>) -> bool {
        if self.has(DONE) {
            return false;
        }
        if let Some(message) = message {
            *locked(&self.ext_or_init().cancel_message) = Some(message.into());
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

impl Drop for TaskMeta {
    // Inlined into the drop of each task's allocation: most tasks have no extension.
    #[inline]
    fn drop(&mut self) {
        let ext = *self.ext.get_mut();
        if !ext.is_null() {
            free_ext(ext);
        }
    }
}

#[cold]
#[inline(never)]
fn free_ext(ext: *mut TaskExt) {
    // SAFETY: made by `Box::into_raw` in `ext_or_init`, and only `TaskMeta::drop` frees it,
    // once.
    drop(unsafe { Box::from_raw(ext) });
}

/// A task's repr, as `Display`.
pub(crate) struct Described<'a>(pub(crate) &'a TaskMeta);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
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
