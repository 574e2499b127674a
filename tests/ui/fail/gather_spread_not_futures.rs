// `..iter` whose items are not futures.
async fn program() {
    let _ = corio::gather!(..[1, 2]).await;
}

fn main() {
    corio::run(program());
}
