// Children may borrow local (non-'static) data, and temporaries they borrow live until the end
// of the statement that awaits the gather.
async fn len(text: &str) -> usize {
    text.len()
}

fn main() {
    let owned = String::from("borrowed");
    let words = vec![String::from("a"), String::from("bb")];
    let output = futures::executor::block_on(async {
        let fixed = corio::gather!(len(&owned), len(&String::from("temporary"))).await;
        let spread = corio::gather!(..words.iter().map(|word| len(word))).await;
        let tried = corio::gather!(try async { Ok::<_, ()>(len(&owned).await) }).await;
        (fixed, spread, tried)
    });
    assert_eq!(output, ((8, 9), vec![1, 2], Ok((8,))));
}
