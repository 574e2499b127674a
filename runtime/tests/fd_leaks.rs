//! Every file descriptor is closed when its owner is dropped: the open descriptors of this
//! process are the same before and after 1000 TCP connections through a server (accepted,
//! echoed, closed from both ends) and 100 subprocesses with piped
//! stdio. One test in its own binary, so no other test opens descriptors meanwhile.

use std::io;

use corio_runtime::{Command, create_task, open_connection, start_server};

mod support;
use support::open_fds;

async fn connections(n: usize) -> io::Result<()> {
    let server = start_server(
        |mut reader, mut writer| async move {
            if let Ok(line) = reader.readline().await {
                writer.write(&line);
            }
            writer.close();
            let _ = writer.wait_closed().await;
        },
        "127.0.0.1",
        0,
    )
    .await?;
    let port = server.local_addrs()[0].port();
    // Ten at a time, so the listen backlog never overflows.
    for _ in 0..n / 10 {
        let clients: Vec<_> = (0..10)
            .map(|i| {
                create_task(async move {
                    let (mut reader, mut writer) = open_connection("127.0.0.1", port).await?;
                    writer.write(format!("line {i}\n").as_bytes());
                    let echoed = reader.readline().await?;
                    assert_eq!(echoed, format!("line {i}\n").as_bytes());
                    writer.close();
                    writer.wait_closed().await
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap()?;
        }
    }
    server.close();
    server.wait_closed().await;
    Ok(())
}

async fn subprocesses(n: usize) -> io::Result<()> {
    for i in 0..n {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("cat")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let (out, _) = child.communicate(Some(format!("{i}").as_bytes())).await?;
        assert_eq!(out, format!("{i}").as_bytes());
        assert!(child.wait().await?.success());
    }
    Ok(())
}

#[test]
fn no_descriptor_outlives_its_owner() {
    // A first loop warms what stays for the process's life (signal pipes kept per thread,
    // the thread pool's threads): counted in the baseline.
    corio_runtime::run(async { connections(10).await.unwrap() });
    let before = open_fds();
    corio_runtime::run(async {
        connections(1000).await.unwrap();
        subprocesses(100).await.unwrap();
    });
    let after = open_fds();
    assert_eq!(before, after, "descriptors left open");
}
