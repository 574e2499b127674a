//! The notebook's first program (18.1, threads versus coroutines), from *Fluent Python*'s
//! `spinner_thread.py`: a thread draws a `|/-\` spinner, each frame erased with `'\b'`
//! (backspace), while the main thread does slow work; then the spinner is stopped and erased
//! and the answer printed.
//!
//! ```python
//! def spin(msg, signal):
//!     for char in itertools.cycle('|/-\\'):
//!         status = char + ' ' + msg
//!         write(status); flush(); write('\x08' * len(status))
//!         time.sleep(.1)
//!         if not signal.go: break
//!     write(' ' * len(status) + '\x08' * len(status))
//!
//! def slow_function():
//!     time.sleep(3)
//!     return 42
//!
//! def supervisor():
//!     signal = Signal()
//!     spinner = threading.Thread(target=spin, args=('thinking!', signal))
//!     print('spinner object:', spinner)
//!     spinner.start()
//!     result = slow_function()
//!     signal.go = False
//!     spinner.join()
//!     return result
//! ```
//!
//! No corio here: it is the thread version the async one (`spinner_async`) is compared with.
//! The spinner waits on a condition variable instead of sleeping, so it stops as soon as it is
//! told. The delays are parameters, so the test runs it in milliseconds.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// How long a frame shows, and how long the slow function takes.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub frame: Duration,
    pub slow: Duration,
}

/// The book's timing: 0.1 s frames, 3 s of slow work.
pub const BOOK: Timing = Timing {
    frame: Duration::from_millis(100),
    slow: Duration::from_secs(3),
};

/// Where the program writes: stdout in `main`, a buffer in the test.
pub type Screen = Arc<Mutex<dyn Write + Send>>;

fn write(screen: &Screen, text: &str) {
    let mut out = screen.lock().unwrap();
    out.write_all(text.as_bytes()).unwrap();
    out.flush().unwrap();
}

/// The `signal.go = False` of the book, with a condition variable to wake the spinner.
#[derive(Default)]
struct Signal {
    stop: Mutex<bool>,
    changed: Condvar,
}

fn spin(msg: &str, signal: &Signal, frame: Duration, screen: &Screen) {
    let mut status = String::new();
    for c in ['|', '/', '-', '\\'].into_iter().cycle() {
        status = format!("{c} {msg}");
        write(screen, &status);
        write(screen, &"\x08".repeat(status.chars().count()));
        let stop = signal.stop.lock().unwrap();
        let (stop, _) = signal
            .changed
            .wait_timeout_while(stop, frame, |stop| !*stop)
            .unwrap();
        if *stop {
            break;
        }
    }
    let n = status.chars().count();
    write(screen, &format!("{}{}", " ".repeat(n), "\x08".repeat(n)));
}

fn slow_function(slow: Duration) -> u32 {
    // Pretend to wait a long time for I/O.
    thread::sleep(slow);
    42
}

fn supervisor(timing: Timing, screen: &Screen) -> u32 {
    let signal = Arc::new(Signal::default());
    let name = "spinner";
    write(
        screen,
        &format!("spinner object: <Thread({name}, initial)>\n"),
    );
    let spinner = {
        let (signal, screen) = (signal.clone(), screen.clone());
        thread::Builder::new()
            .name(name.into())
            .spawn(move || spin("thinking!", &signal, timing.frame, &screen))
            .unwrap()
    };
    let result = slow_function(timing.slow);
    *signal.stop.lock().unwrap() = true;
    signal.changed.notify_all();
    spinner.join().unwrap();
    result
}

/// The whole program: returns the answer after printing it.
pub fn program(timing: Timing, screen: &Screen) -> u32 {
    let result = supervisor(timing, screen);
    write(screen, &format!("Answer: {result}\n"));
    result
}

#[allow(dead_code)]
fn main() {
    let screen: Screen = Arc::new(Mutex::new(std::io::stdout()));
    program(BOOK, &screen);
}
