//! A file descriptor registered with the running loop's selector: the one building block of
//! every socket, pipe and signal stream on the loop (async-io's `Async<T>`, asyncio's
//! `add_reader`/`add_writer` as a future).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::io::selector::Direction;
use crate::rt::context;

/// `T`, non-blocking, registered with the loop it was created on; deregistered when dropped
/// (before `T` closes its fd).
pub(crate) struct Source<T: AsFd> {
    io: T,
    key: usize,
    loop_id: u64,
}

impl<T: AsFd> Source<T> {
    /// Registers `io`, which must already be non-blocking, with the running loop.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub(crate) fn new(io: T) -> io::Result<Self> {
        context::with_current("corio I/O", |core| {
            let key = core.register_io(io.as_fd())?;
            Ok(Source {
                io,
                key,
                loop_id: core.id(),
            })
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in `direction`
    /// between tries; `Pending` (with `cx` woken when the fd is ready) if it would block now.
    ///
    /// # Panics
    ///
    /// When polled off the loop the source was created on.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        context::with_current("corio I/O", |core| {
            assert!(
                core.id() == self.loop_id,
                "corio: an I/O object was used on an event loop other than the one it was \
                 created on"
            );
            loop {
                std::task::ready!(core.poll_io_ready(self.key, direction, cx));
                match op(&self.io) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        core.clear_io_ready(self.key, direction);
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
    }

    /// [`poll_io`](Self::poll_io) for a byte stream's read or write of `len` bytes. An
    /// operation shorter than asked means the kernel's buffer is drained (a read) or full (a
    /// write), so the readiness is cleared at once, sparing the next call a `WouldBlock`
    /// syscall (tokio does the same); the selector keeps a closed direction ready, so the end
    /// that came with the last bytes is still read. Only for stream sockets and pipes; never
    /// for datagrams.
    pub(crate) fn poll_stream_io(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let polled = self.poll_io(direction, cx, op);
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 && n < len {
                context::with_current("corio I/O", |core| core.io_drained(self.key, direction));
            }
        }
        polled
    }

    /// [`poll_io`](Self::poll_io) as a future.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(direction, cx, &mut op)).await
    }
}

impl<T: AsFd> Drop for Source<T> {
    fn drop(&mut self) {
        // Off its loop (the loop ended) the selector went with it: nothing to deregister.
        context::try_with_current(|core| {
            if core.id() == self.loop_id {
                core.deregister_io(self.io.as_fd(), self.key);
            }
        });
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Source<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("io", &self.io)
            .field("key", &self.key)
            .finish()
    }
}
