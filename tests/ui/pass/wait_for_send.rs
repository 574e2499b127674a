// The `wait_for!` future is `Send` when the future it waits for is, and so is its output, so it
// runs on tokio's multi-thread runtime.
use std::time::Duration;

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn main() {
    let waiting = assert_send(corio::wait_for!(
        async { String::from("sent") },
        Duration::from_secs(1)
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    let out = runtime.block_on(async { tokio::spawn(waiting).await.unwrap() });
    assert_eq!(out.as_deref(), Ok("sent"));
}
