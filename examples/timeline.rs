//! Timeline pictures of two programs (`Runner::trace`, `Trace::to_svg`): the notebook's
//! factorial `gather!` (`factorial_gather.rs`) and Fluent Python's flag downloader
//! (`flags.rs`), each run under virtual time with a trace, which is drawn to
//! `docs/factorial.svg` and `docs/flags.svg` (the pictures in the README). Under virtual time
//! the pictures are the same at every run; `tests/trace.rs` checks the committed ones are what
//! this writes today.
//!
//! `cargo run --example timeline` writes them; `cargo run --example timeline -- DIR` writes
//! them to `DIR` instead.

// Each included example declares its own `mod common;` (`say!` always reaches the crate root's
// copy), so `common/mod.rs` is loaded several times on purpose.
#![allow(clippy::duplicate_mod)]

use std::future::Future;
use std::path::PathBuf;

mod common;

// The programs drawn, as modules; their `main`s go unused here.
#[allow(dead_code)]
#[path = "factorial_gather.rs"]
mod factorial_gather;
#[allow(dead_code)]
#[path = "flags.rs"]
mod flags;

/// Runs `program` on a traced virtual-time loop, quietly (what it says is captured), to the
/// end of the loop; returns the trace.
pub fn trace_of<T>(program: impl Future<Output = T>) -> corio::Trace {
    let runner = corio::Runner::new().virtual_time().trace();
    common::capture(|| {
        runner.run(program);
    });
    runner.close();
    runner.take_trace().expect("the runner traces")
}

/// The factorial `gather!`: one task, `main`, whose steps resume three coroutines at once.
pub fn factorial_trace() -> corio::Trace {
    trace_of(factorial_gather::program())
}

/// The flag downloader: the main task and one task per connection the server accepts.
pub fn flags_trace() -> corio::Trace {
    trace_of(flags::program())
}

/// The pictures this example draws: file name and SVG.
pub fn pictures() -> [(&'static str, String); 2] {
    [
        ("factorial.svg", factorial_trace().to_svg()),
        ("flags.svg", flags_trace().to_svg()),
    ]
}

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs"));
    std::fs::create_dir_all(&dir).expect("make the pictures' folder");
    for (name, svg) in pictures() {
        let path = dir.join(name);
        std::fs::write(&path, svg).expect("write a picture");
        println!("wrote {}", path.display());
    }
}
