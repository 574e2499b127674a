//! The function-like macros. Each is a `macro_rules!` wrapper that hands its input to the
//! proc macro in `corio-macros` together with `$crate`, so expansions reach corio through the
//! right path even when the dependency is renamed.

/// Runs futures concurrently and waits for all of them, as `asyncio.gather(*aws)`.
///
/// Three forms, each a future to `.await`:
///
/// * `gather!(a, b, c)` outputs the tuple `(A, B, C)`; the children may be of different types.
/// * `gather!(..iter)` takes any `IntoIterator` of futures of one type and outputs a `Vec<T>`
///   ([`GatherAll`](crate::GatherAll)); an empty iterator outputs an empty `Vec`.
/// * `gather!(try a, b, c)` and `gather!(try ..iter)`: each child outputs a `Result<T, E>`
///   (one `E` for all); outputs `Ok((A, B, C))` (or `Ok(Vec<T>)`), or the first `Err` as soon
///   as a child fails, after dropping every other child at once (asyncio's
///   `return_exceptions=False`, except that the rest are cancelled rather than left running).
///
/// Children may be anything `IntoFuture` ([`Task`](crate::Task)s included) and may borrow
/// local data. They are evaluated once, in order, where the macro is called.
///
/// ```
/// use corio::{gather, sleep, time};
///
/// async fn after(delay: u64, what: &str) -> &str {
///     sleep(delay).await;
///     what
/// }
///
/// let out = corio::Runner::new().virtual_time().run(async {
///     let (a, b) = gather!(after(2, "a"), after(1, "b")).await;
///     let all = gather!(..[3, 1, 2].map(|d| async move { sleep(d).await; d })).await;
///     let failed = gather!(try
///         async { sleep(5).await; Ok(1) },
///         async { sleep(1).await; Err::<u8, _>("boom") },
///     )
///     .await;
///     ((a, b), all, failed, time())
/// });
/// // Argument order, not completion order; everything ran concurrently; the error came at 1.0
/// // and dropped the sleeper that had 4 more seconds to go.
/// assert_eq!(out, (("a", "b"), vec![3, 1, 2], Err("boom"), 6.0));
/// ```
///
/// What it promises:
///
/// * **Outputs in argument order**, whatever order the children finish in.
/// * **Children run inside the awaiting task.** Each child is polled inline when the gather is
///   polled (first in argument order), not spawned as a task of its own as asyncio's `gather`
///   does; that is what makes `gather!` an allocation-free state machine that runs on any
///   executor. With nothing else running beside the gathered children the printed output is
///   asyncio's, line for line (see the `factorial_gather` example). Relative to *other*
///   tasks, a child's first step runs when the gather is first polled (asyncio: one loop pass
///   later), and children woken in the same pass run within the awaiter's one turn; to get
///   asyncio's interleaving exactly, gather tasks: `gather!(create_task(a), create_task(b))`.
/// * **Cost.** The fixed form is a struct generated at the call site with one slot per child:
///   it allocates nothing and re-polls every unfinished child when woken (as `futures::join!`
///   and `tokio::join!`; with a handful of children that is cheaper than a waker per child).
///   The spread form gives each child its own waker, so a wake re-polls only that child and the
///   cost per child stays flat however many there are.
/// * **Cancellation is drop.** Dropping the gather (or cancelling the task awaiting it) drops
///   every unfinished child and every output not yet handed out, each exactly once; a child
///   that is a [`Task`](crate::Task) being awaited is then cancelled.
/// * **Panics** in a child propagate to the awaiter (a panic inside a gathered
///   [`Task`](crate::Task) becomes its `Err(TaskError)` output instead, with `is_panic()`).
/// * **Any executor**: `gather!` needs no runtime; it is `Send` when the children (and their
///   outputs) are, so it runs on tokio's multi-thread runtime too.
///
/// Misuse is a compile error at the offending token: `gather!()`, `..` without an iterator, a
/// `..iter` mixed with other futures, `try` with nothing after it, a missing comma, a child of
/// the `try` form that does not output a `Result`.
#[macro_export]
macro_rules! gather {
    ($($input:tt)*) => {
        $crate::__private::gather_impl!(crate = $crate; $($input)*)
    };
}

/// Waits for a future for at most a timeout, as `asyncio.wait_for(aw, timeout)`.
///
/// `wait_for!(future, timeout)` is a future ([`WaitFor`](crate::WaitFor)) of
/// `Result<T, TimeoutError>`: `Ok` with the future's output if it finishes in time, else
/// [`Err(TimeoutError)`](crate::TimeoutError). The future may be anything `IntoFuture`, and may
/// borrow (it need not be `'static`). The timeout is seconds as an integer or a float (`1`,
/// `0.5`), a [`Duration`](std::time::Duration), an `Option` of one, or `None` for no timeout;
/// asyncio's keyword form `timeout = 1.0` is accepted too.
///
/// ```
/// let out = corio::Runner::new().virtual_time().run(async {
///     let fast = corio::wait_for!(async { corio::sleep(1).await; "fast" }, 2).await;
///     let slow = corio::wait_for!(corio::sleep(3600), timeout = 1.0).await;
///     let patient = corio::wait_for!(async { corio::sleep(5).await; 5 }, None).await;
///     (fast, slow, patient, corio::time())
/// });
/// assert_eq!(out, (Ok("fast"), Err(corio::TimeoutError), Ok(5), 7.0));
/// ```
///
/// What it promises:
///
/// * **The future is polled first**, at every poll, so a future that is ready never times out,
///   even with a timeout of `0` or less (CPython's `wait_for` times such a call out without
///   running the coroutine; corio returns the value).
/// * **The deadline** is armed at the first poll, right after the future's first poll, at
///   `time() + timeout` on the loop's clock, so virtual time applies. A timeout of zero or less
///   arms nothing: a future still pending after its first poll times out at once.
/// * **At an exact tie, a timer inside the future wins**: in `wait_for!(sleep(1), 1)` both
///   timers come due in the same loop pass and the future, polled first, returns `Ok`. A
///   future that finishes a pass after its timer (awaiting a [`Task`](crate::Task) that
///   sleeps until the deadline) loses, as in asyncio, whose timeout is armed before the
///   coroutine starts and so wins every exact tie.
/// * **On timeout the future is dropped before the error returns**: its destructors run and a
///   [`Task`](crate::Task) it was awaiting is cancelled; when that cancellation needs a step of
///   the loop, `wait_for!` lets it run first, so the task's destructors have run by the time
///   the error arrives (except in the tie above, where the task's step, already queued, runs
///   right after, in the same pass). It returns at the timeout's loop time: a cancelled corio
///   task cannot await in its clean-up, so there is nothing more to wait for (CPython waits).
/// * **Dropping** the `wait_for!` future at any point drops the inner future exactly once and
///   disarms the deadline.
/// * **Any executor**: inside a corio loop the deadline is one of the loop's timers; elsewhere
///   (`futures::executor::block_on`, tokio's runtimes, smol) it is a portable real-time timer,
///   as [`sleep`](crate::sleep()) uses there. The future is `Send` when the inner one is.
///
/// ```
/// use std::time::Duration;
///
/// let out = futures::executor::block_on(async {
///     corio::wait_for!(corio::sleep(Duration::from_secs(60)), Duration::from_millis(1)).await
/// });
/// assert_eq!(out, Err(corio::TimeoutError));
/// ```
///
/// # Errors at compile time and at run time
///
/// A call without a timeout, with extra arguments or with an unknown option is a compile error
/// at the offending token; a timeout of the wrong type reports "`...` is not a timeout". A NaN,
/// infinite or too large timeout panics where `wait_for!` is called, naming the value; the
/// `wait_for!` future panics if polled again after it returned.
#[macro_export]
macro_rules! wait_for {
    ($($input:tt)*) => {
        $crate::__private::wait_for_impl!(crate = $crate; $($input)*)
    };
}

/// Yields outputs in completion order, as `for aw in asyncio.as_completed(aws): await aw`.
///
/// A `futures_core::Stream` of the children's outputs, first finished first, with an
/// inherent `async fn next()` so no extension trait is needed:
///
/// * `as_completed!(..iter)` takes any `IntoIterator` of futures of one type
///   ([`AsCompleted`](crate::AsCompleted), `Unpin`): `while let Some(x) = s.next().await`.
/// * `as_completed!(..iter, timeout = t)` ([`AsCompletedTimeout`](crate::AsCompletedTimeout))
///   yields `Ok(output)` for each child that finishes within `t` (seconds as an integer or
///   float, or a [`Duration`](std::time::Duration)) of the stream's first poll; if the deadline
///   passes first it yields one [`Err(TimeoutError)`](crate::TimeoutError) and ends, as asyncio
///   raises `TimeoutError` out of the loop.
/// * `as_completed!(a, b, c)` ([`AsCompletedFixed`](crate::AsCompletedFixed)): children of
///   different types with one output type, used as the spread form is:
///   `let mut s = as_completed!(a, b); while let Some(x) = s.next().await { .. }`. The
///   children live in a struct generated at the call site, boxed once so the stream is
///   `Unpin`: one allocation per call, holding every child (no per-child waker: each poll
///   polls every unfinished child, fine for the handful of futures one writes out).
///
/// ```
/// use corio::{TimeoutError, as_completed, sleep, time};
///
/// async fn after(delay: f64) -> f64 {
///     sleep(delay).await;
///     delay
/// }
///
/// corio::Runner::new().virtual_time().run(async {
///     let mut order = Vec::new();
///     let mut results = as_completed!(..[3.0, 1.0, 2.0].map(after));
///     while let Some(delay) = results.next().await {
///         order.push((time(), delay));
///     }
///     assert_eq!(order, [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]);
///
///     let mut results = as_completed!(..[5.0, 0.5].map(after), timeout = 1);
///     assert_eq!(results.next().await, Some(Ok(0.5)));
///     assert_eq!(results.next().await, Some(Err(TimeoutError)));
///     assert_eq!(results.next().await, None);
///     assert_eq!(time(), 4.0);
///
///     let mut results = as_completed!(after(2.0), async { 0.0 });
///     assert_eq!(results.next().await, Some(0.0));
///     assert_eq!(results.next().await, Some(2.0));
/// });
/// ```
///
/// What it promises:
///
/// * **Completion order.** Children that finish in the same poll come out in the order they
///   were woken (at the first poll: argument order); outputs of children that finished in an
///   earlier poll come before those of later ones.
/// * **Every child starts at the first poll** and is polled again whenever it is woken, even
///   while earlier outputs wait to be taken. Children run inside the task that polls the stream
///   (see [`gather!`](crate::gather!) for what that means beside other tasks): between two
///   `next()` calls a child's timers run, but its code resumes at the next poll.
/// * **Linear work.** The spread forms give each child its own waker and poll only the woken
///   ones: `n` children cost `O(n)` in all, whatever order they finish in. A finished child's
///   future is dropped before its output is yielded.
/// * **The timeout** uses [`sleep`](crate::sleep())'s timer; children are polled before it, so
///   a child that finishes at the deadline is yielded, not timed out. Unlike asyncio (whose
///   children are tasks that keep running after the timeout), the unfinished children are
///   dropped when the stream is dropped; gather [`Task`](crate::Task)s to keep them running.
/// * **Cancellation is drop.** Dropping the stream at any point drops every unfinished child
///   exactly once.
/// * **Any executor**; the streams are `Send` when the children (and their outputs) are.
///
/// Misuse is a compile error at the offending token: `as_completed!()`, an unknown option, a
/// `timeout` without `..iter` or without a value, a `..iter` mixed with other futures,
/// children with different output types.
#[macro_export]
macro_rules! as_completed {
    ($($input:tt)*) => {
        $crate::__private::as_completed_impl!(crate = $crate; $($input)*)
    };
}
