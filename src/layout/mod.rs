//! `layout`: where everything of a built Next.js project is, found from the project directory.
//!
//! Reads only small files (`package.json`, `required-server-files.json`, marker files); never
//! walks trees, so its cost does not grow with the repository.

use crate::versions::Version;
use crate::InputError;
use serde::Serialize;
use std::fs;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bundler {
    Webpack,
    Turbopack,
    Unknown,
}

impl Bundler {
    pub fn name(self) -> &'static str {
        match self {
            Bundler::Webpack => "webpack",
            Bundler::Turbopack => "Turbopack",
            Bundler::Unknown => "unknown bundler",
        }
    }
}

/// How production serves the build: the question every finding's severity answers ("does
/// production, served this way, fail to use the handler?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deployment {
    /// `node server.js` of the standalone folder, moved (a Docker image).
    Standalone,
    /// `next start` in the project: it reads next.config again and resolves handler paths
    /// against the distDir.
    Start,
}

/// The standalone output of a build (`output: 'standalone'`).
#[derive(Debug, Clone, Serialize)]
pub struct Standalone {
    /// `<distDir>/standalone`: what a Dockerfile copies.
    pub root: PathBuf,
    /// `standalone/<relativeAppDir>`: where `server.js` lives and runs (`process.chdir`).
    pub server_dir: PathBuf,
    pub server_js: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextPackage {
    pub version: Version,
    /// The `package.json` of the `next` package the project resolves.
    pub package_json: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    /// The project (app) directory, canonical.
    pub project_dir: PathBuf,
    /// `distDir` as configured, relative to the project (`.next` by default).
    pub dist_dir_name: String,
    /// The absolute distDir.
    pub dist_dir: PathBuf,
    /// `<distDir>/required-server-files.json`; `None` when the build has not run.
    pub required_server_files: Option<PathBuf>,
    /// `<distDir>/required-server-files.js` (16.1+).
    pub required_server_files_js: Option<PathBuf>,
    pub standalone: Option<Standalone>,
    /// `relativeAppDir`: the project's path below the tracing root ("" for a single package).
    pub relative_app_dir: String,
    /// `outputFileTracingRoot`, derived from the project dir and `relativeAppDir` (the recorded
    /// absolute value names the build machine, which may not be this one).
    pub tracing_root: PathBuf,
    pub next: Option<NextPackage>,
    pub bundler: Bundler,
    /// The build can be served with `next start` (a complete distDir).
    pub supports_next_start: bool,
    /// How production serves it: from the build (standalone output or not) or `--mode`; `None`
    /// before a build, when only next.config is read and the mode is not given.
    pub deployment: Option<Deployment>,
    /// The Node.js version production runs (`--node`, `engines.node`, the build's `node`):
    /// decided by `node::decide` for the commands; unknown when the layout was discovered
    /// without asking.
    #[serde(skip)]
    pub node: crate::node::NodeQuery,
}

impl Layout {
    /// Whether `next build` has produced output that can be served.
    pub fn has_build(&self) -> bool {
        self.required_server_files.is_some()
    }

    pub fn next_version(&self) -> Option<Version> {
        self.next.as_ref().map(|n| n.version)
    }
}

const MANIFEST: &str = "required-server-files.json";

/// Finds the layout of the project at `project_dir`. `dist_dir_override` names the distDir when
/// it is not `.next` and cannot be found (it is recorded inside itself).
pub fn discover(project_dir: &Path, dist_dir_override: Option<&str>) -> Result<Layout, InputError> {
    let project_dir = crate::platform::canonicalize(project_dir).map_err(|e| {
        InputError::new(format!(
            "{}: cannot open project directory: {e}",
            project_dir.display()
        ))
    })?;
    if !project_dir.is_dir() {
        return Err(InputError::new(format!(
            "{}: not a directory",
            project_dir.display()
        )));
    }
    let package_json = project_dir.join("package.json");
    let next = find_next_package(&project_dir);
    if !package_json.is_file() && next.is_none() {
        return Err(InputError::new(format!(
            "{}: not a Next.js project (no package.json and no `next` package found)",
            project_dir.display()
        )));
    }

    let dist_dir_name = match dist_dir_override {
        Some(name) => name.to_string(),
        None => find_dist_dir(&project_dir).unwrap_or_else(|| ".next".to_string()),
    };
    let dist_dir = normalize(&project_dir.join(&dist_dir_name));
    let manifest_path = dist_dir.join(MANIFEST);
    let required_server_files = manifest_path.is_file().then_some(manifest_path);
    let js_twin = dist_dir.join("required-server-files.js");
    let required_server_files_js = js_twin.is_file().then_some(js_twin);

    let relative_app_dir = match &required_server_files {
        Some(path) => read_relative_app_dir(path)?,
        None => String::new(),
    };
    let tracing_root = tracing_root_of(&project_dir, &relative_app_dir);

    let standalone_root = dist_dir.join("standalone");
    let standalone = if standalone_root.is_dir() {
        let server_dir = normalize(&standalone_root.join(&relative_app_dir));
        let server_js = server_dir.join("server.js");
        Some(Standalone {
            root: standalone_root,
            server_dir,
            server_js,
        })
    } else {
        None
    };

    let bundler = detect_bundler(&dist_dir);
    let supports_next_start = dist_dir.join("BUILD_ID").is_file();
    let deployment = required_server_files.as_ref().map(|_| {
        if standalone.is_some() {
            Deployment::Standalone
        } else {
            Deployment::Start
        }
    });

    Ok(Layout {
        project_dir,
        dist_dir_name,
        dist_dir,
        required_server_files,
        required_server_files_js,
        standalone,
        relative_app_dir,
        tracing_root,
        next,
        bundler,
        supports_next_start,
        deployment,
        node: crate::node::NodeQuery::unknown("not determined"),
    })
}

/// [`discover`], served as `mode` says (`--mode`) instead of as the build suggests. `start`
/// sets the standalone output aside: `next start` never runs it, so nothing in it decides a
/// verdict and graft writes nothing there. `standalone` needs that output.
pub fn discover_as(
    project_dir: &Path,
    dist_dir_override: Option<&str>,
    mode: Option<Deployment>,
) -> Result<Layout, InputError> {
    let mut layout = discover(project_dir, dist_dir_override)?;
    match mode {
        None => {}
        Some(Deployment::Start) => {
            layout.standalone = None;
            layout.deployment = Some(Deployment::Start);
        }
        Some(Deployment::Standalone) => {
            if layout.standalone.is_none() && layout.has_build() {
                return Err(InputError::new(format!(
                    "{}: --mode standalone, but the build has no standalone output; add `output: 'standalone'` to next.config and rebuild, or use --mode start",
                    layout.dist_dir.join("standalone").display()
                )));
            }
            layout.deployment = Some(Deployment::Standalone);
        }
    }
    Ok(layout)
}

/// `.next` when it holds a manifest; otherwise the one direct subdirectory that does (a custom
/// `distDir` such as `build/`). Reads one directory listing, no deeper.
fn find_dist_dir(project_dir: &Path) -> Option<String> {
    if project_dir.join(".next").join(MANIFEST).is_file() {
        return Some(".next".to_string());
    }
    let mut found: Vec<String> = fs::read_dir(project_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|entry| entry.path().join(MANIFEST).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn read_relative_app_dir(manifest: &Path) -> Result<String, InputError> {
    let text = fs::read_to_string(manifest)
        .map_err(|e| InputError::new(format!("{}: cannot read: {e}", manifest.display())))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| InputError::invalid_json(manifest, &e))?;
    let rel = value
        .get("relativeAppDir")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    // A recorded value is data from a file: refuse anything that would climb out of the tree.
    if Path::new(rel)
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(InputError::new(format!(
            "{}: relativeAppDir {rel:?} is not a path below the tracing root",
            manifest.display()
        )));
    }
    Ok(rel.to_string())
}

/// The tracing root is the project dir minus its `relativeAppDir` components.
fn tracing_root_of(project_dir: &Path, relative_app_dir: &str) -> PathBuf {
    let depth = Path::new(relative_app_dir)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let mut root = project_dir.to_path_buf();
    for _ in 0..depth {
        if !root.pop() {
            break;
        }
    }
    root
}

/// OpenNext's rule: the server runtime file tells which bundler built the output.
fn detect_bundler(dist_dir: &Path) -> Bundler {
    let server = dist_dir.join("server");
    if server.join("[turbopack]_runtime.js").is_file()
        || dist_dir.join("server").join("chunks").join("ssr").is_dir()
    {
        Bundler::Turbopack
    } else if server.join("webpack-runtime.js").is_file() {
        Bundler::Webpack
    } else {
        Bundler::Unknown
    }
}

/// The `next` package the project resolves (hoisted, pnpm, workspaces), through `oxc_resolver`.
fn find_next_package(project_dir: &Path) -> Option<NextPackage> {
    let resolver = oxc_resolver::Resolver::new(oxc_resolver::ResolveOptions {
        condition_names: vec!["node".into(), "require".into(), "default".into()],
        node_path: false,
        ..Default::default()
    });
    let package_json = resolver
        .resolve(project_dir, "next/package.json")
        .ok()
        .map(|r| r.path().to_path_buf())
        .or_else(|| {
            // `next` publishes no `exports`, but stay robust if a future one hides package.json.
            let main = resolver.resolve(project_dir, "next").ok()?;
            main.package_json().map(|p| p.path().to_path_buf())
        })?;
    let text = fs::read_to_string(&package_json).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let version = Version::parse(value.get("version")?.as_str()?)?;
    Some(NextPackage {
        version,
        package_json,
    })
}

/// Lexical normalization: removes `.` and resolves `..` against earlier components, without
/// touching the file system (the path may not exist, or may name another machine).
///
/// Most paths given here are normal already (real paths from the tracer, joined manifest
/// values): those are copied as they are, without the component walk and the pushes (about 4%
/// of a healthy graft's CPU went to normalizing, docs/performance.md).
pub fn normalize(path: &Path) -> PathBuf {
    if is_normal(path) {
        return path.to_path_buf();
    }
    walk(path)
}

/// [`normalize`] component by component.
fn walk(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether [`normalize`]'s walk would give back `path`'s own bytes: every separator is the main
/// one (the walk writes that one), no component is empty (`//`, a trailing separator), `.` or
/// `..`. A drive (`C:`) as the whole first component is kept by the walk as written; any other
/// `:` takes the walk (on Windows `C:.` is a drive and a `.`, and pushing `b:` replaces the whole
/// path), and a verbatim or UNC prefix starts with two separators.
fn is_normal(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    let main = std::path::MAIN_SEPARATOR as u8;
    let mut component_start = 0;
    for i in 0..=bytes.len() {
        let at_separator = i < bytes.len() && std::path::is_separator(char::from(bytes[i]));
        if at_separator && bytes[i] != main {
            return false;
        }
        if at_separator || i == bytes.len() {
            let component = &bytes[component_start..i];
            // Empty only as the root's (before the first separator), or the empty path.
            let empty_allowed = component_start == 0 && (i < bytes.len() || bytes.is_empty());
            if (component.is_empty() && !empty_allowed)
                || component == b"."
                || component == b".."
                || (component.contains(&b':') && !(component_start == 0 && is_drive(component)))
            {
                return false;
            }
            component_start = i + 1;
        }
    }
    true
}

fn is_drive(component: &[u8]) -> bool {
    matches!(component, [letter, b':'] if letter.is_ascii_alphabetic())
}

/// Whether `path` is `dir` or below it, compared by components (`/repo-b` is not in `/repo`).
pub fn is_within(path: &Path, dir: &Path) -> bool {
    normalize(path).starts_with(normalize(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            normalize(Path::new("/a/.next/../cache.js")),
            PathBuf::from("/a/cache.js")
        );
        assert_eq!(normalize(Path::new("/../../x")), PathBuf::from("/x"));
    }

    /// The shortcut for normal paths gives exactly the walk's bytes, for every path of up to six
    /// pieces (separators of both kinds, names, `.`, `..`, a drive prefix).
    #[test]
    fn normalize_shortcut_equals_the_walk() {
        const PIECES: [&str; 8] = ["/", "a", "bc", ".", "..", "\\", "C:", ":"];
        let mut paths = vec![String::new()];
        let mut shortcut_taken = 0;
        for _ in 0..6 {
            let mut longer = Vec::new();
            for path in &paths {
                for piece in PIECES {
                    let path = format!("{path}{piece}");
                    let p = Path::new(&path);
                    assert_eq!(normalize(p).as_os_str(), walk(p).as_os_str(), "{path:?}");
                    shortcut_taken += usize::from(is_normal(p));
                    longer.push(path);
                }
            }
            paths = longer;
        }
        assert!(shortcut_taken > 1000, "{shortcut_taken}");
        assert!(is_normal(Path::new(&format!(
            "{0}srv{0}app{0}x.js",
            std::path::MAIN_SEPARATOR
        ))));
    }

    #[test]
    fn within_compares_components() {
        assert!(is_within(Path::new("/repo/a.js"), Path::new("/repo")));
        assert!(!is_within(Path::new("/repo-b/a.js"), Path::new("/repo")));
        assert!(!is_within(Path::new("/repo/../x.js"), Path::new("/repo")));
    }

    #[test]
    fn tracing_root_strips_relative_app_dir() {
        assert_eq!(
            tracing_root_of(Path::new("/r/apps/web"), "apps/web"),
            PathBuf::from("/r")
        );
        assert_eq!(tracing_root_of(Path::new("/r"), ""), PathBuf::from("/r"));
    }

    #[test]
    fn refuses_climbing_relative_app_dir() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join(MANIFEST);
        fs::write(&manifest, r#"{"relativeAppDir":"../../etc"}"#).unwrap();
        assert!(read_relative_app_dir(&manifest).is_err());
        fs::write(&manifest, r#"{"relativeAppDir":"apps/web"}"#).unwrap();
        assert_eq!(read_relative_app_dir(&manifest).unwrap(), "apps/web");
    }
}
