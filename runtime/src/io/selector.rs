//! The selector the loop waits in, as asyncio's `SelectorEventLoop` waits in `selectors`: the
//! OS poller (through the `polling` crate: epoll, kqueue, event ports), the readiness of every
//! registered file descriptor, and the wakers waiting on it.
//!
//! # How readiness is kept
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
//! This module is a leaf: it knows nothing of the loop, which owns one [`Selector`].

use std::io;
use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
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

/// The loop's registered sources and the poller's event buffer. The poller itself is shared
/// with other threads (they [`notify`](Poller::notify) it), so it is passed in.
#[derive(Debug)]
pub(crate) struct Selector {
    sources: Slab<SourceState>,
    /// Directions with a waker stored: I/O the program is waiting for. With none, a loop with
    /// nothing else to do has nothing that could ever wake it.
    waiting: usize,
    events: Events,
}

impl Selector {
    pub(crate) fn new() -> Self {
        Selector {
            sources: Slab::new(),
            waiting: 0,
            events: Events::with_capacity(NonZeroUsize::new(1024).expect("non-zero")),
        }
    }

    /// Whether any source is registered (then each loop pass asks the poller what is ready).
    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.is_empty()
    }

    /// Whether a task waits for I/O.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting > 0
    }

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

    /// Waits in the poller for at most `timeout` (`None`: until an event or a notification),
    /// marks what became ready and hands each waiting waker to `wake`, in the order the poller
    /// reported the events.
    pub(crate) fn select(
        &mut self,
        poller: &Poller,
        timeout: Option<Duration>,
        mut wake: impl FnMut(Waker),
    ) -> io::Result<()> {
        self.events.clear();
        poller.wait(&mut self.events, timeout)?;
        for event in self.events.iter() {
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
                        wake(waker);
                    }
                }
            }
        }
        Ok(())
    }
}
