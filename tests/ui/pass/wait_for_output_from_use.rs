// A future whose output type is known only from how the output is used afterwards.
async fn program() {
    let value: u8 = corio::wait_for!(async { Default::default() }, 1).await.unwrap();
    assert_eq!(value, 0);
}

fn main() {
    corio::run(program());
}
