//! Context variables, as Python's `contextvars`: [`ContextVar`], the [`Token`] of a `set`, and
//! [`ContextSnapshot`] (`contextvars.Context`, from [`copy_context`]).
//!
//! Each task runs in a copy of the context current where it was created, made in O(1) (a
//! shared snapshot, copied on write; see `context_store`), so what a task sets is seen by it
//! across its awaits and by the tasks it creates afterwards, never by its creator or its
//! siblings, exactly as asyncio's tasks each run in a `copy_context()`. Callbacks
//! (`call_soon`, `call_later`, `call_at`, done callbacks) run in a copy of the context current
//! where they were scheduled, as asyncio's (`context=None`).
//!
//! What differs from asyncio is said on [`ContextVar`].

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::rt::context_store::{self, Ctx};

/// Ids of variables, given on first use (so `ContextVar::new` can be `const`, for statics).
static NEXT_VAR_ID: AtomicU64 = AtomicU64::new(1);

/// A context variable, as Python's `contextvars.ContextVar`: a value per context, so per task.
///
/// Declare it once (a `static` works: [`new`](Self::new) is `const`) and read it with
/// [`get`](Self::get) in any task: each task sees the value it was created with, or the one it
/// set since. Where asyncio code uses a `ContextVar`, a `thread_local!` is wrong on corio:
/// every task of the loop shares the thread, so all of them would see the last value set.
///
/// ```
/// use corio_runtime::{ContextVar, Runner, create_task, sleep};
///
/// static REQUEST: ContextVar<String> = ContextVar::new("request");
///
/// async fn handle(id: u32) -> String {
///     REQUEST.set(format!("req-{id}"));
///     sleep(0.1).await; // the others set theirs meanwhile
///     REQUEST.get().unwrap()
/// }
///
/// let seen = Runner::new().virtual_time().run(async {
///     let tasks: Vec<_> = (0..3).map(|id| create_task(handle(id))).collect();
///     let mut seen = Vec::new();
///     for task in tasks {
///         seen.push(task.await.unwrap());
///     }
///     (seen, REQUEST.get())
/// });
/// assert_eq!(seen, (vec!["req-0".into(), "req-1".into(), "req-2".into()], None));
/// ```
///
/// Values are kept as `Rc<T>` in the context: [`get`](Self::get) clones the value
/// (`T: Clone`), [`get_rc`](Self::get_rc) only the `Rc`. Where the variable was never set,
/// `get` gives the default or `None` (Python raises `LookupError`). A `static` variable needs
/// `T: Sync` (its default lives in it); for an `Rc` value, declare it in a `thread_local!`.
///
/// What runs in which context, as asyncio: a task in a copy of the context current where it
/// was created (O(1): the values are shared until one side sets one); the main task of
/// [`Runner::run`](crate::Runner::run) in a copy of the caller's, or in a given context with
/// [`Runner::run_with_context`](crate::Runner::run_with_context); `call_soon`, `call_later`,
/// `call_at` callbacks and done callbacks (of a task or a `SettableFuture`) in a copy of the
/// context current where they were scheduled or added, so what they set goes with them.
///
/// Where corio differs: contexts are bound to their thread (values need not be `Send`), so
/// work sent to another thread (`to_thread`, `run_in_executor`), callbacks from another thread
/// (`call_soon_threadsafe`), fd callbacks (`add_reader`, `add_writer`) and signal handlers run
/// in an empty context, where asyncio copies the caller's; a `ContextSnapshot` has no mapping
/// API beyond [`len`](ContextSnapshot::len).
pub struct ContextVar<T: 'static> {
    name: &'static str,
    /// 0 until first used.
    id: AtomicU64,
    default: Option<T>,
    /// Values live in contexts, not here: the variable is `Sync` (a `static`) when `T` is.
    _values: PhantomData<fn() -> T>,
}

impl<T: 'static> ContextVar<T> {
    /// A variable with no default, as `ContextVar(name)`.
    pub const fn new(name: &'static str) -> Self {
        ContextVar {
            name,
            id: AtomicU64::new(0),
            default: None,
            _values: PhantomData,
        }
    }

    /// A variable whose [`get`](Self::get) gives `default` where it was never set, as
    /// `ContextVar(name, default=...)`.
    pub const fn with_default(name: &'static str, default: T) -> Self {
        ContextVar {
            name,
            id: AtomicU64::new(0),
            default: Some(default),
            _values: PhantomData,
        }
    }

    /// The variable's name, as `ContextVar.name`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn id(&self) -> u64 {
        match self.id.load(Ordering::Acquire) {
            0 => {
                let new = NEXT_VAR_ID.fetch_add(1, Ordering::Relaxed);
                match self
                    .id
                    .compare_exchange(0, new, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => new,
                    Err(existing) => existing,
                }
            }
            id => id,
        }
    }

    /// The value in the current context, as an `Rc`, or `None` where it was never set (the
    /// default is not looked at).
    pub fn get_rc(&self) -> Option<Rc<T>> {
        let values = context_store::current_values()?;
        let id = self.id();
        let at = values.binary_search_by_key(&id, |(key, _)| *key).ok()?;
        let value = values[at].1.clone();
        Some(
            value
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("a variable's id names values of its type")),
        )
    }

    /// The value in the current context, else the default, else `None`, as
    /// `ContextVar.get()`.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        match self.get_rc() {
            Some(value) => Some(T::clone(&value)),
            None => self.default.clone(),
        }
    }

    /// Sets the value in the current context, as `ContextVar.set()`: the task that sets it
    /// sees it from now on, across its awaits, and so do the tasks and callbacks it creates
    /// afterwards; its creator and its siblings do not. The [`Token`] puts the previous value
    /// back ([`reset`](Self::reset)); dropping it keeps the new one.
    pub fn set(&self, value: T) -> Token<T> {
        let id = self.id();
        let value: Rc<dyn Any> = Rc::new(value);
        let (previous, context) = context_store::with_current(true, |values, context| {
            // Copy-on-write: the map is copied only if another context shares it.
            let values = Rc::make_mut(values.get_or_insert_with(Rc::default));
            let previous = match values.binary_search_by_key(&id, |(key, _)| *key) {
                Ok(at) => Some(std::mem::replace(&mut values[at].1, value)),
                Err(at) => {
                    values.insert(at, (id, value));
                    None
                }
            };
            (previous, context)
        });
        Token {
            var: id,
            context,
            name: self.name,
            previous,
            _values: PhantomData,
        }
    }

    /// Puts back the value `token`'s `set` replaced (or unsets the variable if it had none),
    /// as `ContextVar.reset(token)`. `reset` takes the token, so Python's
    /// `RuntimeError: <Token> has already been used once` is a compile-time error here.
    ///
    /// # Panics
    ///
    /// As Python raises `ValueError`, with its message: `corio::ContextVar::reset(): <Token
    /// var=<ContextVar name='a'>> was created by a different ContextVar` for a token of
    /// another variable, and `... was created in a different Context` for one set in another
    /// context (another task, say). The variable is left unchanged.
    ///
    /// A token used twice does not compile:
    ///
    /// ```compile_fail,E0382
    /// static LEVEL: corio_runtime::ContextVar<u32> = corio_runtime::ContextVar::new("level");
    ///
    /// let token = LEVEL.set(1);
    /// LEVEL.reset(token);
    /// LEVEL.reset(token); // use of moved value: `token`
    /// ```
    pub fn reset(&self, token: Token<T>) {
        let id = self.id();
        if token.var != id {
            panic!(
                "corio::ContextVar::reset(): {token:?} was created by a different ContextVar \
                 (asyncio: ValueError)"
            );
        }
        let replaced = context_store::with_current(false, |values, context| {
            if context != token.context {
                return Err(());
            }
            let values = Rc::make_mut(values.get_or_insert_with(Rc::default));
            let at = values.binary_search_by_key(&id, |(key, _)| *key);
            Ok(match (at, token.previous) {
                (Ok(at), Some(previous)) => Some(std::mem::replace(&mut values[at].1, previous)),
                (Ok(at), None) => Some(values.remove(at).1),
                (Err(at), Some(previous)) => {
                    values.insert(at, (id, previous));
                    None
                }
                (Err(_), None) => None,
            })
        });
        match replaced {
            // Dropped outside the borrow: a value's destructor may read variables.
            Ok(replaced) => drop(replaced),
            Err(()) => panic!(
                "corio::ContextVar::reset(): <Token var=<ContextVar name='{}'>> was created in \
                 a different Context (asyncio: ValueError)",
                self.name
            ),
        }
    }
}

impl<T: 'static> fmt::Debug for ContextVar<T> {
    /// `<ContextVar name='request'>`, as Python's repr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<ContextVar name='{}'>", self.name)
    }
}

/// What [`ContextVar::set`] replaced, to put it back with [`ContextVar::reset`], as Python's
/// `contextvars.Token`; valid in the context it was made in (the task that set it), once.
pub struct Token<T: 'static> {
    var: u64,
    /// The id of the context `set` ran in.
    context: u64,
    name: &'static str,
    /// The value `set` replaced (`None`: it had none, Python's `Token.MISSING`).
    previous: Option<Rc<dyn Any>>,
    _values: PhantomData<Rc<T>>,
}

impl<T: 'static> Token<T> {
    /// The value the variable had before the `set`, or `None` if it had none, as
    /// `Token.old_value` (`Token.MISSING`).
    pub fn old_value(&self) -> Option<Rc<T>> {
        let previous = self.previous.clone()?;
        Some(
            previous
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("a variable's id names values of its type")),
        )
    }
}

impl<T: 'static> fmt::Debug for Token<T> {
    /// `<Token var=<ContextVar name='request'>>`, as Python's repr without the addresses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Token var=<ContextVar name='{}'>>", self.name)
    }
}

/// A context, as Python's `contextvars.Context` from `copy_context()`: run a closure in it
/// ([`run`](Self::run)), or a loop's main task
/// ([`Runner::run_with_context`](crate::Runner::run_with_context)). What runs in it sets
/// variables in it, not in the caller's context. Bound to its thread (not `Send`).
#[derive(Default)]
pub struct ContextSnapshot {
    ctx: Ctx,
}

/// A copy of the current context, as `contextvars.copy_context()`: O(1), the values are
/// shared until one side sets a variable.
pub fn copy_context() -> ContextSnapshot {
    ContextSnapshot {
        ctx: context_store::capture(),
    }
}

impl ContextSnapshot {
    /// An empty context, as `contextvars.Context()`.
    pub fn new() -> Self {
        ContextSnapshot::default()
    }

    /// Runs `f` in this context, as `Context.run(f)`: what `f` sets stays in this context
    /// (the next `run` sees it), not in the caller's, which is current again afterwards, even
    /// if `f` panics. `&mut self`: a context cannot be entered twice at once (Python's
    /// `RuntimeError: cannot enter context`).
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        context_store::run_in(&mut self.ctx, f)
    }

    /// How many variables have a value in it, as `len(ctx)`.
    pub fn len(&self) -> usize {
        self.ctx.values.as_ref().map_or(0, |values| values.len())
    }

    /// Whether no variable has a value in it.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The context itself, for a future that runs in it.
    pub(crate) fn ctx_mut(&mut self) -> &mut Ctx {
        &mut self.ctx
    }
}

impl Clone for ContextSnapshot {
    /// A new context with the same values, as `Context.copy()` (tokens of one are refused by
    /// the other).
    fn clone(&self) -> Self {
        ContextSnapshot {
            ctx: self.ctx.copy(),
        }
    }
}

impl fmt::Debug for ContextSnapshot {
    /// `<Context with 2 variables>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Context with {} variables>", self.len())
    }
}
