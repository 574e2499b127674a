//! TCP on the loop's selector: a server and a client on one loop, over loopback.

use std::io;
use std::net::Shutdown;

use corio_runtime::net::{TcpListener, TcpStream};
use corio_runtime::{Runner, create_task, sleep, time};

/// A server that echoes one connection's bytes until EOF, and a client that sends `message`.
async fn echo_once(message: &'static [u8]) -> io::Result<Vec<u8>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = create_task(async move {
        let (stream, _) = listener.accept().await?;
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return io::Result::Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    });
    let client = TcpStream::connect(addr).await?;
    client.write_all(message).await?;
    client.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        echoed.extend_from_slice(&buf[..n]);
    }
    server.await.unwrap()?;
    Ok(echoed)
}

#[test]
fn echo_over_loopback_on_the_real_clock() {
    let echoed = corio_runtime::run(echo_once(b"hello, loop")).unwrap();
    assert_eq!(echoed, b"hello, loop");
}

#[test]
fn io_takes_no_virtual_time_and_timers_still_jump() {
    let (echoed, at) = Runner::new().virtual_time().run(async {
        let echoed = echo_once(b"ping").await.unwrap();
        let before = time();
        sleep(3600).await;
        (echoed, (before, time()))
    });
    assert_eq!(echoed, b"ping");
    assert_eq!(at, (0.0, 3600.0));
}

#[test]
fn a_sleep_beside_waiting_io_fires_at_its_deadline_under_virtual_time() {
    let order = Runner::new().virtual_time().run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepting = create_task(async move { listener.accept().await.map(|_| time()) });
        sleep(5).await;
        let connected_at = time();
        let _client = TcpStream::connect(addr).await.unwrap();
        (connected_at, accepting.await.unwrap().unwrap())
    });
    assert_eq!(order, (5.0, 5.0));
}

#[test]
fn connection_refused_is_an_error() {
    let error = corio_runtime::run(async {
        // Bind then drop: the port is free and nothing listens there.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        TcpStream::connect(addr).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn a_port_in_use_is_an_error() {
    let error = corio_runtime::run(async {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = first.local_addr().unwrap();
        TcpListener::bind(addr).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
}

/// The peer's last bytes and its end (FIN) come in one readiness event; the short read that
/// takes the bytes tells the selector "drained", yet the end is still read: the next read
/// returns 0 at once instead of waiting for an edge that never comes.
#[test]
fn the_end_that_comes_with_the_last_bytes_is_read() {
    let reads = corio_runtime::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let reader = create_task(async move {
            let mut buf = [0u8; 1024];
            let mut reads = Vec::new();
            loop {
                // Waits first (nothing sent yet), so the bytes and the FIN arrive while it
                // is parked: one edge for both.
                let n = corio_runtime::timeout(5)
                    .wrap(server.read(&mut buf))
                    .await
                    .expect("the end after a short read was never read")
                    .unwrap();
                reads.push(n);
                if n == 0 {
                    return reads;
                }
            }
        });
        sleep(0.01).await;
        client.write_all(b"last words").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        reader.await.unwrap()
    });
    assert_eq!(reads, [10, 0]);
}

#[test]
fn a_task_connecting_in_a_loop_lets_the_server_accept_between_connects() {
    // Loopback completes a handshake inside connect(2); a connect that then went on without
    // waiting for the selector would never let the accepting task run, the listen backlog
    // would fill, and the kernel would drop SYNs for a retry a second later.
    Runner::new()
        .run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let accepted = std::rc::Rc::new(std::cell::Cell::new(0usize));
            let count = accepted.clone();
            let server = create_task(async move {
                let mut streams = Vec::new();
                for _ in 0..150 {
                    streams.push(listener.accept().await?.0);
                    count.set(count.get() + 1);
                }
                io::Result::Ok(streams.len())
            });
            let mut clients = Vec::new();
            let mut most_behind = 0;
            for connected in 1..=150 {
                clients.push(TcpStream::connect(addr).await?);
                most_behind = most_behind.max(connected - accepted.get());
            }
            assert_eq!(server.await.unwrap()?, 150);
            assert!(
                most_behind <= 1,
                "the server fell {most_behind} connections behind the client"
            );
            io::Result::Ok(())
        })
        .unwrap();
}
