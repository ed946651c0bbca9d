//! A small abstract interpreter for config files.
//!
//! Every expression evaluates to a list of alternatives, each with the condition under which it
//! is the value (`Alts`). Branches are never dropped unless their condition is contradictory,
//! so `process.env.X ? a : b` yields both `a` (X is set) and `b` (X is not set).
//! Objects live in a heap so that mutation (`config.cacheHandler = …`, `Object.assign`) works.
//! Every recursion and loop is bounded; anything not understood becomes `Val::Unknown`.
//!
//! # Where each construct is interpreted
//!
//! | Construct | File |
//! |---|---|
//! | values (`Val`, `Alt`), scopes, the object heap, budgets, [`analyze`]: the program's `import`/`export` items, `module.exports`, calling a function config for each phase | `eval/mod.rs` |
//! | literals, identifiers, templates, `+`, `typeof`/`void`, objects and spreads, arrays, arrow/function values, member access `a.b`/`a?.b`, calls and `new` (dispatch) | `eval/expr.rs` |
//! | calling a closure, config wrappers (`withX(config)`: which argument is the config) | `eval/calls.rs` |
//! | globals (`process`, `require`, `__dirname`, `URL`, `Object`, …), known modules (`path`, `url`, `module`, `process`, `next/constants`) and their members, `process.env.X`, `import.meta.*`, `require()`, `require.resolve`, `import.meta.resolve`, `createRequire`, `path.*`, `fileURLToPath`/`pathToFileURL`, `new URL`, `Object.assign`, `[].reduce`, `String`/`Boolean` | `eval/modules.rs` |
//! | truthiness and nullishness, `===`/`==`/`!==`/`!=`, `!`, `?:`, `&&`/`\|\|`/`??` (also `&&=`/`\|\|=`/`??=`), `if`, `switch`, phase comparisons (`phase === PHASE_PRODUCTION_BUILD`) | `eval/branches.rs` |
//! | statements (blocks, `return`, `throw`, `try`, loops as notes), declarations and hoisting, destructuring and defaults, assignment | `eval/stmt.rs` |
//! | reading the handler references out of the evaluated config objects: candidates, their conditions, the form of each value | `eval/handlers.rs` |
//!
//! `eval/branches.rs` turns JavaScript tests into conditions; the condition algebra itself
//! (`Cond`, `Atom`, negation normal form, `and`/`or`/`not`) is [`crate::cond`].

mod branches;
mod calls;
mod expr;
mod handlers;
mod modules;
mod stmt;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;

use crate::cond::{Atom, Cond};
use crate::{Analysis, EvalContext, ExportForm, HandlerKey, ModuleKind, SpanInfo};
use handlers::extract_refs;

const MAX_ALTS: usize = 32;
const MAX_STEPS: usize = 50_000;
const MAX_DEPTH: usize = 96;
const MAX_CALL_DEPTH: usize = 8;
const MAX_OBJECTS: usize = 5_000;
const MAX_STRING: usize = 4_096;

type ObjId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KnownModule {
    Path,
    Url,
    NodeModule,
    NextConstants,
    Process,
    ObjectGlobal,
}

#[derive(Clone)]
enum Builtin<'a> {
    RequireResolve { from_dir: String },
    ImportMetaResolve,
    PathJoin,
    PathResolve,
    PathDirname,
    PathBasename,
    PathNormalize,
    FileUrlToPath,
    PathToFileUrl,
    UrlCtor,
    UrlToString(String),
    CreateRequire,
    ProcessCwd,
    ObjectAssign,
    Boolean,
    StringFn,
    ArrayReduce(Rc<Vec<Alts<'a>>>),
}

struct Closure<'a> {
    params: Vec<&'a Pat>,
    body: Body<'a>,
    scope: ScopeRef<'a>,
}

enum Body<'a> {
    Expr(&'a Expr),
    Stmts(&'a [Stmt]),
}

#[derive(Clone)]
enum Val<'a> {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Obj(ObjId),
    Array(Rc<Vec<Alts<'a>>>),
    Func(Rc<Closure<'a>>),
    Builtin(Builtin<'a>),
    Module(KnownModule),
    /// `process.env`
    EnvObj,
    /// `process.env.X`
    Env(String),
    /// The `phase` argument of a function config.
    Phase,
    Resolved {
        import_meta: bool,
        spec: String,
        from_dir: String,
        file_url: bool,
    },
    /// A `URL` object.
    Url(String),
    /// `require` (or the result of `createRequire`).
    Require {
        from_dir: String,
    },
    ImportMeta,
    /// Something imported from a module the evaluator does not follow.
    Extern {
        name: String,
        from: String,
    },
    /// The result of calling an unknown function (a config wrapper) with the config.
    Wrapped {
        via: String,
        inner: Rc<Alts<'a>>,
    },
    Unknown {
        reason: String,
        span: SpanInfo,
    },
}

#[derive(Clone, Copy)]
struct Origin<'a> {
    prop: SpanInfo,
    value: SpanInfo,
    expr: Option<&'a Expr>,
}

#[derive(Clone)]
struct Alt<'a> {
    cond: Cond,
    val: Val<'a>,
    span: Option<SpanInfo>,
    origin: Option<Origin<'a>>,
}

type Alts<'a> = Vec<Alt<'a>>;

/// Per handler key, the value alternatives of every config branch (`None`: key absent).
type PerKey<'a> = Vec<(HandlerKey, Vec<(Cond, Option<Alts<'a>>)>)>;

struct ObjProp<'a> {
    key: String,
    alts: Alts<'a>,
}

#[derive(Default)]
struct ObjData<'a> {
    props: Vec<ObjProp<'a>>,
    unknown_spread: bool,
}

struct Scope<'a> {
    vars: RefCell<HashMap<String, Alts<'a>>>,
    parent: Option<ScopeRef<'a>>,
}

type ScopeRef<'a> = Rc<Scope<'a>>;

impl<'a> Scope<'a> {
    fn new(parent: Option<ScopeRef<'a>>) -> ScopeRef<'a> {
        Rc::new(Scope {
            vars: RefCell::new(HashMap::new()),
            parent,
        })
    }

    fn lookup(&self, name: &str) -> Option<Alts<'a>> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        let mut cur = self.parent.clone();
        while let Some(s) = cur {
            if let Some(v) = s.vars.borrow().get(name) {
                return Some(v.clone());
            }
            cur = s.parent.clone();
        }
        None
    }

    fn declare(&self, name: &str, v: Alts<'a>) {
        self.vars.borrow_mut().insert(name.to_string(), v);
    }

    /// Assign to an existing binding; false if none exists.
    fn assign(&self, name: &str, v: Alts<'a>) -> bool {
        if let Some(slot) = self.vars.borrow_mut().get_mut(name) {
            *slot = v;
            return true;
        }
        let mut cur = self.parent.clone();
        while let Some(s) = cur {
            if let Some(slot) = s.vars.borrow_mut().get_mut(name) {
                *slot = v;
                return true;
            }
            cur = s.parent.clone();
        }
        false
    }
}

struct Flow<'a> {
    returns: Alts<'a>,
    returned: Cond,
}

struct Interp<'a, 'c> {
    ctx: &'c EvalContext,
    config_dir: String,
    heap: Vec<ObjData<'a>>,
    steps: usize,
    depth: usize,
    call_depth: usize,
    pc: Cond,
    notes: Vec<String>,
    wrappers: Vec<String>,
    unknown_spreads: Vec<SpanInfo>,
    budget_hit: bool,
}

fn one<'a>(val: Val<'a>, span: Option<SpanInfo>) -> Alts<'a> {
    vec![Alt {
        cond: Cond::True,
        val,
        span,
        origin: None,
    }]
}

fn gate<'a>(alts: Alts<'a>, c: &Cond) -> Alts<'a> {
    if c.is_true() {
        return alts;
    }
    alts.into_iter()
        .filter_map(|mut a| {
            a.cond = a.cond.and(c);
            if a.cond.is_false() {
                None
            } else {
                Some(a)
            }
        })
        .collect()
}

fn atom(a: Atom) -> Cond {
    Cond::atom(a)
}

fn prop_name_str(p: &PropName) -> Option<String> {
    match p {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
        PropName::Num(n) => Some(num_to_string(n.value)),
        _ => None,
    }
}

fn num_to_string(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn module_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(i) => i.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned(),
        #[cfg(swc_ast_unknown)]
        _ => String::new(),
    }
}

fn with_origin<'a>(alts: Alts<'a>, o: Origin<'a>) -> Alts<'a> {
    alts.into_iter()
        .map(|a| Alt {
            origin: Some(o),
            ..a
        })
        .collect()
}

fn to_str(v: &Val<'_>) -> Option<String> {
    match v {
        Val::Str(s) => Some(s.clone()),
        Val::Num(n) => Some(num_to_string(*n)),
        Val::Bool(b) => Some(b.to_string()),
        Val::Undefined => Some("undefined".into()),
        Val::Null => Some("null".into()),
        _ => None,
    }
}

fn describe_val(v: &Val<'_>) -> String {
    match v {
        Val::Undefined => "undefined".into(),
        Val::Null => "null".into(),
        Val::Bool(_) => "a boolean".into(),
        Val::Num(_) => "a number".into(),
        Val::Str(s) => format!("'{s}'"),
        Val::Obj(_) => "an object".into(),
        Val::Array(_) => "an array".into(),
        Val::Func(_) | Val::Builtin(_) => "a function".into(),
        Val::Module(_) => "a module".into(),
        Val::EnvObj => "process.env".into(),
        Val::Env(v) => format!("process.env.{v}"),
        Val::Phase => "the phase".into(),
        Val::Resolved {
            import_meta: false,
            spec,
            ..
        } => format!("require.resolve('{spec}')"),
        Val::Resolved {
            import_meta: true,
            spec,
            ..
        } => format!("import.meta.resolve('{spec}')"),
        Val::Url(h) => format!("URL {h}"),
        Val::Require { .. } => "require".into(),
        Val::ImportMeta => "import.meta".into(),
        Val::Extern { name, from } => format!("`{name}` from '{from}'"),
        Val::Wrapped { via, .. } => format!("the result of {via}(…)"),
        Val::Unknown { reason, .. } => reason.clone(),
    }
}

impl<'a, 'c> Interp<'a, 'c> {
    fn sp(&self, span: Span) -> SpanInfo {
        let base = self.ctx.span_base;
        SpanInfo {
            lo: span.lo.0.saturating_sub(base),
            hi: span.hi.0.saturating_sub(base),
        }
    }

    fn text_of(&self, span: SpanInfo) -> String {
        let t = self
            .ctx
            .source
            .as_deref()
            .and_then(|s| span.text(s))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        match t {
            Some(t) if !t.is_empty() => {
                if t.chars().count() > 80 {
                    let cut: String = t.chars().take(77).collect();
                    format!("{cut}...")
                } else {
                    t
                }
            }
            _ => format!("the expression at bytes {}..{}", span.lo, span.hi),
        }
    }

    fn unknown(&self, reason: impl Into<String>, span: Span) -> Alts<'a> {
        let s = self.sp(span);
        one(
            Val::Unknown {
                reason: reason.into(),
                span: s,
            },
            Some(s),
        )
    }

    fn over_budget(&mut self) -> bool {
        if self.steps >= MAX_STEPS {
            if !self.budget_hit {
                self.budget_hit = true;
                self.notes.push(
                    "evaluation budget exhausted: the rest of the config was not evaluated".into(),
                );
            }
            return true;
        }
        self.steps += 1;
        false
    }

    fn cap(&self, alts: Alts<'a>, span: Span) -> Alts<'a> {
        if alts.len() > MAX_ALTS {
            self.unknown(
                format!("more than {MAX_ALTS} combinations of branches"),
                span,
            )
        } else {
            alts
        }
    }

    fn new_obj(&mut self) -> Option<ObjId> {
        if self.heap.len() >= MAX_OBJECTS {
            return None;
        }
        self.heap.push(ObjData::default());
        Some(self.heap.len() - 1)
    }

    fn get_own(&self, id: ObjId, key: &str) -> Option<Alts<'a>> {
        self.heap
            .get(id)?
            .props
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.alts.clone())
    }

    /// Store `value` under `key`, taking the current condition `pc` into account: where `pc`
    /// is false the old value stays.
    fn set_prop(&mut self, id: ObjId, key: &str, value: Alts<'a>, pc: &Cond) {
        if pc.is_false() {
            return;
        }
        let old = self.get_own(id, key);
        let merged = if pc.is_true() {
            value
        } else {
            let mut v = gate(value, pc);
            let old = old.unwrap_or_else(|| one(Val::Undefined, None));
            v.extend(gate(old, &pc.not()));
            v
        };
        let merged = if merged.len() > MAX_ALTS {
            one(
                Val::Unknown {
                    reason: "too many branches".into(),
                    span: SpanInfo { lo: 0, hi: 0 },
                },
                None,
            )
        } else {
            merged
        };
        if let Some(obj) = self.heap.get_mut(id) {
            if let Some(p) = obj.props.iter_mut().find(|p| p.key == key) {
                p.alts = merged;
            } else {
                obj.props.push(ObjProp {
                    key: key.to_string(),
                    alts: merged,
                });
            }
        }
    }

    /// Copy every property of `src` into `dst` under condition `c` (spread, Object.assign).
    fn copy_props(&mut self, dst: ObjId, src: ObjId, c: &Cond) {
        let props: Vec<(String, Alts<'a>)> = match self.heap.get(src) {
            Some(o) => o
                .props
                .iter()
                .map(|p| (p.key.clone(), p.alts.clone()))
                .collect(),
            None => return,
        };
        let unknown = self.heap.get(src).is_some_and(|o| o.unknown_spread);
        for (k, v) in props {
            self.set_prop(dst, &k, v, c);
        }
        if unknown {
            if let Some(o) = self.heap.get_mut(dst) {
                o.unknown_spread = true;
            }
        }
    }

    /// Merge an object-like value into `dst` under `c`.
    fn spread_into(&mut self, dst: ObjId, alts: Alts<'a>, span: Span) {
        for a in alts {
            match a.val {
                Val::Obj(src) => self.copy_props(dst, src, &a.cond),
                Val::Undefined | Val::Null | Val::Bool(_) | Val::Num(_) => {}
                Val::Wrapped { inner, .. } => self.spread_into(dst, (*inner).clone(), span),
                Val::Extern { ref name, .. } if name == "defaultConfig" => {}
                _ => {
                    let s = self.sp(span);
                    if !self.unknown_spreads.contains(&s) {
                        self.unknown_spreads.push(s);
                    }
                    if let Some(o) = self.heap.get_mut(dst) {
                        o.unknown_spread = true;
                    }
                }
            }
        }
    }
}

pub(crate) fn analyze(program: &Program, ctx: &EvalContext) -> Analysis {
    let mut it = Interp {
        ctx,
        config_dir: ctx.config_dir(),
        heap: Vec::new(),
        steps: 0,
        depth: 0,
        call_depth: 0,
        pc: Cond::True,
        notes: Vec::new(),
        wrappers: Vec::new(),
        unknown_spreads: Vec::new(),
        budget_hit: false,
    };
    let top = Scope::new(None);
    // `module` and `exports` exist in CommonJS; keep them for ES modules too, so that a
    // misdetected module kind still finds the export (Node would fail on it, the build says so).
    let module_id = it.new_obj().unwrap_or(0);
    let exports_id = it.new_obj().unwrap_or(0);
    it.set_prop(
        module_id,
        "exports",
        one(Val::Obj(exports_id), None),
        &Cond::True,
    );
    if ctx.module_kind == ModuleKind::Cjs {
        top.declare("module", one(Val::Obj(module_id), None));
        top.declare("exports", one(Val::Obj(exports_id), None));
    }
    let mut default_export: Option<(Alts<'_>, SpanInfo)> = None;
    let mut flow = Flow {
        returns: Vec::new(),
        returned: Cond::False,
    };
    match program {
        Program::Module(m) => {
            // Hoist imports and function declarations.
            for item in &m.body {
                match item {
                    ModuleItem::ModuleDecl(ModuleDecl::Import(i)) if !i.type_only => {
                        let spec = i.src.value.to_string_lossy().into_owned();
                        for s in &i.specifiers {
                            match s {
                                ImportSpecifier::Default(d) => {
                                    let v = it.module_value(&spec, &d.local.sym);
                                    top.declare(&d.local.sym, v);
                                }
                                ImportSpecifier::Namespace(n) => {
                                    let v = it.module_value(&spec, &n.local.sym);
                                    top.declare(&n.local.sym, v);
                                }
                                ImportSpecifier::Named(n) if !n.is_type_only => {
                                    let imported = n
                                        .imported
                                        .as_ref()
                                        .map(module_name)
                                        .unwrap_or_else(|| n.local.sym.to_string());
                                    let m = it.module_value(&spec, &imported);
                                    let v = if matches!(
                                        m.first().map(|a| &a.val),
                                        Some(Val::Module(_))
                                    ) {
                                        it.get_member(m, Some(imported), n.span)
                                    } else {
                                        one(
                                            Val::Extern {
                                                name: imported,
                                                from: spec.clone(),
                                            },
                                            None,
                                        )
                                    };
                                    top.declare(&n.local.sym, v);
                                }
                                _ => {}
                            }
                        }
                    }
                    ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f))) => {
                        let v = it.make_fn(&f.function, &top);
                        top.declare(&f.ident.sym, one(v, None));
                    }
                    ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl {
                        decl: Decl::Fn(f),
                        ..
                    })) => {
                        let v = it.make_fn(&f.function, &top);
                        top.declare(&f.ident.sym, one(v, None));
                    }
                    _ => {}
                }
            }
            for item in &m.body {
                if it.budget_hit {
                    break;
                }
                match item {
                    ModuleItem::Stmt(s) => it.exec_stmt(s, &top, &Cond::True, &mut flow),
                    ModuleItem::ModuleDecl(d) => match d {
                        ModuleDecl::ExportDecl(e) => it.exec_decl(&e.decl, &top),
                        ModuleDecl::ExportDefaultExpr(e) => {
                            let v = it.eval(&e.expr, &top);
                            default_export = Some((v, it.sp(e.expr.span())));
                        }
                        ModuleDecl::ExportDefaultDecl(e) => {
                            if let DefaultDecl::Fn(f) = &e.decl {
                                let v = it.make_fn(&f.function, &top);
                                if let Some(id) = &f.ident {
                                    top.declare(&id.sym, one(v.clone(), None));
                                }
                                default_export = Some((one(v, None), it.sp(e.span)));
                            }
                        }
                        ModuleDecl::ExportNamed(n) if n.src.is_none() && !n.type_only => {
                            for s in &n.specifiers {
                                if let ExportSpecifier::Named(ns) = s {
                                    let exported = ns.exported.as_ref().map(module_name);
                                    if exported.as_deref() == Some("default") {
                                        let orig = module_name(&ns.orig);
                                        let v = it.lookup(&orig, ns.span, &top);
                                        default_export = Some((v, it.sp(ns.span)));
                                    }
                                }
                            }
                        }
                        ModuleDecl::ExportNamed(n) if n.src.is_some() => {
                            for s in &n.specifiers {
                                if let ExportSpecifier::Named(ns) = s {
                                    if ns.exported.as_ref().map(module_name).as_deref()
                                        == Some("default")
                                        || (ns.exported.is_none()
                                            && module_name(&ns.orig) == "default")
                                    {
                                        let v =
                                            it.unknown("re-exported from another module", n.span);
                                        default_export = Some((v, it.sp(n.span)));
                                    }
                                }
                            }
                        }
                        ModuleDecl::TsExportAssignment(e) => {
                            let v = it.eval(&e.expr, &top);
                            it.set_prop(module_id, "exports", v, &Cond::True);
                        }
                        ModuleDecl::TsImportEquals(ie) => {
                            if let TsModuleRef::TsExternalModuleRef(r) = &ie.module_ref {
                                let spec = r.expr.value.to_string_lossy().into_owned();
                                let v = it.module_value(&spec, &ie.id.sym);
                                top.declare(&ie.id.sym, v);
                            }
                        }
                        _ => {}
                    },
                    #[cfg(swc_ast_unknown)]
                    _ => {}
                }
            }
        }
        Program::Script(s) => {
            it.hoist(&s.body, &top);
            for st in &s.body {
                if it.budget_hit {
                    break;
                }
                it.exec_stmt(st, &top, &Cond::True, &mut flow);
            }
        }
        #[cfg(swc_ast_unknown)]
        _ => {}
    }

    // Which export does Next read?
    let module_exports = it.get_own(module_id, "exports").unwrap_or_default();
    let reassigned = !matches!(module_exports.as_slice(), [Alt { val: Val::Obj(id), cond: Cond::True, .. }] if *id == exports_id);
    let (export_form, exported) = if let Some((v, _)) = default_export {
        (ExportForm::ExportDefault, v)
    } else if reassigned {
        (ExportForm::ModuleExports, module_exports)
    } else if let Some(d) = it.get_own(exports_id, "default") {
        (ExportForm::ExportsDefault, d)
    } else {
        (ExportForm::None, Vec::new())
    };

    // Resolve the export to config objects: call function configs for the production phases.
    let mut configs: Vec<(Cond, ObjId)> = Vec::new();
    let mut function_config = false;
    let mut unknown_export = None;
    let mut pending: Vec<(Alt<'_>, usize)> = exported.into_iter().map(|a| (a, 0)).collect();
    while let Some((a, depth)) = pending.pop() {
        if depth > 4 {
            continue;
        }
        match &a.val {
            Val::Obj(id) => configs.push((a.cond.clone(), *id)),
            Val::Func(c) => {
                function_config = true;
                let dc = it.new_obj();
                let second = match dc {
                    Some(id) => {
                        it.set_prop(
                            id,
                            "defaultConfig",
                            one(
                                Val::Extern {
                                    name: "defaultConfig".into(),
                                    from: "next".into(),
                                },
                                None,
                            ),
                            &Cond::True,
                        );
                        one(Val::Obj(id), None)
                    }
                    None => one(Val::Undefined, None),
                };
                let c = c.clone();
                let r = it.call_closure(&c, vec![one(Val::Phase, None), second], Span::default());
                for x in gate(r, &a.cond) {
                    pending.push((x, depth + 1));
                }
            }
            Val::Wrapped { inner, .. } => {
                if inner.is_empty() {
                    unknown_export = unknown_export.or(a.span);
                }
                for x in gate((**inner).clone(), &a.cond) {
                    pending.push((x, depth + 1));
                }
            }
            Val::Undefined | Val::Null => {}
            _ => {
                unknown_export = unknown_export
                    .or(a.span)
                    .or(Some(SpanInfo { lo: 0, hi: 0 }))
            }
        }
    }
    configs.reverse();

    let refs = extract_refs(&mut it, &configs);
    let mut notes = it.notes;
    notes.dedup();
    Analysis {
        refs,
        export_form,
        function_config,
        wrappers: it.wrappers,
        unknown_export,
        unknown_spreads: it.unknown_spreads,
        notes,
    }
}
