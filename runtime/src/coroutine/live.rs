//! The live frames of this thread, recorded in debug mode: one entry per coroutine that has
//! started and not yet returned or been dropped, with the await site it is at and the frame
//! it runs inside. What [`capture_call_graph`](crate::capture_call_graph) reads to say where
//! each task is.
//!
//! A frame registers on its first poll, updates its entry's site each time it suspends, and
//! leaves when it returns or is dropped. The entries hold copies (the coroutine's static info,
//! a site index, the enclosing entry's key), never pointers into frames, so a frame dropped
//! elsewhere leaves at worst a stale entry, never a dangling one. A frame's key is its entry's
//! index tagged with the low bits of the entry's registration number, so a frame polled or
//! dropped on another thread than the one it registered on (a `Send` coroutine moved there)
//! does not touch an entry that is not its own, but for a 1-in-4096 chance of naming one
//! registered there since, which costs a wrong line in a call graph, nothing more.
//!
//! The enclosing frame is the one being polled when a frame first runs: the thread-local
//! [`CURRENT`], saved and restored by each live frame's poll (out of line, off the frame's plain
//! path). Futures that are not coroutines (`gather!`, a `select`, a handle) are transparent: a
//! coroutine inside `gather!` inside `main` has `main` as its enclosing frame.

use std::cell::{Cell, RefCell};
use std::panic::Location;

use slab::Slab;

use super::CoroutineInfo;

/// No entry: not registered (outside debug mode), or no enclosing frame.
pub(crate) const NONE: u32 = u32::MAX;

/// A key's index bits: up to 2^20 live frames per thread are recorded (more go unrecorded).
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

thread_local! {
    /// The live frames of this thread.
    static LIVE: RefCell<Slab<LiveFrame>> = const { RefCell::new(Slab::new()) };
    /// The key of the frame being polled on this thread, or `NONE`.
    static CURRENT: Cell<u32> = const { Cell::new(NONE) };
    /// Numbers registrations, so the call graph lists siblings as they started.
    static NEXT_SEQ: Cell<u64> = const { Cell::new(0) };
    /// While frames starting on this thread register (a loop in debug mode runs here): the
    /// loop's answer to "which task's step runs now?" (see [`set_recording`]).
    static RECORDING: Cell<Option<RunningTask>> = const { Cell::new(None) };
}

/// Names the task whose step runs on this thread: its metadata's address and id, or `(0, 0)`
/// outside any task. Given by the loop, which owns that knowledge: frames work on any
/// executor and know nothing of the loop.
pub(crate) type RunningTask = fn() -> (usize, u64);

/// One live frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LiveFrame {
    pub(crate) info: &'static CoroutineInfo,
    /// The index in `info`'s sites of the await it is suspended at, or `u16::MAX`.
    pub(crate) site: u16,
    /// The enclosing frame's key, or `NONE` for a task's outermost coroutine.
    pub(crate) parent: u32,
    /// For an outermost coroutine: the task it first ran in (its metadata's address and id),
    /// or `(0, 0)` outside any task.
    pub(crate) task: (usize, u64),
    /// When it registered, in this thread's order.
    pub(crate) seq: u64,
    /// While its frame is polled: the key of the frame that was being polled before.
    enclosing: u32,
    /// Where the coroutine was created.
    pub(crate) created_at: &'static Location<'static>,
}

impl LiveFrame {
    /// Whether `key` names this entry.
    fn is(&self, key: u32) -> bool {
        (self.seq as u32) << INDEX_BITS == key & !INDEX_MASK
    }
}

/// Whether frames starting now register among the live ones.
#[inline(always)]
pub(crate) fn recording() -> bool {
    RECORDING.get().is_some()
}

/// Starts registering the frames that start on this thread (`Some`, with the loop's way of
/// naming the task each belongs to), or stops (`None`).
pub(crate) fn set_recording(running_task: Option<RunningTask>) {
    RECORDING.set(running_task);
}

/// Registers a frame of `info` (created at `created_at`) starting its first poll inside the
/// frame being polled now (if any), and makes it the frame being polled; returns its key.
#[cold]
#[inline(never)]
pub(crate) fn register(
    info: &'static CoroutineInfo,
    created_at: &'static Location<'static>,
) -> u32 {
    let parent = CURRENT.get();
    let task = match RECORDING.get() {
        Some(running_task) if parent == NONE => running_task(),
        _ => (0, 0),
    };
    let seq = NEXT_SEQ.replace(NEXT_SEQ.get() + 1);
    let entry = LiveFrame {
        info,
        site: u16::MAX,
        parent,
        task,
        seq,
        enclosing: parent,
        created_at,
    };
    let key = LIVE.with_borrow_mut(|live| {
        let slot = live.vacant_entry();
        let index = u32::try_from(slot.key()).ok().filter(|i| *i < INDEX_MASK)?;
        slot.insert(entry);
        Some(index | (seq as u32) << INDEX_BITS)
    });
    match key {
        Some(key) => {
            CURRENT.set(key);
            key
        }
        None => NONE,
    }
}

/// Runs `f` on the entry `key` names, if it is there.
fn with_entry<R>(key: u32, f: impl FnOnce(&mut Slab<LiveFrame>, usize) -> R) -> Option<R> {
    // `try_with`: a frame dropped while this thread's locals are torn down has nothing to do.
    LIVE.try_with(|live| {
        let mut live = live.borrow_mut();
        let index = (key & INDEX_MASK) as usize;
        let own = live.get(index).is_some_and(|entry| entry.is(key));
        own.then(|| f(&mut live, index))
    })
    .ok()
    .flatten()
}

/// Makes the frame `key` the one being polled (a suspended frame resumed), keeping the one it
/// replaces in its entry for [`leave`].
#[inline(never)]
pub(crate) fn enter(key: u32) {
    let enclosing = CURRENT.replace(key);
    with_entry(key, |live, index| live[index].enclosing = enclosing);
}

/// Ends the poll of the frame `key`: gives the enclosing frame its place back, and records
/// the site it is suspended at, or removes its entry if it returned.
#[inline(never)]
pub(crate) fn leave(key: u32, site: u16, returned: bool) {
    let enclosing = with_entry(key, |live, index| {
        let enclosing = live[index].enclosing;
        if returned {
            live.remove(index);
        } else {
            live[index].site = site;
        }
        enclosing
    });
    // Not its own entry (see the module docs): the enclosing frame is unknown.
    CURRENT.set(enclosing.unwrap_or(NONE));
}

/// Removes the entry of the frame `key` (dropped unfinished), if it is its own.
#[cold]
#[inline(never)]
pub(crate) fn remove(key: u32) {
    with_entry(key, |live, index| live.remove(index));
}

/// After a panic unwound out of polls: no frame is being polled.
pub(crate) fn reset_current() {
    CURRENT.set(NONE);
}

/// Makes no frame the one being polled, for a task step run inside another frame's poll (an
/// eager task's first step: its outermost frame is a task's, not the creator's child);
/// returns the frame that was, for [`restore_current`].
pub(crate) fn take_current() -> u32 {
    CURRENT.replace(NONE)
}

/// Gives back the frame [`take_current`] returned, however the step ended.
pub(crate) fn restore_current(key: u32) {
    CURRENT.set(key);
}

/// A copy of every live frame on this thread, with its key.
pub(crate) fn snapshot() -> Vec<(u32, LiveFrame)> {
    LIVE.with_borrow(|live| {
        live.iter()
            .map(|(index, entry)| (index as u32 | (entry.seq as u32) << INDEX_BITS, *entry))
            .collect()
    })
}

/// The outermost frame of the task `task` (its metadata's address and id) that started first.
pub(crate) fn outermost_of(task: (usize, u64)) -> Option<LiveFrame> {
    LIVE.try_with(|live| {
        live.borrow()
            .iter()
            .map(|(_, entry)| *entry)
            .filter(|entry| entry.parent == NONE && entry.task == task)
            .min_by_key(|entry| entry.seq)
    })
    .ok()
    .flatten()
}
