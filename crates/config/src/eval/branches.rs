//! Branching: how JavaScript tests become conditions (truthiness, nullishness, equality,
//! phase comparisons) and the constructs that split the evaluation on them (`?:`, `&&`, `||`,
//! `??`, `if`, `switch`). The conditions are [`crate::cond::Cond`]; this file only builds them.

use swc_core::common::Spanned;
use swc_core::ecma::ast::*;

use super::{atom, gate, Alt, Alts, Flow, Interp, Scope, ScopeRef, Val, MAX_ALTS, MAX_DEPTH};
use crate::cond::{Atom, Cond, PhaseKind};
use crate::SpanInfo;

impl<'a, 'c> Interp<'a, 'c> {
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

    pub(super) fn alts_truthy(&self, alts: &Alts<'a>, span: SpanInfo) -> Cond {
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

    pub(super) fn eval_cond(&mut self, e: &'a Expr, scope: &ScopeRef<'a>) -> Cond {
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

    pub(super) fn cond_to_bools(c: Cond, span: Option<SpanInfo>) -> Alts<'a> {
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

    /// `test ? cons : alt`: both branches, each under its side of the test.
    pub(super) fn eval_ternary(&mut self, c: &'a CondExpr, scope: &ScopeRef<'a>) -> Alts<'a> {
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

    pub(super) fn logical(
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

    /// `if`: each branch runs under its side of the test, in a scope of its own.
    pub(super) fn exec_if(
        &mut self,
        i: &'a IfStmt,
        scope: &ScopeRef<'a>,
        pc: &Cond,
        flow: &mut Flow<'a>,
    ) {
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

    /// `switch`: each case is entered when its test is the first to equal the discriminant
    /// (`default` when none does) and runs, falling through, until a top-level `break`.
    pub(super) fn exec_switch(
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

fn phase_of(s: &str) -> Option<PhaseKind> {
    match s {
        "phase-production-build" => Some(PhaseKind::ProductionBuild),
        "phase-production-server" => Some(PhaseKind::ProductionServer),
        _ => None,
    }
}
