//! The least parsing a graft on a fresh build output must do (docs/performance.md, "The least
//! work"): read each file of the closure and parse each JavaScript or TypeScript text once with
//! SWC, through the tracer's own guarded parse (`next_graft::nesting::parse`) and syntax, on a
//! thread per core. No edges are collected, nothing is resolved, copied or compared.
//!
//! `bench/run` times it in the same hyperfine run as the copy floor and graft:
//!
//! ```sh
//! parse-floor <root> < <file list, one path relative to root per line>
//! ```

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use swc_core::common::{sync::Lrc, FileName, SourceMap};

fn main() {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: parse-floor <root> < file-list");
        std::process::exit(2);
    };
    let files: Vec<PathBuf> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter(|line| !line.is_empty())
        .map(|line| root.join(line))
        .filter(|path| next_graft::trace::parse_syntaxes(path).is_some())
        .collect();
    let next = AtomicUsize::new(0);
    let parsed = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            // The tracer's workers reserve a large stack for deep nesting; so does this.
            std::thread::Builder::new()
                .stack_size(1024 * 1024 * 1024)
                .spawn_scoped(scope, || loop {
                    let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        return;
                    };
                    if parse(file) {
                        parsed.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .expect("a parse thread");
        }
    });
    // A check that the work was done (and a count to compare with the timings' `swc` phase).
    eprintln!(
        "parse-floor: {} of {} files parsed",
        parsed.into_inner(),
        files.len()
    );
}

/// Reads and parses one file as the tracer does (lossy UTF-8, the tracer's syntaxes in order).
fn parse(file: &Path) -> bool {
    let Ok(bytes) = std::fs::read(file) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(FileName::Real(file.to_path_buf()).into(), text);
    let max_depth = next_graft::nesting::MODULE_MAX_DEPTH;
    next_graft::trace::parse_syntaxes(file)
        .unwrap_or_default()
        .into_iter()
        .any(|syntax| next_graft::nesting::parse(&fm, syntax, max_depth).is_ok())
}
