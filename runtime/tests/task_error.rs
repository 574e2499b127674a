//! `TaskError` is an ordinary error value (DESIGN.md 7.3): `std::error::Error + Send + Sync +
//! 'static`, so `task.await?` converts into `anyhow::Error` and `Box<dyn Error + Send + Sync>`;
//! its `Display` carries the panic (or cancel) message; `into_panic` hands back the payload.

mod support;

use std::error::Error;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any, resume_unwind};

use corio_runtime::{TaskError, create_task, sleep, time};
use support::virtual_run;

/// Compiles only for what `?` into the common error boxes needs.
fn assert_error_value<E: Error + Send + Sync + 'static>() {}

#[test]
fn task_error_is_send_sync_static_error() {
    assert_error_value::<TaskError>();
}

#[test]
fn question_mark_into_anyhow_carries_the_panic_message() {
    async fn fetch() -> anyhow::Result<u32> {
        let ok = create_task(async { 1 }).await?;
        let failed = create_task(async {
            sleep(1).await;
            panic!("flag server down")
        });
        let never: u32 = failed.await?;
        Ok(ok + never)
    }
    let err = virtual_run(async {
        let err = fetch().await.unwrap_err();
        assert_eq!(time(), 1.0);
        err
    });
    assert_eq!(err.to_string(), "task panicked: flag server down");
    let task_error = err
        .downcast_ref::<TaskError>()
        .expect("the TaskError inside");
    assert!(task_error.is_panic() && !task_error.is_cancelled());
    assert_eq!(task_error.panic_message(), Some("flag server down"));
}

#[test]
fn question_mark_into_a_boxed_error_carries_the_panic_message() {
    async fn fetch() -> Result<String, Box<dyn Error + Send + Sync>> {
        let name = create_task(async { panic!("bad {}", "gateway") }).await?;
        Ok(name)
    }
    let err = virtual_run(fetch()).unwrap_err();
    assert_eq!(err.to_string(), "task panicked: bad gateway");
    let task_error = err.downcast::<TaskError>().expect("the TaskError inside");
    assert_eq!(task_error.panic_message(), Some("bad gateway"));
    assert!(task_error.source().is_none());
}

#[test]
fn a_cancellation_is_not_a_panic_and_shows_its_message() {
    let (plain, with_message) = virtual_run(async {
        let plain = create_task(sleep(10));
        let with_message = create_task(sleep(10));
        sleep(1).await;
        plain.cancel();
        with_message.cancel_with("shutting down");
        (plain.await.unwrap_err(), with_message.await.unwrap_err())
    });
    for err in [&plain, &with_message] {
        assert!(err.is_cancelled() && !err.is_panic());
        assert_eq!(err.panic_message(), None);
    }
    assert_eq!(plain.to_string(), "task was cancelled");
    assert_eq!(format!("{plain:?}"), "Cancelled");
    assert_eq!(plain.cancel_message(), None);
    assert_eq!(
        with_message.to_string(),
        "task was cancelled: shutting down"
    );
    assert_eq!(format!("{with_message:?}"), r#"Cancelled("shutting down")"#);
    assert_eq!(with_message.cancel_message(), Some("shutting down"));
    let back = with_message.try_into_panic().unwrap_err();
    assert!(back.is_cancelled(), "try_into_panic gives a non-panic back");
}

#[test]
fn into_panic_re_raises_the_original_payload() {
    let err = virtual_run(async { create_task(async { panic!("boom") }).await.unwrap_err() });
    assert_eq!(format!("{err:?}"), r#"Panicked("boom")"#);
    let caught = catch_unwind(AssertUnwindSafe(|| resume_unwind(err.into_panic()))).unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom"));
}

#[test]
fn a_payload_that_is_not_a_string_has_no_message_but_comes_back_whole() {
    let err = virtual_run(async { create_task(async { panic_any(42_u16) }).await.unwrap_err() });
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), None);
    assert_eq!(err.to_string(), "task panicked");
    assert_eq!(format!("{err:?}"), "Panicked(..)");
    assert_eq!(err.into_panic().downcast_ref::<u16>(), Some(&42));
}

#[test]
#[should_panic(expected = "corio: TaskError::into_panic() on an error that is not a panic")]
fn into_panic_of_a_cancellation_is_a_clear_bug() {
    let err = virtual_run(async {
        let task = create_task(sleep(1));
        task.cancel();
        task.await.unwrap_err()
    });
    let _ = err.into_panic();
}
