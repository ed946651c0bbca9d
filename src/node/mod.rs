//! `node`: which Node.js version production runs, decided the way a user expects
//! (`docs/findings.md`, "The production Node version"):
//!
//! 1. `--node <version>` (`24`, `22.18`, `v24.22.3`; a partial version is the lowest release
//!    of that line: `22` is 22.0.0);
//! 2. `engines.node` in the project's `package.json`: the lowest version its range admits,
//!    since production may run that one (a range without a lower bound, such as `*` or `<25`,
//!    decides nothing and the next source is asked); a range that does not parse is an
//!    `InputError` naming `package.json` (exit 2; `--node` overrides it);
//! 3. the `node` that runs the build: `npm_node_execpath` or `NODE` (set by npm, pnpm and yarn
//!    in scripts, so a `postbuild` asks the build's own node), else `node` on `PATH`.
//!
//! When none answers, the version is unknown and the findings stay conservative. The stages
//! read the answer from `Layout::node` and ask `node_facts(v).has(NodeFact::X)`; this module is
//! the one place that runs `node --version`.

use crate::versions::Version;
use crate::InputError;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Where the production Node version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeSource {
    #[serde(rename = "--node")]
    Flag,
    #[serde(rename = "engines.node")]
    Engines,
    #[serde(rename = "npm_node_execpath")]
    NpmNodeExecpath,
    #[serde(rename = "NODE")]
    NodeEnv,
    #[serde(rename = "PATH")]
    Path,
    #[serde(rename = "unknown")]
    Unknown,
}

/// The production Node version and where it came from (`"node"` in the JSON report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductionNode {
    /// `None`: unknown.
    pub version: Option<Version>,
    pub from: NodeSource,
    /// The range of `engines.node`, the executable asked, or why the version is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ProductionNode {
    /// Not decided (a layout discovered without asking, e.g. by library callers).
    pub fn unknown(why: &str) -> Self {
        Self {
            version: None,
            from: NodeSource::Unknown,
            detail: Some(why.to_string()),
        }
    }

    /// For messages: `Node 24.22.3 (the node that runs the build, /usr/bin/node)`.
    pub fn describe(&self) -> String {
        let Some(version) = self.version else {
            return format!(
                "an unknown Node version ({})",
                self.detail.as_deref().unwrap_or("not determined")
            );
        };
        let detail = self.detail.as_deref().unwrap_or("");
        let from = match self.from {
            NodeSource::Flag => "from --node".to_string(),
            NodeSource::Engines => format!("the lowest that engines.node `{detail}` admits"),
            NodeSource::NpmNodeExecpath | NodeSource::NodeEnv | NodeSource::Path => {
                format!("the node that runs the build, {detail}")
            }
            NodeSource::Unknown => detail.to_string(),
        };
        format!("Node {version} ({from})")
    }
}

/// What production's Node version depends on, decided in [`decide`]: `--node` or
/// `engines.node` answer at once; otherwise the executables to ask are noted and asked on the
/// first [`NodeQuery::answer`]. Only a finding that depends on the version asks (a TypeScript
/// or ES-module handler), so the common postbuild, JavaScript handlers, never starts a `node`.
#[derive(Debug, Clone)]
pub struct NodeQuery {
    decided: Option<ProductionNode>,
    /// The executables to run `--version` on, in order, with where each came from.
    candidates: Vec<(PathBuf, NodeSource, String)>,
    probe: fn(&Path) -> Option<Version>,
    answer: OnceLock<ProductionNode>,
}

impl NodeQuery {
    /// Not decided: a layout discovered without asking (library callers, tests).
    pub fn unknown(why: &str) -> Self {
        Self::known(ProductionNode::unknown(why))
    }

    fn known(node: ProductionNode) -> Self {
        Self {
            decided: Some(node),
            candidates: Vec::new(),
            probe,
            answer: OnceLock::new(),
        }
    }

    /// The production Node version, running `node --version` now if nothing cheaper decided it.
    pub fn answer(&self) -> &ProductionNode {
        if let Some(node) = &self.decided {
            return node;
        }
        self.answer.get_or_init(|| {
            for (path, from, detail) in &self.candidates {
                if let Some(version) = (self.probe)(path) {
                    return ProductionNode {
                        version: Some(version),
                        from: *from,
                        detail: Some(detail.clone()),
                    };
                }
            }
            ProductionNode::unknown(
                "no --node, no engines.node with a lower bound in package.json, and no node found to run",
            )
        })
    }

    /// The answer if one is known without running anything more: for the report, which must
    /// not start a `node` that no finding needed.
    pub fn answered(&self) -> Option<&ProductionNode> {
        self.decided.as_ref().or_else(|| self.answer.get())
    }
}

/// `"node"` in the JSON report: the answer, or `null` when no finding needed it.
impl Serialize for NodeQuery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.answered().serialize(s)
    }
}

/// Decides where production's Node version comes from (see the module comment).
pub fn decide(flag: Option<Version>, project_dir: &Path) -> Result<NodeQuery, InputError> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    decide_with(flag, project_dir, &env, probe)
}

/// [`decide`] with the environment and the probe given (for tests).
pub fn decide_with(
    flag: Option<Version>,
    project_dir: &Path,
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    probe: fn(&Path) -> Option<Version>,
) -> Result<NodeQuery, InputError> {
    if let Some(version) = flag {
        return Ok(NodeQuery::known(ProductionNode {
            version: Some(version),
            from: NodeSource::Flag,
            detail: None,
        }));
    }
    if let Some((range, Some(version))) = engines_node(project_dir)? {
        return Ok(NodeQuery::known(ProductionNode {
            version: Some(version),
            from: NodeSource::Engines,
            detail: Some(range),
        }));
    }
    let mut candidates = Vec::new();
    for (name, from) in [
        ("npm_node_execpath", NodeSource::NpmNodeExecpath),
        ("NODE", NodeSource::NodeEnv),
    ] {
        if let Some(path) = env(name) {
            let path = PathBuf::from(path);
            let detail = path.display().to_string();
            candidates.push((path, from, detail));
        }
    }
    candidates.push((
        PathBuf::from("node"),
        NodeSource::Path,
        "node on PATH".into(),
    ));
    Ok(NodeQuery {
        decided: None,
        candidates,
        probe,
        answer: OnceLock::new(),
    })
}

/// `engines.node` of `<project>/package.json`: the range text and the lowest version it admits
/// (`None` when it has no lower bound). `Ok(None)` when there is no such field (or no readable
/// package.json: the layout already refuses a project without one or a `next` package).
fn engines_node(project_dir: &Path) -> Result<Option<(String, Option<Version>)>, InputError> {
    let path = project_dir.join("package.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| InputError::invalid_json(&path, &e))?;
    let Some(range) = value.get("engines").and_then(|e| e.get("node")) else {
        return Ok(None);
    };
    let Some(range) = range.as_str() else {
        return Err(InputError::new(format!(
            "{}: `engines.node` is not a string: {range}; give a semver range (e.g. \">=22.18\"), or pass --node",
            path.display()
        )));
    };
    match lowest_admitted(range) {
        Ok(lowest) => Ok(Some((range.to_string(), lowest))),
        Err(why) => Err(InputError::new(format!(
            "{}: `engines.node` is not a semver range: {range:?} ({why}); fix it, or pass --node <version>",
            path.display()
        ))),
    }
}

/// The lowest version an npm semver range admits: the smallest lower bound over its `||`
/// alternatives, each alternative's bound being the highest of its comparators' lower bounds.
/// `Ok(None)` when some alternative has no lower bound (`*`, `<25`, `""`). Pre-release tags are
/// dropped, as [`Version::parse`] does.
pub fn lowest_admitted(range: &str) -> Result<Option<Version>, String> {
    let mut lowest: Option<Version> = None;
    for alternative in range.split("||") {
        let bound = alternative_bound(alternative)?;
        match bound {
            None => return Ok(None),
            Some(b) => lowest = Some(lowest.map_or(b, |l| l.min(b))),
        }
    }
    Ok(lowest)
}

/// One comparator set (space-separated comparators, or a hyphen range `A - B`).
fn alternative_bound(text: &str) -> Result<Option<Version>, String> {
    let tokens = comparator_tokens(text);
    if tokens.len() == 3 && tokens[1] == "-" {
        let from = partial(&tokens[0])?;
        partial(&tokens[2])?;
        return Ok(from.lower());
    }
    let mut bound: Option<Version> = None;
    for token in &tokens {
        if let Some(b) = comparator_bound(token)? {
            bound = Some(bound.map_or(b, |x| x.max(b)));
        }
    }
    Ok(bound)
}

/// Splits on whitespace, joining an operator written apart from its version (`>= 22`).
fn comparator_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for word in text.split_whitespace() {
        if matches!(word, ">" | ">=" | "<" | "<=" | "=" | "~" | "^") {
            pending.push_str(word);
            continue;
        }
        out.push(std::mem::take(&mut pending) + word);
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

/// The lower bound of one comparator; `None` when it sets none (`<22`, `*`).
fn comparator_bound(token: &str) -> Result<Option<Version>, String> {
    let (op, rest) = ["~>", ">=", "<=", ">", "<", "=", "~", "^"]
        .iter()
        .find_map(|op| token.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", token));
    let p = partial(rest)?;
    Ok(match op {
        "<" | "<=" => None,
        ">" => p.above(),
        _ => p.lower(),
    })
}

/// A partial version (`22`, `22.x`, `22.18`, `v22.18.0-rc.1`, `*`): the numbers given, up to the
/// first wildcard.
struct Partial(Vec<u32>);

impl Partial {
    fn lower(&self) -> Option<Version> {
        let n = |i: usize| self.0.get(i).copied().unwrap_or(0);
        (!self.0.is_empty()).then(|| Version::new(n(0), n(1), n(2)))
    }

    /// The lowest version above every version this partial names (`>22` is `>=23.0.0`).
    fn above(&self) -> Option<Version> {
        let n = |i: usize| self.0.get(i).copied().unwrap_or(0);
        match self.0.len() {
            0 => None, // `>*` admits nothing; treat as no bound
            1 => Some(Version::new(n(0).saturating_add(1), 0, 0)),
            2 => Some(Version::new(n(0), n(1).saturating_add(1), 0)),
            _ => Some(Version::new(n(0), n(1), n(2).saturating_add(1))),
        }
    }
}

fn partial(text: &str) -> Result<Partial, String> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    if text.is_empty() {
        return Err("a comparator without a version".into());
    }
    let core = text.split(['-', '+']).next().unwrap_or("");
    let mut numbers = Vec::new();
    let mut wildcard = false;
    for (i, part) in core.split('.').enumerate() {
        if i > 2 {
            return Err(format!("`{text}` has more than three parts"));
        }
        if matches!(part, "x" | "X" | "*") {
            wildcard = true;
            continue;
        }
        if wildcard {
            return Err(format!("`{part}` in `{text}` follows a wildcard"));
        }
        let n: u32 = part
            .parse()
            .map_err(|_| format!("`{part}` in `{text}` is not a number"))?;
        numbers.push(n);
    }
    Ok(Partial(numbers))
}

/// `node --version` of `executable` (a path, or `node` found on PATH): `None` when it cannot be
/// run, does not answer within 5 s, or prints no version.
pub fn probe(executable: &Path) -> Option<Version> {
    let mut child = Command::new(executable)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read on a thread, so the answer comes as soon as node writes it and exits (a few ms, no
    // polling), and a `node` that hangs is killed after 5 s.
    let mut stdout = child.stdout.take()?;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        let _ = send.send(text);
    });
    let answer = receive.recv_timeout(Duration::from_secs(5));
    if answer.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let text = answer.ok()?;
    let line = text.lines().next()?.trim();
    // `v24.22.3`; anything else is not a node.
    line.starts_with('v')
        .then(|| Version::parse(line))
        .flatten()
}

/// Parses `--node`: `24`, `22.18`, `v24.22.3`.
pub fn parse_flag(text: &str) -> Result<Version, String> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not a Node version (e.g. 24, 22.18, v24.22.3)"
        ));
    }
    Version::parse(digits)
        .ok_or_else(|| format!("`{text}` is not a Node version (e.g. 24, 22.18, v24.22.3)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn v(a: u32, b: u32, c: u32) -> Version {
        Version::new(a, b, c)
    }

    #[test]
    fn lowest_admitted_versions() {
        let cases: &[(&str, Option<Version>)] = &[
            (">=22.18", Some(v(22, 18, 0))),
            (">= 22.18.0", Some(v(22, 18, 0))),
            ("^20.19.0 || >=22.12.0", Some(v(20, 19, 0))),
            ("24", Some(v(24, 0, 0))),
            ("24.x", Some(v(24, 0, 0))),
            ("v22.18.1", Some(v(22, 18, 1))),
            ("~22.18", Some(v(22, 18, 0))),
            (">22", Some(v(23, 0, 0))),
            (">22.17", Some(v(22, 18, 0))),
            (">22.17.9", Some(v(22, 17, 10))),
            (">=20 <25", Some(v(20, 0, 0))),
            ("<25 >=22.18", Some(v(22, 18, 0))),
            ("20.19.0 - 24", Some(v(20, 19, 0))),
            ("=24.0.0-rc.1", Some(v(24, 0, 0))),
            ("*", None),
            ("", None),
            ("<25", None),
            ("24 || *", None),
        ];
        for (range, want) in cases {
            assert_eq!(lowest_admitted(range), Ok(*want), "{range:?}");
        }
        for bad in ["banana", ">=", "22.18.0.1", "^x.y", ">=22 || lts"] {
            assert!(lowest_admitted(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flag_versions() {
        assert_eq!(parse_flag("24"), Ok(v(24, 0, 0)));
        assert_eq!(parse_flag("22.18"), Ok(v(22, 18, 0)));
        assert_eq!(parse_flag("v24.22.3"), Ok(v(24, 22, 3)));
        assert!(parse_flag("lts").is_err());
        assert!(parse_flag("").is_err());
        assert!(parse_flag("v").is_err());
    }

    fn project(package_json: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), package_json).unwrap();
        dir
    }

    #[test]
    fn precedence_flag_engines_build_node() {
        let dir = project(r#"{"engines":{"node":">=22.18"}}"#);
        let env_none = |_: &str| None;
        let env_npm = |name: &str| (name == "npm_node_execpath").then(|| OsString::from("/n24"));
        let probe = |p: &Path| match p.to_str() {
            Some("/n24") => Some(v(24, 22, 3)),
            Some("node") => Some(v(20, 20, 2)),
            _ => None,
        };
        let flag = decide_with(Some(v(20, 0, 0)), dir.path(), &env_npm, probe)
            .unwrap()
            .answer()
            .clone();
        assert_eq!(
            (flag.version, flag.from),
            (Some(v(20, 0, 0)), NodeSource::Flag)
        );
        let engines = decide_with(None, dir.path(), &env_npm, probe)
            .unwrap()
            .answer()
            .clone();
        assert_eq!(
            (engines.version, engines.from),
            (Some(v(22, 18, 0)), NodeSource::Engines)
        );
        assert!(engines.describe().contains("engines.node `>=22.18`"));

        let dir = project(r#"{"engines":{"node":"*"}}"#);
        let build = decide_with(None, dir.path(), &env_npm, probe)
            .unwrap()
            .answer()
            .clone();
        assert_eq!(
            (build.version, build.from),
            (Some(v(24, 22, 3)), NodeSource::NpmNodeExecpath)
        );
        let path = decide_with(None, dir.path(), &env_none, probe)
            .unwrap()
            .answer()
            .clone();
        assert_eq!(
            (path.version, path.from),
            (Some(v(20, 20, 2)), NodeSource::Path)
        );
        let none = decide_with(None, dir.path(), &env_none, |_: &Path| None)
            .unwrap()
            .answer()
            .clone();
        assert_eq!((none.version, none.from), (None, NodeSource::Unknown));
        assert!(none.describe().starts_with("an unknown Node version"));
    }

    #[test]
    fn bad_engines_is_an_input_error_naming_package_json() {
        let probe = |_: &Path| None;
        let env = |_: &str| None;
        for text in [
            r#"{"engines":{"node":"banana"}}"#,
            r#"{"engines":{"node":22}}"#,
            r#"{"engines":"#,
        ] {
            let dir = project(text);
            let err = decide_with(None, dir.path(), &env, probe).unwrap_err();
            assert!(err.to_string().contains("package.json"), "{err}");
            // --node decides before package.json is read.
            assert!(decide_with(Some(v(24, 0, 0)), dir.path(), &env, probe).is_ok());
        }
    }

    #[test]
    fn probe_refuses_what_is_not_node() {
        assert_eq!(probe(Path::new("/nonexistent/node")), None);
    }
}
