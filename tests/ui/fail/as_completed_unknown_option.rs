// `as_completed!` has one option, `timeout`.
fn main() {
    let futures = vec![async { 1 }];
    let _ = corio::as_completed!(..futures, deadline = 1);
}
