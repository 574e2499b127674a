// Every child yields into one stream, so all must output the same type.
fn main() {
    let _ = corio::as_completed!(async { 1 }, async { "two" });
}
