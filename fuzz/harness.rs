//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the
//! stable replay of the committed corpus (`tests/hardening_fuzz_corpus.rs`). Each takes raw
//! bytes; the first byte selects a variant (file kind), the rest is the file's text. A panic is
//! a finding; so is a broken invariant (asserted here).
#![allow(dead_code)]

use next_graft::apply::render_config;
use next_graft::manifest::{find_literal, CopyKind, LiteralTarget};
use next_graft::plan::{key_path, ConfigEdit, EditReason};
use next_graft::trace::{TraceOptions, Tracer};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the harnesses pretend the project is; it does not exist.
const PROJECT: &str = "/nonexistent-next-graft-fuzz/app";

fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(s, rest)| (*s, rest))
}

/// `next.config.*` analysis: discovery-free parse + static evaluation of the source.
pub fn config_eval(data: &[u8]) {
    let Some((sel, rest)) = split(data) else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    const NAMES: [&str; 5] = [
        "next.config.js",
        "next.config.mjs",
        "next.config.ts",
        "next.config.cjs",
        "next.config.mts",
    ];
    let file = Path::new(PROJECT).join(NAMES[sel as usize % NAMES.len()]);
    if let Err(e) = next_graft::config::analyze_source(&file, source, Path::new(PROJECT)) {
        // Errors are one line naming the file.
        let text = e.to_string();
        assert!(!text.contains('\n'), "multi-line error: {text:?}");
        assert!(text.starts_with(&*file.to_string_lossy()), "{text}");
    }
}

/// The serialized-config literal of `server.js` / `required-server-files.js`: extraction, then
/// a splice of one handler value, which must re-read as the new value with every byte outside
/// the literal kept.
pub fn literal_splice(data: &[u8]) {
    let Some((sel, rest)) = split(data) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (target, kind, path) = if sel & 1 == 0 {
        (LiteralTarget::NextConfig, CopyKind::ServerJs, "server.js")
    } else {
        (
            LiteralTarget::ServerFilesManifest,
            CopyKind::ProjectJs,
            "required-server-files.js",
        )
    };
    let path = Path::new(path);
    let span = match find_literal(path, text, target) {
        Ok(span) => span,
        Err(e) => {
            assert!(
                !e.message.contains('\n'),
                "multi-line error: {:?}",
                e.message
            );
            return;
        }
    };
    assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{span:?} splits a character"
    );
    assert!(text[span.clone()].starts_with('{'), "{span:?}");
    assert!(text[span.clone()].ends_with('}'), "{span:?}");

    let value = if sel & 2 == 0 {
        "../fuzz-handler.js"
    } else {
        "../a \"quoted\" \u{2028} path.mjs"
    };
    let edits = [ConfigEdit {
        path: key_path("cacheHandler"),
        value: Some(Value::String(value.into())),
        reason: EditReason::HandlerPath,
    }];
    // With no edit, a plain-JSON literal must render byte-identical only when it was written
    // the way serde writes it; it must never fail where the edit succeeds.
    let Ok(out) = render_config(kind, path, text, &edits) else {
        return;
    };
    let again = find_literal(path, &out, target)
        .unwrap_or_else(|e| panic!("the spliced file no longer parses: {e}\n{out}"));
    assert_eq!(&out[..span.start], &text[..span.start], "prefix changed");
    assert_eq!(
        &out[again.end..],
        &text[span.end..],
        "suffix changed (or another literal was found)"
    );
    let parsed: Value = serde_json::from_str(&out[again]).expect("the new literal is JSON");
    let config = match kind {
        CopyKind::ServerJs => &parsed,
        _ => &parsed["config"],
    };
    assert_eq!(config["cacheHandler"], Value::String(value.into()));
    // Idempotent: a second identical edit changes nothing.
    let twice = render_config(kind, path, &out, &edits).expect("re-render");
    assert_eq!(twice, out, "a second render changed the file");
}

fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

/// The tracer on one file (its edge collection, evaluation and resolution), bounded to a
/// scratch directory that holds only that file.
pub fn trace_edges(data: &[u8]) {
    let Some((sel, rest)) = split(data) else {
        return;
    };
    const EXTS: [&str; 7] = ["js", "mjs", "cjs", "ts", "mts", "jsx", "tsx"];
    let dir = scratch();
    let file: PathBuf = dir.join(format!("handler.{}", EXTS[sel as usize % EXTS.len()]));
    for ext in EXTS {
        let _ = std::fs::remove_file(dir.join(format!("handler.{ext}")));
    }
    std::fs::write(&file, rest).expect("write");
    let tracer = Tracer::new(TraceOptions {
        boundary: Some(dir.to_path_buf()),
        cwd: Some(dir.to_path_buf()),
    });
    let closure = tracer.trace(std::slice::from_ref(&file));
    for f in closure.files.keys() {
        assert!(f.starts_with(dir), "left the boundary: {}", f.display());
    }
}
