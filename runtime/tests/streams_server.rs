//! `start_server`'s `Server`: accepting from the start, closing while clients are connected,
//! `wait_closed` (asyncio 3.12+: every accepted connection closed), `serve_forever`.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::rc::Rc;

use corio_runtime::{
    Runner, Server, StreamReader, StreamWriter, create_task, open_connection, sleep, start_server,
    time, timeout,
};

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    timeout(10)
        .wrap(fut)
        .await
        .expect("a stream operation hung")
}

async fn echo(mut reader: StreamReader, mut writer: StreamWriter) {
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

async fn echo_server() -> (Server, u16) {
    let server = start_server(echo, "127.0.0.1", 0).await.unwrap();
    let port = server.local_addrs()[0].port();
    (server, port)
}

#[test]
fn many_clients_at_once_each_get_their_own_bytes() {
    corio_runtime::run(async {
        let (server, port) = echo_server().await;
        let clients: Vec<_> = (0..20)
            .map(|i| {
                create_task(async move {
                    let (mut reader, mut writer) = open_connection("127.0.0.1", port).await?;
                    let mut got = Vec::new();
                    for j in 0..5 {
                        writer.write(format!("client {i} line {j}\n").as_bytes());
                        got.push(String::from_utf8(reader.readline().await?).unwrap());
                    }
                    writer.close();
                    writer.wait_closed().await?;
                    io::Result::Ok(got)
                })
            })
            .collect();
        for (i, client) in clients.into_iter().enumerate() {
            let got = bounded(client).await.unwrap().unwrap();
            let expected: Vec<String> = (0..5).map(|j| format!("client {i} line {j}\n")).collect();
            assert_eq!(got, expected);
        }
        server.close();
        bounded(server.wait_closed()).await;
    });
}

#[test]
fn closing_stops_accepting_and_connections_go_on() {
    corio_runtime::run(async {
        let (server, port) = echo_server().await;
        let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
        writer.write(b"first\n");
        assert_eq!(bounded(reader.readline()).await.unwrap(), b"first\n");

        server.close();
        assert!(!server.is_serving());
        assert!(server.local_addrs().is_empty());
        let refused = open_connection("127.0.0.1", port).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

        // The accepted connection is served on; the server is not closed until it ends.
        writer.write(b"second\n");
        assert_eq!(bounded(reader.readline()).await.unwrap(), b"second\n");
        let waited = timeout(0.2).wrap(server.wait_closed()).await;
        assert!(
            waited.is_err(),
            "wait_closed returned with a connection open"
        );
        writer.write_eof().unwrap();
        assert_eq!(bounded(reader.read_to_end()).await.unwrap(), b"");
        bounded(server.wait_closed()).await;
        // Closing again does nothing; waiting again returns at once.
        server.close();
        bounded(server.wait_closed()).await;
    });
}

#[test]
fn a_client_never_accepted_before_close_sees_the_end_or_an_error_not_a_hang() {
    corio_runtime::run(async {
        let (server, port) = echo_server().await;
        // Connected in the kernel's backlog: the accepting task has not run yet.
        let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
        server.close();
        writer.write(b"anyone?\n");
        match bounded(reader.readline()).await {
            // Had the handshake needed a loop pass, the server accepted it before closing:
            // then it is served, as any accepted connection.
            Ok(line) => assert!(line.is_empty() || line == b"anyone?\n", "{line:?}"),
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        }
        writer.close();
        bounded(server.wait_closed()).await;
    });
}

#[test]
fn wait_closed_waits_for_every_connection_under_virtual_time() {
    let log = Runner::new().virtual_time().run(async {
        let kept = Rc::new(RefCell::new(Vec::new()));
        let server = Rc::new(
            start_server(
                {
                    let kept = kept.clone();
                    move |mut reader: StreamReader, mut writer: StreamWriter| {
                        let kept = kept.clone();
                        async move {
                            let first = reader.readline().await.unwrap();
                            if first == b"close at 5\n" {
                                // The reader is kept elsewhere, but closing the writer closes
                                // the connection.
                                kept.borrow_mut().push(reader);
                                sleep(5).await;
                                writer.close();
                                writer.wait_closed().await.unwrap();
                            } else {
                                // Handed on: open until both halves are dropped, at 8.
                                create_task(async move {
                                    sleep(8).await;
                                    drop((reader, writer));
                                })
                                .detach();
                            }
                        }
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap(),
        );
        let port = server.local_addrs()[0].port();
        let mut log = Vec::new();
        let waiting = create_task({
            let server = server.clone();
            async move {
                // Before close, wait_closed waits for the close too.
                server.wait_closed().await;
                time()
            }
        });
        let mut clients = Vec::new();
        for line in [&b"close at 5\n"[..], b"drop at 8\n"] {
            let (reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
            writer.write(line);
            clients.push((reader, writer));
        }
        sleep(1).await;
        server.close();
        log.push(("closed", time()));
        server.wait_closed().await;
        log.push(("wait_closed", time()));
        log.push(("waiting task", waiting.await.unwrap()));
        log
    });
    assert_eq!(
        log,
        [("closed", 1.0), ("wait_closed", 8.0), ("waiting task", 8.0)]
    );
}

#[test]
fn serve_forever_returns_when_the_server_is_closed_elsewhere() {
    let at = Runner::new().virtual_time().run(async {
        let (server, _port) = echo_server().await;
        let server = Rc::new(server);
        let closer = create_task({
            let server = server.clone();
            async move {
                sleep(3).await;
                server.close();
            }
        });
        server.serve_forever().await;
        closer.await.unwrap();
        server.serve_forever().await; // a closed server: at once
        time()
    });
    assert_eq!(at, 3.0);
}

#[test]
fn cancelling_serve_forever_or_dropping_the_server_closes_it() {
    corio_runtime::run(async {
        let (server, port) = echo_server().await;
        let serving = timeout(0.05).wrap(server.serve_forever()).await;
        assert!(serving.is_err());
        assert!(!server.is_serving());
        let refused = open_connection("127.0.0.1", port).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

        let (server, port) = echo_server().await;
        drop(server);
        let refused = open_connection("127.0.0.1", port).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn a_name_listens_on_every_address_it_resolves_to() {
    corio_runtime::run(async {
        let server = start_server(echo, "localhost", 0).await.unwrap();
        let addrs = server.local_addrs();
        assert!(!addrs.is_empty());
        for addr in addrs {
            assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
            let (mut reader, mut writer) = open_connection(&addr.ip().to_string(), addr.port())
                .await
                .unwrap();
            writer.write(b"hi\n");
            assert_eq!(bounded(reader.readline()).await.unwrap(), b"hi\n");
        }
        assert!(format!("{server:?}").starts_with("Server { local_addrs: ["));
    });
}

#[test]
fn every_interface_and_a_port_in_use() {
    corio_runtime::run(async {
        let server = start_server(echo, "", 0).await.unwrap();
        let addrs = server.local_addrs();
        assert!(addrs[0].ip().is_unspecified());
        let (mut reader, mut writer) = open_connection("127.0.0.1", addrs[0].port()).await.unwrap();
        writer.write(b"any\n");
        assert_eq!(bounded(reader.readline()).await.unwrap(), b"any\n");

        let taken = start_server(echo, "127.0.0.1", 0).await.unwrap();
        let port = taken.local_addrs()[0].port();
        let error = start_server(echo, "127.0.0.1", port).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    });
}
