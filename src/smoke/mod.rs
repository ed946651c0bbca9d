//! `smoke`: prove production parity by running the moved server and watching each handler.
//!
//! The deployable output (standalone tree, `.next/static`, `public/`) is copied to a fresh
//! temporary directory, as a Docker image would hold it. In that copy only, every configured
//! handler is replaced by a probe that loads the real one and logs construction and calls; the
//! server runs from the copy on 127.0.0.1 with the build tree hidden, each route is requested,
//! and the server is stopped by its own process group. The copy is always removed.

pub mod probe;
mod server;

use crate::findings::{Finding, Location, Slug};
use crate::layout::{normalize, Layout};
use crate::manifest::RecordedHandler;
use crate::manifest::{self, CopyKind, Recorded};
use crate::InputError;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use server::Isolation;

#[derive(Debug, Clone)]
pub struct SmokeOptions {
    /// Routes to request; empty = every page and route handler the build lists.
    pub routes: Vec<String>,
    /// `None`: standalone when the build has standalone output, else `next start`.
    pub mode: Option<Mode>,
    pub requests: u32,
    pub timeout: Duration,
}

/// Calls of one method.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MethodCalls {
    pub count: u32,
    pub errors: u32,
    pub total_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandlerActivity {
    pub key: String,
    pub kind: String,
    pub loaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_error: Option<String>,
    pub constructed: u32,
    pub calls: BTreeMap<String, MethodCalls>,
}

impl HandlerActivity {
    /// Calls that read or write the cache. Bookkeeping calls (`resetRequestCache`,
    /// `receiveExpiredTags`, `refreshTags`, …) happen even while Next serves every request from
    /// its in-memory default, as on 15.1 with #72552: they do not prove the handler is used.
    pub fn cache_calls(&self) -> u32 {
        ["get", "set"]
            .iter()
            .filter_map(|m| self.calls.get(*m))
            .map(|c| c.count)
            .sum()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestResult {
    pub route: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SmokeReport {
    pub mode: Mode,
    pub handlers: Vec<HandlerActivity>,
    pub requests: Vec<RequestResult>,
    /// The server's own error lines (`⨯ …`, `ERR_MODULE_NOT_FOUND`, …).
    pub server_errors: Vec<String>,
    /// Accesses under the build tree that the guard saw.
    pub escapes: Vec<String>,
    pub isolation: Isolation,
    pub port: u16,
    /// The server's process id (its process group was stopped as a whole).
    pub server_pid: Option<u32>,
    pub duration_ms: u128,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// `node` from `PATH` (or `NEXT_GRAFT_NODE`).
pub fn find_node() -> Result<PathBuf, InputError> {
    if let Some(explicit) = std::env::var_os("NEXT_GRAFT_NODE") {
        return Ok(PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("node{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            InputError::new(
                "node: not found on PATH; smoke runs the production server with Node.js",
            )
        })
}

/// Which production server a smoke run starts: `node server.js` of a copy of the standalone
/// folder, as a Docker image holds it, or `next start` through the project's own `next` binary,
/// in a temporary copy of the project (the deployment the verdict is about, `--mode`).
pub use crate::layout::Deployment as Mode;

/// A temporary deployment with probes in place, ready to start.
struct Prepared {
    temp: tempfile::TempDir,
    cwd: PathBuf,
    script: PathBuf,
    args: Vec<String>,
    guard: PathBuf,
    log: PathBuf,
    hidden: Vec<PathBuf>,
    activity: Vec<HandlerActivity>,
}

pub fn run(
    layout: &Layout,
    recorded: &Recorded,
    options: &SmokeOptions,
) -> Result<SmokeReport, InputError> {
    let started = Instant::now();
    let node = find_node()?;
    let mode = options.mode.unwrap_or(if layout.standalone.is_some() {
        Mode::Standalone
    } else {
        Mode::Start
    });
    // The handlers production uses: what the authoritative copy records, for the keys this Next
    // version reads (the version table answers; no closure needs tracing for that).
    let facts = layout.next_version().map(crate::versions::facts);
    let active: Vec<&RecordedHandler> = recorded
        .authoritative()
        .map(|c| c.handlers.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|h| crate::versions::reads_key(&h.key, facts))
        .collect();
    let prepared = match mode {
        Mode::Standalone => prepare_standalone(layout, &active)?,
        Mode::Start => prepare_start(layout, recorded, &active)?,
    };
    let Prepared {
        temp,
        cwd,
        script,
        args,
        guard,
        log,
        hidden,
        mut activity,
    } = prepared;

    let hidden_env = hidden
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let mut server = server::Server::start(server::Launch {
        node: &node,
        server_dir: &cwd,
        script: &script.display().to_string(),
        args,
        guard: &guard,
        env: vec![
            (probe::LOG_ENV.to_string(), log.display().to_string()),
            (probe::HIDDEN_ENV.to_string(), hidden_env),
        ],
        hidden,
        output: temp.path().join("server.log"),
    })?;
    server.wait_ready(options.timeout)?;

    let routes = if options.routes.is_empty() {
        build_routes(layout)
    } else {
        options.routes.clone()
    };
    let mut requests = Vec::new();
    for route in &routes {
        for _ in 0..options.requests.max(1) {
            let t = Instant::now();
            let result = server::get(server.port, route, options.timeout);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            requests.push(match result {
                Ok(status) => RequestResult {
                    route: route.clone(),
                    status: Some(status),
                    error: None,
                    ms,
                },
                Err(error) => RequestResult {
                    route: route.clone(),
                    status: None,
                    error: Some(error),
                    ms,
                },
            });
        }
    }
    settle(&log);
    let port = server.port;
    let server_pid = server.pid();
    let isolation = server.isolation;
    server.stop();

    let mut escapes = Vec::new();
    read_probe_log(&log, &mut activity, &mut escapes);
    let server_errors = server_error_lines(&server.output);
    let mut report = SmokeReport {
        mode,
        handlers: activity,
        requests,
        server_errors,
        escapes,
        isolation,
        port,
        server_pid,
        duration_ms: started.elapsed().as_millis(),
        findings: Vec::new(),
    };
    report.findings = judge(&report, layout);
    drop(temp);
    Ok(report)
}

fn temp_dir() -> Result<tempfile::TempDir, InputError> {
    tempfile::Builder::new()
        .prefix("next-graft-smoke-")
        .tempdir()
        .map_err(|e| InputError::new(format!("cannot create a temporary directory: {e}")))
}

fn new_activity(key: &str, kind: &str) -> HandlerActivity {
    HandlerActivity {
        key: key.to_string(),
        kind: kind.to_string(),
        loaded: false,
        load_error: None,
        constructed: 0,
        calls: BTreeMap::new(),
    }
}

/// Writes the guard and an empty probe log into the temporary directory.
fn write_guard_and_log(temp: &Path, probe_dir: &Path) -> Result<(PathBuf, PathBuf), InputError> {
    fs::create_dir_all(probe_dir).map_err(|e| io_error(probe_dir, e))?;
    let guard = probe_dir.join("guard.mjs");
    write(&guard, &probe::guard_module())?;
    let log = temp.join("probe.log");
    write(&log, "")?;
    Ok((guard, log))
}

/// Standalone: copy the deployable output, point the copy's config at generated probes.
fn prepare_standalone(
    layout: &Layout,
    active: &[&RecordedHandler],
) -> Result<Prepared, InputError> {
    let Some(standalone) = &layout.standalone else {
        return Err(InputError::new(format!(
            "{}: no standalone output; use `--mode start` for a build served with `next start`",
            layout.dist_dir.display()
        )));
    };
    let temp = temp_dir()?;
    let image = temp.path().join("app");
    copy_tree(&standalone.root, &image, &[])?;
    let server_dir = normalize(&image.join(&layout.relative_app_dir));
    let dist_in_image = server_dir.join(&layout.dist_dir_name);
    let static_dir = layout.dist_dir.join("static");
    if static_dir.is_dir() {
        copy_tree(&static_dir, &dist_in_image.join("static"), &[])?;
    }
    let public_dir = layout.project_dir.join("public");
    if public_dir.is_dir() {
        copy_tree(&public_dir, &server_dir.join("public"), &[])?;
    }

    let probe_dir = server_dir.join(".next-graft-probe");
    let (guard, log) = write_guard_and_log(temp.path(), &probe_dir)?;
    let server_js = server_dir.join("server.js");
    let mut copies = vec![manifest::read_copy(&server_js, CopyKind::ServerJs)?];
    let json_copy = dist_in_image.join("required-server-files.json");
    if json_copy.is_file() {
        copies.push(manifest::read_copy(&json_copy, CopyKind::StandaloneJson)?);
    }
    let runtime_dist = copies[0]
        .dist_dir
        .clone()
        .unwrap_or_else(|| format!("./{}", layout.dist_dir_name));
    let runtime_dist = normalize(&server_dir.join(runtime_dist));
    // 13.4–14.0 load handlers with `require()`: a probe there must be CommonJS (`.cjs`, which
    // a package's `"type"` cannot turn into ESM); 14.1+ use `import()`, which takes either.
    let cjs_only = layout
        .next_version()
        .is_some_and(|v| crate::versions::facts(v).has(crate::versions::Fact::HandlersCjsOnly));
    let (format, extension) = if cjs_only {
        (probe::ProbeFormat::Cjs, "cjs")
    } else {
        (probe::ProbeFormat::Esm, "mjs")
    };
    let mut activity = Vec::new();
    for (index, status) in active.iter().enumerate() {
        let value = status.value.trim_start_matches("file://");
        let real = if Path::new(value).is_absolute() {
            PathBuf::from(value)
        } else {
            normalize(&runtime_dist.join(value))
        };
        let probe_path = probe_dir.join(format!("probe-{index}.{extension}"));
        let is_class = status.kind() == "isr";
        write(
            &probe_path,
            &probe::probe(&status.key, &real, is_class, format),
        )?;
        let probe_value = crate::plan::relative_value(&probe_path, &runtime_dist);
        for copy in &mut copies {
            set_handler(&mut copy.config, &status.key, &probe_value);
        }
        activity.push(new_activity(&status.key, status.kind()));
    }
    for copy in &copies {
        let original = fs::read_to_string(&copy.file).map_err(|e| io_error(&copy.file, e))?;
        write(&copy.file, &copy.render_with(&original, &copy.config)?)?;
    }
    let hidden = {
        let mut dirs = vec![layout.tracing_root.clone(), layout.project_dir.clone()];
        dirs.dedup();
        dirs
    };
    Ok(Prepared {
        temp,
        cwd: server_dir,
        script: PathBuf::from("server.js"),
        args: Vec::new(),
        guard,
        log,
        hidden,
        activity,
    })
}

/// `next start`: a temporary copy of the project (node_modules linked, not copied) in which each
/// recorded handler file is replaced by a probe and the real module moved beside it, so its
/// relative imports still work. next.config is re-evaluated by `next start` in the copy, as it
/// is in production, so a handler path that only works on the build machine fails here too.
fn prepare_start(
    layout: &Layout,
    recorded: &Recorded,
    active: &[&RecordedHandler],
) -> Result<Prepared, InputError> {
    let Some(next) = &layout.next else {
        return Err(InputError::new(format!(
            "{}: no `next` package found to run `next start`",
            layout.project_dir.display()
        )));
    };
    if !layout.supports_next_start {
        return Err(InputError::new(format!(
            "{}: no complete build (BUILD_ID missing); run `next build` first",
            layout.dist_dir.display()
        )));
    }
    let temp = temp_dir()?;
    let root_copy = temp.path().join("app");
    let app = normalize(&root_copy.join(&layout.relative_app_dir));
    let skip = [
        layout.dist_dir.join("standalone"),
        layout.dist_dir.join("cache"),
        layout.project_dir.join(".git"),
    ];
    copy_tree(&layout.project_dir, &app, &skip)?;
    // Link every node_modules on the way from the tracing root to the project, so packages
    // resolve exactly as they do in the project (hoisted or not).
    let mut dir = layout.project_dir.clone();
    loop {
        let modules = dir.join("node_modules");
        if modules.is_dir() {
            let rel = dir
                .strip_prefix(&layout.tracing_root)
                .unwrap_or(Path::new(""));
            let link = root_copy.join(rel).join("node_modules");
            if let Some(parent) = link.parent() {
                fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
            }
            crate::platform::symlink(&modules, &link).map_err(|e| io_error(&link, e))?;
        }
        if dir == layout.tracing_root || !dir.pop() {
            break;
        }
    }
    let probe_dir = app.join(".next-graft-probe");
    let (guard, log) = write_guard_and_log(temp.path(), &probe_dir)?;

    let copy = recorded.copy(CopyKind::ProjectJson).ok_or_else(|| {
        InputError::new(format!(
            "{}: no required-server-files.json",
            layout.dist_dir.display()
        ))
    })?;
    let dist_in_copy = app.join(&layout.dist_dir_name);
    let mut activity = Vec::new();
    let mut probed: Vec<PathBuf> = Vec::new();
    for handler in &copy.handlers {
        // Only the keys this Next version reads (see `run`).
        let active = active.iter().any(|h| h.key == handler.key);
        if !active {
            continue;
        }
        let value = handler.value.trim_start_matches("file://");
        let real = match Path::new(value) {
            p if p.is_absolute() => match p.strip_prefix(&layout.project_dir) {
                Ok(rel) => app.join(rel),
                Err(_) => p.to_path_buf(),
            },
            p => normalize(&dist_in_copy.join(p)),
        };
        activity.push(new_activity(&handler.key, handler.kind()));
        if !real.is_file() || !real.starts_with(&app) || probed.contains(&real) {
            continue;
        }
        let (Some(stem), Some(ext)) = (
            real.file_stem().and_then(|s| s.to_str()),
            real.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        let moved = real.with_file_name(format!("{stem}.next-graft-real.{ext}"));
        fs::rename(&real, &moved).map_err(|e| io_error(&real, e))?;
        let format = if is_esm_file(&real) {
            probe::ProbeFormat::Esm
        } else {
            probe::ProbeFormat::Cjs
        };
        write(
            &real,
            &probe::probe(&handler.key, &moved, handler.kind() == "isr", format),
        )?;
        probed.push(real);
    }
    let script = next
        .package_json
        .parent()
        .map(|d| d.join("dist/bin/next"))
        .unwrap_or_default();
    Ok(Prepared {
        temp,
        cwd: app,
        script,
        args: vec![
            "start".into(),
            "-p".into(),
            "{port}".into(),
            "-H".into(),
            "127.0.0.1".into(),
        ],
        guard,
        log,
        hidden: Vec::new(),
        activity,
    })
}

/// Node's rule: `.mjs` is ESM, `.cjs` CommonJS, `.js` follows the nearest package.json `type`.
fn is_esm_file(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mjs") | Some("mts") => true,
        Some("cjs") | Some("cts") => false,
        _ => {
            path.ancestors().skip(1).find_map(|dir| {
                let text = fs::read_to_string(dir.join("package.json")).ok()?;
                let value: Value = serde_json::from_str(&text).ok()?;
                Some(value.get("type").and_then(Value::as_str) == Some("module"))
            }) == Some(true)
        }
    }
}

/// Per handler: loaded, constructed, calls per method; then the requests.
pub fn render_human(report: &SmokeReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let isolation = match report.isolation {
        Isolation::MountNamespace => "build tree hidden in a mount namespace",
        Isolation::GuardOnly => "build tree watched by the guard",
        Isolation::None => "next start in a copy of the project",
    };
    let what = match report.mode {
        Mode::Standalone => "moved standalone server",
        Mode::Start => "`next start`",
    };
    let _ = writeln!(
        out,
        "smoke: {what} on 127.0.0.1:{} ({isolation}), {} ms",
        report.port, report.duration_ms
    );
    for h in &report.handlers {
        let state = match (&h.load_error, h.loaded) {
            (Some(_), _) => "failed to load".to_string(),
            (None, false) => "never loaded".to_string(),
            (None, true) if h.kind == "isr" => format!("loaded, constructed {}x", h.constructed),
            (None, true) => "loaded".to_string(),
        };
        let calls: Vec<String> = h
            .calls
            .iter()
            .map(|(m, c)| {
                if c.errors > 0 {
                    format!("{m} {}x ({} failed)", c.count, c.errors)
                } else {
                    format!("{m} {}x", c.count)
                }
            })
            .collect();
        let calls = if calls.is_empty() {
            "no calls".to_string()
        } else {
            calls.join(", ")
        };
        let _ = writeln!(out, "  {:<40} {state}; {calls}", h.key);
    }
    let mut by_route: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in &report.requests {
        by_route.entry(&r.route).or_default().push(
            r.status
                .map_or_else(|| "error".to_string(), |s| s.to_string()),
        );
    }
    for (route, statuses) in by_route {
        let _ = writeln!(out, "  GET {route:<36} {}", statuses.join(" "));
    }
    out.push('\n');
    out
}

fn io_error(path: &Path, e: std::io::Error) -> InputError {
    InputError::new(format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), InputError> {
    fs::write(path, text).map_err(|e| io_error(path, e))
}

/// Copies a tree as an image build would: symlinks stay symlinks. Directories named
/// `node_modules` are skipped when `skip` is not empty (the start mode links them instead), as
/// are the paths in `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &[PathBuf]) -> Result<(), InputError> {
    let skipping = !skip.is_empty();
    let walker = walkdir::WalkDir::new(from)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            !(skipping && (e.file_name() == "node_modules" || skip.iter().any(|s| e.path() == s)))
        });
    for entry in walker {
        let entry = entry.map_err(|e| InputError::new(format!("{}: {e}", from.display())))?;
        let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let target = to.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&target).map_err(|e| io_error(&target, e))?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path()).map_err(|e| io_error(entry.path(), e))?;
            crate::platform::symlink(&link, &target).map_err(|e| io_error(&target, e))?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| io_error(entry.path(), e))?;
        }
    }
    Ok(())
}

/// Sets a handler value by its key (`cacheHandler`, `experimental.cacheHandlers.default`).
fn set_handler(config: &mut Map<String, Value>, key: &str, value: &str) {
    let edit = crate::plan::ConfigEdit {
        path: crate::plan::key_path(key),
        value: Some(Value::String(value.to_string())),
        reason: crate::plan::EditReason::HandlerPath,
    };
    crate::plan::apply_edits(config, &[edit]);
}

/// Every page and route handler the build lists, without parameters, bounded.
fn build_routes(layout: &Layout) -> Vec<String> {
    const LIMIT: usize = 24;
    let mut routes: Vec<String> = Vec::new();
    let read = |name: &str| -> Option<Value> {
        serde_json::from_str(&fs::read_to_string(layout.dist_dir.join(name)).ok()?).ok()
    };
    if let Some(Value::Object(map)) = read("app-path-routes-manifest.json") {
        routes.extend(map.values().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(manifest) = read("routes-manifest.json") {
        for list in ["staticRoutes", "dynamicRoutes"] {
            if let Some(Value::Array(items)) = manifest.get(list) {
                routes.extend(
                    items
                        .iter()
                        .filter_map(|r| r.get("page")?.as_str())
                        .map(str::to_string),
                );
            }
        }
    }
    if let Some(Value::Object(map)) = read("server/pages-manifest.json") {
        routes.extend(map.keys().cloned());
    }
    routes.retain(|r| {
        r.starts_with('/')
            && !r.contains('[')
            && ![
                "/_app",
                "/_document",
                "/_error",
                "/404",
                "/500",
                "/_not-found",
                "/_global-error",
            ]
            .contains(&r.as_str())
            && !r.starts_with("/_next")
            && !r.ends_with(".ico")
    });
    routes.sort();
    routes.dedup();
    routes.truncate(LIMIT);
    if routes.is_empty() {
        routes.push("/".into());
    }
    routes
}

/// Waits until the probe log stops growing (cache writes may finish after a response).
fn settle(log: &Path) {
    let mut last = u64::MAX;
    for _ in 0..20 {
        let size = fs::metadata(log).map_or(0, |m| m.len());
        if size == last {
            return;
        }
        last = size;
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn read_probe_log(log: &Path, activity: &mut [HandlerActivity], escapes: &mut Vec<String>) {
    let text = fs::read_to_string(log).unwrap_or_default();
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["event"] == "escape" {
            let entry = format!(
                "{} ({})",
                event["path"].as_str().unwrap_or("?"),
                event["via"].as_str().unwrap_or("?")
            );
            if !escapes.contains(&entry) && escapes.len() < 20 {
                escapes.push(entry);
            }
            continue;
        }
        let Some(handler) = activity
            .iter_mut()
            .find(|a| event["handler"] == a.key.as_str())
        else {
            continue;
        };
        match event["event"].as_str() {
            Some("load") => handler.loaded = true,
            Some("load-error") => handler.load_error = event["error"].as_str().map(str::to_string),
            Some("construct") => handler.constructed += 1,
            Some("call") => {
                let method = event["method"].as_str().unwrap_or("?").to_string();
                let calls = handler.calls.entry(method).or_default();
                calls.count += 1;
                calls.total_ms += event["ms"].as_f64().unwrap_or(0.0);
                if let Some(error) = event["error"].as_str() {
                    calls.errors += 1;
                    calls.last_error = Some(error.to_string());
                }
            }
            _ => {}
        }
    }
}

/// The server's own error lines, without colour codes, bounded.
fn server_error_lines(output: &Path) -> Vec<String> {
    let text = fs::read_to_string(output).unwrap_or_default();
    let mut lines = Vec::new();
    for line in text.lines() {
        let plain = strip_ansi(line);
        let trimmed = plain.trim();
        let is_error = trimmed.starts_with('⨯')
            || trimmed.contains("ERR_")
            || trimmed.contains("Error:")
            || trimmed.contains("unhandledRejection")
            || trimmed.contains("Failed to");
        if is_error && !lines.iter().any(|l: &String| l == trimmed) && lines.len() < 20 {
            lines.push(trimmed.chars().take(400).collect());
        }
    }
    lines
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The verdict: every handler loaded (the ISR class constructed), called at least once, and no
/// request answered with a 5xx.
fn judge(report: &SmokeReport, layout: &Layout) -> Vec<Finding> {
    let mut findings = Vec::new();
    let server_js = match report.mode {
        Mode::Standalone => layout
            .standalone
            .as_ref()
            .map(|s| Location::file(&s.server_js)),
        Mode::Start => None,
    };
    let with_errors = |mut f: Finding| {
        for line in report.server_errors.iter().take(5) {
            f = f.with_note(format!("server: {line}"));
        }
        f
    };
    for handler in &report.handlers {
        let at = |f: Finding| match &server_js {
            Some(l) => f.at(l.clone()),
            None => f,
        };
        if let Some(error) = &handler.load_error {
            findings.push(with_errors(at(Finding::error(
                Slug::SmokeHandlerNotLoaded,
                format!(
                    "the production server could not load the `{}` handler: {error}",
                    handler.key
                ),
            )
            .for_handler(&handler.key)
            .with_help(
                "run `next-graft check` for the cause, and `next-graft` to repair the tree",
            ))));
        } else if !handler.loaded {
            findings.push(with_errors(at(Finding::error(
                Slug::SmokeHandlerNotLoaded,
                format!(
                    "the production server never loaded the `{}` handler",
                    handler.key
                ),
            )
            .for_handler(&handler.key))));
        } else if handler.kind == "isr" && handler.constructed == 0 {
            findings.push(at(Finding::error(
                Slug::SmokeHandlerNotCalled,
                format!(
                    "the `{}` handler was loaded but never constructed",
                    handler.key
                ),
            )
            .for_handler(&handler.key)
            .with_help(
                "request a route that uses the ISR or data cache with `--route`",
            )));
        } else if handler.cache_calls() == 0 {
            let other: Vec<String> = handler
                .calls
                .iter()
                .map(|(m, c)| format!("{m} {}x", c.count))
                .collect();
            let other = if other.is_empty() {
                "no calls at all".to_string()
            } else {
                format!("only {}", other.join(", "))
            };
            findings.push(at(Finding::error(
                Slug::SmokeHandlerNotCalled,
                format!(
                    "the `{}` handler was loaded but `get`/`set` were never called ({other}): Next.js used its in-memory default instead (the #72552 symptom on 15.0–15.1)",
                    handler.key
                ),
            )
            .for_handler(&handler.key)
            .with_help("run `next-graft` (it patches known version bugs), or pass `--route` for routes that use this cache")));
        }
        for (method, calls) in &handler.calls {
            if let Some(error) = &calls.last_error {
                findings.push(
                    Finding::warning(
                        Slug::SmokeServerError,
                        format!(
                            "`{}.{method}` threw {}: {error}",
                            handler.key,
                            crate::report::counted(calls.errors as usize, "time", "times")
                        ),
                    )
                    .for_handler(&handler.key),
                );
            }
        }
    }
    let failed: Vec<&RequestResult> = report
        .requests
        .iter()
        .filter(|r| r.status.is_none_or(|s| s >= 500))
        .collect();
    if !failed.is_empty() {
        let mut finding = with_errors(Finding::error(
            Slug::SmokeServerError,
            format!(
                "{} of {} failed or answered 5xx",
                failed.len(),
                crate::report::counted(report.requests.len(), "request", "requests")
            ),
        ));
        for r in failed.iter().take(5) {
            let what = r
                .status
                .map_or_else(|| r.error.clone().unwrap_or_default(), |s| s.to_string());
            finding = finding.with_note(format!("GET {} -> {what}", r.route));
        }
        findings.push(finding);
    }
    for escape in &report.escapes {
        findings.push(Finding::error(
            Slug::SmokeBuildTreeAccess,
            format!("the moved server reached into the build tree: {escape}"),
        )
        .with_help("something in the deployable tree still names a build-machine path; `next-graft check` shows which"));
    }
    crate::check::sort_findings(&mut findings);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_handler_by_key() {
        let mut config: Map<String, Value> =
            serde_json::from_str(r#"{"experimental":{"x":1}}"#).unwrap();
        set_handler(&mut config, "cacheHandler", "../p0.mjs");
        set_handler(
            &mut config,
            "experimental.cacheHandlers.default",
            "../p1.mjs",
        );
        set_handler(&mut config, "cacheHandlers.remote", "../p2.mjs");
        assert_eq!(
            Value::Object(config),
            serde_json::json!({"experimental":{"x":1,"cacheHandlers":{"default":"../p1.mjs"}},"cacheHandler":"../p0.mjs","cacheHandlers":{"remote":"../p2.mjs"}})
        );
    }

    #[test]
    fn error_lines_are_plain_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("out");
        fs::write(&log, "\x1b[31m ⨯\x1b[39m Failed to preload entries: Error: Cannot find module 'x'\n  ▲ Next.js 16.4.6\nok\n").unwrap();
        assert_eq!(
            server_error_lines(&log),
            ["⨯ Failed to preload entries: Error: Cannot find module 'x'"]
        );
    }

    #[test]
    fn probe_log_is_tallied() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        fs::write(
            &log,
            concat!(
                r#"{"handler":"cacheHandler","event":"load"}"#, "\n",
                r#"{"handler":"cacheHandler","event":"construct"}"#, "\n",
                r#"{"handler":"cacheHandler","event":"call","method":"get","ms":1.5}"#, "\n",
                r#"{"handler":"cacheHandler","event":"call","method":"get","ms":0.5,"error":"boom"}"#, "\n",
                r#"{"handler":null,"event":"escape","via":"openSync","path":"/p/x"}"#, "\n",
                "not json\n"
            ),
        )
        .unwrap();
        let mut activity = vec![HandlerActivity {
            key: "cacheHandler".into(),
            kind: "isr".into(),
            loaded: false,
            load_error: None,
            constructed: 0,
            calls: BTreeMap::new(),
        }];
        let mut escapes = Vec::new();
        read_probe_log(&log, &mut activity, &mut escapes);
        assert!(activity[0].loaded);
        assert_eq!(activity[0].constructed, 1);
        assert_eq!(activity[0].calls["get"].count, 2);
        assert_eq!(activity[0].calls["get"].errors, 1);
        assert_eq!(escapes, ["/p/x (openSync)"]);
    }
}
