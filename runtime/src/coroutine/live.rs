//! The live frames of this thread: one entry per coroutine that has started and not yet
//! returned or been dropped, with the await site it is at and the frame it runs inside.
//! What [`capture_call_graph`](crate::capture_call_graph) reads to say where each task is.
//!
//! A frame registers on its first poll, updates its entry's site each time it suspends, and
//! leaves when it returns or is dropped. The entries hold copies (the coroutine's static info,
//! a site index, the enclosing entry's key), never pointers into frames, so a frame that is
//! dropped elsewhere leaves at worst a stale entry, never a dangling one. An entry knows its
//! frame by address (a coroutine is `!Unpin`: its frame never moves once polled), so a frame
//! dropped on another thread than the one it registered on, or registered afresh there, never
//! removes an entry that is not its own.
//!
//! The enclosing frame is the one being polled when a frame first runs: the thread-local
//! [`CURRENT`], saved and restored by each frame's poll as the await site is. Futures that are
//! not coroutines (`gather!`, a `select`, a handle) are transparent: a coroutine inside
//! `gather!` inside `main` has `main` as its enclosing frame.

use std::cell::{Cell, RefCell};

use slab::Slab;

use super::CoroutineInfo;
use crate::rt::context;

/// No entry: not registered (a frame before its first poll), or no enclosing frame.
pub(crate) const NONE: u32 = u32::MAX;

thread_local! {
    /// The live frames of this thread.
    static LIVE: RefCell<Slab<LiveFrame>> = const { RefCell::new(Slab::new()) };
    /// The entry of the frame being polled on this thread, or `NONE`.
    static CURRENT: Cell<u32> = const { Cell::new(NONE) };
    /// The order frames registered in, so the call graph lists siblings as they started.
    static NEXT_SEQ: Cell<u64> = const { Cell::new(0) };
    /// Whether frames starting on this thread register: while a loop that records call
    /// graphs runs here.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}

/// Whether frames starting now register among the live ones.
#[inline(always)]
pub(crate) fn recording() -> bool {
    RECORDING.get()
}

/// Starts or stops registering the frames that start on this thread; returns the previous
/// setting.
pub(crate) fn set_recording(on: bool) -> bool {
    RECORDING.replace(on)
}

/// One live frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LiveFrame {
    /// The frame's address: which frame the entry is.
    frame: usize,
    pub(crate) info: &'static CoroutineInfo,
    /// The index in `info`'s sites of the await it is suspended at, or `u16::MAX`.
    pub(crate) site: u16,
    /// The enclosing frame's entry, or `NONE` for a task's outermost coroutine.
    pub(crate) parent: u32,
    /// When it registered, in this thread's order.
    pub(crate) seq: u64,
    /// While its frame is polled: the entry of the frame that was being polled before.
    enclosing: u32,
    /// For an outermost coroutine: the task it first ran in (its metadata's address and id),
    /// or `(0, 0)` outside any task.
    pub(crate) task: (usize, u64),
}

/// Registers the frame at `frame`, which is starting its first poll inside the frame being
/// polled now (if any); returns its key.
#[inline]
pub(crate) fn register(frame: usize, info: &'static CoroutineInfo) -> u32 {
    let parent = CURRENT.get();
    let task = if parent == NONE {
        current_task()
    } else {
        (0, 0)
    };
    let entry = LiveFrame {
        frame,
        info,
        site: u16::MAX,
        parent,
        task,
        enclosing: NONE,
        seq: NEXT_SEQ.replace(NEXT_SEQ.get() + 1),
    };
    let key = LIVE.with_borrow_mut(|live| live.insert(entry));
    // Past `u32::MAX - 1` live frames on one thread, frames go unregistered.
    u32::try_from(key).unwrap_or(NONE)
}

/// The task whose step runs on this thread: its metadata's address and id.
#[cold]
fn current_task() -> (usize, u64) {
    context::try_with_current(|core| {
        core.current_task().map(|meta| {
            // SAFETY: `current_task` points at the metadata of the task whose step is running,
            // alive for the whole step.
            let id = unsafe { meta.as_ref() }.id();
            (meta.as_ptr() as usize, id)
        })
    })
    .flatten()
    .unwrap_or((0, 0))
}

/// Makes the frame `key` the one being polled, keeping the one it replaces in its entry
/// for [`leave`].
#[inline(never)]
pub(crate) fn enter(key: u32) {
    let enclosing = CURRENT.replace(key);
    LIVE.with_borrow_mut(|live| {
        if let Some(entry) = live.get_mut(key as usize) {
            entry.enclosing = enclosing;
        }
    });
}

/// Ends the poll of the frame `key` at `frame`: gives the enclosing frame its place back, and
/// records the site it is suspended at, or removes its entry if it returned.
pub(crate) fn leave(key: u32, frame: usize, site: u16, returned: bool) {
    LIVE.with_borrow_mut(|live| {
        let Some(entry) = live
            .get_mut(key as usize)
            .filter(|entry| entry.frame == frame)
        else {
            // Not its own (see the module docs): the enclosing frame is unknown.
            CURRENT.set(NONE);
            return;
        };
        CURRENT.set(entry.enclosing);
        if returned {
            live.remove(key as usize);
        } else {
            entry.site = site;
        }
    });
}

/// Removes the entry `key` of the frame at `frame` (dropped unfinished), if it is its own.
pub(crate) fn remove(key: u32, frame: usize) {
    // `try_with`: a frame dropped while this thread's locals are torn down has nothing to do.
    let _ = LIVE.try_with(|live| {
        let mut live = live.borrow_mut();
        if live
            .get(key as usize)
            .is_some_and(|entry| entry.frame == frame)
        {
            live.remove(key as usize);
        }
    });
}

/// After a panic unwound out of polls: no frame is being polled.
pub(crate) fn reset_current() {
    CURRENT.set(NONE);
}

/// A copy of every live frame on this thread, with its key.
pub(crate) fn snapshot() -> Vec<(u32, LiveFrame)> {
    LIVE.with_borrow(|live| {
        live.iter()
            .map(|(key, entry)| (key as u32, *entry))
            .collect()
    })
}

/// The outermost frame of the task `task` (its metadata's address and id) that started first,
/// with the await it is suspended at.
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
