// One argument too many: `wait_for!` waits for one future.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1), 2, corio::sleep(3)).await;
}

fn main() {
    corio::run(program());
}
