// `gather!()` has nothing to gather (asyncio's `gather()` returns `[]`; with no futures at all
// there is no output type to give).
fn main() {
    let _ = corio::gather!();
}
