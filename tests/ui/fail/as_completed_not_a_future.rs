// A child that is not a future.
async fn program() {
    let mut outputs = corio::as_completed!(1, async { 2 });
    while let Some(_output) = outputs.next().await {}
}

fn main() {
    corio::run(program());
}
