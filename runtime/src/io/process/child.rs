//! [`Process`], asyncio's `asyncio.subprocess.Process`: a running child with its pipes as
//! streams, waited for through the selector.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::pin::pin;
use std::process::{Child, ExitStatus};
use std::task::Poll;

use crate::io::process::exit::ExitWatch;
use crate::io::process::pipe;
use crate::io::streams::{StreamReader, StreamWriter};

/// A child process on the running loop, from [`Command::spawn`](crate::Command::spawn),
/// [`create_subprocess_exec`](crate::create_subprocess_exec) or
/// [`create_subprocess_shell`](crate::create_subprocess_shell) (asyncio's
/// `asyncio.subprocess.Process`).
///
/// Its piped standard streams are asyncio's streams: `stdin` a [`StreamWriter`] (closing
/// it, or [`write_eof`](StreamWriter::write_eof), ends the child's input), `stdout` and
/// `stderr` [`StreamReader`]s; each is `None` unless it was piped (`Stdio::piped()`). Take
/// them out (`process.stdout.take()`) to use them in other tasks.
///
/// Writing to `stdin` after the child closed its input is a
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe) error in a Rust program (which ignores
/// `SIGPIPE`); a host program that does not ignore `SIGPIPE` gets the signal, as with any pipe
/// write (sockets avoid it with `MSG_NOSIGNAL`, pipes have no such flag).
///
/// Its exit is seen through the selector, never by polling on a timer: a pidfd on Linux, a
/// waiter thread elsewhere (see the crate's `io/process/exit.rs`).
///
/// # Dropping
///
/// As asyncio's, dropping a `Process` does not stop its child: it keeps running, and a
/// background thread reaps it when it exits, so it never stays a zombie. The pipes close
/// with their streams (the child reads the end of its input, and a write to a closed
/// output is its `SIGPIPE`). With [`Command::kill_on_drop`](crate::Command::kill_on_drop)
/// the child is sent `SIGKILL` first (tokio's option).
///
/// Created and used on one loop.
pub struct Process {
    /// The writing end of the child's standard input, if it was piped.
    pub stdin: Option<StreamWriter>,
    /// The reading end of the child's standard output, if it was piped.
    pub stdout: Option<StreamReader>,
    /// The reading end of the child's standard error, if it was piped.
    pub stderr: Option<StreamReader>,
    child: RefCell<Child>,
    pid: u32,
    /// Set once the child was reaped: from then on it is never signalled.
    status: Cell<Option<ExitStatus>>,
    watch: ExitWatch,
    kill_on_drop: bool,
}

impl Process {
    /// Puts a just-spawned `child` on the running loop: its pipes become streams, its exit is
    /// watched. On an error the child is killed and reaped in the background.
    pub(crate) fn new(mut child: Child, kill_on_drop: bool) -> io::Result<Process> {
        let pid = child.id();
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let mut process = Process {
            stdin: None,
            stdout: None,
            stderr: None,
            child: RefCell::new(child),
            pid,
            status: Cell::new(None),
            watch: ExitWatch::new(pid),
            // Until the pipes are set up: a half-made process does not outlive the error.
            kill_on_drop: true,
        };
        process.stdin = stdin.map(pipe::writer).transpose()?;
        process.stdout = stdout.map(pipe::reader).transpose()?;
        process.stderr = stderr.map(pipe::reader).transpose()?;
        process.kill_on_drop = kill_on_drop;
        Ok(process)
    }

    /// The child's process id (asyncio's `pid`). It stays this process's to signal until
    /// [`wait`](Process::wait) (or [`returncode`](Process::returncode)) reaped the child.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The child's return code once it has exited, `None` before (asyncio's `returncode`):
    /// its exit code, or minus the signal that killed it (`-9` after [`kill`](Process::kill)).
    ///
    /// asyncio's loop sets `returncode` as soon as it notices the exit; corio's asks the OS
    /// here, without waiting (`waitpid(pid, WNOHANG)`), and reaps the child if it has exited.
    /// [`exit_status`](Process::exit_status) gives the full status.
    pub fn returncode(&self) -> Option<i32> {
        self.exit_status().map(|status| {
            status
                .code()
                .or_else(|| status.signal().map(|signal| -signal))
                .expect("an exited child has a code or a signal")
        })
    }

    /// The child's exit status once it has exited, `None` before; as
    /// [`returncode`](Process::returncode), it reaps an exited child without waiting.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        if self.status.get().is_none() {
            if let Ok(Some(status)) = self.child.borrow_mut().try_wait() {
                self.status.set(Some(status));
            }
        }
        self.status.get()
    }

    /// Waits for the child to exit and returns its status (asyncio's `wait()`, which
    /// returns the return code; [`returncode`](Process::returncode) has it after this).
    ///
    /// Cancel-safe: dropping the future loses nothing, and it may be awaited again (at once
    /// after the exit). It does not close or read the pipes: a child blocked writing to a
    /// full pipe nobody reads never exits (asyncio warns of the same); use
    /// [`communicate`](Process::communicate) then.
    ///
    /// # Errors
    ///
    /// The OS's, if the child cannot be waited for (`ECHILD` when something else reaped it,
    /// as a host that sets `SIGCHLD` to `SIG_IGN` does).
    ///
    /// # Panics
    ///
    /// When polled off the loop the process was spawned on.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        poll_fn(|cx| {
            if let Some(status) = self.status.get() {
                return Poll::Ready(Ok(status));
            }
            let child = &self.child;
            let status = std::task::ready!(
                self.watch
                    .poll_exit(self.pid, cx, || child.borrow_mut().try_wait())
            )?;
            self.status.set(Some(status));
            Poll::Ready(Ok(status))
        })
        .await
    }

    /// Sends `input` (if any) to the child's standard input and closes it, reads its
    /// standard output and error to their ends, all at once, then waits for it to exit
    /// (asyncio's `communicate(input)`): the child's output and error, each empty when that
    /// stream was not piped.
    ///
    /// Writing and reading go on together, so a child that fills its output pipe before it
    /// has read all its input does not deadlock. The child closing its input early
    /// (`BrokenPipe`) is not an error, as in asyncio. Differences from asyncio: standard
    /// input is closed even when `input` is `None` (as Python's `Popen.communicate`;
    /// asyncio's leaves it open), and `stdin` is `None` afterwards; `stdout` and `stderr`
    /// stay, at their end.
    ///
    /// Not cancel-safe: dropped mid-way, input may be partly sent and output partly read
    /// (the read part is lost).
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for `Some(input)` when standard input
    /// was not piped; the pipes' and [`wait`](Process::wait)'s errors.
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<(Vec<u8>, Vec<u8>)> {
        if input.is_some() && self.stdin.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "communicate(Some(input)) on a process whose stdin is not piped",
            ));
        }
        let feed = feed_stdin(self.stdin.take(), input);
        let out = read_all(self.stdout.as_mut());
        let err = read_all(self.stderr.as_mut());
        let (fed, out, err) = join3(feed, out, err).await;
        fed?;
        let (out, err) = (out?, err?);
        self.wait().await?;
        Ok((out, err))
    }

    /// Sends `signal` to the child (asyncio's `send_signal`); the common constants are in
    /// [`corio::signal`](crate::signal) (`signal::SIGINT`, ...), every other in `libc`.
    ///
    /// Once the child has been reaped (its [`returncode`](Process::returncode) is known)
    /// this does nothing and returns `Ok`, as Python's `Popen.send_signal` (asyncio raises
    /// `ProcessLookupError`); before, the pid is still this process's child, never a reused
    /// one.
    ///
    /// # Errors
    ///
    /// `kill(2)`'s: `InvalidInput` for a bad signal number.
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if self.status.get().is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.pid).expect("a child's pid fits pid_t");
        // SAFETY: kill(2) takes a pid and a signal number and touches no memory; the pid is
        // our unreaped child's, so it names no other process.
        if unsafe { libc::kill(pid, signal) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `SIGTERM` (asyncio's `terminate`). See [`send_signal`](Process::send_signal).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Process::send_signal)'s.
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Sends `SIGKILL` (asyncio's `kill`); [`wait`](Process::wait) then sees the child
    /// killed (`ExitStatusExt::signal() == Some(9)`, [`returncode`](Process::returncode)
    /// `-9`). See [`send_signal`](Process::send_signal).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Process::send_signal)'s.
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }
}

/// Writes `input` to `stdin` and closes it; a child that closed its input early is fine.
async fn feed_stdin(stdin: Option<StreamWriter>, input: Option<&[u8]>) -> io::Result<()> {
    let Some(mut stdin) = stdin else {
        return Ok(());
    };
    if let Some(input) = input {
        stdin.write(input);
    }
    stdin.close();
    match stdin.wait_closed().await {
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) =>
        {
            Ok(())
        }
        result => result,
    }
}

async fn read_all(reader: Option<&mut StreamReader>) -> io::Result<Vec<u8>> {
    match reader {
        Some(reader) => reader.read_to_end().await,
        None => Ok(Vec::new()),
    }
}

/// Runs three futures at once on this task, returning their outputs.
async fn join3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                ra = Some(out);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                rb = Some(out);
            }
        }
        if rc.is_none() {
            if let Poll::Ready(out) = c.as_mut().poll(cx) {
                rc = Some(out);
            }
        }
        if ra.is_some() && rb.is_some() && rc.is_some() {
            Poll::Ready((ra.take().unwrap(), rb.take().unwrap(), rc.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.status.get().is_some() {
            return;
        }
        let child = self.child.get_mut();
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        if self.kill_on_drop {
            let _ = child.kill();
        }
        self.watch.orphan(self.pid);
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("status", &self.status.get())
            .field("exit_watch", &self.watch)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
