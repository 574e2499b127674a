// Under a renamed dependency the facade's wrapper passes `$crate`, so the expansion finds
// corio's support items without a `crate = ...` option.
extern crate corio as my_corio;

fn main() {
    let output = futures::executor::block_on(async {
        let fixed = my_corio::gather!(async { 1 }, async { 2 }).await;
        let spread = my_corio::gather!(..vec![async { 3 }]).await;
        let tried = my_corio::gather!(try async { Ok::<u8, ()>(4) }).await;
        (fixed, spread, tried)
    });
    assert_eq!(output, ((1, 2), vec![3], Ok((4,))));
}
