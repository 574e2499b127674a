// Awaiting what is not a future inside a coroutine: reported at the awaited expression, as
// rustc reports `.await` on it in a bare `async fn`.

#[corio::coroutine]
async fn waits_on_a_number() -> u32 {
    let n = 5u32;
    n.await
}

fn main() {
    let _ = waits_on_a_number();
}
