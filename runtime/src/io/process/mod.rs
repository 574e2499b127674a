//! Subprocesses on the loop, as asyncio's `asyncio.subprocess`: [`Command`] (std's builder)
//! spawns a [`Process`] whose pipes are [`StreamReader`](crate::StreamReader) and
//! [`StreamWriter`](crate::StreamWriter) and whose exit is seen through the selector;
//! [`create_subprocess_exec`] and [`create_subprocess_shell`] are asyncio's shorthands.
//!
//! * `pipe`: the parent's ends of the child's pipes, non-blocking on the loop;
//! * `exit`: how the exit is seen (a pidfd, else a waiter thread) and how a dropped
//!   process's child is reaped;
//! * `child`: [`Process`]; `command`: [`Command`].

pub(crate) mod child;
pub(crate) mod command;
pub(crate) mod exit;
pub(crate) mod pipe;

use std::ffi::OsStr;
use std::io;
use std::process::Stdio;

pub use child::Process;
pub use command::Command;

/// Starts `program` with `args` (asyncio's `create_subprocess_exec`), its standard input,
/// output and error piped.
///
/// asyncio's inherits the streams unless `stdin=PIPE` and so on are passed; this shorthand
/// pipes all three, as most uses want (`communicate`). Use [`Command`] for anything else.
///
/// # Errors
///
/// As [`Command::spawn`]'s: [`NotFound`](io::ErrorKind::NotFound) when `program` does not
/// exist.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn create_subprocess_exec<I, S>(
    program: impl AsRef<OsStr>,
    args: I,
) -> io::Result<Process>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Runs `cmd` through the shell, `/bin/sh -c cmd` (asyncio's `create_subprocess_shell`),
/// its standard input, output and error piped, as [`create_subprocess_exec`]'s.
///
/// The shell interprets `cmd`: quote anything that comes from outside.
///
/// # Errors
///
/// As [`Command::spawn`]'s (a command the shell cannot find is the shell's exit code 127,
/// not an error here).
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn create_subprocess_shell(cmd: impl AsRef<OsStr>) -> io::Result<Process> {
    create_subprocess_exec("/bin/sh", [OsStr::new("-c"), cmd.as_ref()]).await
}
