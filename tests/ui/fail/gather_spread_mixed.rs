// A `..iter` among other futures: the spread form takes the iterator alone.
fn main() {
    let more = vec![async { 2 }];
    let _ = corio::gather!(async { 1 }, ..more);
}
