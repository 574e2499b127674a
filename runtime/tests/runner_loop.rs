//! `Runner` keeps its loop across runs, as asyncio's `Runner`; `run` stays one loop per call.

use std::cell::Cell;
use std::rc::Rc;

use corio_runtime::{Runner, create_task, get_running_loop, run, sleep, time};

/// Counts its drops.
struct Dropped(Rc<Cell<u32>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Leaves a task behind (holding `guard`, sleeping 100 s) and lets it start.
async fn leave_a_task(guard: Dropped) {
    create_task(async move {
        let _guard = guard;
        sleep(100).await;
    })
    .detach();
    sleep(0).await;
}

#[test]
fn tasks_of_one_run_go_on_in_the_next_and_the_clock_goes_on() {
    let runner = Runner::new().virtual_time();
    let ticks = Rc::new(Cell::new(0));
    let counted = ticks.clone();
    let (started_at, task) = runner.run(async move {
        let task = create_task(async move {
            for _ in 0..3 {
                sleep(1).await;
                counted.set(counted.get() + 1);
            }
            time()
        });
        sleep(0.5).await;
        (time(), Some(task))
    });
    assert_eq!(started_at, 0.5);
    assert_eq!(ticks.get(), 0, "between runs nothing runs");
    // The second run's clock starts where the first left it; the task ticks meanwhile.
    let at = runner.run(async {
        sleep(2).await;
        time()
    });
    assert_eq!(at, 2.5);
    assert_eq!(ticks.get(), 2);
    assert_eq!(runner.run(task.unwrap()).unwrap(), 3.0);
    assert_eq!(ticks.get(), 3);
    runner.close();
}

#[test]
fn the_loop_is_open_and_not_running_between_runs() {
    let runner = Runner::new().virtual_time();
    let lp = runner.run(async { get_running_loop() });
    assert!(!lp.is_running());
    assert!(!lp.is_closed());
    let same = runner.run(async { get_running_loop() });
    assert_eq!(format!("{lp:?}"), format!("{same:?}"));
    runner.close();
    assert!(lp.is_closed());
}

#[test]
fn close_cancels_the_leftovers_and_later_runs_panic() {
    let drops = Rc::new(Cell::new(0));
    let runner = Runner::new().virtual_time();
    let guard = Dropped(drops.clone());
    runner.run(async move {
        leave_a_task(guard).await;
    });
    assert_eq!(drops.get(), 0, "the leftover task waits for the next run");
    runner.close();
    assert_eq!(drops.get(), 1);
    runner.close(); // twice: nothing
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run(async {})));
    let message = *again.unwrap_err().downcast::<&str>().unwrap();
    assert_eq!(
        message,
        "corio::Runner::run(): the Runner is closed (asyncio: Runner is closed)"
    );
}

#[test]
fn dropping_the_runner_ends_its_loop() {
    let drops = Rc::new(Cell::new(0));
    let guard = Dropped(drops.clone());
    {
        let runner = Runner::new().virtual_time();
        runner.run(async move {
            leave_a_task(guard).await;
        });
        assert_eq!(drops.get(), 0);
    }
    assert_eq!(drops.get(), 1);
}

#[test]
fn run_is_still_one_loop_per_call() {
    let drops = Rc::new(Cell::new(0));
    let guard = Dropped(drops.clone());
    run(async move {
        leave_a_task(guard).await;
    });
    assert_eq!(drops.get(), 1, "run ended its loop before returning");
}
