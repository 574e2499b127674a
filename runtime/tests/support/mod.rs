//! Helpers shared by the runtime's integration tests: a trace of printed lines stamped with
//! the loop time, a destructor counter, and this process's open descriptors.
#![allow(dead_code)]

use std::cell::Cell;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records `line` as the trace's next entry, as a program would print it.
pub fn log(line: impl Into<String>) {
    TRACE.with(|t| t.borrow_mut().push(line.into()));
}

/// Records `line` stamped with the loop time: `"1.5 hello"`.
pub fn log_at(line: impl AsRef<str>) {
    log(format!("{} {}", corio_runtime::time(), line.as_ref()));
}

/// Takes the trace recorded so far.
pub fn take_trace() -> Vec<String> {
    TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

/// Counts how often values made by [`DropCounter::token`] are dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Rc<Cell<usize>>);

impl DropCounter {
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.get()
    }
}

/// Increments its counter when dropped.
pub struct DropToken(Rc<Cell<usize>>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Runs `f` under virtual time.
pub fn virtual_run<F: std::future::Future>(f: F) -> F::Output {
    corio_runtime::Runner::new().virtual_time().run(f)
}

/// This process's open descriptors, each with what it points to, sorted; less the one
/// listing `/proc/self/fd` itself.
pub fn open_fds() -> Vec<(String, String)> {
    let mut fds: Vec<(String, String)> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            Some((
                entry.file_name().to_string_lossy().into_owned(),
                target.to_string_lossy().into_owned(),
            ))
        })
        .filter(|(_, target)| !target.starts_with("/proc/"))
        .collect();
    fds.sort();
    fds
}

/// Runs `f`, which must panic; returns the panic's message.
pub fn panic_message(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Panics with `message` when dropped.
pub struct Bomb(pub &'static str);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}
