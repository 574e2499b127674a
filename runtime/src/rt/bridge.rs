//! Thread bridges: a `Send` handle to a loop's object (an `Event`, a `Queue`, a
//! `SettableFuture`: `Rc`-based, so never `Send` themselves) that another thread uses in one
//! safe line, each use forwarded to the loop through `call_soon_threadsafe`.
//!
//! The object itself never leaves the loop's thread: it is kept in this thread's registry
//! under a key, and the handle holds only the key and the loop. A call runs on the loop with
//! the object; the last handle's drop removes it there; the loop's end drops whatever is
//! still registered, on its thread. So no `unsafe` is needed, and once the loop has closed a
//! call is refused with [`LoopClosed`].

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::rt::context;
use crate::rt::loop_handle::EventLoop;
use crate::rt::remote::{LoopShared, RemoteCall};

thread_local! {
    /// The objects bridged from this thread's loops, by (loop id, key).
    static BRIDGED: RefCell<HashMap<(u64, u64), Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// Keys of bridged objects, process-wide.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// The error of a call through a [`Threadsafe`] handle whose loop has closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Event loop is closed")
    }
}

impl std::error::Error for LoopClosed {}

/// One bridged object: removed from its loop's registry when the last handle goes.
struct Entry {
    shared: Arc<LoopShared>,
    key: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let (loop_id, key) = (self.shared.loop_id, self.key);
        // Refused once the loop has closed: its end dropped the object already.
        let _ = self.shared.push_call(RemoteCall::new(move || {
            let object = BRIDGED.with(|bridged| bridged.borrow_mut().remove(&(loop_id, key)));
            drop(object);
        }));
    }
}

/// A `Send` handle to `T`, an object of one loop, usable from any thread: see
/// [`EventLoop::threadsafe`]. Cheap to clone.
pub struct Threadsafe<T> {
    entry: Arc<Entry>,
    _object: PhantomData<fn(&T)>,
}

impl<T> Clone for Threadsafe<T> {
    fn clone(&self) -> Self {
        Threadsafe {
            entry: self.entry.clone(),
            _object: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Threadsafe<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Threadsafe {}>", std::any::type_name::<T>())
    }
}

impl<T: 'static> Threadsafe<T> {
    /// Runs `f` with the object on its loop's thread, as `loop.call_soon_threadsafe`: it joins
    /// the back of the loop's ready queue, in call order from one thread. Refused with
    /// [`LoopClosed`] once the loop has ended.
    pub fn call(&self, f: impl FnOnce(&T) + Send + 'static) -> Result<(), LoopClosed> {
        let (loop_id, key) = (self.entry.shared.loop_id, self.entry.key);
        let call = RemoteCall::new(move || with_object::<T>(loop_id, key, f));
        self.entry.shared.push_call(call).map_err(|_| LoopClosed)
    }
}

/// Runs `f` with the object `(loop_id, key)`, taken out of the registry for the call (so `f`
/// may use the registry) and put back after.
fn with_object<T: 'static>(loop_id: u64, key: u64, f: impl FnOnce(&T)) {
    let Some(object) = BRIDGED.with(|bridged| bridged.borrow_mut().remove(&(loop_id, key))) else {
        return;
    };
    /// Puts the object back, even if `f` panics.
    struct PutBack(Option<(u64, u64, Box<dyn Any>)>);
    impl Drop for PutBack {
        fn drop(&mut self) {
            if let Some((loop_id, key, object)) = self.0.take() {
                BRIDGED.with(|bridged| bridged.borrow_mut().insert((loop_id, key), object));
            }
        }
    }
    let put_back = PutBack(Some((loop_id, key, object)));
    if let Some((_, _, object)) = &put_back.0 {
        if let Some(object) = object.downcast_ref::<T>() {
            f(object);
        }
    }
    drop(put_back);
}

/// Drops, on the loop's thread, every object still bridged from the loop `loop_id` (the loop
/// is ending).
pub(crate) fn release_all(loop_id: u64) -> Vec<Box<dyn Any>> {
    BRIDGED.with(|bridged| {
        let mut bridged = bridged.borrow_mut();
        let keys: Vec<_> = bridged
            .keys()
            .filter(|(id, _)| *id == loop_id)
            .copied()
            .collect();
        keys.into_iter()
            .filter_map(|key| bridged.remove(&key))
            .collect()
    })
}

impl EventLoop {
    /// A `Send` handle to `object` (an [`Event`](crate::Event), a [`Queue`](crate::Queue), a
    /// [`SettableFuture`](crate::SettableFuture), any of this loop's objects) for other
    /// threads: [`Threadsafe::call`] runs a closure with it on this loop, forwarded as
    /// `call_soon_threadsafe`. The object stays on this thread until the last handle is
    /// dropped or the loop ends.
    ///
    /// ```
    /// use corio_runtime::{Event, get_running_loop, run};
    ///
    /// run(async {
    ///     let event = Event::new();
    ///     let remote = get_running_loop().threadsafe(event.clone());
    ///     std::thread::spawn(move || remote.call(|event| event.set()).unwrap());
    ///     event.wait().await;
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Called on another thread than this loop's (the object is not `Send`).
    pub fn threadsafe<T: 'static>(&self, object: T) -> Threadsafe<T> {
        let here = context::try_with_current(|core| core.owns(self.shared())).unwrap_or(false);
        if !here {
            panic!("corio: EventLoop::threadsafe() must be called on the loop's own thread");
        }
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let loop_id = self.shared().loop_id;
        BRIDGED.with(|bridged| {
            bridged
                .borrow_mut()
                .insert((loop_id, key), Box::new(object))
        });
        Threadsafe {
            entry: Arc::new(Entry {
                shared: self.shared().clone(),
                key,
            }),
            _object: PhantomData,
        }
    }
}
