//! Finds the serialized config literal inside a generated `.js` file with SWC (never a regex):
//! `const nextConfig = {…}` in standalone `server.js`, `self.__SERVER_FILES_MANIFEST = {…}` in
//! `required-server-files.js`. Returns the literal's byte range, for reading and for splicing.

use crate::nesting::Refused;
use crate::InputError;
use std::ops::Range;
use std::path::Path;
use swc_core::common::{sync::Lrc, FileName, SourceMap, Span, Spanned};
use swc_core::ecma::ast::{AssignExpr, AssignTarget, Expr, Pat, SimpleAssignTarget, VarDeclarator};
use swc_core::ecma::parser::{EsSyntax, Syntax};
use swc_core::ecma::visit::{Visit, VisitWith};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralTarget {
    /// `const nextConfig = {…}` (standalone `server.js`).
    NextConfig,
    /// `self.__SERVER_FILES_MANIFEST = {…}` (`required-server-files.js`, 16.1+).
    ServerFilesManifest,
}

impl LiteralTarget {
    pub fn describe(self) -> &'static str {
        match self {
            LiteralTarget::NextConfig => "`const nextConfig = {…}`",
            LiteralTarget::ServerFilesManifest => "`self.__SERVER_FILES_MANIFEST = {…}`",
        }
    }
}

/// Parses `text` (the contents of `path`) and returns the byte range of the target literal.
pub fn find_literal(
    path: &Path,
    text: &str,
    target: LiteralTarget,
) -> Result<Range<usize>, InputError> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(FileName::Real(path.to_path_buf()).into(), text.to_string());
    // SWC drops a leading byte order mark: its positions count from after it.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let program = match crate::nesting::parse(
        &fm,
        Syntax::Es(EsSyntax::default()),
        MAX_BRACKET_DEPTH,
    ) {
        Ok((program, _)) => program,
        Err(Refused::TooDeep { at }) => {
            let line = text[..at].matches('\n').count() + 1;
            let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            return Err(InputError::new(format!(
                "{}:{line}:{col}: nesting deeper than {MAX_BRACKET_DEPTH} levels: not a file written by `next build`",
                path.display()
            )));
        }
        Err(Refused::ParserFailed) => {
            return Err(InputError::new(format!(
                "{}: cannot parse (the JavaScript parser failed on this file)",
                path.display()
            )))
        }
        Err(Refused::Syntax(err)) => {
            let pos = cm.lookup_char_pos(err.span().lo);
            return Err(InputError::new(format!(
                "{}:{}:{}: cannot parse: {}",
                path.display(),
                pos.line,
                pos.col_display + 1,
                err.kind().msg()
            )));
        }
    };
    let mut finder = Finder {
        target,
        found: None,
    };
    program.visit_with(&mut finder);
    let span = finder.found.ok_or_else(|| {
        InputError::new(format!(
            "{}: no {} literal found (a custom server, or not a file written by `next build`)",
            path.display(),
            target.describe()
        ))
    })?;
    let start = fm.start_pos.0;
    let (lo, hi) = (
        (span.lo.0 - start) as usize + bom,
        (span.hi.0 - start) as usize + bom,
    );
    if lo > hi || hi > text.len() || !text.is_char_boundary(lo) || !text.is_char_boundary(hi) {
        return Err(InputError::new(format!(
            "{}: literal span out of range",
            path.display()
        )));
    }
    Ok(lo..hi)
}

/// Bracket nesting beyond which a file is not parsed: SWC's parser (and dropping its AST) recurse
/// per level, and a stack overflow aborts the process. A serialized config is a few levels deep.
const MAX_BRACKET_DEPTH: usize = 256;

struct Finder {
    target: LiteralTarget,
    found: Option<Span>,
}

fn object_span(expr: &Expr) -> Option<Span> {
    match expr {
        Expr::Object(object) => Some(object.span),
        Expr::Paren(paren) => object_span(&paren.expr),
        _ => None,
    }
}

impl Visit for Finder {
    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        if self.found.is_some() || self.target != LiteralTarget::NextConfig {
            return;
        }
        if let (Pat::Ident(name), Some(init)) = (&decl.name, &decl.init) {
            if &*name.id.sym == "nextConfig" {
                self.found = object_span(init);
            }
        }
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if self.found.is_some() {
            return;
        }
        if self.target == LiteralTarget::ServerFilesManifest {
            if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
                if member
                    .prop
                    .as_ident()
                    .is_some_and(|p| &*p.sym == "__SERVER_FILES_MANIFEST")
                {
                    self.found = object_span(&assign.right);
                    return;
                }
            }
        }
        assign.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER_JS: &str = r#"const path = require('path')
const dir = path.join(__dirname)
process.env.NODE_ENV = 'production'
process.chdir(__dirname)
const currentPort = parseInt(process.env.PORT, 10) || 3000
const nextConfig = {"env":{},"cacheHandler":"../cache-handler.js","experimental":{"x":"}"}}
process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(nextConfig)
"#;

    #[test]
    fn finds_next_config_literal() {
        let range =
            find_literal(Path::new("server.js"), SERVER_JS, LiteralTarget::NextConfig).unwrap();
        assert_eq!(
            &SERVER_JS[range],
            r#"{"env":{},"cacheHandler":"../cache-handler.js","experimental":{"x":"}"}}"#
        );
    }

    #[test]
    fn finds_manifest_assignment() {
        let text = "self.__SERVER_FILES_MANIFEST={\n  \"version\": 1,\n  \"config\": {}\n}";
        let range =
            find_literal(Path::new("r.js"), text, LiteralTarget::ServerFilesManifest).unwrap();
        assert!(text[range].starts_with("{\n  \"version\""));
    }

    #[test]
    fn missing_literal_names_the_file() {
        let err = find_literal(
            Path::new("/x/server.js"),
            "require('./custom')",
            LiteralTarget::NextConfig,
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("/x/server.js: no `const nextConfig"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_the_span() {
        let text = format!("\u{feff}{SERVER_JS}");
        let range = find_literal(Path::new("server.js"), &text, LiteralTarget::NextConfig).unwrap();
        assert!(text[range].starts_with("{\"env\""));
    }

    #[test]
    fn absurd_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!(
            "const nextConfig = {{\"a\":{}{}}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let err =
            find_literal(Path::new("/x/server.js"), &text, LiteralTarget::NextConfig).unwrap_err();
        assert!(
            err.message.starts_with("/x/server.js:1:") && err.message.contains("nesting"),
            "{}",
            err.message
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = find_literal(
            Path::new("/x/server.js"),
            "const a = 1\nconst = ;",
            LiteralTarget::NextConfig,
        )
        .unwrap_err();
        assert!(
            err.message.starts_with("/x/server.js:2:"),
            "{}",
            err.message
        );
    }
}
