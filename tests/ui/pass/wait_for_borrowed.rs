// The future may borrow local data: `wait_for!` needs no `'static`.
async fn longest<'a>(words: &'a [String]) -> &'a str {
    corio::sleep(1).await;
    words
        .iter()
        .max_by_key(|w| w.len())
        .map(String::as_str)
        .unwrap_or("")
}

fn main() {
    let words = vec![
        String::from("wait"),
        String::from("for"),
        String::from("eternity"),
    ];
    let mut seen = String::new();
    let out = corio::Runner::new().virtual_time().run(async {
        let found = corio::wait_for!(longest(&words), 2).await;
        // A future borrowing mutably, too.
        let pushed = corio::wait_for!(
            async {
                seen.push_str("pushed");
                seen.len()
            },
            1
        )
        .await;
        (found, pushed)
    });
    assert_eq!(out, (Ok("eternity"), Ok(6)));
    assert_eq!(seen, "pushed");
}
