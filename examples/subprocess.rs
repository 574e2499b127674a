//! The asyncio docs' subprocess example (Subprocesses > "Examples"): run shell commands, take
//! their output with `communicate()`, print the exit status; two of them at once with
//! `gather`; and a child fed through its standard input.
//!
//! ```python
//! async def run(cmd):
//!     proc = await asyncio.create_subprocess_shell(
//!         cmd,
//!         stdout=asyncio.subprocess.PIPE,
//!         stderr=asyncio.subprocess.PIPE)
//!     stdout, stderr = await proc.communicate()
//!     print(f'[{cmd!r} exited with {proc.returncode}]')
//!     if stdout:
//!         print(f'[stdout]\n{stdout.decode()}')
//!     if stderr:
//!         print(f'[stderr]\n{stderr.decode()}')
//!
//! async def main():
//!     await asyncio.gather(
//!         run('sleep 0.2; echo "hello"'),
//!         run('echo "oops" >&2; exit 3'))
//! ```
//!
//! The docs' commands (`ls /zzz`) print what the system's `ls` says; these print the same
//! lines everywhere. A child's exit is seen through the loop's selector (a pidfd on Linux), so
//! under virtual time waiting for one takes no loop time.

mod common;
use common::say;

/// The docs' `run(cmd)`.
#[corio::coroutine]
async fn run(cmd: &str) -> Option<i32> {
    let mut proc = corio::create_subprocess_shell(cmd)
        .await
        .expect("start the shell");
    let (stdout, stderr) = proc.communicate(None).await.expect("communicate");
    let code = proc.returncode();
    say!(
        "[{cmd:?} exited with {}]",
        code.map_or("None".to_owned(), |c| c.to_string())
    );
    if !stdout.is_empty() {
        say!("[stdout]\n{}", String::from_utf8_lossy(&stdout).trim_end());
    }
    if !stderr.is_empty() {
        say!("[stderr]\n{}", String::from_utf8_lossy(&stderr).trim_end());
    }
    code
}

/// Both commands at once (the second finishes first), then `tr` fed through its stdin.
#[corio::coroutine]
pub async fn program() -> (Option<i32>, Option<i32>, Option<i32>) {
    let (hello, oops) = corio::gather!(
        run("sleep 0.2; echo \"hello\""),
        run("echo \"oops\" >&2; exit 3")
    )
    .await;
    let mut tr = corio::create_subprocess_exec("tr", ["a-z", "A-Z"])
        .await
        .expect("start tr");
    let (upper, _) = tr
        .communicate(Some(b"corio runs tr"))
        .await
        .expect("communicate");
    say!("[tr] {}", String::from_utf8_lossy(&upper));
    (hello, oops, tr.returncode())
}

fn main() {
    corio::run(program());
}
