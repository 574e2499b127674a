// Something after the timeout that is not a comma.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1), 2 seconds).await;
}

fn main() {
    corio::run(program());
}
