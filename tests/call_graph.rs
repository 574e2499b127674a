//! The call graph (issue 13 item 1): `capture_call_graph`, `format_call_graph`, and what debug
//! mode records, checked line by line under virtual time.

use corio::{Runner, TaskRef, all_tasks, capture_call_graph, format_call_graph, sleep};

#[corio::coroutine]
async fn leaf(secs: u64) {
    sleep(secs).await;
}

#[corio::coroutine]
async fn worker(secs: u64) {
    leaf(secs).await;
}

/// Two worker tasks awaited through `gather!`, and a third task that draws the graph while
/// they sleep. (A site's column is its `await` keyword's; its source is the await as
/// `stringify!` renders it.)
#[corio::coroutine]
async fn supervise() -> String {
    let a = corio::create_task_named("worker-a", worker(1));
    let b = corio::create_task(worker(2));
    let drawing = corio::create_task(async {
        sleep(0.5).await;
        format_call_graph()
    });
    let (a, b) = corio::gather!(a, b).await;
    a.unwrap();
    b.unwrap();
    drawing.await.unwrap()
}

fn debug_runner() -> Runner {
    Runner::new().virtual_time().debug(true)
}

#[test]
fn the_graph_shows_each_task_where_it_waits_and_who_awaits_it() {
    let drawn = debug_runner().run(supervise());
    assert_eq!(
        drawn,
        "Task-1 supervise  at tests/call_graph.rs:27:39 corio :: gather! (a, b).await\n\
         ├── worker-a worker  at tests/call_graph.rs:13:16 leaf(secs).await\n\
         │     leaf  at tests/call_graph.rs:8:17 sleep(secs).await\n\
         └── Task-3 worker  at tests/call_graph.rs:13:16 leaf(secs).await\n\
         \x20     leaf  at tests/call_graph.rs:8:17 sleep(secs).await\n\
         Task-4\n"
    );
}

#[test]
fn outside_debug_mode_the_graph_holds_the_tasks_alone() {
    let drawn = Runner::new().virtual_time().debug(false).run(supervise());
    assert_eq!(drawn, "Task-1\nworker-a\nTask-3\nTask-4\n");
}

fn task_named(name: &str) -> TaskRef {
    all_tasks()
        .into_iter()
        .find(|task| task.name() == name)
        .unwrap()
}

#[test]
fn capture_gives_the_frames_outermost_first_and_the_awaiters() {
    debug_runner().run(async {
        let a = corio::create_task_named("worker-a", worker(1));
        let watcher = corio::create_task_named("watcher", async {
            sleep(0.5).await;
            let graph = capture_call_graph(&task_named("worker-a"));
            let stack: Vec<(String, usize, String)> = graph
                .call_stack()
                .iter()
                .map(|frame| {
                    let site = frame.await_site().unwrap();
                    let at = format!("{}:{}", site.line(), site.source());
                    (frame.name().to_owned(), frame.depth(), at)
                })
                .collect();
            let awaiters: Vec<String> = graph
                .awaited_by()
                .iter()
                .map(|g| g.task().name().into_owned())
                .collect();
            (stack, awaiters)
        });
        a.await.unwrap();
        let (stack, awaiters) = watcher.await.unwrap();
        assert_eq!(
            stack,
            [
                ("worker".to_owned(), 0, "13:leaf(secs).await".to_owned()),
                ("leaf".to_owned(), 1, "8:sleep(secs).await".to_owned()),
            ]
        );
        assert_eq!(awaiters, ["Task-1"]);
    });
}

#[corio::coroutine]
async fn both_leaves() {
    corio::gather!(leaf(1), leaf(2)).await;
}

#[test]
fn coroutines_gathered_inside_one_task_are_branches_of_its_stack() {
    let drawn = debug_runner().run(async {
        let task = corio::create_task(both_leaves());
        sleep(0.5).await;
        let drawn = format_call_graph();
        task.await.unwrap();
        // Once they have returned, their frames are gone.
        let after = capture_call_graph(&corio::current_task().unwrap());
        assert!(after.call_stack().is_empty());
        drawn
    });
    assert_eq!(
        drawn,
        "Task-1\n\
         Task-2 both_leaves  at tests/call_graph.rs:102:38 corio :: gather! (leaf(1), leaf(2)).await\n\
         \x20 leaf  at tests/call_graph.rs:8:17 sleep(secs).await\n\
         \x20 leaf  at tests/call_graph.rs:8:17 sleep(secs).await\n"
    );
}

#[test]
fn a_cancelled_task_leaves_no_frame_behind() {
    debug_runner().run(async {
        let task = corio::create_task_named("doomed", worker(5));
        sleep(1).await;
        assert_eq!(
            capture_call_graph(&task_named("doomed")).call_stack().len(),
            2
        );
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        let drawn = format_call_graph();
        assert_eq!(drawn, "Task-1\n");
    });
}

#[test]
fn debug_mode_shows_in_the_loops_repr() {
    debug_runner().run(async {
        let event_loop = corio::get_running_loop();
        assert!(event_loop.get_debug());
        assert_eq!(
            format!("{event_loop:?}"),
            "<corio.EventLoop running=True closed=False debug=True>"
        );
    });
}

#[test]
fn a_task_handle_shows_its_coroutine_and_where_it_is_as_asyncios_repr() {
    debug_runner().run(async {
        let task = corio::create_task_named("worker-a", worker(1));
        assert_eq!(format!("{task:?}"), "<Task pending name='worker-a'>");
        sleep(0.5).await;
        assert_eq!(
            format!("{task:?}"),
            "<Task pending name='worker-a' coro=<worker() running at tests/call_graph.rs:13:16>>"
        );
        task.await.unwrap();
    });
    Runner::new().virtual_time().debug(false).run(async {
        let task = corio::create_task_named("worker-a", worker(1));
        sleep(0.5).await;
        assert_eq!(format!("{task:?}"), "<Task pending name='worker-a'>");
        task.await.unwrap();
    });
}

/// The names and depths of `task`'s frames, outermost first.
fn stack_of(task: &TaskRef) -> Vec<(String, usize)> {
    capture_call_graph(task)
        .call_stack()
        .iter()
        .map(|frame| (frame.name().to_owned(), frame.depth()))
        .collect()
}

#[corio::coroutine]
async fn spawns_eagerly() {
    let task = corio::create_eager_task_named("eager", worker(1));
    sleep(0.5).await;
    assert_eq!(
        stack_of(&task_named("eager")),
        [("worker".to_owned(), 0), ("leaf".to_owned(), 1)]
    );
    assert_eq!(
        stack_of(&task_named("Task-1")),
        [("spawns_eagerly".to_owned(), 0)]
    );
    task.await.unwrap();
}

/// An eager task's first step runs inside its creator's poll, but its outermost coroutine is
/// its own task's root, not a child of the creator's frame.
#[test]
fn an_eager_tasks_frames_are_its_own_not_its_creators() {
    debug_runner().run(spawns_eagerly());
}
