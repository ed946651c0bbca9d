//! Conditions under which a branch of the config is taken, kept in negation normal form.

use serde::{Deserialize, Serialize};

/// The two phases in which Next loads the config for production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    /// `phase-production-build` (`next build`; what the standalone server gets).
    ProductionBuild,
    /// `phase-production-server` (`next start` reloads the config).
    ProductionServer,
}

impl PhaseKind {
    pub fn constant(self) -> &'static str {
        match self {
            PhaseKind::ProductionBuild => "phase-production-build",
            PhaseKind::ProductionServer => "phase-production-server",
        }
    }

    pub fn other(self) -> Self {
        match self {
            PhaseKind::ProductionBuild => PhaseKind::ProductionServer,
            PhaseKind::ProductionServer => PhaseKind::ProductionBuild,
        }
    }
}

/// An elementary fact.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Atom {
    /// `process.env.VAR` is truthy (set and not empty).
    EnvSet { var: String },
    /// `process.env.VAR` is not `undefined` (the `??` test).
    EnvDefined { var: String },
    /// `process.env.VAR === value`.
    EnvEquals { var: String, value: String },
    /// The config function was called with this phase.
    Phase { phase: PhaseKind },
    /// An expression the evaluator could not decide; `text` quotes the source when known.
    Opaque { text: String, lo: u32, hi: u32 },
}

/// A boolean combination of atoms. Negation is only applied to atoms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Cond {
    True,
    False,
    Lit { atom: Atom, negated: bool },
    And { all: Vec<Cond> },
    Or { any: Vec<Cond> },
}

impl Cond {
    pub fn atom(atom: Atom) -> Cond {
        // Only two production phases exist, so "not build" is "server": keep phases positive.
        Cond::Lit {
            atom,
            negated: false,
        }
    }

    pub fn is_true(&self) -> bool {
        matches!(self, Cond::True)
    }

    pub fn is_false(&self) -> bool {
        matches!(self, Cond::False)
    }

    pub fn not(&self) -> Cond {
        match self {
            Cond::True => Cond::False,
            Cond::False => Cond::True,
            Cond::Lit {
                atom: Atom::Phase { phase },
                negated: false,
            } => Cond::atom(Atom::Phase {
                phase: phase.other(),
            }),
            Cond::Lit { atom, negated } => Cond::Lit {
                atom: atom.clone(),
                negated: !negated,
            },
            Cond::And { all } => or_all(all.iter().map(|c| c.not()).collect()),
            Cond::Or { any } => and_all(any.iter().map(|c| c.not()).collect()),
        }
    }

    pub fn and(&self, other: &Cond) -> Cond {
        and_all(vec![self.clone(), other.clone()])
    }

    pub fn or(&self, other: &Cond) -> Cond {
        or_all(vec![self.clone(), other.clone()])
    }

    /// Number of nodes, to bound the cost of growing conditions.
    pub fn size(&self) -> usize {
        match self {
            Cond::True | Cond::False | Cond::Lit { .. } => 1,
            Cond::And { all: v } | Cond::Or { any: v } => {
                1 + v.iter().map(Cond::size).sum::<usize>()
            }
        }
    }

    /// Every atom mentioned, with its polarity.
    pub fn literals(&self) -> Vec<(&Atom, bool)> {
        let mut out = Vec::new();
        self.collect_literals(&mut out);
        out
    }

    fn collect_literals<'a>(&'a self, out: &mut Vec<(&'a Atom, bool)>) {
        match self {
            Cond::Lit { atom, negated } => out.push((atom, *negated)),
            Cond::And { all: v } | Cond::Or { any: v } => {
                v.iter().for_each(|c| c.collect_literals(out))
            }
            _ => {}
        }
    }

    /// Evaluate with an oracle for atoms; `None` from the oracle makes the result unknown
    /// unless the other operands decide it.
    pub fn eval_with(&self, f: &dyn Fn(&Atom) -> Option<bool>) -> Option<bool> {
        match self {
            Cond::True => Some(true),
            Cond::False => Some(false),
            Cond::Lit { atom, negated } => f(atom).map(|b| b != *negated),
            Cond::And { all } => {
                let mut unknown = false;
                for c in all {
                    match c.eval_with(f) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(true)
                }
            }
            Cond::Or { any } => {
                let mut unknown = false;
                for c in any {
                    match c.eval_with(f) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(false)
                }
            }
        }
    }

    /// A sentence fragment: `REDIS_URL is set and NODE_ENV === 'production'`.
    pub fn text(&self) -> String {
        self.text_inner(false)
    }

    fn text_inner(&self, nested: bool) -> String {
        match self {
            Cond::True => "always".into(),
            Cond::False => "never".into(),
            Cond::Lit { atom, negated } => atom_text(atom, *negated),
            Cond::And { all } => {
                let s = all
                    .iter()
                    .map(|c| c.text_inner(true))
                    .collect::<Vec<_>>()
                    .join(" and ");
                if nested {
                    format!("({s})")
                } else {
                    s
                }
            }
            Cond::Or { any } => {
                let s = any
                    .iter()
                    .map(|c| c.text_inner(true))
                    .collect::<Vec<_>>()
                    .join(" or ");
                if nested {
                    format!("({s})")
                } else {
                    s
                }
            }
        }
    }
}

fn atom_text(atom: &Atom, negated: bool) -> String {
    match atom {
        Atom::EnvSet { var } => {
            if negated {
                format!("{var} is not set")
            } else {
                format!("{var} is set")
            }
        }
        Atom::EnvDefined { var } => {
            if negated {
                format!("{var} is undefined")
            } else {
                format!("{var} is defined")
            }
        }
        Atom::EnvEquals { var, value } => {
            let op = if negated { "!==" } else { "===" };
            format!("{var} {op} '{value}'")
        }
        Atom::Phase { phase } => {
            let when = match phase {
                PhaseKind::ProductionBuild => "next build",
                PhaseKind::ProductionServer => "next start",
            };
            if negated {
                format!("phase is not {} ({when})", phase.constant())
            } else {
                format!("phase is {} ({when})", phase.constant())
            }
        }
        Atom::Opaque { text, .. } => {
            if negated {
                format!("`{text}` is falsy")
            } else {
                format!("`{text}` is truthy")
            }
        }
    }
}

const MAX_COND_SIZE: usize = 64;

fn and_all(items: Vec<Cond>) -> Cond {
    let mut flat: Vec<Cond> = Vec::new();
    for c in items {
        match c {
            Cond::True => {}
            Cond::False => return Cond::False,
            Cond::And { all } => flat.extend(all),
            other => flat.push(other),
        }
    }
    let mut out: Vec<Cond> = Vec::new();
    for c in flat {
        if out.contains(&c) {
            continue;
        }
        if out.iter().any(|o| contradicts(o, &c)) {
            return Cond::False;
        }
        out.push(c);
    }
    // Unit resolution: in `a and (not a or b)`, `not a` is false.
    let lits: Vec<Cond> = out
        .iter()
        .filter(|c| matches!(c, Cond::Lit { .. }))
        .cloned()
        .collect();
    if !lits.is_empty() {
        let mut changed = false;
        for c in out.iter_mut() {
            if let Cond::Or { any } = c {
                let before = any.len();
                any.retain(|d| !lits.iter().any(|l| contradicts(l, d)));
                if any.len() != before {
                    changed = true;
                    *c = match any.len() {
                        0 => Cond::False,
                        1 => any.pop().unwrap_or(Cond::False),
                        _ => Cond::Or {
                            any: std::mem::take(any),
                        },
                    };
                }
            }
        }
        if changed {
            return and_all(out);
        }
    }
    // Absorption: `a and (a or b)` = `a`; implied literals (`X === 'v'` implies `X is set`,
    // `X !== 'w'`, `X is defined`) are dropped.
    let snapshot = out.clone();
    out.retain(|c| match c {
        Cond::Or { any } => !any.iter().any(|x| snapshot.contains(x)),
        lit @ Cond::Lit { .. } => !snapshot.iter().any(|o| o != lit && implies(o, lit)),
        _ => true,
    });
    match out.len() {
        0 => Cond::True,
        1 => out.pop().unwrap_or(Cond::True),
        _ => cap(Cond::And { all: out }),
    }
}

fn or_all(items: Vec<Cond>) -> Cond {
    let mut flat: Vec<Cond> = Vec::new();
    for c in items {
        match c {
            Cond::False => {}
            Cond::True => return Cond::True,
            Cond::Or { any } => flat.extend(any),
            other => flat.push(other),
        }
    }
    let mut out: Vec<Cond> = Vec::new();
    for c in flat {
        if out.contains(&c) {
            continue;
        }
        if out.iter().any(|o| complementary(o, &c)) {
            return Cond::True;
        }
        out.push(c);
    }
    // Absorption: `a or (a and b)` = `a`, also when `a` is itself a conjunction.
    let parts = |c: &Cond| -> Vec<Cond> {
        match c {
            Cond::And { all } => all.clone(),
            other => vec![other.clone()],
        }
    };
    let snapshot = out.clone();
    out.retain(|c| {
        let mine = parts(c);
        !snapshot.iter().any(|o| {
            o != c && {
                let theirs = parts(o);
                theirs.len() < mine.len() && theirs.iter().all(|t| mine.contains(t))
            }
        })
    });
    // `(a and b) or (a and not b)` = `a`: merge pairs that differ in one literal's polarity.
    if let Some(merged) = merge_complementary(&out) {
        return merged;
    }
    match out.len() {
        0 => Cond::False,
        1 => out.pop().unwrap_or(Cond::False),
        _ => cap(Cond::Or { any: out }),
    }
}

fn merge_complementary(items: &[Cond]) -> Option<Cond> {
    if items.len() < 2 || items.len() > 16 {
        return None;
    }
    let parts = |c: &Cond| -> Vec<Cond> {
        match c {
            Cond::And { all } => all.clone(),
            other => vec![other.clone()],
        }
    };
    for i in 0..items.len() {
        for j in (i + 1)..items.len() {
            let a = parts(&items[i]);
            let b = parts(&items[j]);
            if a.len() != b.len() {
                continue;
            }
            let only_a: Vec<&Cond> = a.iter().filter(|x| !b.contains(x)).collect();
            let only_b: Vec<&Cond> = b.iter().filter(|x| !a.contains(x)).collect();
            if only_a.len() == 1 && only_b.len() == 1 && complementary(only_a[0], only_b[0]) {
                let common: Vec<Cond> = a.iter().filter(|x| b.contains(x)).cloned().collect();
                let mut rest: Vec<Cond> = items
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i && *k != j)
                    .map(|(_, c)| c.clone())
                    .collect();
                rest.push(and_all(common));
                return Some(or_all(rest));
            }
        }
    }
    None
}

/// `a` is exactly the negation of `b` (so `a or b` is always true).
fn complementary(a: &Cond, b: &Cond) -> bool {
    match (a, b) {
        (
            Cond::Lit {
                atom: x,
                negated: nx,
            },
            Cond::Lit {
                atom: y,
                negated: ny,
            },
        ) => {
            if x == y {
                return nx != ny;
            }
            // Only two production phases exist.
            matches!((x, y), (Atom::Phase { phase: p }, Atom::Phase { phase: q }) if !nx && !ny && p != q)
        }
        _ => false,
    }
}

/// `a` implies `b` (for literals about the same variable).
fn implies(a: &Cond, b: &Cond) -> bool {
    let (
        Cond::Lit {
            atom: x,
            negated: nx,
        },
        Cond::Lit {
            atom: y,
            negated: ny,
        },
    ) = (a, b)
    else {
        return false;
    };
    match (x, *nx, y, *ny) {
        (Atom::EnvEquals { var: v1, value }, false, Atom::EnvSet { var: v2 }, false) => {
            v1 == v2 && !value.is_empty()
        }
        (Atom::EnvEquals { var: v1, .. }, false, Atom::EnvDefined { var: v2 }, false) => v1 == v2,
        (Atom::EnvSet { var: v1 }, false, Atom::EnvDefined { var: v2 }, false) => v1 == v2,
        (
            Atom::EnvEquals { var: v1, value: a1 },
            false,
            Atom::EnvEquals { var: v2, value: a2 },
            true,
        ) => v1 == v2 && a1 != a2,
        // not defined implies not set and not equal to anything
        (Atom::EnvDefined { var: v1 }, true, Atom::EnvSet { var: v2 }, true) => v1 == v2,
        (Atom::EnvDefined { var: v1 }, true, Atom::EnvEquals { var: v2, .. }, true) => v1 == v2,
        (Atom::EnvSet { var: v1 }, true, Atom::EnvEquals { var: v2, value }, true) => {
            v1 == v2 && !value.is_empty()
        }
        _ => false,
    }
}

fn contradicts(a: &Cond, b: &Cond) -> bool {
    // `a` implies not-`b`
    if let Cond::Lit { atom, negated } = b {
        if implies(
            a,
            &Cond::Lit {
                atom: atom.clone(),
                negated: !negated,
            },
        ) {
            return true;
        }
    }
    if let Cond::Lit { atom, negated } = a {
        if implies(
            b,
            &Cond::Lit {
                atom: atom.clone(),
                negated: !negated,
            },
        ) {
            return true;
        }
    }
    match (a, b) {
        (
            Cond::Lit {
                atom: x,
                negated: nx,
            },
            Cond::Lit {
                atom: y,
                negated: ny,
            },
        ) => {
            if x == y {
                return nx != ny;
            }
            match (x, y) {
                (Atom::Phase { phase: p }, Atom::Phase { phase: q }) => !nx && !ny && p != q,
                // NODE_ENV === 'a' and NODE_ENV === 'b'
                (
                    Atom::EnvEquals { var: v1, value: a1 },
                    Atom::EnvEquals { var: v2, value: a2 },
                ) => v1 == v2 && a1 != a2 && !nx && !ny,
                // X === 'v' (non-empty) and X is not set
                (Atom::EnvEquals { var: v1, value }, Atom::EnvSet { var: v2 })
                | (Atom::EnvSet { var: v2 }, Atom::EnvEquals { var: v1, value }) => {
                    let (eq_neg, set_neg) = if matches!(x, Atom::EnvEquals { .. }) {
                        (nx, ny)
                    } else {
                        (ny, nx)
                    };
                    v1 == v2 && !value.is_empty() && !eq_neg && *set_neg
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn cap(c: Cond) -> Cond {
    if c.size() > MAX_COND_SIZE {
        Cond::atom(Atom::Opaque {
            text: "a condition too complex to show".into(),
            lo: 0,
            hi: 0,
        })
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(v: &str) -> Cond {
        Cond::atom(Atom::EnvSet { var: v.into() })
    }

    #[test]
    fn simplifies() {
        let a = env("A");
        assert!(a.and(&a.not()).is_false());
        assert!(a.or(&a.not()).is_true());
        let b = env("B");
        assert_eq!(a.and(&b).or(&a.and(&b.not())), a);
        let build = Cond::atom(Atom::Phase {
            phase: PhaseKind::ProductionBuild,
        });
        assert_eq!(
            build.not(),
            Cond::atom(Atom::Phase {
                phase: PhaseKind::ProductionServer
            })
        );
        assert!(build.and(&build.not()).is_false());
        assert_eq!(a.and(&b).not().text(), "A is not set or B is not set");
        let eq = |v: &str| {
            Cond::atom(Atom::EnvEquals {
                var: "T".into(),
                value: v.into(),
            })
        };
        // Mutually exclusive is not exhaustive.
        assert!(eq("a").and(&eq("b")).is_false());
        assert_eq!(eq("a").or(&eq("b")).text(), "T === 'a' or T === 'b'");
    }
}
