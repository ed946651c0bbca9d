//! `timing`: where a run spends its CPU, per phase, for the bench harness (`bench/run`,
//! `docs/performance.md`). Off unless `NEXT_GRAFT_TIMINGS=1` is set; then the binary prints one
//! line per phase to stderr when it ends:
//!
//! ```text
//! next-graft timings: phase=parse cpu_ms=31.2 wall_ms=- count=571
//! ```
//!
//! Two kinds of phase:
//! - the steps of a command, one after the other (`setup`, `config`, `trace`, `plan`, `copy`,
//!   `verify`): wall time, and the CPU time of the whole process (every worker thread) over it;
//! - the work of trace workers, interleaved on several threads (`parse`: read and analyse a file;
//!   `resolve`: resolve an edge and add its files): the CPU time of the thread doing it, summed.
//!   `parse` and `resolve` are parts of `trace` and `verify`, not extra time.
//!
//! Nothing here decides anything: when off, a span is one relaxed load of a cached flag.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The phases, in the order they are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Layout discovery and reading the serialized config copies.
    Setup,
    /// next.config (SWC) and the build's `'use cache'` manifest.
    Config,
    /// The handler's source closure, traced in the project.
    Trace,
    /// Planning copies and rewrites.
    Plan,
    /// Staging and renaming the writes (`apply`).
    Copy,
    /// The closure traced inside the deployable tree, and the module shape checks.
    Verify,
    /// Per file, on trace workers: reading it and collecting its edges (SWC, or the cache).
    Parse,
    /// Per edge, on trace workers: resolution and the files it adds.
    Resolve,
    /// Inside `parse`: SWC's parse and the edge collection of a text no earlier file of the run
    /// and no edge store had (its count is the number of texts SWC parsed).
    Swc,
}

const PHASES: [Phase; 9] = [
    Phase::Setup,
    Phase::Config,
    Phase::Trace,
    Phase::Plan,
    Phase::Copy,
    Phase::Verify,
    Phase::Parse,
    Phase::Resolve,
    Phase::Swc,
];

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Config => "config",
            Phase::Trace => "trace",
            Phase::Plan => "plan",
            Phase::Copy => "copy",
            Phase::Verify => "verify",
            Phase::Parse => "parse",
            Phase::Resolve => "resolve",
            Phase::Swc => "swc",
        }
    }

    /// Worker phases are measured with the thread's clock, command steps with the process's.
    fn per_thread(self) -> bool {
        matches!(self, Phase::Parse | Phase::Resolve | Phase::Swc)
    }
}

struct Totals {
    cpu_ns: [AtomicU64; PHASES.len()],
    wall_ns: [AtomicU64; PHASES.len()],
    count: [AtomicU64; PHASES.len()],
}

static TOTALS: Totals = Totals {
    cpu_ns: [const { AtomicU64::new(0) }; PHASES.len()],
    wall_ns: [const { AtomicU64::new(0) }; PHASES.len()],
    count: [const { AtomicU64::new(0) }; PHASES.len()],
};

/// Whether `NEXT_GRAFT_TIMINGS` is set (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NEXT_GRAFT_TIMINGS").is_some_and(|v| v != "0"))
}

/// A running measurement; adds to its phase when dropped.
pub struct Span {
    phase: Phase,
    cpu: Option<Duration>,
    wall: Instant,
}

/// Starts measuring `phase` until the returned span is dropped (`None` when timings are off).
pub fn span(phase: Phase) -> Option<Span> {
    if !enabled() {
        return None;
    }
    Some(Span {
        phase,
        cpu: cpu_now(phase),
        wall: Instant::now(),
    })
}

fn cpu_now(phase: Phase) -> Option<Duration> {
    if phase.per_thread() {
        crate::platform::thread_cpu_time()
    } else {
        crate::platform::process_cpu_time()
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        let i = PHASES.iter().position(|p| *p == self.phase).unwrap_or(0);
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        if let (Some(start), Some(end)) = (self.cpu, cpu_now(self.phase)) {
            TOTALS.cpu_ns[i].fetch_add(ns(end.saturating_sub(start)), Ordering::Relaxed);
        }
        TOTALS.wall_ns[i].fetch_add(ns(self.wall.elapsed()), Ordering::Relaxed);
        TOTALS.count[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// The lines to print on stderr at the end of a run (empty when timings are off). The wall time
/// of worker phases is not shown: summed over threads it means nothing.
pub fn report() -> String {
    if !enabled() {
        return String::new();
    }
    let mut out = String::new();
    let ms = |ns: u64| format!("{:.1}", ns as f64 / 1e6);
    for (i, phase) in PHASES.iter().enumerate() {
        let count = TOTALS.count[i].load(Ordering::Relaxed);
        if count == 0 {
            continue;
        }
        let wall = if phase.per_thread() {
            "-".to_string()
        } else {
            ms(TOTALS.wall_ns[i].load(Ordering::Relaxed))
        };
        out.push_str(&format!(
            "next-graft timings: phase={} cpu_ms={} wall_ms={wall} count={count}\n",
            phase.name(),
            ms(TOTALS.cpu_ns[i].load(Ordering::Relaxed)),
        ));
    }
    if let Some(total) = crate::platform::process_cpu_time() {
        out.push_str(&format!(
            "next-graft timings: phase=total cpu_ms={} wall_ms=- count=1\n",
            ms(u64::try_from(total.as_nanos()).unwrap_or(u64::MAX))
        ));
    }
    out
}
