// A missing comma between two futures.
fn main() {
    let _ = corio::gather!(async { 1 }, async { 2 } async { 3 });
}
