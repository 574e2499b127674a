// The first argument must be a future (anything `IntoFuture`).
async fn program() {
    let _ = corio::wait_for!(42, 1).await;
}

fn main() {
    corio::run(program());
}
