//! Where context variables live: the thread's current context, the context each task keeps
//! between its steps, and the switch between them (the public side is
//! [`context_vars`](crate::rt::context_vars)).
//!
//! A context is a sorted map from variable ids to values, shared by `Rc` as an immutable
//! snapshot: copying it (for a new task, a callback, `copy_context`) is one count increment,
//! and a `set` copies the map only while another context shares it (copy-on-write, as Python's
//! HAMT-based `Context`, with a vector where Python has a trie: a set is O(n) in the variables
//! set, a copy O(1)). An empty context is a null pointer.
//!
//! What a program that uses no variable pays: a spawn tests the thread's context (null: the
//! task gets nothing, nothing is allocated); a step tests the task's `HAS_VARS` bit before the
//! poll and the thread's context after it. The loop keeps the thread's context empty between
//! steps ([`LoopVars`]), so a step switches only when its task has a context or set a
//! variable.

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::rt::task_state::{DONE, TaskMeta};

/// The values of one context, by variable id, sorted.
pub(crate) type Values = Vec<(u64, Rc<dyn Any>)>;

/// A context as something holds it (a task between its steps, a `ContextSnapshot`, the thread
/// outside a loop): its values and its identity, which a `Token` checks.
#[derive(Default)]
pub(crate) struct Ctx {
    /// `None`: no variable set.
    pub(crate) values: Option<Rc<Values>>,
    /// 0 until a `Token` needs to name this context.
    pub(crate) id: u64,
}

impl Ctx {
    /// A new context with the same values (Python's `Context.copy()`): O(1).
    pub(crate) fn copy(&self) -> Ctx {
        Ctx {
            values: self.values.clone(),
            id: 0,
        }
    }
}

thread_local! {
    /// The values of the context code on this thread runs in, as `Rc::into_raw` (null:
    /// empty). A raw pointer, not an `Option<Rc>`: a thread-local without a destructor costs
    /// one load to reach. A context still current when its thread ends is leaked.
    static CURRENT: Cell<*const Values> = const { Cell::new(std::ptr::null()) };
    /// The current context's identity (0: not named yet).
    static CURRENT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Ids of contexts, given when a `Token` first names one.
static NEXT_CONTEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether the thread's current context holds no value.
#[inline(always)]
pub(crate) fn current_is_empty() -> bool {
    CURRENT.get().is_null()
}

/// Makes `ctx` current; returns the context it replaces.
pub(crate) fn swap(ctx: Ctx) -> Ctx {
    let new = ctx.values.map_or(std::ptr::null(), Rc::into_raw);
    let old = CURRENT.replace(new);
    let id = CURRENT_ID.replace(ctx.id);
    Ctx {
        // SAFETY: a non-null `CURRENT` is an `Rc::into_raw` whose count the thread-local
        // owned; it passes to the caller.
        values: (!old.is_null()).then(|| unsafe { Rc::from_raw(old) }),
        id,
    }
}

/// Takes the current context out, leaving the thread in an empty one.
pub(crate) fn take() -> Ctx {
    swap(Ctx::default())
}

/// A copy of the current context (a new context with the same values).
pub(crate) fn capture() -> Ctx {
    let current = CURRENT.get();
    if current.is_null() {
        return Ctx::default();
    }
    // SAFETY: a non-null `CURRENT` is an `Rc::into_raw` that the thread-local owns one count
    // of; this takes another for the copy.
    let values = unsafe {
        Rc::increment_strong_count(current);
        Rc::from_raw(current)
    };
    Ctx {
        values: Some(values),
        id: 0,
    }
}

/// The current context's values, for a reader: an `Rc` clone of the map (no user code runs
/// while the thread-local is borrowed).
pub(crate) fn current_values() -> Option<Rc<Values>> {
    capture().values
}

/// Runs `f` on the current context's values and identity, taken out of the thread-local (and
/// put back even if `f` panics), naming the context first if `named`.
pub(crate) fn with_current<R>(named: bool, f: impl FnOnce(&mut Option<Rc<Values>>, u64) -> R) -> R {
    /// Puts the context back.
    struct PutBack(Ctx);
    impl Drop for PutBack {
        fn drop(&mut self) {
            drop(swap(std::mem::take(&mut self.0)));
        }
    }
    let mut current = PutBack(take());
    if named && current.0.id == 0 {
        current.0.id = NEXT_CONTEXT_ID.fetch_add(1, Ordering::Relaxed);
    }
    let id = current.0.id;
    f(&mut current.0.values, id)
}

/// Runs `f` in `ctx` (it becomes current; what `f` sets stays in it), then puts the caller's
/// context back, even if `f` panics.
pub(crate) fn run_in<R>(ctx: &mut Ctx, f: impl FnOnce() -> R) -> R {
    /// Gives `ctx` what `f` left and puts the caller's context back.
    struct Restore<'a> {
        ctx: &'a mut Ctx,
        caller: Ctx,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            *self.ctx = swap(std::mem::take(&mut self.caller));
        }
    }
    let caller = swap(std::mem::take(ctx));
    let _restore = Restore { ctx, caller };
    f()
}

/// Wraps a callback so it runs in a copy of the current context, as asyncio's `call_soon`
/// (`context=None` copies the current one); with an empty context, the callback as it is
/// (what it sets is dropped after it: [`discard_stray`]).
#[inline]
pub(crate) fn bind<F>(f: F) -> Bound<F> {
    Bound {
        ctx: if current_is_empty() {
            None
        } else {
            Some(capture())
        },
        f,
    }
}

/// A callback with the context it runs in (see [`bind`]).
pub(crate) struct Bound<F> {
    ctx: Option<Ctx>,
    f: F,
}

impl<F> Bound<F> {
    /// Gives the callback to `run` in its context.
    #[inline]
    pub(crate) fn enter<R>(self, run: impl FnOnce(F) -> R) -> R {
        let f = self.f;
        match self.ctx {
            None => run(f),
            Some(mut ctx) => run_in(&mut ctx, || run(f)),
        }
    }
}

impl<F: FnOnce()> Bound<F> {
    /// Runs the callback in its context.
    #[inline]
    pub(crate) fn call(self) {
        self.enter(|f| f());
    }
}

/// The current context set aside (see [`set_aside`]): its raw parts, so the guard that holds
/// it has no drop glue on the eager path; [`give_back`] owns them again. One not given back
/// is leaked.
#[derive(Clone, Copy)]
pub(crate) struct Aside {
    values: *const Values,
    id: u64,
}

/// Sets the current context aside, for a step run inside another (an eager task's first
/// step, inside its creator's): a step starts from an empty context.
#[inline(always)]
pub(crate) fn set_aside() -> Aside {
    // An empty context has no identity either (only a `set` names one): nothing to move.
    if current_is_empty() {
        return Aside {
            values: std::ptr::null(),
            id: 0,
        };
    }
    Aside {
        values: CURRENT.replace(std::ptr::null()),
        id: CURRENT_ID.replace(0),
    }
}

/// Makes the context [`set_aside`] took current again, dropping what the step left (nothing,
/// unless it unwound).
#[inline(always)]
pub(crate) fn give_back(aside: Aside) {
    if aside.values.is_null() && current_is_empty() {
        return;
    }
    let left = CURRENT.replace(aside.values);
    CURRENT_ID.set(aside.id);
    if !left.is_null() {
        drop_raw(left);
    }
}

#[cold]
#[inline(never)]
fn drop_raw(values: *const Values) {
    // SAFETY: `values` was the thread-local's `Rc::into_raw`, whose count it owned; the
    // thread-local no longer holds it.
    drop(unsafe { Rc::from_raw(values) });
}

/// After a callback that ran with no context of its own: drops what it set, so the thread's
/// context stays empty between steps.
#[inline(always)]
pub(crate) fn discard_stray() {
    if !current_is_empty() {
        drop_current();
    }
}

#[cold]
#[inline(never)]
fn drop_current() {
    drop(take());
}

/// Keeps the thread's context empty while a loop runs (outside tasks and callbacks, which
/// run in their own), and puts the caller's back at the end.
pub(crate) struct LoopVars {
    caller: Ctx,
}

impl LoopVars {
    pub(crate) fn enter() -> Self {
        LoopVars { caller: take() }
    }

    /// The caller's context: what the main task starts with a copy of.
    pub(crate) fn caller(&self) -> &Ctx {
        &self.caller
    }
}

impl Drop for LoopVars {
    fn drop(&mut self) {
        drop(swap(std::mem::take(&mut self.caller)));
    }
}

/// At a task's creation: gives it a copy of the current context, if that is not empty.
#[inline(always)]
pub(crate) fn inherit(meta: &TaskMeta) {
    if !current_is_empty() {
        inherit_slow(meta);
    }
}

#[cold]
#[inline(never)]
fn inherit_slow(meta: &TaskMeta) {
    meta.put_vars(capture());
}

/// Before a task's step: makes its context current if it `has_vars` (the task's bit).
#[inline(always)]
pub(crate) fn enter_step(meta: &TaskMeta, has_vars: bool) {
    if has_vars {
        enter_slow(meta);
    }
}

#[cold]
#[inline(never)]
fn enter_slow(meta: &TaskMeta) {
    // The loop keeps the thread's context empty between steps (an eager step sets its
    // creator's aside first): nothing to keep. Whatever a stray wrote there is dropped.
    drop(swap(meta.take_vars()));
}

/// After a task's step (its future polled, or dropped if it finished): keeps the context it
/// ran in for its next step (a task that had none and set a variable gets one), or drops it
/// if the task is done; the thread's context is empty again. A task's context is never empty
/// once it has one (a `reset` leaves an empty map, not none), so the thread's tells it all.
#[inline(always)]
pub(crate) fn leave_step(meta: &TaskMeta) {
    if !current_is_empty() {
        leave_slow(meta);
    }
}

#[cold]
#[inline(never)]
fn leave_slow(meta: &TaskMeta) {
    let ctx = take();
    if meta.has(DONE) {
        // Its values' destructors run here, on the loop's thread, in an empty context.
        drop(ctx);
    } else {
        meta.put_vars(ctx);
    }
}

/// Drops a task's future (`drop`) in the task's context, then the context: for a task whose
/// body is dropped unfinished (closed by its handle, or by the loop's end).
pub(crate) fn drop_in_task(meta: &TaskMeta, drop: impl FnOnce()) {
    if !meta.has_vars() && current_is_empty() {
        return drop();
    }
    let mut ctx = meta.take_vars();
    run_in(&mut ctx, drop);
}

/// A task's context while it is not running, in its rarely-allocated extension: touched only
/// on the loop's thread (at creation, in steps, in the body's drop), so a `Cell` of a
/// non-`Send` context behind a `Sync` wrapper.
#[derive(Default)]
pub(crate) struct TaskVars(Cell<Ctx>);

// SAFETY: the context inside is reached only through `TaskMeta::put_vars` / `take_vars`, which
// run only on the task's loop thread (spawn, step, the body's drop, all there); other threads
// reach the extension for the name or the cancel message, never this field. Its drop, which
// may run on another thread (the last handle's), leaks what is left instead of dropping it:
// the body's drop, on the loop's thread, has taken it out by then.
unsafe impl Send for TaskVars {}
// SAFETY: as for `Send`: only the loop's thread reads or writes the cell.
unsafe impl Sync for TaskVars {}

impl TaskVars {
    pub(crate) fn put(&self, ctx: Ctx) {
        let old = self.0.replace(ctx);
        debug_assert!(
            old.values.is_none(),
            "a task's context is put back once per step"
        );
        drop(old);
    }

    pub(crate) fn take(&self) -> Ctx {
        self.0.take()
    }
}

impl Drop for TaskVars {
    fn drop(&mut self) {
        std::mem::forget(self.0.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::context_vars::ContextVar;

    static VAR: ContextVar<u32> = ContextVar::new("var");

    #[test]
    fn a_copy_shares_the_values_until_one_side_sets() {
        let token = VAR.set(1);
        let copy = capture();
        let current = current_values().unwrap();
        // O(1): the same map, not a deep copy.
        assert!(Rc::ptr_eq(copy.values.as_ref().unwrap(), &current));
        drop(current);
        let second = VAR.set(2);
        // The set copied the map (the copy still held it); the copy kept its value.
        let current = current_values().unwrap();
        assert!(!Rc::ptr_eq(copy.values.as_ref().unwrap(), &current));
        assert_eq!(copy.values.as_ref().unwrap().len(), 1);
        let mut copy = copy;
        assert_eq!(run_in(&mut copy, || VAR.get()), Some(1));
        drop(current);
        VAR.reset(second);
        VAR.reset(token);
        assert_eq!(VAR.get(), None);
    }
}
