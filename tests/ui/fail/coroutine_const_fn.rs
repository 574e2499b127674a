#[corio::coroutine]
const async fn constant() {}

fn main() {}
