// The expansion names everything by absolute path: it compiles in a module that shadows
// `core`, `std`, `Option`, `Result`, `Future`, `Poll` and friends.
#![allow(dead_code, non_camel_case_types)]

mod shadowing {
    mod core {}
    mod std {}
    struct Option;
    struct Some;
    struct None;
    struct Result;
    struct Ok;
    struct Err;
    struct Future;
    struct Poll;
    struct Pin;
    struct Context;
    struct Box;
    struct Coroutine;
    struct CoroutineInfo;
    trait IntoFuture {}
    macro_rules! file {
        () => {
            0
        };
    }
    macro_rules! line {
        () => {
            "no"
        };
    }
    macro_rules! stringify {
        ($($t:tt)*) => {
            0
        };
    }

    #[corio::coroutine]
    pub async fn answer(x: u32) -> u32 {
        ::corio::sleep(0).await;
        x + 1
    }

    #[corio::main(virtual_time)]
    pub async fn main() -> u32 {
        answer(41).await
    }
}

fn main() {
    assert_eq!(shadowing::main(), 42);
}
