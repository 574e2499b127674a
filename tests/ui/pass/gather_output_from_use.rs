// A child whose output type is known only from how the gather's output is used afterwards.
fn main() {
    futures::executor::block_on(async {
        let (a, b): (u8, &str) = corio::gather!(async { Default::default() }, async { "b" }).await;
        assert_eq!((a, b), (0, "b"));
        let ok: Result<(u8, u16), String> =
            corio::gather!(try async { Ok(Default::default()) }, async { Ok(2) }).await;
        assert_eq!(ok, Ok((0, 2)));
    });
}
