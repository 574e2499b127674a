//! The event loop: one thread, one FIFO ready queue, one clock, one timer store.
//!
//! Scheduling reproduces CPython's `BaseEventLoop._run_once`, so programs print what asyncio
//! prints, line for line:
//!
//! 1. Wakes and callbacks from other threads join the back of the ready queue (asyncio's
//!    `call_soon_threadsafe`).
//! 2. If nothing is ready, the loop waits in the selector for I/O, the next timer or a wake
//!    from another thread; a virtual clock first waits for I/O already ready and the
//!    outstanding thread work the loop knows of (`to_thread` calls: thread work takes no
//!    virtual time, so timings stay exact), then jumps to the deadline. With work ready, it
//!    polls the selector without blocking, if it watches fds or a signal came. What the
//!    selector found comes first at the pass's end (below): tasks awaiting I/O are woken, and
//!    `add_reader`/`add_writer` callbacks run, in event order, before any timer's callback
//!    (asyncio's `_process_events` runs before due timers are queued).
//! 3. Timers that are due join the back of the ready queue, in deadline order and, for equal
//!    deadlines, in arming order. A due timer does not step its task directly: asyncio's timer
//!    callback resolves a future, which then `call_soon`s the task, so the task's step runs one
//!    pass later, after whatever the pass's other items scheduled. corio gets the same order
//!    without queueing the callbacks: it wakes the fired timers' tasks in order at the end of
//!    the pass, which is where their callbacks would have run. A `call_later`/`call_at`
//!    callback runs right there too, in the same (deadline, arming) order.
//! 4. The pass runs only what was ready when it began (a snapshot of the queue's length);
//!    whatever becomes ready during the pass (a new task's first step, a task woken by a task
//!    that finished, `sleep(0)`) runs in the next pass.
//!
//! `call_soon` callbacks share the ready queue's FIFO order with task steps without making the
//! queue's entries bigger than a task step (8 bytes): they wait in a second queue, each tagged
//! with the ready queue's absolute position at the time it was scheduled (how many steps had
//! been queued), and a pass runs the two as one FIFO sequence merged by that position.
//!
//! The loop ends when the main future's task has finished; leftover tasks are then cancelled
//! and their futures dropped (their destructors run) before [`Runner::run`] returns, as
//! `asyncio.run` cancels what is left.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;
use std::time::Duration;

use async_task::Runnable;
use slab::Slab;

use crate::io::selector::{Selector, Woken};
use crate::rt::callbacks::{self, Callback, Fired};
use crate::rt::fd_callbacks::FdCallback;
use crate::rt::remote::{LoopShared, Remote};
use crate::rt::signals::Signals;
use crate::rt::slow;
use crate::rt::stepping::Stepping;
use crate::rt::task_state::{TaskEntry, TaskMeta};

mod io_sources;
use crate::time::clock::Clock;
use crate::time::wheel::{TimerKey, Wheel};
use crate::util::slab_shrink::ShrinkPolicy;

/// Numbers loops, so a future armed on one loop can tell it is polled on another.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// The state of one running loop. It lives on the stack of [`Runner::run`]; code on the loop's
/// thread reaches it through [`with_current`](crate::rt::context::with_current). Every field is
/// private and borrowed only inside one method, never across a call into user code, so a task
/// may spawn, sleep or cancel from anywhere.
///
/// [`Runner::run`]: crate::Runner::run
pub(crate) struct LoopCore {
    clock: Clock,
    /// Task steps to run, in order (asyncio's `_ready`).
    ready: RefCell<VecDeque<Runnable<TaskMeta>>>,
    /// How many task steps have been taken off `ready` so far: with `ready`'s length, it gives
    /// the absolute position of the next step to be queued.
    popped: Cell<u64>,
    /// How many passes have begun (`run_once` calls), for a traced run's records.
    passes: Cell<u64>,
    /// `call_soon` callbacks, each with the absolute ready-queue position it runs before (it
    /// runs after every step queued before it, and before every step queued after it).
    callbacks: RefCell<VecDeque<(u64, Callback)>>,
    timers: RefCell<Wheel>,
    /// The file descriptors the loop watches, and who waits on them.
    selector: RefCell<Selector<Rc<FdCallback>>>,
    /// Whether the previous pass asked the selector (then a busy pass skips its non-blocking
    /// select).
    just_selected: Cell<bool>,
    /// The signals the loop handles.
    signals: RefCell<Signals>,
    /// The callbacks of armed `call_later`/`call_at` timers; a timer's waker is a marker
    /// naming its slot here (see `callbacks::marker_waker`).
    timer_callbacks: RefCell<Slab<Callback>>,
    /// Gives `timer_callbacks`' slots back after a burst.
    timer_callbacks_shrink: Cell<ShrinkPolicy>,
    /// What other threads sent, taken in one swap (a reused buffer).
    remote_buf: RefCell<Vec<Remote>>,
    /// Every task that has not finished, so `all_tasks()` can list them and the end of `run`
    /// can cancel them.
    tasks: RefCell<Slab<TaskEntry>>,
    /// The id the next task gets; asyncio names tasks `Task-1`, `Task-2`, ... from it.
    next_task_id: Cell<u64>,
    /// The task whose step is running, and how new tasks take their first step.
    stepping: Stepping,
    shared: Arc<LoopShared>,
}

impl LoopCore {
    /// A loop on this thread, reading the virtual clock if `virtual_time`.
    ///
    /// # Panics
    ///
    /// If the OS refuses a selector (out of file descriptors, say).
    pub(crate) fn new(virtual_time: bool) -> Self {
        let (selector, waker) = Selector::new().unwrap_or_else(|error| {
            panic!("corio: the event loop cannot create its OS selector: {error}")
        });
        LoopCore {
            clock: if virtual_time {
                Clock::Virtual(Cell::new(0))
            } else {
                Clock::Real
            },
            ready: RefCell::new(VecDeque::new()),
            popped: Cell::new(0),
            passes: Cell::new(0),
            callbacks: RefCell::new(VecDeque::new()),
            timers: RefCell::new(Wheel::new()),
            selector: RefCell::new(selector),
            just_selected: Cell::new(false),
            signals: RefCell::new(Signals::new()),
            timer_callbacks: RefCell::new(Slab::new()),
            timer_callbacks_shrink: Cell::new(ShrinkPolicy::new()),
            remote_buf: RefCell::new(Vec::new()),
            tasks: RefCell::new(Slab::new()),
            next_task_id: Cell::new(1),
            stepping: Stepping::new(),
            shared: Arc::new(LoopShared::new(
                NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
                waker,
            )),
        }
    }

    // ---- What the rest of the crate may ask of the loop.

    /// This loop's number (see [`LoopShared::loop_id`]).
    pub(crate) fn id(&self) -> u64 {
        self.shared.loop_id
    }

    /// The side of this loop other threads may hold.
    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// Whether `shared` belongs to this loop.
    pub(crate) fn owns(&self, shared: &Arc<LoopShared>) -> bool {
        Arc::ptr_eq(&self.shared, shared)
    }

    /// The loop clock, in nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Arms a timer that wakes `waker` at `deadline_ns`.
    pub(crate) fn arm_timer(&self, deadline_ns: u64, waker: Waker) -> TimerKey {
        self.timers.borrow_mut().insert(deadline_ns, waker)
    }

    /// Whether the timer `key` has fired; if not, it will wake `waker`.
    pub(crate) fn poll_timer(&self, key: TimerKey, waker: &Waker) -> bool {
        self.timers.borrow_mut().poll(key, waker)
    }

    /// Disarms the timer `key` if it has not fired.
    pub(crate) fn disarm_timer(&self, key: TimerKey) {
        self.timers.borrow_mut().remove(key);
    }

    /// Queues `callback` at the back of the ready queue, as asyncio's `call_soon`.
    pub(crate) fn call_soon(&self, callback: Callback) {
        let position = self.popped.get() + self.ready.borrow().len() as u64;
        self.callbacks.borrow_mut().push_back((position, callback));
    }

    /// Arms `callback` for `when_ns`, as asyncio's `call_at`; returns the slot it holds until
    /// it fires and its timer.
    pub(crate) fn call_at(&self, when_ns: u64, callback: Callback) -> (usize, TimerKey) {
        let slot = self.timer_callbacks.borrow_mut().insert(callback);
        let key = self.arm_timer(when_ns, callbacks::marker_waker(slot));
        (slot, key)
    }

    /// Takes the callback out of `slot` of `slots` (the borrowed `timer_callbacks`), giving
    /// the slots back once mostly empty after a burst.
    fn remove_timer_callback(&self, slots: &mut Slab<Callback>, slot: usize) -> Callback {
        let callback = slots.remove(slot);
        let mut shrink = self.timer_callbacks_shrink.get();
        shrink.after_remove(slots);
        self.timer_callbacks_shrink.set(shrink);
        callback
    }

    /// Disarms the `call_at` callback in `slot` if it is still `callback`'s (it has not fired).
    pub(crate) fn cancel_call_at(&self, slot: usize, key: TimerKey, callback: &Callback) {
        let armed = {
            let mut slots = self.timer_callbacks.borrow_mut();
            let ours = slots.get(slot).is_some_and(|c| c.same(callback));
            // The slot is ours until the timer fires; after that the loop holds the callback
            // until the pass's end, where it sees it cancelled.
            ours.then(|| self.remove_timer_callback(&mut slots, slot))
        };
        if armed.is_some() {
            self.disarm_timer(key);
        }
    }

    /// How many task steps are queued: work that a just-dropped future scheduled, which
    /// `wait_for!` and timeout scopes let run before they report.
    pub(crate) fn queued_steps(&self) -> usize {
        self.ready.borrow().len()
    }

    /// Queues a task step at the back of the ready queue. Inlined where a new task is queued
    /// and where a wake schedules a step: a call there cost more than the push.
    #[inline]
    pub(crate) fn push_ready(&self, runnable: Runnable<TaskMeta>) {
        self.ready.borrow_mut().push_back(runnable);
    }

    /// The signals the loop handles (for `rt::signals`).
    pub(crate) fn signals(&self) -> &RefCell<Signals> {
        &self.signals
    }

    // ---- The task registry (for `rt::spawn` and the task handles).

    /// Takes the next task id (`Task-<id>`) and the registry key the next task will get.
    pub(crate) fn next_task_slot(&self) -> (u64, u32) {
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        let key = self.tasks.borrow().vacant_key();
        let key = u32::try_from(key).expect("corio: more than 2^32 tasks alive on one loop");
        (id, key)
    }

    /// Registers an unfinished task under the key [`next_task_slot`](Self::next_task_slot)
    /// gave.
    pub(crate) fn register_task(&self, entry: TaskEntry) {
        let key = self.tasks.borrow_mut().insert(entry);
        debug_assert_eq!(key, self.tasks.borrow()[key].meta().key() as usize);
    }

    /// The entry of the task `meta` if it is still registered.
    pub(crate) fn task_entry(&self, meta: &TaskMeta) -> Option<TaskEntry> {
        self.tasks
            .borrow()
            .get(meta.key() as usize)
            .filter(|entry| entry.is(meta))
            .cloned()
    }

    /// Removes the entry of the finished task `meta`; returned, so its waker drops after the
    /// registry's borrow.
    pub(crate) fn unregister_task(&self, meta: &TaskMeta) -> Option<TaskEntry> {
        let mut tasks = self.tasks.borrow_mut();
        let key = meta.key() as usize;
        let ours = tasks.get(key).is_some_and(|entry| entry.is(meta));
        ours.then(|| tasks.remove(key))
    }

    /// Wakes the task registered under `key` if it is still the task numbered `id` (the slot
    /// may have been reused by the time a cancel from another thread arrives).
    pub(crate) fn wake_registered(&self, key: u32, id: u64) {
        let waker = self
            .tasks
            .borrow()
            .get(key as usize)
            .filter(|entry| entry.meta().id() == id)
            .map(|entry| entry.waker().clone());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Every unfinished task, in registry order.
    pub(crate) fn task_entries(&self) -> Vec<TaskEntry> {
        let tasks = self.tasks.borrow();
        // The loop's end asks this of a registry that is empty but as long as the most tasks
        // ever alive: without the test, a walk of every vacant slot, twice.
        if tasks.is_empty() {
            return Vec::new();
        }
        tasks.iter().map(|(_, e)| e.clone()).collect()
    }

    /// The task whose step is running, and how new tasks take their first step.
    pub(crate) fn stepping(&self) -> &Stepping {
        &self.stepping
    }

    /// How many passes have begun: the number of the current one, from 1 (0 before the first).
    pub(crate) fn passes(&self) -> u64 {
        self.passes.get()
    }

    /// The task whose step is running.
    pub(crate) fn current_task(&self) -> Option<NonNull<TaskMeta>> {
        self.stepping.current_task()
    }

    // ---- Running (for the runner).

    /// Whether neither a task step nor a callback is ready.
    fn idle(&self) -> bool {
        self.ready.borrow().is_empty() && self.callbacks.borrow().is_empty()
    }

    /// Moves what other threads sent to the back of the ready queue.
    #[inline]
    pub(crate) fn take_remote(&self) {
        if self.shared.has_remote() {
            self.take_remote_slow();
        }
    }

    #[cold]
    fn take_remote_slow(&self) {
        let mut items = self.remote_buf.take();
        self.shared.take_remote(&mut items);
        for item in items.drain(..) {
            match item {
                Remote::Step(runnable) => self.push_ready(runnable),
                Remote::Cancel { key, id } => self.wake_registered(key, id),
                Remote::Call(call) => self.call_soon(Callback::Remote(call)),
            }
        }
        self.remote_buf.replace(items);
    }

    /// Asks the selector what became ready within `timeout`; the wakers of I/O that did go
    /// to `fired`, ahead of the timers (asyncio's `_process_events` runs before due timers are
    /// moved to the ready queue).
    fn select(&self, timeout: Option<Duration>, fired: &mut Vec<Fired>) {
        let mut selector = self.selector.borrow_mut();
        if let Err(error) = selector.select(timeout, |woken| {
            fired.push(match woken {
                Woken::Task(waker) => Fired::Wake(waker),
                Woken::Callback(callback) => Fired::Io(callback),
            });
        }) {
            panic!("corio: the event loop's selector failed: {error}");
        }
    }

    /// Whether a pass that does not block should ask the selector what is ready: a source or
    /// an fd callback is registered, or a signal arrived.
    fn io_due(&self) -> bool {
        self.selector.borrow().has_sources() || self.signals.borrow().take_pending()
    }

    /// Blocks in the selector for at most `timeout` (`None`: until an event or a wake from
    /// another thread), unless `still_waiting` says there is nothing to wait for.
    fn sleep(
        &self,
        timeout: Option<Duration>,
        fired: &mut Vec<Fired>,
        still_waiting: impl FnOnce(&LoopShared) -> bool,
    ) {
        self.shared
            .sleep(still_waiting, || self.select(timeout, fired));
    }

    /// Waits until something can be ready: I/O, the next timer's deadline, or a wake from
    /// another thread. Under virtual time the clock jumps to the deadline instead, once the
    /// selector (polled without blocking) has nothing.
    fn wait_for_work(&self, fired: &mut Vec<Fired>) {
        let next_wakeup = self.timers.borrow_mut().next_wakeup();
        match (&self.clock, next_wakeup) {
            (Clock::Virtual(_), deadline) => {
                // I/O that is ready and thread work the loop knows of take no virtual time:
                // they come first.
                loop {
                    // Read before draining: the worker hands its result over, then decrements.
                    let external = self.shared.external();
                    self.take_remote();
                    if self.io_due() {
                        self.select(Some(Duration::ZERO), fired);
                    }
                    if !self.idle() || !fired.is_empty() {
                        return;
                    }
                    if external == 0 {
                        break;
                    }
                    self.sleep(None, fired, |shared| shared.external() == external);
                }
                match deadline {
                    Some(deadline) => self.clock.advance_to(deadline),
                    // No timer, but a task waits for I/O: only the world can wake it.
                    None if self.selector.borrow().has_waiters() => {
                        self.sleep(None, fired, |_| true);
                    }
                    None => panic!(
                        "corio: deadlock under virtual time: the main future is waiting, but no \
                         task is ready, no timer is armed, no I/O is awaited and no thread work \
                         is outstanding, so nothing can ever wake it"
                    ),
                }
            }
            (Clock::Real, deadline) => {
                let timeout = match deadline {
                    None => None,
                    Some(deadline) => {
                        let now = self.clock.now();
                        if now >= deadline {
                            return;
                        }
                        Some(Duration::from_nanos(deadline - now))
                    }
                };
                self.sleep(timeout, fired, |_| true);
            }
        }
    }

    /// One pass of the loop, as asyncio's `_run_once`. `fired` is the runner's buffer (empty
    /// between passes) for what the selector and the timers fire in this pass.
    pub(crate) fn run_once(&self, fired: &mut Vec<Fired>) {
        self.passes.set(self.passes.get() + 1);
        self.take_remote();
        if self.idle() {
            self.wait_for_work(fired);
            self.take_remote();
            self.just_selected.set(true);
        } else {
            // A busy loop still looks at I/O, as asyncio's `select(0)` each pass, but not in
            // the pass right after a select (a socket ping-pong would pay a syscall per hop
            // for nothing), unless an fd callback (`add_reader`, level-triggered) must run
            // every pass its fd is ready, as asyncio's does.
            let after_select = self.just_selected.replace(false)
                && !self.selector.borrow().has_every_pass_watches();
            if !after_select && self.io_due() {
                self.select(Some(Duration::ZERO), fired);
                self.just_selected.set(true);
            }
        }
        // A pass with no timer armed skips the clock: reading it is most of a hot pass's cost.
        if !self.timers.borrow().is_empty() {
            let now = self.clock.now();
            self.timers.borrow_mut().fire_due(now, |waker| {
                fired.push(match callbacks::marker_slot(&waker) {
                    Some(slot) => Fired::Call(
                        self.remove_timer_callback(&mut self.timer_callbacks.borrow_mut(), slot),
                    ),
                    None => Fired::Wake(waker),
                })
            });
        }
        let steps = self.ready.borrow().len();
        let calls = self.callbacks.borrow().len();
        if calls == 0 {
            // No callback to merge: the pass is the ready queue's first `steps` entries.
            for _ in 0..steps {
                self.run_ready_item();
            }
        } else {
            for _ in 0..steps + calls {
                self.run_next();
            }
        }
        // What the selector and the timers fired comes last in this pass, in that order: the
        // woken tasks step in the next, and `call_later` callbacks run here, as asyncio's
        // I/O and timer callbacks do.
        // One item (a virtual-time loop fires one deadline a pass) skips `drain`'s
        // bookkeeping.
        if fired.len() == 1 {
            if let Some(item) = fired.pop() {
                self.run_fired(item);
            }
        } else if !fired.is_empty() {
            for item in fired.drain(..) {
                self.run_fired(item);
            }
        }
    }

    /// Runs what the selector or the timers fired: wakes a task, or runs a callback.
    #[inline(always)]
    fn run_fired(&self, item: Fired) {
        match item {
            Fired::Wake(waker) => waker.wake(),
            Fired::Call(callback) => {
                slow::callback(&self.shared, "call_later", || callback.run());
            }
            Fired::Io(callback) => {
                slow::callback(&self.shared, "add_reader/add_writer", || callback.run());
            }
        }
    }

    /// Runs the next item of the merged FIFO: the first callback if every step queued before
    /// it has run, else the first task step.
    fn run_next(&self) {
        let callback = {
            let mut callbacks = self.callbacks.borrow_mut();
            match callbacks.front() {
                Some(&(position, _))
                    if position <= self.popped.get() || self.ready.borrow().is_empty() =>
                {
                    callbacks.pop_front()
                }
                _ => None,
            }
        };
        match callback {
            Some((_, callback)) => slow::callback(&self.shared, "call_soon", || callback.run()),
            None => {
                self.run_ready_item();
            }
        }
    }

    /// Runs the step at the front of the ready queue, if any; returns whether there was one.
    fn run_ready_item(&self) -> bool {
        // The borrow ends before the step runs: running it may push to the queue.
        let Some(runnable) = self.ready.borrow_mut().pop_front() else {
            return false;
        };
        self.popped.set(self.popped.get() + 1);
        self.stepping.run_step(&self.shared, runnable);
        true
    }

    // ---- The loop's end (for `rt::shutdown`).

    /// Whether a task step is ready.
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.borrow().is_empty()
    }

    /// Runs the next ready task step, if any, and takes what other threads sent meanwhile;
    /// returns whether there was a step.
    pub(crate) fn run_one_step(&self) -> bool {
        let ran = self.run_ready_item();
        self.take_remote();
        ran
    }

    /// Takes the callbacks still queued or armed, so the caller drops them outside the
    /// loop's borrows (a closure's destructor may schedule more).
    pub(crate) fn take_callbacks(&self) -> (VecDeque<(u64, Callback)>, Slab<Callback>) {
        let queued = std::mem::take(&mut *self.callbacks.borrow_mut());
        let armed = std::mem::take(&mut *self.timer_callbacks.borrow_mut());
        (queued, armed)
    }

    /// Takes every fd callback out of the selector, for the caller to drop.
    pub(crate) fn unwatch_all_fds(&self) -> Vec<Rc<FdCallback>> {
        self.selector.borrow_mut().unwatch_all()
    }
}
