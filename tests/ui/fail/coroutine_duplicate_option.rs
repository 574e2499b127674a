#[corio::coroutine(name = "first", name = "second")]
async fn named_twice() {}

fn main() {}
