// `self` is no option.
#[corio::coroutine(self)]
async fn f() {}

fn main() {
    let _ = f();
}
