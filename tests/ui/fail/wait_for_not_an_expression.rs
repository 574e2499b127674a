// An item where the future should be.
async fn program() {
    let _ = corio::wait_for!(struct Eternity, 1).await;
}

fn main() {
    corio::run(program());
}
