//! Which `next.config.*` the installed Next version loads (`docs/version-facts.md` §4).
//!
//! `findUp(CONFIG_FILES, { cwd: dir })`: in each directory from the project upward, the first
//! existing name in `CONFIG_FILES` order wins (js > mjs > ts > mts). When none exists anywhere,
//! Next looks for unsupported names the same way and fails the build on them, except that
//! 13.4–14.x silently ignore a lone `next.config.cjs`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::versions::{facts, Fact, Version};

/// The newest line the discovery rules were checked against; used when the version is unknown.
const ASSUMED: Version = Version::new(16, 4, 6);

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Discovery {
    /// The config file Next loads.
    Found { file: PathBuf },
    /// A config file Next rejects: `next build` fails with this message.
    Unsupported { file: PathBuf, message: String },
    /// A file that looks like a config but is silently ignored (a lone `.cjs` before 15):
    /// Next runs with an empty config.
    Ignored { file: PathBuf, reason: String },
    /// No config file: Next runs with its defaults.
    None,
}

impl Discovery {
    pub fn file(&self) -> Option<&Path> {
        match self {
            Discovery::Found { file } => Some(file),
            _ => None,
        }
    }
}

/// Names Next accepts, in precedence order.
pub fn config_files(version: Option<Version>) -> Vec<&'static str> {
    facts(version.unwrap_or(ASSUMED)).config_files()
}

fn unsupported_names(version: Version) -> Vec<&'static str> {
    let f = facts(version);
    if f.has(Fact::ConfigTs) {
        // 15.0+: `.mts` is rejected only where it is not a config name (15.x; 16.x without
        // native type stripping, which next-graft cannot see: it assumes 16.x accepts it).
        let mut names = vec!["next.config.cjs", "next.config.cts"];
        if !f.has(Fact::ConfigMts) {
            names.push("next.config.mts");
        }
        names.extend(["next.config.json", "next.config.jsx", "next.config.tsx"]);
        names
    } else {
        // 13.4–14.x (`dist/server/config.js` of 14.2.35): `.cjs`, `.mts`, `.cts` are not looked
        // for at all, so a lone one is silently ignored.
        vec![
            "next.config.jsx",
            "next.config.ts",
            "next.config.tsx",
            "next.config.json",
        ]
    }
}

fn find_up(start: &Path, names: &[&str]) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in names {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// Find the config file the way `loadConfig` does for `version` (unknown: the newest line).
pub fn discover(project_dir: &Path, version: Option<Version>) -> Discovery {
    let v = version.unwrap_or(ASSUMED);
    if let Some(file) = find_up(project_dir, &facts(v).config_files()) {
        return Discovery::Found { file };
    }
    if let Some(file) = find_up(project_dir, &unsupported_names(v)) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let allowed = if facts(v).has(Fact::ConfigTs) {
            "'next.config.js', 'next.config.mjs', or 'next.config.ts'"
        } else {
            "'next.config.js' or 'next.config.mjs'"
        };
        return Discovery::Unsupported {
            message: format!("Configuring Next.js via '{name}' is not supported. Please replace the file with {allowed}."),
            file,
        };
    }
    if facts(v).has(Fact::LoneCjsConfigIgnored) {
        if let Some(file) = find_up(
            project_dir,
            &["next.config.cjs", "next.config.mts", "next.config.cts"],
        ) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Discovery::Ignored {
                reason: format!(
                    "Next.js {v} does not read {name} (only next.config.js and next.config.mjs): the app runs with no config"
                ),
                file,
            };
        }
    }
    Discovery::None
}
