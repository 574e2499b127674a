// `wait_for!` with nothing in it.
async fn program() {
    let _ = corio::wait_for!().await;
}

fn main() {
    corio::run(program());
}
