//! Config normalization: one decision ([`decide_fixes`]), two appliers — text splices at the
//! AST's spans ([`apply_text`], used by `next-graft fix-config`, keeps comments and formatting)
//! and AST edits ([`apply_ast`], used by the SWC Wasm plugin).
//!
//! The edits, and the Next.js versions they apply to:
//! - a plain relative handler string (`'./h.js'`, resolved against `.next/` by `next start`) →
//!   `require.resolve('./h.js')` (CommonJS, also `next.config.ts`) or
//!   `fileURLToPath(new URL('./h.js', import.meta.url))` (ES modules, adding
//!   `import { fileURLToPath } from 'node:url'` once): every version;
//! - `import.meta.resolve(…)` (a `file://` URL) → `fileURLToPath(import.meta.resolve(…))`
//!   before 16.3;
//! - `experimental.incrementalCacheHandlerPath` → top-level `cacheHandler` from 14.1;
//! - `experimental.cacheHandlers` → top-level `cacheHandlers` from 16.0;
//! - top-level `cacheHandlers` → `experimental.cacheHandlers` on 15.x;
//! - `experimental.preloadEntriesOnStart: false` on 15.0–15.1 when `'use cache'` handlers are
//!   configured (#72552).
//!
//! Spans are relative to `EvalContext::span_base`, like the analysis'.

use serde::{Deserialize, Serialize};
use swc_core::common::{Span, Spanned, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use crate::versions::{facts, Fact, Version};
use crate::{analyze, CandidateValue, EvalContext, HandlerKey, ModuleKind, SpanInfo};

/// What [`decide_fixes`] needs: the analysis context (module kind, span base, source) and the
/// Next.js version the config is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixContext {
    pub eval: EvalContext,
    pub version: Version,
}

/// An object literal: its span and the spans of its properties, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSite {
    pub span: SpanInfo,
    pub props: Vec<SpanInfo>,
}

/// Where a property is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Target {
    /// Appended to this object literal.
    Object { site: ObjectSite },
    /// Inside a new `experimental: { … }` property appended to this (config) object literal;
    /// every fix with the same target shares the one new property.
    NewExperimental { site: ObjectSite },
}

/// One edit. Plain data, applied by [`apply_text`] or [`apply_ast`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fix", rename_all = "kebab-case")]
pub enum Fix {
    /// Replace the string literal at `span` with `require.resolve('<specifier>')`.
    RequireResolve { span: SpanInfo, specifier: String },
    /// Replace the string literal at `span` with
    /// `<local>(new URL('<specifier>', import.meta.url))`.
    NewUrl {
        span: SpanInfo,
        specifier: String,
        local: String,
    },
    /// Wrap the expression at `span` (`import.meta.resolve(…)`) in `<local>(…)`.
    WrapFileUrlToPath { span: SpanInfo, local: String },
    /// Move the `key: value` property at `prop` out of `from` into `to`, under `new_key`.
    MoveProp {
        prop: SpanInfo,
        value: SpanInfo,
        from: ObjectSite,
        new_key: String,
        to: Target,
        why: String,
    },
    /// Add `key: false` to `to`.
    AddFalse {
        key: String,
        to: Target,
        why: String,
    },
    /// Add `import { fileURLToPath } from 'node:url'` after the import at `after` (or first).
    AddImport { after: Option<SpanInfo> },
}

impl Fix {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Fix::RequireResolve { specifier, .. } => format!(
                "relative handler path '{specifier}' is resolved against .next/ by `next start`: use require.resolve('{specifier}')"
            ),
            Fix::NewUrl { specifier, local, .. } => format!(
                "relative handler path '{specifier}' is resolved against .next/ by `next start`: use {local}(new URL('{specifier}', import.meta.url))"
            ),
            Fix::WrapFileUrlToPath { local, .. } => format!(
                "import.meta.resolve gives a file:// URL, which Next.js before 16.3 cannot load: wrap it in {local}(…)"
            ),
            Fix::MoveProp { why, .. } | Fix::AddFalse { why, .. } => why.clone(),
            Fix::AddImport { .. } => "add `import { fileURLToPath } from 'node:url'`".into(),
        }
    }
}

const URL_LOCAL: &str = "fileURLToPath";

/// Decide the edits that make `program` load its handlers in production on `ctx.version`.
/// Deterministic; returns nothing for a config that needs no edit (so applying the result and
/// deciding again yields nothing: the fixes are idempotent).
pub fn decide_fixes(program: &Program, ctx: &FixContext) -> Vec<Fix> {
    let analysis = analyze(program, &ctx.eval);
    let base = ctx.eval.span_base;
    let sp = |s: Span| SpanInfo {
        lo: s.lo.0.saturating_sub(base),
        hi: s.hi.0.saturating_sub(base),
    };
    let v = ctx.version;
    let esm = ctx.eval.module_kind == ModuleKind::Esm;

    // The existing `fileURLToPath` import, and where a new one goes.
    let mut imports = ImportScan::default();
    program.visit_with(&mut imports);
    let local = imports
        .local
        .clone()
        .unwrap_or_else(|| URL_LOCAL.to_string());

    let mut local_fixes: Vec<Fix> = Vec::new();
    let mut needs_import = false;

    // 1. Values: plain relative strings and import.meta.resolve in value position.
    let mut values = ValueScan::default();
    for r in &analysis.refs {
        values.value_spans.push(r.value_span);
        for c in &r.candidates {
            if let Some(s) = c.span {
                values.candidate_spans.push(s);
            }
        }
    }
    values.base = base;
    program.visit_with(&mut values);
    let plain: Vec<&str> = analysis
        .refs
        .iter()
        .flat_map(|r| r.candidates.iter())
        .filter_map(|c| match &c.value {
            CandidateValue::PlainRelative { path } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    for (span, text) in &values.strings {
        if !plain.contains(&text.as_str()) || !is_plain_relative(text) {
            continue;
        }
        let specifier = if text.starts_with("./") || text.starts_with("../") {
            text.clone()
        } else {
            format!("./{text}")
        };
        if esm {
            needs_import = true;
            local_fixes.push(Fix::NewUrl {
                span: *span,
                specifier,
                local: local.clone(),
            });
        } else {
            local_fixes.push(Fix::RequireResolve {
                span: *span,
                specifier,
            });
        }
    }
    let file_url_resolve = analysis
        .refs
        .iter()
        .flat_map(|r| r.candidates.iter())
        .any(|c| {
            matches!(
                c.value,
                CandidateValue::ImportMetaResolve { file_url: true, .. }
            )
        });
    if file_url_resolve && !facts(v).has(Fact::FileUrlHandlers) {
        for span in &values.meta_resolves {
            needs_import = true;
            local_fixes.push(Fix::WrapFileUrlToPath {
                span: *span,
                local: local.clone(),
            });
        }
    }
    local_fixes.sort_by_key(fix_lo);
    local_fixes.dedup();

    // 2. Keys: moves and additions, on object literals that hold handler references.
    let mut objs = ObjectScan::default();
    program.visit_with(&mut objs);
    let objects: Vec<Obj> = objs.objects.into_iter().map(|o| o.relative(&sp)).collect();
    let ref_in = |span: SpanInfo, pred: &dyn Fn(&HandlerKey) -> bool| {
        analysis
            .refs
            .iter()
            .any(|r| pred(&r.key) && r.span.lo >= span.lo && r.span.hi <= span.hi)
    };
    let find = |span: SpanInfo| objects.iter().find(|o| o.site.span == span);
    let mut moves: Vec<Fix> = Vec::new();
    let mut adds: Vec<Fix> = Vec::new();
    let mut use_cache_config: Option<(&Obj, Option<&Obj>)> = None;
    for o in &objects {
        let exp = o.prop("experimental");
        let exp_obj = exp.and_then(|p| p.value_obj).and_then(find);
        // experimental.incrementalCacheHandlerPath → cacheHandler (14.1+).
        if let Some(e) = exp_obj {
            if let Some(l) = e.prop("incrementalCacheHandlerPath") {
                if facts(v).has(Fact::CacheHandlerKey)
                    && o.prop("cacheHandler").is_none()
                    && ref_in(l.span, &|k| {
                        *k == HandlerKey::LegacyIncrementalCacheHandlerPath
                    })
                {
                    moves.push(Fix::MoveProp {
                        prop: l.span,
                        value: l.value,
                        from: e.site.clone(),
                        new_key: "cacheHandler".into(),
                        to: Target::Object {
                            site: o.site.clone(),
                        },
                        why: format!(
                            "experimental.incrementalCacheHandlerPath is ignored from 14.1 ({v}): rename it to the top-level cacheHandler"
                        ),
                    });
                }
            }
            if let Some(c) = e.prop("cacheHandlers") {
                if ref_in(c.span, &|k| {
                    matches!(
                        k,
                        HandlerKey::CacheHandlers {
                            experimental: true,
                            ..
                        }
                    )
                }) {
                    if facts(v).has(Fact::TopLevelCacheHandlers) {
                        if o.prop("cacheHandlers").is_none() {
                            moves.push(Fix::MoveProp {
                                prop: c.span,
                                value: c.value,
                                from: e.site.clone(),
                                new_key: "cacheHandlers".into(),
                                to: Target::Object {
                                    site: o.site.clone(),
                                },
                                why: format!(
                                    "experimental.cacheHandlers is deprecated in 16 ({v}): move it to the top-level cacheHandlers"
                                ),
                            });
                        }
                    } else {
                        use_cache_config = Some((o, Some(e)));
                    }
                }
            }
        }
        // top-level cacheHandlers → experimental.cacheHandlers (15.x).
        if let Some(c) = o.prop("cacheHandlers") {
            let is_config = ref_in(c.span, &|k| {
                matches!(
                    k,
                    HandlerKey::CacheHandlers {
                        experimental: false,
                        ..
                    }
                )
            });
            if is_config && facts(v).has(Fact::ExperimentalCacheHandlers) {
                let target = match (exp, exp_obj) {
                    (Some(_), Some(e)) if e.prop("cacheHandlers").is_none() => {
                        Some(Target::Object {
                            site: e.site.clone(),
                        })
                    }
                    (None, _) => Some(Target::NewExperimental {
                        site: o.site.clone(),
                    }),
                    _ => None,
                };
                if let Some(to) = target {
                    moves.push(Fix::MoveProp {
                        prop: c.span,
                        value: c.value,
                        from: o.site.clone(),
                        new_key: "cacheHandlers".into(),
                        to,
                        why: format!(
                            "Next {v} reads 'use cache' handlers from experimental.cacheHandlers, not the top-level cacheHandlers: move it under experimental"
                        ),
                    });
                    use_cache_config = Some((o, exp_obj));
                }
            }
        }
    }
    // experimental.preloadEntriesOnStart: false (15.0–15.1, #72552).
    if facts(v).has(Fact::PreloadBug) {
        if let Some((o, e)) = use_cache_config {
            let to = match (o.prop("experimental"), e) {
                (_, Some(e)) if e.prop("preloadEntriesOnStart").is_none() => Some(Target::Object {
                    site: e.site.clone(),
                }),
                (None, None) => Some(Target::NewExperimental {
                    site: o.site.clone(),
                }),
                _ => None,
            };
            if let Some(to) = to {
                adds.push(Fix::AddFalse {
                    key: "preloadEntriesOnStart".into(),
                    to,
                    why: format!(
                        "#72552: Next {v} never calls 'use cache' handlers under `next start` unless experimental.preloadEntriesOnStart is false"
                    ),
                });
            }
        }
    }

    let mut out = local_fixes;
    out.extend(moves);
    out.extend(adds);
    if needs_import && imports.local.is_none() {
        out.push(Fix::AddImport {
            after: imports.last_import.map(sp),
        });
    }
    out
}

fn fix_lo(f: &Fix) -> u32 {
    match f {
        Fix::RequireResolve { span, .. }
        | Fix::NewUrl { span, .. }
        | Fix::WrapFileUrlToPath { span, .. } => span.lo,
        _ => u32::MAX,
    }
}

fn is_plain_relative(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('/') && !s.contains("://") && !s.starts_with("file:")
}

#[derive(Default)]
struct ImportScan {
    local: Option<String>,
    last_import: Option<Span>,
}

impl Visit for ImportScan {
    fn visit_module(&mut self, m: &Module) {
        for item in &m.body {
            if let ModuleItem::ModuleDecl(ModuleDecl::Import(i)) = item {
                self.last_import = Some(i.span);
                let src = i.src.value.as_str().unwrap_or("");
                if (src == "node:url" || src == "url") && !i.type_only {
                    for s in &i.specifiers {
                        if let ImportSpecifier::Named(n) = s {
                            let imported = match &n.imported {
                                Some(ModuleExportName::Ident(id)) => id.sym.to_string(),
                                Some(ModuleExportName::Str(s)) => {
                                    s.value.to_string_lossy().into_owned()
                                }
                                #[cfg(swc_ast_unknown)]
                                Some(_) => continue,
                                None => n.local.sym.to_string(),
                            };
                            if imported == "fileURLToPath" && !n.is_type_only {
                                self.local = Some(n.local.sym.to_string());
                            }
                        }
                    }
                }
            }
        }
    }
}

/// String literals and `import.meta.resolve(…)` calls in value position of a handler
/// reference (the value itself, a branch of `?:`/`||`/`&&`/`??`, parenthesized or asserted),
/// or exactly at a candidate's span (a `const` the value names).
#[derive(Default)]
struct ValueScan {
    base: u32,
    value_spans: Vec<SpanInfo>,
    candidate_spans: Vec<SpanInfo>,
    strings: Vec<(SpanInfo, String)>,
    meta_resolves: Vec<SpanInfo>,
}

impl ValueScan {
    fn rel(&self, s: Span) -> SpanInfo {
        SpanInfo {
            lo: s.lo.0.saturating_sub(self.base),
            hi: s.hi.0.saturating_sub(self.base),
        }
    }

    fn value_position(&mut self, e: &Expr) {
        match e {
            Expr::Paren(p) => self.value_position(&p.expr),
            Expr::Cond(c) => {
                self.value_position(&c.cons);
                self.value_position(&c.alt);
            }
            Expr::Bin(b)
                if matches!(
                    b.op,
                    BinaryOp::LogicalOr | BinaryOp::LogicalAnd | BinaryOp::NullishCoalescing
                ) =>
            {
                self.value_position(&b.left);
                self.value_position(&b.right);
            }
            Expr::TsAs(t) => self.value_position(&t.expr),
            Expr::TsSatisfies(t) => self.value_position(&t.expr),
            Expr::TsNonNull(t) => self.value_position(&t.expr),
            Expr::TsConstAssertion(t) => self.value_position(&t.expr),
            Expr::Lit(Lit::Str(s)) => {
                if let Some(text) = s.value.as_str() {
                    let span = self.rel(s.span);
                    if !self.strings.iter().any(|(sp, _)| *sp == span) {
                        self.strings.push((span, text.to_string()));
                    }
                }
            }
            Expr::Call(c) if is_import_meta_resolve(c) => {
                let span = self.rel(c.span);
                if !self.meta_resolves.contains(&span) {
                    self.meta_resolves.push(span);
                }
            }
            _ => {}
        }
    }
}

fn is_import_meta_resolve(c: &CallExpr) -> bool {
    let Callee::Expr(callee) = &c.callee else {
        return false;
    };
    let Expr::Member(m) = &**callee else {
        return false;
    };
    let is_meta = matches!(&*m.obj, Expr::MetaProp(mp) if mp.kind == MetaPropKind::ImportMeta);
    is_meta && matches!(&m.prop, MemberProp::Ident(i) if i.sym == *"resolve")
}

impl Visit for ValueScan {
    fn visit_expr(&mut self, e: &Expr) {
        let span = self.rel(e.span());
        if self.value_spans.contains(&span) || self.candidate_spans.contains(&span) {
            self.value_position(e);
        }
        e.visit_children_with(self);
    }
}

#[derive(Debug, Clone)]
struct PropSite {
    key: Option<String>,
    span: SpanInfo,
    value: SpanInfo,
    value_obj: Option<SpanInfo>,
}

#[derive(Debug, Clone)]
struct Obj {
    site: ObjectSite,
    props: Vec<PropSite>,
}

impl Obj {
    fn relative(mut self, sp: &dyn Fn(Span) -> SpanInfo) -> Obj {
        // Spans were collected absolute (base 0): rebase.
        let re = |s: SpanInfo| {
            sp(Span::new(
                swc_core::common::BytePos(s.lo),
                swc_core::common::BytePos(s.hi),
            ))
        };
        self.site.span = re(self.site.span);
        self.site.props = self.site.props.iter().map(|s| re(*s)).collect();
        for p in &mut self.props {
            p.span = re(p.span);
            p.value = re(p.value);
            p.value_obj = p.value_obj.map(re);
        }
        self
    }

    fn prop(&self, key: &str) -> Option<&PropSite> {
        self.props.iter().find(|p| p.key.as_deref() == Some(key))
    }
}

fn raw(s: Span) -> SpanInfo {
    SpanInfo {
        lo: s.lo.0,
        hi: s.hi.0,
    }
}

fn prop_key(k: &PropName) -> Option<String> {
    match k {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => s.value.as_str().map(str::to_string),
        _ => None,
    }
}

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        Expr::TsAs(t) => unparen(&t.expr),
        Expr::TsSatisfies(t) => unparen(&t.expr),
        Expr::TsConstAssertion(t) => unparen(&t.expr),
        other => other,
    }
}

#[derive(Default)]
struct ObjectScan {
    objects: Vec<Obj>,
}

impl Visit for ObjectScan {
    fn visit_object_lit(&mut self, o: &ObjectLit) {
        let mut props = Vec::new();
        let mut spans = Vec::new();
        for p in &o.props {
            spans.push(raw(p.span()));
            if let PropOrSpread::Prop(prop) = p {
                if let Prop::KeyValue(kv) = &**prop {
                    let value_obj = match unparen(&kv.value) {
                        Expr::Object(inner) => Some(raw(inner.span)),
                        _ => None,
                    };
                    props.push(PropSite {
                        key: prop_key(&kv.key),
                        span: raw(prop.span()),
                        value: raw(kv.value.span()),
                        value_obj,
                    });
                    continue;
                }
                let key = match &**prop {
                    Prop::Shorthand(i) => Some(i.sym.to_string()),
                    Prop::Method(m) => prop_key(&m.key),
                    Prop::Getter(g) => prop_key(&g.key),
                    Prop::Setter(s) => prop_key(&s.key),
                    _ => None,
                };
                props.push(PropSite {
                    key,
                    span: raw(prop.span()),
                    value: raw(prop.span()),
                    value_obj: None,
                });
            }
        }
        self.objects.push(Obj {
            site: ObjectSite {
                span: raw(o.span),
                props: spans,
            },
            props,
        });
        o.visit_children_with(self);
    }
}

// ---------------------------------------------------------------------------------------------
// Text applier

struct Splice {
    lo: usize,
    hi: usize,
    text: String,
}

fn indent_at(source: &str, pos: usize) -> &str {
    let pos = pos.min(source.len());
    let start = source[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = &source[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

fn quote(s: &str) -> String {
    let mut out = String::from("'");
    for ch in s.chars() {
        match ch {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn local_splices(fixes: &[Fix]) -> Vec<Splice> {
    let mut out = Vec::new();
    for f in fixes {
        match f {
            Fix::RequireResolve { span, specifier } => out.push(Splice {
                lo: span.lo as usize,
                hi: span.hi as usize,
                text: format!("require.resolve({})", quote(specifier)),
            }),
            Fix::NewUrl {
                span,
                specifier,
                local,
            } => out.push(Splice {
                lo: span.lo as usize,
                hi: span.hi as usize,
                text: format!("{local}(new URL({}, import.meta.url))", quote(specifier)),
            }),
            Fix::WrapFileUrlToPath { span, local } => {
                out.push(Splice {
                    lo: span.lo as usize,
                    hi: span.lo as usize,
                    text: format!("{local}("),
                });
                out.push(Splice {
                    lo: span.hi as usize,
                    hi: span.hi as usize,
                    text: ")".into(),
                });
            }
            _ => {}
        }
    }
    out
}

/// `source[lo..hi]` with the splices inside it applied.
fn render(source: &str, lo: usize, hi: usize, splices: &[Splice]) -> String {
    let mut inner: Vec<&Splice> = splices
        .iter()
        .filter(|s| s.lo >= lo && s.hi <= hi)
        .collect();
    inner.sort_by_key(|s| (s.lo, s.hi));
    let mut out = String::new();
    let mut at = lo;
    for s in inner {
        if s.lo < at {
            continue;
        }
        out.push_str(&source[at..s.lo]);
        out.push_str(&s.text);
        at = s.hi;
    }
    out.push_str(&source[at..hi]);
    out
}

fn reindent(text: &str, old: &str, new: &str) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or("").to_string();
    for l in lines {
        out.push('\n');
        match l.strip_prefix(old) {
            Some(rest) => {
                out.push_str(new);
                out.push_str(rest);
            }
            None => out.push_str(l),
        }
    }
    out
}

/// Apply the fixes to the source text as splices at their spans: everything outside the
/// edited ranges (comments, quotes, blank lines) is kept byte for byte.
pub fn apply_text(source: &str, fixes: &[Fix]) -> String {
    let locals = local_splices(fixes);
    let mut splices: Vec<Splice> = Vec::new();

    // Removals, grouped per source object.
    let mut removed: Vec<SpanInfo> = Vec::new();
    let mut froms: Vec<&ObjectSite> = Vec::new();
    for f in fixes {
        if let Fix::MoveProp { prop, from, .. } = f {
            removed.push(*prop);
            if !froms.iter().any(|o| o.span == from.span) {
                froms.push(from);
            }
        }
    }
    let mut removal_ranges: Vec<(usize, usize)> = Vec::new();
    for o in &froms {
        let n = o.props.len();
        let mut i = 0;
        while i < n {
            if !removed.contains(&o.props[i]) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < n && removed.contains(&o.props[j + 1]) {
                j += 1;
            }
            let range = if j + 1 < n {
                (o.props[i].lo as usize, o.props[j + 1].lo as usize)
            } else if i > 0 {
                (o.props[i - 1].hi as usize, o.props[j].hi as usize)
            } else {
                let mut hi = o.props[j].hi as usize;
                let rest = &source[hi..];
                let trimmed = rest.trim_start();
                if trimmed.starts_with(',') {
                    hi += rest.len() - trimmed.len() + 1;
                }
                (o.props[i].lo as usize, hi)
            };
            removal_ranges.push(range);
            i = j + 1;
        }
    }
    for (lo, hi) in &removal_ranges {
        splices.push(Splice {
            lo: *lo,
            hi: *hi,
            text: String::new(),
        });
    }
    for s in locals.iter() {
        if !removal_ranges
            .iter()
            .any(|(lo, hi)| s.lo >= *lo && s.hi <= *hi)
        {
            splices.push(Splice {
                lo: s.lo,
                hi: s.hi,
                text: s.text.clone(),
            });
        }
    }

    // Additions, grouped per target (in fix order).
    struct Group<'a> {
        site: &'a ObjectSite,
        new_experimental: bool,
        items: Vec<(String, String, usize)>, // key, value text, original line pos
    }
    let mut groups: Vec<Group> = Vec::new();
    for f in fixes {
        let (to, key, value, pos) = match f {
            Fix::MoveProp {
                prop,
                value,
                new_key,
                to,
                ..
            } => (
                to,
                new_key.clone(),
                render(source, value.lo as usize, value.hi as usize, &locals),
                prop.lo as usize,
            ),
            Fix::AddFalse { key, to, .. } => (to, key.clone(), "false".to_string(), usize::MAX),
            _ => continue,
        };
        let (site, ne) = match to {
            Target::Object { site } => (site, false),
            Target::NewExperimental { site } => (site, true),
        };
        match groups
            .iter_mut()
            .find(|g| g.site.span == site.span && g.new_experimental == ne)
        {
            Some(g) => g.items.push((key, value, pos)),
            None => groups.push(Group {
                site,
                new_experimental: ne,
                items: vec![(key, value, pos)],
            }),
        }
    }
    for g in &groups {
        let site = g.site;
        let remaining: Vec<SpanInfo> = site
            .props
            .iter()
            .filter(|p| !removed.contains(p))
            .copied()
            .collect();
        let multiline = site
            .props
            .first()
            .is_some_and(|p| source[site.span.lo as usize..p.lo as usize].contains('\n'));
        let indent = remaining
            .last()
            .or(site.props.first())
            .map(|p| indent_at(source, p.lo as usize).to_string())
            .unwrap_or_default();
        let entries: Vec<(String, String)> = if g.new_experimental {
            let inner_indent = format!("{indent}  ");
            let body: Vec<String> = g
                .items
                .iter()
                .map(|(k, v, pos)| {
                    let v = if *pos == usize::MAX {
                        v.clone()
                    } else {
                        reindent(v, indent_at(source, *pos), &inner_indent)
                    };
                    format!("{k}: {v}")
                })
                .collect();
            let value = if multiline {
                format!(
                    "{{\n{inner_indent}{},\n{indent}}}",
                    body.join(&format!(",\n{inner_indent}"))
                )
            } else {
                format!("{{ {} }}", body.join(", "))
            };
            vec![("experimental".to_string(), value)]
        } else {
            g.items
                .iter()
                .map(|(k, v, pos)| {
                    let v = if *pos == usize::MAX || !multiline {
                        v.clone()
                    } else {
                        reindent(v, indent_at(source, *pos), &indent)
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        match remaining.last() {
            None if multiline => {
                // Every property moved out: put the new ones where the first one was.
                let at = site.props[0].lo as usize;
                let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v},")).collect();
                splices.push(Splice {
                    lo: at,
                    hi: at,
                    text: body.join(&format!("\n{indent}")),
                });
            }
            None => {
                let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                splices.push(Splice {
                    lo: site.span.lo as usize + 1,
                    hi: site.span.lo as usize + 1,
                    text: format!(" {} ", body.join(", ")),
                });
            }
            Some(last) => {
                let is_orig_last = site.props.last() == Some(last);
                let after = &source[last.hi as usize..site.span.hi as usize];
                let trimmed = after.trim_start();
                let comma = is_orig_last && trimmed.starts_with(',');
                let (at, text) = if multiline {
                    if comma {
                        let at = last.hi as usize + (after.len() - trimmed.len()) + 1;
                        let t: String = entries
                            .iter()
                            .map(|(k, v)| format!("\n{indent}{k}: {v},"))
                            .collect();
                        (at, t)
                    } else {
                        let t: String = entries
                            .iter()
                            .map(|(k, v)| format!(",\n{indent}{k}: {v}"))
                            .collect();
                        (last.hi as usize, t)
                    }
                } else {
                    let t: String = entries.iter().map(|(k, v)| format!(", {k}: {v}")).collect();
                    (last.hi as usize, t)
                };
                splices.push(Splice {
                    lo: at,
                    hi: at,
                    text,
                });
            }
        }
    }

    for f in fixes {
        if let Fix::AddImport { after } = f {
            let line = "import { fileURLToPath } from 'node:url';";
            match after {
                Some(s) => splices.push(Splice {
                    lo: s.hi as usize,
                    hi: s.hi as usize,
                    text: format!("\n{line}"),
                }),
                None => splices.push(Splice {
                    lo: 0,
                    hi: 0,
                    text: format!("{line}\n"),
                }),
            }
        }
    }

    // Insertions at a position come before a removal starting there.
    splices.sort_by_key(|s| (s.lo, s.hi != s.lo));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0usize;
    for s in &splices {
        if s.lo < at {
            continue;
        }
        out.push_str(&source[at..s.lo]);
        out.push_str(&s.text);
        at = s.hi;
    }
    out.push_str(&source[at..]);
    out
}

// ---------------------------------------------------------------------------------------------
// AST applier

fn ident(name: &str) -> Ident {
    Ident::new_no_ctxt(name.into(), DUMMY_SP)
}

fn str_lit(s: &str) -> Box<Expr> {
    Box::new(Expr::Lit(Lit::Str(Str {
        span: DUMMY_SP,
        value: s.into(),
        raw: None,
    })))
}

#[allow(clippy::vec_box)]
fn call(callee: Expr, args: Vec<Box<Expr>>) -> Expr {
    Expr::Call(CallExpr {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        callee: Callee::Expr(Box::new(callee)),
        args: args
            .into_iter()
            .map(|expr| ExprOrSpread { spread: None, expr })
            .collect(),
        type_args: None,
    })
}

fn member(obj: Expr, prop: &str) -> Expr {
    Expr::Member(MemberExpr {
        span: DUMMY_SP,
        obj: Box::new(obj),
        prop: MemberProp::Ident(IdentName::new(prop.into(), DUMMY_SP)),
    })
}

fn key_value(key: &str, value: Box<Expr>) -> PropOrSpread {
    PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
        key: PropName::Ident(IdentName::new(key.into(), DUMMY_SP)),
        value,
    })))
}

struct AstPass<'f> {
    fixes: &'f [Fix],
    base: u32,
    /// Moved properties, by fix index.
    stash: Vec<(usize, PropOrSpread)>,
    insert: bool,
}

impl AstPass<'_> {
    fn rel(&self, s: Span) -> SpanInfo {
        SpanInfo {
            lo: s.lo.0.saturating_sub(self.base),
            hi: s.hi.0.saturating_sub(self.base),
        }
    }
}

impl VisitMut for AstPass<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        e.visit_mut_children_with(self);
        if self.insert {
            return;
        }
        let span = self.rel(e.span());
        for f in self.fixes {
            match f {
                Fix::RequireResolve { span: s, specifier } if *s == span => {
                    *e = call(
                        member(Expr::Ident(ident("require")), "resolve"),
                        vec![str_lit(specifier)],
                    );
                    return;
                }
                Fix::NewUrl {
                    span: s,
                    specifier,
                    local,
                } if *s == span => {
                    let url = Expr::New(NewExpr {
                        span: DUMMY_SP,
                        ctxt: SyntaxContext::empty(),
                        callee: Box::new(Expr::Ident(ident("URL"))),
                        args: Some(vec![
                            ExprOrSpread {
                                spread: None,
                                expr: str_lit(specifier),
                            },
                            ExprOrSpread {
                                spread: None,
                                expr: Box::new(member(
                                    Expr::MetaProp(MetaPropExpr {
                                        span: DUMMY_SP,
                                        kind: MetaPropKind::ImportMeta,
                                    }),
                                    "url",
                                )),
                            },
                        ]),
                        type_args: None,
                    });
                    *e = call(Expr::Ident(ident(local)), vec![Box::new(url)]);
                    return;
                }
                Fix::WrapFileUrlToPath { span: s, local } if *s == span => {
                    let inner = std::mem::replace(e, Expr::Invalid(Invalid { span: DUMMY_SP }));
                    *e = call(Expr::Ident(ident(local)), vec![Box::new(inner)]);
                    return;
                }
                _ => {}
            }
        }
    }

    fn visit_mut_object_lit(&mut self, o: &mut ObjectLit) {
        o.visit_mut_children_with(self);
        let span = self.rel(o.span);
        if !self.insert {
            for (i, f) in self.fixes.iter().enumerate() {
                if let Fix::MoveProp {
                    prop,
                    from,
                    new_key,
                    ..
                } = f
                {
                    if from.span != span {
                        continue;
                    }
                    let base = self.base;
                    let rel = |s: Span| SpanInfo {
                        lo: s.lo.0.saturating_sub(base),
                        hi: s.hi.0.saturating_sub(base),
                    };
                    if let Some(at) = o.props.iter().position(|p| rel(p.span()) == *prop) {
                        let mut p = o.props.remove(at);
                        if let PropOrSpread::Prop(b) = &mut p {
                            if let Prop::KeyValue(kv) = &mut **b {
                                kv.key = PropName::Ident(IdentName::new(
                                    new_key.as_str().into(),
                                    DUMMY_SP,
                                ));
                            }
                        }
                        self.stash.push((i, p));
                    }
                }
            }
            return;
        }
        // Insert pass: existing objects first, then new `experimental` objects.
        let mut new_exp: Vec<PropOrSpread> = Vec::new();
        for (i, f) in self.fixes.iter().enumerate() {
            let (to, prop) = match f {
                Fix::MoveProp { to, .. } => {
                    let Some(at) = self.stash.iter().position(|(j, _)| *j == i) else {
                        continue;
                    };
                    (to, self.stash.remove(at).1)
                }
                Fix::AddFalse { key, to, .. } => (
                    to,
                    key_value(
                        key,
                        Box::new(Expr::Lit(Lit::Bool(Bool {
                            span: DUMMY_SP,
                            value: false,
                        }))),
                    ),
                ),
                _ => continue,
            };
            match to {
                Target::Object { site } if site.span == span => o.props.push(prop),
                Target::NewExperimental { site } if site.span == span => new_exp.push(prop),
                _ => {
                    // Not this object: keep the moved property for its target.
                    if let PropOrSpread::Prop(_) = &prop {
                        if matches!(f, Fix::MoveProp { .. }) {
                            self.stash.push((i, prop));
                        }
                    }
                }
            }
        }
        if !new_exp.is_empty() {
            o.props.push(key_value(
                "experimental",
                Box::new(Expr::Object(ObjectLit {
                    span: DUMMY_SP,
                    props: new_exp,
                })),
            ));
        }
    }
}

/// Apply the fixes to the AST (the plugin's applier). `span_base` is the `BytePos` the spans
/// of `fixes` are relative to (the one given to [`decide_fixes`] in `EvalContext`).
pub fn apply_ast(program: &mut Program, fixes: &[Fix], span_base: u32) {
    let mut pass = AstPass {
        fixes,
        base: span_base,
        stash: Vec::new(),
        insert: false,
    };
    program.visit_mut_with(&mut pass);
    pass.insert = true;
    program.visit_mut_with(&mut pass);
    let add_import = fixes.iter().find_map(|f| match f {
        Fix::AddImport { after } => Some(*after),
        _ => None,
    });
    if let (Some(after), Program::Module(m)) = (add_import, program) {
        let decl = ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
            span: DUMMY_SP,
            specifiers: vec![ImportSpecifier::Named(ImportNamedSpecifier {
                span: DUMMY_SP,
                local: ident(URL_LOCAL),
                imported: None,
                is_type_only: false,
            })],
            src: Box::new(Str {
                span: DUMMY_SP,
                value: "node:url".into(),
                raw: None,
            }),
            type_only: false,
            with: None,
            phase: Default::default(),
        }));
        let at = match after {
            Some(_) => m
                .body
                .iter()
                .rposition(|i| matches!(i, ModuleItem::ModuleDecl(ModuleDecl::Import(_))))
                .map(|i| i + 1)
                .unwrap_or(0),
            None => 0,
        };
        m.body.insert(at, decl);
    }
}
