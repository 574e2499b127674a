// `as_completed!()` has nothing to wait for.
fn main() {
    let _ = corio::as_completed!();
}
