//! The whole seed notebook (`使用asyncio包处理并发`, "handling concurrency with asyncio") in one
//! run: each program of the other examples, in the notebook's order, under a header naming the
//! notebook's section and the example file. `cargo run --example notebook` takes about 30 seconds.
//!
//! `main` first runs 18.1's thread spinner (plain threads, before any loop), then every
//! coroutine program on one `corio::run`.

// Each included example declares its own `mod common;` (`say!` always reaches the crate root's
// copy), so `common/mod.rs` is loaded several times on purpose.
#![allow(clippy::duplicate_mod)]

mod common;
use common::say;

use corio::TaskError;

// The other examples, as modules; their `main`s go unused here.
#[allow(dead_code)]
#[path = "as_completed.rs"]
mod as_completed;
#[allow(dead_code)]
#[path = "background_tasks.rs"]
mod background_tasks;
#[allow(dead_code)]
#[path = "coroutine_repr.rs"]
mod coroutine_repr;
#[allow(dead_code)]
#[path = "display_date.rs"]
mod display_date;
#[allow(dead_code)]
#[path = "echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "event_loop.rs"]
mod event_loop;
#[allow(dead_code)]
#[path = "factorial_gather.rs"]
mod factorial_gather;
#[allow(dead_code)]
#[path = "flags.rs"]
mod flags;
#[allow(dead_code)]
#[path = "futures.rs"]
mod futures;
#[allow(dead_code)]
#[path = "hello_world.rs"]
mod hello_world;
#[allow(dead_code)]
#[path = "nested.rs"]
mod nested;
#[allow(dead_code)]
#[path = "nested_run.rs"]
mod nested_run;
#[allow(dead_code)]
#[path = "say_after_concurrent.rs"]
mod say_after_concurrent;
#[allow(dead_code)]
#[path = "say_after_sequential.rs"]
mod say_after_sequential;
#[allow(dead_code)]
#[path = "spinner_async.rs"]
mod spinner_async;
#[allow(dead_code)]
#[path = "spinner_thread.rs"]
mod spinner_thread;
#[allow(dead_code)]
#[path = "wait.rs"]
mod wait;
#[allow(dead_code)]
#[path = "wait_for_eternity.rs"]
mod wait_for_eternity;

/// Every coroutine program, in the notebook's order; the async spinner draws on `screen`.
pub async fn program(screen: spinner_async::Screen) -> Result<(), TaskError> {
    say!("== 18.1 线程与协程对比 (threads vs coroutines): spinner_async ==");
    spinner_async::program(screen).await;
    say!("== 协程 (coroutines): hello_world ==");
    hello_world::program().await;
    say!("== 协程 (coroutines): event_loop ==");
    event_loop::program().await;
    say!("== 协程 (coroutines): nested_run ==");
    nested_run::program().await;
    say!("== 协程 (coroutines): coroutine_repr ==");
    coroutine_repr::program().await;
    say!("== 协程 (coroutines): say_after_sequential ==");
    say_after_sequential::program().await;
    say!("== 协程 (coroutines): say_after_concurrent ==");
    say_after_concurrent::program().await?;
    say!("== 可等待对象 (awaitables): nested, 协程 (coroutine) ==");
    nested::await_coroutine().await;
    say!("== 可等待对象 (awaitables): nested, 任务 (Task) ==");
    nested::await_task().await?;
    say!("== 可等待对象 (awaitables): futures ==");
    futures::program().await;
    say!("== 创建任务 (creating tasks): background_tasks ==");
    background_tasks::program().await;
    say!("== 休眠 (sleeping): display_date ==");
    display_date::program().await;
    say!("== 并发运行任务 (running tasks concurrently): factorial_gather ==");
    factorial_gather::program().await;
    say!("== 超时 (timeouts): wait_for_eternity ==");
    wait_for_eternity::program().await;
    say!("== 简单等待 (waiting): wait ==");
    wait::program().await;
    say!("== as_completed: as_completed ==");
    as_completed::program().await;
    say!("== 流 (streams): echo ==");
    echo::program().await;
    say!("== Fluent Python: flags ==");
    flags::program().await;
    Ok(())
}

fn main() -> Result<(), TaskError> {
    say!("== 18.1 线程与协程对比 (threads vs coroutines): spinner_thread ==");
    let screen: spinner_thread::Screen =
        std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
    spinner_thread::program(spinner_thread::BOOK, &screen);
    let stdout: spinner_async::Screen = std::rc::Rc::new(|text: &str| {
        use std::io::Write;
        let mut out = std::io::stdout();
        out.write_all(text.as_bytes()).unwrap();
        out.flush().unwrap();
    });
    corio::run(program(stdout))
}
