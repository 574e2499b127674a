#[corio::coroutine(nmae = "main")]
async fn misspelt() {}

fn main() {}
