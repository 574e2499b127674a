//! How a child's exit reaches the loop, through the selector and never a timer:
//!
//! * On Linux (5.3+) a pidfd (`pidfd_open(2)`), registered with the selector as a
//!   [`Source`]: it turns readable when the child exits, and the waiting task then reaps it
//!   with `waitpid(pid, WNOHANG)` (std's `Child::try_wait`).
//! * Where `pidfd_open` fails (`ENOSYS` on an older kernel or another Unix, `EPERM` under a
//!   seccomp filter, ...), a waiter thread, started on the first wait, blocks in
//!   `waitid(P_PID, pid, WEXITED | WNOWAIT)`: it learns of the exit *without* reaping, wakes
//!   the waiting task, and the task reaps on the loop as above. Until then the child stays
//!   ours (a zombie at worst), so `kill` by pid never reaches a reused pid. The thread is
//!   counted as outstanding thread work (as [`to_thread`](crate::to_thread)'s): under virtual
//!   time the loop waits for it instead of jumping the clock or reporting a deadlock. It
//!   stays counted until the child exits, even if the wait was dropped: a virtual-time loop
//!   with nothing else to do then waits for that child.
//!
//! A `Process` dropped before its exit was seen hands the child to [`orphan`]: a thread
//! reaps it when it exits, so it is never left a zombie.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::io::selector::Direction;
use crate::io::source::Source;
use crate::rt::context;

thread_local! {
    /// Testing hook: use the waiter thread even where pidfds work.
    static FORCE_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Makes the processes spawned on this thread from now on watch their exit with a waiter
/// thread even where pidfds work (`true`), or not (`false`): for tests of the fallback.
pub fn force_waiter_thread(force: bool) {
    FORCE_THREAD.with(|f| f.set(force));
}

/// A child's pid as the C calls take it.
fn raw_pid(pid: u32) -> libc::pid_t {
    libc::pid_t::try_from(pid).expect("a child's pid fits pid_t")
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open(2) takes a pid and flags, touches no memory of ours, and returns a
    // new descriptor (close-on-exec) or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, raw_pid(pid), 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).expect("a descriptor fits c_int");
    // SAFETY: `fd` was just returned by pidfd_open: open, and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Blocks until the child `pid` has exited (or cannot be waited for), without reaping it.
fn wait_exited(pid: u32) {
    loop {
        // SAFETY: an all-zero `siginfo_t` is a valid value of the C struct.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t for the call; WNOWAIT leaves the child
        // waitable, so the loop side still reaps it.
        let result = unsafe {
            libc::waitid(
                libc::P_PID,
                raw_pid(pid) as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Blocks until the child `pid` exits, and reaps it.
fn reap_blocking(pid: u32) {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid, writable int for the call.
        let result = unsafe { libc::waitpid(raw_pid(pid), &mut status, 0) };
        if result >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Reaps the unfinished child `pid` in the background, on a thread of its own, when it
/// exits. If no thread can be started the child stays a zombie until this process ends.
pub(crate) fn orphan(pid: u32) {
    let _ = std::thread::Builder::new()
        .name(format!("corio-reap-{pid}"))
        .spawn(move || reap_blocking(pid));
}

/// What the waiter thread and the loop share.
#[derive(Default)]
struct Slot {
    exited: bool,
    /// The `Process` was dropped: the thread reaps the child itself.
    orphaned: bool,
    waker: Option<Waker>,
}

/// The fallback's state: the thread starts on the first wait.
pub(crate) struct ThreadWatch {
    slot: Option<Arc<Mutex<Slot>>>,
}

/// Watches one child's exit; see the module docs.
pub(crate) enum ExitWatch {
    Pidfd(Source<OwnedFd>),
    Thread(ThreadWatch),
}

impl ExitWatch {
    /// Watches the child `pid`, which must be ours and not yet reaped.
    pub(crate) fn new(pid: u32) -> ExitWatch {
        if !FORCE_THREAD.with(Cell::get) {
            // A pidfd is only waited on for readability, never read: blocking mode is fine.
            if let Ok(source) = pidfd_open(pid).and_then(Source::new) {
                return ExitWatch::Pidfd(source);
            }
        }
        ExitWatch::Thread(ThreadWatch { slot: None })
    }

    /// `Ready` with the child's status once it has exited and `reap` (a non-blocking
    /// `waitpid`) reaped it; `Pending`, with `cx` woken when it exits, before.
    pub(crate) fn poll_exit(
        &mut self,
        pid: u32,
        cx: &mut Context<'_>,
        mut reap: impl FnMut() -> io::Result<Option<ExitStatus>>,
    ) -> Poll<io::Result<ExitStatus>> {
        match self {
            ExitWatch::Pidfd(source) => source.poll_io(Direction::Read, cx, |_| {
                reap()?.ok_or_else(|| io::ErrorKind::WouldBlock.into())
            }),
            ExitWatch::Thread(watch) => {
                let slot = watch.slot.get_or_insert_with(|| start_waiter(pid));
                let mut state = slot.lock().unwrap_or_else(PoisonError::into_inner);
                if !state.exited {
                    state.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                drop(state);
                Poll::Ready(reap()?.ok_or_else(|| {
                    io::Error::other("the child was reported exited but could not be reaped")
                }))
            }
        }
    }

    /// The `Process` is dropped and its child has not exited: reap it in the background.
    pub(crate) fn orphan(&mut self, pid: u32) {
        if let ExitWatch::Thread(ThreadWatch { slot: Some(slot) }) = self {
            let mut state = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if !state.exited {
                // The waiter thread reaps it once it sees the exit.
                state.orphaned = true;
                return;
            }
        }
        orphan(pid);
    }
}

/// Starts the waiter thread for `pid`, counted as thread work of the running loop.
fn start_waiter(pid: u32) -> Arc<Mutex<Slot>> {
    let slot = Arc::new(Mutex::new(Slot::default()));
    let shared = context::try_with_current(|core| core.shared().clone());
    if let Some(shared) = &shared {
        shared.start_external();
    }
    let thread_slot = slot.clone();
    let thread_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("corio-wait-{pid}"))
        .spawn(move || {
            wait_exited(pid);
            let waker = {
                let mut state = thread_slot.lock().unwrap_or_else(PoisonError::into_inner);
                state.exited = true;
                if state.orphaned {
                    reap_blocking(pid);
                }
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
            // After the wake reached the loop: see `LoopShared::external`.
            if let Some(shared) = thread_shared {
                shared.finish_external();
            }
        });
    if spawned.is_err() {
        // No thread: let the waiting task try to reap (it fails with the child running, or
        // returns its status), rather than hang.
        slot.lock().unwrap_or_else(PoisonError::into_inner).exited = true;
        if let Some(shared) = shared {
            shared.finish_external();
        }
    }
    slot
}

impl fmt::Debug for ExitWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExitWatch::Pidfd(_) => "pidfd",
            ExitWatch::Thread(_) => "waiter thread",
        })
    }
}
