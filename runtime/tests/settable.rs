//! `SettableFuture`, asyncio's `Future`. Expected traces are what CPython 3.11 prints for the
//! same program (the Python is in the comment above each test).

mod support;

use std::future::IntoFuture;
use std::panic::{AssertUnwindSafe, catch_unwind};

use corio_runtime::__private::wait_for;
use corio_runtime::{FutureError, SettableFuture, create_task, get_running_loop, sleep};
use support::{DropCounter, log, log_at, take_trace, virtual_run};

/// ```python
/// fut = loop.create_future()
/// create_task(waiter("w1")); await sleep(0)
/// fut.add_done_callback(lambda f: log("cb A"))
/// create_task(waiter("w2")); await sleep(0)
/// fut.add_done_callback(lambda f: log("cb B"))
/// loop.call_later(1, fut.set_result, 42)
/// await asyncio.sleep(3)
/// fut.add_done_callback(lambda f: log("cb late")); log("after add"); await sleep(0)
/// # ['w1 got 42@1.0', 'cb A@1.0', 'w2 got 42@1.0', 'cb B@1.0', 'after add@3.0', 'cb late@3.0']
/// ```
/// Awaiters and done callbacks run on the next pass, in registration order; a callback added
/// to a finished future is scheduled at once (`call_soon`), not run inline.
#[test]
fn awaiters_and_callbacks_run_in_registration_order() {
    virtual_run(async {
        let lp = get_running_loop();
        let fut: SettableFuture<u32> = lp.create_future();
        let waiter = |name: &'static str, fut: SettableFuture<u32>| async move {
            let r = fut.await.unwrap();
            log_at(format!("{name} got {r}"));
        };
        create_task(waiter("w1", fut.clone())).detach();
        sleep(0).await;
        fut.add_done_callback(|_| log_at("cb A"));
        create_task(waiter("w2", fut.clone())).detach();
        sleep(0).await;
        fut.add_done_callback(|f| log_at(format!("cb B sees {:?}", f.result())));
        let setter = fut.clone();
        let _ = lp.call_later(1, move || setter.set_result(42));
        sleep(3).await;
        fut.add_done_callback(|_| log_at("cb late"));
        log_at("after add");
        sleep(0).await;
    });
    assert_eq!(
        take_trace(),
        [
            "1 w1 got 42",
            "1 cb A",
            "1 w2 got 42",
            "1 cb B sees Ok(42)",
            "3 after add",
            "3 cb late"
        ]
    );
}

/// `set_exception`, `cancel`, `result()`, `done()`, `cancelled()` and the repr.
#[test]
fn outcomes_and_repr() {
    virtual_run(async {
        let ok: SettableFuture<u32, String> = SettableFuture::new();
        assert_eq!(format!("{ok:?}"), "<Future pending>");
        assert!(!ok.done());
        ok.set_result(7);
        assert!(ok.done() && !ok.cancelled());
        assert_eq!(ok.result(), Ok(7));
        assert_eq!((&ok).await, Ok(7));
        assert_eq!(
            ok.clone().await,
            Ok(7),
            "any number of awaiters read the result"
        );
        assert_eq!(format!("{ok:?}"), "<Future finished result=7>");
        assert!(!ok.cancel(), "cancel() of a finished future is false");

        let err: SettableFuture<u32, String> = SettableFuture::new();
        err.set_exception("bad".to_string());
        assert_eq!(err.result(), Err(FutureError::Exception("bad".to_string())));
        assert_eq!(format!("{err:?}"), "<Future finished exception=\"bad\">");
        assert_eq!(err.result().unwrap_err().to_string(), "bad");

        let cancelled: SettableFuture<u32> = SettableFuture::new();
        assert!(cancelled.cancel());
        assert!(cancelled.cancelled() && cancelled.done());
        assert_eq!(cancelled.clone().await, Err(FutureError::Cancelled));
        assert_eq!(format!("{cancelled:?}"), "<Future cancelled>");
        assert_eq!(
            FutureError::<String>::Cancelled.to_string(),
            "future was cancelled"
        );
    });
}

fn message(err: &Box<dyn std::any::Any + Send>) -> String {
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a string payload")
}

/// Setting a finished future twice, or reading an unset result, is asyncio's
/// `InvalidStateError`: a panic with a clear message.
#[test]
fn misuse_is_a_clear_error() {
    let fut: SettableFuture<u32, u32> = SettableFuture::new();
    let err = catch_unwind(AssertUnwindSafe(|| fut.result())).unwrap_err();
    assert_eq!(
        message(&err),
        "corio: SettableFuture::result(): invalid state: Result is not set. (await the future, \
         or check done() first)"
    );
    fut.set_result(1);
    let err = catch_unwind(AssertUnwindSafe(|| fut.set_result(2))).unwrap_err();
    assert_eq!(
        message(&err),
        "corio: SettableFuture::set_result(): invalid state: the future is already done \
         (asyncio's InvalidStateError); check done() first"
    );
    let err = catch_unwind(AssertUnwindSafe(|| fut.set_exception(3))).unwrap_err();
    assert!(message(&err).starts_with("corio: SettableFuture::set_exception(): invalid state"));
    assert_eq!(fut.result(), Ok(1), "a refused set changes nothing");

    // Done callbacks need a loop to be scheduled on.
    let fut: SettableFuture<u32> = SettableFuture::new();
    fut.add_done_callback(|_| ());
    let err = catch_unwind(AssertUnwindSafe(|| fut.set_result(1))).unwrap_err();
    assert!(message(&err).contains("no running event loop"));
    assert!(!fut.done(), "the refused set left the future pending");
}

/// Dropping a pending await cancels the future (asyncio cancels the future a cancelled task
/// awaits), the other awaiters see `Cancelled`, and the dropped awaiter's slot never wakes.
#[test]
fn a_dropped_awaiter_cancels_the_future() {
    virtual_run(async {
        let fut: SettableFuture<u32> = SettableFuture::new();
        let other = create_task({
            let fut = fut.clone();
            async move { fut.await }
        });
        let timed_out = wait_for(fut.clone().into_future(), Some(1_000_000_000)).await;
        assert!(timed_out.is_err());
        assert!(fut.cancelled());
        assert_eq!(other.await.unwrap(), Err(FutureError::Cancelled));
        log_at("done");
    });
    assert_eq!(take_trace(), ["1 done"]);
}

/// A task awaiting a future, cancelled, drops its await: that cancels the future, and its
/// callbacks run.
#[test]
fn cancelling_the_awaiting_task_cancels_the_future() {
    virtual_run(async {
        let fut: SettableFuture<u32> = SettableFuture::new();
        fut.add_done_callback(|f| log(format!("callback: cancelled={}", f.cancelled())));
        let task = create_task({
            let fut = fut.clone();
            async move { fut.await }
        });
        sleep(0).await;
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(fut.cancelled());
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["callback: cancelled=true"]);
}

/// Many awaiters are all woken once, in the order they began awaiting; values are cloned,
/// never dropped twice.
#[test]
fn every_awaiter_wakes_once_in_order() {
    let drops = DropCounter::default();
    virtual_run(async {
        let fut: SettableFuture<std::rc::Rc<support::DropToken>> = SettableFuture::new();
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let fut = fut.clone();
                create_task(async move {
                    let _token = fut.await.unwrap();
                    log(format!("w{i}"));
                })
            })
            .collect();
        sleep(0).await;
        fut.set_result(std::rc::Rc::new(drops.token()));
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(drops.count(), 0);
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["w0", "w1", "w2", "w3", "w4"]);
}

/// asyncio:
/// ```python
/// fut.add_done_callback(a); fut.add_done_callback(b); fut.add_done_callback(c)
/// assert fut.remove_done_callback(b) == 1; assert fut.remove_done_callback(b) == 0
/// fut.set_result(1)   # a, c run on the next pass
/// assert fut.remove_done_callback(c) == 0
/// ```
#[test]
fn remove_done_callback_returns_the_count_removed() {
    virtual_run(async {
        let fut: SettableFuture<u32> = SettableFuture::new();
        let other: SettableFuture<u32> = SettableFuture::new();
        fut.add_done_callback(|_| log_at("a"));
        let b = fut.add_done_callback(|_| log_at("never: b"));
        let c = fut.add_done_callback(|_| log_at("c"));
        create_task({
            let fut = fut.clone();
            async move { log_at(format!("awaiter got {}", fut.await.unwrap())) }
        })
        .detach();
        sleep(0).await;
        assert_eq!(other.remove_done_callback(b), 0, "another future's id");
        assert_eq!(fut.remove_done_callback(b), 1);
        assert_eq!(fut.remove_done_callback(b), 0);
        fut.set_result(1);
        assert_eq!(fut.remove_done_callback(c), 0, "already scheduled");
        sleep(0).await;
        let late = fut.add_done_callback(|_| log_at("late"));
        assert_eq!(fut.remove_done_callback(late), 0, "scheduled at once");
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["0 a", "0 c", "0 awaiter got 1", "0 late"]);
}
