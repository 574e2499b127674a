//! Context variables as asyncio's `contextvars`: each task runs in a copy of its creator's
//! context, and callbacks in a copy of the context they were scheduled in. The expected values
//! are what CPython 3.11 gives for the same programs (the Python is in the comments).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use corio_runtime::{
    ContextSnapshot, ContextVar, Runner, SettableFuture, copy_context, create_eager_task,
    create_task, get_running_loop, sleep, time,
};

static REQUEST: ContextVar<String> = ContextVar::new("request");
static LEVEL: ContextVar<u32> = ContextVar::with_default("level", 0);

type Log = Rc<RefCell<Vec<String>>>;

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().unwrap().to_string(),
    }
}

/// ```python
/// request = ContextVar("request")
/// async def handle(i):
///     request.set(f"req-{i}")
///     await asyncio.sleep(1)
///     print(request.get())
/// async def main():
///     await asyncio.gather(*(asyncio.create_task(handle(i)) for i in range(3)))
///     print(request.get(None))
/// # req-0 / req-1 / req-2 / None
/// ```
#[test]
fn the_issues_three_requests_each_print_their_own_id_after_an_await() {
    // With a thread_local all three printed req-2.
    let (printed, main_sees, t) = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let tasks: Vec<_> = (0..3)
            .map(|id| {
                let log = log.clone();
                create_task(async move {
                    REQUEST.set(format!("req-{id}"));
                    sleep(1).await;
                    log.borrow_mut().push(REQUEST.get().unwrap());
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        (log.take(), REQUEST.get(), time())
    });
    assert_eq!(printed, ["req-0", "req-1", "req-2"]);
    assert_eq!(main_sees, None, "a task's set is invisible to its creator");
    assert_eq!(t, 1.0);
}

/// ```python
/// async def a(): level.set(1); await asyncio.sleep(1); log.append(f"a {level.get()}")
/// async def b(): await asyncio.sleep(0.5); log.append(f"b {level.get()}"); level.set(2)
///                await asyncio.sleep(1); log.append(f"b {level.get()}")
/// # ['b 0', 'a 1', 'b 2'], and main still sees 0
/// ```
#[test]
fn siblings_and_the_creator_never_see_each_others_sets_across_awaits() {
    let (log, main_sees) = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let (la, lb) = (log.clone(), log.clone());
        let a = create_task(async move {
            LEVEL.set(1);
            sleep(1).await;
            la.borrow_mut()
                .push(format!("a {} at {}", LEVEL.get().unwrap(), time()));
        });
        let b = create_task(async move {
            sleep(0.5).await;
            lb.borrow_mut()
                .push(format!("b {} at {}", LEVEL.get().unwrap(), time()));
            LEVEL.set(2);
            sleep(1).await;
            lb.borrow_mut()
                .push(format!("b {} at {}", LEVEL.get().unwrap(), time()));
        });
        a.await.unwrap();
        b.await.unwrap();
        (log.take(), LEVEL.get())
    });
    assert_eq!(log, ["b 0 at 0.5", "a 1 at 1", "b 2 at 1.5"]);
    assert_eq!(main_sees, Some(0));
}

/// ```python
/// level.set(1); t = create_task(child()); level.set(2)
/// # child: sees 1, sets 3, creates a grandchild (sees 3), sets 4; main after: 2
/// ```
#[test]
fn a_task_starts_with_its_creators_values_at_creation_and_later_sets_stay_apart() {
    let (child_saw, grandchild_saw, main_after) = Runner::new().virtual_time().run(async {
        LEVEL.set(1);
        let child = create_task(async {
            let saw = LEVEL.get();
            LEVEL.set(3);
            let grandchild = create_task(async {
                sleep(1).await;
                LEVEL.get()
            });
            LEVEL.set(4);
            sleep(0).await;
            ((saw, LEVEL.get()), grandchild.await.unwrap())
        });
        LEVEL.set(2);
        let (saw, grandchild_saw) = child.await.unwrap();
        (saw, grandchild_saw, LEVEL.get())
    });
    assert_eq!(child_saw, (Some(1), Some(4)));
    assert_eq!(
        grandchild_saw,
        Some(3),
        "the parent's later set is invisible"
    );
    assert_eq!(main_after, Some(2));
}

#[test]
fn the_default_shows_where_nothing_was_set() {
    let outside = LEVEL.get();
    let inside = Runner::new().run(async { LEVEL.get() });
    assert_eq!((outside, inside), (Some(0), Some(0)));
    assert_eq!(REQUEST.get(), None);
    assert_eq!(format!("{REQUEST:?}"), "<ContextVar name='request'>");
}

#[test]
fn reset_puts_back_the_previous_value_or_unsets_across_awaits() {
    Runner::new().virtual_time().run(async {
        let first = REQUEST.set("a".into());
        assert_eq!(first.old_value(), None);
        sleep(1).await;
        let second = REQUEST.set("b".into());
        assert_eq!(second.old_value().as_deref().map(String::as_str), Some("a"));
        sleep(1).await;
        assert_eq!(REQUEST.get().as_deref(), Some("b"));
        REQUEST.reset(second);
        assert_eq!(REQUEST.get().as_deref(), Some("a"));
        REQUEST.reset(first);
        assert_eq!(REQUEST.get(), None);
    });
}

#[test]
fn a_token_of_another_variable_is_refused_with_pythons_message() {
    // A `Token<String>` cannot go to a `ContextVar<u32>`: a second String variable stands in.
    static OTHER: ContextVar<String> = ContextVar::new("other");
    let message = Runner::new().run(async {
        let token = REQUEST.set("x".into());
        let message = panic_message(|| OTHER.reset(token));
        assert_eq!(REQUEST.get().as_deref(), Some("x"), "left unchanged");
        message
    });
    assert_eq!(
        message,
        "corio::ContextVar::reset(): <Token var=<ContextVar name='request'>> was created by a \
         different ContextVar (asyncio: ValueError)"
    );
}

/// ```python
/// async def child(token): request.reset(token)   # ValueError: ... in a different Context
/// token = request.set("main"); await create_task(child(token))
/// ```
#[test]
fn a_token_from_another_context_is_refused_with_pythons_message() {
    let (message, after) = Runner::new().run(async {
        let token = REQUEST.set("main".into());
        let child = create_task(async move {
            let message = panic_message(|| REQUEST.reset(token));
            (message, REQUEST.get())
        });
        child.await.unwrap()
    });
    assert_eq!(
        message,
        "corio::ContextVar::reset(): <Token var=<ContextVar name='request'>> was created in a \
         different Context (asyncio: ValueError)"
    );
    assert_eq!(
        after.as_deref(),
        Some("main"),
        "the child's value is untouched"
    );
    // A copy of a context is another context too.
    let mut context = ContextSnapshot::new();
    let token = context.run(|| REQUEST.set("in context".into()));
    let mut copy = context.clone();
    let message = panic_message(|| copy.run(|| REQUEST.reset(token)));
    assert!(message.ends_with("was created in a different Context (asyncio: ValueError)"));
}

#[test]
fn the_main_task_runs_in_a_copy_of_the_callers_context() {
    let token = LEVEL.set(7);
    let runner = Runner::new();
    let seen = runner.run(async {
        let seen = LEVEL.get();
        LEVEL.set(8);
        seen
    });
    assert_eq!(seen, Some(7));
    assert_eq!(
        LEVEL.get(),
        Some(7),
        "the main task's set stays in its copy"
    );
    // Between steps the loop runs in an empty context, and the caller's comes back after.
    assert_eq!(runner.run(async { LEVEL.get() }), Some(7));
    LEVEL.reset(token);
    assert_eq!(LEVEL.get(), Some(0));
}

/// ```python
/// ctx = contextvars.Context(); ctx.run(request.set, "from ctx")
/// runner.run(main(), context=ctx)   # main sees "from ctx", sets "changed"; ctx keeps it
/// ```
#[test]
fn run_with_context_runs_the_main_task_in_that_context_itself() {
    let mut context = ContextSnapshot::new();
    let _token = context.run(|| REQUEST.set("from ctx".into()));
    assert_eq!(REQUEST.get(), None, "set in the context only");
    assert_eq!(context.len(), 1);
    let runner = Runner::new().virtual_time();
    let (first, child_saw) = runner.run_with_context(&mut context, async {
        let seen = REQUEST.get();
        sleep(1).await;
        REQUEST.set("changed".into());
        let child = create_task(async { REQUEST.get() });
        (seen, child.await.unwrap())
    });
    assert_eq!(first.as_deref(), Some("from ctx"));
    assert_eq!(child_saw.as_deref(), Some("changed"));
    assert_eq!(context.run(|| REQUEST.get()).as_deref(), Some("changed"));
    let second = runner.run_with_context(&mut context, async { REQUEST.get() });
    assert_eq!(second.as_deref(), Some("changed"));
    assert_eq!(REQUEST.get(), None);
    // A token made in the context resets in a later run in it: the same context.
    let token = context.run(|| REQUEST.set("again".into()));
    runner.run_with_context(&mut context, async move { REQUEST.reset(token) });
    assert_eq!(context.run(|| REQUEST.get()).as_deref(), Some("changed"));
    assert_eq!(format!("{context:?}"), "<Context with 1 variables>");
}

#[test]
fn copy_context_is_a_snapshot_and_run_keeps_what_it_set() {
    let token = LEVEL.set(1);
    let mut copy = copy_context();
    LEVEL.set(2);
    assert_eq!(
        copy.run(|| LEVEL.get()),
        Some(1),
        "a copy of the values at the call"
    );
    copy.run(|| drop(LEVEL.set(5)));
    assert_eq!(copy.run(|| LEVEL.get()), Some(5));
    assert_eq!(LEVEL.get(), Some(2));
    LEVEL.reset(token);
    assert_eq!(LEVEL.get(), Some(0));
}

/// ```python
/// request.set("main"); loop.call_soon(cb, "soon"); loop.call_later(1, cb, "later")
/// request.set("changed")   # cb prints "main" both times; what cb sets stays in its copy
/// ```
#[test]
fn callbacks_run_in_a_copy_of_the_context_they_were_scheduled_in() {
    let (log, main_after) = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let lp = get_running_loop();
        REQUEST.set("main".into());
        for (what, delay) in [("soon", None), ("later", Some(1.0))] {
            let log = log.clone();
            let callback = move || {
                log.borrow_mut()
                    .push(format!("{what} {:?} at {}", REQUEST.get(), time()));
                REQUEST.set(format!("set by {what}"));
            };
            match delay {
                None => drop(lp.call_soon(callback)),
                Some(delay) => drop(lp.call_later(delay, callback)),
            }
        }
        REQUEST.set("changed".into());
        // A callback scheduled from an empty context runs in an empty one, and what it sets
        // goes with it: the next callback, in the same pass, does not see it.
        let empty = create_task({
            let log = log.clone();
            async move {
                ContextSnapshot::new().run(|| {
                    let lp = get_running_loop();
                    let first = log.clone();
                    drop(lp.call_soon(move || {
                        first
                            .borrow_mut()
                            .push(format!("empty {:?}", REQUEST.get()));
                        LEVEL.set(9);
                    }));
                    drop(lp.call_soon(move || {
                        log.borrow_mut().push(format!("next {:?}", LEVEL.get()));
                    }));
                });
            }
        });
        empty.await.unwrap();
        sleep(2).await;
        (log.take(), (REQUEST.get(), LEVEL.get()))
    });
    assert_eq!(
        log,
        [
            "soon Some(\"main\") at 0",
            "empty None",
            "next Some(0)",
            "later Some(\"main\") at 1"
        ]
    );
    assert_eq!(main_after, (Some("changed".to_owned()), Some(0)));
}

#[test]
fn done_callbacks_run_in_the_context_they_were_added_in_not_the_finishers() {
    let log = Runner::new().virtual_time().run(async {
        let log: Log = Rc::default();
        let task = create_task(async {
            REQUEST.set("finisher".into());
            sleep(1).await;
        });
        let future: SettableFuture<u32> = SettableFuture::new();
        REQUEST.set("adder".into());
        let l = log.clone();
        task.add_done_callback(move || l.borrow_mut().push(format!("task {:?}", REQUEST.get())));
        let l = log.clone();
        let _ = future
            .add_done_callback(move |_| l.borrow_mut().push(format!("future {:?}", REQUEST.get())));
        let setter = future.clone();
        create_task(async move {
            REQUEST.set("setter".into());
            setter.set_result(1);
        })
        .await
        .unwrap();
        task.clone().await.unwrap();
        sleep(0).await;
        log.take()
    });
    assert_eq!(log, ["future Some(\"adder\")", "task Some(\"adder\")"]);
}

#[test]
fn a_cancelled_tasks_destructors_run_in_its_context() {
    struct Report(Rc<RefCell<Option<String>>>);
    impl Drop for Report {
        fn drop(&mut self) {
            *self.0.borrow_mut() = REQUEST.get();
        }
    }
    let (seen, main_sees) = Runner::new().virtual_time().run(async {
        let seen = Rc::new(RefCell::new(None));
        let report = Report(seen.clone());
        let task = create_task(async move {
            REQUEST.set("inner".into());
            let _report = report;
            sleep(10).await;
        });
        sleep(1).await;
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        (seen.take(), REQUEST.get())
    });
    assert_eq!(seen.as_deref(), Some("inner"));
    assert_eq!(main_sees, None);
}

#[test]
fn values_are_dropped_with_the_last_context_that_holds_them() {
    // A `static` variable needs a `Sync` value type (its default lives in it).
    struct Counted(Arc<AtomicU32>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    static HELD: ContextVar<Counted> = ContextVar::new("held");
    let drops = Arc::new(AtomicU32::new(0));
    let (during, after_child) = Runner::new().virtual_time().run({
        let drops = drops.clone();
        async move {
            let child = create_task({
                let drops = drops.clone();
                async move {
                    HELD.set(Counted(drops.clone()));
                    let grandchild = create_task(async { sleep(2).await });
                    sleep(1).await;
                    // Replaced: the first value is still in the grandchild's context.
                    HELD.set(Counted(drops.clone()));
                    let during = drops.load(Ordering::Relaxed);
                    grandchild.await.unwrap();
                    during
                }
            });
            let during = child.await.unwrap();
            (during, drops.load(Ordering::Relaxed))
        }
    });
    assert_eq!(during, 0, "the grandchild's copy holds the first value");
    assert_eq!(after_child, 2, "both dropped once their tasks ended");
}

/// ```python
/// level.set(1)
/// t = asyncio.eager_task_factory-style create_task(child())  # child sees 1, sets 5, sleeps
/// # main still sees 1, sets 2; child after its sleep sees 5
/// ```
#[test]
fn an_eager_tasks_first_step_runs_in_its_copy_and_the_creator_keeps_its_own() {
    let (child, main_saw) = Runner::new().virtual_time().run(async {
        LEVEL.set(1);
        let child = create_eager_task(async {
            let first = LEVEL.get();
            LEVEL.set(5);
            sleep(1).await;
            (first, LEVEL.get())
        });
        let after_create = LEVEL.get();
        // One that finishes inside the call, from the creator's context too.
        let done = create_eager_task(async {
            REQUEST.set("eager".into());
            REQUEST.get()
        });
        assert!(done.done());
        LEVEL.set(2);
        let child = child.await.unwrap();
        (
            child,
            (
                after_create,
                REQUEST.get(),
                done.await.unwrap(),
                LEVEL.get(),
            ),
        )
    });
    assert_eq!(child, (Some(1), Some(5)));
    assert_eq!(main_saw, (Some(1), None, Some("eager".to_owned()), Some(2)));
}
