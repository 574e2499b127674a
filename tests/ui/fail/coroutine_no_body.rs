trait Service {
    #[corio::coroutine]
    async fn call(&self) -> u32;
}

fn main() {}
