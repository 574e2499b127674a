// The expansion names everything by absolute path: it compiles in a module that shadows
// `core`, `std`, `Option`, `Result`, `Future`, `Poll` and their neighbours (`Some`, `Ok`,
// `Err`, `Pin`, `Context`, `IntoFuture`).
#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    mod core {}
    mod std {}
    struct Option;
    struct Result;
    trait Future {}
    struct Poll;
    struct Some;
    struct Ok;
    struct Err;
    struct Pin;
    struct Context;
    struct IntoFuture;

    pub fn run() -> (bool, bool, bool) {
        corio::Runner::new().virtual_time().run(async {
            let in_time = corio::wait_for!(async { 1 }, 1).await.is_ok();
            let late = corio::wait_for!(corio::sleep(10), 0.5).await.is_err();
            let forever = corio::wait_for!(corio::sleep(10), None).await.is_ok();
            (in_time, late, forever)
        })
    }
}

fn main() {
    assert_eq!(shadowed::run(), (true, true, true));
}
