//! Runs the loop examples (`spinner_thread`, `spinner_async`, `futures`, `event_loop`) and
//! checks what they print, with loop times under virtual time.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;
// `say!` in the included examples reaches `crate::common`.
use support::common;
use support::run_example;

#[allow(dead_code)]
#[path = "../examples/event_loop.rs"]
mod event_loop;
#[allow(dead_code)]
#[path = "../examples/futures.rs"]
mod futures;
#[allow(dead_code)]
#[path = "../examples/spinner_async.rs"]
mod spinner_async;
#[allow(dead_code)]
#[path = "../examples/spinner_thread.rs"]
mod spinner_thread;

const ERASE: &str = "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";

#[test]
fn event_loop_prints_the_running_loop() {
    let (event_loop, lines, _) = run_example(event_loop::program());
    assert_eq!(
        lines,
        [(
            0.0,
            "<corio.EventLoop running=True closed=False debug=False>".to_string()
        )]
    );
    assert_eq!(
        format!("{event_loop:?}"),
        "<corio.EventLoop running=False closed=True debug=False>"
    );
}

#[test]
fn futures_resolves_after_one_second() {
    let ((), lines, _) = run_example(futures::program());
    assert_eq!(
        lines,
        [
            (0.0, "hello ...".to_string()),
            (1.0, "... world".to_string())
        ]
    );
}

/// Thirty frames at 0.0, 0.1, ..., 2.9 s, the erase at 3.0 s, then the answer.
#[test]
fn spinner_async_draws_thirty_frames_then_erases() {
    let frames: Rc<RefCell<Vec<(f64, String)>>> = Rc::default();
    let screen: spinner_async::Screen = {
        let frames = frames.clone();
        Rc::new(move |text: &str| frames.borrow_mut().push((corio::time(), text.to_string())))
    };
    let (answer, lines, _) = run_example(spinner_async::program(screen));
    assert_eq!(answer, 42);
    assert_eq!(
        lines,
        [
            (
                0.0,
                "spinner object: <Task pending name='Task-2'>".to_string()
            ),
            (3.0, "Answer: 42".to_string())
        ]
    );
    let frames = frames.take();
    let mut expected = Vec::new();
    for (i, c) in "|/-\\".chars().cycle().take(30).enumerate() {
        let t = (i as u64 * 100_000_000) as f64 / 1e9;
        expected.push((t, format!("{c} thinking!")));
        expected.push((t, ERASE.to_string()));
    }
    expected.push((3.0, format!("           {ERASE}")));
    assert_eq!(frames, expected);
}

/// With millisecond delays: the first line, then whole frames cycling through `|/-\` (each
/// erased with eleven backspaces), the final erase, and the answer.
#[test]
fn spinner_thread_draws_frames_until_the_work_is_done() {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let screen: spinner_thread::Screen = buffer.clone();
    let timing = spinner_thread::Timing {
        frame: Duration::from_millis(2),
        slow: Duration::from_millis(60),
    };
    assert_eq!(spinner_thread::program(timing, &screen), 42);
    let out = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let rest = out
        .strip_prefix("spinner object: <Thread(spinner, initial)>\n")
        .expect("the first line");
    let rest = rest.strip_suffix("Answer: 42\n").expect("the answer last");
    let mut rest = rest
        .strip_suffix(&format!("           {ERASE}"))
        .expect("the final erase");
    let mut frames = 0;
    for c in "|/-\\".chars().cycle() {
        match rest.strip_prefix(&format!("{c} thinking!{ERASE}")) {
            Some(r) => {
                rest = r;
                frames += 1;
            }
            None => break,
        }
    }
    assert_eq!(rest, "", "only whole frames, in |/-\\ order");
    assert!(frames >= 1, "at least the first frame");
}
