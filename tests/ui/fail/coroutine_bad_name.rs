#[corio::coroutine(name = main)]
async fn named() {}

fn main() {}
