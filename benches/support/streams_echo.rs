//! The echo of `benches/echo.rs`'s `corio-streams` rows, which the probe counts too: corio's
//! asyncio-shaped streams (`start_server`, `open_connection`, `write` + `drain`, `read`,
//! `readexactly`), line for line the program `benches/asyncio_echo.py` runs on asyncio.
//! Only 127.0.0.1 and an ephemeral port.

use std::io;

use corio::{StreamReader, StreamWriter};

/// The message's length.
const MESSAGE: usize = 64;

async fn serve(mut reader: StreamReader, mut writer: StreamWriter) {
    loop {
        let data = reader.read(4096).await.unwrap();
        if data.is_empty() {
            break;
        }
        writer.write(&data);
        writer.drain().await.unwrap();
    }
    writer.close();
}

async fn client(port: u16, trips: usize) -> io::Result<()> {
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port).await?;
    let message = [7u8; MESSAGE];
    for _ in 0..trips {
        writer.write(&message);
        writer.drain().await?;
        let echoed = reader.readexactly(MESSAGE).await?;
        assert_eq!(echoed.len(), MESSAGE);
    }
    writer.close();
    writer.wait_closed().await
}

/// `clients` clients connected at once to one server, `trips` round trips of 64 bytes each,
/// all on one loop.
pub fn run(clients: usize, trips: usize) {
    corio::run(async {
        let server = corio::start_server(serve, "127.0.0.1", 0).await.unwrap();
        let port = server.local_addrs()[0].port();
        let tasks: Vec<_> = (0..clients)
            .map(|_| corio::create_task(client(port, trips)))
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        server.close();
        server.wait_closed().await;
    });
}
