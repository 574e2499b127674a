// `..iter` whose items are not futures.
async fn program() {
    let mut outputs = corio::as_completed!(..vec![1, 2], timeout = 1);
    while let Some(_output) = outputs.next().await {}
}

fn main() {
    corio::run(program());
}
