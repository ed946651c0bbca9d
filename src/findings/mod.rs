//! The shared vocabulary of diagnostics: every stage reports problems as `Finding`s.
//! Slugs are stable: they appear in JSON output and in `docs/findings.md`.

use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// One entry of the finding catalogue (`docs/findings.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Slug {
    HandlerMissing,
    DependencyMissing,
    DependencyUnresolvable,
    DynamicDependency,
    OutsideTracingRoot,
    InactiveAtBuild,
    RelativePathNextStart,
    WrongKeyForVersion,
    SingularForUseCache,
    LegacyKeyIgnored,
    DeprecatedExperimentalKey,
    PreloadBug,
    FileUrlUnsupported,
    InterfaceMismatch,
    InterfaceUncheckable,
    AbsoluteBuildPath,
    ConfigCopiesDisagree,
    TypescriptHandler,
    EsmHandlerRequired,
    UnsupportedVersion,
    SmokeHandlerNotLoaded,
    SmokeHandlerNotCalled,
    SmokeServerError,
    SmokeBuildTreeAccess,
    AssetSkipped,
    LinkReplacedInTree,
    NotARegularFile,
    SymlinkInTheWay,
    PostbuildNotRun,
}

impl Slug {
    pub fn as_str(self) -> &'static str {
        match self {
            Slug::HandlerMissing => "handler-missing",
            Slug::DependencyMissing => "dependency-missing",
            Slug::DependencyUnresolvable => "dependency-unresolvable",
            Slug::DynamicDependency => "dynamic-dependency",
            Slug::OutsideTracingRoot => "outside-tracing-root",
            Slug::InactiveAtBuild => "inactive-at-build",
            Slug::RelativePathNextStart => "relative-path-next-start",
            Slug::WrongKeyForVersion => "wrong-key-for-version",
            Slug::SingularForUseCache => "singular-for-use-cache",
            Slug::LegacyKeyIgnored => "legacy-key-ignored",
            Slug::DeprecatedExperimentalKey => "deprecated-experimental-key",
            Slug::PreloadBug => "preload-bug",
            Slug::FileUrlUnsupported => "file-url-unsupported",
            Slug::InterfaceMismatch => "interface-mismatch",
            Slug::InterfaceUncheckable => "interface-uncheckable",
            Slug::AbsoluteBuildPath => "absolute-build-path",
            Slug::ConfigCopiesDisagree => "config-copies-disagree",
            Slug::TypescriptHandler => "typescript-handler",
            Slug::EsmHandlerRequired => "esm-handler-required",
            Slug::UnsupportedVersion => "unsupported-version",
            Slug::SmokeHandlerNotLoaded => "smoke-handler-not-loaded",
            Slug::SmokeHandlerNotCalled => "smoke-handler-not-called",
            Slug::SmokeServerError => "smoke-server-error",
            Slug::SmokeBuildTreeAccess => "smoke-build-tree-access",
            Slug::AssetSkipped => "asset-skipped",
            Slug::LinkReplacedInTree => "link-replaced-in-tree",
            Slug::NotARegularFile => "not-a-regular-file",
            Slug::SymlinkInTheWay => "symlink-in-the-way",
            Slug::PostbuildNotRun => "postbuild-not-run",
        }
    }
}

/// A place in a file. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Self {
            file: file.into(),
            line: None,
            column: None,
        }
    }

    pub fn at(file: impl Into<PathBuf>, line: u32, column: u32) -> Self {
        Self {
            file: file.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub slug: Slug,
    pub severity: Severity,
    /// One line, no trailing period needed.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The source line at `location`, when known, for human output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Further facts (import chain, candidates); one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Which handler this concerns, e.g. `cacheHandler` or `cacheHandlers.default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// Set by `graft` when it repaired the problem.
    pub fixed: bool,
}

impl Finding {
    pub fn new(slug: Slug, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            slug,
            severity,
            message: message.into(),
            location: None,
            source_line: None,
            help: None,
            notes: Vec::new(),
            handler: None,
            fixed: false,
        }
    }

    pub fn error(slug: Slug, message: impl Into<String>) -> Self {
        Self::new(slug, Severity::Error, message)
    }

    pub fn warning(slug: Slug, message: impl Into<String>) -> Self {
        Self::new(slug, Severity::Warning, message)
    }

    pub fn note(slug: Slug, message: impl Into<String>) -> Self {
        Self::new(slug, Severity::Note, message)
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn for_handler(mut self, handler: impl Into<String>) -> Self {
        self.handler = Some(handler.into());
        self
    }

    pub fn with_source_line(mut self, line: impl Into<String>) -> Self {
        self.source_line = Some(line.into());
        self
    }
}

/// Fills `source_line` of every finding that names a line, reading each file once.
pub fn attach_source_lines(findings: &mut [Finding]) {
    let mut cache: std::collections::HashMap<PathBuf, Option<Vec<String>>> =
        std::collections::HashMap::new();
    for finding in findings.iter_mut().filter(|f| f.source_line.is_none()) {
        let Some(Location {
            file,
            line: Some(line),
            ..
        }) = &finding.location
        else {
            continue;
        };
        let lines = cache.entry(file.clone()).or_insert_with(|| {
            // Source lines are a courtesy: a file too large or unreadable just has none.
            let meta = std::fs::metadata(file).ok()?;
            if meta.len() > 4 * 1024 * 1024 {
                return None;
            }
            let text = std::fs::read(file).ok()?;
            Some(
                String::from_utf8_lossy(&text)
                    .lines()
                    .map(str::to_string)
                    .collect(),
            )
        });
        if let Some(text) = lines.as_ref().and_then(|l| l.get(*line as usize - 1)) {
            if text.len() <= 300 {
                finding.source_line = Some(text.clone());
            }
        }
    }
}
