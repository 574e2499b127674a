// Under a renamed dependency the facade's wrapper passes `$crate`.
extern crate corio as my_corio;

use futures::StreamExt;

fn main() {
    let output: (Vec<u8>, Vec<u8>) = futures::executor::block_on(async {
        let fixed = my_corio::as_completed!(async { 1 }, async { 2 })
            .collect()
            .await;
        let spread = my_corio::as_completed!(..vec![async { 3 }]).collect().await;
        (fixed, spread)
    });
    assert_eq!(output, (vec![1, 2], vec![3]));
    let timed = my_corio::Runner::new().virtual_time().run(async {
        my_corio::as_completed!(..vec![my_corio::sleep(2)], timeout = 1)
            .collect::<Vec<_>>()
            .await
    });
    assert_eq!(timed, [Err(my_corio::TimeoutError)]);
}
