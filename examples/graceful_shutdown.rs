//! A server that stops cleanly on SIGTERM, as a service manager stops it: a signal handler
//! (asyncio's `loop.add_signal_handler`) sets an event; the main coroutine, waiting on it,
//! closes the server (no new connections), waits until the connections it accepted are done
//! (`Server.wait_closed`), and returns, so `run` ends normally instead of the process dying
//! mid-request.
//!
//! ```python
//! async def main():
//!     stop = asyncio.Event()
//!     loop = asyncio.get_running_loop()
//!     loop.add_signal_handler(signal.SIGTERM, stop.set)
//!     server = await asyncio.start_server(handle, '127.0.0.1', 0)
//!     print('serving; send SIGTERM to stop')
//!     await stop.wait()
//!     print('SIGTERM: closing the server')
//!     server.close()
//!     await server.wait_closed()
//!     print('closed cleanly')
//! ```
//!
//! Run it, then `kill -TERM <pid>` from another shell (the pid is printed on stderr).

mod common;
use common::say;

/// Answers one line with its upper-case form, then closes.
#[corio::coroutine]
async fn handle(mut reader: corio::StreamReader, mut writer: corio::StreamWriter) {
    if let Ok(line) = reader.readline().await {
        writer.write(&line.to_ascii_uppercase());
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Serves until SIGTERM; `ready` runs once the handler is installed and a client has been
/// served (the example prints the pid there; its test sends the signal).
#[corio::coroutine]
pub async fn program(ready: impl FnOnce()) {
    let stop = corio::Event::new();
    let event_loop = corio::get_running_loop();
    let set = stop.clone();
    event_loop
        .add_signal_handler(corio::signal::SIGTERM, move || set.set())
        .expect("install the SIGTERM handler");
    let server = corio::start_server(
        |reader, writer| async move { handle(reader, writer).await },
        "127.0.0.1",
        0,
    )
    .await
    .expect("start the server");
    say!("serving; send SIGTERM to stop");
    // One client before the signal, to show the server at work.
    let port = server.local_addrs()[0].port();
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port)
        .await
        .expect("connect");
    writer.write(b"hello\n");
    let answer = reader.readline().await.expect("answer");
    say!(
        "client got {:?}",
        String::from_utf8_lossy(&answer).trim_end()
    );
    ready();
    stop.wait().await;
    say!("SIGTERM: closing the server");
    server.close();
    server.wait_closed().await;
    event_loop.remove_signal_handler(corio::signal::SIGTERM);
    say!("closed cleanly");
}

fn main() {
    corio::run(program(|| eprintln!("pid {}", std::process::id())));
}
