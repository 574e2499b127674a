// `as_completed!` in generic code, used through `futures::StreamExt` too.
use std::future::Future;

use futures::StreamExt;

async fn in_completion_order<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    // `futures::StreamExt::collect`: the spread form is a `Stream`.
    corio::as_completed!(..futures).collect().await
}

async fn first_of<T, A: Future<Output = T>, B: Future<Output = T>>(a: A, b: B) -> Option<T> {
    // No `pin!`: the fixed form is `Unpin`, and its inherent `next` is the one called even
    // with `StreamExt` in scope.
    let mut stream = corio::as_completed!(a, b);
    stream.next().await
}

fn main() {
    futures::executor::block_on(async {
        assert_eq!(
            in_completion_order(vec![std::future::ready(1), std::future::ready(2)]).await,
            [1, 2]
        );
        assert_eq!(first_of(async { 'a' }, async { 'b' }).await, Some('a'));
    });
}
