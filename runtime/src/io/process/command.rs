//! [`Command`], std's process builder whose `spawn` puts the child on the loop.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{self, ExitStatus, Stdio};

use crate::io::process::child::Process;
use crate::rt::context;

/// A process builder, std's [`std::process::Command`] with the same methods, whose
/// [`spawn`](Command::spawn) returns a [`Process`] on the running loop (asyncio's
/// `create_subprocess_exec` with its keyword arguments as builder calls).
///
/// The standard streams are inherited unless set, as std's `spawn` and asyncio's
/// functions do; pipe them with `Stdio::piped()` to get the [`Process`]'s streams:
///
/// ```
/// use std::process::Stdio;
/// use corio_runtime::{Command, Runner};
///
/// let out = Runner::new().run(async {
///     let mut child = Command::new("echo")
///         .arg("hello")
///         .stdout(Stdio::piped())
///         .spawn()
///         .unwrap();
///     let (out, _) = child.communicate(None).await.unwrap();
///     assert!(child.wait().await.unwrap().success());
///     out
/// });
/// assert_eq!(out, b"hello\n");
/// ```
pub struct Command {
    inner: process::Command,
    kill_on_drop: bool,
    /// Which of stdin, stdout and stderr were set through this builder: [`output`]'s
    /// defaults apply to the others (std's `Command` cannot say).
    ///
    /// [`output`]: Command::output
    stdio_set: [bool; 3],
}

impl Command {
    /// A command running `program` (looked up in `PATH` when it has no `/`), with no
    /// arguments, this process's environment and working directory, inheriting its standard
    /// streams.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(process::Command::new(program))
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, value);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what [`env`](Command::env) adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// Sets the child's standard input: `Stdio::piped()` for [`Process::stdin`], `inherit()`
    /// (the default), `null()`, or a file.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio_set[0] = true;
        self.inner.stdin(cfg);
        self
    }

    /// Sets the child's standard output: `Stdio::piped()` for [`Process::stdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio_set[1] = true;
        self.inner.stdout(cfg);
        self
    }

    /// Sets the child's standard error: `Stdio::piped()` for [`Process::stderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio_set[2] = true;
        self.inner.stderr(cfg);
        self
    }

    /// Whether dropping the [`Process`] before its exit was seen sends the child `SIGKILL`
    /// (default `false`: the child runs on, as asyncio's, and is reaped in the background
    /// either way; tokio's option).
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The std builder, for what this one does not mirror (`CommandExt::process_group`,
    /// `uid`, `pre_exec`, ...).
    pub fn as_std_mut(&mut self) -> &mut process::Command {
        &mut self.inner
    }

    /// Starts the child (std's `spawn`, synchronous as it is) and puts it on the running
    /// loop: its piped streams become the [`Process`]'s, its exit is watched by the loop.
    ///
    /// # Errors
    ///
    /// std's: [`NotFound`](io::ErrorKind::NotFound) for a program that does not exist,
    /// [`PermissionDenied`](io::ErrorKind::PermissionDenied) for one that is not executable;
    /// an error setting up the pipes (the child is then killed and reaped).
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run), before anything is started.
    pub fn spawn(&mut self) -> io::Result<Process> {
        context::with_current("corio subprocess", |_| ());
        Process::new(self.inner.spawn()?, self.kill_on_drop)
    }

    /// Runs the child to its exit and collects its output, as std's `output` (and tokio's):
    /// standard output and error are piped and read to their ends, standard input reads as
    /// closed, each unless set on this builder (a stream set with `as_std_mut` is not seen:
    /// set it here). The builder is left as it was for the next [`spawn`](Command::spawn).
    ///
    /// ```
    /// use corio_runtime::{Command, run};
    ///
    /// let out = run(async { Command::new("echo").arg("hi").output().await.unwrap() });
    /// assert!(out.status.success());
    /// assert_eq!((&out.stdout[..], &out.stderr[..]), (&b"hi\n"[..], &b""[..]));
    /// ```
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s, and [`Process::communicate`]'s.
    ///
    /// # Panics
    ///
    /// As [`spawn`](Command::spawn), outside a running loop.
    pub async fn output(&mut self) -> io::Result<process::Output> {
        let defaults = [Stdio::null, Stdio::piped, Stdio::piped];
        let unset = self.stdio_set.map(|set| !set);
        self.set_unset(unset, defaults);
        let spawned = self.spawn();
        // Back to `spawn`'s own defaults.
        self.set_unset(unset, [Stdio::inherit; 3]);
        let mut child = spawned?;
        let (stdout, stderr) = child.communicate(None).await?;
        let status = child.wait().await?;
        Ok(process::Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Runs the child to its exit, as std's `status` (and tokio's): the standard streams are
    /// inherited unless set; a piped standard input is closed at once, so the child sees its
    /// end.
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s, and [`Process::wait`]'s.
    ///
    /// # Panics
    ///
    /// As [`spawn`](Command::spawn), outside a running loop.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop(child.stdin.take());
        child.wait().await
    }

    /// Sets each stream that `which` says to what `make` makes.
    fn set_unset(&mut self, which: [bool; 3], make: [fn() -> Stdio; 3]) {
        if which[0] {
            self.inner.stdin(make[0]());
        }
        if which[1] {
            self.inner.stdout(make[1]());
        }
        if which[2] {
            self.inner.stderr(make[2]());
        }
    }
}

impl From<process::Command> for Command {
    /// Wraps a std builder; `kill_on_drop` is `false`, and its streams count as not set
    /// (see [`Command::output`]).
    fn from(inner: process::Command) -> Command {
        Command {
            inner,
            kill_on_drop: false,
            stdio_set: [false; 3],
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.inner)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
