//! [`StreamWriter`], asyncio's `StreamWriter` with its transport's write buffer: `write`
//! never waits, `drain` waits while more than the high-water mark (64 KiB) is buffered.
//!
//! As asyncio's selector transport, `write` first tries the socket at once and buffers what
//! it did not take; a flusher task (spawned only while something is buffered, or an end or a
//! close is pending) writes the rest when the socket is writable, so written bytes go out
//! whether or not anyone drains.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker, ready};

use futures_io::AsyncWrite;

use crate::io::streams::buffer::Buffer;
use crate::io::streams::errors::copy_error;
use crate::io::streams::transport::{AsyncWriteTransport, StreamAddr, WriteTransport};
use crate::task::handle::create_task;

/// asyncio's default high-water mark: `drain` waits while more is buffered.
pub(crate) const HIGH_WATER: usize = 64 * 1024;
/// asyncio's low-water mark (a quarter of the high): a waiting `drain` resumes at or below.
pub(crate) const LOW_WATER: usize = HIGH_WATER / 4;

/// The writing end of a connection or pipe, as asyncio's `StreamWriter`.
///
/// [`write`](StreamWriter::write) never waits: it sends what the socket takes at once and
/// buffers the rest, which a background flusher sends on; [`drain`](StreamWriter::drain) is
/// the flow control, waiting while more than 64 KiB is buffered (asyncio's high-water mark)
/// until no more than 16 KiB is (the low-water mark).
///
/// Closing, as asyncio's:
///
/// * [`write_eof`](StreamWriter::write_eof) ends the stream for the peer once the buffer is
///   sent; this side may go on reading.
/// * [`close`](StreamWriter::close) sends the buffer, then closes the connection both ways
///   (this side's reader reads what already came, then the end);
///   [`wait_closed`](StreamWriter::wait_closed) waits for that.
/// * After either, [`write`](StreamWriter::write) drops its bytes silently (asyncio's
///   `write` after the connection is lost does the same; `AsyncWrite::poll_write` returns
///   [`BrokenPipe`](io::ErrorKind::BrokenPipe) instead, as futures-io callers expect), and
///   [`drain`](StreamWriter::drain) after `close` returns `BrokenPipe`.
/// * A write error (the peer reset the connection) is kept: the buffer is dropped, later
///   writes too, and `drain`, `write_eof`, `wait_closed` and the `AsyncWrite` methods return
///   the error (asyncio: "Connection lost").
/// * Dropping the writer without closing sends what it buffered, then shuts the writing
///   direction down (the peer reads the end); the reader, if kept, goes on reading. A
///   socket closes when both its reader and its writer are gone.
///
/// It is also a futures-io [`AsyncWrite`]: `poll_write` buffers (waiting first while over the
/// high-water mark), `poll_flush` waits until the buffer is empty and sent, `poll_close` is
/// `close` then `wait_closed`.
///
/// Created and used on one loop.
pub struct StreamWriter {
    state: Rc<RefCell<WriterState>>,
    peer: Result<StreamAddr, io::ErrorKind>,
    local: Result<StreamAddr, io::ErrorKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Eof {
    Open,
    Requested,
    Sent,
}

struct WriterState {
    /// `None` once closed.
    transport: Option<Box<dyn WriteTransport>>,
    buffer: Buffer,
    /// Bytes went to the transport since its last flush.
    unflushed: bool,
    /// A flusher task is driving the transport (then nothing else writes to it).
    flushing: bool,
    eof: Eof,
    closing: bool,
    closed: bool,
    /// Over the high-water mark, not yet back to the low: `drain` waits.
    paused: bool,
    /// The write error that lost the connection.
    lost: Option<io::Error>,
    /// The writer's one pending wait (`drain`, flush, `wait_closed`): its methods take
    /// `&mut self`, so there is never more than one.
    waker: Option<Waker>,
}

impl WriterState {
    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn lose(&mut self, error: io::Error) {
        self.lost = Some(error);
        self.buffer.clear();
        self.paused = false;
        self.wake();
    }

    /// Drives the transport: the buffer, a flush, the end, the close, in that order.
    /// `Ready` when all that was asked is done (or the connection is lost).
    fn progress(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.lost.is_some() {
            if self.closing && !self.closed {
                self.closed = true;
                self.transport = None;
                self.wake();
            }
            return Poll::Ready(());
        }
        let Some(transport) = self.transport.as_mut() else {
            return Poll::Ready(());
        };
        while !self.buffer.is_empty() {
            match ready!(transport.poll_write(cx, self.buffer.data())) {
                Ok(0) => return self.failed(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.buffer.consume(n);
                    self.unflushed = true;
                    if self.paused && self.buffer.len() <= LOW_WATER {
                        self.paused = false;
                        if let Some(waker) = self.waker.take() {
                            waker.wake();
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return self.failed(error),
            }
        }
        if self.unflushed {
            if let Err(error) = ready!(transport.poll_flush(cx)) {
                return self.failed(error);
            }
            self.unflushed = false;
        }
        // Empty and sent: a flush waiting is done.
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        if self.eof == Eof::Requested {
            if let Err(error) = ready!(transport.poll_write_eof(cx)) {
                return self.failed(error);
            }
            self.eof = Eof::Sent;
        }
        if self.closing {
            let result = ready!(transport.poll_close(cx));
            self.transport = None;
            self.closed = true;
            if let Err(error) = result {
                self.lost = Some(error);
            }
            self.wake();
        }
        Poll::Ready(())
    }

    fn failed(&mut self, error: io::Error) -> Poll<()> {
        self.lose(error);
        self.progress(&mut Context::from_waker(Waker::noop()))
    }

    fn lost_error(&self) -> Option<io::Error> {
        self.lost.as_ref().map(copy_error)
    }

    fn wait(&mut self, cx: &mut Context<'_>) {
        match &mut self.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            slot @ None => *slot = Some(cx.waker().clone()),
        }
    }
}

/// Drives a writer's transport in the background while it has work.
struct Flusher(Rc<RefCell<WriterState>>);

impl Future for Flusher {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.borrow_mut();
        ready!(state.progress(cx));
        state.flushing = false;
        Poll::Ready(())
    }
}

/// Makes progress now, without waiting; if the transport would block, a flusher task takes
/// over (unless one runs already).
fn kick(shared: &Rc<RefCell<WriterState>>) {
    let mut state = shared.borrow_mut();
    if state.flushing {
        return;
    }
    if state
        .progress(&mut Context::from_waker(Waker::noop()))
        .is_pending()
    {
        state.flushing = true;
        drop(state);
        create_task(Flusher(shared.clone())).detach();
    }
}

fn closed_error(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("{what} on a closed StreamWriter"),
    )
}

impl StreamWriter {
    /// A writer over any futures-io writer (a pipe's writing end, ...): `write_eof` and
    /// `close` both close it; it has no addresses. The writer must be usable on the loop
    /// the `StreamWriter` is used on.
    pub(crate) fn from_async_write(transport: Box<dyn AsyncWrite + Unpin>) -> StreamWriter {
        StreamWriter::from_transport(
            Box::new(AsyncWriteTransport(transport)),
            Err(io::ErrorKind::Unsupported),
            Err(io::ErrorKind::Unsupported),
        )
    }

    /// A writer over `transport`, whose ends are `peer` and `local`.
    pub(crate) fn from_transport(
        transport: Box<dyn WriteTransport>,
        peer: Result<StreamAddr, io::ErrorKind>,
        local: Result<StreamAddr, io::ErrorKind>,
    ) -> StreamWriter {
        StreamWriter {
            state: Rc::new(RefCell::new(WriterState {
                transport: Some(transport),
                buffer: Buffer::new(),
                unflushed: false,
                flushing: false,
                eof: Eof::Open,
                closing: false,
                closed: false,
                paused: false,
                lost: None,
                waker: None,
            })),
            peer,
            local,
        }
    }

    /// Writes `data` without waiting (asyncio's `write`): what the transport takes now goes
    /// at once, the rest is buffered and sent in the background. Use
    /// [`drain`](StreamWriter::drain) for flow control. After
    /// [`close`](StreamWriter::close), [`write_eof`](StreamWriter::write_eof) or a write
    /// error the bytes are dropped silently.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn write(&mut self, data: &[u8]) {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        if data.is_empty() || state.closing || state.eof != Eof::Open || state.lost.is_some() {
            return;
        }
        let mut data = data;
        if !state.flushing && state.buffer.is_empty() {
            // Straight to the transport, as asyncio's `transport.write` tries `send` first.
            let transport = state
                .transport
                .as_mut()
                .expect("open writer has a transport");
            let mut cx = Context::from_waker(Waker::noop());
            while !data.is_empty() {
                match transport.poll_write(&mut cx, data) {
                    Poll::Ready(Ok(0)) => {
                        state.lose(io::ErrorKind::WriteZero.into());
                        return;
                    }
                    Poll::Ready(Ok(n)) => {
                        data = &data[n..];
                        state.unflushed = true;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Poll::Ready(Err(error)) => {
                        state.lose(error);
                        return;
                    }
                    Poll::Pending => break,
                }
            }
        }
        state.buffer.extend(data);
        if state.buffer.len() > HIGH_WATER {
            state.paused = true;
        }
        let idle = !state.unflushed && state.buffer.is_empty();
        drop(guard);
        if !idle {
            kick(&self.state);
        }
    }

    /// Waits while the buffer is over the high-water mark (64 KiB), until the flusher brought
    /// it down to the low-water mark (16 KiB) (asyncio's `drain`). Returns at once when it is
    /// not over.
    ///
    /// # Errors
    ///
    /// The write error that lost the connection (`ConnectionReset`, `BrokenPipe`, ...);
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) after [`close`](StreamWriter::close).
    pub async fn drain(&mut self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut state = self.state.borrow_mut();
            if let Some(error) = state.lost_error() {
                return Poll::Ready(Err(error));
            }
            if state.closing {
                return Poll::Ready(Err(closed_error("drain()")));
            }
            if !state.paused {
                return Poll::Ready(Ok(()));
            }
            state.wait(cx);
            Poll::Pending
        })
        .await
    }

    /// Ends the stream for the peer once the buffer is sent (asyncio's `write_eof`): for a
    /// socket, a shutdown of the writing direction (this side may go on reading); for a pipe,
    /// its closing. Later writes are dropped. Does nothing after
    /// [`close`](StreamWriter::close) or a first `write_eof`.
    ///
    /// # Errors
    ///
    /// The write error that lost the connection, or the shutdown's.
    pub fn write_eof(&mut self) -> io::Result<()> {
        {
            let mut state = self.state.borrow_mut();
            if let Some(error) = state.lost_error() {
                return Err(error);
            }
            if state.closing || state.eof != Eof::Open {
                return Ok(());
            }
            state.eof = Eof::Requested;
        }
        kick(&self.state);
        match self.state.borrow().lost_error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Sends what is buffered, then closes the connection (asyncio's `close`), in the
    /// background: [`wait_closed`](StreamWriter::wait_closed) waits for it. Later writes are
    /// dropped. Closing twice does nothing.
    ///
    /// # Panics
    ///
    /// With `no running event loop` outside [`run`](crate::run).
    pub fn close(&mut self) {
        {
            let mut state = self.state.borrow_mut();
            if state.closing {
                return;
            }
            state.closing = true;
        }
        kick(&self.state);
    }

    /// Waits until the connection is closed (asyncio's `wait_closed`): after
    /// [`close`](StreamWriter::close), once the buffer is sent and the connection shut.
    /// Before `close` it waits, as asyncio's, until the connection is lost (a write error) or
    /// a close happens: call `close` first.
    ///
    /// # Errors
    ///
    /// The write error that lost the connection, if one did.
    pub async fn wait_closed(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_wait_closed(cx)).await
    }

    fn poll_wait_closed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.state.borrow_mut();
        if let Some(error) = state.lost_error() {
            return Poll::Ready(Err(error));
        }
        if state.closed {
            return Poll::Ready(Ok(()));
        }
        state.wait(cx);
        Poll::Pending
    }

    /// Whether the writer is closed or closing (asyncio's `is_closing`): after
    /// [`close`](StreamWriter::close), or once a write error lost the connection.
    pub fn is_closing(&self) -> bool {
        let state = self.state.borrow();
        state.closing || state.lost.is_some()
    }

    /// The address of the other end (asyncio's `get_extra_info("peername")`), as it was when
    /// the connection was made: [`StreamAddr::Tcp`] or [`StreamAddr::Unix`].
    ///
    /// # Errors
    ///
    /// [`Unsupported`](io::ErrorKind::Unsupported) for a pipe, which has no address; the
    /// OS's error if the socket had none (a peer already gone).
    pub fn peer_addr(&self) -> io::Result<StreamAddr> {
        addr(&self.peer)
    }

    /// The address of this end (asyncio's `get_extra_info("sockname")`); as
    /// [`peer_addr`](StreamWriter::peer_addr).
    ///
    /// # Errors
    ///
    /// As [`peer_addr`](StreamWriter::peer_addr)'s.
    pub fn local_addr(&self) -> io::Result<StreamAddr> {
        addr(&self.local)
    }
}

fn addr(addr: &Result<StreamAddr, io::ErrorKind>) -> io::Result<StreamAddr> {
    match addr {
        Ok(addr) => Ok(addr.clone()),
        Err(io::ErrorKind::Unsupported) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a pipe has no address",
        )),
        Err(kind) => Err((*kind).into()),
    }
}

impl AsyncWrite for StreamWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        {
            let mut state = this.state.borrow_mut();
            if let Some(error) = state.lost_error() {
                return Poll::Ready(Err(error));
            }
            if state.closing || state.eof != Eof::Open {
                return Poll::Ready(Err(closed_error("poll_write()")));
            }
            if state.paused {
                state.wait(cx);
                return Poll::Pending;
            }
        }
        this.write(buf);
        match this.state.borrow().lost_error() {
            Some(error) => Poll::Ready(Err(error)),
            None => Poll::Ready(Ok(buf.len())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.state.borrow_mut();
        if let Some(error) = state.lost_error() {
            return Poll::Ready(Err(error));
        }
        if state.buffer.is_empty() && !state.unflushed {
            return Poll::Ready(Ok(()));
        }
        state.wait(cx);
        Poll::Pending
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.close();
        this.poll_wait_closed(cx)
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        // A drain or flush never outlives the writer, but a flusher may hold the state on:
        // nobody waits any more.
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state.waker = None;
        }
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("StreamWriter");
        if let Ok(state) = self.state.try_borrow() {
            out.field("buffered", &state.buffer.len())
                .field("closing", &(state.closing || state.lost.is_some()));
        }
        out.field("peer", &self.peer.as_ref().ok())
            .finish_non_exhaustive()
    }
}
