// Coroutines over borrowed (non-'static) data: arguments, `&self`, `&mut self`, and an
// output that borrows from an argument.

struct Words<'a> {
    text: &'a str,
    seen: usize,
}

impl<'a> Words<'a> {
    #[corio::coroutine]
    async fn first(&self) -> &'a str {
        corio::sleep(0).await;
        self.text.split(' ').next().unwrap_or("")
    }

    #[corio::coroutine]
    async fn count(&mut self, extra: &[&str]) -> usize {
        corio::sleep(0).await;
        self.seen += self.text.split(' ').count() + extra.len();
        self.seen
    }
}

#[corio::coroutine]
async fn longest<'x>(a: &'x str, b: &'x str) -> &'x str {
    corio::sleep(0).await;
    if a.len() >= b.len() { a } else { b }
}

fn main() {
    let text = String::from("hello borrowed world");
    let mut words = Words {
        text: &text,
        seen: 0,
    };
    let local = vec!["one", "two"];
    let (first, count, longest) = corio::Runner::new().virtual_time().run(async {
        let first = words.first().await;
        let count = words.count(&local).await;
        (first, count, longest(first, "hi").await)
    });
    assert_eq!((first, count, longest), ("hello", 5, "hello"));
}
