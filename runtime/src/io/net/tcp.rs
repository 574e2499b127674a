//! TCP on the loop: [`TcpListener`] and [`TcpStream`], as asyncio's `loop.create_server` /
//! `sock_accept` and `sock_connect` / `sock_recv` / `sock_sendall` work underneath its streams.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use crate::io::net::resolve::ToSocketAddrs;
use crate::io::selector::Direction;
use crate::io::source::Source;

/// A TCP socket listening for connections, on the running loop (`socket.listen()` plus
/// `loop.sock_accept`).
///
/// Created inside a loop and used only on it; it closes when dropped.
pub struct TcpListener {
    source: Source<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (`"127.0.0.1:0"`, a `SocketAddr`, `("localhost", 8888)`; the first
    /// address that binds wins, as asyncio's `create_server` tries each) and listens, with
    /// `SO_REUSEADDR` set as asyncio sets it on Unix. Port 0 picks an ephemeral port: ask
    /// [`local_addr`](TcpListener::local_addr) which.
    ///
    /// # Errors
    ///
    /// When no address binds (the last error: `AddrInUse` for a port in use), or the name
    /// does not resolve.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in addr.to_socket_addrs().await? {
            match Self::bind_one(addr) {
                Ok(listener) => return Ok(listener),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")
        }))
    }

    fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        // asyncio's default backlog.
        socket.listen(100)?;
        TcpListener::from_std(socket.into())
    }

    /// Puts a listening std socket on the loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            source: Source::new(listener)?,
        })
    }

    /// Waits for a connection, as `loop.sock_accept`: the new stream and its peer's address.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self
            .source
            .io(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }

    /// `accept` as a poll function, for servers that poll.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.source
            .poll_io(Direction::Read, cx, |listener| listener.accept())
            .map(|accepted| {
                let (stream, addr) = accepted?;
                Ok((TcpStream::from_std(stream)?, addr))
            })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A TCP connection on the running loop, with futures-io's [`AsyncRead`](futures_io::AsyncRead)
/// and [`AsyncWrite`](futures_io::AsyncWrite) (so `futures::io::copy`, TLS and WebSocket
/// crates work over it). `&TcpStream` implements them too, so a task may read while another
/// writes.
///
/// Created inside a loop and used only on it; it closes when dropped.
pub struct TcpStream {
    source: Source<net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn, as asyncio's
    /// `open_connection` does; `TCP_NODELAY` is set, as asyncio sets it.
    ///
    /// # Errors
    ///
    /// The last address's error (`ConnectionRefused` with nothing listening), or the name's.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in addr.to_socket_addrs().await? {
            match Self::connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        let mut in_progress = match socket.connect(&addr.into()) {
            Ok(()) => false,
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => true,
            Err(error) => return Err(error),
        };
        let source = Source::new(net::TcpStream::from(socket))?;
        // Connected (or failed) once writable, the outcome in SO_ERROR. An `EINPROGRESS`
        // connect waits for the selector's word even when loopback finished the handshake
        // inside `connect(2)`, as asyncio's `sock_connect` does: a task opening connections in
        // a loop then lets the loop run the server's accepts between them (never waiting, it
        // filled the listen backlog, and the kernel dropped SYNs for 1 s retries). After that
        // first wait, `peer_addr`'s `NotConnected` without an error means "wait for the next
        // edge".
        source
            .io(Direction::Write, |stream| {
                if std::mem::take(&mut in_progress) {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
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
        source.get_ref().set_nodelay(true)?;
        Ok(TcpStream { source })
    }

    /// Puts a connected std stream on the loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        Ok(TcpStream {
            source: Source::new(stream)?,
        })
    }

    /// Reads what is there, up to `buf.len()` bytes, waiting until something is (`Ok(0)` at
    /// the end of the stream), as `loop.sock_recv`.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    /// Writes some of `buf`, waiting until the socket takes something, as `socket.send`.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Writes all of `buf`, as `loop.sock_sendall`.
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

    /// The address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The address of the other end.
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
            .poll_stream_io(Direction::Write, cx, buf.len(), |mut stream| {
                stream.write(buf)
            })
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.source
            .poll_stream_io(Direction::Write, cx, len, |mut stream| {
                stream.write_vectored(bufs)
            })
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

crate::io::net::async_io_impls!(TcpStream, &TcpStream);
