// A coroutine whose body is `Send` is `Send` (and `'static` when its arguments are): it can be
// spawned on a multi-threaded executor.

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn assert_send_static<T: Send + 'static>(value: T) -> T {
    value
}

#[corio::coroutine]
async fn compute(values: Vec<u64>) -> u64 {
    corio::sleep(0).await;
    values.iter().sum()
}

#[corio::coroutine]
async fn borrowed(values: &[u64]) -> u64 {
    corio::sleep(0).await;
    values.iter().sum()
}

fn main() {
    let values = vec![1, 2, 3];
    let local = assert_send(borrowed(&values));
    let owned = assert_send_static(compute(values.clone()));
    let out = futures::executor::block_on(async { local.await + owned.await });
    assert_eq!(out, 12);
}
