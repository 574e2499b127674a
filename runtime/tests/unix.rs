//! Unix-domain sockets on the loop: `net::UnixListener` / `UnixStream` and the Unix streams
//! (`start_unix_server`, `open_unix_connection`), in a fresh directory under the temp dir.

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use corio_runtime::net::{UnixListener, UnixStream};
use corio_runtime::{
    Runner, StreamAddr, StreamReader, StreamWriter, create_task, open_unix_connection, sleep,
    start_unix_server, time, timeout,
};
use futures::{AsyncReadExt, AsyncWriteExt};

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    timeout(10)
        .wrap(fut)
        .await
        .expect("a socket operation hung")
}

/// A directory of its own for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("corio-{}-{n}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn listener_and_stream_echo_with_the_futures_io_traits() {
    let dir = TempDir::new("echo");
    let path = dir.path("echo.sock");
    let echoed = corio_runtime::run(async move {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let server = create_task(async move {
            let (stream, _peer) = listener.accept().await?;
            let mut buf = [0u8; 1024];
            loop {
                let n = AsyncReadExt::read(&mut &stream, &mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(());
                }
                AsyncWriteExt::write_all(&mut &stream, &buf[..n]).await?;
            }
        });
        let mut client = UnixStream::connect(&path).await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        AsyncWriteExt::write_all(&mut client, b"over a unix socket")
            .await
            .unwrap();
        AsyncWriteExt::close(&mut client).await.unwrap();
        let mut echoed = Vec::new();
        bounded(AsyncReadExt::read_to_end(&mut client, &mut echoed))
            .await
            .unwrap();
        bounded(server).await.unwrap().unwrap();
        echoed
    });
    assert_eq!(echoed, b"over a unix socket");
}

#[test]
fn the_inherent_methods_and_a_socketpair() {
    corio_runtime::run(async {
        let (a, b) = UnixStream::pair().unwrap();
        a.write_all(b"ping").await.unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        let mut buf = [0u8; 8];
        let n = bounded(b.read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(bounded(b.read(&mut buf)).await.unwrap(), 0);
        assert!(b.write(b"pong").await.unwrap() == 4);
        assert_eq!(bounded(a.read(&mut buf)).await.unwrap(), 4);
        assert!(format!("{a:?}").starts_with("UnixStream"));
    });
}

#[test]
fn connecting_to_nothing_is_an_error() {
    let dir = TempDir::new("errors");
    let missing = dir.path("missing.sock");
    let stale = dir.path("stale.sock");
    let (missing_error, stale_error, in_use_error) = corio_runtime::run(async move {
        let missing_error = UnixStream::connect(&missing).await.unwrap_err();
        // A socket file nobody listens on any more.
        drop(UnixListener::bind(&stale).unwrap());
        let stale_error = UnixStream::connect(&stale).await.unwrap_err();
        let in_use_error = UnixListener::bind(&stale).unwrap_err();
        (missing_error, stale_error, in_use_error)
    });
    assert_eq!(missing_error.kind(), io::ErrorKind::NotFound);
    assert_eq!(stale_error.kind(), io::ErrorKind::ConnectionRefused);
    assert_eq!(in_use_error.kind(), io::ErrorKind::AddrInUse);
}

async fn echo_lines(mut reader: StreamReader, mut writer: StreamWriter) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        writer.write(&line);
        if writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

#[test]
fn unix_streams_echo_under_virtual_time() {
    let dir = TempDir::new("streams");
    let path = dir.path("server.sock");
    let (log, file_left) = Runner::new().virtual_time().run({
        let path = path.clone();
        async move {
            // A stale socket file is replaced, as asyncio's start_unix_server does.
            drop(UnixListener::bind(&path).unwrap());
            let server = start_unix_server(echo_lines, &path).await.unwrap();
            assert!(server.local_addrs().is_empty());
            assert!(server.is_serving());
            let (mut reader, mut writer) = open_unix_connection(&path).await.unwrap();
            match writer.peer_addr().unwrap() {
                StreamAddr::Unix(addr) => assert_eq!(addr.as_pathname(), Some(path.as_path())),
                other => panic!("not a Unix address: {other:?}"),
            }
            assert!(writer.local_addr().unwrap().as_tcp().is_none());
            let mut log = Vec::new();
            for word in ["one\n", "two\n"] {
                sleep(1).await;
                writer.write(word.as_bytes());
                let line = reader.readline().await.unwrap();
                log.push((time(), String::from_utf8(line).unwrap()));
            }
            writer.close();
            writer.wait_closed().await.unwrap();
            server.close();
            bounded(server.wait_closed()).await;
            (log, path.exists())
        }
    });
    assert_eq!(log, [(1.0, "one\n".to_owned()), (2.0, "two\n".to_owned())]);
    assert!(!file_left, "closing the server removes its socket file");
}

#[test]
fn a_unix_server_does_not_remove_a_file_that_is_not_its_own() {
    let dir = TempDir::new("foreign");
    let path = dir.path("server.sock");
    let other = dir.path("other.sock");
    corio_runtime::run({
        let (path, other) = (path.clone(), other.clone());
        async move {
            let server = start_unix_server(echo_lines, &path).await.unwrap();
            // Someone replaces the socket file while the server runs.
            std::fs::remove_file(&path).unwrap();
            let replacement = UnixListener::bind(&other).unwrap();
            std::fs::rename(&other, &path).unwrap();
            server.close();
            assert!(path.exists(), "the replacement was removed");
            drop(replacement);
        }
    });
    // A regular file where the socket should go is not removed: binding fails.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"not a socket").unwrap();
    let error = corio_runtime::run({
        let path = path.clone();
        async move { start_unix_server(echo_lines, &path).await.unwrap_err() }
    });
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
}

#[test]
fn write_eof_on_a_unix_stream_and_the_reply() {
    let dir = TempDir::new("eof");
    let path = dir.path("eof.sock");
    let reply = corio_runtime::run(async move {
        let server = start_unix_server(
            |mut reader: StreamReader, mut writer: StreamWriter| async move {
                let request = reader.read_to_end().await.unwrap();
                writer.write(&request.to_ascii_uppercase());
                writer.close();
            },
            &path,
        )
        .await
        .unwrap();
        let (mut reader, mut writer) = open_unix_connection(&path).await.unwrap();
        writer.write(b"shout");
        writer.write_eof().unwrap();
        let reply = bounded(reader.read_to_end()).await.unwrap();
        drop((reader, writer));
        server.close();
        bounded(server.wait_closed()).await;
        reply
    });
    assert_eq!(reply, b"SHOUT");
}

#[test]
fn writing_to_a_closed_peer_is_broken_pipe() {
    corio_runtime::run(async {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let error = a.write_all(b"nobody").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    });
}
