//! Helpers shared by the facade's integration tests (`mod support;` in each `tests/*.rs`):
//! running a program under virtual time, capturing what an example says, counting drops,
//! yielding once, waking from another thread, and reading a panic's message.
//!
//! Each test file is its own crate and uses only some of these helpers, hence the `allow`.
#![allow(dead_code)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// The examples' helper module, loaded here once for every test file: [`run_example`]
/// captures through it, and a file that includes examples brings it to its root with
/// `use support::common;`, where `say!` looks for it (`crate::common`).
#[path = "../../examples/common/mod.rs"]
pub mod common;

/// Runs `program` on a virtual-time loop.
pub fn run_virtual<T>(program: impl Future<Output = T>) -> T {
    corio::Runner::new().virtual_time().run(program)
}

/// Runs `program` on a virtual-time loop while [`common::capture`] records what it says;
/// returns its output, the lines it said with their loop times, and the loop time at its end.
pub fn run_example<T>(program: impl Future<Output = T>) -> (T, Vec<(f64, String)>, f64) {
    let mut result = None;
    let lines = common::capture(|| {
        result = Some(run_virtual(async { (program.await, corio::time()) }));
    });
    let (output, end) = result.expect("the program ran");
    (output, lines, end)
}

/// Counts how many times values made by [`DropCounter::token`] are dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Bumps its counter when dropped.
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Pending once (waking itself), then ready: `asyncio.sleep(0)` for any executor, and a
/// future that is not ready at its first poll.
pub struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

pub fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

/// Outputs `value` after a thread sleeping `millis` wakes it: a wake from another thread.
pub fn thread_after(millis: u64, value: u32) -> impl Future<Output = u32> + Send {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(millis));
        let _ = sender.send(value);
    });
    async move { receiver.await.unwrap() }
}

/// Passes `value` through, checking at compile time that it is `Send`.
pub fn assert_send<T: Send>(value: T) -> T {
    value
}

/// Runs `f`, which must panic; returns the panic's message.
pub fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).unwrap_err();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
