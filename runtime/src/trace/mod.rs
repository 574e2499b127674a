//! A traced run's timeline: [`Trace`], what [`Runner::trace`] records, as data, as JSON and as
//! an SVG picture.
//!
//! The loop's hooks (`rt::trace_log`) append raw events; this module groups them by task.

use serde::{Deserialize, Serialize};

use crate::rt::runner::Runner;
use crate::rt::task_state::{CANCELLED, FAILED, PANICKED};
use crate::rt::trace_log::{EventKind, SuspendedFrame, TraceLog};

mod svg;

/// What a traced run recorded ([`Runner::trace`], then [`Runner::take_trace`]): every task the
/// loop created, in creation order, with its creation, its steps and its end.
///
/// Times are loop times in seconds ([`time`](crate::time)'s clock: exact under virtual time);
/// passes number the loop's passes (asyncio's `_run_once`) from 1, so that steps at one loop
/// time are told apart and ordered: the main task is created in pass 0, before the first.
/// A step runs in one pass at one time; under virtual time every step of a pass shares its
/// time.
///
/// It renders as an SVG timeline ([`to_svg`](Trace::to_svg)) and as JSON
/// ([`to_json`](Trace::to_json)); `Trace` is `Serialize` and `Deserialize` (serde) for other
/// formats.
///
/// ```
/// use corio_runtime::{Runner, TaskOutcome, create_task, sleep};
///
/// let runner = Runner::new().virtual_time().trace();
/// runner.run(async {
///     let child = create_task(async {
///         sleep(2).await;
///     });
///     sleep(1).await;
///     child.cancel();
///     assert!(child.await.unwrap_err().is_cancelled());
/// });
/// let trace = runner.take_trace().unwrap();
/// let child = &trace.tasks()[1];
/// assert_eq!((child.created().time(), child.created().pass()), (0.0, 1));
/// let end = child.end().unwrap();
/// assert_eq!((end.time(), end.outcome()), (1.0, TaskOutcome::Cancelled));
/// assert!(trace.to_svg().starts_with("<svg"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    tasks: Vec<TracedTask>,
}

/// One task of a [`Trace`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedTask {
    id: u64,
    name: String,
    coroutine: Option<String>,
    created: TraceInstant,
    steps: Vec<TraceStep>,
    end: Option<TraceEnd>,
}

/// When something happened: a loop time and the loop pass.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceInstant {
    time: f64,
    pass: u64,
}

/// One step of a task (one poll of its future) and where it was left suspended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    #[serde(flatten)]
    at: TraceInstant,
    suspended_at: Vec<TraceFrame>,
}

/// A coroutine frame a step left suspended: the innermost `#[corio::coroutine]` of one branch
/// of the task (a task awaiting `gather!` of three coroutines has three), with its await.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFrame {
    coroutine: String,
    site: Option<TraceSite>,
}

/// An `.await` in a coroutine's source: a copy of its [`AwaitSite`](crate::AwaitSite).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSite {
    file: String,
    line: u32,
    column: u32,
    source: String,
}

/// How and when a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEnd {
    #[serde(flatten)]
    at: TraceInstant,
    outcome: TaskOutcome,
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskOutcome {
    /// Its future returned (an `Err` of a task made with `create_task` included).
    Done,
    /// It was cancelled: at a step, or its future dropped unfinished (the loop's end, a
    /// dropped handle).
    Cancelled,
    /// Its future returned an `Err` that counts as a failure (`create_task_try`, a group's
    /// fallible member).
    Failed,
    /// Its future panicked.
    Panicked,
}

impl Runner {
    /// The trace a [`traced`](Runner::trace) runner recorded since it was made or since the
    /// last take (a task created before that take is left out), leaving it recording afresh.
    /// `None` for a runner that does not trace, and while its loop runs (from inside one of
    /// its tasks).
    ///
    /// Call it after [`run`](Runner::run) (tasks still running have no
    /// [`end`](TracedTask::end)) or after [`close`](Runner::close), whose cancellations of
    /// leftover tasks it then holds.
    pub fn take_trace(&self) -> Option<Trace> {
        self.take_trace_log().map(Trace::from_log)
    }
}

impl Trace {
    /// Groups the raw events by task. A task id seen again after its task was created names
    /// a new task (a loop that ended on a panic is replaced by one counting from 1 again).
    fn from_log(log: TraceLog) -> Self {
        let mut tasks: Vec<TracedTask> = Vec::new();
        // The index in `tasks` of each id's latest task.
        let mut latest = std::collections::HashMap::new();
        for event in log.events {
            let at = TraceInstant {
                time: event.time_ns as f64 / 1e9,
                pass: event.pass,
            };
            if let EventKind::Created(name) = event.kind {
                latest.insert(event.task, tasks.len());
                tasks.push(TracedTask {
                    id: event.task,
                    name,
                    coroutine: None,
                    created: at,
                    steps: Vec::new(),
                    end: None,
                });
                continue;
            }
            let Some(task) = latest.get(&event.task).map(|&index| &mut tasks[index]) else {
                continue;
            };
            match event.kind {
                EventKind::Created(_) => unreachable!("handled above"),
                EventKind::Suspended { outermost, frames } => {
                    if task.coroutine.is_none() {
                        task.coroutine = outermost.map(|info| info.name().to_owned());
                    }
                    task.steps.push(TraceStep {
                        at,
                        suspended_at: frames.into_iter().map(TraceFrame::from_raw).collect(),
                    });
                }
                EventKind::Ended {
                    bits,
                    stepped,
                    name,
                } => {
                    if stepped {
                        task.steps.push(TraceStep {
                            at,
                            suspended_at: Vec::new(),
                        });
                    }
                    task.name = name;
                    task.end = Some(TraceEnd {
                        at,
                        outcome: TaskOutcome::from_bits(bits),
                    });
                }
            }
        }
        Trace { tasks }
    }

    /// Every task, in creation order.
    pub fn tasks(&self) -> &[TracedTask] {
        &self.tasks
    }

    /// The trace as JSON (serde's rendering of `Trace`), for other tools:
    ///
    /// ```json
    /// {"tasks": [{"id": 1, "name": "Task-1", "coroutine": "main",
    ///             "created": {"time": 0.0, "pass": 0},
    ///             "steps": [{"time": 0.0, "pass": 1, "suspended_at": [
    ///                 {"coroutine": "main",
    ///                  "site": {"file": "src/main.rs", "line": 4, "column": 22,
    ///                           "source": "corio::sleep(1).await"}}]},
    ///                       {"time": 1.0, "pass": 2, "suspended_at": []}],
    ///             "end": {"time": 1.0, "pass": 2, "outcome": "done"}}]}
    /// ```
    ///
    /// A step that ended its task has no `suspended_at` frames; `end` is `null` for a task
    /// still running; `site` is `null` for a frame waiting in an await its coroutine cannot
    /// see; `outcome` is `done`, `cancelled`, `failed` or `panicked`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a trace always serializes")
    }

    /// The trace as an SVG timeline: a lane per task (its name and outermost coroutine at the
    /// left), from its creation
    /// to its end, over loop time; a mark per step (coloured by how the task ended on its last
    /// one: green done, orange cancelled, red failed or panicked), and between two steps a bar
    /// labelled with the await site the task was suspended at (hover for the whole site).
    ///
    /// The horizontal axis is loop time, laid out for reading rather than to scale: each loop
    /// time at which something happened is a column as wide as the passes run at it, one slot
    /// per pass in pass order (under virtual time a pass runs at a single time, and many
    /// passes can share one), and consecutive columns are apart by a fixed gap plus a length
    /// proportional to the time between them. A task created or ending in a pass sits in that
    /// pass's slot. The axis labels each column with its time.
    ///
    /// The picture's elements carry classes for tools: `lane` (one `g` per task, with
    /// `data-task` its name), `life` (the lane's line, from creation to end), `step`, `wait`
    /// (a suspension, its `title` the full await sites), and `instant` (a column, with
    /// `data-time` its exact loop time).
    pub fn to_svg(&self) -> String {
        svg::render(self)
    }
}

impl TracedTask {
    /// The task's id: `n` of `Task-n`, counted per loop from 1 (the main task).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The task's name (`Task-n` unless it was given one), as it was when it ended.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The outermost `#[corio::coroutine]` it runs (its future, or the first coroutine its
    /// future awaits), as first seen after a step; `None` if it never suspended inside one.
    pub fn coroutine(&self) -> Option<&str> {
        self.coroutine.as_deref()
    }

    /// When it was created.
    pub fn created(&self) -> TraceInstant {
        self.created
    }

    /// Its steps, in order; the last one ended it, if it ended at a step.
    pub fn steps(&self) -> &[TraceStep] {
        &self.steps
    }

    /// How and when it ended; `None` if it was still running when the trace was taken.
    pub fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }
}

impl TraceInstant {
    /// The loop time, in seconds.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// The loop pass: 1 for the loop's first, 0 before it.
    pub fn pass(&self) -> u64 {
        self.pass
    }
}

impl TraceStep {
    /// The loop time the step began at, in seconds.
    pub fn time(&self) -> f64 {
        self.at.time
    }

    /// The loop pass it ran in.
    pub fn pass(&self) -> u64 {
        self.at.pass
    }

    /// The innermost coroutine frames the task was suspended in after the step, in the order
    /// they started: empty when the step ended the task, or when the task runs no
    /// `#[corio::coroutine]`.
    pub fn suspended_at(&self) -> &[TraceFrame] {
        &self.suspended_at
    }
}

impl TraceFrame {
    fn from_raw((info, site): SuspendedFrame) -> Self {
        TraceFrame {
            coroutine: info.name().to_owned(),
            site: site.map(|site| TraceSite {
                file: site.file().to_owned(),
                line: site.line(),
                column: site.column(),
                source: site.source().to_owned(),
            }),
        }
    }

    /// The coroutine's name.
    pub fn coroutine(&self) -> &str {
        &self.coroutine
    }

    /// The await it is suspended at; `None` when it waits in an await `#[corio::coroutine]`
    /// cannot see (one written inside another macro's input).
    pub fn site(&self) -> Option<&TraceSite> {
        self.site.as_ref()
    }
}

impl TraceSite {
    /// The source file, as `file!()` gives it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line of the `await` keyword, from 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column of the `await` keyword, from 1.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The await expression, e.g. `corio::sleep(1).await`.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl TraceEnd {
    /// The loop time it ended at, in seconds.
    pub fn time(&self) -> f64 {
        self.at.time
    }

    /// The loop pass it ended in.
    pub fn pass(&self) -> u64 {
        self.at.pass
    }

    /// How it ended.
    pub fn outcome(&self) -> TaskOutcome {
        self.outcome
    }
}

impl TaskOutcome {
    fn from_bits(bits: u8) -> Self {
        if bits & CANCELLED != 0 {
            TaskOutcome::Cancelled
        } else if bits & PANICKED != 0 {
            TaskOutcome::Panicked
        } else if bits & FAILED != 0 {
            TaskOutcome::Failed
        } else {
            TaskOutcome::Done
        }
    }
}
