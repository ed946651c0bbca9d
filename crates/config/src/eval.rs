//! A small abstract interpreter for config files.
//!
//! Every expression evaluates to a list of alternatives, each with the condition under which it
//! is the value (`Alts`). Branches are never dropped unless their condition is contradictory,
//! so `process.env.X ? a : b` yields both `a` (X is set) and `b` (X is not set).
//! Objects live in a heap so that mutation (`config.cacheHandler = …`, `Object.assign`) works.
//! Every recursion and loop is bounded; anything not understood becomes `Val::Unknown`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;

use crate::cond::{Atom, Cond, PhaseKind};
use crate::paths;
use crate::{
    Analysis, Candidate, CandidateValue, Condition, EvalContext, ExportForm, Form, HandlerKey,
    HandlerRef, ModuleKind, SpanInfo,
};

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

fn phase_of(s: &str) -> Option<PhaseKind> {
    match s {
        "phase-production-build" => Some(PhaseKind::ProductionBuild),
        "phase-production-server" => Some(PhaseKind::ProductionServer),
        _ => None,
    }
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

fn known_module(spec: &str) -> Option<KnownModule> {
    let s = spec.strip_prefix("node:").unwrap_or(spec);
    match s {
        "path" | "path/posix" => Some(KnownModule::Path),
        "url" => Some(KnownModule::Url),
        "module" => Some(KnownModule::NodeModule),
        "process" => Some(KnownModule::Process),
        _ => match spec {
            "next/constants"
            | "next/constants.js"
            | "next/dist/shared/lib/constants"
            | "next/dist/shared/lib/constants.js" => Some(KnownModule::NextConstants),
            _ => None,
        },
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

    // ---------------------------------------------------------------- conditions

    fn truthy(&self, v: &Val<'a>, span: SpanInfo) -> Cond {
        match v {
            Val::Undefined | Val::Null => Cond::False,
            Val::Bool(b) => {
                if *b {
                    Cond::True
                } else {
                    Cond::False
                }
            }
            Val::Num(n) => {
                if *n != 0.0 && !n.is_nan() {
                    Cond::True
                } else {
                    Cond::False
                }
            }
            Val::Str(s) => {
                if s.is_empty() {
                    Cond::False
                } else {
                    Cond::True
                }
            }
            Val::Env(var) => atom(Atom::EnvSet { var: var.clone() }),
            Val::Unknown { .. } | Val::Extern { .. } | Val::Wrapped { .. } => atom(Atom::Opaque {
                text: self.text_of(span),
                lo: span.lo,
                hi: span.hi,
            }),
            _ => Cond::True,
        }
    }

    fn nullish(&self, v: &Val<'a>, span: SpanInfo) -> Cond {
        match v {
            Val::Undefined | Val::Null => Cond::True,
            Val::Env(var) => atom(Atom::EnvDefined { var: var.clone() }).not(),
            Val::Unknown { .. } | Val::Extern { .. } | Val::Wrapped { .. } => atom(Atom::Opaque {
                text: format!("{} == null", self.text_of(span)),
                lo: span.lo,
                hi: span.hi,
            }),
            _ => Cond::False,
        }
    }

    fn alts_truthy(&self, alts: &Alts<'a>, span: SpanInfo) -> Cond {
        let mut c = Cond::False;
        for a in alts {
            c = c.or(&a.cond.and(&self.truthy(&a.val, span)));
        }
        c
    }

    /// `a === b` for two concrete values; `None` when not decidable.
    fn strict_eq(&self, a: &Val<'a>, b: &Val<'a>, loose: bool, span: SpanInfo) -> Cond {
        use Val::*;
        let opaque = || {
            atom(Atom::Opaque {
                text: self.text_of(span),
                lo: span.lo,
                hi: span.hi,
            })
        };
        match (a, b) {
            (Str(x), Str(y)) => (x == y).into_cond(),
            (Num(x), Num(y)) => (x == y).into_cond(),
            (Bool(x), Bool(y)) => (x == y).into_cond(),
            (Undefined, Undefined) | (Null, Null) => Cond::True,
            (Undefined, Null) | (Null, Undefined) => loose.into_cond(),
            (Env(v), Str(s)) | (Str(s), Env(v)) => atom(Atom::EnvEquals {
                var: v.clone(),
                value: s.clone(),
            }),
            (Env(v), Undefined) | (Undefined, Env(v)) => {
                atom(Atom::EnvDefined { var: v.clone() }).not()
            }
            (Env(v), Null) | (Null, Env(v)) => {
                if loose {
                    atom(Atom::EnvDefined { var: v.clone() }).not()
                } else {
                    Cond::False
                }
            }
            (Phase, Str(s)) | (Str(s), Phase) => match phase_of(s) {
                Some(p) => atom(Atom::Phase { phase: p }),
                // Development, export, test, info: never in a production build or server.
                None => Cond::False,
            },
            (
                Str(_) | Num(_) | Bool(_) | Undefined | Null,
                Str(_) | Num(_) | Bool(_) | Undefined | Null,
            ) => {
                if loose {
                    opaque()
                } else {
                    Cond::False
                }
            }
            _ => opaque(),
        }
    }

    fn eval_cond(&mut self, e: &'a Expr, scope: &ScopeRef<'a>) -> Cond {
        let span = self.sp(e.span());
        if self.depth > MAX_DEPTH || self.over_budget() {
            return atom(Atom::Opaque {
                text: self.text_of(span),
                lo: span.lo,
                hi: span.hi,
            });
        }
        self.depth += 1;
        let r = self.eval_cond_inner(e, scope, span);
        self.depth -= 1;
        r
    }

    fn eval_cond_inner(&mut self, e: &'a Expr, scope: &ScopeRef<'a>, span: SpanInfo) -> Cond {
        match e {
            Expr::Paren(p) => self.eval_cond(&p.expr, scope),
            Expr::TsAs(x) => self.eval_cond(&x.expr, scope),
            Expr::TsSatisfies(x) => self.eval_cond(&x.expr, scope),
            Expr::TsNonNull(x) => self.eval_cond(&x.expr, scope),
            Expr::TsConstAssertion(x) => self.eval_cond(&x.expr, scope),
            Expr::TsTypeAssertion(x) => self.eval_cond(&x.expr, scope),
            Expr::Unary(u) if u.op == UnaryOp::Bang => self.eval_cond(&u.arg, scope).not(),
            Expr::Bin(b) => match b.op {
                BinaryOp::LogicalAnd => {
                    let l = self.eval_cond(&b.left, scope);
                    let r = self.eval_cond(&b.right, scope);
                    l.and(&r)
                }
                BinaryOp::LogicalOr => {
                    let l = self.eval_cond(&b.left, scope);
                    let r = self.eval_cond(&b.right, scope);
                    l.or(&r)
                }
                BinaryOp::EqEqEq | BinaryOp::EqEq | BinaryOp::NotEqEq | BinaryOp::NotEq => {
                    let loose = matches!(b.op, BinaryOp::EqEq | BinaryOp::NotEq);
                    let neg = matches!(b.op, BinaryOp::NotEqEq | BinaryOp::NotEq);
                    let l = self.eval(&b.left, scope);
                    let r = self.eval(&b.right, scope);
                    let mut c = Cond::False;
                    let mut n = 0;
                    for x in &l {
                        for y in &r {
                            n += 1;
                            if n > MAX_ALTS {
                                return atom(Atom::Opaque {
                                    text: self.text_of(span),
                                    lo: span.lo,
                                    hi: span.hi,
                                });
                            }
                            let eq = self.strict_eq(&x.val, &y.val, loose, span);
                            let eq = if neg { eq.not() } else { eq };
                            c = c.or(&x.cond.and(&y.cond).and(&eq));
                        }
                    }
                    c
                }
                _ => {
                    let alts = self.eval(e, scope);
                    self.alts_truthy(&alts, span)
                }
            },
            _ => {
                let alts = self.eval(e, scope);
                self.alts_truthy(&alts, span)
            }
        }
    }

    fn cond_to_bools(c: Cond, span: Option<SpanInfo>) -> Alts<'a> {
        let mut out = Vec::new();
        let nc = c.not();
        if !c.is_false() {
            out.push(Alt {
                cond: c,
                val: Val::Bool(true),
                span,
                origin: None,
            });
        }
        if !nc.is_false() {
            out.push(Alt {
                cond: nc,
                val: Val::Bool(false),
                span,
                origin: None,
            });
        }
        out
    }

    // ---------------------------------------------------------------- expressions

    fn eval(&mut self, e: &'a Expr, scope: &ScopeRef<'a>) -> Alts<'a> {
        if self.depth > MAX_DEPTH {
            return self.unknown("expression nested too deeply", e.span());
        }
        if self.over_budget() {
            return self.unknown("evaluation budget exhausted", e.span());
        }
        self.depth += 1;
        let r = self.eval_inner(e, scope);
        self.depth -= 1;
        self.cap(r, e.span())
    }

    fn eval_inner(&mut self, e: &'a Expr, scope: &ScopeRef<'a>) -> Alts<'a> {
        let span = self.sp(e.span());
        let here = Some(span);
        match e {
            Expr::Lit(l) => match l {
                Lit::Str(s) => one(Val::Str(s.value.to_string_lossy().into_owned()), here),
                Lit::Num(n) => one(Val::Num(n.value), here),
                Lit::Bool(b) => one(Val::Bool(b.value), here),
                Lit::Null(_) => one(Val::Null, here),
                _ => self.unknown("a literal that is not a string", e.span()),
            },
            Expr::Paren(p) => self.eval(&p.expr, scope),
            Expr::TsAs(x) => self.eval(&x.expr, scope),
            Expr::TsSatisfies(x) => self.eval(&x.expr, scope),
            Expr::TsNonNull(x) => self.eval(&x.expr, scope),
            Expr::TsConstAssertion(x) => self.eval(&x.expr, scope),
            Expr::TsTypeAssertion(x) => self.eval(&x.expr, scope),
            Expr::TsInstantiation(x) => self.eval(&x.expr, scope),
            Expr::Await(a) => self.eval(&a.arg, scope),
            Expr::Seq(s) => {
                let mut last = one(Val::Undefined, here);
                for x in &s.exprs {
                    last = self.eval(x, scope);
                }
                last
            }
            Expr::Ident(i) => self.lookup(&i.sym, i.span, scope),
            Expr::MetaProp(m) => match m.kind {
                MetaPropKind::ImportMeta => one(Val::ImportMeta, here),
                _ => self.unknown("new.target", e.span()),
            },
            Expr::Tpl(t) => self.eval_tpl(t, scope),
            Expr::Bin(b) => self.eval_bin(b, scope, e),
            Expr::Unary(u) => match u.op {
                UnaryOp::Bang => {
                    let c = self.eval_cond(&u.arg, scope).not();
                    Self::cond_to_bools(c, here)
                }
                UnaryOp::Void => one(Val::Undefined, here),
                UnaryOp::TypeOf => {
                    let v = self.eval(&u.arg, scope);
                    let mut out = Vec::new();
                    for a in v {
                        let name = match &a.val {
                            Val::Env(var) => {
                                let defined = atom(Atom::EnvDefined { var: var.clone() });
                                for (c, t) in
                                    [(defined.clone(), "string"), (defined.not(), "undefined")]
                                {
                                    let c = a.cond.and(&c);
                                    if !c.is_false() {
                                        out.push(Alt {
                                            cond: c,
                                            val: Val::Str(t.into()),
                                            span: here,
                                            origin: None,
                                        });
                                    }
                                }
                                continue;
                            }
                            Val::Str(_) => "string",
                            Val::Num(_) => "number",
                            Val::Bool(_) => "boolean",
                            Val::Undefined => "undefined",
                            Val::Null | Val::Obj(_) | Val::Array(_) | Val::Url(_) | Val::EnvObj => {
                                "object"
                            }
                            Val::Func(_) | Val::Builtin(_) | Val::Require { .. } => "function",
                            _ => {
                                out.extend(gate(
                                    self.unknown("typeof of an unevaluated value", u.span),
                                    &a.cond,
                                ));
                                continue;
                            }
                        };
                        out.push(Alt {
                            cond: a.cond,
                            val: Val::Str(name.into()),
                            span: here,
                            origin: None,
                        });
                    }
                    out
                }
                _ => self.unknown(format!("unary operator {}", u.op.as_str()), e.span()),
            },
            Expr::Cond(c) => {
                let t = self.eval_cond(&c.test, scope);
                let mut out = Vec::new();
                if !t.is_false() {
                    let v = self.eval(&c.cons, scope);
                    out.extend(gate(v, &t));
                }
                let nt = t.not();
                if !nt.is_false() {
                    let v = self.eval(&c.alt, scope);
                    out.extend(gate(v, &nt));
                }
                out
            }
            Expr::Object(o) => self.eval_object(o, scope),
            Expr::Array(a) => {
                let mut items = Vec::new();
                for el in &a.elems {
                    match el {
                        Some(ExprOrSpread { spread: None, expr }) => {
                            items.push(self.eval(expr, scope))
                        }
                        Some(ExprOrSpread {
                            spread: Some(_),
                            expr,
                        }) => items.push(self.unknown("a spread element", expr.span())),
                        None => items.push(one(Val::Undefined, None)),
                    }
                }
                one(Val::Array(Rc::new(items)), here)
            }
            Expr::Arrow(a) => {
                let body = match &*a.body {
                    ArrowFunctionBody::FunctionBody(b) => Body::Stmts(&b.stmts),
                    ArrowFunctionBody::Expr(x) => Body::Expr(x),
                    #[cfg(swc_ast_unknown)]
                    _ => return self.unknown("unknown arrow body", e.span()),
                };
                let c = Closure {
                    params: a.params.iter().collect(),
                    body,
                    scope: scope.clone(),
                };
                one(Val::Func(Rc::new(c)), here)
            }
            Expr::Fn(f) => one(self.make_fn(&f.function, scope), here),
            Expr::Member(m) => {
                let obj = self.eval(&m.obj, scope);
                let key = self.member_key(&m.prop, scope);
                self.get_member(obj, key, m.span)
            }
            Expr::OptChain(o) => match &*o.base {
                OptChainBase::Member(m) => {
                    let obj = self.eval(&m.obj, scope);
                    let key = self.member_key(&m.prop, scope);
                    // `a?.b`: undefined when a is nullish.
                    let mut out = Vec::new();
                    let mut rest = Vec::new();
                    for a in obj {
                        if matches!(a.val, Val::Undefined | Val::Null) {
                            out.push(Alt {
                                val: Val::Undefined,
                                ..a
                            });
                        } else {
                            rest.push(a);
                        }
                    }
                    out.extend(self.get_member(rest, key, m.span));
                    out
                }
                OptChainBase::Call(c) => {
                    let callee = self.eval(&c.callee, scope);
                    let args = self.eval_args(&c.args, scope);
                    self.call(callee, args, c.span)
                }
                #[cfg(swc_ast_unknown)]
                _ => self.unknown("unknown optional chain", e.span()),
            },
            Expr::Call(c) => match &c.callee {
                Callee::Expr(callee) => {
                    let f = self.eval(callee, scope);
                    let args = self.eval_args(&c.args, scope);
                    self.call(f, args, c.span)
                }
                Callee::Import(_) => self.unknown("dynamic import()", e.span()),
                _ => self.unknown("super call", e.span()),
            },
            Expr::New(n) => {
                let f = self.eval(&n.callee, scope);
                let args = match &n.args {
                    Some(a) => self.eval_args(a, scope),
                    None => Vec::new(),
                };
                let mut out = Vec::new();
                for a in f {
                    match &a.val {
                        Val::Builtin(Builtin::UrlCtor) => {
                            out.extend(gate(self.apply(&a.val, &args, n.span), &a.cond));
                        }
                        _ => out.extend(gate(self.unknown("a `new` expression", n.span), &a.cond)),
                    }
                }
                out
            }
            Expr::Assign(a) => self.eval_assign(a, scope),
            Expr::Class(_) => self.unknown("a class", e.span()),
            _ => self.unknown("an expression the evaluator does not model", e.span()),
        }
    }

    fn make_fn(&self, f: &'a Function, scope: &ScopeRef<'a>) -> Val<'a> {
        match &f.body {
            Some(b) => Val::Func(Rc::new(Closure {
                params: f.params.iter().map(|p| &p.pat).collect(),
                body: Body::Stmts(&b.stmts),
                scope: scope.clone(),
            })),
            None => Val::Unknown {
                reason: "a function without a body".into(),
                span: self.sp(f.span),
            },
        }
    }

    fn member_key(&mut self, prop: &'a MemberProp, scope: &ScopeRef<'a>) -> Option<String> {
        match prop {
            MemberProp::Ident(i) => Some(i.sym.to_string()),
            MemberProp::Computed(c) => {
                let v = self.eval(&c.expr, scope);
                match v.as_slice() {
                    [Alt {
                        val: Val::Str(s), ..
                    }] => Some(s.clone()),
                    [Alt {
                        val: Val::Num(n), ..
                    }] => Some(num_to_string(*n)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn lookup(&mut self, name: &str, span: Span, scope: &ScopeRef<'a>) -> Alts<'a> {
        if let Some(v) = scope.lookup(name) {
            return v;
        }
        let here = Some(self.sp(span));
        let cjs = self.ctx.module_kind == ModuleKind::Cjs;
        match name {
            "undefined" => one(Val::Undefined, here),
            "NaN" => one(Val::Num(f64::NAN), here),
            "Infinity" => one(Val::Num(f64::INFINITY), here),
            "process" => one(Val::Module(KnownModule::Process), here),
            "Object" => one(Val::Module(KnownModule::ObjectGlobal), here),
            "URL" => one(Val::Builtin(Builtin::UrlCtor), here),
            "Boolean" => one(Val::Builtin(Builtin::Boolean), here),
            "String" => one(Val::Builtin(Builtin::StringFn), here),
            "require" if cjs => one(
                Val::Require {
                    from_dir: self.config_dir.clone(),
                },
                here,
            ),
            "__dirname" if cjs => one(Val::Str(self.config_dir.clone()), here),
            "__filename" if cjs => one(Val::Str(self.ctx.config_file.clone()), here),
            "require" | "__dirname" | "__filename" | "module" | "exports" => self.unknown(
                format!("`{name}` is not defined in an ES module config"),
                span,
            ),
            _ => self.unknown(format!("`{name}` is not defined in the config"), span),
        }
    }

    fn eval_tpl(&mut self, t: &'a Tpl, scope: &ScopeRef<'a>) -> Alts<'a> {
        let mut acc: Alts<'a> = one(Val::Str(String::new()), Some(self.sp(t.span)));
        for (i, q) in t.quasis.iter().enumerate() {
            let cooked = match &q.cooked {
                Some(c) => c.to_string_lossy().into_owned(),
                None => return self.unknown("an invalid escape in a template literal", t.span),
            };
            acc = self.concat(acc, one(Val::Str(cooked), None), t.span);
            if let Some(x) = t.exprs.get(i) {
                let v = self.eval(x, scope);
                acc = self.concat(acc, v, t.span);
            }
        }
        acc
    }

    /// String concatenation (`+` and template literals), branch by branch.
    fn concat(&mut self, l: Alts<'a>, r: Alts<'a>, span: Span) -> Alts<'a> {
        let s = self.sp(span);
        let mut out = Vec::new();
        for a in &l {
            for b in &r {
                let c = a.cond.and(&b.cond);
                if c.is_false() {
                    continue;
                }
                let v = match (&a.val, &b.val) {
                    (Val::Num(x), Val::Num(y)) => Val::Num(x + y),
                    (x, y) => match (to_str(x), to_str(y)) {
                        (Some(x), Some(y)) if x.len() + y.len() <= MAX_STRING => Val::Str(x + &y),
                        (Some(_), Some(_)) => Val::Unknown {
                            reason: "a string too long".into(),
                            span: s,
                        },
                        _ => {
                            let part = if matches!(x, Val::Str(_) | Val::Num(_) | Val::Bool(_)) {
                                y
                            } else {
                                x
                            };
                            Val::Unknown {
                                reason: format!("a string built from {}", describe_val(part)),
                                span: s,
                            }
                        }
                    },
                };
                out.push(Alt {
                    cond: c,
                    val: v,
                    span: Some(s),
                    origin: None,
                });
                if out.len() > MAX_ALTS {
                    return self.unknown(
                        format!("more than {MAX_ALTS} combinations of branches"),
                        span,
                    );
                }
            }
        }
        out
    }

    fn eval_bin(&mut self, b: &'a BinExpr, scope: &ScopeRef<'a>, e: &'a Expr) -> Alts<'a> {
        let span = self.sp(b.span);
        match b.op {
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::NullishCoalescing => {
                let l = self.eval(&b.left, scope);
                let lspan = self.sp(b.left.span());
                self.logical(b.op, l, lspan, |this| this.eval(&b.right, scope))
            }
            BinaryOp::EqEqEq | BinaryOp::EqEq | BinaryOp::NotEqEq | BinaryOp::NotEq => {
                let c = self.eval_cond(e, scope);
                Self::cond_to_bools(c, Some(span))
            }
            BinaryOp::Add => {
                let l = self.eval(&b.left, scope);
                let r = self.eval(&b.right, scope);
                self.concat(l, r, b.span)
            }
            _ => self.unknown(format!("operator {}", b.op.as_str()), b.span),
        }
    }

    fn logical(
        &mut self,
        op: BinaryOp,
        l: Alts<'a>,
        lspan: SpanInfo,
        right: impl FnOnce(&mut Self) -> Alts<'a>,
    ) -> Alts<'a> {
        let mut out = Vec::new();
        let mut right_cond = Cond::False;
        for a in l {
            let take_left = match op {
                BinaryOp::LogicalAnd => self.truthy(&a.val, lspan).not(),
                BinaryOp::LogicalOr => self.truthy(&a.val, lspan),
                _ => self.nullish(&a.val, lspan).not(),
            };
            let lc = a.cond.and(&take_left);
            let rc = a.cond.and(&take_left.not());
            if !lc.is_false() {
                // A falsy environment variable is undefined (or empty): Next treats it as unset.
                let val = match (&a.val, op) {
                    (Val::Env(_), BinaryOp::LogicalAnd) => Val::Undefined,
                    _ => a.val.clone(),
                };
                out.push(Alt {
                    cond: lc,
                    val,
                    ..a.clone()
                });
            }
            right_cond = right_cond.or(&rc);
        }
        if !right_cond.is_false() {
            let r = right(self);
            out.extend(gate(r, &right_cond));
        }
        out
    }

    fn eval_args(&mut self, args: &'a [ExprOrSpread], scope: &ScopeRef<'a>) -> Vec<Alts<'a>> {
        args.iter()
            .map(|a| {
                if a.spread.is_some() {
                    self.unknown("a spread argument", a.expr.span())
                } else {
                    self.eval(&a.expr, scope)
                }
            })
            .collect()
    }

    fn eval_object(&mut self, o: &'a ObjectLit, scope: &ScopeRef<'a>) -> Alts<'a> {
        let Some(id) = self.new_obj() else {
            return self.unknown("too many objects", o.span);
        };
        for p in &o.props {
            match p {
                PropOrSpread::Spread(s) => {
                    let v = self.eval(&s.expr, scope);
                    self.spread_into(id, v, s.expr.span());
                }
                PropOrSpread::Prop(prop) => {
                    let prop_span = self.sp(prop.span());
                    match &**prop {
                        Prop::KeyValue(kv) => {
                            let key = match &kv.key {
                                PropName::Computed(c) => {
                                    let k = self.eval(&c.expr, scope);
                                    match k.as_slice() {
                                        [Alt {
                                            val: Val::Str(s), ..
                                        }] => Some(s.clone()),
                                        _ => None,
                                    }
                                }
                                other => prop_name_str(other),
                            };
                            let v = self.eval(&kv.value, scope);
                            let origin = Origin {
                                prop: prop_span,
                                value: self.sp(kv.value.span()),
                                expr: Some(&kv.value),
                            };
                            match key {
                                Some(k) => {
                                    let v = with_origin(v, origin);
                                    self.set_prop(id, &k, v, &Cond::True);
                                }
                                None => {
                                    self.unknown_spreads.push(prop_span);
                                    if let Some(o) = self.heap.get_mut(id) {
                                        o.unknown_spread = true;
                                    }
                                }
                            }
                        }
                        Prop::Shorthand(i) => {
                            let v = self.lookup(&i.sym, i.span, scope);
                            let origin = Origin {
                                prop: prop_span,
                                value: prop_span,
                                expr: None,
                            };
                            self.set_prop(id, &i.sym, with_origin(v, origin), &Cond::True);
                        }
                        Prop::Method(m) => {
                            if let Some(k) = prop_name_str(&m.key) {
                                let f = self.make_fn(&m.function, scope);
                                self.set_prop(id, &k, one(f, Some(prop_span)), &Cond::True);
                            }
                        }
                        Prop::Getter(g) => {
                            if let Some(k) = prop_name_str(&g.key) {
                                let v = self.unknown("a getter", g.span);
                                self.set_prop(id, &k, v, &Cond::True);
                            }
                        }
                        _ => {}
                    }
                }
                #[cfg(swc_ast_unknown)]
                _ => {}
            }
        }
        one(Val::Obj(id), Some(self.sp(o.span)))
    }

    fn get_member(&mut self, obj: Alts<'a>, key: Option<String>, span: Span) -> Alts<'a> {
        let mut out = Vec::new();
        for a in obj {
            let v = match &key {
                Some(k) => self.get_prop(&a.val, k, span),
                None => self.unknown("a computed property", span),
            };
            out.extend(gate(v, &a.cond));
        }
        out
    }

    fn get_prop(&mut self, v: &Val<'a>, key: &str, span: Span) -> Alts<'a> {
        let here = Some(self.sp(span));
        let b = |x: Builtin<'a>| one(Val::Builtin(x), here);
        match v {
            Val::Obj(id) => match self.get_own(*id, key) {
                Some(v) => v,
                None => {
                    if self.heap.get(*id).is_some_and(|o| o.unknown_spread) {
                        self.unknown(
                            format!("`{key}` may come from a spread that was not evaluated"),
                            span,
                        )
                    } else {
                        one(Val::Undefined, here)
                    }
                }
            },
            Val::EnvObj => one(Val::Env(key.to_string()), here),
            Val::Module(KnownModule::Process) => match key {
                "env" => one(Val::EnvObj, here),
                "cwd" => b(Builtin::ProcessCwd),
                _ => self.unknown(format!("process.{key}"), span),
            },
            Val::Module(KnownModule::Path) => match key {
                "join" => b(Builtin::PathJoin),
                "resolve" => b(Builtin::PathResolve),
                "dirname" => b(Builtin::PathDirname),
                "basename" => b(Builtin::PathBasename),
                "normalize" => b(Builtin::PathNormalize),
                "posix" | "default" => one(Val::Module(KnownModule::Path), here),
                "sep" => one(Val::Str("/".into()), here),
                _ => self.unknown(format!("path.{key}"), span),
            },
            Val::Module(KnownModule::Url) => match key {
                "fileURLToPath" => b(Builtin::FileUrlToPath),
                "pathToFileURL" => b(Builtin::PathToFileUrl),
                "URL" => b(Builtin::UrlCtor),
                "default" => one(Val::Module(KnownModule::Url), here),
                _ => self.unknown(format!("url.{key}"), span),
            },
            Val::Module(KnownModule::NodeModule) => match key {
                "createRequire" => b(Builtin::CreateRequire),
                "default" => one(Val::Module(KnownModule::NodeModule), here),
                _ => self.unknown(format!("module.{key}"), span),
            },
            Val::Module(KnownModule::NextConstants) => {
                let c = match key {
                    "PHASE_PRODUCTION_BUILD" => Some("phase-production-build"),
                    "PHASE_PRODUCTION_SERVER" => Some("phase-production-server"),
                    "PHASE_DEVELOPMENT_SERVER" => Some("phase-development-server"),
                    "PHASE_EXPORT" => Some("phase-export"),
                    "PHASE_TEST" => Some("phase-test"),
                    "PHASE_INFO" => Some("phase-info"),
                    _ => None,
                };
                match c {
                    Some(c) => one(Val::Str(c.into()), here),
                    None if key == "default" => one(Val::Module(KnownModule::NextConstants), here),
                    None => self.unknown(format!("next/constants {key}"), span),
                }
            }
            Val::Module(KnownModule::ObjectGlobal) => match key {
                "assign" => b(Builtin::ObjectAssign),
                _ => self.unknown(format!("Object.{key}"), span),
            },
            Val::Require { from_dir } => match key {
                "resolve" => b(Builtin::RequireResolve {
                    from_dir: from_dir.clone(),
                }),
                _ => self.unknown(format!("require.{key}"), span),
            },
            Val::ImportMeta => match key {
                "dirname" => one(Val::Str(self.config_dir.clone()), here),
                "filename" => one(Val::Str(self.ctx.config_file.clone()), here),
                "url" => one(
                    Val::Str(paths::path_to_file_url(&self.ctx.config_file)),
                    here,
                ),
                "resolve" => b(Builtin::ImportMetaResolve),
                _ => self.unknown(format!("import.meta.{key}"), span),
            },
            Val::Url(href) => match key {
                "href" => one(Val::Str(href.clone()), here),
                "pathname" => match paths::file_url_pathname(href) {
                    Some(p) => one(Val::Str(p), here),
                    None => self.unknown("the pathname of a non-file URL", span),
                },
                "toString" | "toJSON" => b(Builtin::UrlToString(href.clone())),
                _ => self.unknown(format!("URL.{key}"), span),
            },
            Val::Array(items) => match key {
                "reduce" => b(Builtin::ArrayReduce(items.clone())),
                "length" => one(Val::Num(items.len() as f64), here),
                _ => self.unknown(format!("array method {key}"), span),
            },
            Val::Extern { name, from } => {
                if key == "default" {
                    one(v.clone(), here)
                } else {
                    let _ = name;
                    one(
                        Val::Extern {
                            name: key.to_string(),
                            from: from.clone(),
                        },
                        here,
                    )
                }
            }
            Val::Wrapped { inner, via } => {
                if inner.is_empty() {
                    return self.unknown(format!("`{key}` of the result of `{via}`"), span);
                }
                let inner = (**inner).clone();
                self.get_member(inner, Some(key.to_string()), span)
            }
            Val::Unknown { .. } => one(v.clone(), here),
            Val::Undefined | Val::Null => {
                self.unknown(format!("reading `{key}` of undefined"), span)
            }
            other => self.unknown(format!("`{key}` of {}", describe_val(other)), span),
        }
    }

    // ---------------------------------------------------------------- calls

    fn call(&mut self, f: Alts<'a>, args: Vec<Alts<'a>>, span: Span) -> Alts<'a> {
        let mut out = Vec::new();
        for a in f {
            let r = self.apply(&a.val, &args, span);
            out.extend(gate(r, &a.cond));
        }
        out
    }

    /// The argument of a wrapper call that carries the config.
    fn pick_config(&self, args: &[Alts<'a>]) -> Alts<'a> {
        let score = |alts: &Alts<'a>| -> u8 {
            let mut best = 0;
            for a in alts {
                let s = match &a.val {
                    Val::Obj(id) => {
                        let has_key = self.heap.get(*id).is_some_and(|o| {
                            o.props.iter().any(|p| {
                                matches!(
                                    p.key.as_str(),
                                    "cacheHandler" | "cacheHandlers" | "experimental" | "output"
                                )
                            })
                        });
                        if has_key {
                            4
                        } else {
                            1
                        }
                    }
                    Val::Func(_) => 3,
                    Val::Wrapped { .. } => 2,
                    _ => 0,
                };
                best = best.max(s);
            }
            best
        };
        let mut best: Option<(u8, &Alts<'a>)> = None;
        for a in args {
            let s = score(a);
            if s > 0 && best.is_none_or(|(b, _)| s > b) {
                best = Some((s, a));
            }
        }
        best.map(|(_, a)| a.clone()).unwrap_or_default()
    }

    fn apply(&mut self, f: &Val<'a>, args: &[Alts<'a>], span: Span) -> Alts<'a> {
        let here = Some(self.sp(span));
        match f {
            Val::Func(c) => {
                let c = c.clone();
                self.call_closure(&c, args.to_vec(), span)
            }
            Val::Require { from_dir } => {
                // `require('x')`
                let _ = from_dir;
                let mut out = Vec::new();
                for a in args.first().cloned().unwrap_or_default() {
                    let v = match &a.val {
                        Val::Str(spec) => self.module_value(spec, spec),
                        _ => self.unknown("require() of a computed name", span),
                    };
                    out.extend(gate(v, &a.cond));
                }
                out
            }
            Val::Extern { name, .. } | Val::Wrapped { via: name, .. } => {
                let inner = self.pick_config(args);
                if !inner.is_empty() && !self.wrappers.contains(name) {
                    self.wrappers.push(name.clone());
                }
                one(
                    Val::Wrapped {
                        via: name.clone(),
                        inner: Rc::new(inner),
                    },
                    here,
                )
            }
            Val::Builtin(b) => self.apply_builtin(b.clone(), args, span),
            // An unevaluated function applied to the config (`(await import('x')).default(config)`)
            // is treated as a wrapper when an argument is clearly the config object.
            Val::Unknown { .. } => {
                let inner = self.pick_config(args);
                let config_like = inner.iter().any(|a| match a.val {
                    Val::Obj(id) => self.heap.get(id).is_some_and(|o| {
                        o.props.iter().any(|p| {
                            matches!(
                                p.key.as_str(),
                                "cacheHandler" | "cacheHandlers" | "experimental"
                            )
                        })
                    }),
                    _ => false,
                });
                if config_like {
                    one(
                        Val::Wrapped {
                            via: "an unevaluated function".into(),
                            inner: Rc::new(inner),
                        },
                        here,
                    )
                } else {
                    one(f.clone(), here)
                }
            }
            other => self.unknown(format!("calling {}", describe_val(other)), span),
        }
    }

    fn module_value(&self, spec: &str, local: &str) -> Alts<'a> {
        match known_module(spec) {
            Some(m) => one(Val::Module(m), None),
            None => one(
                Val::Extern {
                    name: local.to_string(),
                    from: spec.to_string(),
                },
                None,
            ),
        }
    }

    /// The cartesian product of argument alternatives (bounded).
    fn product(&self, args: &[Alts<'a>]) -> Option<Vec<(Cond, Vec<Val<'a>>)>> {
        let mut acc: Vec<(Cond, Vec<Val<'a>>)> = vec![(Cond::True, Vec::new())];
        for a in args {
            let mut next = Vec::new();
            for (c, vals) in &acc {
                for alt in a {
                    let nc = c.and(&alt.cond);
                    if nc.is_false() {
                        continue;
                    }
                    let mut v = vals.clone();
                    v.push(alt.val.clone());
                    next.push((nc, v));
                    if next.len() > MAX_ALTS {
                        return None;
                    }
                }
            }
            acc = next;
        }
        Some(acc)
    }

    fn apply_builtin(&mut self, b: Builtin<'a>, args: &[Alts<'a>], span: Span) -> Alts<'a> {
        let s = self.sp(span);
        match b {
            Builtin::ObjectAssign => return self.object_assign(args, span),
            Builtin::Boolean => {
                let c = match args.first() {
                    Some(a) => self.alts_truthy(a, s),
                    None => Cond::False,
                };
                return Self::cond_to_bools(c, Some(s));
            }
            Builtin::ArrayReduce(items) => return self.reduce(&items, args, span),
            _ => {}
        }
        let Some(combos) = self.product(args) else {
            return self.unknown(
                format!("more than {MAX_ALTS} combinations of branches"),
                span,
            );
        };
        let mut out = Vec::new();
        for (c, vals) in combos {
            let v = self.apply_builtin_one(&b, &vals, s);
            out.push(Alt {
                cond: c,
                val: v,
                span: Some(s),
                origin: None,
            });
        }
        if out.is_empty() {
            out.push(Alt {
                cond: Cond::True,
                val: self.apply_builtin_one(&b, &[], s),
                span: Some(s),
                origin: None,
            });
        }
        out
    }

    fn apply_builtin_one(&self, b: &Builtin<'a>, vals: &[Val<'a>], s: SpanInfo) -> Val<'a> {
        let unknown = |reason: String| Val::Unknown { reason, span: s };
        let strs = |vals: &[Val<'a>]| -> Result<Vec<String>, String> {
            vals.iter()
                .map(|v| match v {
                    Val::Str(x) => Ok(x.clone()),
                    other => Err(describe_val(other)),
                })
                .collect()
        };
        match b {
            Builtin::RequireResolve { from_dir } => match vals.first() {
                Some(Val::Str(spec)) => {
                    // `require.resolve(x, { paths: [dir] })`
                    let mut dir = from_dir.clone();
                    if let Some(Val::Obj(id)) = vals.get(1) {
                        if let Some(p) = self.get_own(*id, "paths") {
                            match p.as_slice() {
                                [Alt {
                                    val: Val::Array(items),
                                    ..
                                }] => match items.first().map(|x| x.as_slice()) {
                                    Some(
                                        [Alt {
                                            val: Val::Str(d), ..
                                        }],
                                    ) => dir = d.clone(),
                                    _ => {
                                        return unknown(
                                            "require.resolve with computed `paths`".into(),
                                        )
                                    }
                                },
                                _ => {
                                    return unknown("require.resolve with computed `paths`".into())
                                }
                            }
                        }
                    }
                    Val::Resolved {
                        import_meta: false,
                        spec: spec.clone(),
                        from_dir: dir,
                        file_url: false,
                    }
                }
                Some(other) => unknown(format!("require.resolve of {}", describe_val(other))),
                None => unknown("require.resolve()".into()),
            },
            Builtin::ImportMetaResolve => match vals.first() {
                Some(Val::Str(spec)) => Val::Resolved {
                    import_meta: true,
                    spec: spec.clone(),
                    from_dir: self.config_dir.clone(),
                    file_url: true,
                },
                Some(other) => unknown(format!("import.meta.resolve of {}", describe_val(other))),
                None => unknown("import.meta.resolve()".into()),
            },
            Builtin::PathJoin | Builtin::PathResolve | Builtin::PathNormalize => match strs(vals) {
                Ok(parts) => match b {
                    Builtin::PathJoin => Val::Str(paths::join(&parts)),
                    Builtin::PathResolve => Val::Str(paths::resolve(&self.ctx.cwd, &parts)),
                    _ => Val::Str(paths::normalize(
                        parts.first().map(String::as_str).unwrap_or(""),
                    )),
                },
                Err(what) => unknown(format!("a path built from {what}")),
            },
            Builtin::PathDirname | Builtin::PathBasename => match vals.first() {
                Some(Val::Str(p)) => Val::Str(if matches!(b, Builtin::PathDirname) {
                    paths::dirname(p)
                } else {
                    paths::basename(p)
                }),
                Some(other) => unknown(format!("a path built from {}", describe_val(other))),
                None => unknown("path.dirname()".into()),
            },
            Builtin::FileUrlToPath => match vals.first() {
                Some(Val::Url(href)) | Some(Val::Str(href)) => {
                    match paths::file_url_to_path(href) {
                        Some(p) => Val::Str(p),
                        None => unknown(format!("fileURLToPath of '{href}'")),
                    }
                }
                Some(Val::Resolved {
                    import_meta: true,
                    spec,
                    from_dir,
                    ..
                }) => Val::Resolved {
                    import_meta: true,
                    spec: spec.clone(),
                    from_dir: from_dir.clone(),
                    file_url: false,
                },
                Some(other) => unknown(format!("fileURLToPath of {}", describe_val(other))),
                None => unknown("fileURLToPath()".into()),
            },
            Builtin::PathToFileUrl => match vals.first() {
                Some(Val::Str(p)) => {
                    let abs = if paths::is_absolute(p) {
                        p.clone()
                    } else {
                        paths::resolve(&self.ctx.cwd, std::slice::from_ref(p))
                    };
                    Val::Url(paths::path_to_file_url(&abs))
                }
                Some(Val::Resolved {
                    import_meta: true,
                    spec,
                    from_dir,
                    ..
                }) => Val::Resolved {
                    import_meta: true,
                    spec: spec.clone(),
                    from_dir: from_dir.clone(),
                    file_url: true,
                },
                Some(other) => unknown(format!("pathToFileURL of {}", describe_val(other))),
                None => unknown("pathToFileURL()".into()),
            },
            Builtin::UrlCtor => {
                let base = match vals.get(1) {
                    None => None,
                    Some(Val::Str(b)) | Some(Val::Url(b)) => Some(b.clone()),
                    Some(other) => {
                        return unknown(format!("new URL with base {}", describe_val(other)))
                    }
                };
                match vals.first() {
                    Some(Val::Str(spec)) | Some(Val::Url(spec)) => {
                        let joined = match base {
                            Some(b) => paths::url_join(spec, &b),
                            None if spec.starts_with("file:") => Some(spec.clone()),
                            None => None,
                        };
                        match joined {
                            Some(h) => Val::Url(h),
                            None => unknown(format!("new URL('{spec}', …) that is not a file URL")),
                        }
                    }
                    Some(
                        r @ Val::Resolved {
                            import_meta: true,
                            file_url: true,
                            ..
                        },
                    ) => r.clone(),
                    Some(other) => unknown(format!("new URL of {}", describe_val(other))),
                    None => unknown("new URL()".into()),
                }
            }
            Builtin::UrlToString(href) => Val::Str(href.clone()),
            Builtin::CreateRequire => match vals.first() {
                Some(Val::Str(p)) | Some(Val::Url(p)) => {
                    let file = if p.starts_with("file:") {
                        paths::file_url_to_path(p)
                    } else {
                        Some(p.clone())
                    };
                    match file {
                        Some(f) => Val::Require {
                            from_dir: paths::dirname(&f),
                        },
                        None => unknown("createRequire of a non-file URL".into()),
                    }
                }
                Some(other) => unknown(format!("createRequire of {}", describe_val(other))),
                None => unknown("createRequire()".into()),
            },
            Builtin::ProcessCwd => Val::Str(self.ctx.cwd.clone()),
            Builtin::StringFn => match vals.first() {
                Some(v) => match to_str(v) {
                    Some(x) => Val::Str(x),
                    None => unknown(format!("String() of {}", describe_val(v))),
                },
                None => Val::Str(String::new()),
            },
            Builtin::ObjectAssign | Builtin::Boolean | Builtin::ArrayReduce(_) => {
                unknown("unreachable".into())
            }
        }
    }

    fn object_assign(&mut self, args: &[Alts<'a>], span: Span) -> Alts<'a> {
        let Some(target) = args.first() else {
            return self.unknown("Object.assign()", span);
        };
        for t in target.clone() {
            if let Val::Obj(id) = t.val {
                for src in &args[1..] {
                    self.spread_into(id, gate(src.clone(), &t.cond), span);
                }
            }
        }
        target.clone()
    }

    fn reduce(&mut self, items: &[Alts<'a>], args: &[Alts<'a>], span: Span) -> Alts<'a> {
        let Some(f) = args.first().cloned() else {
            return self.unknown("reduce() without a function", span);
        };
        let (mut acc, rest) = match args.get(1) {
            Some(init) => (init.clone(), items),
            None => match items.split_first() {
                Some((first, rest)) => (first.clone(), rest),
                None => return self.unknown("reduce() of an empty array", span),
            },
        };
        for (i, item) in rest.iter().enumerate() {
            let idx = one(Val::Num(i as f64), None);
            acc = self.call(f.clone(), vec![acc, item.clone(), idx], span);
        }
        acc
    }

    fn call_closure(&mut self, c: &Closure<'a>, args: Vec<Alts<'a>>, span: Span) -> Alts<'a> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return self.unknown("calls nested too deeply", span);
        }
        self.call_depth += 1;
        let scope = Scope::new(Some(c.scope.clone()));
        let saved_pc = self.pc.clone();
        for (i, p) in c.params.iter().enumerate() {
            let v = args
                .get(i)
                .cloned()
                .unwrap_or_else(|| one(Val::Undefined, None));
            self.bind_pat(p, v, &scope);
        }
        let r = match c.body {
            Body::Expr(e) => self.eval(e, &scope),
            Body::Stmts(stmts) => {
                let mut flow = Flow {
                    returns: Vec::new(),
                    returned: Cond::False,
                };
                // The body runs under the caller's condition: its mutations are conditional too.
                self.exec_stmts(stmts, &scope, &saved_pc, &mut flow);
                let fall = saved_pc.and(&flow.returned.not());
                let mut out = flow.returns;
                if !fall.is_false() {
                    out.push(Alt {
                        cond: fall,
                        val: Val::Undefined,
                        span: None,
                        origin: None,
                    });
                }
                out
            }
        };
        self.pc = saved_pc;
        self.call_depth -= 1;
        r
    }

    // ---------------------------------------------------------------- bindings

    fn bind_pat(&mut self, p: &'a Pat, v: Alts<'a>, scope: &ScopeRef<'a>) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match p {
            Pat::Ident(i) => scope.declare(&i.id.sym, v),
            Pat::Assign(a) => {
                let v = self.with_default(v, &a.right, scope);
                self.bind_pat(&a.left, v, scope);
            }
            Pat::Object(o) => {
                for prop in &o.props {
                    match prop {
                        ObjectPatProp::KeyValue(kv) => {
                            let key = prop_name_str(&kv.key);
                            let pv = self.get_member(v.clone(), key, kv.value.span());
                            self.bind_pat(&kv.value, pv, scope);
                        }
                        ObjectPatProp::Assign(a) => {
                            let pv =
                                self.get_member(v.clone(), Some(a.key.sym.to_string()), a.span);
                            let pv = match &a.value {
                                Some(d) => self.with_default(pv, d, scope),
                                None => pv,
                            };
                            scope.declare(&a.key.sym, pv);
                        }
                        ObjectPatProp::Rest(r) => {
                            let u = self.unknown("an object rest pattern", r.span);
                            self.bind_pat(&r.arg, u, scope);
                        }
                        #[cfg(swc_ast_unknown)]
                        _ => {}
                    }
                }
            }
            Pat::Array(a) => {
                for (i, el) in a.elems.iter().enumerate() {
                    if let Some(el) = el {
                        let item = match v.as_slice() {
                            [Alt {
                                val: Val::Array(items),
                                ..
                            }] => items
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| one(Val::Undefined, None)),
                            _ => self.unknown("an array pattern", el.span()),
                        };
                        self.bind_pat(el, item, scope);
                    }
                }
            }
            Pat::Rest(r) => {
                let u = self.unknown("a rest pattern", r.span);
                self.bind_pat(&r.arg, u, scope);
            }
            _ => {}
        }
        self.depth -= 1;
    }

    fn with_default(&mut self, v: Alts<'a>, d: &'a Expr, scope: &ScopeRef<'a>) -> Alts<'a> {
        let mut out = Vec::new();
        let mut undef = Cond::False;
        for a in v {
            match &a.val {
                Val::Undefined => undef = undef.or(&a.cond),
                // `const { X = 'd' } = process.env`: the default applies when X is undefined.
                Val::Env(var) => {
                    let defined = atom(Atom::EnvDefined { var: var.clone() });
                    undef = undef.or(&a.cond.and(&defined.not()));
                    let c = a.cond.and(&defined);
                    if !c.is_false() {
                        out.push(Alt { cond: c, ..a });
                    }
                }
                _ => out.push(a),
            }
        }
        if !undef.is_false() {
            let dv = self.eval(d, scope);
            out.extend(gate(dv, &undef));
        }
        out
    }

    fn eval_assign(&mut self, a: &'a AssignExpr, scope: &ScopeRef<'a>) -> Alts<'a> {
        let rhs_span = self.sp(a.right.span());
        let assign_span = self.sp(a.span);
        let current = |this: &mut Self| -> Alts<'a> {
            match &a.left {
                AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => {
                    this.lookup(&i.id.sym, i.id.span, scope)
                }
                AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                    let obj = this.eval(&m.obj, scope);
                    let key = this.member_key(&m.prop, scope);
                    this.get_member(obj, key, m.span)
                }
                _ => this.unknown("an assignment target", a.span),
            }
        };
        let value = match a.op {
            AssignOp::Assign => self.eval(&a.right, scope),
            AssignOp::AndAssign | AssignOp::OrAssign | AssignOp::NullishAssign => {
                let l = current(self);
                let op = match a.op {
                    AssignOp::AndAssign => BinaryOp::LogicalAnd,
                    AssignOp::OrAssign => BinaryOp::LogicalOr,
                    _ => BinaryOp::NullishCoalescing,
                };
                self.logical(op, l, assign_span, |this| this.eval(&a.right, scope))
            }
            _ => self.unknown("a compound assignment", a.span),
        };
        let origin = Origin {
            prop: assign_span,
            value: rhs_span,
            expr: Some(&a.right),
        };
        let pc = self.pc.clone();
        match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => {
                let name = i.id.sym.to_string();
                let merged = if pc.is_true() {
                    value.clone()
                } else {
                    let old = self.lookup(&name, i.id.span, scope);
                    let mut m = gate(value.clone(), &pc);
                    m.extend(gate(old, &pc.not()));
                    m
                };
                let merged = self.cap(merged, a.span);
                if !scope.assign(&name, merged.clone()) {
                    scope.declare(&name, merged);
                }
            }
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                let obj = self.eval(&m.obj, scope);
                let key = self.member_key(&m.prop, scope);
                let tagged = with_origin(value.clone(), origin);
                for o in obj {
                    match (&o.val, &key) {
                        (Val::Obj(id), Some(k)) => {
                            let c = pc.and(&o.cond);
                            self.set_prop(*id, k, tagged.clone(), &c);
                        }
                        (Val::Obj(id), None) => {
                            if let Some(ob) = self.heap.get_mut(*id) {
                                ob.unknown_spread = true;
                            }
                            if !self.unknown_spreads.contains(&assign_span) {
                                self.unknown_spreads.push(assign_span);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        value
    }

    // ---------------------------------------------------------------- statements

    fn hoist(&mut self, stmts: &'a [Stmt], scope: &ScopeRef<'a>) {
        for s in stmts {
            if let Stmt::Decl(Decl::Fn(f)) = s {
                let v = self.make_fn(&f.function, scope);
                scope.declare(&f.ident.sym, one(v, Some(self.sp(f.ident.span))));
            }
        }
    }

    fn exec_stmts(
        &mut self,
        stmts: &'a [Stmt],
        scope: &ScopeRef<'a>,
        pc: &Cond,
        flow: &mut Flow<'a>,
    ) {
        self.hoist(stmts, scope);
        for s in stmts {
            let live = pc.and(&flow.returned.not());
            if live.is_false() || self.budget_hit {
                break;
            }
            self.exec_stmt(s, scope, &live, flow);
        }
    }

    fn exec_stmt(&mut self, s: &'a Stmt, scope: &ScopeRef<'a>, pc: &Cond, flow: &mut Flow<'a>) {
        if self.depth > MAX_DEPTH || self.over_budget() {
            return;
        }
        self.depth += 1;
        self.pc = pc.clone();
        match s {
            Stmt::Expr(e) => {
                self.eval(&e.expr, scope);
            }
            Stmt::Decl(d) => self.exec_decl(d, scope),
            Stmt::Block(b) => {
                let inner = Scope::new(Some(scope.clone()));
                self.exec_stmts(&b.stmts, &inner, pc, flow);
            }
            Stmt::If(i) => {
                let t = self.eval_cond(&i.test, scope);
                let yes = pc.and(&t);
                if !yes.is_false() {
                    let inner = Scope::new(Some(scope.clone()));
                    self.exec_stmt(&i.cons, &inner, &yes, flow);
                }
                if let Some(alt) = &i.alt {
                    let no = pc.and(&t.not());
                    if !no.is_false() {
                        let inner = Scope::new(Some(scope.clone()));
                        self.exec_stmt(alt, &inner, &no, flow);
                    }
                }
            }
            Stmt::Return(r) => {
                let v = match &r.arg {
                    Some(e) => self.eval(e, scope),
                    None => one(Val::Undefined, Some(self.sp(r.span))),
                };
                let live = pc.and(&flow.returned.not());
                flow.returns.extend(gate(v, &live));
                if flow.returns.len() > MAX_ALTS {
                    flow.returns = self.unknown("too many return branches", r.span);
                }
                flow.returned = flow.returned.or(&live);
            }
            Stmt::Throw(_) => {
                flow.returned = flow.returned.or(pc);
            }
            Stmt::Try(t) => {
                let inner = Scope::new(Some(scope.clone()));
                self.exec_stmts(&t.block.stmts, &inner, pc, flow);
                if t.handler.is_some() {
                    self.notes.push("a `catch` block was not evaluated".into());
                }
                if let Some(f) = &t.finalizer {
                    let inner = Scope::new(Some(scope.clone()));
                    self.exec_stmts(&f.stmts, &inner, pc, flow);
                }
            }
            Stmt::Empty(_) | Stmt::Debugger(_) => {}
            Stmt::Switch(sw) => self.exec_switch(sw, scope, pc, flow),
            Stmt::For(_) | Stmt::ForIn(_) | Stmt::ForOf(_) | Stmt::While(_) | Stmt::DoWhile(_) => {
                self.notes.push("a loop was not evaluated".into())
            }
            _ => {}
        }
        self.pc = pc.clone();
        self.depth -= 1;
    }

    /// `switch`: each case is entered when its test is the first to equal the discriminant
    /// (`default` when none does) and runs, falling through, until a top-level `break`.
    fn exec_switch(
        &mut self,
        sw: &'a SwitchStmt,
        scope: &ScopeRef<'a>,
        pc: &Cond,
        flow: &mut Flow<'a>,
    ) {
        let span = self.sp(sw.span);
        let disc = self.eval(&sw.discriminant, scope);
        let mut prior = Cond::False;
        let mut entries: Vec<Cond> = Vec::with_capacity(sw.cases.len());
        let mut default_idx = None;
        for (i, case) in sw.cases.iter().enumerate() {
            match &case.test {
                Some(t) => {
                    let tv = self.eval(t, scope);
                    let mut eq = Cond::False;
                    for a in &disc {
                        for b in &tv {
                            let e = self.strict_eq(&a.val, &b.val, false, span);
                            eq = eq.or(&a.cond.and(&b.cond).and(&e));
                        }
                    }
                    entries.push(eq.and(&prior.not()));
                    prior = prior.or(&eq);
                }
                None => {
                    default_idx = Some(i);
                    entries.push(Cond::False);
                }
            }
        }
        if let Some(d) = default_idx {
            entries[d] = prior.not();
        }
        let inner = Scope::new(Some(scope.clone()));
        for (i, entry) in entries.iter().enumerate() {
            let c = pc.and(entry);
            if c.is_false() {
                continue;
            }
            'cases: for case in &sw.cases[i..] {
                for st in &case.cons {
                    if matches!(st, Stmt::Break(b) if b.label.is_none()) {
                        break 'cases;
                    }
                    let live = c.and(&flow.returned.not());
                    if live.is_false() {
                        break 'cases;
                    }
                    self.exec_stmt(st, &inner, &live, flow);
                }
            }
        }
    }

    fn exec_decl(&mut self, d: &'a Decl, scope: &ScopeRef<'a>) {
        match d {
            Decl::Var(v) => {
                for decl in &v.decls {
                    let val = match &decl.init {
                        Some(e) => self.eval(e, scope),
                        None => one(Val::Undefined, None),
                    };
                    self.bind_pat(&decl.name, val, scope);
                }
            }
            Decl::Fn(f) => {
                let v = self.make_fn(&f.function, scope);
                scope.declare(&f.ident.sym, one(v, Some(self.sp(f.ident.span))));
            }
            Decl::Class(c) => {
                let u = self.unknown("a class", c.ident.span);
                scope.declare(&c.ident.sym, u);
            }
            _ => {}
        }
    }
}

trait IntoCond {
    fn into_cond(self) -> Cond;
}

impl IntoCond for bool {
    fn into_cond(self) -> Cond {
        if self {
            Cond::True
        } else {
            Cond::False
        }
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

// -------------------------------------------------------------------- top level

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

/// Per full key, the (config condition, value alternatives) of every config branch.
fn extract_refs<'a>(it: &mut Interp<'a, '_>, configs: &[(Cond, ObjId)]) -> Vec<HandlerRef> {
    // key -> list of (cond of the config branch, alts or None when absent)
    let mut per_key: PerKey<'a> = Vec::new();
    fn add_to<'a>(per_key: &mut PerKey<'a>, key: HandlerKey, c: &Cond, alts: Option<Alts<'a>>) {
        if let Some(slot) = per_key.iter_mut().find(|(k, _)| *k == key) {
            slot.1.push((c.clone(), alts));
        } else {
            per_key.push((key, vec![(c.clone(), alts)]));
        }
    }
    let present = |alts: &Option<Alts<'a>>| -> Option<Alts<'a>> {
        alts.as_ref()
            .filter(|a| {
                a.iter()
                    .any(|x| !matches!(x.val, Val::Undefined) || x.origin.is_some())
            })
            .cloned()
    };

    // `cacheHandlers` objects per branch: (experimental, condition, the object if any).
    let mut shapes: Vec<(bool, Cond, Option<ObjId>)> = Vec::new();
    for (c, id) in configs {
        let top = it.get_own(*id, "cacheHandler");
        add_to(&mut per_key, HandlerKey::CacheHandler, c, present(&top));
        let exp = it
            .get_own(*id, "experimental")
            .unwrap_or_else(|| one(Val::Undefined, None));
        for e in &exp {
            let ec = c.and(&e.cond);
            if ec.is_false() {
                continue;
            }
            if let Val::Obj(eid) = e.val {
                let l = it.get_own(eid, "incrementalCacheHandlerPath");
                add_to(
                    &mut per_key,
                    HandlerKey::LegacyIncrementalCacheHandlerPath,
                    &ec,
                    present(&l),
                );
                collect_handlers(
                    it,
                    eid,
                    &ec,
                    true,
                    &mut |k, c, a| add_to(&mut per_key, k, c, a),
                    &mut shapes,
                );
            } else {
                add_to(
                    &mut per_key,
                    HandlerKey::LegacyIncrementalCacheHandlerPath,
                    &ec,
                    None,
                );
                shapes.push((true, ec, None));
            }
        }
        collect_handlers(
            it,
            *id,
            c,
            false,
            &mut |k, c, a| add_to(&mut per_key, k, c, a),
            &mut shapes,
        );
    }
    // A kind that some branch names is absent on the branches whose object lacks it.
    let kinds: Vec<(bool, String)> = per_key_kinds(&per_key);
    for (experimental, kind) in kinds {
        for (e, c, obj) in &shapes {
            if *e != experimental {
                continue;
            }
            let has = obj.is_some_and(|o| it.get_own(o, &kind).is_some());
            if !has {
                add_to(
                    &mut per_key,
                    HandlerKey::CacheHandlers {
                        kind: kind.clone(),
                        experimental,
                    },
                    c,
                    None,
                );
            }
        }
    }

    let mut refs: Vec<HandlerRef> = Vec::new();
    for (key, branches) in per_key {
        if branches.iter().all(|(_, a)| a.is_none()) {
            continue;
        }
        let first_ref = refs.len();
        let mut absent = Cond::False;
        for (c, alts) in &branches {
            let Some(alts) = alts else {
                absent = absent.or(c);
                continue;
            };
            for a in alts {
                let cond = c.and(&a.cond);
                if cond.is_false() {
                    continue;
                }
                let Some(origin) = a.origin else {
                    absent = absent.or(&cond);
                    continue;
                };
                let idx = match refs[first_ref..].iter().position(|r| r.span == origin.prop) {
                    Some(i) => first_ref + i,
                    None => {
                        refs.push(HandlerRef {
                            key: key.clone(),
                            span: origin.prop,
                            value_span: origin.value,
                            candidates: Vec::new(),
                            form: origin.expr.map(classify).unwrap_or(Form::Identifier),
                        });
                        refs.len() - 1
                    }
                };
                for (extra, value) in to_candidates(&a.val, &key, origin.value) {
                    push_candidate(&mut refs[idx].candidates, value, cond.and(&extra), a.span);
                }
            }
        }
        if refs.len() > first_ref && !absent.is_false() {
            let v = unset_value(&key);
            push_candidate(&mut refs[first_ref].candidates, v, absent, None);
        }
    }
    refs
}

fn per_key_kinds(per_key: &PerKey<'_>) -> Vec<(bool, String)> {
    per_key
        .iter()
        .filter_map(|(k, _)| match k {
            HandlerKey::CacheHandlers { kind, experimental } if kind != "*" => {
                Some((*experimental, kind.clone()))
            }
            _ => None,
        })
        .collect()
}

fn collect_handlers<'a>(
    it: &mut Interp<'a, '_>,
    obj: ObjId,
    c: &Cond,
    experimental: bool,
    add: &mut impl FnMut(HandlerKey, &Cond, Option<Alts<'a>>),
    shapes: &mut Vec<(bool, Cond, Option<ObjId>)>,
) {
    let ch = it
        .get_own(obj, "cacheHandlers")
        .unwrap_or_else(|| one(Val::Undefined, None));
    for alt in ch {
        let cc = c.and(&alt.cond);
        if cc.is_false() {
            continue;
        }
        match alt.val {
            Val::Obj(hid) => {
                shapes.push((experimental, cc.clone(), Some(hid)));
                let props: Vec<(String, Alts<'a>)> = it
                    .heap
                    .get(hid)
                    .map(|o| {
                        o.props
                            .iter()
                            .map(|p| (p.key.clone(), p.alts.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                for (kind, alts) in props {
                    add(
                        HandlerKey::CacheHandlers { kind, experimental },
                        &cc,
                        Some(alts),
                    );
                }
            }
            Val::Undefined | Val::Null => shapes.push((experimental, cc.clone(), None)),
            _ => {
                let origin = alt.origin;
                let span = alt.span.unwrap_or(SpanInfo { lo: 0, hi: 0 });
                let v = Alt {
                    cond: Cond::True,
                    val: Val::Unknown {
                        reason: format!("cacheHandlers is {}", describe_val(&alt.val)),
                        span,
                    },
                    span: Some(span),
                    origin,
                };
                add(
                    HandlerKey::CacheHandlers {
                        kind: "*".into(),
                        experimental,
                    },
                    &cc,
                    Some(vec![v]),
                );
            }
        }
    }
}

fn unset_value(key: &HandlerKey) -> CandidateValue {
    match key.env_default_var() {
        Some(var) => CandidateValue::EnvDefault { var: var.into() },
        None => CandidateValue::Unset,
    }
}

fn push_candidate(
    list: &mut Vec<Candidate>,
    value: CandidateValue,
    cond: Cond,
    span: Option<SpanInfo>,
) {
    if cond.is_false() {
        return;
    }
    if let Some(existing) = list.iter_mut().find(|c| c.value == value) {
        let old = existing
            .condition
            .take()
            .map(|c| c.expr)
            .unwrap_or(Cond::True);
        let merged = old.or(&cond);
        existing.condition = to_condition(merged);
        return;
    }
    list.push(Candidate {
        value,
        condition: to_condition(cond),
        span,
    });
}

fn to_condition(c: Cond) -> Option<Condition> {
    if c.is_true() {
        None
    } else {
        Some(Condition {
            text: c.text(),
            expr: c,
        })
    }
}

fn to_candidates(
    v: &Val<'_>,
    key: &HandlerKey,
    value_span: SpanInfo,
) -> Vec<(Cond, CandidateValue)> {
    let unknown = |reason: String| CandidateValue::Unknown {
        reason,
        span: value_span,
    };
    let v = match v {
        Val::Str(s) => {
            if s.starts_with("file:") {
                CandidateValue::FileUrl { url: s.clone() }
            } else if paths::is_absolute(s) {
                CandidateValue::Absolute { path: s.clone() }
            } else if s.is_empty() {
                CandidateValue::Unset
            } else {
                CandidateValue::PlainRelative { path: s.clone() }
            }
        }
        Val::Env(var) => {
            let set = Cond::atom(Atom::EnvSet { var: var.clone() });
            return vec![
                (set.clone(), CandidateValue::EnvValue { var: var.clone() }),
                (set.not(), unset_value(key)),
            ];
        }
        // `assignDefaults` skips only undefined/null: `false` and '' override the env default.
        Val::Undefined | Val::Null => unset_value(key),
        Val::Bool(false) => CandidateValue::Unset,
        Val::Resolved {
            import_meta: false,
            spec,
            from_dir,
            ..
        } => CandidateValue::RequireResolve {
            specifier: spec.clone(),
            from_dir: from_dir.clone(),
        },
        Val::Resolved {
            import_meta: true,
            spec,
            from_dir,
            file_url,
        } => CandidateValue::ImportMetaResolve {
            specifier: spec.clone(),
            from_dir: from_dir.clone(),
            file_url: *file_url,
        },
        Val::Url(href) => CandidateValue::FileUrl { url: href.clone() },
        Val::Unknown { reason, span } => CandidateValue::Unknown {
            reason: reason.clone(),
            span: *span,
        },
        Val::Extern { name, from } => unknown(format!(
            "`{name}` imported from '{from}', which is not followed"
        )),
        Val::Wrapped { via, inner } if inner.is_empty() => unknown(format!(
            "the result of calling `{via}`, which is not evaluated"
        )),
        other => unknown(format!("not a path: {}", describe_val(other))),
    };
    vec![(Cond::True, v)]
}

fn callee_name(e: &Expr) -> String {
    match e {
        Expr::Ident(i) => i.sym.to_string(),
        Expr::Member(m) => {
            let prop = match &m.prop {
                MemberProp::Ident(i) => i.sym.to_string(),
                _ => "[]".into(),
            };
            format!("{}.{}", callee_name(&m.obj), prop)
        }
        Expr::MetaProp(_) => "import.meta".into(),
        Expr::Paren(p) => callee_name(&p.expr),
        _ => "?".into(),
    }
}

fn classify(e: &Expr) -> Form {
    match e {
        Expr::Paren(p) => classify(&p.expr),
        Expr::TsAs(x) => classify(&x.expr),
        Expr::TsSatisfies(x) => classify(&x.expr),
        Expr::TsNonNull(x) => classify(&x.expr),
        Expr::Await(x) => classify(&x.arg),
        Expr::Lit(Lit::Str(_)) => Form::StringLiteral,
        Expr::Tpl(_) => Form::Template,
        Expr::Bin(b) => match b.op {
            BinaryOp::Add => Form::Concat,
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::NullishCoalescing => {
                Form::Conditional
            }
            _ => Form::Other,
        },
        Expr::Cond(_) => Form::Conditional,
        Expr::Ident(_) => Form::Identifier,
        Expr::New(_) => Form::NewUrl,
        Expr::Member(m) => {
            let name = callee_name(&m.obj);
            if name == "process.env" {
                Form::Env
            } else if matches!(&*m.obj, Expr::New(_)) {
                Form::NewUrl
            } else {
                Form::Member
            }
        }
        Expr::Call(c) => match &c.callee {
            Callee::Expr(callee) => {
                let name = callee_name(callee);
                if name.ends_with("require.resolve")
                    || name.ends_with(").resolve")
                    || name == "?.resolve"
                {
                    Form::RequireResolve
                } else if name == "import.meta.resolve" {
                    Form::ImportMetaResolve
                } else if name.ends_with("fileURLToPath") {
                    Form::FileUrlToPath
                } else if name.starts_with("path.")
                    || matches!(name.as_str(), "join" | "resolve" | "dirname")
                    || name.ends_with(".join")
                    || name.ends_with(".resolve")
                {
                    if name.ends_with(".resolve") && !name.starts_with("path.") {
                        Form::RequireResolve
                    } else {
                        Form::PathCall
                    }
                } else {
                    Form::Call
                }
            }
            _ => Form::Call,
        },
        _ => Form::Other,
    }
}
