// A comma with no future before it.
fn main() {
    let _ = corio::gather!(,);
}
