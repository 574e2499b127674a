//! Children that wait on flags a driver sets in any order (the spread benches wake them last
//! to first), the same for corio and every peer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// `n` flags, each with the waker of the child waiting on it.
pub struct Flags {
    slots: Box<[(AtomicBool, Mutex<Option<Waker>>)]>,
}

impl Flags {
    pub fn new(n: usize) -> Arc<Self> {
        Arc::new(Flags {
            slots: (0..n)
                .map(|_| (AtomicBool::new(false), Mutex::new(None)))
                .collect(),
        })
    }

    /// How many flags there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Sets flag `index` and wakes its child.
    pub fn set(&self, index: usize) {
        let (set, waker) = &self.slots[index];
        set.store(true, Ordering::Release);
        if let Some(waker) = waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}

/// A child: waits until its flag is set, then outputs its index.
pub struct WaitFlag {
    flags: Arc<Flags>,
    index: usize,
}

impl Future for WaitFlag {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let (set, waker) = &self.flags.slots[self.index];
        if set.load(Ordering::Acquire) {
            return Poll::Ready(self.index);
        }
        *waker.lock().unwrap() = Some(cx.waker().clone());
        if set.load(Ordering::Acquire) {
            return Poll::Ready(self.index);
        }
        Poll::Pending
    }
}

pub fn children(flags: &Arc<Flags>) -> Vec<WaitFlag> {
    (0..flags.len())
        .map(|index| WaitFlag {
            flags: Arc::clone(flags),
            index,
        })
        .collect()
}
