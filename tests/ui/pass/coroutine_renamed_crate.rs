// A renamed dependency: `crate = path` points the expansion at it (as a `Cargo.toml`
// rename would need; emulated here with `extern crate ... as`).
extern crate corio as my_corio;

#[my_corio::coroutine(crate = my_corio, name = "renamed")]
async fn work() -> u32 {
    my_corio::sleep(0).await;
    7
}

#[my_corio::main(crate = my_corio, virtual_time)]
async fn main() {
    let coro = work();
    assert_eq!(coro.name(), "renamed");
    assert_eq!(coro.await, 7);
    assert_eq!(my_corio::time(), 0.0);
}
