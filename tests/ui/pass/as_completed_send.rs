// `as_completed!` streams are `Send` when their children are.
fn assert_send<T: Send>(value: T) -> T {
    value
}

fn main() {
    let fixed = assert_send(corio::as_completed!(async { 1 }, async { 2 }));
    let spread = assert_send(corio::as_completed!(..(0..3).map(|i| async move { i })));
    let timed = assert_send(corio::as_completed!(..vec![async { 1 }], timeout = 1));
    drop((fixed, spread, timed));
}
