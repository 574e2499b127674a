//! The stream errors, as asyncio's `IncompleteReadError` and `LimitOverrunError`. Each comes
//! inside an [`io::Error`] (so every stream method returns plain `io::Result`), reachable with
//! [`io::Error::get_ref`] and `downcast_ref`, or [`io::Error::downcast`] by value.

use std::error::Error;
use std::fmt;
use std::io;

/// The stream ended before a read was complete (asyncio's `IncompleteReadError`), inside an
/// [`io::Error`] of kind [`UnexpectedEof`](io::ErrorKind::UnexpectedEof).
///
/// From [`readexactly(n)`](crate::StreamReader::readexactly): `partial` is what arrived and
/// `expected` is `n`. From [`readuntil(separator)`](crate::StreamReader::readuntil): `partial`
/// is what arrived (without the separator, which never came) and `expected` is
/// `partial.len() + separator.len()`, the bytes read plus the separator that was missing
/// (asyncio's is `None`). Either way the reader's buffer was emptied into `partial`.
///
/// ```
/// # use std::io;
/// # use corio_runtime::IncompleteReadError;
/// let error: io::Error = IncompleteReadError { partial: b"ab".to_vec(), expected: 4 }.into();
/// assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
/// let inner = error.get_ref().unwrap().downcast_ref::<IncompleteReadError>().unwrap();
/// assert_eq!(inner.partial, b"ab");
/// assert_eq!(error.to_string(), "2 bytes read on a total of 4 expected bytes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes read before the end of the stream.
    pub partial: Vec<u8>,
    /// How many bytes the read needed.
    pub expected: usize,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio's message.
        write!(
            f,
            "{} bytes read on a total of {} expected bytes",
            self.partial.len(),
            self.expected
        )
    }
}

impl Error for IncompleteReadError {}

impl From<IncompleteReadError> for io::Error {
    fn from(error: IncompleteReadError) -> io::Error {
        io::Error::new(io::ErrorKind::UnexpectedEof, error)
    }
}

/// A separator was not found within the reader's limit (64 KiB, asyncio's), or was found past
/// it (asyncio's `LimitOverrunError`), inside an [`io::Error`] of kind
/// [`InvalidData`](io::ErrorKind::InvalidData).
///
/// `consumed` is asyncio's: how many bytes are to be consumed to get past the offending data
/// (the separator's position when it was found too far, else how far the search went).
/// [`readuntil`](crate::StreamReader::readuntil) leaves the data in the buffer;
/// [`readline`](crate::StreamReader::readline) drops it, as asyncio's does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// How many bytes are to be consumed to get past the data over the limit.
    pub consumed: usize,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "separator not found within the stream's limit ({} bytes to consume)",
            self.consumed
        )
    }
}

impl Error for LimitOverrunError {}

impl From<LimitOverrunError> for io::Error {
    fn from(error: LimitOverrunError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

/// A copy of `error` for a second report (`io::Error` is not `Clone`): the same OS error
/// code, or the same kind and message.
pub(crate) fn copy_error(error: &io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(error.kind(), error.to_string()),
    }
}
