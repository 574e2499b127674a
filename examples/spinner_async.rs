//! The notebook's spinner (18.1) with a task instead of a thread, from *Fluent Python*'s
//! `spinner_asyncio.py`: the spinner is a task that draws a frame every 0.1 s; the slow work
//! is `sleep(3)`; when it is done, the supervisor cancels the spinner.
//!
//! ```python
//! async def spin(msg):
//!     for char in itertools.cycle('|/-\\'):
//!         status = char + ' ' + msg
//!         write(status); flush(); write('\x08' * len(status))
//!         try:
//!             await asyncio.sleep(.1)
//!         except asyncio.CancelledError:
//!             break
//!     write(' ' * len(status) + '\x08' * len(status))
//!
//! async def slow_function():
//!     await asyncio.sleep(3)
//!     return 42
//!
//! async def supervisor():
//!     spinner = asyncio.create_task(spin('thinking!'))
//!     print('spinner object:', spinner)
//!     result = await slow_function()
//!     spinner.cancel()
//!     return result
//! ```
//!
//! corio cancels by dropping the task's future, so the `except CancelledError` clean-up (erase
//! the last frame) is a destructor, which runs exactly once whenever the task ends. The
//! supervisor awaits the cancelled spinner, so the erase is on screen before the answer.
//! Under virtual time the frames come at exactly 0.0, 0.1, ..., 2.9 s: thirty of them.

mod common;
use common::say;

use std::io::Write;
use std::rc::Rc;

/// Where the frames go: stdout in `main`, a recorder in the test.
pub type Screen = Rc<dyn Fn(&str)>;

/// Erases the last frame when the spinner's future is dropped (cancelled).
struct Erase {
    screen: Screen,
    len: usize,
}

impl Drop for Erase {
    fn drop(&mut self) {
        let n = self.len;
        (self.screen)(&format!("{}{}", " ".repeat(n), "\x08".repeat(n)));
    }
}

#[corio::coroutine]
async fn spin(msg: &'static str, screen: Screen) {
    let mut erase = Erase {
        screen: screen.clone(),
        len: 0,
    };
    for c in ['|', '/', '-', '\\'].into_iter().cycle() {
        let status = format!("{c} {msg}");
        erase.len = status.chars().count();
        screen(&status);
        screen(&"\x08".repeat(erase.len));
        corio::sleep(0.1).await;
    }
}

#[corio::coroutine]
async fn slow_function() -> u32 {
    // Pretend to wait a long time for I/O.
    corio::sleep(3).await;
    42
}

#[corio::coroutine]
async fn supervisor(screen: Screen) -> u32 {
    let spinner = corio::create_task(spin("thinking!", screen));
    say!("spinner object: {spinner:?}");
    let result = slow_function().await;
    spinner.cancel();
    let _ = spinner.await; // Cancelled: its destructor has erased the frame.
    result
}

/// The whole program: returns the answer after printing it.
#[corio::coroutine]
pub async fn program(screen: Screen) -> u32 {
    let result = supervisor(screen).await;
    say!("Answer: {result}");
    result
}

#[allow(dead_code)]
fn main() {
    let screen: Screen = Rc::new(|text: &str| {
        let mut out = std::io::stdout();
        out.write_all(text.as_bytes()).unwrap();
        out.flush().unwrap();
    });
    corio::run(program(screen));
}
