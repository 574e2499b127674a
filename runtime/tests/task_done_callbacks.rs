//! `Task::add_done_callback` / `remove_done_callback`, in asyncio's order. The expected logs
//! are what CPython 3.11 prints for the same program (each test says which).

use std::cell::RefCell;
use std::rc::Rc;

use corio_runtime::{Runner, create_task, sleep, time};

type Log = Rc<RefCell<Vec<String>>>;

fn logger(log: &Log, line: &str) -> impl FnOnce() + 'static {
    let (log, line) = (log.clone(), line.to_owned());
    move || log.borrow_mut().push(line)
}

#[test]
fn callbacks_and_awaiters_run_in_registration_order_on_the_pass_after_the_end() {
    // asyncio: t = create_task(sleep(1)); t.add_done_callback(cb1); an awaiter task starts
    // awaiting t; then cb2 and cb3 are added and cb3 removed (1); the main task awaits the
    // awaiter; a callback added to the finished t runs on the next pass:
    // ['cb1 1', 'awaiter', 'cb2', 'after add', 'late'].
    let log = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let t = create_task(sleep(1));
        let at = log.clone();
        t.add_done_callback(move || at.borrow_mut().push(format!("cb1 {}", time())));
        let awaited = t.clone();
        let awaiter_log = log.clone();
        let awaiter = create_task(async move {
            awaited.await.unwrap();
            awaiter_log.borrow_mut().push("awaiter".to_owned());
        });
        sleep(0).await;
        t.add_done_callback(logger(&log, "cb2"));
        let removed = t.add_done_callback(logger(&log, "removed"));
        assert_eq!(t.remove_done_callback(removed), 1);
        assert_eq!(t.remove_done_callback(removed), 0);
        awaiter.await.unwrap();
        t.add_done_callback(logger(&log, "late"));
        log.borrow_mut().push("after add".to_owned());
        sleep(0).await;
        log.take()
    });
    assert_eq!(log, ["cb1 1", "awaiter", "cb2", "after add", "late"]);
}

#[test]
fn an_awaiter_that_came_after_a_callback_is_woken_after_it() {
    // asyncio: cb registered, then the main task awaits t: ['cb', 'awaited'].
    let log = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let t = create_task(sleep(0.5));
        t.add_done_callback(logger(&log, "cb"));
        t.await.unwrap();
        log.borrow_mut().push("awaited".to_owned());
        log.take()
    });
    assert_eq!(log, ["cb", "awaited"]);
}

#[test]
fn callbacks_run_for_a_cancelled_and_a_panicking_task() {
    let (log, t_end) = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let cancelled = create_task(sleep(5));
        cancelled.add_done_callback(logger(&log, "cancelled done"));
        let panicking = create_task(async {
            sleep(1).await;
            panic!("boom");
        });
        panicking.add_done_callback(logger(&log, "panicked done"));
        sleep(2).await;
        cancelled.cancel();
        assert!(cancelled.await.unwrap_err().is_cancelled());
        assert!(panicking.await.unwrap_err().is_panic());
        (log.take(), time())
    });
    assert_eq!(log, ["panicked done", "cancelled done"]);
    assert_eq!(t_end, 2.0);
}

#[test]
fn a_removed_callback_is_dropped_unrun_and_an_id_of_another_task_removes_nothing() {
    let log = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let mut a = create_task(sleep(1));
        let b = create_task(sleep(1));
        let id = a.add_done_callback(logger(&log, "a"));
        assert_eq!(b.remove_done_callback(id), 0);
        b.add_done_callback(logger(&log, "b"));
        let dropped = Rc::new(());
        let held = dropped.clone();
        let id = a.add_done_callback(move || drop(held));
        assert_eq!(Rc::strong_count(&dropped), 2);
        assert_eq!(a.remove_done_callback(id), 1);
        assert_eq!(
            Rc::strong_count(&dropped),
            1,
            "the removed callback was dropped"
        );
        (&mut a).await.unwrap();
        b.await.unwrap();
        sleep(0).await;
        // Removing after the end finds nothing.
        assert_eq!(a.remove_done_callback(id), 0);
        log.take()
    });
    assert_eq!(log, ["a", "b"]);
}

#[test]
#[should_panic(
    expected = "corio::Task::add_done_callback() must run on the event loop that runs its tasks"
)]
fn adding_a_callback_off_the_loop_panics() {
    // In an `Option`: a task is itself awaitable, and `run` gives it back unawaited.
    let task = Runner::new().run(async { Some(create_task(sleep(0))) });
    task.unwrap().add_done_callback(|| {});
}
