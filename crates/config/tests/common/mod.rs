//! Test helpers: parse a config with SWC and render the analysis as a compact snapshot.
#![allow(dead_code)]

use next_graft_config::{analyze, Analysis, EvalContext, ModuleKind};
use swc_core::common::{sync::Lrc, FileName, SourceMap};
use swc_core::ecma::ast::{EsVersion, Program};
use swc_core::ecma::parser::{parse_file_as_program, EsSyntax, Syntax, TsSyntax};

pub const DIR: &str = "/proj";

pub fn parse(name: &str, src: &str) -> Result<(Program, u32), String> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(FileName::Custom(name.into()).into(), src.to_string());
    let syntax = if name.ends_with(".ts") || name.ends_with(".mts") || name.ends_with(".cts") {
        Syntax::Typescript(TsSyntax::default())
    } else {
        Syntax::Es(EsSyntax {
            jsx: false,
            ..Default::default()
        })
    };
    let mut recovered = Vec::new();
    let p = parse_file_as_program(&fm, syntax, EsVersion::latest(), None, &mut recovered)
        .map_err(|e| format!("{:?}", e.kind()))?;
    Ok((p, fm.start_pos.0))
}

pub fn kind_for(name: &str, type_module: bool) -> ModuleKind {
    if name.ends_with(".mjs") || name.ends_with(".mts") || (name.ends_with(".js") && type_module) {
        ModuleKind::Esm
    } else {
        ModuleKind::Cjs
    }
}

pub fn run(name: &str, src: &str, type_module: bool) -> Analysis {
    let (p, base) = parse(name, src).expect("parses");
    let mut ctx = EvalContext::new(kind_for(name, type_module), format!("{DIR}/{name}"), DIR);
    ctx.span_base = base;
    ctx.source = Some(src.to_string());
    analyze(&p, &ctx)
}

pub fn render(a: &Analysis, src: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!("export: {:?}", a.export_form));
    if a.function_config {
        out.push_str(" (function)");
    }
    if !a.wrappers.is_empty() {
        out.push_str(&format!(" via {}", a.wrappers.join(", ")));
    }
    out.push('\n');
    for r in &a.refs {
        let (l, c) = r.span.line_col(src);
        out.push_str(&format!("{} @{}:{} {:?}\n", r.key, l, c, r.form));
        for cand in &r.candidates {
            let v = match &cand.value {
                next_graft_config::CandidateValue::RequireResolve {
                    specifier,
                    from_dir,
                } => {
                    format!("require.resolve('{specifier}') from {from_dir}")
                }
                next_graft_config::CandidateValue::ImportMetaResolve {
                    specifier,
                    from_dir,
                    file_url,
                } => {
                    format!(
                        "import.meta.resolve('{specifier}') from {from_dir} file_url={file_url}"
                    )
                }
                next_graft_config::CandidateValue::Unknown { reason, span } => {
                    format!("unknown: {reason} `{}`", span.text(src).unwrap_or("?"))
                }
                other => other.describe(),
            };
            match &cand.condition {
                Some(c) => out.push_str(&format!("  - {v}  IF {}\n", c.text)),
                None => out.push_str(&format!("  - {v}\n")),
            }
        }
    }
    if let Some(u) = a.unknown_export {
        out.push_str(&format!(
            "unknown export: `{}`\n",
            u.text(src).unwrap_or("?")
        ));
    }
    for s in &a.unknown_spreads {
        out.push_str(&format!(
            "unknown spread: `{}`\n",
            s.text(src).unwrap_or("?")
        ));
    }
    for n in &a.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
