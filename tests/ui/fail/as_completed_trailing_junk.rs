// Something other than `timeout = ...` after `..iter`.
fn main() {
    let futures = vec![async { 1 }];
    let _ = corio::as_completed!(..futures, 5);
}
