// A comma with no future before it.
async fn program() {
    let _ = corio::wait_for!(, 1).await;
}

fn main() {
    corio::run(program());
}
