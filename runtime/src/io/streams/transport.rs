//! What the stream halves sit on: the [`WriteTransport`] a [`StreamWriter`] drives, the
//! socket halves that share one connection between a reader and a writer, the adapter for
//! any futures-io writer (a pipe), and [`StreamAddr`], what a writer says its ends are.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::unix::net::SocketAddr as UnixSocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::net::tcp::TcpStream;
use crate::io::net::unix::UnixStream;
use crate::io::streams::reader::StreamReader;
use crate::io::streams::server::ConnectionGuard;
use crate::io::streams::writer::StreamWriter;

/// The address of one end of a stream, from [`StreamWriter::peer_addr`] and
/// [`StreamWriter::local_addr`] (asyncio's `get_extra_info("peername")` / `"sockname"`).
/// A pipe has none: those methods return an [`Unsupported`](io::ErrorKind::Unsupported)
/// error for it, as asyncio's give `None`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum StreamAddr {
    /// A TCP connection's end.
    Tcp(SocketAddr),
    /// A Unix-domain connection's end (often unnamed on the connecting side).
    Unix(UnixSocketAddr),
}

impl StreamAddr {
    /// The TCP address, if it is one.
    pub fn as_tcp(&self) -> Option<SocketAddr> {
        match self {
            StreamAddr::Tcp(addr) => Some(*addr),
            StreamAddr::Unix(_) => None,
        }
    }

    /// The Unix-domain address, if it is one.
    pub fn as_unix(&self) -> Option<&UnixSocketAddr> {
        match self {
            StreamAddr::Unix(addr) => Some(addr),
            StreamAddr::Tcp(_) => None,
        }
    }
}

/// What a [`StreamWriter`] writes to. Any futures-io writer is one (through
/// [`StreamWriter::from_async_write`], where ending the stream closes it); a socket half
/// shuts the socket down instead.
pub(crate) trait WriteTransport {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Ends the stream for the peer (asyncio's `write_eof`); reading, if any, goes on.
    fn poll_write_eof(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Closes the connection (asyncio's `transport.close()`): the peer reads the end, and so
    /// does this side's reader once it read what already came.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A futures-io writer as a transport: the end of the stream is its `poll_close` (a pipe's
/// end is its closing).
pub(crate) struct AsyncWriteTransport(pub(crate) Box<dyn AsyncWrite + Unpin>);

impl WriteTransport for AsyncWriteTransport {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_write_eof(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// A connected stream socket.
#[derive(Debug)]
pub(crate) enum SocketStream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl SocketStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let result = match self {
            SocketStream::Tcp(stream) => stream.shutdown(how),
            SocketStream::Unix(stream) => stream.shutdown(how),
        };
        match result {
            // The peer reset it already: it is as shut down as it will get.
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }

    fn addrs(&self) -> (io::Result<StreamAddr>, io::Result<StreamAddr>) {
        match self {
            SocketStream::Tcp(stream) => (
                stream.peer_addr().map(StreamAddr::Tcp),
                stream.local_addr().map(StreamAddr::Tcp),
            ),
            SocketStream::Unix(stream) => (
                stream.peer_addr().map(StreamAddr::Unix),
                stream.local_addr().map(StreamAddr::Unix),
            ),
        }
    }
}

/// One connection shared by its reader and writer halves; the socket closes when both
/// are gone.
struct Connection {
    socket: SocketStream,
    /// A server's count of this connection, released when the writer closes it or both
    /// halves are dropped.
    guard: RefCell<Option<ConnectionGuard>>,
}

/// The reading half of a shared connection.
struct SocketReadHalf(Rc<Connection>);

impl AsyncRead for SocketReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &self.0.socket {
            SocketStream::Tcp(stream) => stream.poll_read_priv(cx, buf),
            SocketStream::Unix(stream) => stream.poll_read_priv(cx, buf),
        }
    }
}

/// The writing half of a shared connection. Dropped (with its writer, once what was
/// buffered went out), it shuts the writing direction down, so the peer reads the end even
/// while this side's reader lives on.
struct SocketWriteHalf(Rc<Connection>);

impl WriteTransport for SocketWriteHalf {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &self.0.socket {
            SocketStream::Tcp(stream) => stream.poll_write_priv(cx, buf),
            SocketStream::Unix(stream) => stream.poll_write_priv(cx, buf),
        }
    }

    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_write_eof(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.socket.shutdown(Shutdown::Write))
    }

    fn poll_close(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Both ways: the reader, maybe waiting, wakes to the end of the stream.
        let result = self.0.socket.shutdown(Shutdown::Both);
        let guard = self.0.guard.borrow_mut().take();
        drop(guard);
        Poll::Ready(result)
    }
}

impl Drop for SocketWriteHalf {
    fn drop(&mut self) {
        // Best effort, as a closing fd's: a socket the peer reset has nothing to shut.
        let _ = self.0.socket.shutdown(Shutdown::Write);
    }
}

/// A reader and a writer sharing `socket`, counted by `guard`'s server while open.
pub(crate) fn socket_streams(
    socket: SocketStream,
    guard: Option<ConnectionGuard>,
) -> (StreamReader, StreamWriter) {
    let (peer, local) = socket.addrs();
    let connection = Rc::new(Connection {
        socket,
        guard: RefCell::new(guard),
    });
    let reader = StreamReader::from_async_read(Box::new(SocketReadHalf(connection.clone())));
    let writer = StreamWriter::from_transport(
        Box::new(SocketWriteHalf(connection)),
        peer.map_err(|e| e.kind()),
        local.map_err(|e| e.kind()),
    );
    (reader, writer)
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}
