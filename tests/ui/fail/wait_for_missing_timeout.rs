// A future and no timeout: asyncio's `wait_for(aw)` also needs one (`None` waits forever).
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1)).await;
}

fn main() {
    corio::run(program());
}
