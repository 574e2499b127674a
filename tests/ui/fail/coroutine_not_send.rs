// A coroutine is `Send` exactly when its body is: this one holds an `Rc` across an await.
use std::rc::Rc;

#[corio::coroutine]
async fn holds_rc() {
    let shared = Rc::new(1);
    corio::sleep(0).await;
    drop(shared);
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_rc());
}
