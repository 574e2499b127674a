// Another future after `..iter`.
fn main() {
    let more = vec![async { 2 }];
    let _ = corio::gather!(..more, async { 1 });
}
