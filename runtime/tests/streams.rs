//! asyncio's streams over loopback TCP: the reader's methods on data split across writes,
//! its errors, echo through `start_server` / `open_connection`, the futures-io traits.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::rc::Rc;

use corio_runtime::{
    Event, IncompleteReadError, LimitOverrunError, Runner, StreamAddr, StreamReader, StreamWriter,
    create_task, open_connection, sleep, start_server, time, timeout,
};
use futures::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, StreamExt};

/// Awaits `fut`, failing the test instead of hanging if it takes over ten seconds.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    timeout(10)
        .wrap(fut)
        .await
        .expect("a stream operation hung")
}

/// Serves one connection with `handler` and connects to it: the client's reader and writer.
async fn connect_to<F, Fut>(handler: F) -> (StreamReader, StreamWriter, corio_runtime::Server)
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let server = start_server(handler, "127.0.0.1", 0).await.unwrap();
    let port = server.local_addrs()[0].port();
    let (reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
    (reader, writer, server)
}

/// Writes each piece one second of loop time apart, then closes.
fn send_pieces(
    pieces: &'static [&'static [u8]],
) -> impl FnMut(StreamReader, StreamWriter) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
    move |_reader, mut writer| {
        Box::pin(async move {
            for piece in pieces {
                writer.write(piece);
                writer.drain().await.unwrap();
                sleep(1).await;
            }
            writer.close();
            writer.wait_closed().await.unwrap();
        })
    }
}

async fn echo(mut reader: StreamReader, mut writer: StreamWriter) {
    loop {
        match reader.read(4096).await {
            Ok(data) if !data.is_empty() => {
                writer.write(&data);
                if writer.drain().await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

fn incomplete(error: &io::Error) -> &IncompleteReadError {
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    error.get_ref().unwrap().downcast_ref().unwrap()
}

fn overrun(error: &io::Error) -> &LimitOverrunError {
    assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
    error.get_ref().unwrap().downcast_ref().unwrap()
}

#[test]
fn echo_through_start_server_and_open_connection() {
    corio_runtime::run(async {
        let server = start_server(echo, "127.0.0.1", 0).await.unwrap();
        assert!(server.is_serving());
        let addr = server.local_addrs()[0];
        assert_ne!(addr.port(), 0);
        let (mut reader, mut writer) = open_connection("127.0.0.1", addr.port()).await.unwrap();
        assert_eq!(writer.peer_addr().unwrap().as_tcp(), Some(addr));
        assert!(matches!(writer.local_addr().unwrap(), StreamAddr::Tcp(a) if a.ip() == addr.ip()));
        for message in [&b"hello\n"[..], b"wide \xff bytes\n", b"last\n"] {
            writer.write(message);
            writer.drain().await.unwrap();
            assert_eq!(bounded(reader.readline()).await.unwrap(), message);
        }
        writer.write_eof().unwrap();
        assert_eq!(bounded(reader.read_to_end()).await.unwrap(), b"");
        assert!(reader.at_eof());
        writer.close();
        bounded(writer.wait_closed()).await.unwrap();
        server.close();
        bounded(server.wait_closed()).await;
    });
}

#[test]
fn echo_over_ipv6_loopback() {
    corio_runtime::run(async {
        let server = start_server(echo, "::1", 0).await.unwrap();
        let addr = server.local_addrs()[0];
        assert!(addr.is_ipv6());
        let (mut reader, mut writer) = open_connection("::1", addr.port()).await.unwrap();
        writer.write(b"over v6");
        writer.write_eof().unwrap();
        assert_eq!(bounded(reader.read_to_end()).await.unwrap(), b"over v6");
    });
}

#[test]
fn reads_on_data_split_across_writes_under_virtual_time() {
    static PIECES: &[&[u8]] = &[
        b"hel", b"lo\nwor", b"ld\n", b"abcdef", b"XY", b"Z--", b"end",
    ];
    let (log, at) = Runner::new().virtual_time().run(async {
        let (mut reader, _writer, _server) = connect_to(send_pieces(PIECES)).await;
        let mut log = Vec::new();
        let line = reader.readline().await.unwrap();
        log.push((time(), line));
        let until = reader.readuntil(b"\n").await.unwrap();
        log.push((time(), until));
        let exact = reader.readexactly(4).await.unwrap();
        log.push((time(), exact));
        // What is buffered comes back at once, without waiting for more.
        let some = reader.read(100).await.unwrap();
        log.push((time(), some));
        let until = reader.readuntil(b"--").await.unwrap();
        log.push((time(), until));
        assert!(!reader.at_eof());
        let rest = reader.read_to_end().await.unwrap();
        log.push((time(), rest));
        assert!(reader.at_eof());
        assert_eq!(reader.read(10).await.unwrap(), b"");
        assert_eq!(reader.readline().await.unwrap(), b"");
        assert_eq!(reader.readexactly(0).await.unwrap(), b"");
        (log, time())
    });
    let expected: Vec<(f64, Vec<u8>)> = vec![
        (1.0, b"hello\n".to_vec()),
        (2.0, b"world\n".to_vec()),
        (3.0, b"abcd".to_vec()),
        (3.0, b"ef".to_vec()),
        (5.0, b"XYZ--".to_vec()),
        (7.0, b"end".to_vec()),
    ];
    assert_eq!(log, expected);
    assert_eq!(at, 7.0);
}

#[test]
fn at_eof_sees_the_end_without_a_read() {
    Runner::new().virtual_time().run(async {
        let closed = Event::new();
        let (mut reader, _writer, _server) = connect_to({
            let closed = closed.clone();
            move |_reader, mut writer| {
                let closed = closed.clone();
                async move {
                    writer.write(b"abc");
                    sleep(1).await;
                    writer.close();
                    writer.wait_closed().await.unwrap();
                    closed.set();
                }
            }
        })
        .await;
        assert!(!reader.at_eof());
        assert_eq!(reader.readexactly(3).await.unwrap(), b"abc");
        assert!(!reader.at_eof(), "the peer has not closed yet");
        closed.wait().await;
        assert!(reader.at_eof());
        assert_eq!(reader.read(1).await.unwrap(), b"");
    });
}

#[test]
fn the_peer_closing_mid_readexactly_is_an_incomplete_read() {
    Runner::new().virtual_time().run(async {
        let (mut reader, _writer, _server) = connect_to(send_pieces(&[b"part", b"ial"])).await;
        let error = reader.readexactly(10).await.unwrap_err();
        let inner = incomplete(&error);
        assert_eq!(inner.partial, b"partial");
        assert_eq!(inner.expected, 10);
        assert_eq!(
            error.to_string(),
            "7 bytes read on a total of 10 expected bytes"
        );
        assert!(reader.at_eof(), "the partial bytes were taken");
    });
}

#[test]
fn readuntil_at_the_end_is_an_incomplete_read_with_the_separator_missing() {
    Runner::new().virtual_time().run(async {
        let (mut reader, _writer, _server) = connect_to(send_pieces(&[b"a,b", b",c"])).await;
        assert_eq!(reader.readuntil(b",").await.unwrap(), b"a,");
        assert_eq!(reader.readuntil(b",").await.unwrap(), b"b,");
        let error = reader.readuntil(b"::").await.unwrap_err();
        let inner = incomplete(&error);
        assert_eq!((inner.partial.as_slice(), inner.expected), (&b"c"[..], 3));
    });
}

#[test]
fn readuntil_with_an_empty_separator_is_invalid_input() {
    Runner::new().virtual_time().run(async {
        let (mut reader, _writer, _server) = connect_to(send_pieces(&[b"data"])).await;
        let error = reader.readuntil(b"").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        // Nothing was consumed.
        assert_eq!(reader.read_to_end().await.unwrap(), b"data");
    });
}

fn long_lines(at_limit: usize) -> Vec<u8> {
    let mut data = vec![b'a'; at_limit];
    data.extend_from_slice(b"\n");
    data.extend_from_slice(&[b'b'; 65_537]);
    data.extend_from_slice(b"\nnext\n");
    data
}

#[test]
fn a_line_of_exactly_the_limit_is_read_and_one_past_it_overruns() {
    corio_runtime::run(async {
        let data = long_lines(65_536);
        let (mut reader, _writer, _server) = connect_to(move |_reader, mut writer| {
            let data = data.clone();
            async move {
                writer.write(&data);
                writer.close();
            }
        })
        .await;
        let line = bounded(reader.readline()).await.unwrap();
        assert_eq!(line.len(), 65_537);
        assert!(line[..65_536].iter().all(|&b| b == b'a') && line[65_536] == b'\n');

        // readuntil leaves the over-long data in the buffer.
        let error = bounded(reader.readuntil(b"\n")).await.unwrap_err();
        assert_eq!(overrun(&error).consumed, 65_537);
        assert_eq!(
            bounded(reader.readexactly(65_537)).await.unwrap(),
            vec![b'b'; 65_537]
        );
        assert_eq!(bounded(reader.readline()).await.unwrap(), b"\n");
        assert_eq!(bounded(reader.readline()).await.unwrap(), b"next\n");
    });
}

#[test]
fn readline_over_the_limit_is_invalid_data_and_drops_the_line() {
    corio_runtime::run(async {
        let data = long_lines(70_000);
        let (mut reader, _writer, _server) = connect_to(move |_reader, mut writer| {
            let data = data.clone();
            async move {
                writer.write(&data);
                writer.close();
            }
        })
        .await;
        let error = bounded(reader.readline()).await.unwrap_err();
        // Where the search stopped depends on how the bytes arrived; past the limit always.
        let consumed = overrun(&error).consumed;
        assert!((65_537..=70_000).contains(&consumed), "{consumed}");
        assert!(error.to_string().contains("limit"));
        // The 'a' line was dropped up to its newline if that had come, else what was
        // buffered (the rest of it is then a short line, as in asyncio); the 'b' line
        // overruns too; then the stream goes on.
        let mut rest = Vec::new();
        let mut overruns = 0;
        loop {
            match bounded(reader.readline()).await {
                Ok(line) if line.is_empty() => break,
                Ok(line) => rest.push(line),
                Err(error) => {
                    assert!(overrun(&error).consumed > 65_536);
                    overruns += 1;
                }
            }
        }
        assert_eq!(overruns, 1);
        assert!(rest.iter().all(|line| line.len() < 65_536), "{rest:?}");
        assert_eq!(rest.last().unwrap(), b"next\n");
    });
}

#[test]
fn the_reader_is_a_stream_of_lines_and_a_buf_read() {
    Runner::new().virtual_time().run(async {
        let (reader, _writer, _server) = connect_to(send_pieces(&[b"one\ntw", b"o\nthree"])).await;
        let lines: Vec<Vec<u8>> = reader.map(Result::unwrap).collect().await;
        assert_eq!(lines, [&b"one\n"[..], b"two\n", b"three"]);

        let (mut reader, _writer, _server) = connect_to(send_pieces(&[b"x\ny", b"z\n"])).await;
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "x\n");
        let mut buf = [0u8; 8];
        let n = AsyncReadExt::read(&mut reader, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"y");
        let mut rest = Vec::new();
        AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        assert_eq!(rest, b"z\n");
    });
}

#[test]
fn futures_io_copy_over_the_streams() {
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let echoed = corio_runtime::run({
        let payload = payload.clone();
        async move {
            let copied = Rc::new(RefCell::new(0u64));
            let server = start_server(
                {
                    let copied = copied.clone();
                    move |mut reader: StreamReader, mut writer: StreamWriter| {
                        let copied = copied.clone();
                        async move {
                            let n = futures::io::copy_buf(&mut reader, &mut writer)
                                .await
                                .unwrap();
                            *copied.borrow_mut() = n;
                            AsyncWriteExt::close(&mut writer).await.unwrap();
                        }
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
            let port = server.local_addrs()[0].port();
            let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
            let sending = create_task(async move {
                let mut source = futures::io::Cursor::new(payload);
                futures::io::copy(&mut source, &mut writer).await.unwrap();
                writer.flush().await.unwrap();
                writer.write_eof().unwrap();
                writer
            });
            let mut echoed = Vec::new();
            bounded(futures::io::copy(&mut reader, &mut echoed))
                .await
                .unwrap();
            let _writer = sending.await.unwrap();
            server.close();
            bounded(server.wait_closed()).await;
            assert_eq!(*copied.borrow(), 1_000_000);
            echoed
        }
    });
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload);
}

#[test]
fn the_errors_display_and_convert_as_documented() {
    let error: io::Error = LimitOverrunError { consumed: 70_000 }.into();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    let inner: Box<LimitOverrunError> = error.into_inner().unwrap().downcast().unwrap();
    assert_eq!(*inner, LimitOverrunError { consumed: 70_000 });
    let error = IncompleteReadError {
        partial: vec![1, 2],
        expected: 5,
    };
    assert_eq!(
        format!("{error:?}"),
        "IncompleteReadError { partial: [1, 2], expected: 5 }"
    );
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert_eq!(
        boxed.to_string(),
        "2 bytes read on a total of 5 expected bytes"
    );
}
