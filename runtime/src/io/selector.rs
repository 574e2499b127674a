//! The selector the loop waits in, as asyncio's `SelectorEventLoop` waits in `selectors`: the
//! OS poller (through the `polling` crate: epoll, kqueue, event ports), the readiness of every
//! registered file descriptor, and who waits on it.
//!
//! It keeps two kinds of registration, apart (two slabs; a bit of the poller's key tells them
//! apart), so that each costs only what it needs:
//!
//! * **sources** (edge-triggered, for futures): what a task awaits through
//!   [`Source`](crate::io::source::Source);
//! * **watches** (level-triggered, for callbacks): asyncio's `add_reader` / `add_writer`, a
//!   callback per direction reported each time the poller finds the fd ready.
//!
//! # How a source's readiness is kept
//!
//! Sources are registered edge-triggered for both directions, and each direction keeps a
//! `ready` flag:
//!
//! * it starts `true` (optimistic: a new socket is tried before anything is waited for);
//! * an I/O operation that gets `WouldBlock` clears it ([`Selector::clear_ready`]) and waits
//!   ([`Selector::poll_ready`] stores the task's waker);
//! * an event sets it and hands the waiting waker to the loop.
//!
//! The loop is single-threaded and selects only between task steps, so no event can arrive
//! between an operation's `WouldBlock` and the flag being cleared: a cleared flag always means
//! "nothing happened since the kernel said it would block", and the edge that follows is
//! never lost. One waker per direction (the last to wait): two tasks reading one socket at
//! once is a program error asyncio refuses too ("read() called while another coroutine is
//! already waiting").
//!
//! # How a watch is kept
//!
//! A watch is registered level-triggered, for exactly the directions that have a callback (a
//! writer-less fd must not report "writable" on every select), so each select while the fd is
//! ready reports it again, as asyncio's selector does: the callback runs once per loop pass
//! until the fd is drained or the watch removed. Nothing is cached: a watch has no readiness
//! flag, and the poller is the only truth. Watches are keyed by fd number (asyncio keys
//! `add_reader` by fd), and the number is only borrowed: its owner keeps it open until the
//! watch is removed.
//!
//! This module is a leaf: it knows nothing of the loop, which owns one [`Selector`] and
//! chooses what a watch's callback `C` is.

use std::collections::HashMap;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};
use slab::Slab;

/// Which way a source is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// The bit of a poller key that marks a watch (the rest is its slot in `watches`); sources
/// have it clear. Slab keys never come near it, and it leaves `usize::MAX` (the poller's own
/// notification key) alone.
const WATCH: usize = 1 << (usize::BITS - 2);

/// One direction of a source.
#[derive(Debug)]
struct Readiness {
    ready: bool,
    waker: Option<Waker>,
}

impl Readiness {
    const fn optimistic() -> Self {
        Readiness {
            ready: true,
            waker: None,
        }
    }
}

#[derive(Debug)]
struct SourceState {
    read: Readiness,
    write: Readiness,
}

impl SourceState {
    fn direction(&mut self, direction: Direction) -> &mut Readiness {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

/// How a watch counts for the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WatchKind {
    /// Polled on every pass that does not block, as asyncio selects on every pass (a
    /// program's fds). Without it, the fd is only looked at when the loop blocks in the
    /// selector or when the loop's owner asks ([`Selector::select`] with a zero timeout): the
    /// loop's own signal pipes, which a flag announces.
    pub(crate) every_pass: bool,
    /// Something the program waits for, so a loop with nothing else to do blocks for it
    /// (counts in [`Selector::has_waiters`]).
    pub(crate) waited_for: bool,
}

/// A watched fd: the callback of each direction it is watched for.
#[derive(Debug)]
struct Watch<C> {
    fd: RawFd,
    read: Option<C>,
    write: Option<C>,
    kind: WatchKind,
}

impl<C> Watch<C> {
    fn slot(&mut self, direction: Direction) -> &mut Option<C> {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }

    /// The poller interest matching the callbacks present.
    fn interest(&self, key: usize) -> Event {
        match (self.read.is_some(), self.write.is_some()) {
            (true, true) => Event::all(key | WATCH),
            (true, false) => Event::readable(key | WATCH),
            (false, true) => Event::writable(key | WATCH),
            (false, false) => Event::none(key | WATCH),
        }
    }
}

/// What an event hands the loop.
#[derive(Debug)]
pub(crate) enum Woken<C> {
    /// The waker of a task that awaited a source.
    Task(Waker),
    /// A watch's callback, to run this pass.
    Callback(C),
}

/// The loop's registered sources and watches, and the poller's event buffer. The poller itself
/// is shared with other threads (they [`notify`](Poller::notify) it), so it is passed in.
#[derive(Debug)]
pub(crate) struct Selector<C> {
    sources: Slab<SourceState>,
    /// Directions with a waker stored: I/O the program is waiting for. With none, a loop with
    /// nothing else to do has nothing that could ever wake it.
    waiting: usize,
    watches: Slab<Watch<C>>,
    /// Each watched fd's slot in `watches`.
    watched: HashMap<RawFd, usize>,
    /// How many watches are `every_pass`, and how many `waited_for`.
    every_pass: usize,
    waited_for: usize,
    events: Events,
}

impl<C: Clone> Selector<C> {
    pub(crate) fn new() -> Self {
        Selector {
            sources: Slab::new(),
            waiting: 0,
            watches: Slab::new(),
            watched: HashMap::new(),
            every_pass: 0,
            waited_for: 0,
            events: Events::with_capacity(NonZeroUsize::new(1024).expect("non-zero")),
        }
    }

    /// Whether every pass should ask the poller what is ready: a source or an `every_pass`
    /// watch is registered.
    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.is_empty() || self.every_pass > 0
    }

    /// Whether a level-triggered watch with a callback for every pass is registered (then
    /// every pass must select, as asyncio's does, for the callback to run each pass).
    pub(crate) fn has_every_pass_watches(&self) -> bool {
        self.every_pass > 0
    }

    /// Whether a task waits for I/O, or a watch stands for something the program waits for.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting > 0 || self.waited_for > 0
    }

    // ---- Sources (edge-triggered, for futures).

    /// Registers `fd` (non-blocking, open until [`deregister`](Self::deregister)) for both
    /// directions; returns its key.
    pub(crate) fn register(&mut self, poller: &Poller, fd: BorrowedFd<'_>) -> io::Result<usize> {
        let entry = self.sources.vacant_entry();
        let key = entry.key();
        // SAFETY: the caller keeps `fd` open until it deregisters it (`Source` deregisters in
        // its destructor, before closing the fd), as `add_with_mode` requires.
        unsafe { poller.add_with_mode(&fd, Event::all(key), PollMode::Edge)? };
        entry.insert(SourceState {
            read: Readiness::optimistic(),
            write: Readiness::optimistic(),
        });
        Ok(key)
    }

    /// Removes `fd`, registered under `key`, from the poller; returns the wakers still stored
    /// (for the caller to drop outside its borrow).
    pub(crate) fn deregister(
        &mut self,
        poller: &Poller,
        fd: BorrowedFd<'_>,
        key: usize,
    ) -> [Option<Waker>; 2] {
        // An error here means the fd was already gone from the poller; nothing to undo.
        let _ = poller.delete(fd);
        let state = self.sources.remove(key);
        let wakers = [state.read.waker, state.write.waker];
        self.waiting -= wakers.iter().filter(|w| w.is_some()).count();
        wakers
    }

    /// `Ready` if `key` may be ready for `direction`; otherwise stores `cx`'s waker, to be
    /// woken when an event says it is.
    pub(crate) fn poll_ready(
        &mut self,
        key: usize,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let readiness = self.sources[key].direction(direction);
        if readiness.ready {
            return Poll::Ready(());
        }
        match &mut readiness.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            slot @ None => {
                *slot = Some(cx.waker().clone());
                self.waiting += 1;
            }
        }
        Poll::Pending
    }

    /// Records that an operation on `key` in `direction` would block.
    pub(crate) fn clear_ready(&mut self, key: usize, direction: Direction) {
        self.sources[key].direction(direction).ready = false;
    }

    // ---- Watches (level-triggered, for callbacks).

    /// Watches `fd` for `direction` with `callback` (asyncio's `add_reader` / `add_writer`):
    /// registers it level-triggered if it is new (with `kind`; a watched fd keeps the kind it
    /// was first watched with), widens its interest if it gains a direction. Returns the
    /// callback it replaces.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a negative fd; the poller's error for one it refuses (`EBADF` for a
    /// closed fd, `EPERM` for a regular file, `EEXIST` for an fd a source already uses).
    pub(crate) fn watch(
        &mut self,
        poller: &Poller,
        fd: RawFd,
        direction: Direction,
        callback: C,
        kind: WatchKind,
    ) -> io::Result<Option<C>> {
        if fd < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid file descriptor: {fd}"),
            ));
        }
        if let Some(&key) = self.watched.get(&fd) {
            let watch = &mut self.watches[key];
            let replaced = watch.slot(direction).replace(callback);
            if replaced.is_none() {
                let interest = watch.interest(key);
                if let Err(error) = poller.modify_with_mode(borrow(fd), interest, PollMode::Level) {
                    watch.slot(direction).take();
                    return Err(error);
                }
            }
            return Ok(replaced);
        }
        let entry = self.watches.vacant_entry();
        let key = entry.key();
        let mut watch = Watch {
            fd,
            read: None,
            write: None,
            kind,
        };
        *watch.slot(direction) = Some(callback);
        // SAFETY: `add_with_mode` asks that the fd leave the poller before it closes. A watch
        // leaves it in `unwatch` or `unwatch_all` (the loop's end), and its owner keeps the fd
        // open until then: that is the contract of every watch (asyncio's `add_reader` has the
        // same). An owner who breaks it risks no memory: on the Unix pollers corio runs on
        // (epoll, kqueue, event ports) the kernel keeps no pointer of ours, drops a closed fd
        // from its interest set, and the late delete fails harmlessly.
        unsafe { poller.add_with_mode(fd, watch.interest(key), PollMode::Level)? };
        self.every_pass += usize::from(kind.every_pass);
        self.waited_for += usize::from(kind.waited_for);
        entry.insert(watch);
        self.watched.insert(fd, key);
        Ok(None)
    }

    /// Stops watching `fd` for `direction`; returns its callback if it was watched (for the
    /// caller to drop outside its borrow). The fd leaves the poller with its last direction.
    pub(crate) fn unwatch(
        &mut self,
        poller: &Poller,
        fd: RawFd,
        direction: Direction,
    ) -> Option<C> {
        let key = *self.watched.get(&fd)?;
        let watch = &mut self.watches[key];
        let callback = watch.slot(direction).take()?;
        if watch.read.is_some() || watch.write.is_some() {
            // An error means the fd was closed early (see `watch`): nothing left to narrow.
            let _ = poller.modify_with_mode(borrow(fd), watch.interest(key), PollMode::Level);
        } else {
            self.forget(poller, key);
        }
        Some(callback)
    }

    /// Removes every watch (the loop is ending); returns their callbacks, for the caller to
    /// drop outside its borrow.
    pub(crate) fn unwatch_all(&mut self, poller: &Poller) -> Vec<C> {
        let keys: Vec<usize> = self.watches.iter().map(|(key, _)| key).collect();
        let mut callbacks = Vec::with_capacity(keys.len());
        for key in keys {
            let watch = self.forget(poller, key);
            callbacks.extend(watch.read);
            callbacks.extend(watch.write);
        }
        callbacks
    }

    /// Takes the watch in `key` out of the poller and the tables.
    fn forget(&mut self, poller: &Poller, key: usize) -> Watch<C> {
        let watch = self.watches.remove(key);
        self.watched.remove(&watch.fd);
        self.every_pass -= usize::from(watch.kind.every_pass);
        self.waited_for -= usize::from(watch.kind.waited_for);
        // An error means the fd was closed early (see `watch`): the kernel already dropped it.
        let _ = poller.delete(borrow(watch.fd));
        watch
    }

    // ---- Waiting.

    /// Waits in the poller for at most `timeout` (`None`: until an event or a notification),
    /// marks which sources became ready and hands `woken` each waiting task's waker and each
    /// ready watch's callback, in the order the poller reported the events (for one fd, its
    /// reader before its writer, as asyncio's `_process_events`).
    pub(crate) fn select(
        &mut self,
        poller: &Poller,
        timeout: Option<Duration>,
        mut woken: impl FnMut(Woken<C>),
    ) -> io::Result<()> {
        self.events.clear();
        poller.wait(&mut self.events, timeout)?;
        for event in self.events.iter() {
            if event.key & WATCH != 0 {
                let Some(watch) = self.watches.get(event.key & !WATCH) else {
                    continue;
                };
                for (flag, callback) in [
                    (event.readable, &watch.read),
                    (event.writable, &watch.write),
                ] {
                    if let (true, Some(callback)) = (flag, callback) {
                        woken(Woken::Callback(callback.clone()));
                    }
                }
                continue;
            }
            let Some(state) = self.sources.get_mut(event.key) else {
                continue;
            };
            for (flag, readiness) in [
                (event.readable, &mut state.read),
                (event.writable, &mut state.write),
            ] {
                if flag {
                    readiness.ready = true;
                    if let Some(waker) = readiness.waker.take() {
                        self.waiting -= 1;
                        woken(Woken::Task(waker));
                    }
                }
            }
        }
        Ok(())
    }
}

/// `fd` as the poller's `modify` and `delete` take it.
fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: `fd` is not -1 (`watch` refuses negative fds), and the `BorrowedFd` only lives
    // for one `epoll_ctl`-like call on a watched fd, which the watch's owner keeps open until
    // it is unwatched (see `watch`). Were it closed early, the call would fail with `EBADF`:
    // the kernel checks the number, nothing is read through it.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
