// `..` with no iterator after it.
fn main() {
    let _ = corio::gather!(..);
}
