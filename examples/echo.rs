//! The asyncio docs' TCP echo client and server (Streams > "TCP echo client using streams",
//! "TCP echo server using streams"), in one process: the server runs on the loop while the
//! client talks to it, over 127.0.0.1 on an ephemeral port.
//!
//! ```python
//! async def handle_echo(reader, writer):
//!     data = await reader.read(100)
//!     message = data.decode()
//!     addr = writer.get_extra_info('peername')
//!     print(f"Received {message!r} from {addr!r}")
//!     print(f"Send: {message!r}")
//!     writer.write(data)
//!     await writer.drain()
//!     print("Close the connection")
//!     writer.close()
//!     await writer.wait_closed()
//!
//! async def tcp_echo_client(message):
//!     reader, writer = await asyncio.open_connection('127.0.0.1', 8888)
//!     print(f'Send: {message!r}')
//!     writer.write(message.encode())
//!     await writer.drain()
//!     data = await reader.read(100)
//!     print(f'Received: {data.decode()!r}')
//!     print('Close the connection')
//!     writer.close()
//!     await writer.wait_closed()
//! ```
//!
//! The docs run the two in two processes on port 8888; here the server takes an ephemeral port
//! (port 0) and the client connects to the port the server got. The peer's port changes from
//! run to run, so the server prints the peer's host only.

mod common;
use common::say;

/// The docs' `handle_echo`: one connection's callback.
#[corio::coroutine]
async fn handle_echo(mut reader: corio::StreamReader, mut writer: corio::StreamWriter) {
    let data = reader.read(100).await.expect("read");
    let message = String::from_utf8_lossy(&data).into_owned();
    let host = writer
        .peer_addr()
        .ok()
        .and_then(|addr| addr.as_tcp())
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default();
    say!("Received {message:?} from {host}");
    say!("Send: {message:?}");
    writer.write(&data);
    writer.drain().await.expect("drain");
    say!("Close the connection");
    writer.close();
    let _ = writer.wait_closed().await;
}

/// The docs' `tcp_echo_client`.
#[corio::coroutine]
async fn tcp_echo_client(message: &str, port: u16) {
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port)
        .await
        .expect("connect");
    say!("Send: {message:?}");
    writer.write(message.as_bytes());
    writer.drain().await.expect("drain");
    let data = reader.read(100).await.expect("read");
    say!("Received: {:?}", String::from_utf8_lossy(&data));
    say!("Close the connection");
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Server and client on one loop: start serving, run the client, then close the server and
/// wait until its connection is done.
#[corio::coroutine]
pub async fn program() {
    let server = corio::start_server(
        |reader, writer| async move { handle_echo(reader, writer).await },
        "127.0.0.1",
        0,
    )
    .await
    .expect("start the server");
    let port = server.local_addrs()[0].port();
    tcp_echo_client("Hello World!", port).await;
    server.close();
    server.wait_closed().await;
}

fn main() {
    corio::run(program());
}
