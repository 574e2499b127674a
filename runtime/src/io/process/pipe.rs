//! A child's standard pipes on the loop: the parent's end of each made non-blocking,
//! registered with the selector through [`Source`], and read or written with futures-io's
//! traits, under asyncio's [`StreamReader`] and [`StreamWriter`].

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::selector::Direction;
use crate::io::source::Source;
use crate::io::streams::{StreamReader, StreamWriter};

/// Sets `O_NONBLOCK` on `fd`'s open file description: the parent's end of a pipe only (the
/// child's end is the pipe's other description, which stays blocking).
fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is an open descriptor owned by `fd`, borrowed for the call; F_GETFL takes
    // no further argument.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above; F_SETFL takes the new flags as an int.
        if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// One end of a pipe on the running loop. A `File` because `&File` is `Read` and `Write`,
/// which [`Source::poll_io`]'s shared borrow needs (std's `ChildStdout` is `Read` only by
/// value). `None` once closed through `poll_close`.
pub(crate) struct Pipe {
    source: Option<Source<File>>,
}

impl Pipe {
    /// Puts `fd`, a pipe end, on the running loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        set_nonblocking(&fd)?;
        Ok(Pipe {
            source: Some(Source::new(File::from(fd))?),
        })
    }

    fn source(&self) -> io::Result<&Source<File>> {
        self.source
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "the pipe is closed"))
    }
}

/// A [`StreamReader`] over the parent's end of a child's output pipe.
pub(crate) fn reader(fd: impl Into<OwnedFd>) -> io::Result<StreamReader> {
    Ok(StreamReader::from_async_read(Box::new(Pipe::new(
        fd.into(),
    )?)))
}

/// A [`StreamWriter`] over the parent's end of a child's input pipe: its `write_eof` and
/// `close` close the pipe, so the child reads the end of its input.
pub(crate) fn writer(fd: impl Into<OwnedFd>) -> io::Result<StreamWriter> {
    Ok(StreamWriter::from_async_write(Box::new(Pipe::new(
        fd.into(),
    )?)))
}

impl AsyncRead for Pipe {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let source = match self.source() {
            Ok(source) => source,
            Err(error) => return Poll::Ready(Err(error)),
        };
        let len = buf.len();
        source.poll_stream_io(Direction::Read, cx, len, |mut file| file.read(buf))
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let source = match self.source() {
            Ok(source) => source,
            Err(error) => return Poll::Ready(Err(error)),
        };
        source.poll_stream_io(Direction::Write, cx, buf.len(), |mut file| file.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer: what `write` took is the kernel's.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deregisters, then closes the fd: the child reads the end of its input.
        self.get_mut().source = None;
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe")
            .field("fd", &self.source.as_ref().map(|s| s.get_ref().as_raw_fd()))
            .finish()
    }
}
