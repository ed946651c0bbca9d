//! Modules and builtins: the globals a config sees (`process`, `require`, `__dirname`, `URL`,
//! …), the modules the evaluator knows (`path`, `url`, `module`, `process`, `next/constants`)
//! and their members, `process.env.X`, `import.meta`, and the builtin functions
//! (`require.resolve`, `import.meta.resolve`, `createRequire`, `path.*`, `fileURLToPath`,
//! `pathToFileURL`, `new URL`, `Object.assign`, `[].reduce`, `String`, `Boolean`).

use swc_core::common::Span;

use super::{
    describe_val, gate, one, to_str, Alt, Alts, Builtin, Interp, KnownModule, ScopeRef, Val,
    MAX_ALTS,
};
use crate::cond::Cond;
use crate::paths;
use crate::{ModuleKind, SpanInfo};

impl<'a, 'c> Interp<'a, 'c> {
    pub(super) fn lookup(&mut self, name: &str, span: Span, scope: &ScopeRef<'a>) -> Alts<'a> {
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

    pub(super) fn get_prop(&mut self, v: &Val<'a>, key: &str, span: Span) -> Alts<'a> {
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

    pub(super) fn module_value(&self, spec: &str, local: &str) -> Alts<'a> {
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

    pub(super) fn apply_builtin(
        &mut self,
        b: Builtin<'a>,
        args: &[Alts<'a>],
        span: Span,
    ) -> Alts<'a> {
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
