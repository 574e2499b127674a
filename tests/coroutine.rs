//! `#[corio::coroutine]`: what the frame reports at each step (state, await site, name,
//! `Debug`), the never-awaited report, destructors when dropped at every poll point, the fn
//! shapes it accepts (methods, generics, lifetimes, `impl Trait`, `?`), and the same
//! coroutines on the corio loop, `futures::executor::block_on` and tokio.

// coroutine_repr's `mod common;` loads the helper module a second time.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use corio::CoroutineState;

mod support;
// `say!` in the included example reaches `crate::common`.
use support::common;
use support::{run_example, run_virtual, yield_once};

#[allow(dead_code)]
#[path = "../examples/coroutine_repr.rs"]
mod coroutine_repr;

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[corio::coroutine]
async fn two_steps(x: u32) -> u32 {
    yield_once().await;
    let y = x + 1;
    yield_once().await;
    y * 2
}

#[test]
fn state_and_await_site_at_each_step() {
    let coro = two_steps(20);
    assert_eq!(coro.name(), "two_steps");
    assert_eq!(coro.module_path(), "coroutine");
    assert_eq!(coro.state(), CoroutineState::Created);
    assert_eq!(coro.await_site(), None);
    let sites = coro.info().await_sites();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0].file(), "tests/coroutine.rs");
    assert_eq!(sites[0].line(), 34);
    assert_eq!(sites[0].column(), 18);
    assert_eq!(sites[0].source(), "yield_once().await");
    assert_eq!((sites[1].line(), sites[1].column()), (36, 18));
    assert_eq!(sites[1].source(), "yield_once().await");
    assert_eq!(
        sites[0].to_string(),
        "tests/coroutine.rs:34:18: yield_once().await"
    );

    let mut coro = std::pin::pin!(coro);
    assert_eq!(poll_once(coro.as_mut()), Poll::Pending);
    assert_eq!(coro.state(), CoroutineState::Suspended);
    assert_eq!(coro.await_site(), Some(&sites[0]));
    assert_eq!(poll_once(coro.as_mut()), Poll::Pending);
    assert_eq!(coro.state(), CoroutineState::Suspended);
    assert_eq!(coro.await_site(), Some(&sites[1]));
    assert_eq!(poll_once(coro.as_mut()), Poll::Ready(42));
    assert_eq!(coro.state(), CoroutineState::Closed);
    assert_eq!(coro.await_site(), None);
    assert!(futures::future::FusedFuture::is_terminated(&*coro));
}

#[corio::coroutine]
async fn inner_steps() {
    yield_once().await;
    yield_once().await;
}

#[corio::coroutine]
async fn outer_steps() {
    inner_steps().await;
    yield_once().await;
}

#[corio::coroutine]
async fn panics_after_an_await() {
    std::future::ready(()).await;
    panic!("eager step panics");
}

/// Awaits `future` where `#[corio::coroutine]` cannot see the `.await`.
macro_rules! opaque_await {
    ($future:expr) => {
        $future.await
    };
}

#[corio::coroutine]
async fn creates_a_panicking_eager_task() {
    let mut task = corio::create_eager_task(panics_after_an_await());
    assert!(task.result().unwrap().unwrap_err().is_panic());
    opaque_await!(yield_once());
    yield_once().await;
}

/// An eager task's first step runs inside its creator's poll, and its coroutine panics there:
/// the creator, suspended at an await its frame cannot see, reports none (not the panicking
/// coroutine's site 0, which would name the creator's own `yield_once().await`).
#[test]
fn an_eager_step_leaves_its_creators_await_site_alone() {
    run_virtual(async {
        let mut creator = std::pin::pin!(creates_a_panicking_eager_task());
        assert!(poll_once(creator.as_mut()).is_pending());
        assert_eq!(creator.state(), CoroutineState::Suspended);
        assert_eq!(creator.await_site(), None);
        assert!(poll_once(creator.as_mut()).is_pending());
        let sites = creator.info().await_sites();
        assert_eq!(creator.await_site(), Some(&sites[0]));
    });
}

#[corio::coroutine]
async fn inner_behind_a_macro() {
    opaque_await!(inner_steps());
    yield_once().await;
}

/// The inner coroutine suspends at its own site 0; the outer one, suspended at an await the
/// macro did not see, names none (not the inner's site 0, which would name its own
/// `yield_once().await`).
#[test]
fn an_await_behind_a_macro_names_no_site_even_around_a_coroutine() {
    let mut outer = std::pin::pin!(inner_behind_a_macro());
    let sites = outer.info().await_sites();
    assert_eq!(sites.len(), 1);
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.state(), CoroutineState::Suspended);
    assert_eq!(outer.await_site(), None);
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.await_site(), None);
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.await_site(), Some(&sites[0]));
    assert!(poll_once(outer.as_mut()).is_ready());
    assert_eq!(outer.state(), CoroutineState::Closed);
}

#[test]
fn a_nested_coroutine_keeps_its_own_site() {
    let (inner, _) = corio::capture_never_awaited(|| inner_steps().info().await_sites());
    let mut outer = std::pin::pin!(outer_steps());
    let sites = outer.info().await_sites();
    assert_eq!(sites[0].source(), "inner_steps().await");
    // Suspended inside the inner coroutine: the outer one is at its first await both times.
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.await_site(), Some(&sites[0]));
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.await_site(), Some(&sites[0]));
    assert!(poll_once(outer.as_mut()).is_pending());
    assert_eq!(outer.await_site(), Some(&sites[1]));
    assert!(poll_once(outer.as_mut()).is_ready());
    assert_eq!(inner.len(), 2);
}

#[test]
fn debug_prints_python_repr() {
    let coro = two_steps(1);
    let repr = format!("{coro:?}");
    let address = format!("{:p}", &coro);
    assert_eq!(repr, format!("<coroutine object two_steps at {address}>"));
    assert!(address.starts_with("0x"), "{address}");
    drop(corio::capture_never_awaited(|| drop(coro)));
}

#[corio::coroutine(name = "main")]
async fn renamed() -> &'static str {
    "renamed"
}

#[corio::coroutine]
async fn r#type() {}

#[test]
fn name_option_and_raw_identifiers() {
    let ((), reports) = corio::capture_never_awaited(|| {
        let coro = renamed();
        assert_eq!(coro.name(), "main");
        assert!(format!("{coro:?}").starts_with("<coroutine object main at 0x"));
        assert_eq!(r#type().name(), "type");
    });
    let reports: Vec<String> = reports.iter().map(ToString::to_string).collect();
    assert_eq!(
        reports,
        [
            "coroutine 'type' was never awaited",
            "coroutine 'main' was never awaited"
        ]
    );
    assert_eq!(futures::executor::block_on(renamed()), "renamed");
}

#[test]
fn never_awaited_report_only_without_a_poll() {
    let ((), reports) = corio::capture_never_awaited(|| {
        drop(two_steps(1));
        let mut polled = Box::pin(two_steps(2));
        assert!(poll_once(polled.as_mut()).is_pending());
        drop(polled);
        futures::executor::block_on(two_steps(3));
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].name(), "two_steps");
    assert_eq!(reports[0].module_path(), "coroutine");
    assert_eq!(
        reports[0].to_string(),
        "coroutine 'two_steps' was never awaited"
    );
}

#[test]
fn the_hook_gets_reports_outside_a_capture() {
    // The only test that sets the process-wide hook; it keeps the reports of this thread only.
    let me = std::thread::current().id();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let previous = corio::set_never_awaited_hook(Some(Box::new(move |report| {
        if std::thread::current().id() == me {
            sink.lock().unwrap().push(report.to_string());
        }
    })));
    drop(renamed());
    // Inside a capture the hook gets nothing.
    let ((), captured) = corio::capture_never_awaited(|| drop(renamed()));
    corio::set_never_awaited_hook(previous);
    assert_eq!(captured.len(), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        ["coroutine 'main' was never awaited"]
    );
}

/// Counts its drops in a shared log, by name.
struct Noisy(&'static str, Rc<RefCell<Vec<&'static str>>>);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

/// The same body twice: as a coroutine and as a bare `async fn`, to compare drop orders.
macro_rules! with_locals {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        async fn $name(arg: Noisy, (left, _): (Noisy, Noisy), _: Noisy) -> usize {
            let log = Rc::clone(&arg.1);
            let a = Noisy("a", Rc::clone(&log));
            yield_once().await;
            let b = Noisy("b", Rc::clone(&log));
            yield_once().await;
            drop(a);
            let c = Noisy("c", Rc::clone(&log));
            yield_once().await;
            let _ = (&b, &c, &left);
            log.borrow().len()
        }
    };
}
with_locals!(
    #[corio::coroutine]
    with_locals
);
with_locals!(bare_with_locals);

/// Polls `future` `polls` times (or until it is ready), drops it; returns the drop log.
fn drop_after<F: Future>(
    polls: usize,
    make: impl FnOnce(Noisy, (Noisy, Noisy), Noisy) -> F,
) -> Vec<&'static str> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let noisy = |name| Noisy(name, Rc::clone(&log));
    let mut future = Box::pin(make(
        noisy("arg"),
        (noisy("left"), noisy("right")),
        noisy("unnamed"),
    ));
    for _ in 0..polls {
        if poll_once(future.as_mut()).is_ready() {
            break;
        }
    }
    drop(future);
    log.take()
}

#[test]
fn dropped_at_every_poll_point_each_destructor_runs_once() {
    // After k polls, then a drop: each value that was constructed is dropped exactly once, in
    // the order a bare `async fn` drops them (never polled: the arguments in order; once
    // started: the body's locals, then the arguments in reverse), and only the never-polled
    // coroutine reports.
    let expected: [&[&str]; 5] = [
        &["arg", "left", "right", "unnamed"],
        &["a", "unnamed", "left", "right", "arg"],
        &["b", "a", "unnamed", "left", "right", "arg"],
        &["a", "c", "b", "unnamed", "left", "right", "arg"],
        &["a", "c", "b", "unnamed", "left", "right", "arg"],
    ];
    for (polls, expected) in expected.iter().enumerate() {
        let (log, reports) = corio::capture_never_awaited(|| drop_after(polls, with_locals));
        assert_eq!(
            drop_after(polls, bare_with_locals),
            *expected,
            "bare, {polls} polls"
        );
        assert_eq!(log, *expected, "coroutine dropped after {polls} polls");
        assert_eq!(
            reports.len(),
            usize::from(polls == 0),
            "after {polls} polls"
        );
    }
}

#[test]
#[should_panic(expected = "coroutine 'renamed_ready' polled after it returned")]
fn polling_after_it_returned_panics() {
    #[corio::coroutine(name = "renamed_ready")]
    async fn ready() {}
    let mut coro = std::pin::pin!(ready());
    assert!(poll_once(coro.as_mut()).is_ready());
    let _ = poll_once(coro.as_mut());
}

#[test]
fn a_panic_closes_it() {
    #[corio::coroutine]
    async fn boom() {
        yield_once().await;
        panic!("boom");
    }
    let mut coro = Box::pin(boom());
    assert!(poll_once(coro.as_mut()).is_pending());
    let panicked =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll_once(coro.as_mut())));
    assert!(panicked.is_err());
    assert_eq!(coro.state(), CoroutineState::Closed);
}

// ---- The fn shapes it accepts. ----

struct Counter {
    count: u32,
}

impl Counter {
    #[corio::coroutine]
    async fn get(&self) -> u32 {
        yield_once().await;
        self.count
    }

    #[corio::coroutine]
    async fn bump(&mut self, by: u32) -> u32 {
        yield_once().await;
        self.count += by;
        self.count
    }

    #[corio::coroutine]
    async fn into_count(mut self) -> u32 {
        yield_once().await;
        self.count *= 10;
        self.count
    }

    /// Borrowed data in and out: the output borrows from the argument.
    #[corio::coroutine]
    async fn longest<'a>(&self, a: &'a str, b: &'a str) -> &'a str {
        yield_once().await;
        if a.len() >= b.len() { a } else { b }
    }
}

trait Greeter {
    async fn greet(&self, who: &str) -> String;
}

impl Greeter for Counter {
    #[corio::coroutine]
    async fn greet(&self, who: &str) -> String {
        yield_once().await;
        format!("hello {who} #{}", self.count)
    }
}

#[corio::coroutine]
async fn sum_all<T, I>(items: I, extra: impl Into<u64>) -> u64
where
    I: IntoIterator<Item = T>,
    T: Into<u64>,
{
    yield_once().await;
    items.into_iter().map(Into::into).sum::<u64>() + extra.into()
}

#[corio::coroutine]
async fn parse_and_add(a: &str, b: &str) -> Result<i64, std::num::ParseIntError> {
    let a: i64 = a.parse()?;
    yield_once().await;
    Ok(a + b.parse::<i64>()?)
}

#[corio::coroutine]
async fn shown(n: u8) -> impl std::fmt::Display {
    yield_once().await;
    n
}

#[test]
fn methods_generics_lifetimes_and_results() {
    futures::executor::block_on(async {
        let mut counter = Counter { count: 1 };
        assert_eq!(counter.get().await, 1);
        assert_eq!(counter.bump(4).await, 5);
        let (x, y) = (String::from("short"), String::from("longer"));
        assert_eq!(counter.longest(&x, &y).await, "longer");
        assert_eq!(counter.greet("ana").await, "hello ana #5");
        assert_eq!(counter.into_count().await, 50);
        assert_eq!(sum_all([1u8, 2, 3], 4u32).await, 10);
        assert_eq!(parse_and_add("40", "2").await, Ok(42));
        assert!(parse_and_add("x", "2").await.is_err());
        assert!(parse_and_add("1", "y").await.is_err());
        assert_eq!(shown(7).await.to_string(), "7");
    });
}

// ---- Executors. ----

#[corio::coroutine]
async fn say_after(delay: f64, what: &str) -> String {
    corio::sleep(delay).await;
    what.to_string()
}

#[test]
fn on_the_corio_loop_under_virtual_time() {
    let (out, end) = run_virtual(async {
        let first = say_after(1.0, "hello").await;
        let task = corio::create_task(say_after(2.0, "world"));
        let second = task.await.unwrap();
        (format!("{first} {second}"), corio::time())
    });
    assert_eq!(out, "hello world");
    assert_eq!(end, 3.0);
}

#[test]
fn on_futures_block_on() {
    assert_eq!(
        futures::executor::block_on(say_after(0.0, "block_on")),
        "block_on"
    );
}

#[test]
fn on_tokio_current_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = runtime.block_on(async { (say_after(0.01, "tokio").await, two_steps(4).await) });
    assert_eq!(out, ("tokio".to_string(), 10));
}

#[test]
fn on_tokio_multi_thread_the_output_crosses_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let out = runtime.block_on(async {
        // Spawned coroutines are `Send + 'static`; their outputs come back to this thread.
        let spawned: Vec<_> = (0..8)
            .map(|i| tokio::spawn(sum_all(vec![i as u64; 3], 1u8)))
            .collect();
        let mut sums = Vec::new();
        for handle in spawned {
            sums.push(handle.await.unwrap());
        }
        sums
    });
    assert_eq!(out, [1, 4, 7, 10, 13, 16, 19, 22]);
}

#[test]
fn send_and_sync_exactly_when_the_body_is() {
    fn is_send<T: Send>(_: &T) {}
    fn is_sync<T: Sync>(_: &T) {}
    let coro = sum_all([1u8], 1u8);
    is_send(&coro);
    is_sync(&coro);
    assert_eq!(futures::executor::block_on(coro), 2);
}

// ---- The `coroutine_repr` example. ----

#[test]
fn coroutine_repr_example() {
    let ((), lines, end) = run_example(coroutine_repr::program());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let (t, repr) = &lines[0];
    assert_eq!(*t, 0.0);
    let address = repr
        .strip_prefix("<coroutine object main at 0x")
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{repr}"));
    assert!(
        !address.is_empty() && address.chars().all(|c| c.is_ascii_hexdigit()),
        "{repr}"
    );
    assert_eq!(
        lines[1],
        (
            0.0,
            "RuntimeWarning: coroutine 'main' was never awaited".to_string()
        )
    );
    assert_eq!(end, 0.0);
}

/// `two_steps` as a bare `async fn`, token for token.
async fn two_steps_bare(x: u32) -> u32 {
    yield_once().await;
    let y = x + 1;
    yield_once().await;
    y * 2
}

#[test]
fn a_frame_adds_at_most_32_bytes_to_its_body() {
    // DESIGN.md section 6: <= 32 B over the bare `async fn`. On 64-bit targets the frame is
    // 24 B (its static info and where it was created, 8 B each; its state and its debug-mode
    // entry, 4 B each); the body's layout around the instrumented awaits may add padding (28
    // B in all in this workspace's dev profile, 24 in release).
    let coroutine = two_steps(1);
    let bare = two_steps_bare(1);
    let frame = std::mem::size_of_val(&coroutine) - std::mem::size_of_val(&bare);
    assert!((16..=32).contains(&frame), "{frame}");
    // Awaited, so that dropping them reports nothing.
    assert_eq!(futures::executor::block_on(coroutine), 4);
    assert_eq!(futures::executor::block_on(bare), 4);
}
