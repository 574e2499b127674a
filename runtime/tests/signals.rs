//! Signal handlers on the loop (`add_signal_handler`, `remove_signal_handler`) and `run`'s
//! Ctrl-C handling.
//!
//! This file has its own `main` (`harness = false` in Cargo.toml), for two reasons:
//!
//! * `run` handles SIGINT only on the main thread, and libtest never runs a test there: the
//!   SIGINT and SIGTERM checks re-run this binary as a child (`CORIO_SIGNALS_CHILD=<scenario>`)
//!   whose main thread runs the scenario, and send it signals with `kill`;
//! * a signal belongs to the whole process: the in-process checks run one at a time, raise
//!   only SIGUSR1 and SIGUSR2, and only once the test's own handler is installed.

use std::cell::{Cell, RefCell};
use std::env;
use std::panic::{self, AssertUnwindSafe};
use std::process;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use corio_runtime::signal::{SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use corio_runtime::{Event, Runner, create_task, get_running_loop, sleep, time};

#[path = "signals/children.rs"]
mod children;

use children::{
    child, first_sigint_cancels_main, off_main_thread, second_sigint_kills,
    sigint_handler_replaces, sigterm_default_back,
};

/// The variable that makes this binary a child running a scenario.
const CHILD: &str = "CORIO_SIGNALS_CHILD";

type Test = (&'static str, fn());

const TESTS: &[Test] = &[
    (
        "a_handler_runs_one_pass_after_the_loop_sees_the_signal",
        handler_pass_order,
    ),
    (
        "each_delivery_runs_the_callback_on_the_loop_thread",
        each_delivery_runs,
    ),
    (
        "remove_stops_the_callback_and_restores_the_default",
        remove_restores_default,
    ),
    ("adding_again_replaces_the_callback", adding_again_replaces),
    (
        "a_callback_may_remove_its_own_handler",
        callback_removes_itself,
    ),
    (
        "the_loop_end_removes_its_handlers",
        loop_end_removes_handlers,
    ),
    ("invalid_signals_are_invalid_input", invalid_signals),
    (
        "every_loop_that_handles_a_signal_gets_it",
        two_loops_both_get_it,
    ),
    (
        "a_handler_is_waited_for_under_virtual_time",
        waited_for_under_virtual_time,
    ),
    ("a_busy_loop_still_sees_a_signal", busy_loop_sees_signal),
    ("the_constants_are_the_os_numbers", constants),
    (
        "first_sigint_cancels_the_main_task",
        first_sigint_cancels_main,
    ),
    ("second_sigint_kills_at_once", second_sigint_kills),
    (
        "a_sigint_handler_replaces_runs_handling_until_removed",
        sigint_handler_replaces,
    ),
    (
        "sigterm_gets_its_default_back_after_remove",
        sigterm_default_back,
    ),
    (
        "off_the_main_thread_run_leaves_sigint_alone",
        off_main_thread,
    ),
];

fn main() {
    if let Ok(scenario) = env::var(CHILD) {
        child(&scenario);
        return;
    }
    let args: Vec<String> = env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in TESTS {
            println!("{name}: test");
        }
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<&Test> = TESTS
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, test) in chosen.iter().copied() {
        let outcome = panic::catch_unwind(AssertUnwindSafe(test));
        println!(
            "test {name} ... {}",
            if outcome.is_ok() { "ok" } else { "FAILED" }
        );
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    let passed = chosen.len() - failed.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed\n");
    } else {
        println!("\nfailures:\n    {}", failed.join("\n    "));
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed\n",
            failed.len()
        );
        process::exit(101);
    }
}

// ---- In-process checks (SIGUSR1, SIGUSR2 only).

thread_local! {
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(line: impl Into<String>) {
    TRACE.with(|t| t.borrow_mut().push(line.into()));
}

fn take_trace() -> Vec<String> {
    TRACE.with(|t| t.take())
}

/// Sends `sig` to this thread; a handler of the test's must be installed.
fn raise(sig: i32) {
    // SAFETY: `raise` has no preconditions; the caller installed a handler for `sig`.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

/// Whether `sig` has its default disposition.
fn is_default(sig: i32) -> bool {
    // SAFETY: all zeroes is a valid `sigaction`; a null new action only reads the current one.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut current), 0);
        current.sa_sigaction == libc::SIG_DFL
    }
}

/// Waits (yielding to the loop) until `done` says so, for at most a few seconds of real time.
async fn until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out");
        sleep(0.001).await;
    }
}

/// ```python
/// loop.add_signal_handler(signal.SIGUSR1, lambda: t.append("handler"))
/// signal.raise_signal(signal.SIGUSR1); t.append("raised")
/// for i in range(3): await asyncio.sleep(0); t.append(f"pass {i}")
/// # ['raised', 'pass 0', 'pass 1', 'handler', 'pass 2']
/// ```
fn handler_pass_order() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        lp.add_signal_handler(SIGUSR1, || log("handler")).unwrap();
        raise(SIGUSR1);
        log("raised");
        for i in 0..3 {
            sleep(0).await;
            log(format!("pass {i}"));
        }
        assert!(lp.remove_signal_handler(SIGUSR1));
    });
    assert_eq!(
        take_trace(),
        ["raised", "pass 0", "pass 1", "handler", "pass 2"]
    );
}

fn each_delivery_runs() {
    let loop_thread = thread::current().id();
    let count = corio_runtime::run(async move {
        let lp = get_running_loop();
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        lp.add_signal_handler(SIGUSR1, move || {
            assert_eq!(thread::current().id(), loop_thread);
            assert!(corio_runtime::current_task().is_none());
            c.set(c.get() + 1);
        })
        .unwrap();
        for n in 1..=3 {
            raise(SIGUSR1);
            until(|| count.get() == n).await;
        }
        // Nothing more comes.
        for _ in 0..5 {
            sleep(0).await;
        }
        lp.remove_signal_handler(SIGUSR1);
        count.get()
    });
    assert_eq!(count, 3);
}

fn remove_restores_default() {
    assert!(is_default(SIGUSR2));
    corio_runtime::run(async {
        let lp = get_running_loop();
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        lp.add_signal_handler(SIGUSR2, move || c.set(c.get() + 1))
            .unwrap();
        assert!(!is_default(SIGUSR2));
        raise(SIGUSR2);
        until(|| count.get() == 1).await;
        // Raised, then removed before the loop got to it: the callback never runs.
        raise(SIGUSR2);
        assert!(lp.remove_signal_handler(SIGUSR2));
        for _ in 0..5 {
            sleep(0).await;
        }
        assert_eq!(count.get(), 1);
        assert!(!lp.remove_signal_handler(SIGUSR2));
        assert!(is_default(SIGUSR2), "SIGUSR2 ends the process again");
        // And it can be handled again afterwards (signal-hook's handler goes back in).
        let c = count.clone();
        lp.add_signal_handler(SIGUSR2, move || c.set(c.get() + 1))
            .unwrap();
        assert!(!is_default(SIGUSR2));
        raise(SIGUSR2);
        until(|| count.get() == 2).await;
        assert!(lp.remove_signal_handler(SIGUSR2));
    });
    assert!(is_default(SIGUSR2));
}

fn adding_again_replaces() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let dropped = Rc::new(Cell::new(false));
        let guard = DropFlag(dropped.clone());
        lp.add_signal_handler(SIGUSR1, move || {
            let _ = &guard;
            log("first");
        })
        .unwrap();
        let seen = Rc::new(Cell::new(false));
        let s = seen.clone();
        lp.add_signal_handler(SIGUSR1, move || {
            log("second");
            s.set(true);
        })
        .unwrap();
        assert!(dropped.get(), "the replaced callback is dropped");
        raise(SIGUSR1);
        until(|| seen.get()).await;
        assert!(lp.remove_signal_handler(SIGUSR1));
    });
    assert_eq!(take_trace(), ["second"]);
}

fn callback_removes_itself() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let inner = lp.clone();
        let removed = Rc::new(Cell::new(None));
        let r = removed.clone();
        lp.add_signal_handler(SIGUSR1, move || {
            r.set(Some(inner.remove_signal_handler(SIGUSR1)));
        })
        .unwrap();
        raise(SIGUSR1);
        until(|| removed.get().is_some()).await;
        assert_eq!(removed.get(), Some(true));
        assert!(is_default(SIGUSR1));
    });
}

struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn loop_end_removes_handlers() {
    let dropped = Rc::new(Cell::new(false));
    let guard = DropFlag(dropped.clone());
    Runner::new().virtual_time().run(async move {
        let lp = get_running_loop();
        lp.add_signal_handler(SIGUSR1, move || {
            let _ = &guard;
        })
        .unwrap();
        lp.add_signal_handler(SIGUSR2, || {}).unwrap();
        sleep(1).await;
    });
    assert!(dropped.get());
    assert!(is_default(SIGUSR1) && is_default(SIGUSR2));
}

fn invalid_signals() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let error = |sig| {
            let error = lp.add_signal_handler(sig, || {}).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            assert!(!lp.remove_signal_handler(sig));
            error.to_string()
        };
        let max = libc::SIGRTMAX();
        assert_eq!(
            error(0),
            format!("signal 0 is out of range: signals are 1..={max}")
        );
        assert_eq!(
            error(-2),
            format!("signal -2 is out of range: signals are 1..={max}")
        );
        assert_eq!(
            error(max + 1),
            format!("signal {} is out of range: signals are 1..={max}", max + 1)
        );
        assert_eq!(error(libc::SIGKILL), "SIGKILL (9) cannot be caught");
        assert_eq!(
            error(libc::SIGSTOP),
            format!("SIGSTOP ({}) cannot be caught", libc::SIGSTOP)
        );
        assert_eq!(
            error(libc::SIGSEGV),
            "SIGSEGV (11) reports a fault in the thread that raised it and cannot be handled on \
             an event loop"
        );
    });
}

fn two_loops_both_get_it() {
    let (ready_tx, ready_rx) = mpsc::channel();
    let loops: Vec<_> = (0..2)
        .map(|i| {
            let ready = ready_tx.clone();
            thread::spawn(move || {
                corio_runtime::run(async move {
                    let lp = get_running_loop();
                    let got = Event::new();
                    let set = got.clone();
                    lp.add_signal_handler(SIGUSR2, move || set.set()).unwrap();
                    ready.send(()).unwrap();
                    got.wait().await;
                    lp.remove_signal_handler(SIGUSR2);
                    i
                })
            })
        })
        .collect();
    for _ in 0..2 {
        ready_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    // To the process: whichever thread takes it, both loops hear it.
    // SAFETY: `kill` has no preconditions; both loops handle SIGUSR2.
    assert_eq!(unsafe { libc::kill(libc::getpid(), SIGUSR2) }, 0);
    let done: Vec<i32> = loops.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(done, [0, 1]);
    assert!(is_default(SIGUSR2));
}

fn waited_for_under_virtual_time() {
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let at = Runner::new().virtual_time().run(async move {
        let lp = get_running_loop();
        let got = Event::new();
        let set = got.clone();
        lp.add_signal_handler(SIGUSR1, move || set.set()).unwrap();
        let pid = process::id() as i32;
        let sender = thread::spawn(move || {
            ready_rx.recv().unwrap();
            thread::sleep(Duration::from_millis(30));
            // SAFETY: `kill` has no preconditions; the loop handles SIGUSR1.
            unsafe { libc::kill(pid, SIGUSR1) };
        });
        ready_tx.send(()).unwrap();
        // No timer, no ready task: the loop blocks for the signal instead of reporting a
        // deadlock, and the wait takes no loop time.
        got.wait().await;
        sender.join().unwrap();
        lp.remove_signal_handler(SIGUSR1);
        time()
    });
    assert_eq!(at, 0.0);
}

fn busy_loop_sees_signal() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let seen = Rc::new(Cell::new(false));
        let s = seen.clone();
        lp.add_signal_handler(SIGUSR2, move || s.set(true)).unwrap();
        // Always something ready: the loop never blocks, yet it selects once a signal comes.
        let spinner = create_task(async {
            loop {
                sleep(0).await;
            }
        });
        raise(SIGUSR2);
        let mut passes = 0;
        while !seen.get() {
            sleep(0).await;
            passes += 1;
            assert!(passes < 100, "the signal was never seen");
        }
        spinner.cancel();
        lp.remove_signal_handler(SIGUSR2);
        // As asyncio: the loop sees the pipe on the next pass (after this task's step) and
        // runs the callback on the one after (after this task's step again).
        assert_eq!(passes, 3);
    });
}

fn constants() {
    assert_eq!(
        [SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2],
        [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGUSR2
        ]
    );
}
