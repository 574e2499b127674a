// A `..iter` among other futures.
fn main() {
    let more = vec![async { 2 }];
    let _ = corio::as_completed!(async { 1 }, ..more);
}
