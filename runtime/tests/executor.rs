//! `EventLoop::run_in_executor`: blocking work on the program's own executor, as asyncio's
//! `loop.run_in_executor(executor, f)`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corio_runtime::__private::gather_all;
use corio_runtime::{Job, create_task, get_running_loop, sleep, time};
use futures_executor::ThreadPool;
use support::{panic_message, virtual_run};

/// futures-executor's `ThreadPool` works as it is: the work runs on one of its threads.
#[test]
fn a_thread_pool_runs_the_work() {
    let pool = ThreadPool::builder()
        .pool_size(2)
        .name_prefix("my-pool-")
        .create()
        .unwrap();
    let (answer, thread) = virtual_run(async {
        get_running_loop()
            .run_in_executor(&pool, || {
                let name = std::thread::current().name().unwrap().to_owned();
                (6 * 7, name)
            })
            .await
    });
    assert_eq!(answer, 42);
    assert!(thread.starts_with("my-pool-"), "{thread}");
}

/// Any `Fn(Job)` is an executor; under virtual time the loop waits for its work (taking no
/// virtual time), and the work was handed over before the first poll.
#[test]
fn a_closure_is_an_executor_and_its_work_takes_no_virtual_time() {
    let submitted = Arc::new(AtomicUsize::new(0));
    let counter = submitted.clone();
    let spawn_thread = move |job: Job| {
        counter.fetch_add(1, Ordering::SeqCst);
        drop(std::thread::spawn(job));
    };
    let outputs = virtual_run(async {
        let lp = get_running_loop();
        let slow = lp.run_in_executor(&spawn_thread, || {
            std::thread::sleep(Duration::from_millis(50));
            "slow"
        });
        assert_eq!(submitted.load(Ordering::SeqCst), 1);
        let timer = create_task(async {
            sleep(1).await;
            time()
        });
        let slow = slow.await;
        (slow, time(), timer.await.unwrap())
    });
    assert_eq!(outputs, ("slow", 0.0, 1.0));
}

/// A panic in the work resumes in the awaiting task.
#[test]
fn a_panic_in_the_work_resumes_in_the_awaiter() {
    let pool = ThreadPool::new().unwrap();
    let message = panic_message(|| {
        virtual_run(async {
            get_running_loop()
                .run_in_executor(&pool, || -> u8 { panic!("work failed") })
                .await
        });
    });
    assert_eq!(message, "work failed");
}

/// An executor that drops the work without running it: the awaiter panics, it does not hang.
#[test]
fn work_the_executor_drops_panics_in_the_awaiter() {
    let message = panic_message(|| {
        virtual_run(async {
            get_running_loop()
                .run_in_executor(&|job: Job| drop(job), || 1)
                .await
        });
    });
    assert_eq!(
        message,
        "corio: the executor dropped the work without running it"
    );
}

/// Many calls on one pool, gathered.
#[test]
fn many_calls_on_one_pool() {
    let pool = ThreadPool::builder().pool_size(3).create().unwrap();
    let outputs = virtual_run(async {
        let lp = get_running_loop();
        gather_all((0..20u32).map(|i| lp.run_in_executor(&pool, move || i * i))).await
    });
    assert_eq!(outputs, (0..20u32).map(|i| i * i).collect::<Vec<_>>());
}
