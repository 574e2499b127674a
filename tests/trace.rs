//! `Runner::trace`: the exact record of a small program under virtual time, its SVG timeline
//! (parsed with an XML parser: one lane per task, from its creation to its end), its JSON, and
//! the README's pictures (`examples/timeline.rs`), which must be what the example draws today.

// The example includes other examples, each declaring its own `mod common;` (`say!` always
// reaches the crate root's copy): files load several times on purpose.
#![allow(clippy::duplicate_mod)]

use corio::{Runner, TaskOutcome, Trace, TracedTask};

mod support;
// `say!` in the included examples reaches `crate::common`.
use support::common;

#[allow(dead_code)]
#[path = "../examples/timeline.rs"]
mod timeline;

#[corio::coroutine]
async fn worker(delay: f64) -> f64 {
    corio::sleep(delay).await;
    corio::time()
}

/// Two coroutine tasks, one plain future cancelled half-way, and a `gather!` of the two.
#[corio::coroutine]
async fn program() -> (f64, f64) {
    let a = corio::create_task_named("a", worker(1.0));
    let b = corio::create_task_named("b", worker(2.0));
    let plain = corio::create_task(async { corio::sleep(5).await });
    corio::sleep(1.5).await;
    plain.cancel();
    let (a, b) = corio::gather!(a, b).await;
    (a.unwrap(), b.unwrap())
}

fn traced<T>(program: impl Future<Output = T>) -> Trace {
    let runner = Runner::new().virtual_time().trace();
    runner.run(program);
    runner.take_trace().expect("the runner traces")
}

/// A task as `(id, name, coroutine, (created time, pass), end)`.
type Summary<'a> = (
    u64,
    &'a str,
    Option<&'a str>,
    (f64, u64),
    Option<(f64, u64, TaskOutcome)>,
);

fn summary(task: &TracedTask) -> Summary<'_> {
    (
        task.id(),
        task.name(),
        task.coroutine(),
        (task.created().time(), task.created().pass()),
        task.end()
            .map(|end| (end.time(), end.pass(), end.outcome())),
    )
}

/// A suspended frame as `(coroutine, line, source)`.
type Frame<'a> = (&'a str, u32, &'a str);

/// A task's steps as `(time, pass, [frame])`.
fn steps(task: &TracedTask) -> Vec<(f64, u64, Vec<Frame<'_>>)> {
    task.steps()
        .iter()
        .map(|step| {
            let frames = step
                .suspended_at()
                .iter()
                .map(|frame| {
                    let site = frame.site().expect("an instrumented await");
                    assert_eq!(site.file(), "tests/trace.rs");
                    (frame.coroutine(), site.line(), site.source())
                })
                .collect();
            (step.time(), step.pass(), frames)
        })
        .collect()
}

#[test]
fn records_each_creation_step_suspension_and_end() {
    let trace = traced(program());
    let tasks = trace.tasks();
    assert_eq!(
        tasks.iter().map(summary).collect::<Vec<_>>(),
        [
            (
                1,
                "Task-1",
                Some("program"),
                (0.0, 0),
                Some((2.0, 13, TaskOutcome::Done))
            ),
            (
                2,
                "a",
                Some("worker"),
                (0.0, 1),
                Some((1.0, 5, TaskOutcome::Done))
            ),
            (
                3,
                "b",
                Some("worker"),
                (0.0, 1),
                Some((2.0, 12, TaskOutcome::Done))
            ),
            (
                4,
                "Task-4",
                None,
                (0.0, 1),
                Some((1.5, 9, TaskOutcome::Cancelled))
            ),
        ]
    );
    let sleep_main = ("program", 31, "corio :: sleep(1.5).await");
    let gather = ("program", 33, "corio :: gather! (a, b).await");
    let sleep_worker = ("worker", 21, "corio :: sleep(delay).await");
    assert_eq!(
        steps(&tasks[0]),
        [
            (0.0, 1, vec![sleep_main]),
            (1.5, 8, vec![gather]),
            (2.0, 13, vec![]),
        ]
    );
    assert_eq!(
        steps(&tasks[1]),
        [(0.0, 2, vec![sleep_worker]), (1.0, 5, vec![])]
    );
    assert_eq!(
        steps(&tasks[2]),
        [(0.0, 2, vec![sleep_worker]), (2.0, 12, vec![])]
    );
    // No coroutine: steps without sites; the cancellation ends it at its next step.
    assert_eq!(steps(&tasks[3]), [(0.0, 2, vec![]), (1.5, 9, vec![])]);
}

/// The picture's parts, read back with an XML parser.
struct Picture {
    /// Each column: its time and x range.
    instants: Vec<(f64, f64, f64)>,
    lanes: Vec<Lane>,
}

struct Lane {
    task: String,
    /// The `life` line's ends.
    start: f64,
    end: f64,
    dashed: bool,
    /// The centre of each step mark.
    steps: Vec<f64>,
    /// Each suspension's full label (its `title`) and visible text.
    waits: Vec<(String, String)>,
}

fn number(node: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap()
}

fn has_class(node: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class") == Some(class)
}

fn title(node: roxmltree::Node<'_, '_>) -> String {
    let title = node.children().find(|c| c.has_tag_name("title")).unwrap();
    title.text().unwrap_or("").to_owned()
}

fn parse(svg: &str) -> Picture {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    let instants = root
        .descendants()
        .filter(|n| has_class(n, "instant"))
        .map(|n| {
            let x = number(n, "x");
            (number(n, "data-time"), x, x + number(n, "width"))
        })
        .collect();
    let lanes = root
        .descendants()
        .filter(|n| has_class(n, "lane"))
        .map(|lane| {
            let life = lane.children().find(|n| has_class(n, "life")).unwrap();
            Lane {
                task: lane.attribute("data-task").unwrap().to_owned(),
                start: number(life, "x1"),
                end: number(life, "x2"),
                dashed: life.attribute("stroke-dasharray").is_some(),
                steps: lane
                    .children()
                    .filter(|n| has_class(n, "step"))
                    .map(|n| number(n, "x") + number(n, "width") / 2.0)
                    .collect(),
                waits: lane
                    .children()
                    .filter(|n| has_class(n, "wait"))
                    .map(|wait| {
                        let text = wait.children().find(|n| has_class(n, "site")).unwrap();
                        (title(wait), text.text().unwrap_or("").to_owned())
                    })
                    .collect(),
            }
        })
        .collect();
    Picture { instants, lanes }
}

impl Picture {
    /// The loop time of the column `x` lies in.
    fn time_at(&self, x: f64) -> f64 {
        let column = self
            .instants
            .iter()
            .find(|(_, left, right)| *left < x && x < *right);
        column
            .unwrap_or_else(|| panic!("x = {x} is in no column"))
            .0
    }
}

#[test]
fn the_svg_has_a_lane_per_task_from_its_creation_to_its_end() {
    let trace = traced(program());
    let picture = parse(&trace.to_svg());
    let times: Vec<f64> = picture.instants.iter().map(|(time, _, _)| *time).collect();
    assert_eq!(times, [0.0, 1.0, 1.5, 2.0]);
    // Columns are ordered left to right, and as wide as the passes run at their time.
    let widths: Vec<f64> = picture.instants.iter().map(|(_, l, r)| r - l).collect();
    // 0: passes 0, 1, 2; 1: pass 5; 1.5: passes 8, 9; 2: passes 12, 13.
    assert_eq!(widths, [36.0, 12.0, 24.0, 24.0]);
    assert!(picture.instants.windows(2).all(|w| w[0].2 < w[1].1));

    let names: Vec<&str> = picture
        .lanes
        .iter()
        .map(|lane| lane.task.as_str())
        .collect();
    assert_eq!(names, ["Task-1", "a", "b", "Task-4"]);
    let spans: Vec<(f64, f64)> = picture
        .lanes
        .iter()
        .map(|lane| (picture.time_at(lane.start), picture.time_at(lane.end)))
        .collect();
    assert_eq!(spans, [(0.0, 2.0), (0.0, 1.0), (0.0, 2.0), (0.0, 1.5)]);
    for (lane, task) in picture.lanes.iter().zip(trace.tasks()) {
        assert!(!lane.dashed);
        let step_times: Vec<f64> = lane.steps.iter().map(|x| picture.time_at(*x)).collect();
        let expected: Vec<f64> = task.steps().iter().map(|step| step.time()).collect();
        assert_eq!(step_times, expected, "{}", lane.task);
        // The lane ends at its last step; a task starts before its first.
        assert_eq!(lane.end, *lane.steps.last().unwrap());
        assert!(lane.start < lane.steps[0]);
    }
    // Passes of one time lie side by side in pass order: `main` (created in pass 0) starts
    // left of `a` and `b` (pass 1), which step in pass 2, right of it.
    let [main, a, b, plain] = &picture.lanes[..] else {
        panic!("four lanes")
    };
    assert!(main.start < a.start && a.start == b.start && b.start == plain.start);
    assert_eq!(main.steps[0], a.start);
    assert!(a.start < a.steps[0] && a.steps[0] == plain.steps[0]);
    // `b` ends in pass 12, `main` in pass 13: side by side at 2 s.
    assert_eq!(b.end + 12.0, main.end);

    // Suspensions are labelled with their await sites.
    let waits: Vec<&str> = main.waits.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(
        waits,
        [
            "program at tests/trace.rs:31:23 corio :: sleep(1.5).await",
            "program at tests/trace.rs:33:39 corio :: gather! (a, b).await",
        ]
    );
    assert_eq!(main.waits[0].1, "program: corio :: sleep(1.5).await");
    assert_eq!(
        a.waits,
        [(
            "worker at tests/trace.rs:21:25 corio :: sleep(delay).await".to_owned(),
            "worker: corio :: sleep(delay).await".to_owned()
        )]
    );
    // A task that runs no coroutine waits without a label.
    assert!(plain.waits.is_empty());
}

#[test]
fn the_json_holds_every_field() {
    let trace = traced(program());
    let json: serde_json::Value = serde_json::from_str(&trace.to_json()).unwrap();
    let tasks = json["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 4);
    let a = &tasks[1];
    assert_eq!(
        *a,
        serde_json::json!({
            "id": 2,
            "name": "a",
            "coroutine": "worker",
            "created": {"time": 0.0, "pass": 1},
            "steps": [
                {"time": 0.0, "pass": 2, "suspended_at": [{
                    "coroutine": "worker",
                    "site": {
                        "file": "tests/trace.rs",
                        "line": 21,
                        "column": 25,
                        "source": "corio :: sleep(delay).await"
                    }
                }]},
                {"time": 1.0, "pass": 5, "suspended_at": []}
            ],
            "end": {"time": 1.0, "pass": 5, "outcome": "done"}
        })
    );
    assert_eq!(tasks[3]["coroutine"], serde_json::Value::Null);
    assert_eq!(tasks[3]["end"]["outcome"], "cancelled");
    // Serde both ways: a tool's copy reads back as the same trace.
    let back: Trace = serde_json::from_value(json).unwrap();
    assert_eq!(back, trace);
}

#[corio::coroutine]
async fn fails() -> Result<(), String> {
    corio::sleep(1).await;
    Err("no".into())
}

#[corio::coroutine]
async fn panics() {
    corio::sleep(2).await;
    panic!("boom");
}

/// Awaits sources with XML's special characters.
#[corio::coroutine]
async fn odd_sources(flag: &str) {
    corio::sleep(if flag < "b" && flag != "\"&'" { 3 } else { 4 }).await;
}

#[corio::coroutine]
async fn ends() {
    let failed = corio::create_task_try(fails());
    let panicked = corio::create_task(panics());
    let _left = corio::create_task(odd_sources("a"));
    assert!(failed.await.unwrap().is_err());
    assert!(panicked.await.unwrap_err().is_panic());
}

#[test]
fn failures_panics_and_unfinished_tasks() {
    let runner = Runner::new().virtual_time().trace();
    runner.run(ends());
    // Taken before the loop ends: the third task is still running.
    let trace = runner.take_trace().unwrap();
    let summaries: Vec<Summary<'_>> = trace.tasks().iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            (
                1,
                "Task-1",
                Some("ends"),
                (0.0, 0),
                Some((2.0, 10, TaskOutcome::Done))
            ),
            (
                2,
                "Task-2",
                Some("fails"),
                (0.0, 1),
                Some((1.0, 5, TaskOutcome::Failed))
            ),
            (
                3,
                "Task-3",
                Some("panics"),
                (0.0, 1),
                Some((2.0, 9, TaskOutcome::Panicked))
            ),
            (4, "Task-4", Some("odd_sources"), (0.0, 1), None),
        ]
    );
    let svg = trace.to_svg();
    let picture = parse(&svg);
    let odd = &picture.lanes[3];
    assert!(odd.dashed);
    // Past the last column: the picture's right edge.
    assert!(odd.end > picture.instants.last().unwrap().2);
    let source = r#"corio :: sleep(if flag < "b" && flag != "\"&'" { 3 } else { 4 }).await"#;
    assert_eq!(odd.waits.len(), 1);
    assert!(odd.waits[0].0.ends_with(source), "{}", odd.waits[0].0);
    assert!(svg.contains("flag &lt; &quot;b&quot; &amp;&amp;"));

    // The loop's end cancels it; the next take holds that alone (its creation was taken).
    runner.close();
    assert_eq!(runner.take_trace().unwrap().tasks(), []);
}

#[test]
fn a_runner_that_does_not_trace_has_no_trace() {
    let runner = Runner::new().virtual_time();
    runner.run(program());
    assert!(runner.take_trace().is_none());
    // An empty trace draws an empty picture.
    let empty = parse(&Trace::default().to_svg());
    assert!(empty.lanes.is_empty() && empty.instants.is_empty());
}

#[test]
fn the_close_of_a_traced_runner_is_traced() {
    let runner = Runner::new().virtual_time().trace();
    runner.run(async {
        corio::create_task(worker(10.0));
        corio::sleep(1).await;
    });
    runner.close();
    let trace = runner.take_trace().unwrap();
    let worker = &trace.tasks()[1];
    // Created in pass 1, suspended in pass 2; the close cancels it at 1 s.
    assert_eq!(
        summary(worker),
        (
            2,
            "Task-2",
            Some("worker"),
            (0.0, 1),
            Some((1.0, 6, TaskOutcome::Cancelled))
        )
    );
    assert_eq!(worker.steps().len(), 2);
}

#[test]
fn a_real_time_trace_has_loop_times_in_order() {
    let runner = Runner::new().trace();
    runner.run(async {
        let task = corio::create_task(worker(0.0));
        task.await.unwrap();
    });
    let trace = runner.take_trace().unwrap();
    let names: Vec<&str> = trace.tasks().iter().map(|task| task.name()).collect();
    assert_eq!(names, ["Task-1", "Task-2"]);
    let picture = parse(&trace.to_svg());
    for (task, lane) in trace.tasks().iter().zip(&picture.lanes) {
        let end = task.end().unwrap();
        let mut instants = vec![(task.created().time(), task.created().pass())];
        instants.extend(task.steps().iter().map(|step| (step.time(), step.pass())));
        instants.push((end.time(), end.pass()));
        assert!(instants.is_sorted(), "{instants:?}");
        assert_eq!(picture.time_at(lane.start), task.created().time());
        assert_eq!(picture.time_at(lane.end), end.time());
    }
    // The worker: suspended once at its `sleep(0)`, then done.
    let worker = &trace.tasks()[1];
    assert_eq!(worker.steps().len(), 2);
    assert_eq!(worker.steps()[0].suspended_at()[0].coroutine(), "worker");
    assert_eq!(worker.end().unwrap().outcome(), TaskOutcome::Done);
}

#[test]
fn an_eager_task_steps_in_its_creators_pass() {
    let runner = Runner::new().virtual_time().eager_tasks(true).trace();
    runner.run(async {
        let task = corio::create_task(worker(1.0));
        task.await.unwrap();
    });
    let trace = runner.take_trace().unwrap();
    let worker = &trace.tasks()[1];
    // Created and first stepped in pass 1, inside Task-1's step.
    assert_eq!(
        summary(worker),
        (
            2,
            "Task-2",
            Some("worker"),
            (0.0, 1),
            Some((1.0, 4, TaskOutcome::Done))
        )
    );
    assert_eq!(
        steps(worker),
        [
            (0.0, 1, vec![("worker", 21, "corio :: sleep(delay).await")]),
            (1.0, 4, vec![])
        ]
    );
}

/// The test includes the example from `tests/`, so rustc names the example's files
/// `tests/../examples/...` here; the pictures the example itself writes say `examples/...`.
fn as_the_example_writes(svg: &str) -> String {
    svg.replace("tests/../examples/", "examples/")
}

#[test]
fn the_readme_pictures_are_what_the_example_draws() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for (name, svg) in timeline::pictures() {
        let committed = std::fs::read_to_string(docs.join(name)).unwrap();
        assert!(
            committed == as_the_example_writes(&svg),
            "docs/{name} is not what `cargo run --example timeline` draws today: run it"
        );
    }
}

#[test]
fn the_factorial_picture_shows_three_coroutines_in_one_task() {
    let trace = timeline::factorial_trace();
    let picture = parse(&trace.to_svg());
    assert_eq!(picture.lanes.len(), 1);
    let main = &picture.lanes[0];
    assert_eq!(
        (main.task.as_str(), picture.time_at(main.start)),
        ("Task-1", 0.0)
    );
    assert_eq!(picture.time_at(main.end), 3.0);
    let labels: Vec<&str> = main.waits.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(
        labels,
        [
            "factorial ×3: corio :: sleep(1).await",
            "factorial ×2: corio :: sleep(1).await",
            "factorial: corio :: sleep(1).await",
        ]
    );
}

#[test]
fn the_flags_picture_has_the_main_task_the_server_and_a_task_per_connection() {
    let trace = timeline::flags_trace();
    let picture = parse(&trace.to_svg());
    assert_eq!(picture.lanes.len(), 22);
    let coroutines: Vec<Option<&str>> = trace.tasks().iter().map(|t| t.coroutine()).collect();
    assert_eq!(coroutines[0], Some("program"));
    // The server's accept loop runs no coroutine; the connections run `serve_flag`.
    assert_eq!(coroutines[1], None);
    assert!(coroutines[2..].iter().all(|c| *c == Some("serve_flag")));
    for (lane, task) in picture.lanes.iter().zip(trace.tasks()) {
        let end = task.end().unwrap();
        assert_eq!(picture.time_at(lane.start), task.created().time());
        assert_eq!(picture.time_at(lane.end), end.time());
        // The server is cancelled by the loop's end; everything else finished.
        let outcome = if task.id() == 2 {
            TaskOutcome::Cancelled
        } else {
            TaskOutcome::Done
        };
        assert_eq!(end.outcome(), outcome, "{}", task.name());
    }
}
