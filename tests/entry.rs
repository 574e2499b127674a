//! `#[corio::main]` and `#[corio::test]`: the `async fn` runs to completion on a new corio
//! loop (virtual time on request), its output is the fn's, and `?` works in it.

use corio::TaskError;

mod real_clock {
    /// A `main` elsewhere than the crate root: callable like any fn.
    #[corio::main]
    pub async fn main() -> f64 {
        corio::sleep(0.01).await;
        corio::time()
    }
}

mod virtual_clock {
    #[corio::main(virtual_time)]
    pub async fn main() -> (f64, String) {
        corio::sleep(3600).await;
        let task = corio::create_task(async { corio::sleep(1.5).await });
        task.await.unwrap();
        (corio::time(), "done".to_string())
    }
}

mod fallible {
    #[corio::main(virtual_time, crate = ::corio)]
    pub async fn main() -> Result<u32, std::num::ParseIntError> {
        corio::sleep(1).await;
        let n: u32 = "41".parse()?;
        let _: u32 = "x".parse()?;
        Ok(n + 1)
    }
}

#[test]
fn main_runs_on_the_real_clock() {
    assert!(real_clock::main() >= 0.01);
}

#[test]
fn main_with_virtual_time() {
    assert_eq!(virtual_clock::main(), (3601.5, "done".to_string()));
}

#[test]
fn main_returns_the_first_error() {
    assert_eq!(
        fallible::main().unwrap_err().to_string(),
        "invalid digit found in string"
    );
}

#[corio::test(virtual_time)]
async fn test_under_virtual_time() {
    let start = corio::time();
    corio::sleep(86_400).await;
    assert_eq!((start, corio::time()), (0.0, 86_400.0));
}

#[corio::test]
async fn test_returning_a_result() -> Result<(), TaskError> {
    let task = corio::create_task(async { 6 * 7 });
    assert_eq!(task.await?, 42);
    Ok(())
}

#[corio::test]
#[should_panic(expected = "already running")]
async fn test_runs_inside_a_loop() {
    corio::run(async {});
}

#[corio::test(virtual_time)]
async fn test_awaits_a_coroutine() {
    #[corio::coroutine]
    async fn later(delay: u32) -> u32 {
        corio::sleep(delay).await;
        delay
    }
    assert_eq!(later(5).await + later(7).await, 12);
    assert_eq!(corio::time(), 12.0);
}
