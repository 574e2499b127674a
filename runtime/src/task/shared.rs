//! What the clones of a [`Task`](crate::Task) share ([`SharedTask`]): the raw task, the
//! result once one clone's await took it, and the wakers of every clone awaiting it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::rt::spawn::RawTask;
use crate::task::error::TaskError;

/// What the clones of a task share: the raw task (kept to the end: it keeps the allocation
/// alive) and, once taken from it, the result.
pub(crate) struct SharedTask<T> {
    state: Mutex<SharedState<T>>,
    /// Wakes every handle awaiting the task: the raw task's one awaiter slot holds this.
    fan: Arc<Fan>,
    /// `Clone::clone` of the result (`Task<T>: Clone` needs `T: Clone`; the handle's methods
    /// do not).
    clone_output: fn(&Result<T, TaskError>) -> Result<T, TaskError>,
}

struct SharedState<T> {
    raw: Option<RawTask<T>>,
    output: Option<Result<T, TaskError>>,
}

impl<T> Drop for SharedState<T> {
    fn drop(&mut self) {
        // The last handle is gone: the task runs on, detached (never cancelled by this drop);
        // a finished one has nothing left to give.
        if let Some(raw) = self.raw.take() {
            raw.detach();
        }
    }
}

/// The awaiters of a shared task, woken together, in the order they began waiting.
#[derive(Default)]
struct Fan(Mutex<Vec<Waker>>);

impl Wake for Fan {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *lock(&self.0));
        wakers.into_iter().for_each(Waker::wake);
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> SharedTask<T> {
    /// `Ready` once the result is here (taken from the raw task on the way); otherwise `cx`'s
    /// waker is woken when the task finishes.
    pub(crate) fn poll_finished(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.state);
        if state.output.is_some() {
            return Poll::Ready(());
        }
        {
            let mut wakers = lock(&self.fan.0);
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
        }
        let raw = state
            .raw
            .as_mut()
            .expect("a shared task keeps its raw task");
        let fan = Waker::from(self.fan.clone());
        match Pin::new(raw).poll(&mut Context::from_waker(&fan)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                let output = output.take();
                // The raw task stays: it keeps the task's allocation, which every handle's
                // `inner` copy reads the metadata from, alive.
                state.output = Some(output);
                drop(state);
                // The other awaiters learn it on their next poll.
                self.fan.wake_by_ref();
                Poll::Ready(())
            }
        }
    }

    /// A copy of the result, once there is one.
    pub(crate) fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        std::task::ready!(self.poll_finished(cx));
        let state = lock(&self.state);
        let output = state.output.as_ref().expect("checked by poll_finished");
        Poll::Ready((self.clone_output)(output))
    }
}

impl<T: Clone> SharedTask<T> {
    /// Shares `raw`: from now on this owns the raw task.
    pub(crate) fn new(raw: RawTask<T>) -> Self {
        SharedTask {
            state: Mutex::new(SharedState {
                raw: Some(raw),
                output: None,
            }),
            fan: Arc::new(Fan::default()),
            clone_output: Clone::clone,
        }
    }

    /// Gives the raw task back without dropping it: `self` lost the race to be published, and
    /// the raw task still belongs to the handle it was copied from.
    pub(crate) fn forget_raw(&self) {
        std::mem::forget(lock(&self.state).raw.take());
    }
}
