// The attribute is given once.
#[corio::coroutine]
#[corio::coroutine]
async fn f() {}

fn main() {
    let _ = f();
}
