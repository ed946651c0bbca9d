//! Expressions: literals, identifiers, templates, operators, objects, arrays, functions,
//! member access, calls and `new`. Conditional operators are in [`super::branches`], what
//! globals and module members are in [`super::modules`], assignment in [`super::stmt`].

use std::rc::Rc;

use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;

use super::{
    atom, describe_val, gate, num_to_string, one, prop_name_str, to_str, with_origin, Alt, Alts,
    Body, Builtin, Closure, Interp, Origin, ScopeRef, Val, MAX_ALTS, MAX_DEPTH, MAX_STRING,
};
use crate::cond::{Atom, Cond};

impl<'a, 'c> Interp<'a, 'c> {
    pub(super) fn eval(&mut self, e: &'a Expr, scope: &ScopeRef<'a>) -> Alts<'a> {
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
            Expr::Cond(c) => self.eval_ternary(c, scope),
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

    pub(super) fn make_fn(&self, f: &'a Function, scope: &ScopeRef<'a>) -> Val<'a> {
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

    pub(super) fn member_key(
        &mut self,
        prop: &'a MemberProp,
        scope: &ScopeRef<'a>,
    ) -> Option<String> {
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

    pub(super) fn get_member(
        &mut self,
        obj: Alts<'a>,
        key: Option<String>,
        span: Span,
    ) -> Alts<'a> {
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
}
