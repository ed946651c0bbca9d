//! SWC Wasm plugin: applies the next-graft config fixes (see `next_graft_config::fix`) to the
//! AST of a `next.config.*` file. The decisions are the ones `next-graft fix-config` applies as
//! text splices; only the applier differs.
//!
//! Options (JSON): `{ "nextVersion": "16.4.6", "moduleKind": "esm" | "cjs" }`. `nextVersion` is
//! required; `moduleKind` defaults from the file name (`.mjs`/`.mts` → esm, `.cjs`/`.cts`/`.ts`
//! → cjs, otherwise esm when the file has import/export declarations).

use next_graft_config::{apply_ast, decide_fixes, EvalContext, FixContext, ModuleKind, Version};
use serde::Deserialize;
use swc_core::ecma::ast::Program;
use swc_core::plugin::metadata::TransformPluginMetadataContextKind;
use swc_core::plugin::plugin_transform;
use swc_core::plugin::proxies::TransformPluginProgramMetadata;

/// The plugin's JSON options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    pub next_version: String,
    #[serde(default)]
    pub module_kind: Option<ModuleKind>,
}

/// The module kind from the file name, else from the program's syntax.
pub fn module_kind_for(filename: Option<&str>, program: &Program) -> ModuleKind {
    let ext = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mjs" | "mts") => ModuleKind::Esm,
        Some("cjs" | "cts" | "ts") => ModuleKind::Cjs,
        _ => match program {
            Program::Module(m) if m.body.iter().any(|i| i.is_module_decl()) => ModuleKind::Esm,
            _ => ModuleKind::Cjs,
        },
    }
}

/// Decide and apply the fixes. Spans are taken as absolute (`span_base` 0), which is what the
/// host's spans are.
pub fn transform(
    mut program: Program,
    options: &Options,
    filename: Option<&str>,
) -> Result<Program, String> {
    let version = Version::parse(&options.next_version)
        .ok_or_else(|| format!("nextVersion: not a version: {:?}", options.next_version))?;
    let kind = options
        .module_kind
        .unwrap_or_else(|| module_kind_for(filename, &program));
    let file = filename.unwrap_or("next.config.js");
    let ctx = FixContext {
        eval: EvalContext::new(
            kind,
            if file.starts_with('/') {
                file.to_string()
            } else {
                format!("/{file}")
            },
            "/",
        ),
        version,
    };
    let fixes = decide_fixes(&program, &ctx);
    apply_ast(&mut program, &fixes, 0);
    Ok(program)
}

#[plugin_transform]
pub fn process_transform(program: Program, metadata: TransformPluginProgramMetadata) -> Program {
    let config = metadata
        .get_transform_plugin_config()
        .unwrap_or_else(|| "{}".into());
    let options: Options = serde_json::from_str(&config)
        .unwrap_or_else(|e| panic!("next-graft-swc-plugin: invalid options {config}: {e}"));
    let filename = metadata.get_context(&TransformPluginMetadataContextKind::Filename);
    match transform(program, &options, filename.as_deref()) {
        Ok(p) => p,
        Err(e) => panic!("next-graft-swc-plugin: {e}"),
    }
}

/// An export that exists only when the wasm was built with `--cfg swc_ast_unknown` (the
/// forward-compatible AST of @swc/core ≥ 1.15): the node e2e test checks for it, because a
/// `RUSTFLAGS` in the environment silently replaces config-file rustflags.
#[cfg(swc_ast_unknown)]
#[no_mangle]
pub extern "C" fn next_graft_built_with_swc_ast_unknown() -> i32 {
    1
}
