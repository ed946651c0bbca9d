//! `plan`: reconciles what the build recorded (`manifest`), what is on disk (`trace` of each
//! handler's source closure), the `--handler` overrides and the version facts into a list of
//! plain-data actions. Pure: it reads files, never writes them (`apply` does).
//!
//! Rules (`docs/version-facts.md` §5, §6, §13; `docs/tracing-rules.md` §6–§8):
//! - every file of a handler's source closure is placed at
//!   `standalone/<path relative to the tracing root>`, so relative imports keep working and
//!   `node_modules` packages land where Node's resolution finds them; symlinks passed through are
//!   recreated as relative links;
//! - files outside the tracing root are relocated, with their relative structure, under
//!   `standalone/<relativeAppDir>/.next-graft/outside/` (the common ancestor of those files maps
//!   to that folder), so a relocated file's own `node_modules` come along;
//! - handler values in the standalone copies become paths relative to the server's distDir
//!   (`../cache-handler.js`, the format Next writes); the project copies are made to name the
//!   same handler sources relative to the project's distDir;
//! - version patches (`preload-bug`, `legacy-key-ignored`) edit the standalone copies only.

mod assets;

pub use assets::{asset_dirs, plan_assets};

use crate::findings::{Finding, Location, Slug};
use crate::layout::{is_within, normalize, Layout};
use crate::manifest::{ConfigCopy, CopyKind, Recorded, RecordedHandler};
use crate::trace::{Closure, TraceOptions, Tracer};
use crate::versions::{facts, Fact, VersionFacts};
use crate::InputError;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder, inside the server dir, that receives files from outside the tracing root.
pub const OUTSIDE_DIR: &str = ".next-graft/outside";

/// The `package.json` written at the root of the relocated folder when the sources had none
/// there: no `"type"`, exactly like having no package.json at all.
pub const OUTSIDE_PACKAGE_JSON: &str = "{\n  \"private\": true,\n  \"description\": \"Files relocated by next-graft from outside the tracing root (no \\\"type\\\": the app's does not apply to them)\"\n}\n";

/// `--handler KIND=PATH`: inject or override a handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandlerOverride {
    /// `isr` (the ISR `cacheHandler`) or a `cacheHandlers` key (`default`, `remote`, …).
    pub kind: String,
    /// Absolute, normalized (symlinks kept as given).
    pub path: PathBuf,
}

impl HandlerOverride {
    /// Parses `KIND=PATH`; a relative PATH is taken from the current directory. The file must
    /// exist (anywhere readable).
    pub fn parse(arg: &str) -> Result<Self, InputError> {
        let Some((kind, path)) = arg.split_once('=') else {
            return Err(InputError::new(format!(
                "--handler {arg:?}: expected KIND=PATH (KIND is `isr` or a `cacheHandlers` key such as `default`)"
            )));
        };
        let valid_kind = !kind.is_empty()
            && kind
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_kind {
            return Err(InputError::new(format!(
                "--handler {arg:?}: invalid KIND {kind:?} (use `isr` or a `cacheHandlers` key: letters, digits, `-`, `_`)"
            )));
        }
        if path.is_empty() {
            return Err(InputError::new(format!("--handler {arg:?}: missing PATH")));
        }
        let absolute = std::path::absolute(path)
            .map_err(|e| InputError::new(format!("--handler {arg:?}: {path}: {e}")))?;
        let absolute = normalize(&absolute);
        match fs::metadata(&absolute) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(InputError::new(format!(
                    "--handler {arg:?}: {} is not a file",
                    absolute.display()
                )))
            }
            Err(e) => {
                return Err(InputError::new(format!(
                    "--handler {arg:?}: cannot read {}: {e}",
                    absolute.display()
                )))
            }
        }
        Ok(Self {
            kind: kind.to_string(),
            path: absolute,
        })
    }
}

/// Why a config value changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditReason {
    /// A handler path made to name the copied file, relative to the distDir.
    HandlerPath,
    /// A handler injected or overridden with `--handler`.
    Injected,
    /// A handler entry removed so that the copies agree (or the ignored legacy key).
    Removed,
    /// `experimental.preloadEntriesOnStart: false` (#72552).
    PreloadBug,
    /// `experimental.incrementalCacheHandlerPath` moved to `cacheHandler` (14.1+).
    LegacyKey,
}

/// One change of one config copy: set (or, with `value: None`, remove) the value at `path`
/// inside the copy's `config` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigEdit {
    pub path: Vec<String>,
    pub value: Option<Value>,
    pub reason: EditReason,
}

/// One step of the plan. Plain data; `apply` performs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Copy one file of a handler's closure into the tree (missing or different there).
    CopyFile {
        from: PathBuf,
        to: PathBuf,
        /// The handler keys whose closure needs it.
        handlers: Vec<String>,
        /// `true` when `to` exists with other content.
        replaces: bool,
    },
    /// Write a file that has no source: the `package.json` at the root of the relocated
    /// folder, so that the app's `"type"` does not apply to relocated files that had none.
    WriteFile { to: PathBuf, contents: String },
    /// Create (or retarget) a symlink at `path` pointing to the relative `target`.
    CreateSymlink { path: PathBuf, target: PathBuf },
    /// Rewrite values of one copy of the serialized config.
    RewriteConfig {
        file: PathBuf,
        kind: CopyKind,
        edits: Vec<ConfigEdit>,
    },
}

impl Action {
    /// The file this action writes.
    pub fn destination(&self) -> &Path {
        match self {
            Action::CopyFile { to, .. } | Action::WriteFile { to, .. } => to,
            Action::CreateSymlink { path, .. } => path,
            Action::RewriteConfig { file, .. } => file,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// What the plan could not do (warnings) and what it will fix (notes on relocation).
    pub findings: Vec<Finding>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// One handler the plan deals with.
#[derive(Debug, Clone)]
struct Handler {
    /// The key in the standalone copies after the plan (`cacheHandler` for a legacy key).
    key: String,
    /// The key as recorded, when different (`experimental.incrementalCacheHandlerPath`).
    recorded_key: Option<String>,
    /// Whether this version reads the key at run time.
    active: bool,
    injected: bool,
    /// The handler module on this machine (as found: links kept), when it exists.
    source: Option<PathBuf>,
}

/// The JSON path of a handler key inside `config`.
pub fn key_path(key: &str) -> Vec<String> {
    for prefix in ["experimental.cacheHandlers.", "cacheHandlers."] {
        if let Some(kind) = key.strip_prefix(prefix) {
            let mut path: Vec<String> = prefix
                .trim_end_matches('.')
                .split('.')
                .map(str::to_string)
                .collect();
            path.push(kind.to_string());
            return path;
        }
    }
    key.split('.').map(str::to_string).collect()
}

const LEGACY_KEY: &str = "experimental.incrementalCacheHandlerPath";

/// The config key that `--handler KIND=…` sets for this version.
pub fn key_for_kind(
    kind: &str,
    facts: Option<VersionFacts>,
    config: Option<&Map<String, Value>>,
) -> Result<String, InputError> {
    if kind == "isr" {
        return match facts {
            Some(f) if f.has(Fact::CacheHandlerKey) => Ok("cacheHandler".into()),
            Some(f) if f.has(Fact::LegacyIsrKey) => Ok(LEGACY_KEY.into()),
            Some(f) => Err(InputError::new(format!(
                "--handler isr=…: Next.js {} has no custom ISR cache handler (13.4+)",
                f.version
            ))),
            None => Ok("cacheHandler".into()),
        };
    }
    match facts {
        Some(f) if f.has(Fact::TopLevelCacheHandlers) => Ok(format!("cacheHandlers.{kind}")),
        Some(f) if f.has(Fact::ExperimentalCacheHandlers) => {
            Ok(format!("experimental.cacheHandlers.{kind}"))
        }
        Some(f) => Err(InputError::new(format!(
            "--handler {kind}=…: Next.js {} has no `'use cache'` handlers (15.0+); only `isr` can be injected",
            f.version
        ))),
        None => {
            let experimental = config
                .and_then(|c| c.get("experimental"))
                .and_then(Value::as_object)
                .is_some_and(|e| e.contains_key("cacheHandlers"));
            Ok(if experimental {
                format!("experimental.cacheHandlers.{kind}")
            } else {
                format!("cacheHandlers.{kind}")
            })
        }
    }
}

/// Builds the plan. `Err` only for bad input (an override this version cannot take).
/// `traced` holds source closures already traced with the same options (by `check` before the
/// plan, in graft): a source found there is not traced again.
pub fn plan(
    layout: &Layout,
    recorded: &Recorded,
    overrides: &[HandlerOverride],
    traced: &[(PathBuf, Closure)],
) -> Result<Plan, InputError> {
    let version_facts = layout.next_version().map(facts);
    let Some(standalone) = &layout.standalone else {
        // `next start` deployments run from the project itself: there is no tree to graft into.
        if !overrides.is_empty() {
            return Err(InputError::new(format!(
                "{}: --handler needs a standalone build (`output: 'standalone'`)",
                layout.dist_dir.display()
            )));
        }
        return Ok(Plan::default());
    };
    let auth = recorded
        .copy(CopyKind::ServerJs)
        .or_else(|| recorded.copy(CopyKind::StandaloneJson));
    let Some(auth) = auth else {
        return Err(InputError::new(format!(
            "{}: no server.js and no required-server-files.json in the standalone output",
            standalone.root.display()
        )));
    };
    let project = recorded.copy(CopyKind::ProjectJson);

    let ctx = Ctx {
        layout,
        standalone_root: standalone.root.clone(),
        server_dist: normalize(&standalone.server_dir.join(&layout.dist_dir_name)),
        outside_dir: standalone.server_dir.join(OUTSIDE_DIR),
        app_dir: recorded.app_dir.clone(),
    };

    // The handlers: what the authoritative standalone copy records, then the overrides.
    let mut handlers: Vec<Handler> = Vec::new();
    let has_cache_handler = auth.handlers.iter().any(|h| h.key == "cacheHandler");
    for h in &auth.handlers {
        let legacy_fix =
            h.key == LEGACY_KEY && version_facts.is_some_and(|f| f.has(Fact::LegacyKeyIgnored));
        if legacy_fix && has_cache_handler {
            // `cacheHandler` wins; the ignored key is only removed.
            continue;
        }
        let (key, recorded_key) = if legacy_fix {
            ("cacheHandler".to_string(), Some(h.key.clone()))
        } else {
            (h.key.clone(), None)
        };
        let active = crate::versions::reads_key(&key, version_facts);
        let source = if active {
            ctx.source_of(h, project)
        } else {
            None
        };
        handlers.push(Handler {
            key,
            recorded_key,
            active,
            injected: false,
            source,
        });
    }
    for o in overrides {
        // Never the ignored legacy key: `key_for_kind` names the key this version reads.
        let key = key_for_kind(&o.kind, version_facts, Some(&auth.config))?;
        handlers.retain(|h| h.key != key);
        handlers.push(Handler {
            key,
            recorded_key: None,
            active: true,
            injected: true,
            source: Some(o.path.clone()),
        });
    }

    let mut out = Plan::default();
    let mut placement = Placement::default();
    let tracer = Tracer::new(TraceOptions {
        boundary: None,
        cwd: Some(layout.project_dir.clone()),
    });
    // Trace every source closure first: the relocation folder depends on all outside files.
    let mut closures = Vec::new();
    for h in handlers.iter().filter(|h| h.active) {
        let Some(source) = &h.source else { continue };
        // Borrowed when check traced it already: a closure holds every file with its parents.
        let closure = match traced.iter().find(|(path, _)| path == source) {
            Some((_, closure)) => std::borrow::Cow::Borrowed(closure),
            None => std::borrow::Cow::Owned(tracer.trace(std::slice::from_ref(source))),
        };
        closures.push((h.key.clone(), source.clone(), closure));
    }
    let outside: Vec<&PathBuf> = closures
        .iter()
        .flat_map(|(_, _, c)| c.files.keys())
        .filter(|f| !ctx.inside_root(f))
        .collect();
    placement.outside_base = common_ancestor(outside.iter().map(|p| p.as_path()));

    // (destination, source, handler key) for every file of every closure, sorted and merged by
    // destination below. Not a map filled one file at a time: a closure comes sorted and its
    // destinations keep that order, so one stable sort costs about a comparison per file, where
    // each insertion into a map paid a dozen component-wise path comparisons.
    let mut placed: Vec<(PathBuf, &PathBuf, &String)> = Vec::new();
    let mut links: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut values: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (key, source, closure) in &closures {
        for file in closure.files.keys() {
            let Some(to) = ctx.dest_of(file, &placement) else {
                continue;
            };
            if to == *file {
                continue;
            }
            placed.push((to, file, key));
        }
        for (link, target) in &closure.links {
            let Some(dest_link) = ctx.dest_of(link, &placement) else {
                continue;
            };
            let absolute_target = normalize(&link.parent().unwrap_or(Path::new("/")).join(target));
            let Some(dest_target) = ctx.dest_of(&absolute_target, &placement) else {
                continue;
            };
            if dest_link == *link {
                continue;
            }
            let parent = dest_link.parent().unwrap_or(Path::new("/"));
            if let Some(rel) = pathdiff::diff_paths(&dest_target, parent) {
                links.insert(dest_link, rel);
            }
        }
        let entry_dest = ctx.entry_dest(source, &placement);
        let standalone_value = relative_value(&entry_dest, &ctx.server_dist);
        let project_value = relative_value(source, &layout.dist_dir);
        values.insert(key.clone(), (standalone_value, project_value));
    }

    let relocated = placement.outside_base.is_some();
    // Links first in the plan (directories they stand for may be needed by later reads), then
    // files, then config rewrites.
    for (path, target) in links {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                if fs::read_link(&path).ok().as_deref() == Some(target.as_path()) {
                    continue;
                }
            }
            Ok(_) => {
                out.findings.push(
                    Finding::warning(
                        Slug::LinkReplacedInTree,
                        format!(
                            "{} is a real file or directory in the tree where the source has a symlink; left as it is",
                            path.display()
                        ),
                    )
                    .at(Location::file(&path)),
                );
                continue;
            }
            Err(_) => {}
        }
        if let Some(link) = ctx.symlink_on_way(&path) {
            out.findings.push(symlink_on_way_finding(&path, &link));
            continue;
        }
        out.actions.push(Action::CreateSymlink { path, target });
    }
    let copies = merge_by_destination(placed);
    let states = compare_all(&copies);
    for ((to, from, keys), state) in copies.into_iter().zip(states) {
        if state == Compare::Same {
            continue;
        }
        if state == Compare::NotAFile {
            out.findings.push(
                Finding::warning(
                    Slug::NotARegularFile,
                    format!(
                        "{} exists in the tree but is not a regular file; not replaced",
                        to.display()
                    ),
                )
                .at(Location::file(&to)),
            );
            continue;
        }
        if let Some(link) = ctx.symlink_on_way(&to) {
            out.findings.push(symlink_on_way_finding(&to, &link));
            continue;
        }
        out.actions.push(Action::CopyFile {
            from,
            to,
            handlers: keys.into_iter().collect(),
            replaces: state == Compare::Different,
        });
    }
    if relocated {
        let base = placement.outside_base.as_deref().unwrap_or(Path::new("/"));
        // Relocated `.js` files must keep the module kind they had: without a package.json of
        // their own at the base, the app's (`"type": "module"`?) would apply to them.
        let base_pjson = base.join("package.json");
        if !closures
            .iter()
            .any(|(_, _, c)| c.files.contains_key(&base_pjson))
        {
            let to = ctx.outside_dir.join("package.json");
            let current = fs::symlink_metadata(&to).ok();
            let same = fs::read(&to).ok().as_deref() == Some(OUTSIDE_PACKAGE_JSON.as_bytes());
            if current.as_ref().is_some_and(|m| !m.is_file()) {
                out.findings.push(
                    Finding::warning(
                        Slug::NotARegularFile,
                        format!("{} is not a regular file; not replaced", to.display()),
                    )
                    .at(Location::file(&to)),
                );
            } else if !same {
                if let Some(link) = ctx.symlink_on_way(&to) {
                    out.findings.push(symlink_on_way_finding(&to, &link));
                } else {
                    out.actions.push(Action::WriteFile {
                        to,
                        contents: OUTSIDE_PACKAGE_JSON.to_string(),
                    });
                }
            }
        }
        out.findings.push(
            Finding::note(
                Slug::OutsideTracingRoot,
                format!(
                    "files outside the tracing root {} are relocated from {} to {}",
                    layout.tracing_root.display(),
                    base.display(),
                    ctx.outside_dir.display()
                ),
            )
            .at(Location::file(base)),
        );
    }

    // Config copies: standalone group, then project group.
    let preload_patch = version_facts.is_some_and(|f| f.has(Fact::PreloadBug))
        && handlers
            .iter()
            .any(|h| h.active && h.key.starts_with("experimental.cacheHandlers."));
    let standalone_kinds = [CopyKind::ServerJs, CopyKind::StandaloneJson];
    let project_kinds = [CopyKind::ProjectJson, CopyKind::ProjectJs];
    // Standalone: every handler of the plan, with its value in the tree.
    let mut desired: BTreeMap<String, (String, EditReason)> = BTreeMap::new();
    for h in &handlers {
        let recorded_value = auth
            .handlers
            .iter()
            .find(|r| Some(&r.key) == h.recorded_key.as_ref() || r.key == h.key)
            .map(|r| r.value.clone());
        let reason = if h.injected {
            EditReason::Injected
        } else if h.recorded_key.is_some() {
            EditReason::LegacyKey
        } else {
            EditReason::HandlerPath
        };
        let value = match values.get(&h.key) {
            Some((standalone_value, _)) => Some(standalone_value.clone()),
            None => recorded_value,
        };
        if let Some(value) = value {
            desired.insert(h.key.clone(), (value, reason));
        }
    }
    for kind in standalone_kinds {
        if let Some(copy) = recorded.copy(kind) {
            let mut edits = handler_edits(copy, &desired);
            if preload_patch {
                let path = vec!["experimental".into(), "preloadEntriesOnStart".into()];
                if get_path(&copy.config, &path) != Some(&Value::Bool(false)) {
                    edits.push(ConfigEdit {
                        path,
                        value: Some(Value::Bool(false)),
                        reason: EditReason::PreloadBug,
                    });
                }
            }
            if !edits.is_empty() {
                out.actions.push(Action::RewriteConfig {
                    file: copy.file.clone(),
                    kind,
                    edits,
                });
            }
        }
    }
    // Project: the handlers the project manifest records (and the injected ones), naming the
    // sources relative to the project's distDir.
    if let Some(project) = project {
        let mut desired: BTreeMap<String, (String, EditReason)> = BTreeMap::new();
        for r in &project.handlers {
            let value = values
                .get(&r.key)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| r.value.clone());
            desired.insert(r.key.clone(), (value, EditReason::HandlerPath));
        }
        for h in handlers.iter().filter(|h| h.injected) {
            if let Some((_, p)) = values.get(&h.key) {
                desired.insert(h.key.clone(), (p.clone(), EditReason::Injected));
            }
        }
        for kind in project_kinds {
            if let Some(copy) = recorded.copy(kind) {
                let edits = handler_edits(copy, &desired);
                if !edits.is_empty() {
                    out.actions.push(Action::RewriteConfig {
                        file: copy.file.clone(),
                        kind,
                        edits,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The edits that make `copy` record exactly the `desired` handlers.
fn handler_edits(
    copy: &ConfigCopy,
    desired: &BTreeMap<String, (String, EditReason)>,
) -> Vec<ConfigEdit> {
    let mut edits = Vec::new();
    for r in &copy.handlers {
        if !desired.contains_key(&r.key) {
            edits.push(ConfigEdit {
                path: key_path(&r.key),
                value: None,
                reason: if r.key == LEGACY_KEY {
                    EditReason::LegacyKey
                } else {
                    EditReason::Removed
                },
            });
        }
    }
    for (key, (value, reason)) in desired {
        let path = key_path(key);
        if get_path(&copy.config, &path).and_then(Value::as_str) != Some(value.as_str()) {
            edits.push(ConfigEdit {
                path,
                value: Some(Value::String(value.clone())),
                reason: *reason,
            });
        }
    }
    edits
}

fn get_path<'a>(config: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = config.get(first)?;
    for part in rest {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// Applies edits to a config object: sets values (creating intermediate objects, replacing a
/// non-object in the way) or removes them.
pub fn apply_edits(config: &mut Map<String, Value>, edits: &[ConfigEdit]) {
    for edit in edits {
        let Some((last, parents)) = edit.path.split_last() else {
            continue;
        };
        let mut map = &mut *config;
        let mut missing = false;
        for part in parents {
            if edit.value.is_none() && !map.get(part).is_some_and(Value::is_object) {
                missing = true;
                break;
            }
            let slot = map
                .entry(part.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            map = match slot {
                Value::Object(m) => m,
                _ => unreachable!("just made an object"),
            };
        }
        if missing {
            continue;
        }
        match &edit.value {
            Some(value) => {
                map.insert(last.clone(), value.clone());
            }
            None => {
                map.shift_remove(last);
            }
        }
    }
}

/// `path.relative(dir, file)` as Next writes it (POSIX separators).
/// A handler value as Next writes it: `file` relative to the distDir `dir`, with `/`.
pub fn relative_value(file: &Path, dir: &Path) -> String {
    let rel = pathdiff::diff_paths(file, dir).unwrap_or_else(|| file.to_path_buf());
    let text = rel.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        ".".into()
    } else {
        text
    }
}

/// The deepest directory that contains every path (`None` for no paths).
fn common_ancestor<'a>(paths: impl Iterator<Item = &'a Path>) -> Option<PathBuf> {
    let mut base: Option<PathBuf> = None;
    for path in paths {
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        base = Some(match base {
            None => dir,
            Some(b) => {
                let mut common = PathBuf::new();
                for (x, y) in b.components().zip(dir.components()) {
                    if x != y {
                        break;
                    }
                    common.push(x.as_os_str());
                }
                common
            }
        });
    }
    base
}

/// Where the files of some closures go in the standalone tree, exactly as `plan` places them
/// (for `explain`): the same path below the tracing root, and for files outside it, the same
/// path below `standalone/<relativeAppDir>/.next-graft/outside/`, relative to the common ancestor
/// of all such files.
pub struct Destinations {
    standalone_root: PathBuf,
    tracing_root: PathBuf,
    outside_dir: PathBuf,
    outside_base: Option<PathBuf>,
}

impl Destinations {
    /// `None` without standalone output (nothing is placed anywhere).
    pub fn of_closures<'a>(
        layout: &Layout,
        closures: impl IntoIterator<Item = &'a Closure>,
    ) -> Option<Self> {
        let standalone = layout.standalone.as_ref()?;
        let closures: Vec<&Closure> = closures.into_iter().collect();
        let outside = closures
            .iter()
            .flat_map(|c| c.files.keys())
            .filter(|f| !is_within(f, &layout.tracing_root));
        Some(Self {
            standalone_root: standalone.root.clone(),
            tracing_root: layout.tracing_root.clone(),
            outside_dir: standalone.server_dir.join(OUTSIDE_DIR),
            outside_base: common_ancestor(outside.map(PathBuf::as_path)),
        })
    }

    /// The destination of one source file (or link).
    pub fn of(&self, path: &Path) -> Option<PathBuf> {
        place(
            path,
            &self.standalone_root,
            &self.tracing_root,
            self.outside_base
                .as_deref()
                .map(|b| (b, self.outside_dir.as_path())),
        )
    }
}

/// Where a source path goes: kept inside the tree, mirrored below the tracing root, or
/// relocated from `outside.0` (the common ancestor) to `outside.1` (the relocation folder).
fn place(
    path: &Path,
    standalone_root: &Path,
    tracing_root: &Path,
    outside: Option<(&Path, &Path)>,
) -> Option<PathBuf> {
    let path = normalize(path);
    if is_within(&path, standalone_root) {
        return Some(path);
    }
    if let Ok(rel) = path.strip_prefix(tracing_root) {
        return Some(standalone_root.join(rel));
    }
    let (base, dir) = outside?;
    let rel = path.strip_prefix(base).ok()?;
    Some(dir.join(rel))
}

#[derive(Default)]
struct Placement {
    /// The common ancestor of the files outside the tracing root.
    outside_base: Option<PathBuf>,
}

struct Ctx<'a> {
    layout: &'a Layout,
    standalone_root: PathBuf,
    /// The distDir of `node server.js`: `standalone/<relativeAppDir>/<distDir>`.
    server_dist: PathBuf,
    outside_dir: PathBuf,
    app_dir: Option<String>,
}

impl Ctx<'_> {
    fn inside_root(&self, path: &Path) -> bool {
        is_within(path, &self.layout.tracing_root)
    }

    /// Where a source file (or link) goes in the tree; `None` when it cannot be placed.
    fn dest_of(&self, path: &Path, placement: &Placement) -> Option<PathBuf> {
        place(
            path,
            &self.standalone_root,
            &self.layout.tracing_root,
            placement
                .outside_base
                .as_deref()
                .map(|b| (b, self.outside_dir.as_path())),
        )
    }

    /// Where the handler module itself ends up: links inside the tracing root are recreated, so
    /// its path as found maps directly; outside, its real path was relocated.
    fn entry_dest(&self, source: &Path, placement: &Placement) -> PathBuf {
        if self.inside_root(source) {
            if let Some(d) = self.dest_of(source, placement) {
                return d;
            }
        }
        let real = crate::platform::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
        self.dest_of(&real, placement).unwrap_or(real)
    }

    /// The handler's source on this machine: the project manifest's value, else the standalone
    /// value taken against the project's distDir (the tree mirrors the tracing root). Absolute
    /// values that name the build machine's project dir are mapped onto this one.
    fn source_of(&self, h: &RecordedHandler, project: Option<&ConfigCopy>) -> Option<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(p) = project {
            let same_key = p.handlers.iter().find(|r| r.key == h.key);
            let legacy = (h.key == "cacheHandler")
                .then(|| p.handlers.iter().find(|r| r.key == LEGACY_KEY))
                .flatten();
            if let Some(r) = same_key.or(legacy) {
                candidates.push(r.value.clone());
            }
        }
        candidates.push(h.value.clone());
        for value in candidates {
            let value =
                crate::platform::path_from_file_url(&value).unwrap_or_else(|| PathBuf::from(value));
            let path = value.as_path();
            let mut options = Vec::new();
            if path.is_absolute() {
                options.push(normalize(path));
                if let Some(app_dir) = &self.app_dir {
                    if let Ok(rel) = path.strip_prefix(app_dir) {
                        options.push(self.layout.project_dir.join(rel));
                    }
                }
            } else {
                options.push(normalize(&self.layout.dist_dir.join(path)));
            }
            if let Some(found) = options.into_iter().find(|p| p.is_file()) {
                return Some(found);
            }
        }
        None
    }

    /// The first existing symlink between the distDir and `path` (exclusive of the distDir,
    /// inclusive of `path`'s parents): writing there would write through it.
    fn symlink_on_way(&self, path: &Path) -> Option<PathBuf> {
        let rel = path.strip_prefix(&self.layout.dist_dir).ok()?;
        let mut current = self.layout.dist_dir.clone();
        let parts: Vec<_> = rel.components().collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            current.push(part.as_os_str());
            match fs::symlink_metadata(&current) {
                Ok(m) if m.file_type().is_symlink() => return Some(current),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }
}

fn symlink_on_way_finding(path: &Path, link: &Path) -> Finding {
    Finding::warning(
        Slug::SymlinkInTheWay,
        format!(
            "not writing {}: {} on the way is a symlink, and next-graft never writes through one",
            path.display(),
            link.display()
        ),
    )
    .at(Location::file(path))
}

#[derive(Debug, PartialEq, Eq)]
enum Compare {
    Missing,
    Same,
    Different,
    NotAFile,
}

/// One copy per destination, in the destinations' order: the first source placed there (in
/// closure order: a stable sort keeps it first), and every handler whose closure has it.
fn merge_by_destination(
    mut placed: Vec<(PathBuf, &PathBuf, &String)>,
) -> Vec<(PathBuf, PathBuf, BTreeSet<String>)> {
    placed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut copies: Vec<(PathBuf, PathBuf, BTreeSet<String>)> = Vec::with_capacity(placed.len());
    for (to, from, key) in placed {
        match copies.last_mut() {
            Some(last) if last.0 == to => {
                last.2.insert(key.clone());
            }
            _ => copies.push((to, from.clone(), BTreeSet::from([key.clone()]))),
        }
    }
    copies
}

/// [`compare`] for every planned copy, in order, on a thread per core: two `stat` calls each,
/// and on a healthy build (every copy the same) this was the plan's whole cost, on one core.
fn compare_all(copies: &[(PathBuf, PathBuf, BTreeSet<String>)]) -> Vec<Compare> {
    let pairs: Vec<(&Path, &Path)> = copies
        .iter()
        .map(|(to, from, _)| (from.as_path(), to.as_path()))
        .collect();
    crate::parallel::by_parts(&pairs, 8, 64, |part| {
        part.iter()
            .map(|(from, to)| compare(from, to))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Compares `from` with the file at `to`: size first, then bytes. Never follows a link at `to`.
fn compare(from: &Path, to: &Path) -> Compare {
    let meta = match fs::symlink_metadata(to) {
        Ok(m) => m,
        Err(_) => return Compare::Missing,
    };
    if !meta.is_file() {
        return Compare::NotAFile;
    }
    let Ok(source_meta) = fs::metadata(from) else {
        return Compare::Different;
    };
    if source_meta.len() != meta.len() {
        return Compare::Different;
    }
    // Both just read by the check before the plan (the source and its copy in the tree), and
    // unchanged since: their texts' identities answer without reading them a third time.
    if let Some(same) = crate::trace::same_known_bytes((from, &source_meta), (to, &meta)) {
        return if same {
            Compare::Same
        } else {
            Compare::Different
        };
    }
    if same_bytes(from, to).unwrap_or(false) {
        Compare::Same
    } else {
        Compare::Different
    }
}

fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let mut fa = fs::File::open(a)?;
    let mut fb = fs::File::open(b)?;
    let mut ba = vec![0u8; 64 * 1024];
    let mut bb = vec![0u8; 64 * 1024];
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

fn read_full(f: &mut fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let r = f.read(&mut buf[n..])?;
        if r == 0 {
            break;
        }
        n += r;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Sorted by destination as paths sort (`/t/a/z` before `/t/a-b`: by components, not bytes),
    /// one copy per destination with its first source, and every handler that needs it.
    #[test]
    fn copies_are_merged_by_destination() {
        let p = PathBuf::from;
        let (isr, default) = (
            String::from("cacheHandler"),
            String::from("cacheHandlers.default"),
        );
        let (s1, s2, s3, s4) = (p("/s/a-b"), p("/s/a/z"), p("/s/other/a/z"), p("/s/m"));
        let placed = vec![
            (p("/t/a-b"), &s1, &isr),
            (p("/t/a/z"), &s2, &isr),
            (p("/t/m"), &s4, &default),
            (p("/t/a/z"), &s3, &default),
            (p("/t/a-b"), &s1, &default),
        ];
        let names = |keys: &BTreeSet<String>| keys.iter().cloned().collect::<Vec<_>>();
        let copies: Vec<_> = merge_by_destination(placed)
            .into_iter()
            .map(|(to, from, keys)| (to, from, names(&keys)))
            .collect();
        assert_eq!(
            copies,
            [
                (p("/t/a/z"), s2.clone(), vec![isr.clone(), default.clone()]),
                (p("/t/a-b"), s1.clone(), vec![isr.clone(), default.clone()]),
                (p("/t/m"), s4.clone(), vec![default.clone()]),
            ]
        );
    }

    #[test]
    fn key_paths() {
        assert_eq!(key_path("cacheHandler"), ["cacheHandler"]);
        assert_eq!(
            key_path("cacheHandlers.default"),
            ["cacheHandlers", "default"]
        );
        assert_eq!(
            key_path("experimental.cacheHandlers.my.kind"),
            ["experimental", "cacheHandlers", "my.kind"]
        );
        assert_eq!(
            key_path(LEGACY_KEY),
            ["experimental", "incrementalCacheHandlerPath"]
        );
    }

    #[test]
    fn kinds_map_to_keys_per_version() {
        let v = |s| Some(facts(crate::versions::Version::parse(s).unwrap()));
        assert_eq!(
            key_for_kind("isr", v("14.2.35"), None).unwrap(),
            "cacheHandler"
        );
        assert_eq!(key_for_kind("isr", v("14.0.4"), None).unwrap(), LEGACY_KEY);
        assert!(key_for_kind("default", v("14.2.35"), None).is_err());
        assert_eq!(
            key_for_kind("default", v("15.1.12"), None).unwrap(),
            "experimental.cacheHandlers.default"
        );
        assert_eq!(
            key_for_kind("remote", v("16.4.6"), None).unwrap(),
            "cacheHandlers.remote"
        );
    }

    #[test]
    fn edits_set_create_and_remove() {
        let mut config: Map<String, Value> = serde_json::from_str(
            r#"{"a":1,"experimental":{"x":true,"incrementalCacheHandlerPath":"/abs"}}"#,
        )
        .unwrap();
        apply_edits(
            &mut config,
            &[
                ConfigEdit {
                    path: key_path("cacheHandlers.default"),
                    value: Some(json!("../d.mjs")),
                    reason: EditReason::Injected,
                },
                ConfigEdit {
                    path: key_path(LEGACY_KEY),
                    value: None,
                    reason: EditReason::LegacyKey,
                },
                ConfigEdit {
                    path: key_path("nothing.here"),
                    value: None,
                    reason: EditReason::Removed,
                },
            ],
        );
        assert_eq!(
            serde_json::to_string(&config).unwrap(),
            r#"{"a":1,"experimental":{"x":true},"cacheHandlers":{"default":"../d.mjs"}}"#
        );
    }

    #[test]
    fn override_args() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.js");
        fs::write(&file, "module.exports = class {}").unwrap();
        let ok = HandlerOverride::parse(&format!("isr={}", file.display())).unwrap();
        assert_eq!(ok.kind, "isr");
        assert!(HandlerOverride::parse("isr").is_err());
        assert!(HandlerOverride::parse("=x.js").is_err());
        assert!(HandlerOverride::parse("bad kind=x.js").is_err());
        assert!(
            HandlerOverride::parse(&format!("isr={}/missing.js", dir.path().display())).is_err()
        );
        assert!(HandlerOverride::parse(&format!("isr={}", dir.path().display())).is_err());
    }

    fn fixture_plan(name: &str) -> Plan {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        let layout = crate::layout::discover(&dir, None).unwrap();
        let recorded = crate::manifest::read(&layout).unwrap();
        plan(&layout, &recorded, &[], &[]).unwrap()
    }

    /// Planning reads only: run on the fixtures in place.
    #[test]
    fn healthy_fixtures_plan_nothing() {
        for name in [
            "next-14.2.35-v14-isr",
            "next-15.5.29-v15-5",
            "next-16.4.6-v16-4",
        ] {
            let p = fixture_plan(name);
            assert!(p.is_empty(), "{name}: {:?}", p.actions);
        }
    }

    #[test]
    fn preload_fixture_plans_the_patch_in_both_standalone_copies() {
        let p = fixture_plan("next-15.1.12-v15-1-preload");
        let kinds: Vec<CopyKind> = p
            .actions
            .iter()
            .map(|a| match a {
                Action::RewriteConfig { kind, edits, .. } => {
                    assert_eq!(
                        edits,
                        &[ConfigEdit {
                            path: key_path("experimental.preloadEntriesOnStart"),
                            value: Some(Value::Bool(false)),
                            reason: EditReason::PreloadBug,
                        }]
                    );
                    *kind
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(kinds, [CopyKind::ServerJs, CopyKind::StandaloneJson]);
    }

    #[test]
    fn file_urls_are_decoded() {
        // The handler values the planner reads go through the one file-URL decoder.
        let decode = |url: &str| next_graft_config::file_url_to_path(url);
        assert_eq!(
            decode("file:///a%20b/c%2Fd.js").as_deref(),
            Some("/a b/c/d.js")
        );
        assert_eq!(decode("file:///100%/x%2").as_deref(), Some("/100%/x%2"));
        assert_eq!(decode("file://localhost/a.js").as_deref(), Some("/a.js"));
        assert_eq!(decode("file:///a.js?v=1#x").as_deref(), Some("/a.js"));
        assert_eq!(decode("file://host/a.js"), None);
    }

    #[test]
    fn relative_values_and_ancestors() {
        assert_eq!(
            relative_value(Path::new("/s/cache-handler.js"), Path::new("/s/.next")),
            "../cache-handler.js"
        );
        assert_eq!(
            common_ancestor(
                [
                    Path::new("/a/b/c/x.js"),
                    Path::new("/a/b/node_modules/ms/index.js")
                ]
                .into_iter()
            ),
            Some(PathBuf::from("/a/b"))
        );
    }
}
