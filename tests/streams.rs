//! The facade re-exports the streams and sockets: `corio::open_connection`,
//! `corio::start_server`, `corio::net::UnixStream`, the stream errors.

use corio::net::{TcpListener, UnixStream};
use corio::{
    IncompleteReadError, LimitOverrunError, Server, StreamAddr, StreamReader, StreamWriter,
};

#[corio::test(virtual_time)]
async fn an_echo_through_the_facade_takes_no_virtual_time() {
    let server: Server = corio::start_server(
        |mut reader: StreamReader, mut writer: StreamWriter| async move {
            let line = reader.readline().await.unwrap();
            writer.write(&line);
            writer.close();
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let port = server.local_addrs()[0].port();
    corio::sleep(2).await;
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
    assert!(matches!(writer.peer_addr().unwrap(), StreamAddr::Tcp(_)));
    writer.write(b"facade\n");
    assert_eq!(reader.read_to_end().await.unwrap(), b"facade\n");
    let error = reader.readexactly(1).await.unwrap_err();
    let inner = error
        .get_ref()
        .unwrap()
        .downcast_ref::<IncompleteReadError>();
    assert_eq!(inner.unwrap().expected, 1);
    assert_eq!(corio::time(), 2.0);

    let addrs = corio::getaddrinfo("127.0.0.1", 80).await.unwrap();
    assert_eq!(addrs[0].port(), 80);
    let _: fn(LimitOverrunError) -> std::io::Error = Into::into;
    let _listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    drop(a);
}
