//! [`Trace::to_svg`]: the timeline, written as plain SVG text (see its docs for the layout).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{TaskOutcome, Trace, TraceFrame, TraceInstant, TracedTask};

/// The left column, where lanes are named.
const NAMES_W: f64 = 200.0;
/// Above the first lane: the title and the axis labels.
const TOP: f64 = 46.0;
const LANE_H: f64 = 28.0;
/// One pass inside a column.
const SLOT_W: f64 = 12.0;
/// Between two columns, before the part proportional to time.
const GAP: f64 = 14.0;
/// What the whole run's time spans at most, beside the fixed parts.
const TIME_W: f64 = 720.0;
/// Past the last column, and below the last lane.
const MARGIN: f64 = 24.0;
/// Font sizes; labels are monospace, this wide per character at `SMALL`.
const FONT: f64 = 12.0;
const SMALL: f64 = 10.0;
const CHAR_W: f64 = 6.1;
/// At most this wide per character at `FONT` (sans-serif).
const FONT_CHAR_W: f64 = 7.2;

/// The colours of a step: a plain one, then a task's last step by how it ended.
const STEP: &str = "#3b6fc4";
const DONE: &str = "#2e9d4f";
const CANCELLED: &str = "#e08a00";
const FAILED: &str = "#d03030";

/// Where each loop time's column is and which slot each of its passes has.
struct Axis {
    /// For each time (its bits: times compare exactly), the column's left x and its passes.
    columns: BTreeMap<u64, (f64, Vec<u64>)>,
    /// The x past the last column.
    right: f64,
}

impl Axis {
    fn new(trace: &Trace) -> Self {
        let mut passes: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
        for task in &trace.tasks {
            for at in instants(task) {
                passes.entry(at.time.to_bits()).or_default().insert(at.pass);
            }
        }
        // Non-negative floats order as their bits do.
        let first = passes
            .keys()
            .next()
            .map_or(0.0, |bits| f64::from_bits(*bits));
        let last = passes
            .keys()
            .last()
            .map_or(0.0, |bits| f64::from_bits(*bits));
        let per_second = if last > first {
            TIME_W / (last - first)
        } else {
            0.0
        };
        let mut columns = BTreeMap::new();
        let mut x = NAMES_W + GAP;
        let mut previous = None;
        for (bits, passes) in passes {
            let time = f64::from_bits(bits);
            if let Some(previous) = previous {
                x += GAP + (time - previous) * per_second;
            }
            // On a half-pixel grid: short numbers in the picture.
            x = (x * 2.0).round() / 2.0;
            let passes: Vec<u64> = passes.into_iter().collect();
            let width = passes.len() as f64 * SLOT_W;
            columns.insert(bits, (x, passes));
            x += width;
            previous = Some(time);
        }
        Axis { columns, right: x }
    }

    /// The middle of `at`'s slot.
    fn x(&self, at: TraceInstant) -> f64 {
        let (left, passes) = &self.columns[&at.time.to_bits()];
        let slot = passes.binary_search(&at.pass).unwrap_or(0);
        left + (slot as f64 + 0.5) * SLOT_W
    }
}

/// Every instant of `task` the picture places.
fn instants(task: &TracedTask) -> impl Iterator<Item = TraceInstant> + '_ {
    std::iter::once(task.created)
        .chain(task.steps.iter().map(|step| step.at))
        .chain(task.end.iter().map(|end| end.at))
}

/// `text` with XML's special characters escaped, for text and attribute values alike.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A loop time as the axis writes it: `0`, `0.25`, `1.5`.
fn seconds(time: f64) -> String {
    let text = format!("{time:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A suspension's short label: each innermost coroutine with its await's source, the same
/// ones counted (`factorial ×3: corio::sleep(1).await`).
fn short_label(frames: &[TraceFrame]) -> String {
    let mut groups: Vec<(String, usize)> = Vec::new();
    for frame in frames {
        let text = match &frame.site {
            Some(site) => format!("{}: {}", frame.coroutine, site.source),
            None => frame.coroutine.clone(),
        };
        match groups.iter_mut().find(|(known, _)| *known == text) {
            Some((_, count)) => *count += 1,
            None => groups.push((text, 1)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(text, count)| match (count, text.split_once(": ")) {
            (1, _) => text,
            (_, Some((name, source))) => format!("{name} ×{count}: {source}"),
            (_, None) => format!("{text} ×{count}"),
        })
        .collect();
    parts.join("; ")
}

/// A suspension's whole label: one line per frame, with its file, line and column.
fn long_label(frames: &[TraceFrame]) -> String {
    let lines: Vec<String> = frames
        .iter()
        .map(|frame| match &frame.site {
            Some(site) => format!(
                "{} at {}:{}:{} {}",
                frame.coroutine, site.file, site.line, site.column, site.source
            ),
            None => frame.coroutine.clone(),
        })
        .collect();
    lines.join("\n")
}

/// `text` cut to `width` pixels of small monospace, with an ellipsis if it was cut.
fn fit(text: &str, width: f64) -> String {
    fit_at(text, width - 6.0, CHAR_W)
}

/// `text` cut to `width` pixels at `char_w` pixels a character, with an ellipsis if it was cut.
fn fit_at(text: &str, width: f64, char_w: f64) -> String {
    let room = (width / char_w).floor().max(0.0) as usize;
    if text.chars().count() <= room {
        return text.to_owned();
    }
    if room < 2 {
        return String::new();
    }
    let mut cut: String = text.chars().take(room - 1).collect();
    cut.push('…');
    cut
}

pub(super) fn render(trace: &Trace) -> String {
    let axis = Axis::new(trace);
    let unfinished = trace.tasks.iter().any(|task| task.end.is_none());
    // A task still running goes on to the right edge.
    let open_end = axis.right + GAP;
    let width = (open_end + MARGIN).ceil();
    let height = (TOP + trace.tasks.len() as f64 * LANE_H + MARGIN).ceil();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT}">"#
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="8" y="16" font-weight="bold">corio trace: {} task(s){}, loop time in seconds</text>"##,
        trace.tasks.len(),
        if unfinished {
            ", some still running"
        } else {
            ""
        }
    );
    write_axis(&mut out, &axis, height);
    for (row, task) in trace.tasks.iter().enumerate() {
        write_lane(&mut out, &axis, task, TOP + row as f64 * LANE_H, open_end);
    }
    out.push_str("</svg>\n");
    out
}

/// The columns: a light band per loop time and its label, where there is room for it.
fn write_axis(out: &mut String, axis: &Axis, height: f64) {
    out.push_str("<g class=\"axis\">\n");
    let mut label_end = f64::MIN;
    for (bits, (left, passes)) in &axis.columns {
        // The exact time for tools (the shortest text that reads back as it), to the
        // microsecond for people.
        let exact = f64::from_bits(*bits);
        let time = seconds(exact);
        let width = passes.len() as f64 * SLOT_W;
        let _ = writeln!(
            out,
            r##"<rect class="instant" data-time="{exact}" x="{left}" y="{y}" width="{width}" height="{h}" fill="#f2f2f2"/>"##,
            y = TOP - 8.0,
            h = height - TOP - MARGIN + 8.0,
        );
        if *left >= label_end {
            let _ = writeln!(
                out,
                r##"<text x="{left}" y="{y}" font-size="{SMALL}" fill="#555555">{time}</text>"##,
                y = TOP - 12.0,
            );
            label_end = left + (time.len() as f64 + 1.0) * CHAR_W;
        }
    }
    out.push_str("</g>\n");
}

/// One task's lane at `top`.
fn write_lane(out: &mut String, axis: &Axis, task: &TracedTask, top: f64, open_end: f64) {
    let mid = top + LANE_H / 2.0;
    let start = axis.x(task.created);
    let end = task.end.map_or(open_end, |end| axis.x(end.at));
    let _ = writeln!(
        out,
        r#"<g class="lane" data-task="{}"><title>{}</title>"#,
        escape(&task.name),
        escape(&lane_title(task)),
    );
    let label = match &task.coroutine {
        Some(coroutine) => format!("{} {coroutine}", task.name),
        None => task.name.clone(),
    };
    let _ = writeln!(
        out,
        r##"<text class="name" x="8" y="{y}">{}</text>"##,
        escape(&fit_at(&label, NAMES_W - 12.0, FONT_CHAR_W)),
        y = mid + FONT / 3.0,
    );
    let dash = if task.end.is_none() {
        r#" stroke-dasharray="4 3""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r##"<line class="life" x1="{start}" y1="{mid}" x2="{end}" y2="{mid}" stroke="#888888" stroke-width="1.5"{dash}/>"##
    );
    let _ = writeln!(
        out,
        r##"<circle class="created" cx="{start}" cy="{mid}" r="3" fill="#888888"><title>created at {} s, pass {}</title></circle>"##,
        seconds(task.created.time),
        task.created.pass
    );
    for (i, step) in task.steps.iter().enumerate() {
        let x = axis.x(step.at);
        if !step.suspended_at.is_empty() {
            // The bar runs to the next step, or to the end.
            let next = task
                .steps
                .get(i + 1)
                .map(|next| axis.x(next.at))
                .unwrap_or(end);
            let (left, right) = (x + 4.0, next - 4.0);
            if right > left {
                let _ = writeln!(
                    out,
                    r##"<g class="wait"><title>{}</title><rect x="{left}" y="{y}" width="{w}" height="14" rx="3" fill="#dde6f5"/><text class="site" x="{tx}" y="{ty}" font-family="monospace" font-size="{SMALL}" fill="#333333">{}</text></g>"##,
                    escape(&long_label(&step.suspended_at)),
                    escape(&fit(&short_label(&step.suspended_at), right - left)),
                    y = mid - 7.0,
                    w = right - left,
                    tx = left + 3.0,
                    ty = mid + 3.5,
                );
            }
        }
        let last = i + 1 == task.steps.len();
        let colour = match task.end {
            Some(end) if last && end.at == step.at => match end.outcome {
                TaskOutcome::Done => DONE,
                TaskOutcome::Cancelled => CANCELLED,
                TaskOutcome::Failed | TaskOutcome::Panicked => FAILED,
            },
            _ => STEP,
        };
        let _ = writeln!(
            out,
            r##"<rect class="step" x="{x0}" y="{y}" width="8" height="16" fill="{colour}"><title>step at {} s, pass {}</title></rect>"##,
            seconds(step.at.time),
            step.at.pass,
            x0 = x - 4.0,
            y = mid - 8.0,
        );
    }
    if let Some(end) = task.end {
        let stepped = task.steps.last().is_some_and(|step| step.at == end.at);
        if !stepped {
            // Dropped without a step: a cross.
            let _ = writeln!(
                out,
                r##"<path class="dropped" d="M{a} {b} L{c} {d} M{a} {d} L{c} {b}" stroke="{CANCELLED}" stroke-width="2"/>"##,
                a = axis.x(end.at) - 4.0,
                b = mid - 4.0,
                c = axis.x(end.at) + 4.0,
                d = mid + 4.0,
            );
        }
    }
    out.push_str("</g>\n");
}

/// A lane's tooltip: the task's name, creation and end.
fn lane_title(task: &TracedTask) -> String {
    let created = format!(
        "{}: created at {} s (pass {})",
        task.name,
        seconds(task.created.time),
        task.created.pass
    );
    match task.end {
        Some(end) => format!(
            "{created}, {} at {} s (pass {})",
            outcome_word(end.outcome),
            seconds(end.at.time),
            end.at.pass
        ),
        None => format!("{created}, still running"),
    }
}

fn outcome_word(outcome: TaskOutcome) -> &'static str {
    match outcome {
        TaskOutcome::Done => "done",
        TaskOutcome::Cancelled => "cancelled",
        TaskOutcome::Failed => "failed",
        TaskOutcome::Panicked => "panicked",
    }
}
