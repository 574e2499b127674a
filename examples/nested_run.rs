//! The comment of the notebook's first cell (协程与任务 > 协程, `In [2]`): `asyncio.run(main())`
//! inside a running loop (Jupyter's) raises `RuntimeError: This event loop is already running`;
//! the fix is `await main()`.
//!
//! corio does the same: `corio::run` inside a running loop panics with a message containing
//! `already running`. This program catches that panic and prints
//! `RuntimeError: <message>`, then awaits `main()` directly: `Hello ...`, `... World!`.

mod common;
use common::say;

/// The notebook's `main()` (a Rust fn can't be named `main` here; its coroutine is).
#[corio::coroutine(name = "main")]
async fn main_coro() {
    say!("Hello ...");
    corio::sleep(1).await;
    say!("... World!");
}

/// The notebook's cell, running inside a loop as Jupyter's cells do.
#[corio::coroutine]
pub async fn program() {
    // asyncio.run(main())
    // cause RuntimeError: This event loop is already running
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // no "thread 'main' panicked at ..." on stderr
    let nested = std::panic::catch_unwind(|| corio::run(main_coro()));
    std::panic::set_hook(default_hook);
    if let Err(panic) = nested {
        // A panic's payload is a `&str` or a `String`.
        let message = match panic.downcast_ref::<&str>() {
            Some(message) => message.to_string(),
            None => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
        };
        say!("RuntimeError: {message}");
    }

    // The loop is already running, so we just await the coroutine.
    main_coro().await;
}

fn main() {
    corio::run(program());
}
