//! The loop's I/O side, for `crate::io`'s sources and `add_reader`/`add_writer`: what they
//! may ask of the loop's selector.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll};

use super::LoopCore;
use crate::io::selector::{Direction, WatchKind};
use crate::rt::fd_callbacks::FdCallback;

impl LoopCore {
    /// Watches `fd` (non-blocking; kept open until [`deregister_io`](Self::deregister_io));
    /// returns its key.
    pub(crate) fn register_io(&self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        self.selector.borrow_mut().register(fd)
    }

    /// Stops watching `fd`, registered under `key`.
    pub(crate) fn deregister_io(&self, fd: BorrowedFd<'_>, key: usize) {
        let wakers = self.selector.borrow_mut().deregister(fd, key);
        // Dropped outside the borrow.
        drop(wakers);
    }

    /// `Ready` if `key` may be ready for `direction`, else waits for it with `cx`'s waker.
    pub(crate) fn poll_io_ready(
        &self,
        key: usize,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        self.selector.borrow_mut().poll_ready(key, direction, cx)
    }

    /// Records that an operation on `key` in `direction` would block.
    pub(crate) fn clear_io_ready(&self, key: usize, direction: Direction) {
        self.selector.borrow_mut().clear_ready(key, direction);
    }

    /// Records that a byte stream's operation on `key` in `direction` did less than asked.
    pub(crate) fn io_drained(&self, key: usize, direction: Direction) {
        self.selector.borrow_mut().drained(key, direction);
    }

    /// Runs `callback` each pass `fd` is found ready for `direction` (level-triggered), in
    /// place of the callback it had, as asyncio's `add_reader` / `add_writer`.
    pub(crate) fn watch_fd(
        &self,
        fd: RawFd,
        direction: Direction,
        kind: WatchKind,
        callback: impl FnMut() + 'static,
    ) -> io::Result<()> {
        let callback = Rc::new(FdCallback::new(callback));
        let watched = self
            .selector
            .borrow_mut()
            .watch(fd, direction, callback.clone(), kind);
        // Dropped outside the borrow, as a closure's destructor may touch the loop.
        match watched {
            Ok(replaced) => {
                if let Some(replaced) = replaced {
                    replaced.remove();
                }
                Ok(())
            }
            Err(error) => {
                callback.remove();
                Err(error)
            }
        }
    }

    /// Stops running a callback for `fd` in `direction`; returns whether there was one.
    pub(crate) fn unwatch_fd(&self, fd: RawFd, direction: Direction) -> bool {
        let removed = self.selector.borrow_mut().unwatch(fd, direction);
        removed.map(|callback| callback.remove()).is_some()
    }
}
