//! The end of a loop: what `run` does with what is left, and what it promises whatever a
//! destructor does there.

mod support;

use corio_runtime::{EventLoop, Runner, get_running_loop, run, run_coroutine_threadsafe, time};
use support::{Bomb, DropCounter, panic_message};

/// A destructor that panics while the loop drops a leftover callback: the panic comes out of
/// `run`, and the loop has still ended (the thread is free, the loop closed, nothing reads it).
#[test]
fn a_panicking_destructor_at_the_loop_end_still_ends_the_loop() {
    let mut lp: Option<EventLoop> = None;
    let message = panic_message(|| {
        run(async {
            lp = Some(get_running_loop());
            let bomb = Bomb("boom");
            let _ = get_running_loop().call_soon(move || drop(bomb));
        })
    });
    assert_eq!(message, "boom");
    let lp = lp.unwrap();
    assert_eq!(
        format!("{lp:?}"),
        "<corio.EventLoop running=False closed=True debug=False>"
    );
    // The thread runs no loop: no dead loop is read, and a new one starts.
    assert_eq!(
        panic_message(|| {
            time();
        }),
        "corio::time() called with no running event loop; call it inside corio::run()"
    );
    assert_eq!(run(async { 7 }), 7);
    // Another thread is refused.
    let message = std::thread::spawn(move || {
        panic_message(|| {
            run_coroutine_threadsafe(async {}, &lp);
        })
    })
    .join()
    .unwrap();
    assert_eq!(
        message,
        "corio: run_coroutine_threadsafe(): Event loop is closed"
    );
}

/// The main future's panic is what `run` raises, not a destructor's that came after it.
#[test]
fn the_main_futures_panic_is_never_lost_behind_a_destructors() {
    let message = panic_message(|| {
        run(async {
            let bomb = Bomb("boom");
            let _ = get_running_loop().call_soon(move || drop(bomb));
            panic!("main failed");
        })
    });
    assert_eq!(message, "main failed");
    assert_eq!(run(async { 1 }), 1);
}

/// Of several destructors that panic, the first wins; every other leftover is still dropped.
#[test]
fn the_first_destructor_panic_wins_and_the_rest_are_still_dropped() {
    let drops = DropCounter::default();
    let message = panic_message(|| {
        Runner::new().virtual_time().run(async {
            let lp = get_running_loop();
            let (a, b) = (drops.token(), drops.token());
            let _ = lp.call_soon(move || drop(a));
            let first = Bomb("first");
            let _ = lp.call_soon(move || drop(first));
            let second = Bomb("second");
            let _ = lp.call_later(5, move || drop(second));
            let _ = lp.call_later(6, move || drop(b));
        })
    });
    assert_eq!(message, "first");
    assert_eq!(drops.count(), 2);
    assert_eq!(run(async { 2 }), 2);
}

/// A panic unwinding out of the loop itself (here the virtual clock's deadlock report) passes
/// through the loop's end even when a destructor there panics too: the process does not
/// abort, the first panic comes out, and the thread is free again.
#[test]
fn a_destructor_panic_while_the_loop_unwinds_does_not_abort() {
    /// Leaves a callback holding a [`Bomb`] on the loop when dropped.
    struct LeavesABomb;
    impl Drop for LeavesABomb {
        fn drop(&mut self) {
            let bomb = Bomb("boom");
            let _ = get_running_loop().call_soon(move || drop(bomb));
        }
    }
    let message = panic_message(|| {
        Runner::new().virtual_time().run(async {
            let _guard = LeavesABomb;
            std::future::pending::<()>().await;
        })
    });
    assert!(message.contains("deadlock"), "{message}");
    assert_eq!(run(async { 3 }), 3);
}
