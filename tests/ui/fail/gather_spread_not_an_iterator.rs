// `..` before something that is not an iterator.
fn main() {
    let _ = corio::gather!(..5);
}
