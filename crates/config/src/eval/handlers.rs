//! Handler references: after evaluation, read `cacheHandler`, `cacheHandlers` and
//! `experimental.incrementalCacheHandlerPath` out of every config branch, and turn each value
//! into candidates (with the condition under which each is taken) and a syntactic form.

use swc_core::ecma::ast::*;

use super::{describe_val, one, Alt, Alts, Interp, ObjId, PerKey, Val};
use crate::cond::{Atom, Cond};
use crate::paths;
use crate::{Candidate, CandidateValue, Condition, Form, HandlerKey, HandlerRef, SpanInfo};

/// Per full key, the (config condition, value alternatives) of every config branch.
pub(super) fn extract_refs<'a>(
    it: &mut Interp<'a, '_>,
    configs: &[(Cond, ObjId)],
) -> Vec<HandlerRef> {
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
