// The future and the timeout without a comma between them.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1) 2).await;
}

fn main() {
    corio::run(program());
}
