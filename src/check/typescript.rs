//! What Node's type stripping refuses in a TypeScript module (`docs/version-facts.md` §14c).
//!
//! Node 22.18+ and 23.6+ run `.ts`, `.mts` and `.cts` files by replacing type syntax with
//! blanks. Syntax that needs code generation is refused with `ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX`
//! (enums, namespaces with values, parameter properties, `import x = …`, `export =`,
//! `<T>expr` assertions), and decorators are a `SyntaxError`. Each is found in the SWC AST, with
//! its line and column; `declare`d forms are types only and pass.

use std::path::Path;
use swc_core::common::{sync::Lrc, FileName, SourceMap, Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{Syntax, TsSyntax};
use swc_core::ecma::visit::{Visit, VisitWith};

/// One construct Node cannot strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotErasable {
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// What it is, for the message (`enum `Color``).
    pub construct: String,
}

/// The constructs of `text` (the content of `path`, a TypeScript file) that Node's type
/// stripping refuses. `Err` when the file does not parse (or not within the parse deadline):
/// the tracer reports that.
pub fn non_erasable(path: &Path, text: &str) -> Result<Vec<NotErasable>, String> {
    let path = path.to_path_buf();
    let text = text.to_string();
    crate::nesting::within(crate::nesting::PARSE_DEADLINE, move || {
        non_erasable_now(&path, text)
    })
    .unwrap_or_else(|| Err("the parser did not finish in time".into()))
}

fn non_erasable_now(path: &Path, text: String) -> Result<Vec<NotErasable>, String> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(FileName::Real(path.to_path_buf()).into(), text);
    let tsx = path.extension().is_some_and(|e| e == "tsx");
    let syntax = Syntax::Typescript(TsSyntax {
        tsx,
        decorators: true,
        ..Default::default()
    });
    let program = match crate::nesting::parse(&fm, syntax, crate::nesting::MODULE_MAX_DEPTH) {
        Ok((program, _)) => program,
        Err(crate::nesting::Refused::Syntax(e)) => return Err(e.kind().msg().to_string()),
        Err(_) => return Err("not parsed".into()),
    };
    let mut finder = Finder {
        cm: &cm,
        found: Vec::new(),
    };
    program.visit_with(&mut finder);
    finder.found.sort_by_key(|n| (n.line, n.column));
    Ok(finder.found)
}

struct Finder<'a> {
    cm: &'a SourceMap,
    found: Vec<NotErasable>,
}

impl Finder<'_> {
    fn push(&mut self, span: Span, construct: String) {
        let loc = self.cm.lookup_char_pos(span.lo);
        self.found.push(NotErasable {
            line: loc.line as u32,
            column: loc.col_display as u32 + 1,
            construct,
        });
    }
}

/// Whether a namespace body holds values (anything but types and other type-only namespaces).
fn instantiated(body: &TsNamespaceBody) -> bool {
    match body {
        TsNamespaceBody::TsModuleBlock(block) => block.body.iter().any(|item| {
            let decl = match item {
                ModuleItem::Stmt(Stmt::Decl(d)) => Some(d),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => Some(&e.decl),
                _ => None,
            };
            match decl {
                Some(Decl::TsInterface(_)) | Some(Decl::TsTypeAlias(_)) => false,
                Some(Decl::TsModule(m)) => m.declare || m.body.as_ref().is_some_and(instantiated),
                Some(Decl::Var(v)) => !v.declare,
                Some(Decl::Fn(f)) => !f.declare,
                Some(Decl::Class(c)) => !c.declare,
                Some(Decl::TsEnum(e)) => !e.declare,
                _ => true,
            }
        }),
        TsNamespaceBody::TsNamespaceDecl(inner) => !inner.declare && instantiated(&inner.body),
        #[allow(unreachable_patterns)]
        _ => true,
    }
}

fn module_name(id: &TsModuleName) -> String {
    match id {
        TsModuleName::Ident(i) => i.sym.to_string(),
        TsModuleName::Str(s) => format!("{:?}", s.value.to_string_lossy()),
        #[allow(unreachable_patterns)]
        _ => "?".into(),
    }
}

impl Visit for Finder<'_> {
    fn visit_ts_enum_decl(&mut self, n: &TsEnumDecl) {
        if !n.declare {
            let kind = if n.is_const { "const enum" } else { "enum" };
            self.push(n.span, format!("{kind} `{}`", n.id.sym));
        }
    }

    fn visit_ts_module_decl(&mut self, n: &TsModuleDecl) {
        // `declare namespace`/`declare module` are types only: nothing inside runs.
        if n.declare {
            return;
        }
        if n.body.as_ref().is_some_and(instantiated) {
            let what = if n.namespace { "namespace" } else { "module" };
            self.push(
                n.span,
                format!("{what} `{}` with values", module_name(&n.id)),
            );
        }
        n.visit_children_with(self);
    }

    fn visit_ts_param_prop(&mut self, n: &TsParamProp) {
        let name = match &n.param {
            TsParamPropParam::Ident(i) => i.id.sym.to_string(),
            TsParamPropParam::Assign(a) => match &*a.left {
                Pat::Ident(i) => i.id.sym.to_string(),
                _ => "…".into(),
            },
            #[allow(unreachable_patterns)]
            _ => "…".into(),
        };
        self.push(n.span, format!("parameter property `{name}`"));
        n.visit_children_with(self);
    }

    fn visit_ts_import_equals_decl(&mut self, n: &TsImportEqualsDecl) {
        if !n.is_type_only {
            let what = match &n.module_ref {
                TsModuleRef::TsExternalModuleRef(_) => {
                    format!("`import {} = require(…)`", n.id.sym)
                }
                _ => format!("`import {} = …`", n.id.sym),
            };
            self.push(n.span, what);
        }
    }

    fn visit_ts_export_assignment(&mut self, n: &TsExportAssignment) {
        self.push(n.span, "`export =`".into());
        n.visit_children_with(self);
    }

    fn visit_ts_type_assertion(&mut self, n: &TsTypeAssertion) {
        self.push(n.span, "a `<T>expr` type assertion".into());
        n.visit_children_with(self);
    }

    fn visit_decorator(&mut self, n: &Decorator) {
        self.push(n.span(), "a decorator".into());
        n.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constructs(text: &str) -> Vec<(u32, u32, String)> {
        non_erasable(Path::new("/h.ts"), text)
            .unwrap()
            .into_iter()
            .map(|n| (n.line, n.column, n.construct))
            .collect()
    }

    #[test]
    fn erasable_syntax_passes() {
        let text = r#"import type { X } from './types.ts';
import { type Y, dep } from './dep.ts';
interface I { a: string }
type T = I | null;
function f<U>(u: U): U { return u as U; }
const s = (1 satisfies number)!;
declare namespace D { const x: number }
declare enum E { A }
declare module 'foo' { export const y: number }
namespace Types { export type A = number; export interface B {} }
declare const g: number;
abstract class K { abstract f(): void; declare z: number; private a = 1; constructor(a: number) { this.a = a; } }
export default class H { get(k: string): T { return null; } }
"#;
        assert_eq!(constructs(text), Vec::<(u32, u32, String)>::new());
    }

    #[test]
    fn each_construct_node_refuses_with_its_position() {
        let text = r#"enum Color { Red }
export const enum Flag { A }
namespace N { export const x = 1; }
class P { constructor(private a: number, readonly b = 2) {} }
import fs = require('fs');
const x = <any>1;
@sealed class D {}
export = x;
"#;
        assert_eq!(
            constructs(text),
            [
                (1, 1, "enum `Color`".to_string()),
                (2, 8, "const enum `Flag`".to_string()),
                (3, 1, "namespace `N` with values".to_string()),
                (4, 23, "parameter property `a`".to_string()),
                (4, 42, "parameter property `b`".to_string()),
                (5, 1, "`import fs = require(…)`".to_string()),
                (6, 11, "a `<T>expr` type assertion".to_string()),
                (7, 1, "a decorator".to_string()),
                (8, 1, "`export =`".to_string()),
            ]
        );
    }

    #[test]
    fn type_only_import_equals_and_syntax_errors() {
        assert!(constructs("import type T = require('x');\n").is_empty());
        assert!(non_erasable(Path::new("/h.ts"), "enum {").is_err());
    }
}
