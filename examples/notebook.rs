//! The whole seed notebook (`使用asyncio包处理并发`, "handling concurrency with asyncio") in one
//! run: each program of the other examples, in the notebook's order, under a header naming the
//! notebook's section and the example file. `cargo run --example notebook` takes about 22 seconds.
//!
//! Still to come (asyncio's toolbox issue): the 18.1 spinner (threads vs coroutines), the
//! running loop's repr (`In [15]`), futures, and `wait`.

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
#[path = "factorial_gather.rs"]
mod factorial_gather;
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
#[path = "wait_for_eternity.rs"]
mod wait_for_eternity;

/// Every program, in the notebook's order.
pub async fn program() -> Result<(), TaskError> {
    say!("== 协程 (coroutines): hello_world ==");
    hello_world::program().await;
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
    say!("== 创建任务 (creating tasks): background_tasks ==");
    background_tasks::program().await;
    say!("== 休眠 (sleeping): display_date ==");
    display_date::program().await;
    say!("== 并发运行任务 (running tasks concurrently): factorial_gather ==");
    factorial_gather::program().await;
    say!("== 超时 (timeouts): wait_for_eternity ==");
    wait_for_eternity::program().await;
    say!("== as_completed: as_completed ==");
    as_completed::program().await;
    Ok(())
}

fn main() -> Result<(), TaskError> {
    corio::run(program())
}
