//! asyncio 3.11's `Barrier`: a fixed number of parties wait until all have arrived, then all
//! go on together; the barrier can be reset, or aborted (broken).

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::sync::wait_list::{self, WaitList, WaiterKey};

/// asyncio's `BrokenBarrierError`: the barrier was [`abort`](Barrier::abort)ed, or
/// [`reset`](Barrier::reset) while this task waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken")
    }
}

impl Error for BrokenBarrierError {}

/// The barrier's states, as asyncio's `_BarrierState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Parties are arriving.
    Filling,
    /// All arrived; the waiters of this cycle are leaving. New arrivals wait for the next.
    Draining,
    /// `reset()` while parties waited: they leave with an error, then the barrier refills.
    Resetting,
    /// `abort()`ed: every wait fails until `reset()`.
    Broken,
}

/// asyncio's `Barrier(parties)`: [`wait`](Barrier::wait) blocks until `parties` tasks wait,
/// then releases them all, each with a distinct index `0..parties` in arrival order.
///
/// Same as asyncio: the barrier is cyclic (after a cycle drains it fills again); tasks that
/// arrive while a cycle drains wait for the next cycle; [`abort`](Barrier::abort) fails every
/// current and future wait with [`BrokenBarrierError`] until [`reset`](Barrier::reset).
/// `abort` and `reset` are plain methods here (asyncio's are coroutines only because they take
/// the barrier's internal lock).
///
/// Cancellation, as asyncio's: dropping a waiting `wait()` (cancelling its task) just leaves
/// the barrier, which then needs one more arrival; it does not break the barrier.
///
/// A `Barrier` is a handle: clones share one barrier (see the [`locks`](crate::Lock) module
/// docs).
///
/// ```
/// let barrier = corio_runtime::Barrier::new(2);
/// corio_runtime::Runner::new().virtual_time().run(async move {
///     let other = corio_runtime::create_task({
///         let barrier = barrier.clone();
///         async move { barrier.wait().await }
///     });
///     corio_runtime::sleep(1).await;
///     assert_eq!(barrier.wait().await, Ok(1));
///     assert_eq!(other.await.unwrap(), Ok(0));
/// });
/// ```
#[derive(Clone)]
pub struct Barrier {
    inner: Rc<BarrierState>,
}

/// The barrier a [`Barrier`] handle shares.
struct BarrierState {
    parties: usize,
    state: Cell<State>,
    /// Parties inside `wait()` for this cycle (arrived and not yet left).
    count: Cell<usize>,
    /// Tasks waiting for a state change; each re-checks the state when woken.
    waiters: RefCell<WaitList>,
}

impl Barrier {
    /// A barrier for `parties` tasks (asyncio's `Barrier(parties)`).
    ///
    /// # Panics
    ///
    /// With `parties must be > 0` (asyncio's `ValueError`) if `parties` is 0.
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "parties must be > 0");
        Barrier {
            inner: Rc::new(BarrierState {
                parties,
                state: Cell::new(State::Filling),
                count: Cell::new(0),
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Waits until `parties` tasks wait, then returns this task's arrival index in
    /// `0..parties` (asyncio's `wait()`); `Err(BrokenBarrierError)` if the barrier is broken
    /// or is reset while this task waits.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            phase: Phase::Block,
            key: None,
        }
    }

    /// Puts the barrier back to its empty state (asyncio's `reset()`): tasks waiting now get
    /// [`BrokenBarrierError`]; a broken barrier works again.
    pub fn reset(&self) {
        if self.inner.count.get() > 0 {
            if self.inner.state.get() != State::Resetting {
                self.inner.state.set(State::Resetting);
            }
        } else {
            self.inner.state.set(State::Filling);
        }
        self.notify_all();
    }

    /// Breaks the barrier (asyncio's `abort()`): every current and later `wait()` fails with
    /// [`BrokenBarrierError`] until [`reset`](Barrier::reset).
    pub fn abort(&self) {
        self.inner.state.set(State::Broken);
        self.notify_all();
    }

    /// How many tasks are needed to pass the barrier (asyncio's `parties`).
    pub fn parties(&self) -> usize {
        self.inner.parties
    }

    /// How many tasks wait in the filling cycle (asyncio's `n_waiting`).
    pub fn n_waiting(&self) -> usize {
        if self.inner.state.get() == State::Filling {
            self.inner.count.get()
        } else {
            0
        }
    }

    /// Whether the barrier is broken (asyncio's `broken`).
    pub fn broken(&self) -> bool {
        self.inner.state.get() == State::Broken
    }

    fn notify_all(&self) {
        let n = self.inner.waiters.borrow().waiting();
        wait_list::notify(&self.inner.waiters, n);
    }

    /// asyncio's `_exit`: a party leaves; the last one out of a draining or resetting cycle
    /// opens the barrier for the next.
    fn leave(&self) {
        self.inner.count.set(self.inner.count.get() - 1);
        if self.inner.count.get() == 0
            && matches!(self.inner.state.get(), State::Resetting | State::Draining)
        {
            self.inner.state.set(State::Filling);
            self.notify_all();
        }
    }
}

impl fmt::Debug for Barrier {
    /// asyncio's repr: `<Barrier [filling, waiters:1/3]>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner.state.get() {
            State::Filling => "filling",
            State::Draining => "draining",
            State::Resetting => "resetting",
            State::Broken => "broken",
        };
        write!(f, "<Barrier [{state}")?;
        if !self.broken() {
            write!(f, ", waiters:{}/{}", self.n_waiting(), self.inner.parties)?;
        }
        f.write_str("]>")
    }
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Not yet arrived: waiting for a draining or resetting cycle to end.
    Block,
    /// Arrived with this index; waiting for the cycle to fill.
    Arrived(usize),
    Done,
}

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    phase: Phase,
    key: Option<WaiterKey>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let barrier = self.barrier;
        if let Some(key) = self.key {
            let mut list = barrier.inner.waiters.borrow_mut();
            if !list.poll_notified(key, cx.waker()) {
                return Poll::Pending;
            }
            list.remove(key);
            self.key = None;
        }
        match self.phase {
            Phase::Block => match barrier.inner.state.get() {
                State::Draining | State::Resetting => {}
                State::Broken => {
                    self.phase = Phase::Done;
                    return Poll::Ready(Err(BrokenBarrierError));
                }
                State::Filling => {
                    let index = barrier.inner.count.get();
                    barrier.inner.count.set(index + 1);
                    if index + 1 == barrier.inner.parties {
                        // The last to arrive releases the others and leaves first.
                        barrier.inner.state.set(State::Draining);
                        barrier.notify_all();
                        barrier.leave();
                        self.phase = Phase::Done;
                        return Poll::Ready(Ok(index));
                    }
                    self.phase = Phase::Arrived(index);
                }
            },
            Phase::Arrived(index) => match barrier.inner.state.get() {
                State::Filling => {}
                State::Draining => {
                    self.phase = Phase::Done;
                    barrier.leave();
                    return Poll::Ready(Ok(index));
                }
                State::Broken | State::Resetting => {
                    self.phase = Phase::Done;
                    barrier.leave();
                    return Poll::Ready(Err(BrokenBarrierError));
                }
            },
            Phase::Done => panic!("`BarrierWait` polled after completion"),
        }
        self.key = Some(barrier.inner.waiters.borrow_mut().push_back(cx.waker()));
        Poll::Pending
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.barrier.inner.waiters.borrow_mut().remove(key);
        }
        if let Phase::Arrived(_) = self.phase {
            self.barrier.leave();
        }
    }
}
