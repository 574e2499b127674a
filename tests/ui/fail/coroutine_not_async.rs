#[corio::coroutine]
fn not_async() -> u32 {
    42
}

fn main() {}
