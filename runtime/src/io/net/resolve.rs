//! Name resolution as asyncio does it: `getaddrinfo` on the thread pool, so a slow resolver
//! never blocks the loop; literal addresses skip the thread.

use std::future::Future;
use std::io;
use std::net::{self, IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::rt::threads::to_thread;

/// Resolves `host` and `port` to socket addresses, as `loop.getaddrinfo`: an IP literal
/// (`"127.0.0.1"`, `"::1"`) at once, a name (`"localhost"`) through the system resolver on
/// corio's thread pool (under virtual time this takes no loop time).
///
/// # Errors
///
/// The resolver's error for a name that does not resolve.
pub async fn getaddrinfo(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let host = host.to_owned();
    to_thread(move || Ok(net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))?.collect()))
        .await
}

/// What names a socket address on the loop: the forms std's and tokio's `ToSocketAddrs` take
/// (a [`SocketAddr`] or a reference to one, [`SocketAddrV4`], [`SocketAddrV6`], an IP and a
/// port as `(IpAddr, u16)`, `(Ipv4Addr, u16)` or `(Ipv6Addr, u16)`, `(&str, u16)`,
/// `"host:port"`, a slice of addresses). Names resolve through [`getaddrinfo`], off the loop;
/// literals at once.
pub trait ToSocketAddrs {
    /// The addresses, in the resolver's order.
    fn to_socket_addrs(self) -> impl Future<Output = io::Result<Vec<SocketAddr>>>;
}

impl ToSocketAddrs for SocketAddr {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![self])
    }
}

impl ToSocketAddrs for &SocketAddr {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![*self])
    }
}

impl ToSocketAddrs for SocketAddrV4 {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![self.into()])
    }
}

impl ToSocketAddrs for SocketAddrV6 {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![self.into()])
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(self.0, self.1)])
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::from(self)])
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::from(self)])
    }
}

impl ToSocketAddrs for (&str, u16) {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        getaddrinfo(self.0, self.1).await
    }
}

impl ToSocketAddrs for (String, u16) {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        getaddrinfo(&self.0, self.1).await
    }
}

impl ToSocketAddrs for &str {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr]);
        }
        let (host, port) = self.rsplit_once(':').ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid socket address {self:?}: expected \"host:port\""),
            )
        })?;
        let port: u16 = port.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid port in socket address {self:?}"),
            )
        })?;
        getaddrinfo(host.trim_start_matches('[').trim_end_matches(']'), port).await
    }
}

impl ToSocketAddrs for String {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        ToSocketAddrs::to_socket_addrs(self.as_str()).await
    }
}

impl ToSocketAddrs for &String {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        ToSocketAddrs::to_socket_addrs(self.as_str()).await
    }
}

impl ToSocketAddrs for &[SocketAddr] {
    async fn to_socket_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}
