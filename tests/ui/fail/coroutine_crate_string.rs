// `crate` takes a path, not a string.
#[corio::coroutine(crate = "corio")]
async fn f() {}

fn main() {
    let _ = f();
}
