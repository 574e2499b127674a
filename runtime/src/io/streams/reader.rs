//! [`StreamReader`], asyncio's `StreamReader`: a buffer in front of a readable transport
//! (a socket's reading half, a pipe) with `read(n)`, `readline`, `readexactly`, `readuntil`.
//!
//! asyncio's transport pushes bytes into the reader as they arrive (`feed_data`); corio's
//! reader pulls them when a read asks, which gives the same results without a background
//! task, and makes every read cancel-safe: bytes leave the buffer only when a read returns
//! them, so a read dropped mid-way (a timeout, a cancelled task) loses nothing.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use futures_core::Stream;
use futures_io::{AsyncBufRead, AsyncRead};

use crate::io::streams::buffer::Buffer;
use crate::io::streams::errors::{IncompleteReadError, LimitOverrunError};
use crate::rt::context;

/// asyncio's default limit (`_DEFAULT_LIMIT`, 64 KiB): how far `readuntil` and `readline`
/// look for their separator.
pub(crate) const LIMIT: usize = 64 * 1024;

/// The least room one read from the transport is given.
const READ_CHUNK: usize = 16 * 1024;

/// The reading end of a connection or pipe, as asyncio's `StreamReader`, from
/// [`open_connection`](crate::open_connection), [`start_server`](crate::start_server)'s
/// callback or their Unix twins.
///
/// Every read is cancel-safe: bytes leave the buffer only when a read returns them. A
/// transport error (`ConnectionReset`, ...) is returned by the read that meets it, with
/// what was buffered left in place.
///
/// Besides its methods it is a futures-io [`AsyncRead`] and [`AsyncBufRead`] (through the
/// same buffer), and a [`Stream`] of lines, as asyncio's `async for line in reader`: each
/// item is [`readline`](StreamReader::readline)'s, and the stream ends at the end of input.
///
/// ```
/// use futures_core::Stream;
/// fn lines(reader: corio_runtime::StreamReader) -> impl Stream<Item = std::io::Result<Vec<u8>>> {
///     reader
/// }
/// ```
///
/// Created and used on one loop.
pub struct StreamReader {
    /// Borrowed mutably (`get_mut`, no runtime check) by every `&mut self` method; only
    /// [`at_eof`](StreamReader::at_eof), which takes `&self`, borrows it at run time.
    state: RefCell<ReaderState>,
}

struct ReaderState {
    transport: Box<dyn AsyncRead + Unpin>,
    buffer: Buffer,
    /// The transport said the stream ended.
    eof: bool,
    limit: usize,
    /// An error met by `at_eof`'s look at the transport, for the next read to return.
    error: Option<io::Error>,
    /// The waker of the last read left waiting, which `at_eof`'s look re-registers so that
    /// read is never left unwoken.
    waker: Option<Waker>,
}

/// What `readuntil` found.
enum Until {
    /// The bytes up to and including the separator.
    Found(Vec<u8>),
    /// The stream ended first: everything that was buffered.
    Eof(Vec<u8>),
    /// The limit was passed, with asyncio's `consumed`.
    Overrun(usize),
}

impl ReaderState {
    /// Reads once from the transport into the buffer: the number of bytes, `0` at the end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        loop {
            // Until the first bytes come, the buffer is not allocated: they are read on the
            // stack and copied in, so a connection that waits holds no read buffer (asyncio's
            // buffers are as lazy).
            let mut stack = None;
            let room = if self.buffer.is_unallocated() {
                stack.insert([0u8; READ_CHUNK]).as_mut_slice()
            } else {
                self.buffer.spare(READ_CHUNK)
            };
            let polled = Pin::new(&mut self.transport).poll_read(cx, room);
            match polled {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    return Poll::Ready(Ok(0));
                }
                Poll::Ready(Ok(n)) => {
                    match &stack {
                        Some(bytes) => self.buffer.extend(&bytes[..n]),
                        None => self.buffer.filled(n),
                    }
                    return Poll::Ready(Ok(n));
                }
                Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    match &mut self.waker {
                        Some(waker) => waker.clone_from(cx.waker()),
                        slot @ None => *slot = Some(cx.waker().clone()),
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Fills the buffer if it is empty; `false` at the end of the stream.
    fn poll_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.buffer.is_empty() {
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(!self.buffer.is_empty()))
    }

    fn poll_read_n(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<Vec<u8>>> {
        if n == 0 {
            return Poll::Ready(Ok(Vec::new()));
        }
        ready!(self.poll_some(cx))?;
        let n = n.min(self.buffer.len());
        Poll::Ready(Ok(self.buffer.take(n)))
    }

    fn poll_read_to_end(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        while ready!(self.poll_fill(cx))? > 0 {}
        Poll::Ready(Ok(self.buffer.take_all()))
    }

    fn poll_readexactly(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<Vec<u8>>> {
        while self.buffer.len() < n {
            if self.eof {
                let partial = self.buffer.take_all();
                return Poll::Ready(Err(IncompleteReadError {
                    partial,
                    expected: n,
                }
                .into()));
            }
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(self.buffer.take(n)))
    }

    /// asyncio's `readuntil` search: the separator must start within `limit` bytes.
    fn poll_until(&mut self, cx: &mut Context<'_>, separator: &[u8]) -> Poll<io::Result<Until>> {
        let mut offset = 0;
        loop {
            let data = self.buffer.data();
            if let Some(at) = find(&data[offset..], separator) {
                let at = offset + at;
                if at > self.limit {
                    return Poll::Ready(Ok(Until::Overrun(at)));
                }
                return Poll::Ready(Ok(Until::Found(self.buffer.take(at + separator.len()))));
            }
            // The separator may start in the last `len - 1` bytes: search those again.
            offset = (data.len() + 1).saturating_sub(separator.len());
            if offset > self.limit {
                return Poll::Ready(Ok(Until::Overrun(offset)));
            }
            if self.eof {
                return Poll::Ready(Ok(Until::Eof(self.buffer.take_all())));
            }
            ready!(self.poll_fill(cx))?;
        }
    }

    fn poll_readuntil(
        &mut self,
        cx: &mut Context<'_>,
        separator: &[u8],
    ) -> Poll<io::Result<Vec<u8>>> {
        if separator.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Separator should be at least one-byte string",
            )));
        }
        Poll::Ready(match ready!(self.poll_until(cx, separator))? {
            Until::Found(chunk) => Ok(chunk),
            Until::Eof(partial) => {
                let expected = partial.len() + separator.len();
                Err(IncompleteReadError { partial, expected }.into())
            }
            Until::Overrun(consumed) => Err(LimitOverrunError { consumed }.into()),
        })
    }

    fn poll_readline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        Poll::Ready(match ready!(self.poll_until(cx, b"\n"))? {
            Until::Found(line) | Until::Eof(line) => Ok(line),
            Until::Overrun(consumed) => {
                // asyncio drops the offending line: through its newline if that is here,
                // else everything buffered.
                if self.buffer.data().get(consumed) == Some(&b'\n') {
                    self.buffer.consume(consumed + 1);
                } else {
                    self.buffer.clear();
                }
                Err(LimitOverrunError { consumed }.into())
            }
        })
    }
}

/// Where `needle` (non-empty) first starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => haystack.iter().position(|b| b == byte),
        _ => haystack.windows(needle.len()).position(|w| w == needle),
    }
}

impl StreamReader {
    /// A reader over any readable byte source (a pipe's reading end, a socket half, an
    /// in-memory reader), with asyncio's 64 KiB limit. The source must be usable on the loop
    /// the reader is used on.
    pub(crate) fn from_async_read(transport: Box<dyn AsyncRead + Unpin>) -> StreamReader {
        StreamReader {
            state: RefCell::new(ReaderState {
                transport,
                buffer: Buffer::new(),
                eof: false,
                limit: LIMIT,
                error: None,
                waker: None,
            }),
        }
    }

    fn state(&mut self) -> &mut ReaderState {
        self.state.get_mut()
    }

    /// Reads up to `n` bytes (asyncio's `read(n)`): what is buffered, or else what the next
    /// read from the transport brings; empty at the end of the stream, or when `n` is 0.
    ///
    /// # Errors
    ///
    /// The transport's (`ConnectionReset`, ...).
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let state = self.state();
        poll_fn(|cx| state.poll_read_n(cx, n)).await
    }

    /// Reads until the end of the stream (asyncio's `read()` / `read(-1)`).
    ///
    /// # Errors
    ///
    /// The transport's; what was read stays buffered for the next read.
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        let state = self.state();
        poll_fn(|cx| state.poll_read_to_end(cx)).await
    }

    /// Reads one line, its `b'\n'` included (asyncio's `readline()`). At the end of the
    /// stream it returns what is left without a newline, then empty.
    ///
    /// # Errors
    ///
    /// [`InvalidData`](io::ErrorKind::InvalidData) wrapping [`LimitOverrunError`] for a line
    /// longer than the limit (64 KiB); the line is dropped (through its newline if it was
    /// read, else what was buffered), as asyncio's `readline` does before raising its
    /// `ValueError`. The transport's errors.
    pub async fn readline(&mut self) -> io::Result<Vec<u8>> {
        let state = self.state();
        poll_fn(|cx| state.poll_readline(cx)).await
    }

    /// Reads exactly `n` bytes (asyncio's `readexactly(n)`).
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) wrapping [`IncompleteReadError`]
    /// (`partial`: the bytes that came, `expected`: `n`) when the stream ends first; the
    /// buffer is emptied into `partial`. The transport's errors (the bytes stay buffered).
    pub async fn readexactly(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let state = self.state();
        poll_fn(|cx| state.poll_readexactly(cx, n)).await
    }

    /// Reads up to and including `separator` (asyncio's `readuntil`).
    ///
    /// # Errors
    ///
    /// * [`InvalidInput`](io::ErrorKind::InvalidInput) for an empty separator (asyncio's
    ///   `ValueError`);
    /// * [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) wrapping [`IncompleteReadError`]
    ///   when the stream ends first: `partial` is everything that was buffered (now taken),
    ///   `expected` is `partial.len() + separator.len()` (asyncio's is `None`);
    /// * [`InvalidData`](io::ErrorKind::InvalidData) wrapping [`LimitOverrunError`] when the
    ///   separator is not within the limit (64 KiB); the data stays buffered, as asyncio's;
    /// * the transport's.
    pub async fn readuntil(&mut self, separator: &[u8]) -> io::Result<Vec<u8>> {
        let state = self.state();
        poll_fn(|cx| state.poll_readuntil(cx, separator)).await
    }

    /// Whether the stream has ended and everything was read (asyncio's `at_eof()`).
    ///
    /// asyncio learns of the end as soon as it arrives; this reader reads only when asked, so
    /// when its buffer is empty `at_eof` asks the transport, without waiting, whether it has
    /// ended (bytes that came are kept for the next read; an error is kept for it too). Off
    /// the loop it reports only what reads have seen.
    pub fn at_eof(&self) -> bool {
        let Ok(mut state) = self.state.try_borrow_mut() else {
            return false;
        };
        let on_loop = context::try_with_current(|_| ()).is_some();
        if on_loop && state.buffer.is_empty() && !state.eof && state.error.is_none() {
            let waker = state.waker.clone().unwrap_or_else(|| Waker::noop().clone());
            if let Poll::Ready(Err(error)) = state.poll_fill(&mut Context::from_waker(&waker)) {
                state.error = Some(error);
            }
        }
        state.eof && state.buffer.is_empty()
    }
}

impl AsyncRead for StreamReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let state = self.get_mut().state();
        ready!(state.poll_some(cx))?;
        let n = buf.len().min(state.buffer.len());
        buf[..n].copy_from_slice(&state.buffer.data()[..n]);
        state.buffer.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let state = self.get_mut().state();
        ready!(state.poll_some(cx))?;
        Poll::Ready(Ok(state.buffer.data()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().state().buffer.consume(amt);
    }
}

/// The lines, as asyncio's `async for line in reader`: each item is what
/// [`readline`](StreamReader::readline) returns, errors included (the stream goes on after
/// one); it ends at the end of input.
impl Stream for StreamReader {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let state = self.get_mut().state();
        Poll::Ready(match ready!(state.poll_readline(cx)) {
            Ok(line) if line.is_empty() => None,
            line => Some(line),
        })
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("StreamReader");
        if let Ok(state) = self.state.try_borrow() {
            out.field("buffered", &state.buffer.len())
                .field("eof", &state.eof)
                .field("limit", &state.limit);
        }
        out.finish_non_exhaustive()
    }
}
