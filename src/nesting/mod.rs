//! The guarded SWC parse every parse in next-graft goes through ([`parse`]). SWC's parser (and
//! dropping its AST) recurse once per bracket level, and a stack overflow aborts the process: a
//! file that nests absurdly deep is refused with its position instead. Real code, even minified,
//! stays far below the limits the callers pass (serialized configs and next.config: 256; traced
//! and inspected modules: 4,000). And SWC's parser can panic on hostile input (found by fuzzing:
//! `unreachable!()` in its input buffer): that is a file that does not parse, not a crash.

use swc_core::common::SourceFile;
use swc_core::ecma::ast::{EsVersion, Program};
use swc_core::ecma::parser::{error::Error, parse_file_as_program, Syntax};

/// How long one parse may take. SWC's TypeScript parser can spin for minutes on some hostile
/// inputs (two fuzzer-made 400-byte files, `fuzz/known-hangs/`); real code parses in
/// milliseconds.
pub const PARSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `work` (a whole parse, with its own source map) on a worker thread with a large stack
/// and waits at most `deadline`. `None` when it did not finish: the worker is left behind and
/// ends with the process, and the caller reports the file as not analysed, never a hung
/// `postbuild`. Where no thread can be started, `work` runs here.
pub fn within<T: Send + 'static>(
    deadline: std::time::Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let work = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
    let for_worker = std::sync::Arc::clone(&work);
    let spawned = std::thread::Builder::new()
        .name("guarded-parse".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let taken = for_worker.lock().ok().and_then(|mut w| w.take());
            if let Some(work) = taken {
                let _ = sender.send(work());
            }
        });
    if spawned.is_err() {
        let taken = work.lock().ok().and_then(|mut w| w.take());
        return taken.map(|work| work());
    }
    receiver.recv_timeout(deadline).ok()
}

/// The nesting limit for JavaScript/TypeScript modules (traced dependencies, inspected handlers):
/// far above real code, minified bundles included.
pub const MODULE_MAX_DEPTH: usize = 4_000;

/// Why [`parse`] gave no program.
#[derive(Debug)]
pub enum Refused {
    /// Nesting deeper than the limit at this byte offset of the text: not parsed.
    TooDeep { at: usize },
    /// The parser panicked.
    ParserFailed,
    /// A syntax error.
    Syntax(Error),
}

/// Parses `file` (already in the caller's source map, which maps the spans back) with SWC,
/// guarded as the module doc says. `Ok` carries the errors the parser recovered from.
pub fn parse(
    file: &SourceFile,
    syntax: Syntax,
    max_depth: usize,
) -> Result<(Program, Vec<Error>), Refused> {
    if let Some(at) = too_deep(&file.src, max_depth) {
        return Err(Refused::TooDeep { at });
    }
    let mut recovered = Vec::new();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parse_file_as_program(file, syntax, EsVersion::latest(), None, &mut recovered)
    })) {
        Ok(Ok(program)) => Ok((program, recovered)),
        Ok(Err(e)) => Err(Refused::Syntax(e)),
        Err(_) => Err(Refused::ParserFailed),
    }
}

/// The byte offset where `source` first nests `(`/`[`/`{` deeper than `limit`, if it does. A
/// naive byte count: strings and comments are not skipped, which only matters for absurd inputs.
pub fn too_deep(source: &str, limit: usize) -> Option<usize> {
    // Nesting deeper than `limit` takes more than `limit` openers. Most texts have far fewer,
    // and counting them is a loop the compiler vectorizes, unlike the depth walk below (which
    // was 2% of a trace's CPU time, run on every file).
    let openers = source
        .bytes()
        .filter(|b| matches!(b, b'(' | b'[' | b'{'))
        .count();
    if openers <= limit {
        return None;
    }
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::too_deep;

    #[test]
    fn parse_refuses_deep_nesting_and_reports_syntax_errors() {
        use super::{parse, Refused};
        use swc_core::common::{sync::Lrc, FileName, SourceMap};
        use swc_core::ecma::parser::{EsSyntax, Syntax};
        let cm: Lrc<SourceMap> = Default::default();
        let es = || Syntax::Es(EsSyntax::default());
        let deep = cm.new_source_file(FileName::Anon.into(), format!("x = {}", "[".repeat(50)));
        assert!(matches!(
            parse(&deep, es(), 40),
            Err(Refused::TooDeep { at: 44 })
        ));
        let bad = cm.new_source_file(FileName::Anon.into(), "let = ;".to_string());
        assert!(matches!(parse(&bad, es(), 40), Err(Refused::Syntax(_))));
        let ok = cm.new_source_file(FileName::Anon.into(), "export default 1".to_string());
        assert!(parse(&ok, es(), 40).is_ok());
    }

    #[test]
    fn work_past_the_deadline_gives_none_and_does_not_wait() {
        use std::time::{Duration, Instant};
        let started = Instant::now();
        let late = super::within(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            1
        });
        assert_eq!(late, None);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(super::within(Duration::from_secs(5), || 2), Some(2));
    }

    #[test]
    fn finds_the_first_byte_past_the_limit() {
        assert_eq!(too_deep("{[()]}", 3), None);
        assert_eq!(too_deep("{[(x)]}", 2), Some(2));
        assert_eq!(too_deep(")))(((", 3), None);
        assert_eq!(too_deep(&"[".repeat(300), 256), Some(256));
        // As many openers as the limit cannot nest past it; more openers that never nest deep
        // take the exact walk and pass too.
        assert_eq!(too_deep(&"(".repeat(3), 3), None);
        assert_eq!(too_deep(&"(x)".repeat(50), 3), None);
        assert_eq!(too_deep(&format!("{}{{[(", "()".repeat(50)), 2), Some(102));
    }
}
