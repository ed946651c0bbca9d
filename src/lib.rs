//! next-graft: make Next.js custom cache handlers work in production.
//!
//! The pipeline (see `docs/architecture.md`): each stage is one folder with one public entry and
//! plain data out.
//!
//! ```text
//! layout ──► config (SWC) ──┐
//!    │                       ├─► check (verify) ──► report
//!    └────► manifest ────────┘
//!                 trace ─────┘
//! ```

pub mod apply;
pub mod check;
pub mod commands;
pub mod config;
pub mod findings;
pub mod layout;
pub mod manifest;
pub mod nesting;
pub mod node;
mod parallel;
pub mod plan;
pub mod platform;
pub mod report;
pub mod smoke;
pub mod timing;
pub mod trace;
pub mod versions;

/// An error that stops a run before any analysis: exit code 2, one line naming the file.
#[derive(Debug)]
pub struct InputError {
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// `<path>:<line>:<column>: invalid JSON: …`, for a JSON file that does not parse.
    pub fn invalid_json(path: &std::path::Path, e: &serde_json::Error) -> Self {
        Self::new(format!(
            "{}:{}:{}: invalid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}
