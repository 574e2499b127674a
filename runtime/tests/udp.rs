//! UDP on the loop's selector: datagrams between sockets on one loop, over loopback.

use std::io;
use std::net::SocketAddr;

use corio_runtime::net::UdpSocket;
use corio_runtime::{Runner, create_task, sleep, time};

#[test]
fn send_to_and_recv_from_carry_exact_datagrams_and_senders() {
    let (got, from, sender) = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let sent = a.send_to(b"hello, datagram", b.local_addr()?).await?;
        assert_eq!(sent, 15);
        let mut buf = [0u8; 64];
        let (n, from) = b.recv_from(&mut buf).await?;
        io::Result::Ok((buf[..n].to_vec(), from, a.local_addr()?))
    })
    .unwrap();
    assert_eq!(got, b"hello, datagram");
    assert_eq!(from, sender);
}

#[test]
fn each_receive_takes_one_datagram_in_order() {
    let got = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let to = b.local_addr()?;
        for message in [&b"one"[..], b"two", b"", b"three"] {
            a.send_to(message, to).await?;
        }
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..4 {
            let (n, _) = b.recv_from(&mut buf).await?;
            got.push(buf[..n].to_vec());
        }
        io::Result::Ok(got)
    })
    .unwrap();
    assert_eq!(got, [&b"one"[..], b"two", b"", b"three"]);
}

#[test]
fn a_short_buffer_gets_the_head_of_the_datagram_and_the_rest_is_dropped() {
    let got = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        a.send_to(b"0123456789", b.local_addr()?).await?;
        a.send_to(b"next", b.local_addr()?).await?;
        let mut small = [0u8; 4];
        let (n, _) = b.recv_from(&mut small).await?;
        let mut buf = [0u8; 64];
        let (m, _) = b.recv_from(&mut buf).await?;
        io::Result::Ok((small[..n].to_vec(), buf[..m].to_vec()))
    })
    .unwrap();
    assert_eq!(got, (b"0123".to_vec(), b"next".to_vec()));
}

#[test]
fn a_receiver_waits_for_a_datagram_sent_later_by_another_task() {
    let got = Runner::new().virtual_time().run(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let client = create_task(async move {
            sleep(2).await;
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.send_to(b"late", addr).await.unwrap();
            // Echo: the server answers to the address the datagram came from.
            let mut buf = [0u8; 16];
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, addr);
            (buf[..n].to_vec(), time())
        });
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        let received_at = time();
        server.send_to(&buf[..n], from).await.unwrap();
        (received_at, client.await.unwrap())
    });
    assert_eq!(got, (2.0, (b"late".to_vec(), 2.0)));
}

#[test]
fn connected_sockets_send_and_recv_with_their_peer() {
    let got = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);
        a.send(b"ping").await?;
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).await?;
        let ping = buf[..n].to_vec();
        b.send(b"pong").await?;
        let n = a.recv(&mut buf).await?;
        io::Result::Ok((ping, buf[..n].to_vec()))
    })
    .unwrap();
    assert_eq!(got, (b"ping".to_vec(), b"pong".to_vec()));
}

#[test]
fn a_connected_socket_ignores_datagrams_from_others() {
    let got = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let stranger = UdpSocket::bind("127.0.0.1:0").await?;
        b.connect(a.local_addr()?).await?;
        stranger
            .send_to(b"from a stranger", b.local_addr()?)
            .await?;
        a.send_to(b"from the peer", b.local_addr()?).await?;
        let mut buf = [0u8; 32];
        let n = b.recv(&mut buf).await?;
        io::Result::Ok(buf[..n].to_vec())
    })
    .unwrap();
    assert_eq!(got, b"from the peer");
}

#[test]
fn send_before_connect_is_an_error_not_a_hang() {
    let (peer, error) = corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (
            a.peer_addr().unwrap_err(),
            a.send(b"nowhere").await.unwrap_err(),
        )
    });
    assert_eq!(peer.kind(), io::ErrorKind::NotConnected);
    // "Destination address required": the OS has nowhere to send it.
    assert_eq!(error.raw_os_error(), Some(libc::EDESTADDRREQ), "{error:?}");
}

#[test]
fn bind_takes_names_and_reports_a_port_in_use() {
    corio_runtime::run(async {
        let a = UdpSocket::bind(("localhost", 0)).await.unwrap();
        let addr: SocketAddr = a.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0);
        let error = UdpSocket::bind(addr).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    });
}

#[test]
fn debug_shows_the_addresses() {
    corio_runtime::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = a.local_addr().unwrap().port();
        assert_eq!(
            format!("{a:?}"),
            format!("UdpSocket {{ local_addr: Some(127.0.0.1:{port}), peer_addr: None }}")
        );
    });
}

#[test]
fn sockets_take_the_address_forms_std_and_tokio_take() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4};
    let got = corio_runtime::run(async {
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let b = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).await?;
        let c = UdpSocket::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await?;
        let to: SocketAddr = b.local_addr()?;
        a.send_to(b"by reference", &to).await?;
        let mut port = String::from("127.0.0.1:");
        port.push_str(&c.local_addr()?.port().to_string());
        a.send_to(b"by &String", &port).await?;
        let mut buf = [0u8; 64];
        let (n, _) = b.recv_from(&mut buf).await?;
        let (m, _) = c.recv_from(&mut buf[n..]).await?;
        let v6 = match UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).await {
            Ok(socket) => Some(socket.local_addr()?.ip()),
            // A machine without IPv6 on loopback refuses ::1; that is not what is tested.
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => None,
            Err(e) => return Err(e),
        };
        io::Result::Ok((buf[..n + m].to_vec(), a.local_addr()?.ip(), v6))
    })
    .unwrap();
    assert_eq!(got.0, b"by referenceby &String");
    assert_eq!(got.1, Ipv4Addr::LOCALHOST);
    assert!(got.2.is_none_or(|ip| ip == Ipv6Addr::LOCALHOST));
}
