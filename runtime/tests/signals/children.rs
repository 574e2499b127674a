//! The checks that need a process of their own (SIGINT, SIGTERM): this test binary, re-run
//! with `CORIO_SIGNALS_CHILD=<scenario>`, runs the scenario on its main thread ([`child`]);
//! the check sends it signals with `kill` and reads what it prints.

use std::env;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{self, Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use corio_runtime::signal::{SIGINT, SIGTERM};
use corio_runtime::{Event, create_task, get_running_loop, sleep};

use super::{CHILD, is_default};

/// What `run` panics with after a SIGINT.
const INTERRUPTED: &str =
    "corio::run(): KeyboardInterrupt: interrupted by SIGINT, the main task was cancelled";

/// A child running `scenario` on its main thread, its output read line by line.
struct Scenario {
    child: Child,
    lines: Receiver<String>,
    stderr: Option<thread::JoinHandle<String>>,
    seen: Vec<String>,
}

impl Scenario {
    fn start(scenario: &str) -> Self {
        let mut child = Command::new(env::current_exe().unwrap())
            .env(CHILD, scenario)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Scenario {
            child,
            lines,
            stderr: Some(stderr),
            seen: Vec::new(),
        }
    }

    /// Waits for the child to print `line`.
    fn expect(&mut self, line: &str) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(got) => {
                    self.seen.push(got.clone());
                    if got == line {
                        return;
                    }
                }
                Err(_) => panic!(
                    "the child never printed {line:?}; it printed {:?}",
                    self.seen
                ),
            }
        }
    }

    fn kill(&self, sig: i32) {
        // SAFETY: `kill` has no preconditions; the pid is our child's, not yet reaped.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// Waits for the child to end (killing it, and failing, if it takes more than 20
    /// seconds); its status, the rest of its stdout, and its stderr.
    fn finish(mut self) -> (process::ExitStatus, Vec<String>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the child did not end; it printed {:?}", self.seen);
            }
            thread::sleep(Duration::from_millis(10));
        };
        let rest: Vec<String> = self.lines.iter().collect();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, rest, stderr)
    }
}

impl Drop for Scenario {
    /// A failed check leaves no child behind (std sends nothing to a child already reaped).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn first_sigint_cancels_main() {
    let mut child = Scenario::start("interrupt");
    child.expect("SIGINT is default after a run: true");
    child.expect("ready");
    child.kill(SIGINT);
    let (status, rest, stderr) = child.finish();
    // The main future is dropped by the cancel; the leftover task when the loop ends.
    assert_eq!(
        rest,
        ["main future dropped", "leftover task dropped"],
        "{stderr}"
    );
    assert_eq!(status.code(), Some(101), "{status:?}: {stderr}");
    assert!(stderr.contains(&format!("\n{INTERRUPTED}\n")), "{stderr}");
}

pub(super) fn second_sigint_kills() {
    let started = Instant::now();
    let mut child = Scenario::start("stuck-cleanup");
    child.expect("ready");
    child.kill(SIGINT);
    child.expect("cleanup started");
    child.kill(SIGINT);
    let (status, rest, stderr) = child.finish();
    assert_eq!(status.signal(), Some(SIGINT), "{status:?}: {stderr}");
    assert!(rest.is_empty(), "{rest:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it waited for the clean-up"
    );
}

pub(super) fn sigint_handler_replaces() {
    let mut child = Scenario::start("sigint-handler");
    child.expect("ready");
    child.kill(SIGINT);
    child.expect("handled SIGINT");
    child.expect("removed");
    child.kill(SIGINT);
    let (status, rest, stderr) = child.finish();
    assert_eq!(rest, ["main future dropped"]);
    assert_eq!(status.code(), Some(101), "{status:?}: {stderr}");
    assert!(stderr.contains(INTERRUPTED), "{stderr}");
}

pub(super) fn sigterm_default_back() {
    let mut child = Scenario::start("sigterm");
    child.expect("ready");
    child.kill(SIGTERM);
    child.expect("handled SIGTERM");
    child.expect("removed");
    child.kill(SIGTERM);
    let (status, rest, stderr) = child.finish();
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}: {stderr}");
    assert!(rest.is_empty(), "{rest:?}");
}

pub(super) fn off_main_thread() {
    let mut child = Scenario::start("off-main-thread");
    child.expect("ready");
    child.kill(SIGINT);
    let (status, rest, stderr) = child.finish();
    assert_eq!(status.signal(), Some(SIGINT), "{status:?}: {stderr}");
    assert!(rest.is_empty(), "{rest:?}");
}

/// Prints `"{what} dropped"` when dropped.
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("{} dropped", self.0);
    }
}

/// The child's side: runs on the child's main thread.
pub(super) fn child(scenario: &str) {
    // A shell without job control starts background jobs with SIGINT ignored, and `run`
    // rightly leaves an ignored SIGINT alone: start from the defaults whatever ran the tests.
    for sig in [SIGINT, SIGTERM] {
        // SAFETY: resetting a disposition to the default has no preconditions; no other
        // thread exists yet.
        assert_ne!(unsafe { libc::signal(sig, libc::SIG_DFL) }, libc::SIG_ERR);
    }
    match scenario {
        "interrupt" => {
            // A first run installs and removes its SIGINT handling; the second must install it
            // again.
            corio_runtime::run(async {
                assert!(!is_default(SIGINT));
            });
            println!("SIGINT is default after a run: {}", is_default(SIGINT));
            corio_runtime::run(async {
                let leftover = create_task(async {
                    let _noisy = Noisy("leftover task");
                    sleep(3600).await;
                });
                let _noisy = Noisy("main future");
                sleep(0).await;
                println!("ready");
                sleep(3600).await;
                drop(leftover);
            });
        }
        "stuck-cleanup" => corio_runtime::run(async {
            struct Stuck;
            impl Drop for Stuck {
                fn drop(&mut self) {
                    println!("cleanup started");
                    // A clean-up that hangs, blocking the loop: only a second SIGINT ends it.
                    thread::sleep(Duration::from_secs(30));
                    println!("cleanup finished");
                }
            }
            let _stuck = Stuck;
            println!("ready");
            sleep(3600).await;
        }),
        "sigint-handler" => corio_runtime::run(async {
            let _noisy = Noisy("main future");
            let lp = get_running_loop();
            let got = Event::new();
            let set = got.clone();
            lp.add_signal_handler(SIGINT, move || {
                println!("handled SIGINT");
                set.set();
            })
            .unwrap();
            println!("ready");
            got.wait().await;
            assert!(lp.remove_signal_handler(SIGINT));
            println!("removed");
            sleep(3600).await;
        }),
        "sigterm" => corio_runtime::run(async {
            let lp = get_running_loop();
            let got = Event::new();
            let set = got.clone();
            lp.add_signal_handler(SIGTERM, move || {
                println!("handled SIGTERM");
                set.set();
            })
            .unwrap();
            println!("ready");
            got.wait().await;
            assert!(lp.remove_signal_handler(SIGTERM));
            println!("removed");
            sleep(3600).await;
        }),
        "off-main-thread" => thread::spawn(|| {
            corio_runtime::run(async {
                println!("ready");
                sleep(3600).await;
            })
        })
        .join()
        .unwrap(),
        other => panic!("unknown scenario {other:?}"),
    }
}
