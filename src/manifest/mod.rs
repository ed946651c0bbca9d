//! `manifest`: every copy of the serialized config that `next build` wrote, and the handlers
//! each one records. This is what the build recorded (the config analysis says what was meant).
//!
//! Copies (`docs/version-facts.md` §5d):
//! - `<distDir>/required-server-files.json` (always) and its `.js` twin (16.1+);
//! - `standalone/<relativeAppDir>/<distDir>/required-server-files.json`;
//! - the `const nextConfig = {…}` literal in `standalone/<relativeAppDir>/server.js`, found by
//!   parsing `server.js` with SWC; its byte span is kept so a later stage can splice it.

mod js_literal;

use crate::layout::Layout;
use crate::InputError;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use js_literal::{find_literal, LiteralTarget};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyKind {
    /// `<distDir>/required-server-files.json`.
    ProjectJson,
    /// `<distDir>/required-server-files.js` (16.1+).
    ProjectJs,
    /// `standalone/<relativeAppDir>/<distDir>/required-server-files.json`.
    StandaloneJson,
    /// The `nextConfig` literal of `standalone/<relativeAppDir>/server.js`: the config that
    /// `node server.js` runs with.
    ServerJs,
}

/// A handler path as serialized by the build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RecordedHandler {
    /// `cacheHandler`, `cacheHandlers.<kind>`, `experimental.cacheHandlers.<kind>` or
    /// `experimental.incrementalCacheHandlerPath`.
    pub key: String,
    /// As serialized: normally relative to the distDir (`../cache-handler.js`).
    pub value: String,
}

impl RecordedHandler {
    /// The handler kind as `--handler` names it: `isr` or the `cacheHandlers` key.
    pub fn kind(&self) -> &str {
        match self.key.rsplit_once("cacheHandlers.") {
            Some((_, kind)) => kind,
            None => "isr",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigCopy {
    pub kind: CopyKind,
    pub file: PathBuf,
    /// Byte range of the JSON config object inside `file` (for the `.js` files: the literal).
    #[serde(skip)]
    pub config_span: Option<Range<usize>>,
    #[serde(skip)]
    pub config: Map<String, Value>,
    pub handlers: Vec<RecordedHandler>,
    /// `experimental.preloadEntriesOnStart` when recorded.
    pub preload_entries_on_start: Option<bool>,
    /// `distDir` as recorded in this copy (`./.next` in server.js, `.next` in the manifests).
    pub dist_dir: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub copies: Vec<ConfigCopy>,
    /// The manifest's absolute `appDir`: the build machine's project dir.
    pub app_dir: Option<String>,
}

impl Recorded {
    pub fn copy(&self, kind: CopyKind) -> Option<&ConfigCopy> {
        self.copies.iter().find(|c| c.kind == kind)
    }

    /// The copy that decides what production runs: `server.js` for standalone builds, else the
    /// project manifest.
    pub fn authoritative(&self) -> Option<&ConfigCopy> {
        self.copy(CopyKind::ServerJs)
            .or_else(|| self.copy(CopyKind::ProjectJson))
    }
}

/// Reads every copy of the serialized config. Requires a build (`required-server-files.json`).
pub fn read(layout: &Layout) -> Result<Recorded, InputError> {
    let Some(manifest_path) = &layout.required_server_files else {
        return Err(InputError::new(format!(
            "{}: no build output (required-server-files.json not found); run `next build` first",
            layout.dist_dir.display()
        )));
    };
    let mut copies = Vec::new();
    let (project, app_dir) = read_json_copy(manifest_path, CopyKind::ProjectJson)?;
    copies.push(project);

    if let Some(js) = &layout.required_server_files_js {
        copies.push(read_js_copy(
            js,
            CopyKind::ProjectJs,
            LiteralTarget::ServerFilesManifest,
        )?);
    }
    if let Some(standalone) = &layout.standalone {
        let copy = standalone
            .server_dir
            .join(&layout.dist_dir_name)
            .join("required-server-files.json");
        if copy.is_file() {
            copies.push(read_json_copy(&copy, CopyKind::StandaloneJson)?.0);
        }
        if standalone.server_js.is_file() {
            copies.push(read_js_copy(
                &standalone.server_js,
                CopyKind::ServerJs,
                LiteralTarget::NextConfig,
            )?);
        }
    }
    Ok(Recorded { copies, app_dir })
}

/// Reads one copy of the serialized config from `path`, whatever tree it is in (the smoke
/// stage reads copies in a temporary copy of the standalone folder).
pub fn read_copy(path: &Path, kind: CopyKind) -> Result<ConfigCopy, InputError> {
    match kind {
        CopyKind::ProjectJson | CopyKind::StandaloneJson => Ok(read_json_copy(path, kind)?.0),
        CopyKind::ProjectJs => read_js_copy(path, kind, LiteralTarget::ServerFilesManifest),
        CopyKind::ServerJs => read_js_copy(path, kind, LiteralTarget::NextConfig),
    }
}

impl ConfigCopy {
    /// The text of this copy's file with its config replaced by `config`, in the format the
    /// build wrote (compact `JSON.stringify` in server.js, 2-space pretty JSON elsewhere); every
    /// byte outside the config is kept. `original` is the file's current text.
    pub fn render_with(
        &self,
        original: &str,
        config: &Map<String, Value>,
    ) -> Result<String, InputError> {
        let bad = |why: &str| InputError::new(format!("{}: {why}", self.file.display()));
        match self.kind {
            CopyKind::ServerJs => {
                let span = self
                    .config_span
                    .clone()
                    .ok_or_else(|| bad("no config literal span"))?;
                let literal = serde_json::to_string(config).map_err(|e| bad(&e.to_string()))?;
                Ok(splice(original, span, &literal))
            }
            CopyKind::ProjectJs => {
                let span = self
                    .config_span
                    .clone()
                    .ok_or_else(|| bad("no manifest literal span"))?;
                let mut manifest: Value = serde_json::from_str(&original[span.clone()])
                    .map_err(|e| bad(&e.to_string()))?;
                manifest["config"] = Value::Object(config.clone());
                let literal =
                    serde_json::to_string_pretty(&manifest).map_err(|e| bad(&e.to_string()))?;
                Ok(splice(original, span, &literal))
            }
            CopyKind::ProjectJson | CopyKind::StandaloneJson => {
                let mut manifest: Value =
                    serde_json::from_str(original).map_err(|e| bad(&e.to_string()))?;
                manifest["config"] = Value::Object(config.clone());
                let mut text =
                    serde_json::to_string_pretty(&manifest).map_err(|e| bad(&e.to_string()))?;
                if original.ends_with('\n') {
                    text.push('\n');
                }
                Ok(text)
            }
        }
    }
}

fn splice(original: &str, span: Range<usize>, replacement: &str) -> String {
    let mut out = String::with_capacity(original.len() + replacement.len());
    out.push_str(&original[..span.start]);
    out.push_str(replacement);
    out.push_str(&original[span.end..]);
    out
}

fn read_text(path: &Path) -> Result<String, InputError> {
    fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("{}: cannot read: {e}", path.display())))
}

fn read_json_copy(path: &Path, kind: CopyKind) -> Result<(ConfigCopy, Option<String>), InputError> {
    let text = read_text(path)?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| InputError::invalid_json(path, &e))?;
    let Some(Value::Object(config)) = value.get("config") else {
        return Err(InputError::new(format!(
            "{}: no `config` object in the manifest",
            path.display()
        )));
    };
    let app_dir = value
        .get("appDir")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((copy_from_config(kind, path, None, config.clone()), app_dir))
}

fn read_js_copy(
    path: &Path,
    kind: CopyKind,
    target: LiteralTarget,
) -> Result<ConfigCopy, InputError> {
    let text = read_text(path)?;
    let span = find_literal(path, &text, target)?;
    let value: Value = serde_json::from_str(&text[span.clone()]).map_err(|e| {
        InputError::new(format!(
            "{}: the {} literal is not plain JSON: {e}",
            path.display(),
            target.describe()
        ))
    })?;
    let object = match (target, value) {
        (LiteralTarget::NextConfig, Value::Object(config)) => config,
        (LiteralTarget::ServerFilesManifest, Value::Object(mut manifest)) => {
            match manifest.remove("config") {
                Some(Value::Object(config)) => config,
                _ => {
                    return Err(InputError::new(format!(
                        "{}: no `config` object in the manifest",
                        path.display()
                    )))
                }
            }
        }
        _ => {
            return Err(InputError::new(format!(
                "{}: the {} is not an object",
                path.display(),
                target.describe()
            )))
        }
    };
    Ok(copy_from_config(kind, path, Some(span), object))
}

fn copy_from_config(
    kind: CopyKind,
    file: &Path,
    span: Option<Range<usize>>,
    config: Map<String, Value>,
) -> ConfigCopy {
    let handlers = handlers_of(&config);
    let experimental = config.get("experimental").and_then(Value::as_object);
    let preload_entries_on_start = experimental
        .and_then(|e| e.get("preloadEntriesOnStart"))
        .and_then(Value::as_bool);
    let dist_dir = config
        .get("distDir")
        .and_then(Value::as_str)
        .map(str::to_string);
    ConfigCopy {
        kind,
        file: file.to_path_buf(),
        config_span: span,
        config,
        handlers,
        preload_entries_on_start,
        dist_dir,
    }
}

/// The handler entries of a serialized config, in a stable order.
pub fn handlers_of(config: &Map<String, Value>) -> Vec<RecordedHandler> {
    let mut out = Vec::new();
    let mut push = |key: String, value: &Value| {
        if let Some(text) = value.as_str().filter(|s| !s.is_empty()) {
            out.push(RecordedHandler {
                key,
                value: text.to_string(),
            });
        }
    };
    if let Some(value) = config.get("cacheHandler") {
        push("cacheHandler".into(), value);
    }
    if let Some(Value::Object(map)) = config.get("cacheHandlers") {
        for (kind, value) in map {
            push(format!("cacheHandlers.{kind}"), value);
        }
    }
    if let Some(Value::Object(experimental)) = config.get("experimental") {
        if let Some(value) = experimental.get("incrementalCacheHandlerPath") {
            push("experimental.incrementalCacheHandlerPath".into(), value);
        }
        if let Some(Value::Object(map)) = experimental.get("cacheHandlers") {
            for (kind, value) in map {
                push(format!("experimental.cacheHandlers.{kind}"), value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_with_round_trips_real_copies_byte_identical() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/next-16.4.6-v16-4/.next");
        for (file, kind) in [
            ("standalone/server.js", CopyKind::ServerJs),
            (
                "standalone/.next/required-server-files.json",
                CopyKind::StandaloneJson,
            ),
            ("required-server-files.json", CopyKind::ProjectJson),
            ("required-server-files.js", CopyKind::ProjectJs),
        ] {
            let path = root.join(file);
            let text = fs::read_to_string(&path).unwrap();
            let copy = read_copy(&path, kind).unwrap();
            assert_eq!(
                copy.render_with(&text, &copy.config).unwrap(),
                text,
                "{file}"
            );
            let mut changed = copy.config.clone();
            changed.insert("cacheHandler".into(), Value::String("../probe.mjs".into()));
            let new_text = copy.render_with(&text, &changed).unwrap();
            let reread = {
                let tmp = tempfile::NamedTempFile::new().unwrap();
                fs::write(tmp.path(), &new_text).unwrap();
                read_copy(tmp.path(), kind).unwrap()
            };
            assert_eq!(reread.handlers[0].value, "../probe.mjs", "{file}");
            if kind == CopyKind::ServerJs {
                let span = copy.config_span.clone().unwrap();
                assert_eq!(&new_text[..span.start], &text[..span.start]);
                assert!(new_text.ends_with(&text[span.end..]));
            }
        }
    }

    #[test]
    fn extracts_every_handler_key() {
        let config: Map<String, Value> = serde_json::from_str(
            r#"{"cacheHandler":"../isr.js","cacheHandlers":{"default":"../d.mjs","remote":null},
               "experimental":{"incrementalCacheHandlerPath":"/abs/old.js","cacheHandlers":{"static":"../s.js"},
               "preloadEntriesOnStart":false}}"#,
        )
        .unwrap();
        let handlers = handlers_of(&config);
        let keys: Vec<_> = handlers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_str(), h.kind()))
            .collect();
        assert_eq!(
            keys,
            [
                ("cacheHandler", "../isr.js", "isr"),
                ("cacheHandlers.default", "../d.mjs", "default"),
                (
                    "experimental.incrementalCacheHandlerPath",
                    "/abs/old.js",
                    "isr"
                ),
                ("experimental.cacheHandlers.static", "../s.js", "static"),
            ]
        );
        let copy = copy_from_config(CopyKind::ServerJs, Path::new("server.js"), None, config);
        assert_eq!(copy.preload_entries_on_start, Some(false));
    }
}
