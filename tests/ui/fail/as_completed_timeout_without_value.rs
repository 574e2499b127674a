// `timeout =` with no value.
fn main() {
    let futures = vec![async { 1 }];
    let _ = corio::as_completed!(..futures, timeout =);
}
