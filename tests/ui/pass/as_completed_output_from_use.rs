// A child whose output type is known only from how the stream's items are used afterwards.
fn main() {
    futures::executor::block_on(async {
        let mut outputs = corio::as_completed!(async { Default::default() }, async { 2 });
        let first: Option<u8> = outputs.next().await;
        assert_eq!(first, Some(0));
    });
}
