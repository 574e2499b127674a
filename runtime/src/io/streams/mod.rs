//! asyncio's streams: [`StreamReader`] and [`StreamWriter`] over a connection, the functions
//! that make them ([`open_connection`], [`start_server`] and their Unix twins) and the
//! [`Server`] those start.
//!
//! A connection's reader and writer share its socket (an `Rc`); it closes when both are
//! gone, or at once both ways when the writer is [`close`](StreamWriter::close)d. Everything
//! runs on the loop the streams were made on, and I/O takes no time on a virtual clock:
//!
//! ```
//! use corio_runtime::{Runner, create_task, open_connection, sleep, start_server, time};
//!
//! let log = Runner::new().virtual_time().run(async {
//!     // An echo server, as asyncio's documentation has it.
//!     let server = start_server(
//!         |mut reader, mut writer| async move {
//!             while let Ok(line) = reader.readline().await {
//!                 if line.is_empty() {
//!                     break;
//!                 }
//!                 writer.write(&line);
//!                 writer.drain().await.unwrap();
//!             }
//!             writer.close();
//!         },
//!         "127.0.0.1",
//!         0,
//!     )
//!     .await
//!     .unwrap();
//!     let port = server.local_addrs()[0].port();
//!
//!     let client = create_task(async move {
//!         let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
//!         let mut log = Vec::new();
//!         for word in ["ping\n", "pong\n"] {
//!             sleep(1).await;
//!             writer.write(word.as_bytes());
//!             let echoed = reader.readline().await.unwrap();
//!             log.push(format!("{} {}", time(), String::from_utf8(echoed).unwrap().trim()));
//!         }
//!         writer.close();
//!         writer.wait_closed().await.unwrap();
//!         log
//!     });
//!     let log = client.await.unwrap();
//!     server.close();
//!     server.wait_closed().await;
//!     log
//! });
//! assert_eq!(log, ["1 ping", "2 pong"]);
//! ```
//!
//! # Other transports
//!
//! The streams are not tied to sockets: inside the crate,
//! `StreamReader::from_async_read(Box<dyn futures_io::AsyncRead + Unpin>)` and
//! `StreamWriter::from_async_write(Box<dyn futures_io::AsyncWrite + Unpin>)` build them on
//! any futures-io byte source or sink usable on the loop (the subprocess pipes are meant to:
//! a pipe's `write_eof` and `close` are its `poll_close`, and it has no address). A writer
//! needing more than `poll_close` (a socket's half-close) implements the crate's
//! `WriteTransport` and uses `StreamWriter::from_transport`.

pub(crate) mod buffer;
pub(crate) mod errors;
pub(crate) mod reader;
pub(crate) mod server;
pub(crate) mod transport;
pub(crate) mod writer;

#[cfg(test)]
mod tests;

use std::io;
use std::path::Path;

use crate::io::net::tcp::TcpStream;
use crate::io::net::unix::UnixStream;

pub use errors::{IncompleteReadError, LimitOverrunError};
pub use reader::StreamReader;
pub use server::{Server, start_server, start_unix_server};
pub use transport::StreamAddr;
pub use writer::StreamWriter;

use transport::{SocketStream, socket_streams};

/// Connects to `host`:`port` over TCP (asyncio's `open_connection`): the connection's
/// reader and writer.
///
/// `host` resolves through [`getaddrinfo`](crate::getaddrinfo) (an IP literal at once) and
/// each address is tried in turn; `TCP_NODELAY` is set, as asyncio sets it.
///
/// # Errors
///
/// The resolver's, or the last address's (`ConnectionRefused` with nothing listening).
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect((host, port)).await?;
    Ok(socket_streams(SocketStream::Tcp(stream), None))
}

/// Connects to the Unix-domain socket at `path` (asyncio's `open_unix_connection`): the
/// connection's reader and writer.
///
/// # Errors
///
/// `NotFound` when nothing is at `path`, `ConnectionRefused` when nothing listens there.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(socket_streams(SocketStream::Unix(stream), None))
}
