// rustc has a built-in (unstable) `#[coroutine]` attribute: once `corio::coroutine` is
// imported, the bare name is ambiguous (E0659). Write the path: `#[corio::coroutine]`.
use corio::coroutine;

#[coroutine]
async fn ambiguous() {}

fn main() {}
