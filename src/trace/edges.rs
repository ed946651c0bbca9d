//! Edge collection with SWC on the original AST (TypeScript before stripping, so type-only
//! imports can be told apart from value imports).

use std::cell::Cell;
use std::path::{Path, PathBuf};

use swc_core::atoms::Atom;
use swc_core::common::{sync::Lrc, FileName, SourceMap, Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax, TsSyntax};

use crate::nesting::{Refused, MODULE_MAX_DEPTH};
use swc_core::ecma::visit::{Visit, VisitWith};

use super::eval::{prop_name, str_value, Binding, Evaluator, Known, Scope, Seg, V};
use super::fsx::ext;
use crate::layout::normalize;

/// What kind of request an edge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// `import`, `export … from`, `import()`, `module.register`: ESM resolution.
    Import,
    /// `require`, `require.resolve`, `module.require`, `createRequire(…)()`: CJS resolution.
    Require,
    /// A file read at run time (`fs.*`).
    Asset,
    /// `new URL('./x', import.meta.url)`: a module or an asset depending on the extension.
    UrlRef,
}

/// A partially static path: absolute pattern segments plus the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    pub segs: Vec<Seg>,
    pub written: String,
}

impl Glob {
    /// The deepest directory that holds every match.
    pub(crate) fn walk_root(&self) -> PathBuf {
        let prefix = match self.segs.first() {
            Some(Seg::Lit(l)) => l.as_str(),
            _ => "",
        };
        let dir = match prefix.rfind('/') {
            Some(0) => "/",
            Some(i) => &prefix[..i],
            None => "",
        };
        super::eval::unslash(dir)
    }

    pub(crate) fn display(&self) -> String {
        self.written.clone()
    }

    /// Whether `path` matches. A wildcard right after `/` may span directories (`**/*`), any
    /// other only a part of one name. For module requests, CJS probing is mirrored: when the
    /// pattern does not end with a wildcard, `.js/.json/.node/...` (or `/index.js`…) may follow.
    pub(crate) fn matches(&self, path: &Path, modules: bool) -> bool {
        if path.to_str().is_none() {
            return false;
        }
        let text = crate::platform::path_to_slash(path);
        let s = &*text;
        if match_segs(&self.segs, s, true) {
            return true;
        }
        if modules && matches!(self.segs.last(), Some(Seg::Lit(_))) {
            for e in [".js", ".json", ".node", ".mjs", ".cjs", ".ts"] {
                if let Some(stem) = s.strip_suffix(e) {
                    if match_segs(&self.segs, stem, true) {
                        return true;
                    }
                    if let Some(dir) = stem.strip_suffix("/index") {
                        if match_segs(&self.segs, dir, true) {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }
}

fn match_segs(segs: &[Seg], s: &str, after_slash: bool) -> bool {
    match segs.first() {
        None => s.is_empty(),
        Some(Seg::Lit(l)) => match s.strip_prefix(l.as_str()) {
            Some(rest) => match_segs(&segs[1..], rest, l.ends_with('/')),
            None => false,
        },
        Some(Seg::Wild) => {
            for (i, c) in s.char_indices() {
                if match_segs(&segs[1..], &s[i..], false) {
                    return true;
                }
                if c == '/' && !after_slash {
                    return false;
                }
            }
            match_segs(&segs[1..], "", false)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A specifier for the resolver.
    Spec(String),
    /// An absolute file-system path (file URLs, fs reads).
    Path(PathBuf),
    Glob(Glob),
    /// Not statically known: why.
    Dynamic(String),
    /// `bindings` / `node-gyp-build`: the package's `.node` files, from this directory.
    NativeDir(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub kind: EdgeKind,
    pub target: Target,
    /// Directory to resolve `Spec` from (the file's, or a `createRequire` base).
    pub base: PathBuf,
    pub line: u32,
    pub column: u32,
    pub specifier: String,
    /// Inside a `try` block or an `import().catch()`: a failure is probably handled.
    pub optional: bool,
    /// The import carries `with { type: 'json' }` (required by Node to import JSON from ESM).
    pub json_type: bool,
}

pub(crate) struct FileCtx<'a> {
    pub path: &'a Path,
    pub cwd: Option<&'a Path>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Parsed {
    pub edges: Vec<Edge>,
    /// line, column, message of a fatal parse error.
    pub parse_error: Option<(u32, u32, String)>,
    /// `import`/`export` declarations or `import.meta` were seen.
    pub module_syntax: bool,
    pub module_syntax_at: (u32, u32),
    /// The result depends on the file's text alone, apart from every edge's `base` being the
    /// file's directory: no value was computed from the file's path or the cwd, and every edge
    /// is a relative or bare specifier (or dynamic). The same text elsewhere (a copy in the
    /// standalone tree) has the same edges with its own directory as `base`.
    pub location_free: bool,
}

impl Parsed {
    /// These edges for a file with the same text in `dir` (only for `location_free` results).
    pub(crate) fn moved_to(&self, dir: &Path) -> Parsed {
        let mut moved = self.clone();
        for edge in &mut moved.edges {
            edge.base = dir.to_path_buf();
        }
        moved
    }
}

/// Nesting depth beyond which the visitor stops descending (deeply nested generated code).
const MAX_NESTING: usize = 2_000;
/// `const x = <init>` bindings with an init longer than this (bytes) are not kept for evaluation:
/// specifier-building expressions are short, and cloning big function bodies would be waste.
const MAX_INIT_LEN: u32 = 1_024;

/// Parse `source` (the content of `ctx.path`) and collect its edges. TypeScript is parsed under
/// the same deadline as next.config ([`crate::nesting::within`]): SWC's TypeScript parser can
/// spin on hostile input, and a traced handler must not hang a `postbuild` either.
pub(crate) fn collect(ctx: &FileCtx, source: &str) -> Parsed {
    if !matches!(ext(ctx.path).as_str(), "ts" | "mts" | "cts" | "tsx") {
        return collect_now(ctx, source);
    }
    let deadline = crate::nesting::PARSE_DEADLINE;
    let (path, cwd, text) = (
        ctx.path.to_path_buf(),
        ctx.cwd.map(Path::to_path_buf),
        source.to_string(),
    );
    crate::nesting::within(deadline, move || {
        let ctx = FileCtx {
            path: &path,
            cwd: cwd.as_deref(),
        };
        collect_now(&ctx, &text)
    })
    .unwrap_or_else(|| Parsed {
        parse_error: Some((
            1,
            1,
            format!(
                "the parser did not finish within {} s: not analysed",
                deadline.as_secs()
            ),
        )),
        ..Parsed::default()
    })
}

/// The syntaxes a file is parsed with, tried in order, by its extension: TypeScript for
/// `.ts`/`.mts`/`.cts` (with JSX for `.tsx`), JSX for `.jsx`, and for JavaScript plain first (no
/// JSX ambiguity), then JSX for first-party files that use it.
pub(crate) fn syntaxes(path: &Path) -> Vec<Syntax> {
    let es = |jsx: bool| {
        Syntax::Es(EsSyntax {
            jsx,
            decorators: true,
            import_attributes: true,
            allow_return_outside_function: true,
            explicit_resource_management: true,
            ..Default::default()
        })
    };
    let ts = |tsx: bool| {
        Syntax::Typescript(TsSyntax {
            tsx,
            decorators: true,
            ..Default::default()
        })
    };
    match ext(path).as_str() {
        "ts" | "mts" | "cts" => vec![ts(false)],
        "tsx" => vec![ts(true)],
        "jsx" => vec![es(true)],
        _ => vec![es(false), es(true)],
    }
}

fn collect_now(ctx: &FileCtx, source: &str) -> Parsed {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        FileName::Real(ctx.path.to_path_buf()).into(),
        source.to_string(),
    );
    let lines = LineIndex::new(source, fm.start_pos.0);
    let syntaxes = syntaxes(ctx.path);
    let mut first_error = None;
    let mut program = None;
    for syntax in syntaxes {
        let error = match crate::nesting::parse(&fm, syntax, MODULE_MAX_DEPTH) {
            Ok((p, _)) => {
                program = Some(p);
                break;
            }
            Err(Refused::Syntax(err)) => {
                let (line, col) = lines.at(err.span().lo.0);
                (line, col, err.kind().msg().to_string())
            }
            // The same for every syntax: no use trying the next one.
            Err(Refused::TooDeep { at }) => {
                let (line, col) = lines.at(fm.start_pos.0 + at as u32);
                first_error = Some((
                    line,
                    col,
                    format!("nesting deeper than {MODULE_MAX_DEPTH} levels: not analysed"),
                ));
                break;
            }
            Err(Refused::ParserFailed) => (1, 1, "the parser failed on this file".into()),
        };
        first_error.get_or_insert(error);
    }
    let Some(program) = program else {
        return Parsed {
            parse_error: first_error,
            ..Parsed::default()
        };
    };
    let dir = ctx
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let mut c = Collector {
        file: ctx.path,
        dir: &dir,
        cwd: ctx.cwd,
        lines: &lines,
        scopes: Vec::new(),
        nesting: 0,
        try_depth: 0,
        json_attr: false,
        located: Cell::new(false),
        out: Parsed::default(),
    };
    program.visit_with(&mut c);
    let located = c.located.get();
    let mut out = c.out;
    out.location_free = !located
        && out.edges.iter().all(|e| {
            e.base == dir
                && match &e.target {
                    Target::Spec(s) => !Path::new(s).has_root() && !s.starts_with("file:"),
                    Target::Dynamic(_) => true,
                    Target::Path(_) | Target::Glob(_) | Target::NativeDir(_) => false,
                }
        });
    out
}

/// Byte offset → 1-based line and column (in characters).
struct LineIndex<'s> {
    source: &'s str,
    start: u32,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    fn new(source: &'s str, start: u32) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            source,
            start,
            starts,
        }
    }

    fn at(&self, pos: u32) -> (u32, u32) {
        let off = (pos.saturating_sub(self.start) as usize).min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= off).max(1);
        let line_start = self.starts[line - 1];
        let col = self
            .source
            .get(line_start..off)
            .map(|s| s.chars().count())
            .unwrap_or(off - line_start);
        (line as u32, col as u32 + 1)
    }
}

struct Collector<'a> {
    file: &'a Path,
    dir: &'a Path,
    cwd: Option<&'a Path>,
    lines: &'a LineIndex<'a>,
    scopes: Vec<Scope>,
    nesting: usize,
    try_depth: usize,
    /// Set while pushing the edges of an import that has `with { type: 'json' }`.
    json_attr: bool,
    /// A value was computed from this file's location or the cwd (see `Parsed::location_free`).
    located: Cell<bool>,
    out: Parsed,
}

fn is_fs_read(name: &str) -> bool {
    matches!(
        name,
        "readFile"
            | "readFileSync"
            | "readdir"
            | "readdirSync"
            | "exists"
            | "existsSync"
            | "createReadStream"
            | "stat"
            | "statSync"
            | "lstat"
            | "lstatSync"
            | "open"
            | "openSync"
            | "access"
            | "accessSync"
            | "opendir"
            | "opendirSync"
            | "readJson"
            | "readJsonSync"
            | "readJSON"
            | "readJSONSync"
            | "pathExists"
            | "pathExistsSync"
            | "copy"
            | "copySync"
            | "cp"
            | "cpSync"
    )
}

/// `{ type: 'json' }` import attributes.
fn json_type(with: Option<&ObjectLit>) -> bool {
    with.is_some_and(|o| {
        o.props.iter().any(|p| match p {
            PropOrSpread::Prop(p) => match &**p {
                Prop::KeyValue(kv) => {
                    prop_name(&kv.key).as_deref() == Some("type")
                        && matches!(&*kv.value, Expr::Lit(Lit::Str(s)) if str_value(s) == "json")
                }
                _ => false,
            },
            _ => false,
        })
    })
}

/// Every name a pattern binds.
fn pat_names(p: &Pat, out: &mut Vec<Atom>) {
    match p {
        Pat::Ident(b) => out.push(b.id.sym.clone()),
        Pat::Array(a) => a.elems.iter().flatten().for_each(|e| pat_names(e, out)),
        Pat::Rest(r) => pat_names(&r.arg, out),
        Pat::Assign(a) => pat_names(&a.left, out),
        Pat::Object(o) => {
            for prop in &o.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => pat_names(&kv.value, out),
                    ObjectPatProp::Assign(a) => out.push(a.key.id.sym.clone()),
                    ObjectPatProp::Rest(r) => pat_names(&r.arg, out),
                }
            }
        }
        _ => {}
    }
}

fn bind_locals(p: &Pat, scope: &mut Scope) {
    let mut names = Vec::new();
    pat_names(p, &mut names);
    for n in names {
        scope.insert(n, Binding::Local);
    }
}

/// `const x = init` / `const { a, b: c } = init`: keep what the evaluator can use.
fn bind_declarator(d: &VarDeclarator, scope: &mut Scope) {
    let init = d.init.as_deref().filter(|e| {
        let span = e.span();
        span.hi.0.saturating_sub(span.lo.0) <= MAX_INIT_LEN
            && !matches!(
                e,
                Expr::Fn(_) | Expr::Arrow(_) | Expr::Class(_) | Expr::Object(_)
            )
    });
    match (&d.name, init) {
        (Pat::Ident(b), Some(init)) => {
            scope.insert(b.id.sym.clone(), Binding::Init(Box::new(init.clone())));
        }
        (Pat::Object(o), Some(init)) => {
            for prop in &o.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => match (prop_name(&kv.key), &*kv.value) {
                        (Some(k), Pat::Ident(b)) => {
                            scope.insert(
                                b.id.sym.clone(),
                                Binding::Member(Box::new(init.clone()), k),
                            );
                        }
                        _ => bind_locals(&kv.value, scope),
                    },
                    ObjectPatProp::Assign(a) if a.value.is_none() => {
                        scope.insert(
                            a.key.id.sym.clone(),
                            Binding::Member(Box::new(init.clone()), a.key.id.sym.to_string()),
                        );
                    }
                    ObjectPatProp::Assign(a) => {
                        scope.insert(a.key.id.sym.clone(), Binding::Local);
                    }
                    ObjectPatProp::Rest(r) => bind_locals(&r.arg, scope),
                }
            }
        }
        (p, _) => bind_locals(p, scope),
    }
}

fn bind_decl(d: &Decl, scope: &mut Scope, block_level: bool) {
    match d {
        // In a block, only `let`/`const` belong to the block; `var` is hoisted.
        Decl::Var(v) if !block_level || v.kind != VarDeclKind::Var => {
            v.decls.iter().for_each(|d| bind_declarator(d, scope));
        }
        Decl::Fn(f) => {
            scope.insert(f.ident.sym.clone(), Binding::Local);
        }
        Decl::Class(c) => {
            scope.insert(c.ident.sym.clone(), Binding::Local);
        }
        Decl::Using(u) => u.decls.iter().for_each(|d| bind_locals(&d.name, scope)),
        Decl::TsEnum(e) => {
            scope.insert(e.id.sym.clone(), Binding::Local);
        }
        _ => {}
    }
}

/// `var` declarations anywhere in a function body (not in nested functions): they are
/// function-scoped.
struct VarHoist<'s> {
    scope: &'s mut Scope,
}

impl Visit for VarHoist<'_> {
    fn visit_var_decl(&mut self, v: &VarDecl) {
        if v.kind == VarDeclKind::Var {
            v.decls.iter().for_each(|d| bind_declarator(d, self.scope));
        }
    }
    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    fn visit_class(&mut self, _: &Class) {}
    fn visit_expr(&mut self, _: &Expr) {}
}

fn function_scope(stmts: &[Stmt]) -> Scope {
    let mut scope = Scope::default();
    for s in stmts {
        s.visit_with(&mut VarHoist { scope: &mut scope });
        if let Stmt::Decl(d) = s {
            bind_decl(d, &mut scope, false);
        }
    }
    scope
}

fn block_scope(stmts: &[Stmt]) -> Scope {
    let mut scope = Scope::default();
    for s in stmts {
        if let Stmt::Decl(d) = s {
            bind_decl(d, &mut scope, true);
        }
    }
    scope
}

fn module_scope(items: &[ModuleItem]) -> Scope {
    let mut scope = Scope::default();
    for item in items {
        match item {
            ModuleItem::Stmt(s) => {
                s.visit_with(&mut VarHoist { scope: &mut scope });
                if let Stmt::Decl(d) = s {
                    bind_decl(d, &mut scope, false);
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::Import(i)) if !i.type_only => {
                let src = str_value(&i.src);
                for s in &i.specifiers {
                    match s {
                        ImportSpecifier::Named(n) if !n.is_type_only => {
                            let imported = match &n.imported {
                                Some(ModuleExportName::Ident(id)) => id.sym.to_string(),
                                Some(ModuleExportName::Str(s)) => str_value(s),
                                None => n.local.sym.to_string(),
                            };
                            scope.insert(
                                n.local.sym.clone(),
                                Binding::Import(src.clone(), Some(imported)),
                            );
                        }
                        ImportSpecifier::Named(_) => {}
                        ImportSpecifier::Default(d) => {
                            scope.insert(d.local.sym.clone(), Binding::Import(src.clone(), None));
                        }
                        ImportSpecifier::Namespace(n) => {
                            scope.insert(n.local.sym.clone(), Binding::Import(src.clone(), None));
                        }
                    }
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
                bind_decl(&e.decl, &mut scope, false)
            }
            // `import fs = require('fs')` binds like an import of the module.
            ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(i)) => {
                let binding = match &i.module_ref {
                    TsModuleRef::TsExternalModuleRef(r) => {
                        Binding::Import(str_value(&r.expr), None)
                    }
                    _ => Binding::Local,
                };
                scope.insert(i.id.sym.clone(), binding);
            }
            _ => {}
        }
    }
    scope
}

impl<'a> Collector<'a> {
    fn eval(&self) -> Evaluator<'_> {
        Evaluator::new(&self.scopes, self.file, self.dir, self.cwd, &self.located)
    }

    fn at(&self, span: Span) -> (u32, u32) {
        self.lines.at(span.lo.0)
    }

    fn note_module_syntax(&mut self, span: Span) {
        if !self.out.module_syntax {
            self.out.module_syntax = true;
            self.out.module_syntax_at = self.at(span);
        }
    }

    fn push(&mut self, kind: EdgeKind, target: Target, base: &Path, span: Span, specifier: String) {
        let (line, column) = self.at(span);
        self.out.edges.push(Edge {
            kind,
            target,
            base: base.to_path_buf(),
            line,
            column,
            specifier,
            optional: self.try_depth > 0,
            json_type: self.json_attr,
        });
    }

    fn static_edge(&mut self, kind: EdgeKind, src: &Str) {
        let spec = str_value(src);
        self.push(kind, Target::Spec(spec.clone()), self.dir, src.span, spec);
    }

    fn import_edge(&mut self, src: &Str, with: Option<&ObjectLit>) {
        self.json_attr = json_type(with);
        self.static_edge(EdgeKind::Import, src);
        self.json_attr = false;
    }

    /// An edge whose argument is an expression: evaluate it, one edge per possible value.
    fn expr_edge(
        &mut self,
        kind: EdgeKind,
        arg: Option<&ExprOrSpread>,
        base: Option<PathBuf>,
        call: Span,
    ) {
        let Some(arg) = arg else { return };
        let base = base.unwrap_or_else(|| self.dir.to_path_buf());
        let span = arg.expr.span();
        if arg.spread.is_some() {
            if kind != EdgeKind::Asset {
                self.push(
                    kind,
                    Target::Dynamic("a spread argument".into()),
                    &base,
                    span,
                    "<dynamic>".into(),
                );
            }
            return;
        }
        let values = self.eval().eval(&arg.expr);
        let several = values.len() > 1;
        let span = if span.lo.0 == 0 { call } else { span };
        for v in values {
            self.value_edge(kind, v, &base, span, several);
        }
    }

    fn value_edge(&mut self, kind: EdgeKind, v: V, base: &Path, span: Span, several: bool) {
        let module = kind != EdgeKind::Asset;
        match v {
            V::Str(s) if s.is_empty() => {}
            V::Str(s) => {
                if !module {
                    let p = if s.starts_with('/') {
                        Some(super::eval::unslash(&s))
                    } else {
                        self.located.set(true);
                        self.cwd.map(|c| c.join(&s))
                    };
                    // A cwd-relative read with no known cwd: nothing we can name.
                    if let Some(p) = p {
                        self.push(kind, Target::Path(normalize(&p)), base, span, s);
                    }
                } else if let Some(p) = crate::platform::path_from_file_url(&s) {
                    self.push(kind, Target::Path(normalize(&p)), base, span, s);
                } else {
                    // An absolute path computed by the evaluator (`path.join(__dirname, …)`) is
                    // slash text: the resolver gets it as this OS writes it.
                    let spec = if s.starts_with('/') {
                        super::eval::unslash(&s).to_string_lossy().into_owned()
                    } else {
                        s.clone()
                    };
                    self.push(kind, Target::Spec(spec), base, span, s);
                }
            }
            V::Url(inner) => match *inner {
                V::Str(p) => {
                    let written = format!("file://{p}");
                    self.push(
                        kind,
                        Target::Path(normalize(&super::eval::unslash(&p))),
                        base,
                        span,
                        written,
                    );
                }
                V::Pat(segs) => self.glob_edge(kind, segs, base, span),
                other => self.value_edge(kind, other, base, span, several),
            },
            V::Pat(segs) => self.glob_edge(kind, segs, base, span),
            V::Unknown(why) if module => {
                let detail = if several {
                    format!("{why} (its other values are traced)")
                } else {
                    why
                };
                self.push(
                    kind,
                    Target::Dynamic(detail),
                    base,
                    span,
                    "<dynamic>".into(),
                );
            }
            V::Obj(_) if module => {
                self.push(
                    kind,
                    Target::Dynamic("not a string".into()),
                    base,
                    span,
                    "<dynamic>".into(),
                );
            }
            _ => {}
        }
    }

    /// Whether `callee` can evaluate to a known function at all: its root must be a binding the
    /// evaluator can follow, or a global it knows. Most calls (`console.log`, `this.x()`,
    /// `obj.method()` on locals) are skipped without evaluating, which keeps big files cheap.
    fn may_be_known(&self, callee: &Expr) -> bool {
        let mut e = callee;
        for _ in 0..64 {
            e = match e {
                Expr::Member(m) => &m.obj,
                Expr::Call(c) => match &c.callee {
                    Callee::Expr(inner) => inner,
                    _ => return false,
                },
                Expr::Paren(p) => &p.expr,
                Expr::TsAs(x) => &x.expr,
                Expr::TsNonNull(x) => &x.expr,
                Expr::MetaProp(_) => return true,
                Expr::Ident(i) => {
                    return match self.scopes.iter().rev().find_map(|s| s.get(&i.sym)) {
                        Some(Binding::Local) => false,
                        Some(_) => true,
                        None => matches!(&*i.sym, "require" | "module" | "process" | "URL"),
                    }
                }
                _ => return false,
            };
        }
        false
    }

    /// `{ target }`, `{ targets: [{ target }] }`, `{ pipeline: [...] }` of a pino transport (or,
    /// for the `pino({ transport })` factory, of its `transport` option): require edges.
    fn pino_targets(&mut self, arg: Option<&ExprOrSpread>, factory: bool) {
        fn prop<'e>(o: &'e ObjectLit, key: &str) -> Option<&'e Expr> {
            o.props.iter().find_map(|p| match p {
                PropOrSpread::Prop(p) => match &**p {
                    Prop::KeyValue(kv) if prop_name(&kv.key).as_deref() == Some(key) => {
                        Some(&*kv.value)
                    }
                    _ => None,
                },
                _ => None,
            })
        }
        let Some(Expr::Object(o)) = arg.map(|a| &*a.expr) else {
            return;
        };
        let mut o: &ObjectLit = o;
        if factory {
            match prop(o, "transport") {
                Some(Expr::Object(t)) => o = t,
                _ => return,
            }
        }
        let mut objects = vec![o];
        for key in ["targets", "pipeline"] {
            if let Some(Expr::Array(a)) = prop(o, key) {
                objects.extend(a.elems.iter().flatten().filter_map(|e| match &*e.expr {
                    Expr::Object(t) => Some(t),
                    _ => None,
                }));
            }
        }
        for t in objects {
            if let Some(target) = prop(t, "target") {
                let arg = ExprOrSpread {
                    spread: None,
                    expr: Box::new(target.clone()),
                };
                self.expr_edge(EdgeKind::Require, Some(&arg), None, target.span());
            }
        }
    }

    /// The statically known absolute directories of a `{ paths: [...] }` option.
    fn resolve_paths(&self, opts: Option<&ExprOrSpread>) -> Option<Vec<PathBuf>> {
        let Expr::Object(o) = &*opts?.expr else {
            return None;
        };
        let paths = o.props.iter().find_map(|p| match p {
            PropOrSpread::Prop(p) => match &**p {
                Prop::KeyValue(kv) if prop_name(&kv.key).as_deref() == Some("paths") => {
                    Some(&kv.value)
                }
                _ => None,
            },
            _ => None,
        })?;
        let Expr::Array(a) = &**paths else {
            return None;
        };
        let mut dirs = Vec::new();
        for e in a.elems.iter().flatten() {
            for v in self.eval().eval(&e.expr) {
                match v {
                    V::Str(s) if s.starts_with('/') => {
                        dirs.push(normalize(&super::eval::unslash(&s)))
                    }
                    V::Str(s) => {
                        self.located.set(true);
                        dirs.extend(self.cwd.map(|c| normalize(&c.join(&s))));
                    }
                    _ => {}
                }
            }
        }
        (!dirs.is_empty()).then_some(dirs)
    }

    fn glob_edge(&mut self, kind: EdgeKind, segs: Vec<Seg>, base: &Path, span: Span) {
        let written: String = segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.as_str(),
                Seg::Wild => "*",
            })
            .collect();
        let first = match segs.first() {
            Some(Seg::Lit(l)) => l.clone(),
            _ => String::new(),
        };
        let absolute = if first.starts_with('/') {
            Some(segs)
        } else if first.starts_with("./") || first.starts_with("../") {
            let mut all = vec![Seg::Lit(format!("{}/", super::eval::slash(base)))];
            all.extend(segs);
            match super::eval::normalize_pattern(super::eval::pattern(all)) {
                V::Pat(p) => Some(p),
                _ => None,
            }
        } else {
            None
        };
        match absolute {
            Some(segs) => self.push(
                kind,
                Target::Glob(Glob {
                    segs,
                    written: written.clone(),
                }),
                base,
                span,
                written,
            ),
            None if kind != EdgeKind::Asset => {
                let why = if first.is_empty() {
                    "not statically known".to_string()
                } else {
                    format!("a package name built at run time (`{written}`)")
                };
                self.push(kind, Target::Dynamic(why), base, span, written);
            }
            None => {}
        }
    }
}

impl Visit for Collector<'_> {
    fn visit_module(&mut self, m: &Module) {
        self.scopes.push(module_scope(&m.body));
        m.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_script(&mut self, s: &Script) {
        self.scopes.push(function_scope(&s.body));
        s.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_function(&mut self, f: &Function) {
        let mut scope = f
            .body
            .as_ref()
            .map(|b| function_scope(&b.stmts))
            .unwrap_or_default();
        for p in &f.params {
            bind_locals(&p.pat, &mut scope);
        }
        scope.insert("arguments".into(), Binding::Local);
        self.scopes.push(scope);
        f.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_constructor(&mut self, c: &Constructor) {
        let mut scope = c
            .body
            .as_ref()
            .map(|b| function_scope(&b.stmts))
            .unwrap_or_default();
        for p in &c.params {
            match p {
                ParamOrTsParamProp::Param(p) => bind_locals(&p.pat, &mut scope),
                ParamOrTsParamProp::TsParamProp(tp) => match &tp.param {
                    TsParamPropParam::Ident(b) => {
                        scope.insert(b.id.sym.clone(), Binding::Local);
                    }
                    TsParamPropParam::Assign(a) => bind_locals(&a.left, &mut scope),
                },
            }
        }
        self.scopes.push(scope);
        c.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
        let mut scope = match &*a.body {
            ArrowFunctionBody::FunctionBody(b) => function_scope(&b.stmts),
            _ => Scope::default(),
        };
        for p in &a.params {
            bind_locals(p, &mut scope);
        }
        self.scopes.push(scope);
        a.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_block_stmt(&mut self, b: &BlockStmt) {
        self.scopes.push(block_scope(&b.stmts));
        b.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_catch_clause(&mut self, c: &CatchClause) {
        let mut scope = Scope::default();
        if let Some(p) = &c.param {
            bind_locals(p, &mut scope);
        }
        self.scopes.push(scope);
        c.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_for_stmt(&mut self, f: &ForStmt) {
        let mut scope = Scope::default();
        if let Some(VarDeclOrExpr::VarDecl(v)) = &f.init {
            if v.kind != VarDeclKind::Var {
                v.decls
                    .iter()
                    .for_each(|d| bind_locals(&d.name, &mut scope));
            }
        }
        self.scopes.push(scope);
        f.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        let mut scope = Scope::default();
        if let ForHead::VarDecl(v) = &f.left {
            v.decls
                .iter()
                .for_each(|d| bind_locals(&d.name, &mut scope));
        }
        self.scopes.push(scope);
        f.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_for_in_stmt(&mut self, f: &ForInStmt) {
        let mut scope = Scope::default();
        if let ForHead::VarDecl(v) = &f.left {
            v.decls
                .iter()
                .for_each(|d| bind_locals(&d.name, &mut scope));
        }
        self.scopes.push(scope);
        f.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_class_decl(&mut self, c: &ClassDecl) {
        c.class.visit_with(self);
    }

    fn visit_expr(&mut self, e: &Expr) {
        if self.nesting >= MAX_NESTING {
            return;
        }
        self.nesting += 1;
        e.visit_children_with(self);
        self.nesting -= 1;
    }

    fn visit_module_decl(&mut self, d: &ModuleDecl) {
        self.note_module_syntax(d.span());
        match d {
            // `import type …` / `export type … from` are erased. `import { type A } from 'x'` is
            // NOT: Node's type stripping keeps it as `import {} from 'x'` (the
            // verbatimModuleSyntax rule), which still loads `x`, so it stays an edge.
            ModuleDecl::Import(i) if !i.type_only => {
                self.import_edge(&i.src, i.with.as_deref());
            }
            ModuleDecl::ExportNamed(NamedExport {
                src: Some(src),
                type_only: false,
                with,
                ..
            }) => {
                self.import_edge(src, with.as_deref());
            }
            ModuleDecl::ExportAll(a) if !a.type_only => {
                self.import_edge(&a.src, a.with.as_deref());
            }
            // `import x = require('y')`: a CommonJS require (not erasable: Node's type stripping
            // rejects it, but the dependency is real once compiled).
            ModuleDecl::TsImportEquals(i) if !i.is_type_only => {
                if let TsModuleRef::TsExternalModuleRef(r) = &i.module_ref {
                    self.static_edge(EdgeKind::Require, &r.expr);
                }
            }
            _ => {}
        }
        d.visit_children_with(self);
    }

    fn visit_meta_prop_expr(&mut self, m: &MetaPropExpr) {
        if m.kind == MetaPropKind::ImportMeta {
            self.note_module_syntax(m.span);
        }
    }

    fn visit_try_stmt(&mut self, t: &TryStmt) {
        self.try_depth += 1;
        t.block.visit_with(self);
        self.try_depth -= 1;
        t.handler.visit_with(self);
        t.finalizer.visit_with(self);
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        // `import('x').catch(…)`: the import inside is handled when it fails.
        let caught = matches!(&c.callee, Callee::Expr(e) if matches!(&**e,
            Expr::Member(m) if matches!(&m.prop, MemberProp::Ident(p) if p.sym == "catch")
                && matches!(&*m.obj, Expr::Call(inner) if matches!(inner.callee, Callee::Import(_)))));
        if caught {
            self.try_depth += 1;
            c.visit_children_with(self);
            self.try_depth -= 1;
            return;
        }
        match &c.callee {
            Callee::Import(_) => {
                // import(x, { with: { type: 'json' } })
                self.json_attr = match c.args.get(1).map(|a| &*a.expr) {
                    Some(Expr::Object(o)) => o.props.iter().any(|p| match p {
                        PropOrSpread::Prop(p) => match &**p {
                            Prop::KeyValue(kv) => {
                                matches!(prop_name(&kv.key).as_deref(), Some("with" | "assert"))
                                    && matches!(&*kv.value, Expr::Object(w) if json_type(Some(w)))
                            }
                            _ => false,
                        },
                        _ => false,
                    }),
                    _ => false,
                };
                self.expr_edge(EdgeKind::Import, c.args.first(), None, c.span);
                self.json_attr = false;
            }
            Callee::Expr(callee) => {
                let f = if self.may_be_known(callee) {
                    self.eval().eval_one(callee)
                } else {
                    V::Unknown(String::new())
                };
                match f {
                    V::Obj(Known::Require(base)) => {
                        self.expr_edge(EdgeKind::Require, c.args.first(), base, c.span)
                    }
                    V::Obj(Known::RequireResolve(base)) => {
                        // `require.resolve(x, { paths: [dir, …] })`: resolved from each dir.
                        match self.resolve_paths(c.args.get(1)) {
                            Some(dirs) => {
                                for dir in dirs {
                                    self.expr_edge(
                                        EdgeKind::Require,
                                        c.args.first(),
                                        Some(dir),
                                        c.span,
                                    )
                                }
                            }
                            None => self.expr_edge(EdgeKind::Require, c.args.first(), base, c.span),
                        }
                    }
                    // pino loads transport targets by name in a worker (nft special case).
                    V::Obj(Known::PinoTransport) => self.pino_targets(c.args.first(), false),
                    V::Obj(Known::Pino) => self.pino_targets(c.args.first(), true),
                    V::Obj(Known::ImportMetaResolve) => {
                        self.expr_edge(EdgeKind::Import, c.args.first(), None, c.span)
                    }
                    V::Obj(Known::FsFn(name)) if is_fs_read(&name) => {
                        self.expr_edge(EdgeKind::Asset, c.args.first(), None, c.span)
                    }
                    V::Obj(Known::ModuleRegister) => {
                        // module.register(spec, parentURL): resolved relative to parentURL.
                        let base =
                            c.args
                                .get(1)
                                .and_then(|a| match self.eval().eval_one(&a.expr) {
                                    V::Url(inner) => match *inner {
                                        V::Str(p) => {
                                            super::eval::unslash(&p).parent().map(Path::to_path_buf)
                                        }
                                        _ => None,
                                    },
                                    _ => None,
                                });
                        self.expr_edge(EdgeKind::Import, c.args.first(), base, c.span)
                    }
                    V::Obj(Known::Bindings) => {
                        let dir = self.dir.to_path_buf();
                        self.push(
                            EdgeKind::Require,
                            Target::NativeDir(dir.clone()),
                            &dir,
                            c.span,
                            "bindings".into(),
                        );
                    }
                    V::Obj(Known::NodeGypBuild) => {
                        let dir = match c.args.first().map(|a| self.eval().eval_one(&a.expr)) {
                            Some(V::Str(s)) if s.starts_with('/') => super::eval::unslash(&s),
                            _ => self.dir.to_path_buf(),
                        };
                        let base = self.dir.to_path_buf();
                        self.push(
                            EdgeKind::Require,
                            Target::NativeDir(dir),
                            &base,
                            c.span,
                            "node-gyp-build".into(),
                        );
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        c.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, n: &NewExpr) {
        let ctor = if self.may_be_known(&n.callee) {
            self.eval().eval_one(&n.callee)
        } else {
            V::Unknown(String::new())
        };
        if let V::Obj(Known::WorkerCtor) = ctor {
            if let Some(arg) = n.args.as_ref().and_then(|a| a.first()) {
                let span = arg.expr.span();
                let dir = self.dir.to_path_buf();
                for v in self.eval().eval(&arg.expr) {
                    match v {
                        // A plain relative string is relative to the run-time cwd, not to this
                        // file (Node's rule for workers): not something we can name.
                        V::Str(s) if !s.starts_with('/') && !s.starts_with("file:") => {}
                        V::Str(s) => {
                            let p = crate::platform::path_from_file_url(&s)
                                .unwrap_or_else(|| super::eval::unslash(&s));
                            self.push(EdgeKind::Import, Target::Path(normalize(&p)), &dir, span, s);
                        }
                        other => self.value_edge(EdgeKind::Import, other, &dir, span, false),
                    }
                }
            }
        }
        if let V::Obj(Known::UrlCtor) = ctor {
            if n.args.as_ref().is_some_and(|a| a.len() >= 2) {
                let values = self.eval().eval(&Expr::New(n.clone()));
                let span = n
                    .args
                    .as_ref()
                    .and_then(|a| a.first())
                    .map(|a| a.expr.span())
                    .unwrap_or(n.span);
                let dir = self.dir.to_path_buf();
                for v in values {
                    if let V::Url(_) = v {
                        self.value_edge(EdgeKind::UrlRef, v, &dir, span, false);
                    }
                }
            }
        }
        n.visit_children_with(self);
    }
}
