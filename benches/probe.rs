//! One workload per run, for instruction counts under `valgrind --tool=callgrind`, where
//! criterion's repetitions would only blur the count. Count a workload at two sizes and take
//! the difference, so start-up cancels out:
//!
//! ```sh
//! cargo bench --bench probe --no-run        # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/probe-<hash> spawn 100000
//! ```
//!
//! Workloads (`<name> <n>`):
//!
//! * `loops n`: `n` empty `corio::run`s (creating and closing a loop, its selector included);
//! * `spawn n`: `n` empty tasks spawned, then awaited, on one loop;
//! * `spawn-ctx n`: the same, each task reading a context variable its creator set (so each
//!   task has a context);
//! * `spawn-eager n`: the same with `create_eager_task`: each task finishes inside the call;
//! * `spawn-yield n` / `spawn-eager-yield n`: `n` tasks that each await once (a wake-and-yield,
//!   as `sleep(0)`), spawned with `create_task` / `create_eager_task`, then awaited;
//! * `timers n`: `n` tasks each sleeping to one of 1000 deadlines, under virtual time;
//! * `timers-spread n` / `timers-spread-tokio n`: `benches/timers.rs`'s `timers_spread`: `n`
//!   sleeps with pseudo-random deadlines over 0..1 s, drained through one `FuturesUnordered`,
//!   under corio's virtual time / tokio's current-thread runtime with `start_paused(true)`;
//!   `timers-spread-ticks n` / `timers-spread-ticks-tokio n` the same with each delay rounded up
//!   to a whole millisecond (`support::on_ms_ticks`: the instants of tokio's tick);
//! * `frame-bare n` / `frame-coro n`: `benches/coroutine.rs`'s `frame_loop`: inside
//!   `corio::run`, `n` rounds of 1000 awaits of a leaf that yields once (bare `async fn`s, or
//!   both fns `#[corio::coroutine]`); `frame-coro-debug n` the same in debug mode (frames
//!   recorded for the call graph); `frame-coro-trace n` the same on a traced runner
//!   (`Runner::trace`: every step recorded with its await site);
//! * `call-bare n` / `call-coro n`: `benches/coroutine.rs`'s `call_1000`: inside `corio::run`,
//!   `n` rounds of 1000 awaits of a leaf that never suspends (bare `async fn`s, or both fns
//!   `#[corio::coroutine]`): a coroutine's creation, first poll and drop, with no loop pass;
//! * `echo n` / `echo-tokio n`: `n` 64-byte round trips over loopback, client and server on
//!   one loop (corio's `net::TcpStream`; tokio's current-thread runtime);
//! * `echo-streams n`: `benches/echo.rs`'s `echo_100_clients` on corio's streams (the row set
//!   beside asyncio's): 100 clients, `n` round trips each; per message = (`n` = 20 minus
//!   `n` = 10) / 1000.
//!
//! Only 127.0.0.1 and ephemeral ports.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

const MESSAGE: usize = 64;

mod support;
use support::sleep_all_unordered;

/// `timers_spread`'s delays (`benches/timers.rs`): uniform over 0..1 s.
fn spread_delays(n: usize) -> Vec<std::time::Duration> {
    support::delays(n, 1_000_000_000)
}

/// `frame_loop`'s fns of `benches/coroutine.rs`, once bare and once as coroutines.
macro_rules! frame_fns {
    ($module:ident $(, #[$attr:meta])?) => {
        mod $module {
            $(#[$attr])?
            async fn yielding_leaf(x: u64) -> u64 {
                let mut yielded = false;
                std::future::poll_fn(|cx| {
                    if std::mem::replace(&mut yielded, true) {
                        return std::task::Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                })
                .await;
                std::hint::black_box(x).wrapping_mul(3)
            }

            $(#[$attr])?
            pub(super) async fn yield_1000() -> u64 {
                let mut sum = 0u64;
                for i in 0..1000 {
                    sum = sum.wrapping_add(yielding_leaf(i).await);
                }
                sum
            }
        }
    };
}

/// `call_1000`'s fns of `benches/coroutine.rs`, once bare and once as coroutines.
macro_rules! call_fns {
    ($module:ident $(, #[$attr:meta])?) => {
        mod $module {
            $(#[$attr])?
            async fn leaf(x: u64) -> u64 {
                let y = std::future::ready(std::hint::black_box(x)).await;
                y.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(7)
            }

            $(#[$attr])?
            pub(super) async fn call_1000() -> u64 {
                let mut sum = 0u64;
                for i in 0..1000 {
                    sum = sum.wrapping_add(leaf(i).await);
                }
                sum
            }
        }
    };
}

call_fns!(call_bare);
call_fns!(call_coro, #[corio::coroutine]);

/// Wakes itself and yields once, as `sleep(0)`, without a timer.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
}

frame_fns!(frame_bare);
frame_fns!(frame_coro, #[corio::coroutine]);
// A copy per workload: each fn then has one caller, as `frame_bare`'s have, so the optimiser
// makes the same inlining choices for both (a fn with three callers is not inlined into one).
frame_fns!(frame_coro_debug, #[corio::coroutine]);
frame_fns!(frame_coro_trace, #[corio::coroutine]);

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

    pub(super) fn run(trips: usize) {
        corio::run(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr: SocketAddr = listener.local_addr().unwrap();
            let server = corio::create_task(async move {
                let (stream, _) = listener.accept().await.unwrap();
                serve(stream).await.unwrap();
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; MESSAGE];
            for _ in 0..trips {
                stream.write_all(&[7u8; MESSAGE]).await.unwrap();
                let mut got = 0;
                while got < MESSAGE {
                    got += stream.read(&mut buf[got..]).await.unwrap();
                }
            }
            drop(stream);
            server.await.unwrap();
        });
    }
}

mod tokio_echo {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    pub(super) fn run(trips: usize) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = [0u8; 4096];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            });
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut buf = [0u8; MESSAGE];
            for _ in 0..trips {
                stream.write_all(&[7u8; MESSAGE]).await.unwrap();
                stream.read_exact(&mut buf).await.unwrap();
            }
            drop(stream);
            server.await.unwrap();
        });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` runs every bench binary with `--bench`: nothing to count then.
    let (Some(name), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        println!(
            "probe: usage: probe <loops|spawn|spawn-ctx|spawn-eager|spawn-yield|spawn-eager-yield|timers|timers-spread|timers-spread-tokio|timers-spread-ticks|timers-spread-ticks-tokio|frame-bare|frame-coro|frame-coro-debug|call-bare|call-coro|echo|echo-tokio|echo-streams> <n> (see benches/probe.rs)"
        );
        return;
    };
    let n: usize = n;
    match name.as_str() {
        "loops" => (0..n).for_each(|_| corio::run(async {})),
        "spawn" => corio::run(async move {
            let tasks: Vec<_> = (0..n).map(|_| corio::create_task(async {})).collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        // `spawn` with a context variable set in the creator: each task gets a copy of its
        // context (one shared snapshot) and switches it in for its step.
        "spawn-ctx" => corio::run(async move {
            static REQUEST: corio::ContextVar<u64> = corio::ContextVar::new("request");
            REQUEST.set(1);
            let tasks: Vec<_> = (0..n)
                .map(|_| corio::create_task(async { std::hint::black_box(REQUEST.get()) }))
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        "spawn-eager" => corio::run(async move {
            let tasks: Vec<_> = (0..n).map(|_| corio::create_eager_task(async {})).collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        "spawn-yield" => corio::run(async move {
            let tasks: Vec<_> = (0..n).map(|_| corio::create_task(yield_once())).collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        "spawn-eager-yield" => corio::run(async move {
            let tasks: Vec<_> = (0..n)
                .map(|_| corio::create_eager_task(yield_once()))
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        "timers" => corio::Runner::new().virtual_time().run(async move {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    corio::create_task(async move {
                        corio::sleep((i % 1000) as f64 * 0.001 + 0.0001).await
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }),
        "timers-spread" | "timers-spread-ticks" => {
            let delays = match name.as_str() {
                "timers-spread" => spread_delays(n),
                _ => support::on_ms_ticks(&spread_delays(n)),
            };
            let fired = corio::Runner::new()
                .virtual_time()
                .run(sleep_all_unordered(&delays, corio::sleep));
            assert_eq!(fired, n);
        }
        "timers-spread-tokio" | "timers-spread-ticks-tokio" => {
            let delays = match name.as_str() {
                "timers-spread-tokio" => spread_delays(n),
                _ => support::on_ms_ticks(&spread_delays(n)),
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let fired = rt.block_on(sleep_all_unordered(&delays, tokio::time::sleep));
            assert_eq!(fired, n);
        }
        "frame-bare" => corio::run(async move {
            for _ in 0..n {
                std::hint::black_box(frame_bare::yield_1000().await);
            }
        }),
        "frame-coro" => corio::run(async move {
            for _ in 0..n {
                std::hint::black_box(frame_coro::yield_1000().await);
            }
        }),
        "frame-coro-debug" => corio::Runner::new().debug(true).run(async move {
            for _ in 0..n {
                std::hint::black_box(frame_coro_debug::yield_1000().await);
            }
        }),
        "frame-coro-trace" => {
            let runner = corio::Runner::new().trace();
            runner.run(async move {
                for _ in 0..n {
                    std::hint::black_box(frame_coro_trace::yield_1000().await);
                }
            });
            std::hint::black_box(runner.take_trace());
        }
        "call-bare" => corio::run(async move {
            for _ in 0..n {
                std::hint::black_box(call_bare::call_1000().await);
            }
        }),
        "call-coro" => corio::run(async move {
            for _ in 0..n {
                std::hint::black_box(call_coro::call_1000().await);
            }
        }),
        "echo" => corio_echo::run(n),
        "echo-streams" => support::streams_echo::run(100, n),
        "echo-tokio" => tokio_echo::run(n),
        other => panic!("probe: no workload {other:?} (see benches/probe.rs)"),
    }
}
