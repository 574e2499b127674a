// Each child must be a future (or `IntoFuture`).
fn main() {
    let _ = corio::gather!(async { 1 }, 2);
}
