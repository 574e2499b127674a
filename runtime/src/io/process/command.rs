//! [`Command`], std's process builder whose `spawn` puts the child on the loop.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{self, Stdio};

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
        self.inner.stdin(cfg);
        self
    }

    /// Sets the child's standard output: `Stdio::piped()` for [`Process::stdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stdout(cfg);
        self
    }

    /// Sets the child's standard error: `Stdio::piped()` for [`Process::stderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
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
}

impl From<process::Command> for Command {
    /// Wraps a std builder; `kill_on_drop` is `false`.
    fn from(inner: process::Command) -> Command {
        Command {
            inner,
            kill_on_drop: false,
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
