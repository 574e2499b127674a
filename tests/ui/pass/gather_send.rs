// `gather!` futures are `Send` when their children are, so they run on multi-threaded
// executors.
fn assert_send<T: Send>(value: T) -> T {
    value
}

fn main() {
    let fixed = assert_send(corio::gather!(async { 1 }, async { String::from("two") }));
    let spread = assert_send(corio::gather!(..(0..3).map(|i| async move { i })));
    let tried = assert_send(corio::gather!(try async { Ok::<u8, String>(1) }));
    let all = assert_send(corio::gather!(fixed, spread, tried));
    let output = futures::executor::block_on(all);
    assert_eq!(output, ((1, String::from("two")), vec![0, 1, 2], Ok((1,))));
}
