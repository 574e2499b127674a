//! Done callbacks on a [`Task`], as asyncio's `Task.add_done_callback()` and
//! `remove_done_callback()`.

use crate::rt::callbacks;
use crate::rt::context;
use crate::rt::settable::DoneCallbackId;
use crate::task::handle::Task;

impl<T> Task<T> {
    /// Adds `callback` to run once the task is done (returned, failed or cancelled), as
    /// asyncio's `Task.add_done_callback()`. It runs on the loop through `call_soon`: on the
    /// pass after the task's end, in registration order with the other callbacks and with the
    /// tasks awaiting this one, as asyncio orders them. On a task that is already done, it is
    /// scheduled at once, the same way. The id removes it again
    /// ([`remove_done_callback`](Task::remove_done_callback)).
    ///
    /// asyncio passes the task to the callback; a Rust closure captures what it needs instead
    /// (a clone of the `Task` when `T: Clone`, a [`TaskRef`](crate::TaskRef) from
    /// [`current_task`](crate::current_task), a channel, ...). A callback that captures a
    /// clone of its own task keeps the task's allocation until the callback has run or been
    /// removed. As asyncio's, it runs in a copy of the context current where it was added (its
    /// [`ContextVar`](crate::ContextVar) values), not the finishing task's.
    ///
    /// One order differs from asyncio's: a task that began awaiting this one before it had any
    /// done callback, a name or a `TaskRef` awaiter (before anything gave it an extension:
    /// the common case pays no allocation) is woken after the callbacks added later, not
    /// before.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use corio_runtime::{Runner, create_task, sleep, time};
    ///
    /// let log = Runner::new().virtual_time().run(async {
    ///     let log = Rc::new(RefCell::new(Vec::new()));
    ///     let task = create_task(sleep(1));
    ///     let seen = log.clone();
    ///     task.add_done_callback(move || seen.borrow_mut().push(format!("done at {}", time())));
    ///     task.await.unwrap();
    ///     log.borrow_mut().push("awaited".to_owned());
    ///     sleep(0).await;
    ///     log.take()
    /// });
    /// assert_eq!(log, ["done at 1", "awaited"]);
    /// ```
    ///
    /// # Panics
    ///
    /// Off the loop that runs the task (`must run on the event loop that runs its tasks`).
    pub fn add_done_callback(&self, callback: impl FnOnce() + 'static) -> DoneCallbackId {
        self.on_own_loop("corio::Task::add_done_callback()");
        let id = |slot| DoneCallbackId::new(self.meta_address(), slot);
        match self.meta().add_done_callback(Box::new(callback)) {
            Ok(slot) => id(slot),
            Err(callback) => {
                context::with_current("corio::Task::add_done_callback()", |core| {
                    let _handle = callbacks::call_soon(core, callback);
                });
                id(usize::MAX)
            }
        }
    }

    /// Removes a callback that has not been scheduled yet, as asyncio's
    /// `Task.remove_done_callback()`: returns how many were removed, `1` or `0` (the task is
    /// done, so the callback was scheduled already; it was removed before; or `id` names
    /// another task's or future's callback).
    ///
    /// # Panics
    ///
    /// Off the loop that runs the task, as [`add_done_callback`](Task::add_done_callback).
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        self.on_own_loop("corio::Task::remove_done_callback()");
        match id.slot_in(self.meta_address()) {
            Some(slot) => self.meta().remove_done_callback(slot),
            None => 0,
        }
    }

    /// The address that tells this task's callback ids from others'.
    fn meta_address(&self) -> usize {
        std::ptr::from_ref(self.meta()) as usize
    }

    /// Panics unless this thread runs the task's loop: done callbacks are not `Send`, and live
    /// and run there only.
    fn on_own_loop(&self, what: &str) {
        let on_own_loop = context::try_with_current(|core| core.owns(self.meta().shared()));
        assert!(
            on_own_loop == Some(true),
            "{what} must run on the event loop that runs its tasks"
        );
    }
}
