//! The notebook's `asyncio.get_event_loop()` cell, which shows the running loop's repr:
//! `<_WindowsSelectorEventLoop running=True closed=False debug=False>`. corio's loop prints
//! `<corio.EventLoop running=True closed=False debug=False>` inside `run`, and, kept past its
//! end, `running=False closed=True`.

mod common;
use common::say;

/// Prints the running loop, and returns its handle.
#[corio::coroutine]
pub async fn program() -> corio::EventLoop {
    let event_loop = corio::get_running_loop();
    say!("{event_loop:?}");
    event_loop
}

#[allow(dead_code)]
fn main() {
    let event_loop = corio::run(program());
    println!("{event_loop:?}");
}
