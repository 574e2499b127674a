// `#[corio::main]` on the binary's `main`, returning a `Result` whose `Err` would end the
// process with an error, as `fn main() -> Result<..>` does.

#[corio::coroutine]
async fn say_after(delay: f64, what: &str) -> String {
    corio::sleep(delay).await;
    what.to_string()
}

#[corio::main]
async fn main() -> Result<(), corio::TaskError> {
    let task = corio::create_task(say_after(0.01, "world"));
    let hello = say_after(0.0, "hello").await;
    let world = task.await?;
    assert_eq!(format!("{hello} {world}"), "hello world");
    Ok(())
}
