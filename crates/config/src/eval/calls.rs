//! Calls: applying a value to arguments, running a closure's body, and config wrappers
//! (`withX(config)`, where the argument that carries the config is kept). Builtin functions
//! are in [`super::modules`].

use std::rc::Rc;

use swc_core::common::Span;

use super::{
    describe_val, gate, one, Alt, Alts, Body, Closure, Flow, Interp, Scope, Val, MAX_CALL_DEPTH,
};
use crate::cond::Cond;

impl<'a, 'c> Interp<'a, 'c> {
    pub(super) fn call(&mut self, f: Alts<'a>, args: Vec<Alts<'a>>, span: Span) -> Alts<'a> {
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

    pub(super) fn apply(&mut self, f: &Val<'a>, args: &[Alts<'a>], span: Span) -> Alts<'a> {
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

    pub(super) fn call_closure(
        &mut self,
        c: &Closure<'a>,
        args: Vec<Alts<'a>>,
        span: Span,
    ) -> Alts<'a> {
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
}
