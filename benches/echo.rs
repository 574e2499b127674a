//! TCP echo over loopback: one client's round trips of 64-byte messages, and the throughput of
//! 100 concurrent clients, each on one thread, beside tokio's current-thread runtime and smol.
//!
//! Server and clients run on the same single-threaded executor (one process, one thread, as
//! the asyncio docs' echo example runs them on one loop), so a round trip is: the client's
//! write, the server's read and write, the client's read, with the executor's selector in
//! between. corio uses `corio::net::TcpStream` (its streams API sits on it), tokio its
//! `TcpStream`, smol `Async<TcpStream>` from async-io on a `LocalExecutor` (async-io waits in
//! its own reactor, driven from `block_on`).
//!
//! The `corio-streams` rows run the same echo through corio's asyncio-shaped streams
//! (`start_server`, `open_connection`, `write` + `drain`, `read`, `readexactly`), line for line
//! the program `benches/asyncio_echo.py` runs on asyncio and uvloop: that row is the one to
//! set beside asyncio's.
//!
//! * `echo_round_trip`: 1000 round trips of 64 bytes by one client;
//! * `echo_100_clients`: 100 clients connected at once, 100 round trips each (10k messages).
//!
//! Before the groups, `main` prints the heap each idle connection holds on corio: 10k
//! connections (fewer if the descriptor limit, raised to its hard limit first, cannot hold
//! both ends of 10k in this one process) accepted by `start_server`, each server task parked
//! in `readline()` and each client holding its `(StreamReader, StreamWriter)`; a counting
//! allocator gives the live bytes, divided by the number of connections.
//!
//! Times are CPU time of the process (user and system), not wall time: see
//! `support::cpu_time_of`; `benches/asyncio_echo.py` reads the same clock.
//!
//! Only 127.0.0.1 and ephemeral ports; every loop is bounded by its count.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use criterion::{Bencher, Criterion, SamplingMode, Throughput};

mod support;

#[global_allocator]
static GLOBAL: support::CountingAlloc = support::CountingAlloc;

const MESSAGE: usize = 64;
const IDLE: usize = 10_000;

/// Raises the soft descriptor limit to the hard one; returns how many connections (two
/// descriptors each, in this process) fit, at most `IDLE`.
fn idle_connections_that_fit() -> usize {
    // SAFETY: getrlimit/setrlimit with a valid resource and a pointer to a local struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        IDLE.min((limit.rlim_cur as usize).saturating_sub(256) / 2)
    }
}

/// Live heap bytes per idle connection on corio: server side (its task, reader, writer) and
/// client side (reader and writer), together.
fn idle_bytes_per_connection(n: usize) -> f64 {
    corio::run(async move {
        let server = corio::start_server(
            |mut reader, _writer| async move {
                let _ = reader.readline().await;
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.local_addrs()[0].port();
        // A first connection warms what is made once (the listener's task, queues' growth).
        let warm = corio::open_connection("127.0.0.1", port).await.unwrap();
        corio::sleep(0.01).await;
        support::start_counting();
        let before = support::live_bytes();
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            clients.push(corio::open_connection("127.0.0.1", port).await.unwrap());
        }
        // Let every server task start and park in readline().
        corio::sleep(0.05).await;
        let bytes = support::live_bytes() - before;
        support::stop_counting();
        drop(clients);
        drop(warm);
        server.close();
        server.wait_closed().await;
        bytes as f64 / n as f64
    })
}
const ROUND_TRIPS: usize = 1000;
const CLIENTS: usize = 100;
const PER_CLIENT: usize = 100;

/// The peer-independent shape of one executor's echo: bind, serve each connection with
/// `serve`, and run `clients` clients doing `trips` round trips each with `client`.
mod corio_echo {
    use super::*;
    use corio::net::{TcpListener, TcpStream};

    async fn serve(stream: TcpStream) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }

    async fn client(addr: SocketAddr, trips: usize) -> io::Result<()> {
        let stream = TcpStream::connect(addr).await?;
        let message = [7u8; MESSAGE];
        let mut buf = [0u8; MESSAGE];
        for _ in 0..trips {
            stream.write_all(&message).await?;
            let mut got = 0;
            while got < MESSAGE {
                let n = stream.read(&mut buf[got..]).await?;
                assert!(n > 0, "the server closed early");
                got += n;
            }
        }
        Ok(())
    }

    pub(super) fn run(clients: usize, trips: usize) {
        corio::run(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptor = listener.clone();
            let server = corio::create_task(async move {
                for _ in 0..clients {
                    let (stream, _) = acceptor.accept().await.unwrap();
                    corio::create_task(serve(stream)).detach();
                }
            });
            let tasks: Vec<_> = (0..clients)
                .map(|_| corio::create_task(client(addr, trips)))
                .collect();
            for task in tasks {
                task.await.unwrap().unwrap();
            }
            server.await.unwrap();
        });
    }
}

/// The echo of `benches/asyncio_echo.py` on corio's streams, statement for statement.
mod tokio_echo {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    async fn serve(mut stream: TcpStream) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }

    async fn client(addr: SocketAddr, trips: usize) -> io::Result<()> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let message = [7u8; MESSAGE];
        let mut buf = [0u8; MESSAGE];
        for _ in 0..trips {
            stream.write_all(&message).await?;
            stream.read_exact(&mut buf).await?;
        }
        Ok(())
    }

    pub(super) fn run(rt: &tokio::runtime::Runtime, clients: usize, trips: usize) {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                for _ in 0..clients {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    tokio::spawn(serve(stream));
                }
            });
            let tasks: Vec<_> = (0..clients)
                .map(|_| tokio::spawn(client(addr, trips)))
                .collect();
            for task in tasks {
                task.await.unwrap().unwrap();
            }
            server.await.unwrap();
        });
    }
}

mod smol_echo {
    use super::*;
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    use smol::net::{TcpListener, TcpStream};

    async fn serve(mut stream: TcpStream) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }

    async fn client(addr: SocketAddr, trips: usize) -> io::Result<()> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let message = [7u8; MESSAGE];
        let mut buf = [0u8; MESSAGE];
        for _ in 0..trips {
            stream.write_all(&message).await?;
            stream.read_exact(&mut buf).await?;
        }
        Ok(())
    }

    pub(super) fn run(clients: usize, trips: usize) {
        let ex = Rc::new(smol::LocalExecutor::new());
        smol::block_on(ex.run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let spawner = ex.clone();
            let server = ex.spawn(async move {
                for _ in 0..clients {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    spawner.spawn(serve(stream)).detach();
                }
            });
            let tasks: Vec<_> = (0..clients)
                .map(|_| ex.spawn(client(addr, trips)))
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            server.await;
        }));
    }
}

/// Times by CPU time ([`support::cpu_time_of`]): the noise of a shared machine stays out.
fn cpu_timed(b: &mut Bencher<'_>, mut run: impl FnMut()) {
    b.iter_custom(|iters| support::cpu_time_of(|| (0..iters).for_each(|_| run())));
}

fn main() {
    let n = idle_connections_that_fit();
    if n == 0 {
        println!("idle connections: skipped (no descriptor limit could be read)");
    } else {
        println!(
            "idle connections: {n} held open, {:.0} B of heap per connection (both ends)",
            idle_bytes_per_connection(n)
        );
    }
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("echo_round_trip");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(ROUND_TRIPS as u64));
    group.bench_function("corio", |b| {
        cpu_timed(b, || corio_echo::run(1, ROUND_TRIPS))
    });
    group.bench_function("corio-streams", |b| {
        cpu_timed(b, || support::streams_echo::run(1, ROUND_TRIPS))
    });
    group.bench_function("tokio", |b| {
        cpu_timed(b, || tokio_echo::run(&rt, 1, ROUND_TRIPS))
    });
    group.bench_function("smol", |b| cpu_timed(b, || smol_echo::run(1, ROUND_TRIPS)));
    group.finish();

    let mut group = c.benchmark_group("echo_100_clients");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements((CLIENTS * PER_CLIENT) as u64));
    group.bench_function("corio", |b| {
        cpu_timed(b, || corio_echo::run(CLIENTS, PER_CLIENT))
    });
    group.bench_function("corio-streams", |b| {
        cpu_timed(b, || support::streams_echo::run(CLIENTS, PER_CLIENT))
    });
    group.bench_function("tokio", |b| {
        cpu_timed(b, || tokio_echo::run(&rt, CLIENTS, PER_CLIENT))
    });
    group.bench_function("smol", |b| {
        cpu_timed(b, || smol_echo::run(CLIENTS, PER_CLIENT))
    });
    group.finish();
    c.final_summary();
}
