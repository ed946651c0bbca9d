//! `next-graft fix-config`: normalize next.config so production loads the handlers.
//!
//! The edits are decided by `next_graft_config::decide_fixes` (shared with the SWC plugin) and
//! applied as text splices at the AST's spans, so comments and formatting survive. Prints a
//! unified diff; writes only with `--write` (staged beside the file, then renamed).
//!
//! Exit codes: 0 nothing to change, or the changes were written; 1 changes are proposed but
//! not written (CI can gate on it); 2 bad input (no config, syntax error with file:line:col,
//! unknown Next.js version).

use super::{Common, Format, Outcome};
use crate::config::{self, discovery::Discovery};
use crate::versions::Version;
use crate::InputError;
use next_graft_config::{apply_text, decide_fixes, EvalContext, Fix, FixContext};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct FixConfigOptions {
    /// Write the result (otherwise only print the diff).
    pub write: bool,
    /// The Next.js version to fix for; default: the installed `next` package.
    pub next_version: Option<String>,
    /// The config file; default: discovered in the project like Next does.
    pub file: Option<PathBuf>,
}

/// The fixes for one file and the fixed text.
#[derive(Debug, Clone)]
pub struct FixResult {
    pub file: PathBuf,
    pub version: Version,
    pub fixes: Vec<Fix>,
    pub original: String,
    pub fixed: String,
}

/// Decide and apply (in memory) the fixes for `source`, the text of `file`.
pub fn fix_source(file: &Path, source: &str, version: Version) -> Result<FixResult, InputError> {
    let (program, base) = config::parse(file, source)?;
    let kind = config::module_kind(file, &program);
    let mut eval = EvalContext::new(
        kind,
        file.to_string_lossy(),
        file.parent().unwrap_or(Path::new("/")).to_string_lossy(),
    );
    eval.span_base = base;
    eval.source = Some(source.to_string());
    let fixes = decide_fixes(&program, &FixContext { eval, version });
    let fixed = apply_text(source, &fixes);
    // The result must still parse: never propose a broken file.
    if fixed != source {
        config::parse(file, &fixed).map_err(|e| {
            InputError::new(format!(
                "internal error: the fixed config does not parse: {e}"
            ))
        })?;
    }
    Ok(FixResult {
        file: file.to_path_buf(),
        version,
        fixes,
        original: source.to_string(),
        fixed,
    })
}

/// A unified diff of the change, with `a/` and `b/` headers naming `display`.
pub fn unified_diff(original: &str, fixed: &str, display: &str) -> String {
    similar::TextDiff::from_lines(original, fixed)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{display}"), &format!("b/{display}"))
        .to_string()
}

/// Write `text` to `file` atomically: a staged file beside it, synced, then renamed over it.
pub fn write_atomic(file: &Path, text: &str) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staged = dir.join(format!(".{name}.next-graft-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&staged)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        if let Ok(meta) = fs::metadata(file) {
            fs::set_permissions(&staged, meta.permissions())?;
        }
        crate::platform::rename_replacing(&staged, file)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&staged);
    }
    result
}

fn resolve_version(common: &Common, options: &FixConfigOptions) -> Result<Version, InputError> {
    if let Some(text) = &options.next_version {
        return Version::parse(text)
            .ok_or_else(|| InputError::new(format!("--next-version: not a version: {text:?}")));
    }
    crate::layout::discover(&common.project, common.dist_dir.as_deref())
        .ok()
        .and_then(|l| l.next_version())
        .ok_or_else(|| {
            InputError::new(format!(
                "{}: cannot tell the Next.js version (no installed `next` package): pass --next-version",
                common.project.display()
            ))
        })
}

/// `next-graft fix-config`.
pub fn fix_config(common: &Common, options: &FixConfigOptions) -> Result<Outcome, InputError> {
    let version = resolve_version(common, options)?;
    let file = match &options.file {
        Some(f) => f.clone(),
        None => match config::discovery::discover(&common.project, Some(version)) {
            Discovery::Found { file } => file,
            Discovery::Unsupported { file, message } => {
                return Err(InputError::new(format!("{}: {message}", file.display())))
            }
            Discovery::Ignored { file, reason } => {
                return Err(InputError::new(format!("{}: {reason}", file.display())))
            }
            Discovery::None => {
                return Err(InputError::new(format!(
                    "{}: no next.config file found",
                    common.project.display()
                )))
            }
        },
    };
    let source = fs::read_to_string(&file)
        .map_err(|e| InputError::new(format!("{}: cannot read: {e}", file.display())))?;
    let result = fix_source(&file, &source, version)?;
    let display = file
        .strip_prefix(&common.project)
        .unwrap_or(&file)
        .to_string_lossy()
        .into_owned();
    let changed = result.fixed != result.original;
    if changed && options.write {
        write_atomic(&file, &result.fixed)
            .map_err(|e| InputError::new(format!("{}: cannot write: {e}", file.display())))?;
    }
    let exit_code = if changed && !options.write { 1 } else { 0 };
    let stdout = match common.format {
        Format::Json => {
            let value = serde_json::json!({
                "command": "fix-config",
                "file": file,
                "nextVersion": version.to_string(),
                "fixes": result.fixes.iter().map(|f| serde_json::json!({
                    "fix": f,
                    "description": f.describe(),
                })).collect::<Vec<_>>(),
                "changed": changed,
                "written": changed && options.write,
                "diff": unified_diff(&result.original, &result.fixed, &display),
            });
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Human => {
            let mut text = String::new();
            if !changed {
                if !common.quiet {
                    text.push_str(&format!(
                        "{display}: nothing to fix for Next.js {version}\n"
                    ));
                }
            } else {
                for f in &result.fixes {
                    if !matches!(f, Fix::AddImport { .. }) {
                        text.push_str(&format!("fix: {}\n", f.describe()));
                    }
                }
                text.push_str(&unified_diff(&result.original, &result.fixed, &display));
                text.push_str(&if options.write {
                    format!("wrote {display}\n")
                } else {
                    format!("{display}: not written (run with --write to apply)\n")
                });
            }
            text
        }
    };
    Ok(Outcome { stdout, exit_code })
}
