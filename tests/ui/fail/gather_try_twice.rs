// `try` is written once.
fn main() {
    let _ = corio::gather!(try try async { Ok::<u8, ()>(1) });
}
