// Every child of the `try` form must output a `Result`.
fn main() {
    let _ = corio::gather!(try async { Ok::<u8, String>(1) }, async { 2 });
}
