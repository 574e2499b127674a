// `try` with nothing after it.
fn main() {
    let _ = corio::gather!(try);
}
