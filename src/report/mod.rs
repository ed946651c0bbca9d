//! `report`: findings for people (in the style of rustc and clippy) and for machines (JSON,
//! schema in `docs/json-output.md`). Pure functions from data to text; the CLI prints them.

use crate::findings::{Finding, Severity};
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// The JSON schema version; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Where each finding is documented.
pub const FINDINGS_DOC: &str = "docs/findings.md";

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub fixed: usize,
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        if f.fixed {
            s.fixed += 1;
            continue;
        }
        match f.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Note => s.notes += 1,
        }
    }
    s
}

/// What every command reports, plus command-specific `extra` fields merged at the top level.
pub struct Report<'a> {
    pub command: &'a str,
    pub project: &'a Path,
    pub next_version: Option<String>,
    pub findings: &'a [Finding],
    pub extra: Vec<(&'static str, Value)>,
}

pub fn to_json(report: &Report) -> String {
    let mut object = json!({
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "project": report.project,
        "next_version": report.next_version,
        "findings": report.findings,
        "summary": summarize(report.findings),
    });
    if let Value::Object(map) = &mut object {
        for (key, value) in &report.extra {
            map.insert((*key).to_string(), value.clone());
        }
    }
    serde_json::to_string_pretty(&object).unwrap_or_default() + "\n"
}

struct Palette {
    error: Style,
    warning: Style,
    note: Style,
    fixed: Style,
    emphasis: Style,
    gutter: Style,
}

impl Palette {
    fn new(color: bool) -> Self {
        if !color {
            let plain = Style::new();
            return Self {
                error: plain,
                warning: plain,
                note: plain,
                fixed: plain,
                emphasis: plain,
                gutter: plain,
            };
        }
        Self {
            error: AnsiColor::Red.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            note: AnsiColor::Cyan.on_default().bold(),
            fixed: AnsiColor::Green.on_default().bold(),
            emphasis: Style::new().bold(),
            gutter: AnsiColor::Blue.on_default().bold(),
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        format!("{}{text}{}", style.render(), style.render_reset())
    }
}

/// Shows `path` relative to the project when it is inside it.
pub fn display_path(path: &Path, project: &Path) -> String {
    path.strip_prefix(project)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// One finding, rustc style:
/// ```text
/// error[handler-missing]: the `cacheHandler` handler is not in the deployable tree
///   --> .next/standalone/server.js:6:20
///    |
///  6 | const nextConfig = …
///    |
///    = note: …
///    = help: run `next-graft` to copy it
/// ```
pub fn render_finding(out: &mut String, finding: &Finding, project: &Path, color: bool) {
    let p = Palette::new(color);
    let (label, style) = match (finding.fixed, finding.severity) {
        (true, _) => ("fixed", p.fixed),
        (false, Severity::Error) => ("error", p.error),
        (false, Severity::Warning) => ("warning", p.warning),
        (false, Severity::Note) => ("note", p.note),
    };
    let _ = writeln!(
        out,
        "{}{}",
        p.paint(style, &format!("{label}[{}]", finding.slug.as_str())),
        p.paint(p.emphasis, &format!(": {}", finding.message))
    );
    let line_no = finding.location.as_ref().and_then(|l| l.line);
    let width = line_no.map_or(1, |n| n.to_string().len());
    let pad = " ".repeat(width);
    if let Some(location) = &finding.location {
        let mut place = display_path(&location.file, project);
        if let Some(line) = location.line {
            let _ = write!(place, ":{line}");
            if let Some(column) = location.column {
                let _ = write!(place, ":{column}");
            }
        }
        let _ = writeln!(out, "{pad}{} {place}", p.paint(p.gutter, "-->"));
        if let (Some(source), Some(line)) = (&finding.source_line, line_no) {
            let bar = p.paint(p.gutter, "|");
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                p.paint(p.gutter, &line.to_string()),
                source.trim_end()
            );
            if let Some(column) = finding.location.as_ref().and_then(|l| l.column) {
                let caret_pad = " ".repeat(column.saturating_sub(1) as usize);
                let _ = writeln!(out, "{pad} {bar} {caret_pad}{}", p.paint(style, "^"));
            }
        }
    }
    let eq = p.paint(p.gutter, "=");
    for note in &finding.notes {
        let _ = writeln!(out, "{pad} {eq} {}: {note}", p.paint(p.emphasis, "note"));
    }
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "{pad} {eq} {}: {help}", p.paint(p.emphasis, "help"));
    }
    let _ = writeln!(
        out,
        "{pad} {eq} {}: {FINDINGS_DOC}#{}",
        p.paint(p.emphasis, "docs"),
        finding.slug.as_str()
    );
    out.push('\n');
}

/// Every finding, then a one-line verdict. `quiet` (`-q`): errors only, and the verdict only when
/// there are errors, so a postbuild that passes prints nothing at all.
pub fn to_human(report: &Report, color: bool, quiet: bool) -> String {
    let mut out = String::new();
    for finding in report.findings {
        if quiet && (finding.severity != Severity::Error || finding.fixed) {
            continue;
        }
        render_finding(&mut out, finding, report.project, color);
    }
    let s = summarize(report.findings);
    if quiet && s.errors == 0 {
        return out;
    }
    let p = Palette::new(color);
    let version = report
        .next_version
        .as_deref()
        .map(|v| format!(" (Next.js {v})"))
        .unwrap_or_default();
    let verdict = if s.errors == 0 {
        p.paint(p.fixed, "ok")
    } else {
        p.paint(p.error, "failed")
    };
    let mut counts = vec![plural(s.errors, "error"), plural(s.warnings, "warning")];
    if s.fixed > 0 {
        counts.push(format!("{} fixed", s.fixed));
    }
    let _ = writeln!(
        out,
        "{}: {verdict}: {}{version}",
        report.command,
        counts.join(", ")
    );
    out
}

fn plural(n: usize, word: &str) -> String {
    counted(n, word, &format!("{word}s"))
}

/// `1 file`, `2 files`, `0 config copies`: a count with the right form of its noun.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Location, Slug};

    fn sample() -> Finding {
        Finding::error(
            Slug::HandlerMissing,
            "the `cacheHandler` handler is not in the deployable tree",
        )
        .at(Location::at("/p/next.config.js", 12, 17))
        .with_source_line("  cacheHandler: require.resolve('./h.js'),")
        .with_note("recorded value: ../h.js")
        .with_help("run `next-graft`")
        .for_handler("cacheHandler")
    }

    #[test]
    fn human_is_rustc_style() {
        let mut out = String::new();
        render_finding(&mut out, &sample(), Path::new("/p"), false);
        let expected =
            "error[handler-missing]: the `cacheHandler` handler is not in the deployable tree
  --> next.config.js:12:17
   |
12 |   cacheHandler: require.resolve('./h.js'),
   |                 ^
   = note: recorded value: ../h.js
   = help: run `next-graft`
   = docs: docs/findings.md#handler-missing

";
        assert_eq!(out, expected);
    }

    #[test]
    fn colour_only_when_asked() {
        let mut plain = String::new();
        render_finding(&mut plain, &sample(), Path::new("/p"), false);
        assert!(!plain.contains('\x1b'));
        let mut coloured = String::new();
        render_finding(&mut coloured, &sample(), Path::new("/p"), true);
        assert!(coloured.contains('\x1b'));
    }

    #[test]
    fn json_has_stable_fields() {
        let findings = [sample()];
        let report = Report {
            command: "check",
            project: Path::new("/p"),
            next_version: Some("16.4.6".into()),
            findings: &findings,
            extra: vec![("handlers", json!([]))],
        };
        let value: Value = serde_json::from_str(&to_json(&report)).unwrap();
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["findings"][0]["slug"], "handler-missing");
        assert_eq!(value["findings"][0]["severity"], "error");
        assert_eq!(value["findings"][0]["location"]["line"], 12);
        assert_eq!(value["summary"]["errors"], 1);
        assert!(value["handlers"].is_array());
    }

    #[test]
    fn verdict_line() {
        let report = Report {
            command: "check",
            project: Path::new("/p"),
            next_version: None,
            findings: &[],
            extra: vec![],
        };
        assert_eq!(
            to_human(&report, false, false),
            "check: ok: 0 errors, 0 warnings\n"
        );
    }
}
