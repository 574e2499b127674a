//! UDP on the loop: [`UdpSocket`], as asyncio's `loop.sock_sendto` / `sock_recvfrom` (and the
//! socket under `create_datagram_endpoint`).

use std::fmt;
use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::task::{Context, Poll};

use crate::io::net::resolve::ToSocketAddrs;
use crate::io::selector::Direction;
use crate::io::source::Source;

/// A UDP socket on the running loop: datagrams sent to and received from any address, or,
/// once [`connect`](UdpSocket::connect)ed, to and from one peer.
///
/// Each send is one datagram and each receive takes one whole datagram: a buffer too small
/// for it gets its first bytes and the rest is lost (the OS's rule, as in asyncio). All
/// methods take `&self`, so one task may receive while another sends.
///
/// Created inside a loop and used only on it; it closes when dropped.
pub struct UdpSocket {
    source: Source<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (`"127.0.0.1:0"`, a `SocketAddr`, `("localhost", 9999)`; the first
    /// address that binds wins). Port 0 picks an ephemeral port: ask
    /// [`local_addr`](UdpSocket::local_addr) which. No `SO_REUSEADDR`: asyncio dropped
    /// `reuse_address` for UDP, as it lets another process steal the port's datagrams.
    ///
    /// # Errors
    ///
    /// When no address binds (the last error: `AddrInUse` for a port in use), or the name
    /// does not resolve.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for addr in addr.to_socket_addrs().await? {
            match net::UdpSocket::bind(addr).and_then(UdpSocket::from_std) {
                Ok(socket) => return Ok(socket),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")
        }))
    }

    /// Puts a bound std socket on the loop (made non-blocking here).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: Source::new(socket)?,
        })
    }

    /// Sends `buf` as one datagram to `target` (resolved, off the loop for a name; the first
    /// address is used), as `loop.sock_sendto`; returns the bytes sent (all of them).
    ///
    /// # Errors
    ///
    /// The OS's (`EMSGSIZE` for a datagram too big), or the name's.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = first_addr(target).await?;
        self.source
            .io(Direction::Write, |socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`, waiting until one comes, as `loop.sock_recvfrom`:
    /// its length (at most `buf.len()`) and its sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source
            .io(Direction::Read, |socket| socket.recv_from(buf))
            .await
    }

    /// `send_to` as a poll function, for code that polls.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.source
            .poll_io(Direction::Write, cx, |socket| socket.send_to(buf, target))
    }

    /// `recv_from` as a poll function, for code that polls.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source
            .poll_io(Direction::Read, cx, |socket| socket.recv_from(buf))
    }

    /// Sets the socket's one peer (resolved as [`send_to`](UdpSocket::send_to) resolves):
    /// [`send`](UdpSocket::send) goes there, and the OS drops datagrams from anyone else. No
    /// packet is sent.
    ///
    /// # Errors
    ///
    /// The OS's, or the name's.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addr = first_addr(addr).await?;
        self.source.get_ref().connect(addr)
    }

    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect); `ConnectionRefused` when an
    /// earlier datagram found no one listening at the peer (the OS reports it on a later
    /// call).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .io(Direction::Write, |socket| socket.send(buf))
            .await
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length.
    ///
    /// # Errors
    ///
    /// As [`send`](UdpSocket::send).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .io(Direction::Read, |socket| socket.recv(buf))
            .await
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address (`NotConnected` before [`connect`](UdpSocket::connect)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Allows sending to broadcast addresses (`SO_BROADCAST`, asyncio's `allow_broadcast`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(on)
    }

    /// Whether sending to broadcast addresses is allowed.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.source.get_ref().broadcast()
    }
}

/// The first address `addr` names.
async fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to send to"))
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
