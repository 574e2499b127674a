// A future, a comma, and no timeout.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1),).await;
}

fn main() {
    corio::run(program());
}
