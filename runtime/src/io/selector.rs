//! The selector the loop waits in, as asyncio's `SelectorEventLoop` waits in `selectors`: the
//! OS poller (through the `mio` crate: epoll, kqueue), the readiness of every registered file
//! descriptor, who waits on it, and the waker other threads use to interrupt a wait.
//!
//! One wait is one syscall (`epoll_wait`): `mio` registers every fd edge-triggered, so nothing
//! is re-armed before a wait, and its waker is an eventfd that needs no read after a wake.
//! Timeouts have the poller's millisecond resolution, rounded up, as asyncio's epoll selector
//! rounds them (`math.ceil(timeout * 1e3) * 1e-3`): a loop never wakes before its next timer.
//!
//! It keeps two kinds of registration, apart (two slabs; a bit of the token tells them apart),
//! so that each costs only what it needs:
//!
//! * **sources** (for futures): what a task awaits through
//!   [`Source`](crate::io::source::Source);
//! * **watches** (level-triggered, for callbacks): asyncio's `add_reader` / `add_writer`, a
//!   callback per direction reported each time the poller finds the fd ready.
//!
//! # How a source's readiness is kept
//!
//! Each direction of a source keeps a `ready` flag:
//!
//! * it starts `true` (optimistic: a new socket is tried before anything is waited for);
//! * an I/O operation that gets `WouldBlock` clears it ([`Selector::clear_ready`]) and waits
//!   ([`Selector::poll_ready`] stores the task's waker);
//! * a byte stream's read or write shorter than asked drained the kernel's buffer, and clears
//!   it too ([`Selector::drained`]), sparing the next call its `WouldBlock` syscall (tokio does
//!   the same), unless the direction is **closed**;
//! * an event sets it and hands the waiting waker to the loop.
//!
//! *Closed* is sticky: an event saying the peer's end (FIN, a pipe's write end closing, a
//! hang-up or an error) came sets it for good, because that news often shares its one edge
//! with the last bytes: the short read that takes them must not wait for another edge, or the
//! end would never be read.
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
//! A watch is interested in exactly the directions that have a callback (a writer-less fd must
//! not report "writable" on every select), and behaves level-triggered, as asyncio's selector
//! does: each select while the fd is ready reports it again, so the callback runs once per loop
//! pass until the fd is drained or the watch removed. The poller only has edges, so a watch is
//! re-armed (one `epoll_ctl`) each time it is reported: the kernel then reports it at the next
//! wait if, and only if, it is still ready then. Nothing is cached: a watch has no readiness
//! flag, and the poller is the only truth. Watches are keyed by fd number (asyncio keys
//! `add_reader` by fd), and the number is only borrowed: its owner keeps it open until the
//! watch is removed.
//!
//! This module is a leaf: it knows nothing of the loop, which owns one [`Selector`] and
//! chooses what a watch's callback `C` is.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Token};
use slab::Slab;

/// Which way a source is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// The bit of a token that marks a watch (the rest is its slot in `watches`); sources have it
/// clear. Slab keys never come near it.
const WATCH: usize = 1 << (usize::BITS - 2);

/// The token of the waker other threads interrupt a wait with.
const WAKER: Token = Token(usize::MAX);

/// One direction of a source.
#[derive(Debug)]
struct Readiness {
    ready: bool,
    /// The peer's end (or an error) was reported: stays ready after a short operation.
    closed: bool,
    waker: Option<Waker>,
}

impl Readiness {
    const fn optimistic() -> Self {
        Readiness {
            ready: true,
            closed: false,
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

    /// The poller interest matching the callbacks present; `None` without any.
    fn interest(&self) -> Option<Interest> {
        match (self.read.is_some(), self.write.is_some()) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
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

/// The OS poller, the loop's registered sources and watches, and the poller's event buffer.
/// Other threads interrupt a wait through the [`mio::Waker`] [`Selector::new`] hands out.
#[derive(Debug)]
pub(crate) struct Selector<C> {
    poll: mio::Poll,
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
    /// A selector, and the waker that interrupts its waits from any thread.
    ///
    /// # Errors
    ///
    /// The OS's, when it refuses a poller or an eventfd (out of file descriptors, say).
    pub(crate) fn new() -> io::Result<(Self, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        let selector = Selector {
            poll,
            sources: Slab::new(),
            waiting: 0,
            watches: Slab::new(),
            watched: HashMap::new(),
            every_pass: 0,
            waited_for: 0,
            events: Events::with_capacity(1024),
        };
        Ok((selector, waker))
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

    // ---- Sources (for futures).

    /// Registers `fd` (non-blocking, open until [`deregister`](Self::deregister)) for both
    /// directions; returns its key.
    pub(crate) fn register(&mut self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        let entry = self.sources.vacant_entry();
        let key = entry.key();
        self.poll.registry().register(
            &mut SourceFd(&fd.as_raw_fd()),
            Token(key),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        entry.insert(SourceState {
            read: Readiness::optimistic(),
            write: Readiness::optimistic(),
        });
        Ok(key)
    }

    /// Removes `fd`, registered under `key`, from the poller; returns the wakers still stored
    /// (for the caller to drop outside its borrow).
    pub(crate) fn deregister(&mut self, fd: BorrowedFd<'_>, key: usize) -> [Option<Waker>; 2] {
        // An error here means the fd was already gone from the poller; nothing to undo.
        let _ = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&fd.as_raw_fd()));
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

    /// Records that an operation on `key` in `direction` would block. The kernel said so:
    /// that outranks a closed flag (which then was news already read).
    pub(crate) fn clear_ready(&mut self, key: usize, direction: Direction) {
        let readiness = self.sources[key].direction(direction);
        readiness.ready = false;
        readiness.closed = false;
    }

    /// Records that a byte stream's operation on `key` in `direction` did less than asked:
    /// the kernel's buffer is drained (or full), so the next operation would block, unless
    /// the direction is closed (see the module docs).
    pub(crate) fn drained(&mut self, key: usize, direction: Direction) {
        let readiness = self.sources[key].direction(direction);
        if !readiness.closed {
            readiness.ready = false;
        }
    }

    // ---- Watches (level-triggered, for callbacks).

    /// Watches `fd` for `direction` with `callback` (asyncio's `add_reader` / `add_writer`):
    /// registers it if it is new (with `kind`; a watched fd keeps the kind it was first
    /// watched with), widens its interest if it gains a direction. Returns the callback it
    /// replaces.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a negative fd; the poller's error for one it refuses (`EBADF` for a
    /// closed fd, `EPERM` for a regular file, `EEXIST` for an fd a source already uses).
    pub(crate) fn watch(
        &mut self,
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
                let interest = watch.interest().expect("a callback was just added");
                if let Err(error) = self.poll.registry().reregister(
                    &mut SourceFd(&fd),
                    Token(key | WATCH),
                    interest,
                ) {
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
        // A watch leaves the poller in `unwatch` or `unwatch_all` (the loop's end), and its
        // owner keeps the fd open until then: that is the contract of every watch (asyncio's
        // `add_reader` has the same). An owner who breaks it risks no memory: the kernel
        // keeps no pointer of ours, drops a closed fd from its interest set, and the late
        // deregistration fails harmlessly.
        let interest = watch.interest().expect("a callback was just added");
        self.poll
            .registry()
            .register(&mut SourceFd(&fd), Token(key | WATCH), interest)?;
        self.every_pass += usize::from(kind.every_pass);
        self.waited_for += usize::from(kind.waited_for);
        entry.insert(watch);
        self.watched.insert(fd, key);
        Ok(None)
    }

    /// Stops watching `fd` for `direction`; returns its callback if it was watched (for the
    /// caller to drop outside its borrow). The fd leaves the poller with its last direction.
    pub(crate) fn unwatch(&mut self, fd: RawFd, direction: Direction) -> Option<C> {
        let key = *self.watched.get(&fd)?;
        let watch = &mut self.watches[key];
        let callback = watch.slot(direction).take()?;
        match watch.interest() {
            Some(interest) => {
                // An error means the fd was closed early (see `watch`): nothing to narrow.
                let _ = self.poll.registry().reregister(
                    &mut SourceFd(&fd),
                    Token(key | WATCH),
                    interest,
                );
            }
            None => {
                self.forget(key);
            }
        }
        Some(callback)
    }

    /// Removes every watch (the loop is ending); returns their callbacks, for the caller to
    /// drop outside its borrow.
    pub(crate) fn unwatch_all(&mut self) -> Vec<C> {
        let keys: Vec<usize> = self.watches.iter().map(|(key, _)| key).collect();
        let mut callbacks = Vec::with_capacity(keys.len());
        for key in keys {
            let watch = self.forget(key);
            callbacks.extend(watch.read);
            callbacks.extend(watch.write);
        }
        callbacks
    }

    /// Takes the watch in `key` out of the poller and the tables.
    fn forget(&mut self, key: usize) -> Watch<C> {
        let watch = self.watches.remove(key);
        self.watched.remove(&watch.fd);
        self.every_pass -= usize::from(watch.kind.every_pass);
        self.waited_for -= usize::from(watch.kind.waited_for);
        // An error means the fd was closed early (see `watch`): the kernel already dropped it.
        let _ = self.poll.registry().deregister(&mut SourceFd(&watch.fd));
        watch
    }

    // ---- Waiting.

    /// Waits in the poller for at most `timeout` (`None`: until an event or a wake from
    /// another thread), marks which sources became ready and hands `woken` each waiting
    /// task's waker and each ready watch's callback, in the order the poller reported the
    /// events (for one fd, its reader before its writer, as asyncio's `_process_events`). A
    /// wait a signal interrupts (`EINTR`) returns with no events, as asyncio's selector does.
    pub(crate) fn select(
        &mut self,
        timeout: Option<Duration>,
        mut woken: impl FnMut(Woken<C>),
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(()),
            result => result?,
        }
        for event in self.events.iter() {
            let token = event.token().0;
            // An error or a hang-up is news for both directions: the next operation says
            // which (as asyncio's selector reports an error as readable and writable).
            let error = event.is_error();
            let read_closed = error || event.is_read_closed();
            let write_closed = error || event.is_write_closed();
            let readable = event.is_readable() || read_closed;
            let writable = event.is_writable() || write_closed;
            if event.token() == WAKER {
                continue;
            }
            if token & WATCH != 0 {
                let key = token & !WATCH;
                let Some(watch) = self.watches.get(key) else {
                    continue;
                };
                for (flag, callback) in [(readable, &watch.read), (writable, &watch.write)] {
                    if let (true, Some(callback)) = (flag, callback) {
                        woken(Woken::Callback(callback.clone()));
                    }
                }
                // Re-armed, so the next wait reports it again if it is still ready then.
                if let Some(interest) = watch.interest() {
                    // An error means the fd was closed early (see `watch`).
                    let _ = self.poll.registry().reregister(
                        &mut SourceFd(&watch.fd),
                        event.token(),
                        interest,
                    );
                }
                continue;
            }
            let Some(state) = self.sources.get_mut(token) else {
                continue;
            };
            for (flag, closed, readiness) in [
                (readable, read_closed, &mut state.read),
                (writable, write_closed, &mut state.write),
            ] {
                if flag {
                    readiness.ready = true;
                    readiness.closed |= closed;
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
