// A child of the `try` form that is not a future.
async fn program() {
    let _ = corio::gather!(try 1, async { Ok::<u8, ()>(2) }).await;
}

fn main() {
    corio::run(program());
}
