// The fixed form is used as the spread form is: `let mut s = as_completed!(a, b, c);` then
// `s.next().await`, no `pin!` (the notebook's `for coro in as_completed(...)`).
use corio::{sleep, time};

async fn after(delay: f64, name: &'static str) -> &'static str {
    sleep(delay).await;
    name
}

fn main() {
    let order = corio::Runner::new().virtual_time().run(async {
        let mut s = corio::as_completed!(after(3.0, "c"), after(1.0, "a"), after(2.0, "b"));
        let mut order = Vec::new();
        while let Some(name) = s.next().await {
            order.push((time(), name));
        }
        assert_eq!(s.next().await, None);
        order
    });
    assert_eq!(order, [(1.0, "a"), (2.0, "b"), (3.0, "c")]);
}
