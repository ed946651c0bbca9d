//! The statically known shape of a handler module's default export, for the interface check.
//!
//! Next unwraps the module twice (`m.default || m`, then `interopDefault`), so the handler is
//! `module.exports`, `exports.default` or `export default`. Only shapes visible in the source
//! (a class, an object literal, `new` of a local class) are judged; anything built at run time
//! (a library factory) is `Unknown` and reported as not checkable, never as a mismatch.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use swc_core::common::{sync::Lrc, FileName, SourceMap};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax, TsSyntax};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleShape {
    /// A class: its own (non-static) methods; `extends` when a superclass may add more.
    Class {
        methods: BTreeSet<String>,
        extends: bool,
    },
    /// An object (a literal, or an instance of a local class): its methods; `complete` when
    /// nothing (spread, computed key, superclass) may add members we cannot see.
    Object {
        methods: BTreeSet<String>,
        complete: bool,
    },
    /// No default export at all.
    NoDefault,
    /// Built at run time; the reason, for the note.
    Unknown(String),
}

pub fn module_shape(path: &Path, text: &str) -> ModuleShape {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(FileName::Real(path.to_path_buf()).into(), text.to_string());
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let syntax = if matches!(ext, "ts" | "mts" | "cts" | "tsx") {
        Syntax::Typescript(TsSyntax {
            tsx: ext == "tsx",
            ..Default::default()
        })
    } else {
        Syntax::Es(EsSyntax {
            jsx: ext == "jsx",
            ..Default::default()
        })
    };
    let Ok((program, _)) = crate::nesting::parse(&fm, syntax, crate::nesting::MODULE_MAX_DEPTH)
    else {
        return ModuleShape::Unknown("the file does not parse".into());
    };
    let body: Vec<ModuleItem> = match program {
        Program::Module(m) => m.body,
        Program::Script(s) => s.body.into_iter().map(ModuleItem::Stmt).collect(),
        #[allow(unreachable_patterns)]
        _ => return ModuleShape::Unknown("unknown program kind".into()),
    };
    let scope = Scope::collect(&body);
    match scope.default_export.clone() {
        Some(export) => scope.shape_of(&export, 0),
        None => ModuleShape::NoDefault,
    }
}

/// What the default export is.
#[derive(Clone)]
enum Export {
    Expr(Box<Expr>),
    Class(Box<Class>),
    Name(String),
}

#[derive(Default)]
struct Scope {
    classes: HashMap<String, Box<Class>>,
    values: HashMap<String, Box<Expr>>,
    default_export: Option<Export>,
}

impl Scope {
    fn collect(body: &[ModuleItem]) -> Self {
        let mut scope = Scope::default();
        for item in body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(decl)) => match &decl.decl {
                    DefaultDecl::Class(class) => {
                        scope.default_export = Some(Export::Class(class.class.clone()))
                    }
                    _ => {
                        scope.default_export =
                            Some(Export::Expr(Box::new(Expr::Invalid(Invalid {
                                span: decl.span,
                            }))))
                    }
                },
                ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(expr)) => {
                    scope.default_export = Some(Export::Expr(expr.expr.clone()));
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(decl)) => scope.declare(&decl.decl),
                ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(named)) if named.src.is_none() => {
                    for spec in &named.specifiers {
                        if let ExportSpecifier::Named(n) = spec {
                            let exported = n.exported.as_ref().map(module_export_name);
                            if exported.as_deref() == Some("default") {
                                scope.default_export =
                                    Some(Export::Name(module_export_name(&n.orig)));
                            }
                        }
                    }
                }
                ModuleItem::Stmt(Stmt::Decl(decl)) => scope.declare(decl),
                ModuleItem::Stmt(Stmt::Expr(ExprStmt { expr, .. })) => scope.cjs_export(expr),
                _ => {}
            }
        }
        scope
    }

    fn declare(&mut self, decl: &Decl) {
        match decl {
            Decl::Class(class) => {
                self.classes
                    .insert(class.ident.sym.to_string(), class.class.clone());
            }
            Decl::Var(var) => {
                for d in &var.decls {
                    if let (Pat::Ident(name), Some(init)) = (&d.name, &d.init) {
                        self.values.insert(name.id.sym.to_string(), init.clone());
                    }
                }
            }
            _ => {}
        }
    }

    /// `module.exports = X`, `exports.default = X`, `module.exports.default = X`.
    fn cjs_export(&mut self, expr: &Expr) {
        let Expr::Assign(assign) = expr else { return };
        if assign.op != AssignOp::Assign {
            return;
        }
        let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
            return;
        };
        let prop = member.prop.as_ident().map(|p| p.sym.to_string());
        let is_module_exports = |e: &Expr| {
            matches!(e, Expr::Member(m) if m.obj.as_ident().is_some_and(|o| &*o.sym == "module")
                && m.prop.as_ident().is_some_and(|p| &*p.sym == "exports"))
        };
        let obj_is = |name: &str| member.obj.as_ident().is_some_and(|o| &*o.sym == name);
        let target = match prop.as_deref() {
            Some("exports") if obj_is("module") => true,
            Some("default") if obj_is("exports") || is_module_exports(&member.obj) => true,
            _ => false,
        };
        if target {
            self.default_export = Some(Export::Expr(assign.right.clone()));
        }
    }

    fn shape_of(&self, export: &Export, depth: u32) -> ModuleShape {
        if depth > 16 {
            return ModuleShape::Unknown("too many indirections".into());
        }
        match export {
            Export::Class(class) => class_shape(class),
            Export::Name(name) => self.name_shape(name, depth),
            Export::Expr(expr) => self.expr_shape(expr, depth),
        }
    }

    fn name_shape(&self, name: &str, depth: u32) -> ModuleShape {
        if let Some(class) = self.classes.get(name) {
            return class_shape(class);
        }
        if let Some(value) = self.values.get(name) {
            return self.expr_shape(value, depth + 1);
        }
        ModuleShape::Unknown(format!("`{name}` is imported or assigned at run time"))
    }

    fn expr_shape(&self, expr: &Expr, depth: u32) -> ModuleShape {
        match expr {
            Expr::Paren(p) => self.expr_shape(&p.expr, depth),
            Expr::TsAs(e) => self.expr_shape(&e.expr, depth),
            Expr::TsSatisfies(e) => self.expr_shape(&e.expr, depth),
            Expr::TsConstAssertion(e) => self.expr_shape(&e.expr, depth),
            Expr::Class(class) => class_shape(&class.class),
            Expr::Ident(ident) => self.name_shape(&ident.sym, depth + 1),
            Expr::Object(object) => object_shape(object),
            Expr::New(new) => match &*new.callee {
                Expr::Ident(ident) => match self.name_shape(&ident.sym, depth + 1) {
                    ModuleShape::Class { methods, extends } => ModuleShape::Object {
                        methods,
                        complete: !extends,
                    },
                    other => other,
                },
                Expr::Class(class) => match class_shape(&class.class) {
                    ModuleShape::Class { methods, extends } => ModuleShape::Object {
                        methods,
                        complete: !extends,
                    },
                    other => other,
                },
                _ => ModuleShape::Unknown("an instance of a class from elsewhere".into()),
            },
            Expr::Call(_) | Expr::Await(_) => {
                ModuleShape::Unknown("the result of a function call".into())
            }
            Expr::Invalid(_) => ModuleShape::Unknown("a default-exported function".into()),
            _ => ModuleShape::Unknown("an expression evaluated at run time".into()),
        }
    }
}

fn module_export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(i) => i.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned(),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

fn prop_name(key: &PropName) -> Option<String> {
    match key {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
        _ => None,
    }
}

fn class_shape(class: &Class) -> ModuleShape {
    let mut methods = BTreeSet::new();
    for member in &class.body {
        match member {
            ClassMember::Method(m) if !m.is_static => {
                if let Some(name) = prop_name(&m.key) {
                    methods.insert(name);
                }
            }
            // `get = async () => …` as a class field is an instance member too.
            ClassMember::ClassProp(p) if !p.is_static && p.value.is_some() => {
                if let Some(name) = prop_name(&p.key) {
                    methods.insert(name);
                }
            }
            _ => {}
        }
    }
    ModuleShape::Class {
        methods,
        extends: class.super_class.is_some(),
    }
}

fn object_shape(object: &ObjectLit) -> ModuleShape {
    let mut methods = BTreeSet::new();
    let mut complete = true;
    for prop in &object.props {
        match prop {
            PropOrSpread::Spread(_) => complete = false,
            PropOrSpread::Prop(prop) => match &**prop {
                Prop::Shorthand(ident) => {
                    methods.insert(ident.sym.to_string());
                }
                Prop::KeyValue(kv) => match prop_name(&kv.key) {
                    Some(name) => {
                        methods.insert(name);
                    }
                    None => complete = false,
                },
                Prop::Method(m) => match prop_name(&m.key) {
                    Some(name) => {
                        methods.insert(name);
                    }
                    None => complete = false,
                },
                Prop::Getter(g) => {
                    if let Some(name) = prop_name(&g.key) {
                        methods.insert(name);
                    }
                }
                _ => {}
            },
            #[allow(unreachable_patterns)]
            _ => complete = false,
        }
    }
    ModuleShape::Object { methods, complete }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str, text: &str) -> ModuleShape {
        module_shape(Path::new(name), text)
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cjs_class() {
        let s = shape("h.js", "const ms = require('ms')\nmodule.exports = class CacheHandler { constructor(o) {} async get(k) {} async set(k, v) {} async revalidateTag(t) {} static x() {} }");
        assert_eq!(
            s,
            ModuleShape::Class {
                methods: set(&["get", "revalidateTag", "set"]),
                extends: false
            }
        );
    }

    #[test]
    fn cjs_class_through_binding() {
        let s = shape("h.js", "class H { get() {} }\nmodule.exports = H");
        assert_eq!(
            s,
            ModuleShape::Class {
                methods: set(&["get"]),
                extends: false
            }
        );
    }

    #[test]
    fn esm_object_literal_and_shorthand() {
        let s = shape("h.mjs", "async function get() {}\nconst handler = { get, async set() {}, refreshTags: async () => {}, ...more }\nexport default handler");
        assert_eq!(
            s,
            ModuleShape::Object {
                methods: set(&["get", "refreshTags", "set"]),
                complete: false
            }
        );
    }

    #[test]
    fn esm_default_class_and_instance() {
        assert!(matches!(
            shape("h.mjs", "export default class extends Base { get() {} }"),
            ModuleShape::Class { extends: true, .. }
        ));
        let s = shape(
            "h.mjs",
            "class H { get() {} set() {} }\nexport default new H()",
        );
        assert_eq!(
            s,
            ModuleShape::Object {
                methods: set(&["get", "set"]),
                complete: true
            }
        );
    }

    #[test]
    fn transpiled_default_and_ts() {
        let s = shape("h.js", "Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = { get() {} }");
        assert_eq!(
            s,
            ModuleShape::Object {
                methods: set(&["get"]),
                complete: true
            }
        );
        let s = shape("h.ts", "import type { X } from 'next'\nexport default { get(k: string): Promise<void> { return x } } satisfies X");
        assert_eq!(
            s,
            ModuleShape::Object {
                methods: set(&["get"]),
                complete: true
            }
        );
    }

    #[test]
    fn unknowns_and_named_only() {
        assert!(matches!(
            shape("h.js", "module.exports = createHandler({})"),
            ModuleShape::Unknown(_)
        ));
        assert!(matches!(
            shape("h.js", "const { x } = require('y')\nmodule.exports = x"),
            ModuleShape::Unknown(_)
        ));
        assert_eq!(
            shape("h.mjs", "export const get = () => {}"),
            ModuleShape::NoDefault
        );
        assert!(matches!(
            shape("h.js", "this is not js"),
            ModuleShape::Unknown(_)
        ));
    }
}
