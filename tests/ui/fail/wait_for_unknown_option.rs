// A misspelt keyword: the only option is `timeout = ...`.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1), timout = 2).await;
}

fn main() {
    corio::run(program());
}
