// The timeout form takes an iterator of futures (its items are `Result<T, TimeoutError>`).
fn main() {
    let _ = corio::as_completed!(async { 1 }, async { 2 }, timeout = 1);
}
