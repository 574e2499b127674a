// Generic coroutines: type parameters, `impl Trait` arguments, where clauses, const
// generics, and a coroutine called from generic code.
use std::fmt::Display;

#[corio::coroutine]
async fn join_all<T, const N: usize>(items: [T; N], sep: impl AsRef<str>) -> String
where
    T: Display,
{
    corio::sleep(0).await;
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep.as_ref())
}

struct Wrapper<T>(T);

impl<T: Clone + Send> Wrapper<T> {
    #[corio::coroutine]
    async fn get(&self) -> T {
        corio::sleep(0).await;
        self.0.clone()
    }
}

async fn twice<F, Fut>(make: F) -> (Fut::Output, Fut::Output)
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    (make().await, make().await)
}

fn main() {
    let out = corio::Runner::new().virtual_time().run(async {
        let joined = join_all([1, 2, 3], ", ").await;
        let wrapper = Wrapper(String::from("w"));
        let pair = twice(|| wrapper.get()).await;
        (joined, pair)
    });
    assert_eq!(
        out,
        ("1, 2, 3".to_string(), ("w".to_string(), "w".to_string()))
    );
}
