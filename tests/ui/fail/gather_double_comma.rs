// Two commas in a row between futures.
fn main() {
    let _ = corio::gather!(async { 1 },, async { 2 });
}
