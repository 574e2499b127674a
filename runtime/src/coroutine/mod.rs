//! Coroutine frames: what `#[corio::coroutine]` wraps around an `async fn`'s future, as
//! Python's coroutine object.
//!
//! rustc builds the body's state machine; [`Coroutine`] adds the frame that asyncio users
//! inspect: the name and module path, the state (`inspect.getcoroutinestate`), the await site
//! the body is suspended at, a `repr`-like `Debug`, and the never-awaited report.
//!
//! How the body tells its frame where it is suspended: see [`site`]. A poll that returns
//! `Ready` does not touch the site: on the path every await takes (a frame polled and
//! returning, the common case), the frame costs a few stores and one test.

use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::panic::Location;
use std::pin::Pin;
use std::sync::RwLock;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pub(crate) mod live;
pub(crate) mod site;

use site::{NO_SITE, take_site};

thread_local! {
    /// The reports collected by the running [`capture_never_awaited`], if any.
    static CAPTURED: std::cell::RefCell<Option<Vec<NeverAwaited>>> =
        const { std::cell::RefCell::new(None) };
}

/// This thread's coroutine state that belongs to the poll under way: in debug mode, the frame
/// being polled. Set aside by [`set_aside`] for a task step run inside another frame's poll
/// (an eager task's first step), given back by [`give_back`]. (The await site needs no
/// setting aside: it is `NO_SITE` whenever a body runs.)
#[derive(Clone, Copy)]
pub(crate) struct Polling {
    frame: u32,
}

/// Sets the poll under way aside: the step run next starts with no frame being polled.
pub(crate) fn set_aside() -> Polling {
    Polling {
        frame: live::take_current(),
    }
}

/// Gives back what [`set_aside`] took, however the step run meanwhile ended (a coroutine that
/// panics does not restore it).
pub(crate) fn give_back(polling: Polling) {
    live::restore_current(polling.frame);
}

/// The state of a coroutine, as Python's `inspect.getcoroutinestate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CoroutineState {
    /// `CORO_CREATED`: not polled yet. Dropped in this state, it reports that it was never
    /// awaited.
    Created,
    /// `CORO_RUNNING`: its body is running inside `poll`. Safe code cannot hold a reference to
    /// a coroutine while it is polled, so outside code never sees this state.
    Running,
    /// `CORO_SUSPENDED`: its body returned `Pending` at an `.await` ([`Coroutine::await_site`]
    /// says which).
    Suspended,
    /// `CORO_CLOSED`: its body returned, or panicked; polling it again panics.
    Closed,
}

/// One `.await` in a coroutine's body: where it is in the source and what it awaits.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AwaitSite {
    file: &'static str,
    line: u32,
    column: u32,
    source: &'static str,
}

impl AwaitSite {
    /// Used by the expansions of `#[corio::coroutine]`.
    #[doc(hidden)]
    pub const fn new(file: &'static str, line: u32, column: u32, source: &'static str) -> Self {
        AwaitSite {
            file,
            line,
            column,
            source,
        }
    }

    /// The source file, as `file!()` gives it.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the `await` keyword, from 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column of the `await` keyword, from 1, as `column!()` counts.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The await expression as rustc's `stringify!` renders it, e.g. `corio::sleep(1).await`.
    pub fn source(&self) -> &'static str {
        self.source
    }
}

impl fmt::Display for AwaitSite {
    /// `FILE:LINE:COLUMN: SOURCE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.source
        )
    }
}

/// What a coroutine knows of itself statically: one `static` per `#[corio::coroutine]` fn.
#[derive(Debug)]
pub struct CoroutineInfo {
    name: &'static str,
    module_path: &'static str,
    sites: &'static [AwaitSite],
}

impl CoroutineInfo {
    /// Used by the expansions of `#[corio::coroutine]`.
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        module_path: &'static str,
        sites: &'static [AwaitSite],
    ) -> Self {
        CoroutineInfo {
            name,
            module_path,
            sites,
        }
    }

    /// The coroutine's name: the fn's name, or the attribute's `name = "..."`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module the fn is defined in, as `module_path!()`.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// Every instrumented `.await` of the body, in source order.
    pub fn await_sites(&self) -> &'static [AwaitSite] {
        self.sites
    }
}

pin_project! {
    /// A coroutine object: the future of a `#[corio::coroutine] async fn`, with its frame.
    ///
    /// Calling the fn runs nothing; awaiting the coroutine (or spawning it with
    /// `create_task`) runs it, as Python's `async def`. It is a [`Future`] that behaves exactly
    /// as the bare `async fn`'s future (same output, same wakes, same drop order: dropping it
    /// at any point runs each of the body's destructors once), and adds:
    ///
    /// * [`name`](Coroutine::name) and [`module_path`](Coroutine::module_path);
    /// * [`state`](Coroutine::state), as `inspect.getcoroutinestate`, and the
    ///   [`await_site`](Coroutine::await_site) it is suspended at;
    /// * `Debug` printing `<coroutine object NAME at 0x...>`, as Python's `repr`;
    /// * the never-awaited report: dropped before its first poll, it reports
    ///   `coroutine 'NAME' was never awaited` (see [`set_never_awaited_hook`]).
    ///
    /// It is `Send`, `Sync` and `Unpin` exactly when the body's future is.
    ///
    /// # Panics
    ///
    /// Polled again after it returned or panicked (Python's `cannot reuse already awaited
    /// coroutine`).
    #[must_use = "a coroutine does nothing unless awaited or spawned"]
    pub struct Coroutine<F> {
        frame: Frame,
        #[pin]
        future: F,
    }

    impl<F> PinnedDrop for Coroutine<F> {
        fn drop(this: Pin<&mut Self>) {
            if this.frame.state & SPECIAL != 0 {
                this.frame.dropped_unfinished();
            }
        }
    }
}

// A frame's state, one word: [`CoroutineState`], the await site a suspended frame is at, and
// whether its drop has work to do (debug mode's live frames, the never-awaited report), so
// that each poll and each drop tests one word.
/// Suspended at an await: the state is the site's index (or `NO_SITE`), up to this.
const SUSPENDED_MAX: u32 = NO_SITE as u32;
/// Its body is being polled, or returned, or panicked: from outside a poll, closed. A poll
/// that returns `Ready` leaves it, so the path every await ends on stores nothing.
const RUNNING: u32 = SUSPENDED_MAX + 1;
/// Added to a state off the plain path, whose drop has work to do: `CREATED` (the
/// never-awaited report), and the states of a frame among the live ones (its poll keeps its
/// entry up to date, its drop removes it). After a poll, only a live frame's state has it.
const SPECIAL: u32 = 1 << 31;
/// Not polled yet.
const CREATED: u32 = SPECIAL | (SUSPENDED_MAX + 2);

/// What a coroutine holds beside its body's future. Not generic: the rare work around a poll
/// (debug mode's live frames, a poll after the end, the never-awaited report) is done by its
/// methods, out of line (`poll_special`, the drop), so the per-coroutine `poll` on the path
/// of every nested await stays a few instructions, and a few words of stack even unoptimised
/// (a debug build's recursion is as deep as with bare `async fn`s, give or take a constant).
struct Frame {
    info: &'static CoroutineInfo,
    /// Where the coroutine was created (the call of its fn).
    created_at: &'static Location<'static>,
    /// `CREATED`, `RUNNING`, or the site it is suspended at; with `SPECIAL` added while it is
    /// among the live frames.
    state: u32,
    /// Its entry among the thread's live frames, from its first poll until it returns
    /// (`live::NONE` when not recording).
    key: u32,
}

impl Frame {
    /// The state as seen from outside a poll. No safe code can look at a coroutine while it
    /// is polled, so `Running` seen from outside means its body panicked: it is closed.
    fn state(&self) -> CoroutineState {
        match self.state {
            CREATED => CoroutineState::Created,
            state if state & !SPECIAL <= SUSPENDED_MAX => CoroutineState::Suspended,
            _ => CoroutineState::Closed,
        }
    }

    /// Whether a poll from `state` takes the plain path: suspended and not among the live
    /// frames, or not polled yet while no loop in debug mode runs on this thread.
    #[inline]
    fn plain(state: u32) -> bool {
        state <= SUSPENDED_MAX || (state == CREATED && !live::recording())
    }

    /// Before a poll off the plain path: a first poll in debug mode registers the frame among
    /// the live ones; a live frame resumed becomes the one being polled; a poll after the end
    /// panics. Out of line, as every method of the frame: one copy, not one per coroutine.
    #[inline(never)]
    fn enter_special(&mut self, state: u32) {
        let live = match state {
            CREATED => {
                self.key = live::register(self.info, self.created_at);
                self.key != live::NONE
            }
            state if state & SPECIAL != 0 && state & !SPECIAL <= SUSPENDED_MAX => {
                live::enter(self.key);
                true
            }
            _ => polled_after_close(self.info),
        };
        self.state = if live { SPECIAL | RUNNING } else { RUNNING };
    }

    /// After a poll off the plain path: a live frame records where it is suspended, or that
    /// it returned, and gives the enclosing frame its place back; any other, as the plain
    /// path does. Out of line.
    #[inline(never)]
    fn leave_special(&mut self, ready: bool) {
        if self.state & SPECIAL == 0 {
            if !ready {
                self.state = u32::from(take_site());
            }
            return;
        }
        let site = take_site();
        live::leave(self.key, site, ready);
        self.state = match ready {
            true => RUNNING,
            false => SPECIAL | u32::from(site),
        };
    }

    /// Dropped before its first poll (the never-awaited report), or while among the live
    /// frames (its entry removed).
    #[cold]
    #[inline(never)]
    fn dropped_unfinished(&self) {
        if self.state == CREATED {
            // Where it was created is said in debug mode, as asyncio says it.
            let at = live::recording().then_some(self.created_at);
            report_never_awaited(self.info, at);
        } else {
            live::remove(self.key);
        }
    }
}

impl<F: Future> Coroutine<F> {
    /// Wraps the body's future in its frame. Used by the expansions of `#[corio::coroutine]`,
    /// whose fns are `#[track_caller]`, so the frame knows where the coroutine was created
    /// (debug mode's never-awaited report and call graph say it).
    #[doc(hidden)]
    #[inline(always)]
    #[track_caller]
    pub fn new(info: &'static CoroutineInfo, future: F) -> Self {
        Coroutine {
            frame: Frame {
                info,
                created_at: Location::caller(),
                state: CREATED,
                key: live::NONE,
            },
            future,
        }
    }
}

impl<F> Coroutine<F> {
    /// The coroutine's name (Python's `__name__`): the fn's name, or the attribute's
    /// `name = "..."`.
    pub fn name(&self) -> &'static str {
        self.frame.info.name
    }

    /// The module its fn is defined in, as `module_path!()` there.
    pub fn module_path(&self) -> &'static str {
        self.frame.info.module_path
    }

    /// What the coroutine knows statically: name, module path, await sites.
    pub fn info(&self) -> &'static CoroutineInfo {
        self.frame.info
    }

    /// Its state, as `inspect.getcoroutinestate`.
    pub fn state(&self) -> CoroutineState {
        self.frame.state()
    }

    /// The `.await` it is suspended at, while [`Suspended`](CoroutineState::Suspended)
    /// (`None` in every other state).
    ///
    /// Awaits written inside another macro's input (`select!`, ...) are opaque to
    /// `#[corio::coroutine]`; suspended at one of those, this is the last instrumented await
    /// the body reached during the poll, or `None`.
    pub fn await_site(&self) -> Option<&'static AwaitSite> {
        match self.frame.state & !SPECIAL {
            site @ ..=SUSPENDED_MAX => self.frame.info.sites.get(site as usize),
            _ => None,
        }
    }
}

impl<F: Future> Future for Coroutine<F> {
    type Output = F::Output;

    // The plain path (a first poll outside debug mode, a resumption outside it) inline, the
    // rest in `poll_special` with its own copy of the body's poll: the plain path then tests
    // the state once before the body and nothing but `Pending` after it, and the rare
    // bookkeeping takes no registers around it (8 instructions fewer per await in
    // `frame_loop` than one shared copy; BENCHMARKS.md, "Stop 18: the frame's plain path",
    // also says what debug mode's first-poll test still costs). No drop guard (whose landing
    // pad would take stack in every level of a debug build): a panic in the body leaves the
    // state `RUNNING`, which reads as `Closed` (an exception closes a Python coroutine).
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if !Frame::plain(this.frame.state) {
            return poll_special(this.frame, this.future, cx);
        }
        this.frame.state = RUNNING;
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            this.frame.state = u32::from(take_site());
        }
        poll
    }
}

/// A poll off the plain path: the first in debug mode, a live frame's, one after the end (which
/// panics). Out of line, generic only for the body's poll.
#[inline(never)]
fn poll_special<F: Future>(
    frame: &mut Frame,
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    frame.enter_special(frame.state);
    let poll = future.poll(cx);
    frame.leave_special(poll.is_ready());
    poll
}

impl<F: Future> futures_core::FusedFuture for Coroutine<F> {
    fn is_terminated(&self) -> bool {
        self.state() == CoroutineState::Closed
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn polled_after_close(info: &CoroutineInfo) -> ! {
    panic!(
        "coroutine '{}' polled after it returned or panicked (cannot reuse already awaited \
         coroutine)",
        info.name
    )
}

impl<F> fmt::Debug for Coroutine<F> {
    /// `<coroutine object NAME at 0x...>`, as Python's `repr`; the address is the
    /// coroutine's own (it may move until first polled).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<coroutine object {} at {:p}>",
            self.frame.info.name, self
        )
    }
}

/// The report of a coroutine dropped before it was ever polled (CPython's
/// `RuntimeWarning: coroutine 'NAME' was never awaited`).
///
/// `Display` prints `coroutine 'NAME' was never awaited`, and in debug mode where it was
/// created: `coroutine 'NAME' was never awaited (created at src/main.rs:12:5)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeverAwaited {
    info: &'static CoroutineInfo,
    created_at: Option<&'static Location<'static>>,
}

impl NeverAwaited {
    /// The coroutine's name.
    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// The module its fn is defined in.
    pub fn module_path(&self) -> &'static str {
        self.info.module_path
    }

    /// Where the coroutine was created (the call of its fn), when it was created while a
    /// loop in debug mode ran on its thread; `None` otherwise.
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.created_at
    }
}

impl PartialEq for CoroutineInfo {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for CoroutineInfo {}

impl fmt::Display for NeverAwaited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "coroutine '{}' was never awaited", self.info.name)?;
        if let Some(at) = self.created_at {
            write!(f, " (created at {at})")?;
        }
        Ok(())
    }
}

/// A process-wide handler of never-awaited reports; see [`set_never_awaited_hook`].
pub type NeverAwaitedHook = Box<dyn Fn(&NeverAwaited) + Send + Sync>;

static HOOK: RwLock<Option<NeverAwaitedHook>> = RwLock::new(None);

/// Sets the process-wide handler of never-awaited reports and returns the previous one;
/// `None` restores the default, which writes `RuntimeWarning: coroutine 'NAME' was never
/// awaited` and a newline to stderr (CPython's warning, without its `sys:1:` location).
///
/// The hook runs on the thread that drops the coroutine, inside its destructor: keep it short,
/// and don't panic in it. Reports on a thread inside [`capture_never_awaited`] go to that
/// capture instead.
pub fn set_never_awaited_hook(hook: Option<NeverAwaitedHook>) -> Option<NeverAwaitedHook> {
    let mut slot = HOOK.write().unwrap_or_else(|poison| poison.into_inner());
    std::mem::replace(&mut *slot, hook)
}

/// Runs `f` and returns, beside its result, the never-awaited reports of the coroutines
/// dropped on this thread while it ran, in drop order; they don't reach the hook. Captures
/// nest: the innermost one takes the reports.
///
/// This is how tests check the reports without touching the process-wide hook.
pub fn capture_never_awaited<R>(f: impl FnOnce() -> R) -> (R, Vec<NeverAwaited>) {
    /// Restores the enclosing capture, even if `f` panics.
    struct Restore(Option<Vec<NeverAwaited>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAPTURED.set(self.0.take());
        }
    }
    let restore = Restore(CAPTURED.replace(Some(Vec::new())));
    let result = f();
    let reports = CAPTURED.take().unwrap_or_default();
    drop(restore);
    (result, reports)
}

#[cold]
#[inline(never)]
fn report_never_awaited(
    info: &'static CoroutineInfo,
    created_at: Option<&'static Location<'static>>,
) {
    let report = NeverAwaited { info, created_at };
    // `try_with`: a coroutine dropped while this thread's locals are torn down still reports.
    let report = match CAPTURED.try_with(|captured| match &mut *captured.borrow_mut() {
        Some(reports) => {
            reports.push(report.clone());
            None
        }
        None => Some(report.clone()),
    }) {
        Ok(rest) => rest,
        Err(_) => Some(report),
    };
    let Some(report) = report else { return };
    let hook = HOOK.read().unwrap_or_else(|poison| poison.into_inner());
    match &*hook {
        Some(hook) => hook(&report),
        // Not `eprintln!`: it panics when stderr is closed, and this runs in a destructor.
        None => drop(writeln!(std::io::stderr(), "RuntimeWarning: {report}")),
    }
}
