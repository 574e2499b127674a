//! Where each task is: asyncio 3.14's `capture_call_graph` and `print_call_graph`, built from
//! the live `#[corio::coroutine]` frames and the awaiter edges the loop records in debug mode
//! ([`Runner::debug`](crate::Runner::debug)).

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::panic::Location;

use crate::coroutine::live::{self, LiveFrame};
use crate::coroutine::{AwaitSite, CoroutineInfo};
use crate::rt::awaited_by::{self, TaskKey};
use crate::rt::context;
use crate::task::handle::{TaskRef, all_tasks};

/// One `#[corio::coroutine]` frame of a task's call stack (asyncio's `FrameCallGraphEntry`):
/// the coroutine, the await it is suspended at, and how deep it is in the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameEntry {
    info: &'static CoroutineInfo,
    site: Option<&'static AwaitSite>,
    depth: usize,
    created_at: &'static Location<'static>,
}

impl FrameEntry {
    /// The coroutine's name.
    pub fn name(&self) -> &'static str {
        self.info.name()
    }

    /// What the coroutine knows statically (module path, every await site).
    pub fn info(&self) -> &'static CoroutineInfo {
        self.info
    }

    /// The `.await` the frame is suspended at; `None` while it runs (the task's current step
    /// is inside it) or when it waits in an await `#[corio::coroutine]` cannot see (one
    /// written inside another macro's input).
    pub fn await_site(&self) -> Option<&'static AwaitSite> {
        self.site
    }

    /// Where the coroutine was created: the call of its fn.
    pub fn created_at(&self) -> &'static Location<'static> {
        self.created_at
    }

    /// 0 for a coroutine the task runs directly, 1 for one that coroutine awaits, and so on.
    /// Two frames at one depth under one frame are branches awaited together (`gather!` of
    /// coroutines inside one task).
    pub fn depth(&self) -> usize {
        self.depth
    }
}

impl fmt::Display for FrameEntry {
    /// `NAME  at FILE:LINE:COLUMN SOURCE`, or `NAME` alone without a site.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if let Some(site) = self.site {
            write!(
                f,
                "  at {}:{}:{} {}",
                site.file(),
                site.line(),
                site.column(),
                site.source()
            )?;
        }
        Ok(())
    }
}

/// A task, where it is, and which tasks await it: asyncio 3.14's `FutureCallGraph`, made by
/// [`capture_call_graph`].
#[derive(Clone, Debug)]
pub struct CallGraph {
    task: TaskRef,
    call_stack: Vec<FrameEntry>,
    awaited_by: Vec<CallGraph>,
}

impl CallGraph {
    /// The task.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Its `#[corio::coroutine]` frames from the outermost inwards, each after the frame it
    /// runs inside (a depth-first walk: see [`FrameEntry::depth`]). Empty outside debug mode,
    /// and for a task whose future is no coroutine and awaits none.
    pub fn call_stack(&self) -> &[FrameEntry] {
        &self.call_stack
    }

    /// The tasks waiting for this one to finish (through `.await` on its handle, `gather!`,
    /// `wait`, `as_completed!`, ...), each with its own graph, in the order they began to
    /// wait. Recorded in debug mode only.
    pub fn awaited_by(&self) -> &[CallGraph] {
        &self.awaited_by
    }
}

/// The call graph of `task`, as asyncio 3.14's `capture_call_graph(task)`: its frames and,
/// recursively, the tasks that await it. Frames and awaiters are recorded while the loop runs
/// in debug mode ([`Runner::debug`](crate::Runner::debug), or `CORIO_DEBUG=1`); outside it,
/// the graph holds the task alone.
///
/// The facade's crate docs show it at work.
///
/// # Panics
///
/// Outside the task's loop (`no running event loop`): frames are seen from their thread only.
pub fn capture_call_graph(task: &TaskRef) -> CallGraph {
    context::with_current("corio::capture_call_graph()", |_| ());
    let view = LoopView::take();
    view.graph(task, &mut Vec::new())
}

/// Every unfinished task of the running loop as a tree, one line per task and per frame, as
/// `python -m asyncio pstree` prints a process: the tasks nobody awaits at the left, each
/// task's frames below its name (the outermost first, with the await each is suspended at),
/// and the tasks it awaits indented under it. See [`capture_call_graph`] for what debug mode
/// adds.
///
/// ```text
/// Task-1 main  at src/main.rs:41:9 as_completed!(..).next().await
/// ├── Task-2 download_one  at src/main.rs:30:5 get_flag(cc).await
/// │     get_flag  at src/main.rs:20:5 corio::sleep(0.1).await
/// └── Task-3 download_one  at src/main.rs:30:5 get_flag(cc).await
///       get_flag  at src/main.rs:20:5 corio::sleep(0.1).await
/// ```
///
/// # Panics
///
/// Outside a running loop.
pub fn format_call_graph() -> String {
    context::with_current("corio::format_call_graph()", |_| ());
    let view = LoopView::take();
    let mut out = String::new();
    let roots: Vec<&TaskRef> = view
        .tasks
        .iter()
        .filter(|task| view.awaiters(task).is_empty())
        .collect();
    for task in roots {
        view.write_tree(&mut out, task, "", "", &mut Vec::new());
    }
    out
}

/// Prints [`format_call_graph`] to stdout.
///
/// # Panics
///
/// Outside a running loop.
pub fn print_call_graph() {
    print!("{}", format_call_graph());
}

/// The loop's tasks, live frames and awaiter edges, read once.
struct LoopView {
    tasks: Vec<TaskRef>,
    /// The live frames by key.
    frames: HashMap<u32, LiveFrame>,
    /// For each frame key, the frames running inside it, in the order they started.
    children: HashMap<u32, Vec<u32>>,
    /// For each task, the frames it runs directly, in the order they started.
    roots: HashMap<TaskKey, Vec<u32>>,
}

impl LoopView {
    fn take() -> Self {
        let tasks = all_tasks();
        let mut live = live::snapshot();
        live.sort_by_key(|(_, frame)| frame.seq);
        let frames: HashMap<u32, LiveFrame> = live.iter().copied().collect();
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut roots: HashMap<TaskKey, Vec<u32>> = HashMap::new();
        for (key, frame) in &live {
            if frame.parent == live::NONE {
                roots.entry(frame.task).or_default().push(*key);
            } else if frames.contains_key(&frame.parent) {
                children.entry(frame.parent).or_default().push(*key);
            }
        }
        LoopView {
            tasks,
            frames,
            children,
            roots,
        }
    }

    /// The task's frames, depth first.
    fn call_stack(&self, task: &TaskRef) -> Vec<FrameEntry> {
        let mut stack = Vec::new();
        let mut pending: Vec<(u32, usize)> = self
            .roots
            .get(&key(task))
            .into_iter()
            .flatten()
            .rev()
            .map(|key| (*key, 0))
            .collect();
        while let Some((key, depth)) = pending.pop() {
            let frame = &self.frames[&key];
            stack.push(FrameEntry {
                info: frame.info,
                site: frame.info.await_sites().get(usize::from(frame.site)),
                depth,
                created_at: frame.created_at,
            });
            let inner = self.children.get(&key).into_iter().flatten().rev();
            pending.extend(inner.map(|key| (*key, depth + 1)));
        }
        stack
    }

    /// The unfinished tasks noted as awaiting `task`.
    fn awaiters(&self, task: &TaskRef) -> Vec<&TaskRef> {
        awaited_by::awaiters_of(task.meta())
            .into_iter()
            .filter_map(|key| self.tasks.iter().find(|t| self::key(t) == key))
            .collect()
    }

    /// `tasks` less those on `path` (the way down to here), so a cycle of awaits ends.
    fn off_path<'a>(tasks: Vec<&'a TaskRef>, path: &[TaskKey]) -> Vec<&'a TaskRef> {
        tasks
            .into_iter()
            .filter(|task| !path.contains(&key(task)))
            .collect()
    }

    /// The tasks `task` awaits.
    fn awaited(&self, task: &TaskRef) -> Vec<&TaskRef> {
        self.tasks
            .iter()
            .filter(|other| self.awaiters(other).contains(&task))
            .collect()
    }

    /// `task`'s graph; `path` holds the tasks on the way here, so a cycle ends.
    fn graph(&self, task: &TaskRef, path: &mut Vec<TaskKey>) -> CallGraph {
        path.push(key(task));
        let awaited_by = Self::off_path(self.awaiters(task), path)
            .into_iter()
            .map(|awaiter| self.graph(awaiter, path))
            .collect();
        path.pop();
        CallGraph {
            task: task.clone(),
            call_stack: self.call_stack(task),
            awaited_by,
        }
    }

    /// Writes `task` and what it awaits: `first` prefixes its line, `rest` the lines below.
    fn write_tree(
        &self,
        out: &mut String,
        task: &TaskRef,
        first: &str,
        rest: &str,
        path: &mut Vec<TaskKey>,
    ) {
        let stack = self.call_stack(task);
        let _ = write!(out, "{first}{}", task.name());
        match stack.first() {
            Some(outermost) if outermost.depth == 0 => {
                let _ = writeln!(out, " {outermost}");
            }
            _ => out.push('\n'),
        }
        for frame in stack.iter().skip(1) {
            let indent = "  ".repeat(frame.depth);
            let _ = writeln!(out, "{rest}{indent}{frame}");
        }
        path.push(key(task));
        let awaited = Self::off_path(self.awaited(task), path);
        for (i, inner) in awaited.iter().enumerate() {
            let last = i + 1 == awaited.len();
            let (branch, under) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            self.write_tree(
                out,
                inner,
                &format!("{rest}{branch}"),
                &format!("{rest}{under}"),
                path,
            );
        }
        path.pop();
    }
}

/// How the awaiter edges name `task`.
fn key(task: &TaskRef) -> TaskKey {
    awaited_by::key_of(task.meta())
}
