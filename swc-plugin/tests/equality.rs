//! The plugin's AST applier and `fix-config`'s text applier make the same edits: for every
//! fixture in `fixtures/fix-config`, the plugin's output on `next.config.*` prints the same as
//! the stored `fix-config` output (`expected.*`, checked by the root crate's fixture test)
//! once both are re-printed by SWC (comments and quote style normalised).

use next_graft_swc_plugin::{transform, Options};
use std::fs;
use std::path::{Path, PathBuf};
use swc_core::common::{sync::Lrc, FileName, SourceMap};
use swc_core::ecma::ast::{EsVersion, Program, Str};
use swc_core::ecma::codegen::to_code_default;
use swc_core::ecma::parser::{parse_file_as_program, EsSyntax, Syntax, TsSyntax};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

fn parse(cm: &Lrc<SourceMap>, name: &str, src: &str) -> Program {
    let fm = cm.new_source_file(FileName::Custom(name.into()).into(), src.to_string());
    let syntax = if name.ends_with(".ts") || name.ends_with(".mts") {
        Syntax::Typescript(TsSyntax::default())
    } else {
        Syntax::Es(EsSyntax::default())
    };
    let mut errors = Vec::new();
    parse_file_as_program(&fm, syntax, EsVersion::latest(), None, &mut errors)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// Print with SWC, quote style normalised (string literals lose their raw text).
fn print(cm: &Lrc<SourceMap>, program: &Program) -> String {
    struct NoRaw;
    impl VisitMut for NoRaw {
        fn visit_mut_str(&mut self, s: &mut Str) {
            s.raw = None;
        }
    }
    let mut program = program.clone();
    program.visit_mut_with(&mut NoRaw);
    to_code_default(cm.clone(), None, &program)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fix-config")
}

#[test]
fn plugin_output_equals_fix_config_output_on_every_fixture() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15);
    for dir in dirs {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let input = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("next.config.")
            })
            .unwrap();
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let ext = input.extension().unwrap().to_string_lossy().into_owned();
        let version = fs::read_to_string(dir.join("version"))
            .unwrap()
            .trim()
            .to_string();
        let expected_file = dir.join(format!("expected.{ext}"));
        let expected_src = if case.starts_with("nofix-") {
            fs::read_to_string(&input).unwrap()
        } else {
            fs::read_to_string(&expected_file).unwrap()
        };
        let cm: Lrc<SourceMap> = Default::default();
        let program = parse(&cm, &name, &fs::read_to_string(&input).unwrap());
        let options = Options {
            next_version: version,
            module_kind: None,
        };
        let out = transform(program, &options, Some(&name)).unwrap();
        let got = print(&cm, &out);
        let want = print(&cm, &parse(&cm, &name, &expected_src));
        assert_eq!(got, want, "{case}: plugin and fix-config differ");
    }
}

#[test]
fn module_kind_comes_from_the_file_name_or_the_option() {
    let cm: Lrc<SourceMap> = Default::default();
    let src = "export default { cacheHandler: './h.js' };";
    let p = parse(&cm, "next.config.mjs", src);
    let opts = |kind: Option<&str>| Options {
        next_version: "16.4.6".into(),
        module_kind: kind.map(|k| serde_json::from_value(serde_json::json!(k)).unwrap()),
    };
    let esm = print(
        &cm,
        &transform(p.clone(), &opts(None), Some("next.config.mjs")).unwrap(),
    );
    assert!(
        esm.contains(r#"fileURLToPath(new URL("./h.js", import.meta.url))"#),
        "{esm}"
    );
    assert!(
        esm.contains(r#"import { fileURLToPath } from "node:url""#),
        "{esm}"
    );
    let cjs = print(
        &cm,
        &transform(p, &opts(Some("cjs")), Some("next.config.js")).unwrap(),
    );
    assert!(cjs.contains(r#"require.resolve("./h.js")"#), "{cjs}");
}

#[test]
fn bad_version_is_an_error() {
    let cm: Lrc<SourceMap> = Default::default();
    let p = parse(&cm, "next.config.js", "module.exports = {};");
    let opts = Options {
        next_version: "sixteen".into(),
        module_kind: None,
    };
    assert!(transform(p, &opts, None).is_err());
}
