//! Statements and bindings: statement lists and hoisting, declarations, `return`, `throw`,
//! `try`, destructuring patterns with defaults, and assignment (`=`, `&&=`, `||=`, `??=`).
//! `if` and `switch` are in [`super::branches`].

use swc_core::common::Spanned;
use swc_core::ecma::ast::*;

use super::{
    atom, gate, one, prop_name_str, with_origin, Alt, Alts, Flow, Interp, Origin, Scope, ScopeRef,
    Val, MAX_ALTS, MAX_DEPTH,
};
use crate::cond::{Atom, Cond};

impl<'a, 'c> Interp<'a, 'c> {
    pub(super) fn hoist(&mut self, stmts: &'a [Stmt], scope: &ScopeRef<'a>) {
        for s in stmts {
            if let Stmt::Decl(Decl::Fn(f)) = s {
                let v = self.make_fn(&f.function, scope);
                scope.declare(&f.ident.sym, one(v, Some(self.sp(f.ident.span))));
            }
        }
    }

    pub(super) fn exec_stmts(
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

    pub(super) fn exec_stmt(
        &mut self,
        s: &'a Stmt,
        scope: &ScopeRef<'a>,
        pc: &Cond,
        flow: &mut Flow<'a>,
    ) {
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
            Stmt::If(i) => self.exec_if(i, scope, pc, flow),
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

    pub(super) fn exec_decl(&mut self, d: &'a Decl, scope: &ScopeRef<'a>) {
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

    pub(super) fn bind_pat(&mut self, p: &'a Pat, v: Alts<'a>, scope: &ScopeRef<'a>) {
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

    pub(super) fn eval_assign(&mut self, a: &'a AssignExpr, scope: &ScopeRef<'a>) -> Alts<'a> {
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
}
