//! The runtime's layers, checked from its sources: which folder may import which, and that the
//! only import cycle between modules is inside the loop core (`rt/`).
//!
//! A module is a file under `runtime/src`; it imports another when its code (not its comments)
//! names `crate::<folder>::<module>`. The layers, lowest first:
//!
//! * `util/`: imports nothing of the crate;
//! * the leaves of `time/` (`clock`, `delay`, `wheel`, `timeout_error`) and of `io/`
//!   (`selector`, and `signal`, the process-wide side of signal handling): only `util/`;
//! * `sync/`: only `sync/` and `util/` (no loop: the primitives run on any executor);
//! * `coroutine/`, the frames `#[corio::coroutine]` wraps: only `coroutine/`, `util/` and
//!   `join/future_arg` (the argument check `gather!` shares); no loop, since a frame runs on
//!   any executor (the loop tells its live frames which task runs, not the other way round);
//! * `join/`: only `join/` and the portable timer's modules in `time/` (no loop);
//! * `rt/`'s loop core (every `rt/` module but the four below): `rt/`, `util/`,
//!   `coroutine/`, `time/`'s and `io/`'s leaves, and `task/error`, a leaf;
//! * `task/`, the rest of `time/` and `io/`, and `rt/`'s loop-object modules (`loop_handle`, `threads`,
//!   `concurrent`, `settable`, which spawn tasks and arm timers as user code does): anything, as long as no
//!   cycle forms outside `rt/`;
//! * `trace/`, the picture of a traced run (the loop's hooks append raw events in `rt/trace_log`):
//!   an upper layer, anything, as long as no cycle forms.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const FOLDERS: [&str; 9] = [
    "rt",
    "task",
    "time",
    "io",
    "sync",
    "join",
    "util",
    "trace",
    "coroutine",
];
const RT_UPPER: [&str; 4] = [
    "rt/loop_handle",
    "rt/threads",
    "rt/concurrent",
    "rt/settable",
];
const LEAVES: [&str; 6] = [
    "time/clock",
    "time/delay",
    "time/wheel",
    "time/timeout_error",
    "io/selector",
    "io/signal",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `rt/core.rs` -> `rt/core`; `time/wheel/tests.rs` -> `time/wheel` (a child module's file
/// belongs to its parent); `rt/mod.rs` -> `rt`.
fn module_of(src: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() > 2 {
        parts.truncate(2);
    }
    parts.join("/")
}

/// The modules `code` names as `crate::folder::module`, and whether it names the crate root.
fn imports(code: &str) -> (BTreeSet<String>, bool) {
    let mut found = BTreeSet::new();
    let mut root = false;
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let segments: Vec<&str> = rest
                .split("::")
                .map(|s| {
                    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap()
                })
                .take(2)
                .collect();
            match segments.as_slice() {
                [folder, module, ..] if FOLDERS.contains(folder) && !module.is_empty() => {
                    found.insert(format!("{folder}/{module}"));
                }
                [folder] | [folder, _] if FOLDERS.contains(folder) => {
                    found.insert(folder.to_string());
                }
                _ => root = true,
            }
        }
    }
    (found, root)
}

fn allowed(from: &str, to: &str) -> bool {
    let folder = |m: &str| m.split('/').next().unwrap().to_string();
    let (ff, tf) = (folder(from), folder(to));
    let is_leaf = |m: &str| LEAVES.contains(&m);
    if ff == tf && !is_leaf(from) {
        return true;
    }
    match ff.as_str() {
        "util" => false,
        _ if is_leaf(from) => tf == "util" || is_leaf(to),
        "sync" => tf == "util",
        "coroutine" => tf == "util" || to == "join/future_arg",
        "join" => tf == "util" || matches!(to, "time/sleep" | "time/delay" | "time/timeout_error"),
        "rt" if RT_UPPER.contains(&from) => true,
        "rt" => tf == "util" || tf == "coroutine" || is_leaf(to) || to == "task/error",
        _ => true,
    }
}

#[test]
fn lower_layers_never_import_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for path in &files {
        let module = module_of(&src, path);
        if module == "lib" {
            continue;
        }
        let (found, root) = imports(&fs::read_to_string(path).unwrap());
        let upper = ["task", "time", "io", "trace"]
            .iter()
            .any(|f| module.starts_with(f));
        let lower_than_task = !upper || LEAVES.contains(&module.as_str());
        if root && lower_than_task && !module.starts_with("rt") {
            wrong.push(format!(
                "{module} names the crate root (a re-export hides its layer)"
            ));
        }
        for to in found.into_iter().filter(|to| *to != module) {
            if !allowed(&module, &to) {
                wrong.push(format!("{module} imports {to}"));
            }
            graph.entry(module.clone()).or_default().insert(to);
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));

    // Every cycle stays inside rt/: no module outside it reaches itself again.
    for start in graph.keys().filter(|m| !m.starts_with("rt")) {
        let mut stack = vec![start.clone()];
        let mut seen = BTreeSet::new();
        while let Some(m) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                assert!(
                    next != start,
                    "import cycle through {start} (via {m}): only rt/ may have cycles"
                );
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
    }
}
