// `timeout =` with nothing after it.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1), timeout =).await;
}

fn main() {
    corio::run(program());
}
