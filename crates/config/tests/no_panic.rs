//! The evaluator must never panic, whatever it is given: arbitrary text (whatever parses),
//! token soup made of the constructs it models, and generated well-formed configs. Bounded
//! case counts so this runs in seconds in CI.

mod common;

use proptest::prelude::*;

fn analyze_any(name: &str, src: &str) {
    if let Ok((p, base)) = common::parse(name, src) {
        for kind in [
            next_graft_config::ModuleKind::Cjs,
            next_graft_config::ModuleKind::Esm,
        ] {
            let mut ctx = next_graft_config::EvalContext::new(kind, "/p/next.config.js", "/p");
            ctx.span_base = base;
            ctx.source = Some(src.to_string());
            let a = next_graft_config::analyze(&p, &ctx);
            // Spans must stay inside the source so line/column lookups are safe.
            for r in &a.refs {
                let _ = r.span.line_col(src);
                let _ = r.span.source_line(src);
                for c in &r.candidates {
                    if let Some(s) = c.span {
                        let _ = s.line_col(src);
                    }
                }
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "module.exports",
    "export default",
    "=",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ":",
    "?",
    "&&",
    "||",
    "??",
    "!",
    "===",
    "!==",
    "+",
    "...",
    "=>",
    "async",
    "await",
    "function",
    "return",
    "if",
    "else",
    "const",
    "let",
    "x",
    "config",
    "phase",
    "cacheHandler",
    "cacheHandlers",
    "experimental",
    "default",
    "require",
    ".resolve",
    "require.resolve",
    "'./h.js'",
    "`a${x}b`",
    "process.env.X",
    "process.env.NODE_ENV",
    "'production'",
    "path.join",
    "__dirname",
    "import.meta.url",
    "import.meta.dirname",
    "import.meta.resolve",
    "new URL",
    ".pathname",
    ".href",
    "fileURLToPath",
    "Object.assign",
    "withSentryConfig",
    "undefined",
    "null",
    "true",
    "0",
    "PHASE_PRODUCTION_BUILD",
    "\n",
    " ",
    "import",
    "from",
    "'next/constants'",
    "'path'",
    "satisfies",
    "as",
    "Config",
    ".reduce",
    "throw",
    "try",
    "catch",
    "switch",
    "case",
    "for",
    "while",
    "??=",
    "||=",
    "class",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|v| v.join(" "))
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("'./cache-handler.js'".to_string()),
        Just("require.resolve('./h.js')".to_string()),
        Just("path.join(__dirname, 'h.js')".to_string()),
        Just("process.env.REDIS_URL".to_string()),
        Just("process.env.NODE_ENV".to_string()),
        Just("undefined".to_string()),
        Just("phase".to_string()),
        Just("x".to_string()),
        Just("import.meta.resolve('./h.mjs')".to_string()),
        Just("new URL('./h.mjs', import.meta.url)".to_string()),
        Just("{ default: './d.js' }".to_string()),
        Just("[x, x]".to_string()),
        "[a-z./]{0,8}".prop_map(|s| format!("'{s}'")),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a} ? {b} : {c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} && {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} ?? {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} === {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("`${{{a}}}/${{{b}}}`")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("path.join({a}, {b})")),
            inner.clone().prop_map(|a| format!("fileURLToPath({a})")),
            inner.clone().prop_map(|a| format!("require.resolve({a})")),
            inner.clone().prop_map(|a| format!("({a}).pathname")),
            inner
                .clone()
                .prop_map(|a| format!("{{ ...{a}, cacheHandler: {a} }}")),
            inner.clone().prop_map(|a| format!("wrap({a})")),
            inner.clone().prop_map(|a| format!("((phase) => ({a}))")),
            inner
                .clone()
                .prop_map(|a| format!("Object.assign({{}}, {a})")),
            inner.prop_map(|a| format!("[{a}].reduce((acc, f) => f(acc), {a})")),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    (expr(), expr(), expr(), 0..4u8).prop_map(|(a, b, c, shape)| {
        let prelude = "const path = require('path')\nconst { fileURLToPath } = require('url')\nconst wrap = require('w')\n";
        match shape {
            0 => format!("{prelude}let x = {c}\nmodule.exports = {{ cacheHandler: {a}, cacheHandlers: {{ default: {b} }} }}\n"),
            1 => format!("{prelude}let x = {c}\nif ({a}) {{ x = {b} }} else x = {a}\nmodule.exports = (phase) => {{ if (phase === {c}) return {{ cacheHandler: x }}; return {b} }}\n"),
            2 => format!("{prelude}const x = {{ experimental: {{ cacheHandlers: {a}, incrementalCacheHandlerPath: {b} }} }}\nx.cacheHandler ??= {c}\nmodule.exports = wrap(x, {a})\n"),
            _ => format!("{prelude}function x(phase) {{ return {a} }}\nmodule.exports = async function (phase) {{ const y = x(phase); return {{ ...y, cacheHandler: {b} || {c} }} }}\n"),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(src in "\\PC{0,200}") {
        analyze_any("next.config.js", &src);
        analyze_any("next.config.ts", &src);
    }

    #[test]
    fn token_soup(src in soup()) {
        analyze_any("next.config.js", &src);
        analyze_any("next.config.mjs", &src);
    }

    #[test]
    fn generated_configs(src in program()) {
        let (p, _) = common::parse("next.config.js", &src).expect("generated configs parse");
        drop(p);
        analyze_any("next.config.js", &src);
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let mut e = String::from("'./h.js'");
    for i in 0..200 {
        e = format!("(process.env.V{i} ? {e} : './x{i}.js')");
    }
    analyze_any(
        "next.config.js",
        &format!("module.exports = {{ cacheHandler: {e} }}"),
    );
    let chain = (0..300)
        .map(|i| format!("'p{i}'"))
        .collect::<Vec<_>>()
        .join(" + ");
    analyze_any(
        "next.config.js",
        &format!("module.exports = {{ cacheHandler: {chain} }}"),
    );
    // Exponential growth through re-use of a variable.
    let mut src = String::from("let x = process.env.A ? 'a' : 'b'\n");
    for i in 0..40 {
        src.push_str(&format!("x = process.env.B{i} ? x + x : x\n"));
    }
    src.push_str("module.exports = { cacheHandler: x }\n");
    analyze_any("next.config.js", &src);
    // Unbounded recursion in the config itself.
    analyze_any(
        "next.config.js",
        "function f(p) { return f(p) }\nmodule.exports = f",
    );
    analyze_any(
        "next.config.js",
        "const a = {}; a.self = a; Object.assign(a, a, a); module.exports = { ...a, ...a }",
    );
}
