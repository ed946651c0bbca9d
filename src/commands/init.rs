//! `next-graft init`: set a Next.js project up for next-graft with the package manager in use
//! (`docs/init.md`).
//!
//! 1. Detect the manager as the managers do: the `packageManager` field of package.json, then
//!    lockfiles (walking up to the workspace root), then the user agent of the running
//!    `npx`/`pnpm dlx`/`yarn dlx`/`bunx` (`npm_config_user_agent`); npm when nothing says.
//! 2. Wire next-graft into the build: `"postbuild": "next-graft"` where the manager runs
//!    post-scripts (npm, pnpm, Yarn 1, Bun: measured), `"build": "… next build … && next-graft"`
//!    where it does not (Yarn 2+). A build script that does not run `next build` is never
//!    guessed at: init prints what to add and exits 1.
//! 3. Add next-graft to devDependencies with the manager's own command.
//! 4. Check next.config for `output: 'standalone'` (`--standalone` adds it, as a splice at the
//!    SWC span of the config object), and check an existing build.
//! 5. `--docker`: a Dockerfile and .dockerignore for the manager.
//!
//! package.json is edited as text at the spans of the values it changes, so its formatting
//! survives byte for byte. Every write is staged beside its target and renamed
//! ([`write_atomic`]); `--dry-run` prints the diffs and writes nothing. A second run changes
//! nothing. Exit codes: 0 the project is set up; 1 something remains that init would not guess
//! (printed), or the check of an existing build found errors; 2 bad input.

use super::{unified_diff, write_atomic, Common, Format, Outcome};
use crate::config::{self, discovery::Discovery};
use crate::findings::{Finding, Location, Slug};
use crate::InputError;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use swc_core::common::Spanned;
use swc_core::ecma::ast::{
    Callee, Decl, Expr, ModuleDecl, ModuleItem, ObjectLit, Pat, Program, Prop, PropName,
    PropOrSpread, Stmt,
};

/// Options of `next-graft init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Do not run the manager's install command for next-graft; print it.
    pub no_install: bool,
    /// Print a unified diff of every file init would change; write nothing, run nothing.
    pub dry_run: bool,
    /// Add `output: 'standalone'` to next.config when it is missing.
    pub standalone: bool,
    /// Write a Dockerfile and .dockerignore for the manager.
    pub docker: bool,
    /// `npm_config_user_agent` of the running package manager (the CLI passes the env var).
    pub user_agent: Option<String>,
}

/// A package manager, as far as init cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Npm,
    Pnpm,
    /// Yarn 1 (classic): runs pre/post scripts.
    Yarn1,
    /// Yarn 2+ (berry): never runs pre/post scripts.
    YarnBerry,
    Bun,
}

impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Npm => "npm",
            Manager::Pnpm => "pnpm",
            Manager::Yarn1 => "Yarn 1",
            Manager::YarnBerry => "Yarn 2+",
            Manager::Bun => "Bun",
        }
    }

    /// Whether `<manager> run build` also runs a `postbuild` script (npm 11, pnpm, Yarn 1,
    /// Bun 1.4.5: measured; Yarn 4 never runs pre/post scripts).
    pub fn runs_postbuild(self) -> bool {
        !matches!(self, Manager::YarnBerry)
    }

    /// The manager's own command that adds next-graft to devDependencies.
    pub fn install_command(self) -> &'static [&'static str] {
        match self {
            Manager::Npm => &["npm", "install", "--save-dev", "next-graft"],
            Manager::Pnpm => &["pnpm", "add", "-D", "next-graft"],
            Manager::Yarn1 | Manager::YarnBerry => &["yarn", "add", "-D", "next-graft"],
            Manager::Bun => &["bun", "add", "-d", "next-graft"],
        }
    }

    /// `<manager> run build`.
    pub fn run_build(self) -> &'static str {
        match self {
            Manager::Npm => "npm run build",
            Manager::Pnpm => "pnpm run build",
            Manager::Yarn1 | Manager::YarnBerry => "yarn run build",
            Manager::Bun => "bun run build",
        }
    }
}

/// The detected manager and the signal that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub manager: Manager,
    /// One line: what decided it (`packageManager` field, a lockfile, the user agent, default).
    pub why: String,
}

fn manager_from_spec(spec: &str) -> Option<Manager> {
    let (name, version) = spec.split_once('@')?;
    let major = version
        .trim_start_matches(['^', '~', '=', 'v'])
        .split(['.', '+', '-'])
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match name.trim() {
        "npm" => Some(Manager::Npm),
        "pnpm" => Some(Manager::Pnpm),
        "bun" => Some(Manager::Bun),
        "yarn" => match major {
            Some(1) => Some(Manager::Yarn1),
            Some(_) => Some(Manager::YarnBerry),
            None => None,
        },
        _ => None,
    }
}

/// `npm_config_user_agent`: `yarn/4.5.0 npm/? node/v20.11.0 linux x64`.
fn manager_from_user_agent(agent: &str) -> Option<Manager> {
    let first = agent.split_whitespace().next()?;
    let (name, version) = first.split_once('/')?;
    manager_from_spec(&format!("{name}@{version}"))
}

fn read_json(file: &Path) -> Option<Value> {
    serde_json::from_str(&fs::read_to_string(file).ok()?).ok()
}

/// The project directory and its ancestors up to the workspace root: the first directory
/// holding `.git`, or the file system root.
fn ancestors(project: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for dir in project.ancestors() {
        dirs.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            break;
        }
    }
    dirs
}

/// The lockfile signal of one directory, if any.
fn lockfile_in(dir: &Path) -> Option<(Manager, &'static str)> {
    if dir.join("pnpm-lock.yaml").is_file() {
        return Some((Manager::Pnpm, "pnpm-lock.yaml"));
    }
    if dir.join("bun.lock").is_file() {
        return Some((Manager::Bun, "bun.lock"));
    }
    if dir.join("bun.lockb").is_file() {
        return Some((Manager::Bun, "bun.lockb"));
    }
    let yarn_lock = dir.join("yarn.lock");
    if yarn_lock.is_file() {
        // Yarn 2+ writes a `__metadata` entry at the top of its lockfile; Yarn 1 never does.
        let berry = dir.join(".yarnrc.yml").is_file()
            || fs::read_to_string(&yarn_lock)
                .map(|t| t.lines().take(20).any(|l| l.starts_with("__metadata:")))
                .unwrap_or(false);
        return Some(if berry {
            (Manager::YarnBerry, "yarn.lock")
        } else {
            (Manager::Yarn1, "yarn.lock")
        });
    }
    if dir.join("package-lock.json").is_file() {
        return Some((Manager::Npm, "package-lock.json"));
    }
    if dir.join("npm-shrinkwrap.json").is_file() {
        return Some((Manager::Npm, "npm-shrinkwrap.json"));
    }
    None
}

/// Detect the manager from the files of `project` alone (no user agent); `None` when nothing
/// says.
fn detect_from_files(project: &Path) -> Option<Detection> {
    let dirs = ancestors(project);
    for dir in &dirs {
        if let Some(spec) = read_json(&dir.join("package.json"))
            .as_ref()
            .and_then(|p| p.get("packageManager"))
            .and_then(Value::as_str)
        {
            if let Some(manager) = manager_from_spec(spec) {
                return Some(Detection {
                    manager,
                    why: format!(
                        "\"packageManager\": \"{spec}\" in {}",
                        dir.join("package.json").display()
                    ),
                });
            }
        }
    }
    for dir in &dirs {
        if let Some((manager, name)) = lockfile_in(dir) {
            let extra = if manager == Manager::YarnBerry && dir.join(".yarnrc.yml").is_file() {
                " and .yarnrc.yml"
            } else if manager == Manager::YarnBerry {
                " (Yarn 2+ format)"
            } else {
                ""
            };
            return Some(Detection {
                manager,
                why: format!("{}{extra}", dir.join(name).display()),
            });
        }
    }
    None
}

/// Detect the package manager of `project` as the managers themselves do: `packageManager`
/// (nearest package.json upward), then lockfiles (up to the workspace root), then the user
/// agent of the running manager, else npm.
pub fn detect(project: &Path, user_agent: Option<&str>) -> Detection {
    if let Some(d) = detect_from_files(project) {
        return d;
    }
    if let Some(agent) = user_agent.filter(|a| !a.trim().is_empty()) {
        if let Some(manager) = manager_from_user_agent(agent) {
            let first = agent.split_whitespace().next().unwrap_or(agent);
            return Detection {
                manager,
                why: format!("run by {first} (npm_config_user_agent)"),
            };
        }
    }
    Detection {
        manager: Manager::Npm,
        why: "no packageManager field, lockfile or package-manager user agent: assuming npm".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// package.json as text: the spans of the members init edits.

#[derive(Debug, Clone)]
struct Member {
    key: String,
    /// Start of the key's opening quote.
    key_lo: usize,
    value_lo: usize,
    value_hi: usize,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End of the string starting at the quote `b[i]`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// End of the JSON value starting at `b[i]` (the text is valid JSON: serde_json said so).
fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            j
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            j
        }
    }
}

/// The members of the object whose `{` is at `lo`, and the position of its `}`.
fn members(text: &str, lo: usize) -> (Vec<Member>, usize) {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(b, lo + 1);
    while i < b.len() && b[i] != b'}' {
        let key_lo = i;
        let key_hi = skip_string(b, i);
        let key: String = serde_json::from_str(&text[key_lo..key_hi]).unwrap_or_default();
        i = skip_ws(b, key_hi);
        i = skip_ws(b, i + 1); // ':'
        let value_lo = i;
        let value_hi = skip_value(b, i);
        out.push(Member {
            key,
            key_lo,
            value_lo,
            value_hi,
        });
        i = skip_ws(b, value_hi);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        }
    }
    (out, i)
}

/// The indentation unit of a pretty-printed JSON text (two spaces when it cannot tell).
fn indent_unit(text: &str) -> String {
    for line in text.lines().skip(1) {
        let n = line.len() - line.trim_start_matches([' ', '\t']).len();
        if n > 0 && !line.trim().is_empty() {
            return line[..n].to_string();
        }
    }
    "  ".into()
}

fn line_indent(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n.min(pos - start)]
}

/// Text of a new member `"key": value` to add to the object at `lo` (value already JSON).
fn insert_member(text: &str, lo: usize, key: &str, value_json: &str) -> String {
    let (ms, close) = members(text, lo);
    let key_json = serde_json::to_string(key).unwrap_or_default();
    let multiline = text[lo..close].contains('\n') || ms.is_empty() && text.contains('\n');
    match ms.last() {
        Some(last) => {
            let sep = if multiline {
                format!(",\n{}", line_indent(text, ms[0].key_lo))
            } else {
                ", ".into()
            };
            format!(
                "{}{sep}{key_json}: {value_json}{}",
                &text[..last.value_hi],
                &text[last.value_hi..]
            )
        }
        None => {
            let body = if multiline {
                let outer = line_indent(text, lo);
                let unit = indent_unit(text);
                format!("\n{outer}{unit}{key_json}: {value_json}\n{outer}")
            } else {
                format!(" {key_json}: {value_json} ")
            };
            format!("{}{body}{}", &text[..lo + 1], &text[close..])
        }
    }
}

/// The top-level object's `{` position.
fn root_lo(text: &str) -> usize {
    skip_ws(text.as_bytes(), 0)
}

/// Set `scripts.<name>` to `value` in the package.json text, keeping everything else.
fn set_script(text: &str, name: &str, value: &str) -> String {
    let value_json = serde_json::to_string(value).unwrap_or_default();
    let root = root_lo(text);
    let (top, _) = members(text, root);
    match top
        .iter()
        .find(|m| m.key == "scripts" && text.as_bytes()[m.value_lo] == b'{')
    {
        Some(scripts) => {
            let (ms, _) = members(text, scripts.value_lo);
            match ms.iter().find(|m| m.key == name) {
                Some(m) => format!("{}{value_json}{}", &text[..m.value_lo], &text[m.value_hi..]),
                None => insert_member(text, scripts.value_lo, name, &value_json),
            }
        }
        None => {
            let multiline = text[root..].contains('\n');
            let object = if multiline {
                let outer = match top.first() {
                    Some(m) => line_indent(text, m.key_lo).to_string(),
                    None => indent_unit(text),
                };
                let unit = indent_unit(text);
                let k = serde_json::to_string(name).unwrap_or_default();
                format!("{{\n{outer}{unit}{k}: {value_json}\n{outer}}}")
            } else {
                format!(
                    "{{ {}: {value_json} }}",
                    serde_json::to_string(name).unwrap_or_default()
                )
            };
            insert_member(text, root, "scripts", &object)
        }
    }
}

/// Line (1-based) of `scripts.<name>` in the text, for findings.
fn script_line(text: &str, name: &str) -> Option<u32> {
    let root = root_lo(text);
    let (top, _) = members(text, root);
    let scripts = top.iter().find(|m| m.key == "scripts")?;
    if text.as_bytes().get(scripts.value_lo) != Some(&b'{') {
        return None;
    }
    let (ms, _) = members(text, scripts.value_lo);
    let m = ms.iter().find(|m| m.key == name)?;
    Some(text[..m.key_lo].matches('\n').count() as u32 + 1)
}

// ---------------------------------------------------------------------------------------------
// Scripts

/// Whether a script runs `next build` (as a command, not e.g. `next buildx`).
fn runs_next_build(script: &str) -> bool {
    let words: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .any(|w| (w[0] == "next" || w[0].ends_with("/next")) && w[1] == "build")
}

fn mentions_next_graft(script: &str) -> bool {
    script.contains("next-graft")
}

/// What to do with the scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wiring {
    /// Already wired; the line says how.
    Done(String),
    /// Set `scripts.<name>` to the value.
    Set {
        name: &'static str,
        value: String,
        why: String,
    },
    /// Cannot wire without guessing: the instruction.
    Manual(String),
}

fn plan_wiring(manager: Manager, scripts: &serde_json::Map<String, Value>) -> Wiring {
    let get = |k: &str| scripts.get(k).and_then(Value::as_str);
    let build = get("build");
    let postbuild = get("postbuild");
    if build.is_some_and(mentions_next_graft) {
        return Wiring::Done("\"build\" already runs next-graft".into());
    }
    if manager.runs_postbuild() {
        if postbuild.is_some_and(mentions_next_graft) {
            return Wiring::Done("\"postbuild\" already runs next-graft".into());
        }
        if build.is_none() {
            return Wiring::Set {
                name: "build",
                value: "next build && next-graft".into(),
                why: "there was no build script".into(),
            };
        }
        let value = match postbuild {
            Some(p) if !p.trim().is_empty() => format!("{p} && next-graft"),
            _ => "next-graft".into(),
        };
        return Wiring::Set {
            name: "postbuild",
            value,
            why: format!("{} runs postbuild after build", manager.name()),
        };
    }
    // Yarn 2+: pre/post scripts never run; next-graft must be part of build itself.
    match build {
        None => Wiring::Set {
            name: "build",
            value: "next build && next-graft".into(),
            why: "there was no build script".into(),
        },
        Some(b) if runs_next_build(b) => Wiring::Set {
            name: "build",
            value: format!("{} && next-graft", b.trim_end()),
            why: format!("{} never runs postbuild scripts", manager.name()),
        },
        Some(b) => Wiring::Manual(format!(
            "\"build\": {} does not run `next build` itself, and {} never runs postbuild scripts: add `&& next-graft` after the `next build` of the app's own build (e.g. \"build\": \"next build && next-graft\"), or run `yarn next-graft` after `{}`",
            serde_json::to_string(b).unwrap_or_default(),
            manager.name(),
            manager.run_build()
        )),
    }
}

/// `check`'s warning: a Yarn 2+ project whose `postbuild` runs next-graft, while no other
/// script does. Yarn 2+ never runs it, so the build ships unrepaired.
pub fn postbuild_findings(project: &Path) -> Vec<Finding> {
    let file = project.join("package.json");
    let Ok(text) = fs::read_to_string(&file) else {
        return Vec::new();
    };
    let Ok(pkg) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let Some(scripts) = pkg.get("scripts").and_then(Value::as_object) else {
        return Vec::new();
    };
    let postbuild = scripts.get("postbuild").and_then(Value::as_str);
    if !postbuild.is_some_and(mentions_next_graft) {
        return Vec::new();
    }
    if scripts
        .iter()
        .any(|(k, v)| k != "postbuild" && v.as_str().is_some_and(mentions_next_graft))
    {
        return Vec::new();
    }
    let Some(detection) = detect_from_files(project) else {
        return Vec::new();
    };
    if detection.manager.runs_postbuild() {
        return Vec::new();
    }
    let location = match script_line(&text, "postbuild") {
        Some(line) => Location::at(&file, line, 5),
        None => Location::file(&file),
    };
    vec![Finding::warning(
        Slug::PostbuildNotRun,
        "\"postbuild\": \"next-graft\" never runs: Yarn 2+ does not run pre/post scripts, and no other script runs next-graft",
    )
    .at(location)
    .with_note(format!("Yarn 2+ detected from {}", detection.why))
    .with_help("run `npx next-graft init` (it sets \"build\": \"next build && next-graft\"), or append `&& next-graft` to the build script yourself")]
}

// ---------------------------------------------------------------------------------------------
// next.config: `output: 'standalone'`

#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    Standalone,
    /// `output` is set to something else (its source text).
    Other(String),
    /// The config object has no `output`: insert the text at the position.
    Missing {
        at: usize,
        text: String,
    },
    /// The exported config object cannot be found statically (a function, an import).
    Unknown,
}

fn unwrap_expr(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Paren(p) => &p.expr,
            Expr::TsAs(t) => &t.expr,
            Expr::TsSatisfies(t) => &t.expr,
            Expr::TsTypeAssertion(t) => &t.expr,
            Expr::TsConstAssertion(t) => &t.expr,
            _ => return e,
        }
    }
}

/// The object literal the exported expression evaluates to: through identifiers bound at the
/// top level and wrapper calls (`withX(config)`).
fn config_object<'a>(program: &'a Program, export: &'a Expr, depth: u32) -> Option<&'a ObjectLit> {
    if depth > 8 {
        return None;
    }
    match unwrap_expr(export) {
        Expr::Object(o) => Some(o),
        Expr::Ident(id) => {
            let init = top_level_init(program, id.sym.as_ref())?;
            config_object(program, init, depth + 1)
        }
        Expr::Call(call) if matches!(call.callee, Callee::Expr(_)) => {
            let arg = call.args.first()?;
            if arg.spread.is_some() {
                return None;
            }
            config_object(program, &arg.expr, depth + 1)
        }
        _ => None,
    }
}

fn top_level_stmts(program: &Program) -> Vec<&Stmt> {
    match program {
        Program::Module(m) => m
            .body
            .iter()
            .filter_map(|i| match i {
                ModuleItem::Stmt(s) => Some(s),
                _ => None,
            })
            .collect(),
        Program::Script(s) => s.body.iter().collect(),
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    }
}

fn top_level_init<'a>(program: &'a Program, name: &str) -> Option<&'a Expr> {
    let mut found = None;
    let mut visit_decl = |decl: &'a Decl| {
        if let Decl::Var(v) = decl {
            for d in &v.decls {
                if let (Pat::Ident(id), Some(init)) = (&d.name, &d.init) {
                    if id.id.sym.as_ref() == name {
                        found = Some(&**init);
                    }
                }
            }
        }
    };
    if let Program::Module(m) = program {
        for item in &m.body {
            match item {
                ModuleItem::Stmt(Stmt::Decl(d)) => visit_decl(d),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => visit_decl(&e.decl),
                _ => {}
            }
        }
    } else {
        for s in top_level_stmts(program) {
            if let Stmt::Decl(d) = s {
                visit_decl(d);
            }
        }
    }
    found
}

/// The exported expression: `module.exports = X` or `export default X`.
fn exported(program: &Program) -> Option<&Expr> {
    let mut found = None;
    if let Program::Module(m) = program {
        for item in &m.body {
            if let ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(e)) = item {
                found = Some(&*e.expr);
            }
        }
    }
    for s in top_level_stmts(program) {
        if let Stmt::Expr(e) = s {
            if let Expr::Assign(a) = &*e.expr {
                if let Some(m) = a.left.as_simple().and_then(|s| s.as_member()) {
                    let is_module = m.obj.as_ident().is_some_and(|i| &*i.sym == "module");
                    let is_exports = m.prop.as_ident().is_some_and(|i| &*i.sym == "exports");
                    if is_module && is_exports {
                        found = Some(&*a.right);
                    }
                }
            }
        }
    }
    found
}

fn prop_key(name: &PropName) -> Option<String> {
    match name {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
        _ => None,
    }
}

fn find_output(program: &Program, base: u32, source: &str) -> Output {
    let Some(object) = exported(program).and_then(|e| config_object(program, e, 0)) else {
        return Output::Unknown;
    };
    let off = |p: swc_core::common::BytePos| p.0.saturating_sub(base) as usize;
    for p in &object.props {
        if let PropOrSpread::Prop(prop) = p {
            if let Prop::KeyValue(kv) = &**prop {
                if prop_key(&kv.key).as_deref() == Some("output") {
                    let span = kv.value.span();
                    let text = source
                        .get(off(span.lo)..off(span.hi))
                        .unwrap_or("")
                        .to_string();
                    let value = text.trim_matches(['\'', '"', '`']);
                    return if value == "standalone" && text.len() == value.len() + 2 {
                        Output::Standalone
                    } else {
                        Output::Other(text)
                    };
                }
            }
        }
    }
    let quote = if source.matches('"').count() > source.matches('\'').count() {
        '"'
    } else {
        '\''
    };
    let prop = format!("output: {quote}standalone{quote}");
    let lo = off(object.span.lo);
    match object.props.first() {
        Some(first) => {
            let at = off(first.span().lo);
            let multiline = source.get(lo..at).is_some_and(|s| s.contains('\n'));
            let text = if multiline {
                format!("{prop},\n{}", line_indent(source, at))
            } else {
                format!("{prop}, ")
            };
            Output::Missing { at, text }
        }
        None => Output::Missing {
            at: lo + 1,
            text: format!(" {prop} "),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Docker

/// The run stage of `examples/Dockerfile` (the recipe `tests/e2e_docker_recipe.rs` replays), on
/// plain `node:22-alpine` (the base stage may hold a package manager the server does not need),
/// without the `public/` line when the app has none.
fn runner_stage(has_public: bool) -> String {
    const RECIPE: &str = include_str!("../../examples/Dockerfile");
    let start = RECIPE
        .find("# 3. Run")
        .expect("examples/Dockerfile has its run stage");
    RECIPE[start..]
        .lines()
        .filter(|l| has_public || !(l.contains("/app/public") || l.contains("no public/ folder")))
        .map(|l| {
            if l == "FROM base AS runner" {
                "FROM node:22-alpine AS runner"
            } else {
                l
            }
        })
        .fold(String::new(), |out, l| out + l + "\n")
}

fn dockerfile(manager: Manager, has_public: bool) -> String {
    let (base_setup, deps_copy, install, build, note) = match manager {
        Manager::Npm => (
            "",
            "COPY package.json package-lock.json ./",
            "RUN npm ci",
            "RUN npm run build",
            "",
        ),
        Manager::Pnpm => (
            "# pnpm through corepack (the version of \"packageManager\" in package.json, if set).\nRUN corepack enable pnpm\n",
            "COPY package.json pnpm-lock.yaml ./",
            "RUN pnpm install --frozen-lockfile",
            "RUN pnpm run build",
            "",
        ),
        Manager::Yarn1 => (
            "",
            "COPY package.json yarn.lock ./",
            "RUN yarn install --frozen-lockfile",
            "RUN yarn run build",
            "",
        ),
        Manager::YarnBerry => (
            "# Yarn through corepack: it runs the version of \"packageManager\" in package.json\n# (`yarn set version stable` sets it); .yarnrc.yml must say `nodeLinker: node-modules`.\nRUN corepack enable\n",
            "COPY package.json yarn.lock .yarnrc.yml ./",
            "RUN yarn install --immutable",
            "RUN yarn run build",
            "# Yarn 2+ never runs postbuild scripts: \"build\" is `next build && next-graft`.\n",
        ),
        Manager::Bun => (
            "# Bun from npm (it installs the binary for the image's platform); Node runs next.\nRUN npm install -g bun@1\n",
            "COPY package.json bun.lock* bun.lockb* ./",
            "RUN bun install --frozen-lockfile",
            "RUN bun run build",
            "",
        ),
    };
    let wiring = if manager.runs_postbuild() {
        format!(
            "`{}` runs `next build`, then next-graft (the postbuild script)",
            manager.run_build()
        )
    } else {
        format!("`{}` runs `next build && next-graft`", manager.run_build())
    };
    let runner = runner_stage(has_public);
    format!(
        r#"# syntax=docker/dockerfile:1
# Written by `next-graft init --docker` for {name}: a Next.js app with `output: 'standalone'`
# and a custom cache handler (docs/docker.md of next-graft explains each stage).
# Never install with --omit=dev or --omit=optional: next-graft is a dev dependency whose binary
# is an optional dependency.

FROM node:22-alpine AS base
{base_setup}
# 1. Dependencies, including dev and optional ones.
FROM base AS deps
RUN apk add --no-cache libc6-compat
WORKDIR /app
{deps_copy}
{install}

# 2. Build: {wiring}.
#    If production would not load a handler, next-graft exits 1 and the image build stops
#    here, with the file and line of the problem.
FROM base AS builder
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
{note}{build}

{runner}"#,
        name = manager.name(),
    )
}

const DOCKERIGNORE: &str = "# node_modules holds the next-graft binary of the machine that installed it, not the image's:\n# the install in the image installs the right one.\nnode_modules\n.next\n.git\nnpm-debug.log*\nyarn-error.log\n.pnpm-store\n";

// ---------------------------------------------------------------------------------------------
// The command

struct Change {
    file: PathBuf,
    display: String,
    original: String,
    new: String,
}

fn display(project: &Path, file: &Path) -> String {
    file.strip_prefix(project)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

/// `next-graft init`.
pub fn init(common: &Common, options: &InitOptions) -> Result<Outcome, InputError> {
    let project = crate::platform::canonicalize(&common.project).map_err(|e| {
        InputError::new(format!(
            "{}: cannot open project directory: {e}",
            common.project.display()
        ))
    })?;
    let pkg_file = project.join("package.json");
    let pkg_text = fs::read_to_string(&pkg_file)
        .map_err(|e| InputError::new(format!("{}: cannot read: {e}", pkg_file.display())))?;
    let pkg: Value = serde_json::from_str(&pkg_text).map_err(|e| {
        InputError::new(format!(
            "{}:{}:{}: not valid JSON: {e}",
            pkg_file.display(),
            e.line(),
            e.column()
        ))
    })?;
    let Some(pkg_obj) = pkg.as_object() else {
        return Err(InputError::new(format!(
            "{}: not a JSON object",
            pkg_file.display()
        )));
    };
    let dep = |section: &str, name: &str| {
        pkg_obj
            .get(section)
            .and_then(Value::as_object)
            .is_some_and(|d| d.contains_key(name))
    };
    if !dep("dependencies", "next") && !dep("devDependencies", "next") {
        return Err(InputError::new(format!(
            "{}: not a Next.js app (no `next` in dependencies or devDependencies)",
            pkg_file.display()
        )));
    }

    let mut lines: Vec<String> = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    let mut remaining = 0usize;

    // 1. The manager.
    let detection = detect(&project, options.user_agent.as_deref());
    let manager = detection.manager;
    lines.push(format!(
        "package manager: {} ({})",
        manager.name(),
        detection.why
    ));

    // 2. The scripts.
    let empty = serde_json::Map::new();
    let scripts = pkg_obj
        .get("scripts")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut new_pkg = pkg_text.clone();
    if !manager.runs_postbuild()
        && scripts
            .get("postbuild")
            .and_then(Value::as_str)
            .is_some_and(mentions_next_graft)
    {
        lines.push(format!(
            "scripts: \"postbuild\" never runs with {}: it is left as it is (remove it if no other package manager builds this app)",
            manager.name()
        ));
    }
    match plan_wiring(manager, scripts) {
        Wiring::Done(how) => lines.push(format!("scripts: {how}")),
        Wiring::Set { name, value, why } => {
            let old = scripts.get(name).and_then(Value::as_str);
            lines.push(match old {
                Some(old) => format!(
                    "scripts: \"{name}\": {} -> {} ({why})",
                    serde_json::to_string(old).unwrap_or_default(),
                    serde_json::to_string(&value).unwrap_or_default()
                ),
                None => format!(
                    "scripts: add \"{name}\": {} ({why})",
                    serde_json::to_string(&value).unwrap_or_default()
                ),
            });
            new_pkg = set_script(&new_pkg, name, &value);
            // Never write a package.json that does not say what we meant.
            let check: Value = serde_json::from_str(&new_pkg).map_err(|e| {
                InputError::new(format!(
                    "internal error: the edited package.json does not parse: {e}"
                ))
            })?;
            if check["scripts"][name].as_str() != Some(value.as_str()) {
                return Err(InputError::new(
                    "internal error: the edited package.json does not hold the new script",
                ));
            }
        }
        Wiring::Manual(instruction) => {
            remaining += 1;
            lines.push(format!("scripts: not changed: {instruction}"));
        }
    }
    if new_pkg != pkg_text {
        changes.push(Change {
            file: pkg_file.clone(),
            display: "package.json".into(),
            original: pkg_text.clone(),
            new: new_pkg,
        });
    }

    // 3. The dev dependency.
    let mut not_installed: Option<String> = None;
    let install = if dep("devDependencies", "next-graft") || dep("dependencies", "next-graft") {
        lines.push("devDependencies: next-graft is already a dependency".into());
        None
    } else {
        let command = manager.install_command().join(" ");
        if options.dry_run {
            lines.push(format!("devDependencies: would run `{command}`"));
            None
        } else if options.no_install {
            lines.push(format!(
                "devDependencies: next-graft is missing: run `{command}` (--no-install)"
            ));
            not_installed = Some(command);
            None
        } else {
            Some(command)
        }
    };

    // 4. next.config.
    let layout = crate::layout::discover(&project, common.dist_dir.as_deref()).ok();
    let version = layout.as_ref().and_then(|l| l.next_version());
    let has_build = layout.as_ref().is_some_and(|l| l.has_build());
    match config::discovery::discover(&project, version) {
        Discovery::Found { file } => {
            let source = fs::read_to_string(&file)
                .map_err(|e| InputError::new(format!("{}: cannot read: {e}", file.display())))?;
            let (program, base) = config::parse(&file, &source)?;
            let shown = display(&project, &file);
            match find_output(&program, base, &source) {
                Output::Standalone => lines.push(format!("{shown}: output: 'standalone' is set")),
                Output::Other(text) => lines.push(format!(
                    "{shown}: output is {text}, not 'standalone': next-graft then checks `next start` (--mode start); set output: 'standalone' for a Docker image"
                )),
                Output::Unknown => lines.push(format!(
                    "{shown}: cannot find the exported config object to check `output`: make sure it has output: 'standalone' (for a Docker image)"
                )),
                Output::Missing { at, text } => {
                    if options.standalone {
                        let fixed = format!("{}{text}{}", &source[..at], &source[at..]);
                        config::parse(&file, &fixed).map_err(|e| {
                            InputError::new(format!(
                                "internal error: the edited config does not parse: {e}"
                            ))
                        })?;
                        lines.push(format!("{shown}: add output: 'standalone' (--standalone)"));
                        changes.push(Change {
                            file: file.clone(),
                            display: shown,
                            original: source,
                            new: fixed,
                        });
                    } else {
                        lines.push(format!(
                            "{shown}: output: 'standalone' is missing: a Docker image needs it (`next-graft init --standalone` adds it)"
                        ));
                    }
                }
            }
        }
        Discovery::None => {
            if options.standalone {
                let file = project.join("next.config.mjs");
                lines.push(
                    "next.config.mjs: create it with output: 'standalone' (--standalone)".into(),
                );
                changes.push(Change {
                    file,
                    display: "next.config.mjs".into(),
                    original: String::new(),
                    new: "/** @type {import('next').NextConfig} */\nexport default {\n  output: 'standalone',\n};\n".into(),
                });
            } else {
                lines.push("next.config: none: a Docker image needs output: 'standalone' (`next-graft init --standalone` creates next.config.mjs with it)".into());
            }
        }
        Discovery::Unsupported { file, message } => {
            return Err(InputError::new(format!("{}: {message}", file.display())))
        }
        Discovery::Ignored { file, reason } => {
            return Err(InputError::new(format!("{}: {reason}", file.display())))
        }
    }

    // 5. Docker.
    if options.docker {
        let has_public = project.join("public").is_dir();
        for (name, text) in [
            ("Dockerfile", dockerfile(manager, has_public)),
            (".dockerignore", DOCKERIGNORE.to_string()),
        ] {
            let file = project.join(name);
            match fs::read_to_string(&file) {
                Ok(existing) if existing == text => {
                    lines.push(format!("{name}: already written by init"));
                }
                Ok(_) if name == "Dockerfile" => {
                    return Err(InputError::new(format!(
                        "{}: exists and differs from what init writes for {}: not overwritten (remove it, or compare with `next-graft init --docker --dry-run` in an empty copy)",
                        file.display(),
                        manager.name()
                    )));
                }
                Ok(_) => lines.push(format!("{name}: exists: left as it is")),
                Err(_) if file.exists() || file.symlink_metadata().is_ok() => {
                    return Err(InputError::new(format!(
                        "{}: exists and cannot be read: not overwritten",
                        file.display()
                    )));
                }
                Err(_) => {
                    lines.push(format!("{name}: write it for {}", manager.name()));
                    changes.push(Change {
                        file,
                        display: name.into(),
                        original: String::new(),
                        new: text,
                    });
                }
            }
        }
    }

    // 6. Write (or show) the changes, then install.
    let mut text = String::new();
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    if options.dry_run {
        for c in &changes {
            text.push_str(&unified_diff(&c.original, &c.new, &c.display));
        }
    } else {
        for c in &changes {
            write_atomic(&c.file, &c.new)
                .map_err(|e| InputError::new(format!("{}: cannot write: {e}", c.file.display())))?;
            text.push_str(&format!("wrote {}\n", c.display));
        }
    }
    let mut install_failed = false;
    // For `--format json`: the install run, as it went (its own output goes to stderr).
    let mut installed = Value::Null;
    if let Some(command) = &install {
        let args = manager.install_command();
        let status = Command::new(args[0])
            .args(&args[1..])
            .current_dir(&project)
            .stdout(std::io::stderr())
            .status();
        let line = match status {
            Ok(s) if s.success() => format!("ran `{command}`"),
            Ok(s) => {
                install_failed = true;
                format!("devDependencies: `{command}` failed ({s}): run it yourself")
            }
            Err(e) => {
                install_failed = true;
                format!("devDependencies: cannot run `{command}` ({e}): run it yourself")
            }
        };
        installed = serde_json::json!({
            "command": command,
            "ok": !install_failed,
            "message": line,
        });
        text.push_str(&line);
        text.push('\n');
    }

    // 7. An existing build: check it.
    let mut check_failed = false;
    let mut checked = Value::Null;
    if !options.dry_run && has_build {
        let mut c = common.clone();
        c.project = project.clone();
        let outcome = super::check(&c)?;
        check_failed = outcome.exit_code != 0;
        if common.format == Format::Json {
            // check printed its own JSON report: nested as it is.
            checked = serde_json::from_str(&outcome.stdout).unwrap_or(Value::Null);
        }
        text.push_str("check of the existing build:\n");
        text.push_str(&outcome.stdout);
    }

    let (outcome, verdict) = if options.dry_run {
        (
            "dry-run",
            format!(
                "init: dry run: {} file(s) would change; nothing written\n",
                changes.len()
            ),
        )
    } else if changes.is_empty() && install.is_none() && remaining == 0 {
        (
            "nothing-to-change",
            format!(
                "init: nothing to change: next-graft runs after every `{}`\n",
                manager.run_build()
            ),
        )
    } else if remaining > 0 {
        (
            "incomplete",
            "init: incomplete: see `not changed` above\n".to_string(),
        )
    } else {
        (
            "done",
            format!(
                "init: done: next-graft runs after every `{}`\n",
                manager.run_build()
            ),
        )
    };
    text.push_str(&verdict);
    if let Some(command) = &not_installed {
        text.push_str(&format!(
            "init: next-graft itself is not installed yet: run `{command}`\n"
        ));
    }
    let exit_code = if remaining > 0 || check_failed || install_failed {
        1
    } else {
        0
    };
    if common.format == Format::Json {
        let report = InitReport {
            project: &project,
            outcome,
            verdict: verdict.trim_end(),
            package_manager: (manager.name(), &detection.why),
            steps: &lines,
            changes: &changes,
            written: !options.dry_run,
            install: installed,
            not_installed: not_installed.as_deref(),
            check: checked,
        };
        return Ok(Outcome {
            stdout: report.to_json(),
            exit_code,
        });
    }
    if common.quiet && exit_code == 0 {
        text.clear();
    }
    Ok(Outcome {
        stdout: text,
        exit_code,
    })
}

/// What init did, for `--format json` (docs/json-output.md#init): the same facts as the text.
struct InitReport<'a> {
    project: &'a Path,
    /// `done`, `nothing-to-change`, `incomplete` or `dry-run`.
    outcome: &'static str,
    /// The text's verdict line.
    verdict: &'a str,
    /// The manager's name, and which signal chose it.
    package_manager: (&'a str, &'a str),
    /// The text's report lines, each `<topic>: <message>`.
    steps: &'a [String],
    changes: &'a [Change],
    /// Whether the changes were written (not a dry run).
    written: bool,
    install: Value,
    /// With `--no-install`: the command that installs next-graft, still to run.
    not_installed: Option<&'a str>,
    /// The report of `check` on an existing build.
    check: Value,
}

impl InitReport<'_> {
    fn to_json(&self) -> String {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|line| {
                let (topic, message) = line.split_once(": ").unwrap_or(("", line));
                serde_json::json!({ "topic": topic, "message": message })
            })
            .collect();
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "file": c.file,
                    "written": self.written,
                    "diff": unified_diff(&c.original, &c.new, &c.display),
                })
            })
            .collect();
        let object = serde_json::json!({
            "schema_version": crate::report::SCHEMA_VERSION,
            "command": "init",
            "project": self.project,
            "outcome": self.outcome,
            "verdict": self.verdict,
            "package_manager": { "name": self.package_manager.0, "why": self.package_manager.1 },
            "steps": steps,
            "changes": changes,
            "install": self.install,
            "not_installed": self.not_installed,
            "check": self.check,
        });
        serde_json::to_string_pretty(&object).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_agents() {
        assert_eq!(manager_from_spec("yarn@1.22.19"), Some(Manager::Yarn1));
        assert_eq!(
            manager_from_spec("yarn@4.5.0+sha512.abc"),
            Some(Manager::YarnBerry)
        );
        assert_eq!(manager_from_spec("pnpm@9.1.0"), Some(Manager::Pnpm));
        assert_eq!(manager_from_spec("deno@2"), None);
        assert_eq!(
            manager_from_user_agent("bun/1.1.0 npm/? node/v22.0.0 linux x64"),
            Some(Manager::Bun)
        );
        assert_eq!(
            manager_from_user_agent("npm/11.0.0 node/v20.0.0 linux x64 workspaces/false"),
            Some(Manager::Npm)
        );
    }

    #[test]
    fn next_build_is_recognized_as_a_command() {
        assert!(runs_next_build("next build"));
        assert!(runs_next_build("NODE_ENV=x next build --webpack"));
        assert!(runs_next_build("prisma generate&&next build"));
        assert!(!runs_next_build("turbo run build"));
        assert!(!runs_next_build("next buildx"));
    }

    #[test]
    fn scripts_are_spliced() {
        let t = "{\n    \"name\": \"a\",\n    \"scripts\": {\n        \"build\": \"next build\"\n    }\n}\n";
        assert_eq!(
            set_script(t, "postbuild", "next-graft"),
            "{\n    \"name\": \"a\",\n    \"scripts\": {\n        \"build\": \"next build\",\n        \"postbuild\": \"next-graft\"\n    }\n}\n"
        );
        assert_eq!(
            set_script(t, "build", "next build && next-graft"),
            "{\n    \"name\": \"a\",\n    \"scripts\": {\n        \"build\": \"next build && next-graft\"\n    }\n}\n"
        );
        let t = "{\n\t\"name\": \"a\"\n}";
        assert_eq!(
            set_script(t, "postbuild", "next-graft"),
            "{\n\t\"name\": \"a\",\n\t\"scripts\": {\n\t\t\"postbuild\": \"next-graft\"\n\t}\n}"
        );
        let t = "{\"name\":\"a\",\"scripts\":{}}";
        assert_eq!(
            set_script(t, "postbuild", "next-graft"),
            "{\"name\":\"a\",\"scripts\":{ \"postbuild\": \"next-graft\" }}"
        );
    }
}
