//! Subprocesses on the loop: output and exit codes, `communicate` without deadlock, signals,
//! spawn errors, `returncode`, no zombie after a wait or a drop, no leaked descriptor, and a
//! child's exit seen through the selector under virtual time. Each test runs both exit
//! watches: the pidfd, and the waiter thread forced through the testing hook.
//!
//! The tests share the process's descriptor table and `/proc`, so they run one at a time.

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

mod support;

use corio_runtime::__private::subprocess_force_waiter_thread;
use corio_runtime::{
    Command, Process, Runner, create_subprocess_exec, create_subprocess_shell, time, timeout,
};

/// Serializes the tests (see the module docs).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Awaits `fut`, failing the test instead of hanging if it takes over five seconds.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    timeout(5)
        .wrap(fut)
        .await
        .expect("a subprocess operation hung")
}

/// Runs `body` on a real-time loop twice: exit seen through a pidfd, then a waiter thread.
fn both_watches<F, Fut>(body: F)
where
    F: Fn(bool) -> Fut,
    Fut: Future<Output = ()>,
{
    let _serial = serial();
    for thread in [false, true] {
        subprocess_force_waiter_thread(thread);
        Runner::new().run(body(thread));
    }
    subprocess_force_waiter_thread(false);
}

/// Checks the exit watch the process got is the one asked for (a pidfd on this Linux).
fn check_watch(process: &Process, thread: bool) {
    let debug = format!("{process:?}");
    let expected = if thread { "waiter thread" } else { "pidfd" };
    assert!(debug.contains(expected), "{debug}");
}

/// The state letter in `/proc/<pid>/stat`, `None` once the pid is gone (reaped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Whether `pid` is gone from `/proc` within five seconds (a zombie stays until reaped).
fn reaped_soon(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if proc_state(pid).is_none() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// This process's open descriptors and what each is, less those a loop opens for itself
/// (its poller and its waker's eventfd: another test's loop, on a test thread still ending,
/// may open or close them meanwhile).
fn open_fds() -> Vec<(String, String)> {
    support::open_fds()
        .into_iter()
        .filter(|(_, target)| {
            !["anon_inode:[eventpoll]", "anon_inode:[eventfd]"].contains(&target.as_str())
        })
        .collect()
}

#[test]
fn echo_hello_stdout_and_status() {
    both_watches(|thread| async move {
        let mut child = Command::new("echo")
            .arg("hello")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        check_watch(&child, thread);
        assert!(child.stdin.is_none() && child.stderr.is_none());
        let out = bounded(child.stdout.as_mut().unwrap().read_to_end())
            .await
            .unwrap();
        assert_eq!(out, b"hello\n");
        let status = bounded(child.wait()).await.unwrap();
        assert!(status.success());
        assert_eq!(status.code(), Some(0));
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn exit_code_through_the_shell() {
    both_watches(|_| async {
        let mut child = create_subprocess_shell("exit 3").await.unwrap();
        let status = bounded(child.wait()).await.unwrap();
        assert_eq!(status.code(), Some(3));
        assert_eq!(child.returncode(), Some(3));
        // Waiting again returns the same status at once.
        assert_eq!(bounded(child.wait()).await.unwrap().code(), Some(3));
    });
}

#[test]
fn communicate_round_trips_a_mebibyte_through_cat() {
    both_watches(|_| async {
        let input: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let mut child = create_subprocess_exec("cat", std::iter::empty::<&str>())
            .await
            .unwrap();
        // cat writes as it reads: its output pipe fills long before its input is all read,
        // so writing everything before reading would deadlock.
        let (out, err) = bounded(child.communicate(Some(&input))).await.unwrap();
        assert!(out == input, "cat's output differs from its input");
        assert!(err.is_empty());
        assert_eq!(child.returncode(), Some(0));
        assert!(child.stdin.is_none());
    });
}

#[test]
fn communicate_with_a_child_that_closes_its_input_early() {
    both_watches(|_| async {
        let input = vec![b'x'; 1024 * 1024];
        let mut child = create_subprocess_shell("exec 0<&-; echo closed")
            .await
            .unwrap();
        // The write meets a closed pipe (BrokenPipe): not an error, as in asyncio.
        let (out, err) = bounded(child.communicate(Some(&input))).await.unwrap();
        assert_eq!(out, b"closed\n");
        assert!(err.is_empty());
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn stderr_is_captured_separately() {
    both_watches(|_| async {
        let mut child = create_subprocess_shell("echo out; echo err >&2; exit 5")
            .await
            .unwrap();
        let (out, err) = bounded(child.communicate(None)).await.unwrap();
        assert_eq!(out, b"out\n");
        assert_eq!(err, b"err\n");
        assert_eq!(child.returncode(), Some(5));
    });
}

#[test]
fn communicate_input_without_a_piped_stdin_is_invalid_input() {
    both_watches(|_| async {
        let mut child = Command::new("true").spawn().unwrap();
        let error = child.communicate(Some(b"x")).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(bounded(child.wait()).await.unwrap().success());
    });
}

#[test]
fn kill_then_wait_is_sigkill() {
    both_watches(|_| async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert_eq!(child.returncode(), None);
        child.kill().unwrap();
        let status = bounded(child.wait()).await.unwrap();
        assert_eq!(status.signal(), Some(9));
        assert_eq!(status.code(), None);
        assert_eq!(child.returncode(), Some(-9));
        // Signalling a reaped child does nothing.
        child.kill().unwrap();
        child.terminate().unwrap();
        assert_eq!(proc_state(child.pid()), None);
    });
}

#[test]
fn terminate_and_send_signal() {
    both_watches(|_| async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.terminate().unwrap();
        assert_eq!(
            bounded(child.wait()).await.unwrap().signal(),
            Some(libc::SIGTERM)
        );
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.send_signal(libc::SIGUSR1).unwrap();
        assert_eq!(
            bounded(child.wait()).await.unwrap().signal(),
            Some(libc::SIGUSR1)
        );
        assert_eq!(child.returncode(), Some(-libc::SIGUSR1));
    });
}

#[test]
fn a_missing_program_is_not_found() {
    both_watches(|_| async {
        for program in [
            "corio-no-such-program-8d1f",
            "/nonexistent/corio-no-such-program",
        ] {
            let error = Command::new(program).spawn().unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::NotFound, "{program}");
        }
        let error = create_subprocess_exec("corio-no-such-program-8d1f", ["x"])
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn returncode_is_none_until_exit() {
    both_watches(|_| async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // cat waits for its input's end.
        assert_eq!(child.returncode(), None);
        assert_eq!(child.exit_status(), None);
        corio_runtime::sleep(0.05).await;
        assert_eq!(child.returncode(), None);
        let mut stdin = child.stdin.take().unwrap();
        stdin.write(b"bytes\n");
        stdin.close();
        bounded(stdin.wait_closed()).await.unwrap();
        assert!(bounded(child.wait()).await.unwrap().success());
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn no_zombie_after_wait() {
    both_watches(|_| async {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.pid();
        assert!(bounded(child.wait()).await.unwrap().success());
        // Reaped by the wait itself: nothing to wait for.
        assert_eq!(proc_state(pid), None);
        drop(child);
        assert_eq!(proc_state(pid), None);
    });
}

#[test]
fn a_dropped_running_process_runs_on_and_is_reaped() {
    let pids = std::cell::RefCell::new(Vec::new());
    both_watches(|thread| {
        let pids = &pids;
        async move {
            // The waiter thread already started for one, not for the other.
            for started in [false, true] {
                let mut child = Command::new("sleep").arg("0.3").spawn().unwrap();
                let pid = child.pid();
                if started {
                    // A wait dropped mid-way: the waiter thread (if any) is running.
                    let waited = timeout(0.05).wrap(child.wait()).await;
                    assert!(waited.is_err(), "sleep 0.3 ended within 0.05 s");
                }
                drop(child);
                // Not killed: still alive right after the drop. Running, sleeping, or in
                // disk sleep ('D': a child just exec'd pages its binary in on a loaded
                // machine); never a zombie ('Z'), dead ('X') or gone (`None`).
                assert!(
                    matches!(proc_state(pid), Some('S' | 'R' | 'D')),
                    "thread={thread}: {:?}",
                    proc_state(pid)
                );
                pids.borrow_mut().push(pid);
            }
        }
    });
    for pid in pids.into_inner() {
        assert!(reaped_soon(pid), "{pid} left a zombie or still runs");
    }
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    both_watches(|_| async {
        let child = Command::new("sleep")
            .arg("30")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.pid();
        drop(child);
        assert!(reaped_soon(pid), "{pid} still runs or is a zombie");
    });
}

#[test]
fn a_hundred_children_leave_no_descriptor_open() {
    both_watches(|_| async {
        let before = open_fds();
        assert!(before.len() >= 3, "{before:?}");
        for i in 0..100 {
            let mut child = create_subprocess_shell("read line; echo \"$line\"; echo e >&2")
                .await
                .unwrap();
            let input = format!("{i}\n");
            let (out, err) = bounded(child.communicate(Some(input.as_bytes())))
                .await
                .unwrap();
            assert_eq!(out, input.as_bytes());
            assert_eq!(err, b"e\n");
        }
        for _ in 0..10 {
            let mut child = Command::new("true").spawn().unwrap();
            bounded(child.wait()).await.unwrap();
        }
        assert_eq!(open_fds(), before);
    });
}

/// Aborts the test binary if `run` takes over `secs` seconds (a virtual-time loop cannot be
/// bounded with `timeout`: the clock would jump to it).
fn with_watchdog<T>(secs: u64, run: impl FnOnce() -> T) -> T {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(secs)).is_err() {
            eprintln!("a virtual-time subprocess test hung; aborting");
            std::process::abort();
        }
    });
    let out = run();
    done.send(()).unwrap();
    watchdog.join().unwrap();
    out
}

#[test]
fn virtual_time_sees_the_exit_through_the_selector() {
    let _serial = serial();
    for thread in [false, true] {
        subprocess_force_waiter_thread(thread);
        let (status, out, now) = with_watchdog(10, || {
            Runner::new().virtual_time().run(async move {
                // No timer is armed: the loop must block in the selector (or for the waiter
                // thread) until the child exits, its clock unmoved.
                let mut child = Command::new("sh")
                    .args(["-c", "sleep 0.2; echo done"])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                check_watch(&child, thread);
                let status = child.wait().await.unwrap();
                let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
                (status, out, time())
            })
        });
        assert!(status.success());
        assert_eq!(out, b"done\n");
        assert_eq!(now, 0.0);
    }
    subprocess_force_waiter_thread(false);
}

#[test]
fn output_collects_both_streams_and_the_status_as_std_does() {
    both_watches(|_| async {
        let out = bounded(
            Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 3"])
                .output(),
        )
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(
            (&out.stdout[..], &out.stderr[..]),
            (&b"out\n"[..], &b"err\n"[..])
        );
        // Standard input reads as closed: `cat` ends at once, with nothing.
        let out = bounded(Command::new("cat").output()).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"");
    });
}

#[test]
fn output_keeps_the_streams_set_on_the_builder_and_leaves_it_as_it_was() {
    both_watches(|_| async {
        let mut command = Command::new("sh");
        command
            .args(["-c", "test -n \"$QUIET\" && exit; echo out; echo err >&2"])
            .stderr(Stdio::null());
        let out = bounded(command.output()).await.unwrap();
        assert_eq!(
            (&out.stdout[..], &out.stderr[..]),
            (&b"out\n"[..], &b""[..])
        );
        // The next spawn has `spawn`'s defaults again for what was not set (inherited, so
        // the child is told to stay quiet): nothing piped.
        let mut child = command.env("QUIET", "1").spawn().unwrap();
        assert!(child.stdin.is_none() && child.stdout.is_none() && child.stderr.is_none());
        assert!(bounded(child.wait()).await.unwrap().success());
    });
}

#[test]
fn status_runs_the_child_to_its_exit_closing_a_piped_stdin() {
    both_watches(|_| async {
        let status = bounded(Command::new("sh").args(["-c", "exit 7"]).status())
            .await
            .unwrap();
        assert_eq!(status.code(), Some(7));
        // `cat` on a piped stdin ends only when that pipe closes.
        let status = bounded(
            Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .status(),
        )
        .await
        .unwrap();
        assert!(status.success());
        let missing = Command::new("/nonexistent/corio-test-program")
            .status()
            .await;
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    });
}
