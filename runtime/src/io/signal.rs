//! OS signals, the process-wide side: which signals a loop may handle, their registration
//! with the process's signal handler (signal-hook's), and the disposition each had before.
//!
//! A signal handler may do almost nothing (no allocation, no lock), so corio's does what
//! asyncio's `signal.set_wakeup_fd` does: it sets the handling loop's flag and writes a byte
//! to a self-pipe whose read end that loop watches; the program's callback runs later, on the
//! loop's thread, in a loop pass ([`crate::rt`]'s signal table). signal-hook installs one
//! handler per signal for the whole process and runs every registered action in it, so several
//! loops (on several threads) may handle one signal: each gets it.
//!
//! signal-hook never uninstalls its handler: with its last action gone, a signal whose
//! disposition was the default would be ignored. corio gives the default back itself: it
//! remembers the disposition a signal had before corio's first registration for it, puts it
//! back (`sigaction`) when corio's last registration for it goes, and puts signal-hook's
//! handler back when a registration comes again. One lock orders all of this across threads.
//! The cost of that: a library that registers the same signal through signal-hook *while*
//! corio handles it stops receiving it once corio's last handler goes (signal-hook offers no
//! way to know it is there); one that registered before corio is unaffected.
//!
//! A new socket pair costs more than the rest of a registration together, and `run` on the
//! main thread registers SIGINT once per call: each thread keeps the pipes of its ended
//! registrations (a few) for the next, and a registration only `dup`s the write end for
//! signal-hook, which closes its copy when unregistered.
//!
//! This module is a leaf: it knows nothing of the loop.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::mem;
use std::os::unix::net::UnixStream;
use std::ptr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

use signal_hook::SigId;
use signal_hook::low_level::signal_name;

/// What the process did with a signal before corio handled it, and signal-hook's handler.
struct Disposition {
    /// corio's registrations alive for the signal.
    count: usize,
    /// The disposition before the first of them (restored when the last goes).
    before: libc::sigaction,
    /// signal-hook's handler, as first installed (reinstalled after a restore).
    hook: Option<libc::sigaction>,
}

/// How many ended registrations' pipes a thread keeps.
const SPARE_PIPES: usize = 4;

thread_local! {
    /// Pipes (read end, write end) of ended registrations, drained, for the next.
    static SPARES: RefCell<Vec<(UnixStream, UnixStream)>> = const { RefCell::new(Vec::new()) };
}

/// A self-pipe: a spare one of this thread's, or a new one.
fn self_pipe() -> io::Result<(UnixStream, UnixStream)> {
    if let Some(pipe) = SPARES
        .try_with(|spares| spares.borrow_mut().pop())
        .ok()
        .flatten()
    {
        // A delivery that raced the last unregistration may have left a byte.
        drain(&pipe.0);
        return Ok(pipe);
    }
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    Ok((read, write))
}

/// Every signal corio has handled, by number.
static DISPOSITIONS: Mutex<BTreeMap<i32, Disposition>> = Mutex::new(BTreeMap::new());

/// The highest signal number this OS has.
fn max_signal() -> i32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        libc::SIGRTMAX()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        31
    }
}

/// Refuses a signal no loop may handle, with an `InvalidInput` error that says why: out of
/// range (asyncio's `ValueError`), `SIGKILL` and `SIGSTOP` (which cannot be caught: asyncio's
/// `RuntimeError`), and the faults signal-hook refuses (`SIGILL`, `SIGFPE`, `SIGSEGV`: they
/// report an error in the very instruction the thread was running, which cannot wait for a
/// loop pass).
pub(crate) fn check(signal: i32) -> io::Result<()> {
    let invalid = |why: String| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
    if !(1..=max_signal()).contains(&signal) {
        return invalid(format!(
            "signal {signal} is out of range: signals are 1..={}",
            max_signal()
        ));
    }
    let name = signal_name(signal).unwrap_or("signal");
    if signal == libc::SIGKILL || signal == libc::SIGSTOP {
        return invalid(format!("{name} ({signal}) cannot be caught"));
    }
    if signal_hook::consts::FORBIDDEN.contains(&signal) {
        return invalid(format!(
            "{name} ({signal}) reports a fault in the thread that raised it and cannot be \
             handled on an event loop"
        ));
    }
    Ok(())
}

/// The signal's current disposition.
fn disposition(signal: i32) -> io::Result<libc::sigaction> {
    // SAFETY: `sigaction` is a plain C struct, for which all zeroes is a valid value.
    let mut current: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `current`, a valid pointer.
    if unsafe { libc::sigaction(signal, ptr::null(), &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(current)
}

/// Sets the signal's disposition to `action`, one that `disposition` read.
fn set_disposition(signal: i32, action: &libc::sigaction) -> io::Result<()> {
    // SAFETY: `action` is a disposition the OS gave us for this very signal (the default, an
    // ignore, or a handler that is still in the process: signal-hook's never goes away), and
    // a null old-action pointer is allowed.
    if unsafe { libc::sigaction(signal, action, ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `signal` has its default disposition (not ignored, no handler).
pub(crate) fn is_default(signal: i32) -> bool {
    disposition(signal).is_ok_and(|action| action.sa_sigaction == libc::SIG_DFL)
}

/// Whether this is the process's main thread (asyncio handles signals only there, and its
/// `Runner` handles SIGINT only there).
pub(crate) fn on_main_thread() -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: `gettid` has no preconditions.
        unsafe { libc::gettid() == libc::getpid() }
    }
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd"
    ))]
    {
        // SAFETY: `pthread_main_np` has no preconditions.
        unsafe { libc::pthread_main_np() == 1 }
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd"
    )))]
    {
        std::thread::current().name() == Some("main")
    }
}

/// One loop's hold on a signal: signal-hook actions that set the loop's flag and write to its
/// self-pipe. Dropping it unregisters them and, with corio's last registration for the signal
/// gone, gives the signal its disposition from before.
#[derive(Debug)]
pub(crate) struct Registration {
    signal: i32,
    ids: Vec<SigId>,
    /// The self-pipe (read end, write end); the handler writes to a `dup` of the write end.
    pipe: Option<(UnixStream, UnixStream)>,
}

impl Registration {
    /// Handles `signal`: each delivery sets `pending` then writes a byte to a self-pipe, whose
    /// read end (non-blocking) is [`pipe`](Registration::pipe). With `interrupt`, the actions
    /// first do what
    /// asyncio's `Runner` does with a second SIGINT: if `interrupt` is already set, the
    /// signal's default action (the process dies by the signal); if not, set it.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a signal [`check`] refuses; the OS's error otherwise.
    pub(crate) fn new(
        signal: i32,
        pending: &Arc<AtomicBool>,
        interrupt: Option<&Arc<AtomicBool>>,
    ) -> io::Result<Registration> {
        check(signal)?;
        let pipe = self_pipe()?;
        let write = pipe.1.try_clone()?;
        let mut dispositions = DISPOSITIONS.lock().unwrap_or_else(PoisonError::into_inner);
        let current = disposition(signal)?;
        let state = dispositions.entry(signal).or_insert(Disposition {
            count: 0,
            before: current,
            hook: None,
        });
        let first = state.count == 0;
        if first {
            state.before = current;
        }
        let mut ids = Vec::with_capacity(4);
        let mut result = register_actions(signal, pending, interrupt, write, &mut ids);
        if first {
            match state.hook {
                // signal-hook installs its handler once per process, and corio has since put
                // `before` back: reinstall it.
                Some(hook) => result = result.and_then(|()| set_disposition(signal, &hook)),
                None => {
                    let installed = disposition(signal);
                    state.hook = installed
                        .ok()
                        .filter(|now| now.sa_sigaction != current.sa_sigaction);
                }
            }
            if result.is_err() {
                let _ = set_disposition(signal, &state.before);
            }
        }
        match result {
            Ok(()) => {
                state.count += 1;
                Ok(Registration {
                    signal,
                    ids,
                    pipe: Some(pipe),
                })
            }
            Err(error) => {
                for id in ids {
                    signal_hook::low_level::unregister(id);
                }
                Err(error)
            }
        }
    }

    /// The self-pipe's read end, for the loop to watch.
    pub(crate) fn pipe(&self) -> &UnixStream {
        &self
            .pipe
            .as_ref()
            .expect("a registration has its pipe until dropped")
            .0
    }

    /// Reads what the signal handler wrote to the pipe: one byte per delivery (the OS merges
    /// deliveries of a signal that is already pending, and a full pipe drops bytes, so this is
    /// at least one per wake-up, not an exact count).
    pub(crate) fn drain(&self) -> usize {
        drain(self.pipe())
    }
}

/// Registers the actions of a [`Registration`], in the order they must run, into `ids`.
fn register_actions(
    signal: i32,
    pending: &Arc<AtomicBool>,
    interrupt: Option<&Arc<AtomicBool>>,
    write: UnixStream,
    ids: &mut Vec<SigId>,
) -> io::Result<()> {
    if let Some(armed) = interrupt {
        // The second delivery finds the flag the first one set.
        ids.push(signal_hook::flag::register_conditional_default(
            signal,
            armed.clone(),
        )?);
        ids.push(signal_hook::flag::register(signal, armed.clone())?);
    }
    // The flag first: the loop may look at it without selecting.
    ids.push(signal_hook::flag::register(signal, pending.clone())?);
    ids.push(signal_hook::low_level::pipe::register(signal, write)?);
    Ok(())
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut dispositions = DISPOSITIONS.lock().unwrap_or_else(PoisonError::into_inner);
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        if let Some(state) = dispositions.get_mut(&self.signal) {
            state.count -= 1;
            if state.count == 0 {
                // An error would leave signal-hook's handler, which now ignores the signal:
                // nothing better to fall back to.
                let _ = set_disposition(self.signal, &state.before);
            }
        }
        drop(dispositions);
        // Unregistered: nothing writes to the pipe any more (closing its read end first would
        // have made a late write raise SIGPIPE).
        if let Some(pipe) = self.pipe.take() {
            drain(&pipe.0);
            // Past the thread's end (`try_with` fails), or with enough spares, it closes.
            let _ = SPARES.try_with(|spares| {
                let mut spares = spares.borrow_mut();
                if spares.len() < SPARE_PIPES {
                    spares.push(pipe);
                }
            });
        }
    }
}

/// Reads what is in a self-pipe; returns how many bytes.
fn drain(pipe: &UnixStream) -> usize {
    let mut buf = [0u8; 64];
    let mut total = 0;
    loop {
        match (&*pipe).read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // `WouldBlock`: drained. Anything else cannot happen to a socket pair we hold
            // both ends of until the registration goes.
            Err(_) => return total,
        }
    }
}
