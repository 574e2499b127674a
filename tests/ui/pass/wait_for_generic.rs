// In generic code: any future, any timeout type that `IntoDelay` (or an `Option` of one).
use std::future::Future;
use std::time::Duration;

async fn within<F, T>(future: F, timeout: T) -> Option<F::Output>
where
    F: Future,
    T: corio::IntoDelay,
{
    corio::wait_for!(future, timeout).await.ok()
}

async fn within_maybe<F: Future>(future: F, timeout: Option<Duration>) -> Option<F::Output> {
    corio::wait_for!(future, timeout).await.ok()
}

fn main() {
    let out = corio::Runner::new().virtual_time().run(async {
        (
            within(async { 1u8 }, 0).await,
            within(corio::sleep(5), 1.5).await,
            within_maybe(async { "no deadline" }, None).await,
            corio::time(),
        )
    });
    assert_eq!(out, (Some(1), None, Some("no deadline"), 1.5));
}
