// `gather!` in generic code: any futures, any outputs.
use std::future::Future;

async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    corio::gather!(a, b).await
}

async fn all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    corio::gather!(..futures).await
}

async fn all_ok<T, E, F: Future<Output = Result<T, E>>>(a: F, b: F) -> Result<(T, T), E> {
    corio::gather!(try a, b).await
}

fn main() {
    futures::executor::block_on(async {
        assert_eq!(both(async { 1 }, async { "b" }).await, (1, "b"));
        assert_eq!(
            all(vec![std::future::ready(1), std::future::ready(2)]).await,
            [1, 2]
        );
        let ok = |value| std::future::ready(Ok::<u8, String>(value));
        assert_eq!(all_ok(ok(1), ok(2)).await, Ok((1, 2)));
    });
}
