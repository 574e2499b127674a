// A timeout of the wrong type: a string is not seconds or a Duration.
async fn program() {
    let _ = corio::wait_for!(corio::sleep(1), "1s").await;
}

fn main() {
    corio::run(program());
}
