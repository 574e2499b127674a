// The timeout is seconds (an integer or float) or a `Duration`.
fn main() {
    let futures = vec![async { 1 }];
    let _ = corio::as_completed!(..futures, timeout = "soon");
}
