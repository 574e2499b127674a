//! The stream writer over loopback TCP: its buffer and `drain`, closing, half-closing,
//! writes after close, a connection reset by the peer.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::Duration;

use corio_runtime::net::TcpListener;
use corio_runtime::{
    Event, Runner, StreamReader, StreamWriter, create_task, open_connection, sleep, start_server,
    time, timeout,
};
use futures::AsyncWriteExt;

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    timeout(10)
        .wrap(fut)
        .await
        .expect("a stream operation hung")
}

/// A listener on an ephemeral loopback port, and a client connected to it with the
/// server's end accepted: (client reader, client writer, server end).
async fn pair() -> (StreamReader, StreamWriter, corio_runtime::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
    let (server_end, _) = bounded(listener.accept()).await.unwrap();
    (reader, writer, server_end)
}

async fn read_all(stream: &corio_runtime::net::TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = bounded(stream.read(&mut buf)).await.unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn drain_waits_while_more_than_64_kib_is_buffered_until_the_peer_reads() {
    const SIZE: usize = 32 * 1024 * 1024;
    corio_runtime::run(async {
        let (_reader, mut writer, server_end) = pair().await;
        let payload: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
        // Far more than the kernel's socket buffers take: most of it stays in the writer.
        writer.write(&payload);
        assert!(!writer.is_closing());
        // Nobody reads: drain does not return.
        {
            let mut draining = pin!(writer.drain());
            let waited = timeout(0.3).wrap(draining.as_mut()).await;
            assert!(
                waited.is_err(),
                "drain returned while the peer read nothing"
            );
        }
        // Under the high-water mark drain returns at once: a small write is not over it
        // once the peer reads.
        let reading = create_task(async move { read_all(&server_end).await });
        bounded(writer.drain()).await.unwrap();
        writer.close();
        bounded(writer.wait_closed()).await.unwrap();
        let received = reading.await.unwrap();
        assert_eq!(received.len(), SIZE);
        assert!(received == payload);
    });
}

#[test]
fn drain_returns_at_once_under_the_high_water_mark() {
    let at = Runner::new().virtual_time().run(async {
        let (_reader, mut writer, _server_end) = pair().await;
        sleep(1).await;
        writer.write(&[7u8; 60 * 1024]);
        writer.drain().await.unwrap();
        time()
    });
    assert_eq!(at, 1.0);
}

#[test]
fn writes_after_close_are_dropped_and_drain_says_broken_pipe() {
    corio_runtime::run(async {
        let (_reader, mut writer, server_end) = pair().await;
        writer.write(b"before");
        writer.close();
        assert!(writer.is_closing());
        writer.write(b"after");
        let error = writer.drain().await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        let error = AsyncWriteExt::write(&mut writer, b"after")
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        bounded(writer.wait_closed()).await.unwrap();
        // Closing again, and waiting again, are no-ops.
        writer.close();
        bounded(writer.wait_closed()).await.unwrap();
        assert_eq!(read_all(&server_end).await, b"before");
    });
}

#[test]
fn close_sends_the_buffer_first_and_ends_this_sides_reader_too() {
    corio_runtime::run(async {
        let (mut reader, mut writer, server_end) = pair().await;
        server_end.write_all(b"already here").await.unwrap();
        let big = vec![1u8; 8 * 1024 * 1024];
        writer.write(&big);
        writer.close();
        // The reader reads what had come, then the end, without the peer closing.
        let reading = create_task(async move { bounded(reader.read_to_end()).await.unwrap() });
        assert_eq!(read_all(&server_end).await.len(), big.len());
        bounded(writer.wait_closed()).await.unwrap();
        assert_eq!(reading.await.unwrap(), b"already here");
    });
}

#[test]
fn write_eof_half_closes_and_the_reply_still_comes() {
    corio_runtime::run(async {
        let server = start_server(
            |mut reader: StreamReader, mut writer: StreamWriter| async move {
                let request = reader.read_to_end().await.unwrap();
                writer.write(b"got ");
                writer.write(&request);
                writer.close();
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.local_addrs()[0].port();
        let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
        writer.write(b"request");
        writer.write_eof().unwrap();
        writer.write_eof().unwrap();
        assert!(!writer.is_closing());
        writer.write(b" dropped after the end");
        assert_eq!(bounded(reader.read_to_end()).await.unwrap(), b"got request");
    });
}

#[test]
fn dropping_the_writer_ends_the_stream_for_the_peer_after_its_buffer() {
    corio_runtime::run(async {
        let (mut reader, mut writer, server_end) = pair().await;
        writer.write(&vec![9u8; 4 * 1024 * 1024]);
        drop(writer);
        assert_eq!(read_all(&server_end).await.len(), 4 * 1024 * 1024);
        // The reader lives on.
        server_end.write_all(b"still reading").await.unwrap();
        drop(server_end);
        assert_eq!(
            bounded(reader.read_to_end()).await.unwrap(),
            b"still reading"
        );
    });
}

#[test]
fn a_connection_reset_by_the_peer_mid_read_is_connection_reset() {
    corio_runtime::run(async {
        let (mut reader, mut writer, server_end) = pair().await;
        server_end.write_all(b"hello").await.unwrap();
        assert_eq!(bounded(reader.readexactly(5)).await.unwrap(), b"hello");
        let reset = Event::new();
        let pending_read = create_task({
            let reset = reset.clone();
            async move {
                reset.set();
                let result = bounded(reader.readexactly(5)).await;
                (result, reader)
            }
        });
        reset.wait().await;
        socket2::SockRef::from(&server_end)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server_end);
        let (result, mut reader) = pending_read.await.unwrap();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
        // The reset ends the stream for later reads.
        assert_eq!(bounded(reader.read(10)).await.unwrap(), b"");
        // Writing to it fails: the error is kept, drain and wait_closed report it.
        writer.write(b"into the void");
        let error = bounded(writer.drain()).await.unwrap_err();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{error}"
        );
        assert!(writer.is_closing());
        assert_eq!(
            bounded(writer.wait_closed()).await.unwrap_err().kind(),
            error.kind()
        );
    });
}

#[test]
fn the_writer_is_an_async_write_with_flush_and_close() {
    corio_runtime::run(async {
        let (_reader, mut writer, server_end) = pair().await;
        let big = vec![3u8; 2 * 1024 * 1024];
        writer.write_all(&big).await.unwrap();
        let reading = create_task(async move { read_all(&server_end).await });
        bounded(writer.flush()).await.unwrap();
        bounded(AsyncWriteExt::close(&mut writer)).await.unwrap();
        assert!(writer.is_closing());
        assert_eq!(reading.await.unwrap().len(), big.len());
    });
}
