// The expansion names everything by absolute path: it compiles in a module that shadows
// `core`, `std`, `Option`, `Result`, `Future`, `Poll` and their neighbours.
#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    mod core {}
    mod std {}
    struct Option;
    struct Result;
    trait Future {}
    trait Stream {}
    struct Poll;
    struct Some;
    struct None;
    struct Pin;
    struct Context;
    struct IntoFuture;
    struct MaybeDone;
    struct Unpin;

    pub fn run() -> ::std::vec::Vec<u8> {
        ::futures::executor::block_on(async {
            let mut seen = ::std::vec::Vec::new();
            let mut fixed = corio::as_completed!(async { 1 }, async { 2 });
            while let ::core::option::Option::Some(n) = fixed.next().await {
                seen.push(n);
            }
            let mut spread =
                corio::as_completed!(..[::core::future::ready(3), ::core::future::ready(4)]);
            while let ::core::option::Option::Some(n) = spread.next().await {
                seen.push(n);
            }
            seen
        })
    }
}

fn main() {
    assert_eq!(shadowed::run(), [1, 2, 3, 4]);
}
