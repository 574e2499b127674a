//! Unix-domain stream sockets on the loop: [`UnixListener`] and [`UnixStream`], the socket
//! level under asyncio's `start_unix_server` and `open_unix_connection`. They mirror
//! [`TcpListener`](crate::net::TcpListener) and [`TcpStream`](crate::net::TcpStream).

use std::fmt;
use std::io::{self, IoSlice, Read};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::io::selector::Direction;
use crate::io::source::Source;

/// `send(2)` flags for a write: `MSG_NOSIGNAL` where there is one, so writing to a socket the
/// peer closed is a `BrokenPipe` error, never a `SIGPIPE` (std's `TcpStream` does this; its
/// `UnixStream` writes with `write(2)`, which relies on the process ignoring `SIGPIPE`, as
/// Rust binaries do but a host program loading this library may not).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: libc::c_int = 0;

fn send(stream: &net::UnixStream, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(stream).send_with_flags(buf, SEND_FLAGS)
}

fn send_vectored(stream: &net::UnixStream, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    SockRef::from(stream).send_vectored_with_flags(bufs, SEND_FLAGS)
}

/// A Unix-domain socket listening for connections, on the running loop.
///
/// Created inside a loop and used only on it; it closes when dropped. Dropping it does not
/// remove the socket file (std's and tokio's listeners do not either);
/// [`start_unix_server`](crate::start_unix_server) does, as asyncio 3.13 does.
pub struct UnixListener {
    source: Source<net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` and listens. Synchronous: a path needs no name resolution.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when a file exists at `path` (a stale socket included: remove it first),
    /// the OS's error for a path that is too long or in a missing directory.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(net::UnixListener::bind(path)?)
    }

    /// Puts a listening std socket on the loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: Source::new(listener)?,
        })
    }

    /// Waits for a connection: the new stream and its peer's address (usually unnamed).
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self
            .source
            .io(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((UnixStream::from_std(stream)?, addr))
    }

    /// `accept` as a poll function, for servers that poll.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.source
            .poll_io(Direction::Read, cx, |listener| listener.accept())
            .map(|accepted| {
                let (stream, addr) = accepted?;
                Ok((UnixStream::from_std(stream)?, addr))
            })
    }

    /// The address it listens on (its path).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A Unix-domain stream connection on the running loop, with futures-io's
/// [`AsyncRead`](futures_io::AsyncRead) and [`AsyncWrite`](futures_io::AsyncWrite).
/// `&UnixStream` implements them too, so a task may read while another writes.
///
/// Created inside a loop and used only on it; it closes when dropped.
pub struct UnixStream {
    source: Source<net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound` when no file is at `path`, `ConnectionRefused` when nothing listens on it,
    /// `WouldBlock` when the listener's backlog is full (as tokio's `connect`).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SockAddr::unix(path)?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        match socket.connect(&addr) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(error) => return Err(error),
        }
        let source = Source::new(net::UnixStream::from(OwnedFd::from(socket)))?;
        // Linux connects a Unix socket at once; elsewhere it may be in progress, as TCP's.
        source
            .io(Direction::Write, |stream| {
                if let Some(error) = stream.take_error()? {
                    return Err(error);
                }
                match stream.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(UnixStream { source })
    }

    /// Puts a connected std stream on the loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            source: Source::new(stream)?,
        })
    }

    /// A connected pair (`socketpair(2)`), both on the running loop.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Reads what is there, up to `buf.len()` bytes, waiting until something is (`Ok(0)` at
    /// the end of the stream).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .io(Direction::Read, |mut stream| stream.read(buf))
            .await
    }

    /// Writes some of `buf`, waiting until the socket takes something.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .io(Direction::Write, |stream| send(stream, buf))
            .await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Shuts down the writing half (the peer reads the end of the stream), reading, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// The address of this end (unnamed for a connecting socket).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The address of the other end (the listener's path, for a connecting socket).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.source
            .poll_stream_io(Direction::Read, cx, len, |mut stream| stream.read(buf))
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.source
            .poll_stream_io(Direction::Write, cx, buf.len(), |stream| send(stream, buf))
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.source
            .poll_stream_io(Direction::Write, cx, len, |stream| {
                send_vectored(stream, bufs)
            })
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

crate::io::net::async_io_impls!(UnixStream, &UnixStream);
