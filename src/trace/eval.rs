//! A small, bounded static evaluator for specifiers and paths.
//!
//! It knows strings, templates, `+`, conditionals (every arm), `path.join/resolve/dirname`,
//! `__dirname`, `__filename`, `import.meta.url/dirname/filename`, `new URL(…, import.meta.url)`,
//! `fileURLToPath`, `process.cwd()`, `process.env.X` (unknown), `require`/`createRequire` and the
//! bindings of `fs`, `path`, `url` and `module`, and local `const` bindings. Unknown parts of a
//! string become wildcards (a glob); fully unknown values say why. Every evaluation has a step
//! budget and a depth limit: nft's `.concat()` evaluation is exponential (nft #314), ours is not.

use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::path::{Path, PathBuf};

use swc_core::atoms::Atom;
use swc_core::ecma::ast::*;

use crate::layout::normalize;

/// At most this many alternatives (conditional arms) per value; more collapse to unknown.
const MAX_ALTS: usize = 16;
/// Evaluation steps per top-level evaluation.
const BUDGET: usize = 4_000;
/// Nesting depth of one evaluation (const chains, nested expressions).
const MAX_DEPTH: usize = 48;
/// At most this many wildcards in one pattern (matching cost is polynomial in it).
const MAX_WILDS: usize = 4;

/// A piece of a partially static string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seg {
    Lit(String),
    Wild,
}

/// Known objects and functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Known {
    Fs,
    FsFn(String),
    Path,
    PathFn(String),
    UrlMod,
    FileUrlToPath,
    PathToFileUrl,
    UrlCtor,
    /// The `module` builtin (`import module from 'module'`).
    Module,
    CreateRequire,
    ModuleRegister,
    /// The CommonJS `module` object (for `module.require`).
    ModuleObj,
    /// A require function; `Some(dir)` for `createRequire(...)` (resolve from `dir`).
    Require(Option<PathBuf>),
    RequireResolve(Option<PathBuf>),
    ImportMeta,
    /// `import.meta.resolve`: an ESM resolution whose target is usually loaded next.
    ImportMetaResolve,
    Process,
    ProcessEnv,
    ProcessCwd,
    Bindings,
    NodeGypBuild,
    /// `pino` (its default export is the logger factory).
    Pino,
    /// `pino.transport({ target })`: `target` is loaded in a worker.
    PinoTransport,
    WorkerThreads,
    /// `new Worker(file)` of `worker_threads`: `file` is loaded as a module.
    WorkerCtor,
}

/// A value: a string, a pattern, a file URL, a known object, or unknown (with why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum V {
    Str(String),
    /// A string with unknown parts (at least one `Wild`).
    Pat(Vec<Seg>),
    /// A `file:` URL (`import.meta.url`, `new URL(…)`): the path, as a `Str` or a `Pat`.
    Url(Box<V>),
    Obj(Known),
    Unknown(String),
}

/// What a name is bound to in some scope.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// `const x = <expr>` (also `let`/`var`: reassignment is not tracked).
    Init(Box<Expr>),
    /// `const { k: x } = <expr>`.
    Member(Box<Expr>, String),
    /// `import x from 'src'` (None: default or namespace) / `import { k as x } from 'src'`.
    Import(String, Option<String>),
    /// Anything else: a local that shadows a global of the same name.
    Local,
}

pub(crate) type Scope = FxHashMap<Atom, Binding>;

pub(crate) struct Evaluator<'a> {
    scopes: &'a [Scope],
    file: &'a Path,
    dir: &'a Path,
    cwd: Option<&'a Path>,
    budget: Cell<usize>,
    /// Set when a value was computed from `file`, `dir` or `cwd` (`__dirname`, `import.meta.url`,
    /// `process.cwd()`, …): the edges then depend on where the file is, not only on its text.
    located: &'a Cell<bool>,
}

/// The builtin (or well-known) module a specifier names, as a known object.
pub(crate) fn module_known(spec: &str) -> Option<Known> {
    let spec = spec.strip_prefix("node:").unwrap_or(spec);
    Some(match spec {
        "fs" | "fs/promises" | "fs-extra" | "graceful-fs" => Known::Fs,
        "path" | "path/posix" => Known::Path,
        "url" => Known::UrlMod,
        "module" => Known::Module,
        "process" => Known::Process,
        "bindings" => Known::Bindings,
        "node-gyp-build" => Known::NodeGypBuild,
        "worker_threads" => Known::WorkerThreads,
        "pino" => Known::Pino,
        _ => return None,
    })
}

pub(crate) fn str_value(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

pub(crate) fn prop_name(p: &PropName) -> Option<String> {
    match p {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(str_value(s)),
        _ => None,
    }
}

/// The path a `file:` URL names, as the evaluator's slash text (`/C:/app/x.js` on Windows).
pub(crate) fn file_url_to_slash(url: &str) -> Option<String> {
    next_graft_config::file_url_to_path(url)
}

/// `tslib`/Babel/SWC/esbuild helpers around `require(...)`, called directly or as `tslib.x`.
fn is_interop_helper(callee: &Expr) -> bool {
    let name = match callee {
        Expr::Ident(i) => &i.sym,
        Expr::Member(m) => match &m.prop {
            MemberProp::Ident(p) => &p.sym,
            _ => return false,
        },
        _ => return false,
    };
    matches!(
        &**name,
        "__importDefault"
            | "__importStar"
            | "__toESM"
            | "_interopRequireDefault"
            | "_interopRequireWildcard"
            | "_interop_require_default"
            | "_interop_require_wildcard"
    )
}

fn concat(a: &V, b: &V) -> V {
    let segs = |v: &V| -> Vec<Seg> {
        match v {
            V::Str(s) => vec![Seg::Lit(s.clone())],
            V::Pat(p) => p.clone(),
            V::Url(inner) => match inner.as_ref() {
                V::Str(s) => vec![Seg::Lit(format!("file://{s}"))],
                V::Pat(p) => {
                    let mut out = vec![Seg::Lit("file://".into())];
                    out.extend(p.iter().cloned());
                    out
                }
                _ => vec![Seg::Wild],
            },
            _ => vec![Seg::Wild],
        }
    };
    let mut all = segs(a);
    all.extend(segs(b));
    pattern(all)
}

/// Merge adjacent literals and wildcards; a pattern without wildcard is a plain string.
pub(crate) fn pattern(segs: Vec<Seg>) -> V {
    let mut out: Vec<Seg> = Vec::new();
    for s in segs {
        match (out.last_mut(), s) {
            (Some(Seg::Lit(prev)), Seg::Lit(l)) => prev.push_str(&l),
            (Some(Seg::Wild), Seg::Wild) => {}
            (_, Seg::Lit(l)) if l.is_empty() => {}
            (_, s) => out.push(s),
        }
    }
    let wilds = out.iter().filter(|s| matches!(s, Seg::Wild)).count();
    match out.as_slice() {
        [] => V::Str(String::new()),
        [Seg::Lit(l)] => V::Str(l.clone()),
        _ if wilds > MAX_WILDS => V::Unknown("too many unknown parts".into()),
        _ => V::Pat(out),
    }
}

/// `path.join` on strings/patterns, then lexical normalization (wildcards kept as components).
fn path_join(parts: &[V]) -> V {
    let mut segs: Vec<Seg> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            segs.push(Seg::Lit("/".into()));
        }
        match p {
            V::Str(s) => segs.push(Seg::Lit(s.clone())),
            V::Pat(ps) => segs.extend(ps.iter().cloned()),
            _ => segs.push(Seg::Wild),
        }
    }
    normalize_pattern(pattern(segs))
}

/// Lexically normalize the path of a string or pattern (`a/./b/../c` → `a/c`, `//` → `/`).
pub(crate) fn normalize_pattern(v: V) -> V {
    const WILD: char = '\u{0}';
    let joined = match &v {
        V::Str(s) => s.clone(),
        V::Pat(p) => p
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.clone(),
                Seg::Wild => WILD.to_string(),
            })
            .collect(),
        _ => return v,
    };
    let absolute = joined.starts_with('/');
    let relative_dot = joined.starts_with("./");
    let mut comps: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if matches!(comps.last(), Some(last) if *last != ".." && !last.contains(WILD)) {
                    comps.pop();
                } else if !absolute {
                    comps.push("..");
                }
            }
            other => comps.push(other),
        }
    }
    let mut s = comps.join("/");
    if joined.ends_with('/') && !s.is_empty() {
        s.push('/');
    }
    if absolute {
        s.insert(0, '/');
    } else if relative_dot && !s.starts_with("..") {
        s.insert_str(0, "./");
    }
    let mut segs = Vec::new();
    for (i, piece) in s.split(WILD).enumerate() {
        if i > 0 {
            segs.push(Seg::Wild);
        }
        segs.push(Seg::Lit(piece.to_string()));
    }
    pattern(segs)
}

/// A real path as evaluator text ([`crate::platform::path_to_slash`]).
pub(crate) fn slash(path: &Path) -> String {
    crate::platform::path_to_slash(path).into_owned()
}

/// Evaluator text as a real path ([`crate::platform::slash_to_path`]).
pub(crate) fn unslash(text: &str) -> PathBuf {
    crate::platform::slash_to_path(text)
}

fn parent_of(v: &V) -> V {
    match v {
        V::Str(s) => V::Str(
            Path::new(s)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        _ => V::Unknown("dirname of an unknown path".into()),
    }
}

fn alts_cap(mut v: Vec<V>) -> Vec<V> {
    v.dedup();
    if v.len() > MAX_ALTS {
        vec![V::Unknown("too many alternatives".into())]
    } else {
        v
    }
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        scopes: &'a [Scope],
        file: &'a Path,
        dir: &'a Path,
        cwd: Option<&'a Path>,
        located: &'a Cell<bool>,
    ) -> Self {
        Self {
            scopes,
            file,
            dir,
            cwd,
            budget: Cell::new(BUDGET),
            located,
        }
    }

    /// The file's path, directory and the run-time cwd, as strings; each read marks the result
    /// as location-dependent.
    fn file_str(&self) -> String {
        self.located.set(true);
        slash(self.file)
    }

    fn dir_str(&self) -> String {
        self.located.set(true);
        slash(self.dir)
    }

    fn cwd(&self) -> Option<&'a Path> {
        self.located.set(true);
        self.cwd
    }

    fn lookup(&self, name: &Atom) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// Every value `e` may have (all arms of conditionals), bounded.
    pub(crate) fn eval(&self, e: &Expr) -> Vec<V> {
        self.eval_d(e, 0)
    }

    /// The single value of `e` (the first arm when there are several).
    pub(crate) fn eval_one(&self, e: &Expr) -> V {
        self.eval_d(e, 0)
            .into_iter()
            .next()
            .unwrap_or(V::Unknown("no value".into()))
    }

    fn one(&self, e: &Expr, depth: usize) -> V {
        let mut v = self.eval_d(e, depth);
        if v.len() == 1 {
            v.pop().unwrap_or(V::Unknown("no value".into()))
        } else {
            V::Unknown("one of several values".into())
        }
    }

    fn eval_d(&self, e: &Expr, depth: usize) -> Vec<V> {
        let left = self.budget.get();
        if left == 0 || depth > MAX_DEPTH {
            return vec![V::Unknown("too complex to evaluate".into())];
        }
        self.budget.set(left - 1);
        let d = depth + 1;
        match e {
            Expr::Lit(Lit::Str(s)) => vec![V::Str(str_value(s))],
            Expr::Lit(Lit::Num(n)) => {
                let v = n.value;
                let s = if v.fract() == 0.0 && v.abs() < 1e15 {
                    format!("{}", v as i64)
                } else {
                    v.to_string()
                };
                vec![V::Str(s)]
            }
            Expr::Tpl(t) => self.eval_tpl(t, d),
            Expr::Paren(p) => self.eval_d(&p.expr, d),
            Expr::TsAs(x) => self.eval_d(&x.expr, d),
            Expr::TsSatisfies(x) => self.eval_d(&x.expr, d),
            Expr::TsNonNull(x) => self.eval_d(&x.expr, d),
            Expr::TsTypeAssertion(x) => self.eval_d(&x.expr, d),
            Expr::TsConstAssertion(x) => self.eval_d(&x.expr, d),
            Expr::Seq(s) => match s.exprs.last() {
                Some(last) => self.eval_d(last, d),
                None => vec![V::Unknown("empty sequence".into())],
            },
            Expr::Cond(c) => {
                let mut v = self.eval_d(&c.cons, d);
                v.extend(self.eval_d(&c.alt, d));
                alts_cap(v)
            }
            Expr::Bin(b) => match b.op {
                BinaryOp::Add => {
                    let l = self.eval_d(&b.left, d);
                    let r = self.eval_d(&b.right, d);
                    if l.len() * r.len() > MAX_ALTS {
                        return vec![V::Unknown("too many alternatives".into())];
                    }
                    let mut out = Vec::new();
                    for a in &l {
                        for c in &r {
                            out.push(concat(a, c));
                        }
                    }
                    alts_cap(out)
                }
                // `x || 'fallback'`, `a ?? b`, `c && 'x'`: any arm may be the value.
                BinaryOp::LogicalOr | BinaryOp::NullishCoalescing | BinaryOp::LogicalAnd => {
                    let mut v = self.eval_d(&b.left, d);
                    v.extend(self.eval_d(&b.right, d));
                    alts_cap(v)
                }
                _ => vec![V::Unknown("a computed value".into())],
            },
            Expr::Ident(i) => self.eval_ident(i, d),
            Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta => {
                vec![V::Obj(Known::ImportMeta)]
            }
            Expr::Member(m) => {
                let Some(prop) = self.member_prop(&m.prop, d) else {
                    return vec![V::Unknown("a computed property".into())];
                };
                let objs = self.eval_d(&m.obj, d);
                alts_cap(objs.iter().map(|o| self.member(o, &prop)).collect())
            }
            Expr::Call(c) => {
                let Callee::Expr(callee) = &c.callee else {
                    return vec![V::Unknown("the value of a call".into())];
                };
                // Compiler interop helpers (`__importDefault(require('fs'))`, `__toESM(…)`) return
                // their argument (or a wrapper whose `.default` is it).
                if is_interop_helper(callee) {
                    return match c.args.first() {
                        Some(a) if a.spread.is_none() => self.eval_d(&a.expr, d),
                        _ => vec![V::Unknown("the value of a call".into())],
                    };
                }
                let f = self.one(callee, d);
                self.call(&f, &c.args, d)
            }
            Expr::New(n) => {
                let f = self.one(&n.callee, d);
                match (f, n.args.as_deref()) {
                    (V::Obj(Known::UrlCtor), Some(args)) => self.new_url(args, d),
                    _ => vec![V::Unknown("a constructed object".into())],
                }
            }
            _ => vec![V::Unknown("not a static value".into())],
        }
    }

    fn member_prop(&self, p: &MemberProp, depth: usize) -> Option<String> {
        match p {
            MemberProp::Ident(i) => Some(i.sym.to_string()),
            MemberProp::Computed(c) => match self.one(&c.expr, depth) {
                V::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    fn eval_tpl(&self, t: &Tpl, depth: usize) -> Vec<V> {
        let mut acc: Vec<V> = vec![V::Str(String::new())];
        for (i, q) in t.quasis.iter().enumerate() {
            let text = q
                .cooked
                .as_ref()
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_else(|| q.raw.to_string());
            acc = acc
                .iter()
                .map(|a| concat(a, &V::Str(text.clone())))
                .collect();
            if let Some(e) = t.exprs.get(i) {
                let vals = self.eval_d(e, depth);
                if acc.len() * vals.len() > MAX_ALTS {
                    return vec![V::Unknown("too many alternatives".into())];
                }
                acc = acc
                    .iter()
                    .flat_map(|a| vals.iter().map(move |v| concat(a, v)))
                    .collect();
            }
        }
        alts_cap(acc)
    }

    fn eval_ident(&self, i: &Ident, depth: usize) -> Vec<V> {
        match self.lookup(&i.sym) {
            // A binding keeps every value its initializer may have (`c ? './a' : './b'`).
            Some(Binding::Init(e)) => self.eval_d(e, depth),
            Some(Binding::Member(e, k)) => {
                let objs = self.eval_d(e, depth);
                alts_cap(objs.iter().map(|o| self.member(o, k)).collect())
            }
            Some(Binding::Import(src, name)) => vec![match module_known(src) {
                Some(k) => match name.as_deref() {
                    None | Some("default") => V::Obj(k),
                    Some(n) => self.member(&V::Obj(k), n),
                },
                None => V::Unknown(format!("`{}` is imported from '{src}'", i.sym)),
            }],
            Some(Binding::Local) => vec![V::Unknown(format!("`{}` is a variable", i.sym))],
            None => vec![match &*i.sym {
                "require" => V::Obj(Known::Require(None)),
                "module" => V::Obj(Known::ModuleObj),
                "__dirname" => V::Str(self.dir_str()),
                "__filename" => V::Str(self.file_str()),
                "process" => V::Obj(Known::Process),
                "URL" => V::Obj(Known::UrlCtor),
                "undefined" => V::Unknown("undefined".into()),
                other => V::Unknown(format!("`{other}` is not a constant")),
            }],
        }
    }

    pub(crate) fn member(&self, o: &V, prop: &str) -> V {
        use Known::*;
        let unknown = || V::Unknown(format!("property `{prop}` of a value not known statically"));
        match o {
            V::Obj(k) => match (k, prop) {
                (Fs, "promises" | "default") => V::Obj(Fs),
                (Fs, p) => V::Obj(FsFn(p.to_string())),
                (Path, "posix" | "default") => V::Obj(Path),
                (Path, p) => V::Obj(PathFn(p.to_string())),
                (UrlMod, "fileURLToPath") => V::Obj(FileUrlToPath),
                (UrlMod, "pathToFileURL") => V::Obj(PathToFileUrl),
                (UrlMod, "URL") => V::Obj(UrlCtor),
                (UrlMod, "default") => V::Obj(UrlMod),
                (Module, "createRequire" | "createRequireFromPath") => V::Obj(CreateRequire),
                (Module, "register") => V::Obj(ModuleRegister),
                (Module, "default" | "Module") => V::Obj(Module),
                (ModuleObj, "require") => V::Obj(Require(None)),
                (Require(b), "resolve") => V::Obj(RequireResolve(b.clone())),
                (ImportMeta, "url") => V::Url(Box::new(V::Str(self.file_str()))),
                (ImportMeta, "dirname") => V::Str(self.dir_str()),
                (ImportMeta, "resolve") => V::Obj(ImportMetaResolve),
                (ImportMeta, "filename") => V::Str(self.file_str()),
                (WorkerThreads, "Worker") => V::Obj(WorkerCtor),
                (Pino, "transport") => V::Obj(PinoTransport),
                (Pino, "default" | "pino") => V::Obj(Pino),
                (WorkerThreads, "default") => V::Obj(WorkerThreads),
                (Process, "env") => V::Obj(ProcessEnv),
                (Process, "cwd") => V::Obj(ProcessCwd),
                (ProcessEnv, p) => V::Unknown(format!("process.env.{p} is only known at run time")),
                _ => unknown(),
            },
            V::Url(inner) => match prop {
                "pathname" => (**inner).clone(),
                "href" => o.clone(),
                _ => unknown(),
            },
            _ => unknown(),
        }
    }

    fn args(&self, args: &[ExprOrSpread], depth: usize) -> Option<Vec<V>> {
        args.iter()
            .map(|a| {
                if a.spread.is_some() {
                    None
                } else {
                    Some(self.one(&a.expr, depth))
                }
            })
            .collect()
    }

    fn call(&self, f: &V, args: &[ExprOrSpread], depth: usize) -> Vec<V> {
        use Known::*;
        let V::Obj(k) = f else {
            // `new URL(…).toString()` and similar are not followed.
            return vec![V::Unknown("the value of a call".into())];
        };
        match k {
            PathFn(name) if matches!(name.as_str(), "join" | "resolve" | "dirname") => {
                // Each argument may have several values: evaluate all combinations, bounded.
                let mut combos: Vec<Vec<V>> = vec![Vec::new()];
                for a in args {
                    if a.spread.is_some() {
                        return vec![V::Unknown("spread arguments".into())];
                    }
                    let vals = self.eval_d(&a.expr, depth);
                    if combos.len() * vals.len() > MAX_ALTS {
                        return vec![V::Unknown("too many alternatives".into())];
                    }
                    combos = combos
                        .iter()
                        .flat_map(|c| {
                            vals.iter().map(move |v| {
                                let mut c = c.clone();
                                c.push(v.clone());
                                c
                            })
                        })
                        .collect();
                }
                let out = combos
                    .iter()
                    .map(|parts| self.path_fn(name, parts))
                    .collect();
                alts_cap(out)
            }
            FileUrlToPath => match self.args(args, depth).as_deref() {
                Some([V::Url(inner), ..]) => vec![(**inner).clone()],
                Some([V::Str(s), ..]) => match file_url_to_slash(s) {
                    Some(p) => vec![V::Str(p)],
                    None => vec![V::Unknown("not a file URL".into())],
                },
                _ => vec![V::Unknown("fileURLToPath of an unknown URL".into())],
            },
            PathToFileUrl => {
                let vals = match args.first() {
                    Some(a) if a.spread.is_none() => self.eval_d(&a.expr, depth),
                    _ => return vec![V::Unknown("pathToFileURL of an unknown path".into())],
                };
                alts_cap(
                    vals.into_iter()
                        .map(|v| match v {
                            V::Str(ref s) if s.starts_with('/') => V::Url(Box::new(v)),
                            V::Pat(ref p) if matches!(p.first(), Some(Seg::Lit(l)) if l.starts_with('/')) => {
                                V::Url(Box::new(v))
                            }
                            _ => V::Unknown("pathToFileURL of a relative or unknown path".into()),
                        })
                        .collect(),
                )
            }
            CreateRequire => {
                let base = match self.args(args, depth).as_deref() {
                    Some([V::Url(inner), ..]) => match inner.as_ref() {
                        V::Str(p) => Some(p.clone()),
                        _ => None,
                    },
                    Some([V::Str(s), ..]) => {
                        file_url_to_slash(s).or_else(|| s.starts_with('/').then(|| s.clone()))
                    }
                    _ => None,
                };
                match base {
                    // createRequire(x) resolves like a module at x: from x's directory. A path
                    // ending in `/` names a directory.
                    Some(text) => {
                        let p = unslash(&text);
                        let dir = if text.ends_with('/') {
                            normalize(&p)
                        } else {
                            normalize(p.parent().unwrap_or(&p))
                        };
                        vec![V::Obj(Require(Some(dir)))]
                    }
                    None => vec![V::Unknown("createRequire of an unknown path".into())],
                }
            }
            Require(_) => match args.first().map(|a| self.one(&a.expr, depth)) {
                Some(V::Str(s)) => match module_known(&s) {
                    Some(k) => vec![V::Obj(k)],
                    None => vec![V::Unknown(format!("the exports of '{s}'"))],
                },
                _ => vec![V::Unknown("the value of require()".into())],
            },
            ProcessCwd => match self.cwd() {
                Some(c) => vec![V::Str(slash(c))],
                None => vec![V::Unknown("process.cwd() is only known at run time".into())],
            },
            _ => vec![V::Unknown("the value of a call".into())],
        }
    }

    fn path_fn(&self, name: &str, parts: &[V]) -> V {
        match name {
            "join" => path_join(parts),
            "dirname" => parts
                .first()
                .map(parent_of)
                .unwrap_or(V::Unknown("dirname()".into())),
            _ => {
                // resolve: start from the last absolute argument; relative means cwd-relative.
                let start = parts.iter().rposition(|p| match p {
                    V::Str(s) => s.starts_with('/'),
                    V::Pat(ps) => matches!(ps.first(), Some(Seg::Lit(l)) if l.starts_with('/')),
                    _ => false,
                });
                match start {
                    Some(i) => path_join(&parts[i..]),
                    None => match self.cwd() {
                        Some(c) => {
                            let mut all = vec![V::Str(slash(c))];
                            all.extend(parts.iter().cloned());
                            path_join(&all)
                        }
                        None => V::Unknown("path.resolve relative to the run-time cwd".into()),
                    },
                }
            }
        }
    }

    /// `new URL(rel, base)` with a `file:` base: the URL of `rel` next to `base`.
    fn new_url(&self, args: &[ExprOrSpread], depth: usize) -> Vec<V> {
        let (Some(rel), Some(base)) = (args.first(), args.get(1)) else {
            return match args.first().map(|a| self.one(&a.expr, depth)) {
                Some(V::Str(s)) => match file_url_to_slash(&s) {
                    Some(p) => vec![V::Url(Box::new(V::Str(p)))],
                    None => vec![V::Unknown("a URL that is not a file".into())],
                },
                _ => vec![V::Unknown("a URL".into())],
            };
        };
        let base = match self.one(&base.expr, depth) {
            V::Url(inner) => match *inner {
                V::Str(p) => p,
                _ => return vec![V::Unknown("a URL with an unknown base".into())],
            },
            V::Str(s) => match file_url_to_slash(&s) {
                Some(p) => p,
                None => return vec![V::Unknown("a URL that is not a file".into())],
            },
            _ => return vec![V::Unknown("a URL with an unknown base".into())],
        };
        let base_dir = if base.ends_with('/') {
            base.clone()
        } else {
            Path::new(&base)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let rels = self.eval_d(&rel.expr, depth);
        alts_cap(
            rels.into_iter()
                .map(|r| match &r {
                    V::Str(s) if s.contains("://") => match file_url_to_slash(s) {
                        Some(p) => V::Url(Box::new(V::Str(p))),
                        None => V::Unknown("a URL that is not a file".into()),
                    },
                    V::Str(s) if s.starts_with('/') => V::Url(Box::new(r.clone())),
                    V::Str(_) | V::Pat(_) => {
                        V::Url(Box::new(path_join(&[V::Str(base_dir.clone()), r.clone()])))
                    }
                    _ => V::Unknown("a URL with an unknown path".into()),
                })
                .collect(),
        )
    }
}
