// Children may borrow local (non-'static) data.
async fn len(text: &str) -> usize {
    text.len()
}

fn main() {
    let owned = String::from("borrowed");
    let words = vec![String::from("a"), String::from("bb")];
    futures::executor::block_on(async {
        let mut fixed = corio::as_completed!(len(&owned), len(&words[0]));
        let mut lens = Vec::new();
        while let Some(len) = fixed.next().await {
            lens.push(len);
        }
        let mut spread = corio::as_completed!(..words.iter().map(|word| len(word)));
        while let Some(len) = spread.next().await {
            lens.push(len);
        }
        assert_eq!(lens, [8, 1, 1, 2]);
    });
}
