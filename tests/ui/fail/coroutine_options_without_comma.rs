#[corio::coroutine(name = "main" crate = corio)]
async fn no_comma() {}

fn main() {}
