// Two children that are not futures: one error for each, at it.
async fn program() {
    let _ = corio::gather!(1, 2).await;
}

fn main() {
    corio::run(program());
}
