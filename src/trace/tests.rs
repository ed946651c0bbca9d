//! Fixture tests, one group per category of `docs/tracing-rules.md` §11. Trees are built in
//! temporary directories so that symlinks (pnpm layouts) can be created at test time.

use std::path::{Path, PathBuf};

use super::*;

/// A temporary tree: `files` are `(relative path, content)`.
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = crate::platform::canonicalize(dir.path()).expect("canonical tempdir");
        let t = Tree { _dir: dir, root };
        for (path, content) in files {
            t.write(path, content);
        }
        t
    }

    fn write(&self, rel: &str, content: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    #[cfg(unix)]
    fn link(&self, rel: &str, target: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, p).expect("symlink");
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn trace(&self, entries: &[&str]) -> Closure {
        self.trace_with(entries, TraceOptions::default())
    }

    fn trace_with(&self, entries: &[&str], options: TraceOptions) -> Closure {
        let entries: Vec<PathBuf> = entries.iter().map(|e| self.p(e)).collect();
        Tracer::new(options).trace(&entries)
    }

    /// The closure's files relative to the root, sorted.
    fn files(&self, c: &Closure) -> Vec<String> {
        c.files.keys().map(|p| self.rel(p)).collect()
    }

    /// With `/` on every OS, as the expectations are written.
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// Problems as `kind file:line:col specifier`, for compact assertions.
    fn problems(&self, c: &Closure) -> Vec<String> {
        c.problems
            .iter()
            .map(|p| {
                format!(
                    "{} {}:{}:{} {}",
                    serde_json::to_value(p.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    self.rel(&p.from),
                    p.line,
                    p.column,
                    p.specifier
                )
            })
            .collect()
    }
}

fn has(files: &[String], f: &str) -> bool {
    files.iter().any(|x| x == f)
}

// ---------------------------------------------------------------------------------------------
// ESM static / dynamic

#[test]
fn esm_static_and_dynamic_imports() {
    let t = Tree::new(&[
        ("package.json", r#"{"type":"module"}"#),
        (
            "handler.js",
            "import a from './a.js';\nimport './side.js';\nexport * from './star.js';\nexport { b } from './b.js';\nconst m = await import('./dyn.js');\n",
        ),
        ("a.js", "export default 1;"),
        ("side.js", ""),
        ("star.js", "export const s = 1;"),
        ("b.js", "export const b = 1;"),
        ("dyn.js", "export const d = 1;"),
        ("unused.js", ""),
    ]);
    let c = t.trace(&["handler.js"]);
    assert_eq!(
        t.files(&c),
        [
            "a.js",
            "b.js",
            "dyn.js",
            "handler.js",
            "package.json",
            "side.js",
            "star.js"
        ]
    );
    assert_eq!(c.files[&t.p("handler.js")].reason, Reason::Entry);
    assert_eq!(c.files[&t.p("a.js")].reason, Reason::Dependency);
    assert_eq!(c.files[&t.p("a.js")].parents, vec![t.p("handler.js")]);
    assert_eq!(c.files[&t.p("package.json")].reason, Reason::PackageJson);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn import_attributes_json_is_a_leaf() {
    let t = Tree::new(&[
        (
            "h.mjs",
            "import data from './data.json' with { type: 'json' };\n",
        ),
        ("data.json", r#"{"require": "./nope.js"}"#),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.files(&c), ["data.json", "h.mjs"]);
    assert!(c.problems.is_empty());
}

#[test]
fn syntax_error_is_a_problem_with_position() {
    let t = Tree::new(&[
        ("h.mjs", "import './ok.mjs';\nconst x = ;\n"),
        ("ok.mjs", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.problems(&c), ["parse-error h.mjs:2:11 "]);
    assert_eq!(t.files(&c), ["h.mjs"]);
}

#[test]
fn circular_imports_terminate() {
    let t = Tree::new(&[
        ("a.mjs", "import './b.mjs';"),
        ("b.mjs", "import './a.mjs'; import './c.mjs';"),
        ("c.mjs", "import './b.mjs';"),
    ]);
    let c = t.trace(&["a.mjs"]);
    assert_eq!(t.files(&c), ["a.mjs", "b.mjs", "c.mjs"]);
    assert_eq!(
        c.files[&t.p("b.mjs")].parents,
        vec![t.p("a.mjs"), t.p("c.mjs")]
    );
}

#[test]
fn entry_missing() {
    let t = Tree::new(&[]);
    let c = t.trace(&["nope.js"]);
    assert!(c.files.is_empty());
    assert_eq!(
        t.problems(&c),
        ["entry-missing nope.js:0:0 ".to_string() + &t.p("nope.js").display().to_string()]
    );
}

// ---------------------------------------------------------------------------------------------
// require forms

#[test]
fn require_forms() {
    let t = Tree::new(&[
        (
            "h.js",
            "const a = require('./a');\nconst b = require.resolve('./b.js');\nmodule.require('./c');\nrequire('./dir');\nrequire('./data.json');\n",
        ),
        ("a.js", ""),
        ("b.js", ""),
        ("c.js", ""),
        ("dir/index.js", ""),
        ("data.json", "{}"),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        ["a.js", "b.js", "c.js", "data.json", "dir/index.js", "h.js"]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn shadowed_require_is_not_an_edge() {
    let t = Tree::new(&[
        (
            "h.js",
            "function load(require) { return require('./no1'); }\n{ const require = () => 1; require('./no2'); }\nrequire('./yes');\n",
        ),
        ("yes.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.files(&c), ["h.js", "yes.js"]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn dynamic_require_is_reported_with_position() {
    let t = Tree::new(&[(
        "h.js",
        "const name = process.argv[2];\nconst x = require(name);\n  import(process.env.HANDLER);\n",
    )]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.problems(&c),
        ["dynamic h.js:2:19 <dynamic>", "dynamic h.js:3:10 <dynamic>"]
    );
    let env = c
        .problems
        .iter()
        .find(|p| p.line == 3)
        .expect("env problem");
    assert!(env.detail.contains("process.env.HANDLER"), "{}", env.detail);
}

#[test]
fn conditional_and_logical_arms_are_all_traced() {
    let t = Tree::new(&[
        (
            "h.js",
            "const mode = process.env.NODE_ENV === 'production' ? './prod' : './dev';\nrequire(mode);\nrequire(process.env.X || './fallback.js');\n",
        ),
        ("prod.js", ""),
        ("dev.js", ""),
        ("fallback.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.files(&c), ["dev.js", "fallback.js", "h.js", "prod.js"]);
    // The env arm of `||` is still dynamic: reported, with a note that the rest was traced.
    assert_eq!(t.problems(&c), ["dynamic h.js:3:9 <dynamic>"]);
    assert!(c.problems[0].detail.contains("other values are traced"));
}

#[test]
fn unresolvable_package_has_position_and_resolver_error() {
    let t = Tree::new(&[("h.js", "\n\n   const r = require('not-installed-pkg');\n")]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.problems(&c), ["unresolvable h.js:3:22 not-installed-pkg"]);
    assert!(
        c.problems[0].detail.contains("Cannot find module"),
        "{}",
        c.problems[0].detail
    );
}

#[test]
fn builtins_are_skipped() {
    let t = Tree::new(&[(
        "h.mjs",
        "import fs from 'fs';\nimport { join } from 'node:path';\nimport sqlite from 'node:sqlite';\nconst { createRequire } = await import('node:module');\n",
    )]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.files(&c), ["h.mjs"]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn esm_extensionless_import_is_a_problem() {
    let t = Tree::new(&[
        ("package.json", r#"{"type":"module"}"#),
        (
            "h.js",
            "import './util';\nimport './dir';\nimport pkg from 'pkg';\n",
        ),
        ("util.js", ""),
        ("dir/index.js", ""),
        (
            "node_modules/pkg/package.json",
            r#"{"name":"pkg","main":"lib/index"}"#,
        ),
        ("node_modules/pkg/lib/index.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    // A bare package without exports still resolves (legacy main probing is allowed in ESM).
    assert!(
        has(&t.files(&c), "node_modules/pkg/lib/index.js"),
        "{:?}",
        t.files(&c)
    );
    assert!(has(&t.files(&c), "node_modules/pkg/package.json"));
    assert!(!has(&t.files(&c), "util.js"));
    assert_eq!(
        t.problems(&c),
        [
            "esm-extensionless h.js:1:8 ./util",
            "esm-extensionless h.js:2:8 ./dir"
        ]
    );
    assert_eq!(c.problems[0].target, Some(t.p("util.js")));
}

#[test]
fn require_from_esm_file_uses_require_conditions() {
    let t = Tree::new(&[
        (
            "h.mjs",
            "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nrequire('dual');\nimport('dual');\n",
        ),
        (
            "node_modules/dual/package.json",
            r#"{"name":"dual","exports":{".":{"import":"./esm.mjs","require":"./cjs.cjs"}}}"#,
        ),
        ("node_modules/dual/esm.mjs", ""),
        ("node_modules/dual/cjs.cjs", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(
        t.files(&c),
        [
            "h.mjs",
            "node_modules/dual/cjs.cjs",
            "node_modules/dual/esm.mjs",
            "node_modules/dual/package.json"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// createRequire

#[test]
fn create_require_forms() {
    let t = Tree::new(&[
        (
            "h.mjs",
            r#"import { createRequire } from 'module';
import * as mod from 'node:module';
import nodeModule from 'module';
const r1 = createRequire(import.meta.url);
r1('./one.cjs');
const r2 = mod.createRequire(import.meta.url);
r2.resolve('./two.cjs');
const { createRequire: cr } = nodeModule;
cr(import.meta.url)('./three.cjs');
const r4 = nodeModule.createRequire(new URL('./sub/', import.meta.url));
r4('./four.cjs');
function other(createRequire) { createRequire(import.meta.url)('./no.cjs'); }
"#,
        ),
        ("one.cjs", ""),
        ("two.cjs", ""),
        ("three.cjs", ""),
        ("sub/four.cjs", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(
        t.files(&c),
        ["h.mjs", "one.cjs", "sub/four.cjs", "three.cjs", "two.cjs"]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn create_require_from_filename_in_cjs() {
    let t = Tree::new(&[
        (
            "lib/h.js",
            "const { createRequire } = require('node:module');\nconst req = createRequire(__filename);\nreq('./x');\nconst path = require('path');\nconst up = createRequire(path.join(__dirname, '..', 'other', 'index.js'));\nup('./y');\n",
        ),
        ("lib/x.js", ""),
        ("other/y.js", ""),
    ]);
    let c = t.trace(&["lib/h.js"]);
    assert_eq!(t.files(&c), ["lib/h.js", "lib/x.js", "other/y.js"]);
}

// ---------------------------------------------------------------------------------------------
// import.meta.url / new URL

#[test]
fn new_url_import_meta_url() {
    let t = Tree::new(&[
        (
            "h.mjs",
            r#"import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
const worker = new URL('./worker.mjs', import.meta.url);
const wasm = readFileSync(new URL('./lib.wasm', import.meta.url));
const tpl = fileURLToPath(new URL('./templates/page.html', import.meta.url));
const p = new URL('./data.txt', import.meta.url).pathname;
const remote = new URL('https://example.com/x.js');
const bad = new URL('./missing.txt', import.meta.url);
const dir = new URL('./templates/partials/', import.meta.url);
const own = new URL('./', import.meta.url);
"#,
        ),
        ("worker.mjs", "import './worker-dep.mjs';"),
        ("worker-dep.mjs", ""),
        ("lib.wasm", ""),
        ("templates/page.html", ""),
        ("data.txt", ""),
        ("templates/partials/header.html", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(
        t.files(&c),
        [
            "data.txt",
            "h.mjs",
            "lib.wasm",
            "templates/page.html",
            "templates/partials/header.html",
            "worker-dep.mjs",
            "worker.mjs"
        ]
    );
    assert_eq!(c.files[&t.p("worker.mjs")].reason, Reason::Dependency);
    assert_eq!(c.files[&t.p("lib.wasm")].reason, Reason::Asset);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn import_of_a_file_url() {
    let t = Tree::new(&[
        ("h.mjs", "await import(new URL('./a.mjs', import.meta.url));\nawait import(new URL('./b.mjs', import.meta.url).href);\n"),
        ("a.mjs", ""),
        ("b.mjs", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.files(&c), ["a.mjs", "b.mjs", "h.mjs"]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

// ---------------------------------------------------------------------------------------------
// partial strings / globs

#[test]
fn partial_strings_become_globs() {
    let t = Tree::new(&[
        (
            "h.js",
            "const path = require('path');\nrequire('./locales/' + lang);\nimport(`./handlers/${k}.js`);\nrequire(path.join(__dirname, 'plugins', name + '.js'));\n",
        ),
        ("locales/en.json", "{}"),
        ("locales/de/index.js", ""),
        ("locales/node_modules/x/index.js", ""),
        ("locales/.next/server/chunk.js", ""),
        ("locales/.git/hooks/x.js", ""),
        ("handlers/a.js", ""),
        ("handlers/b.js", ""),
        ("handlers/readme.md", ""),
        ("plugins/p.js", ""),
        ("plugins/p.txt", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        [
            "h.js",
            "handlers/a.js",
            "handlers/b.js",
            "locales/de/index.js",
            "locales/en.json",
            "plugins/p.js"
        ]
    );
    assert_eq!(c.files[&t.p("handlers/a.js")].reason, Reason::Glob);
    let globs: Vec<&EdgeProblem> = c
        .problems
        .iter()
        .filter(|p| p.kind == EdgeProblemKind::Glob)
        .collect();
    assert_eq!(globs.len(), 3, "{:?}", c.problems);
    assert_eq!(t.problems(&c)[1], "glob h.js:3:8 ./handlers/*.js");
}

#[test]
fn glob_ending_without_wildcard_probes_extensions() {
    let t = Tree::new(&[
        ("h.js", "require('./mods/' + name + '/main');\n"),
        ("mods/a/main.js", ""),
        ("mods/b/main/index.js", ""),
        ("mods/c/other.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        ["h.js", "mods/a/main.js", "mods/b/main/index.js"]
    );
}

#[test]
fn partial_bare_specifier_is_dynamic() {
    let t = Tree::new(&[("h.js", "require('@scope/' + name);\n")]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.problems(&c), ["dynamic h.js:1:9 @scope/*"]);
}

// ---------------------------------------------------------------------------------------------
// fs assets

#[test]
fn fs_assets_relative_to_dirname() {
    let t = Tree::new(&[
        (
            "node_modules/pkg/lib/index.js",
            r#"const fs = require('fs');
const { join } = require('node:path');
const fsx = require('fs-extra');
const tpl = fs.readFileSync(join(__dirname, 'tpl.html'), 'utf8');
const files = fs.readdirSync(__dirname + '/../assets');
fsx.readJsonSync(`${__dirname}/conf.json`);
fs.existsSync(join(__dirname, 'optional.txt'));
fs.readdirSync(__dirname);
fs.readFileSync(join(__dirname, '..', '..', 'other', 'secret.txt'));
fs.readFileSync(join(__dirname, 'locales', lang + '.json'));
"#,
        ),
        ("node_modules/pkg/package.json", r#"{"name":"pkg"}"#),
        ("node_modules/pkg/lib/tpl.html", ""),
        ("node_modules/pkg/lib/conf.json", "{}"),
        ("node_modules/pkg/lib/locales/en.json", "{}"),
        ("node_modules/pkg/assets/a.png", ""),
        ("node_modules/pkg/assets/sub/b.css", ""),
        ("node_modules/pkg/assets/README.md", ""),
        ("node_modules/other/secret.txt", ""),
    ]);
    let c = t.trace(&["node_modules/pkg/lib/index.js"]);
    assert_eq!(
        t.files(&c),
        [
            "node_modules/pkg/assets/a.png",
            "node_modules/pkg/assets/sub/b.css",
            "node_modules/pkg/lib/conf.json",
            "node_modules/pkg/lib/index.js",
            "node_modules/pkg/lib/locales/en.json",
            "node_modules/pkg/lib/tpl.html",
            "node_modules/pkg/package.json",
        ]
    );
    assert_eq!(
        c.files[&t.p("node_modules/pkg/lib/tpl.html")].reason,
        Reason::Asset
    );
}

#[test]
fn shadowed_fs_is_not_an_asset_read() {
    let t = Tree::new(&[
        ("h.js", "function f(fs) { fs.readFileSync(__dirname + '/a.txt'); }\nconst fs = require('fs');\nfs.readFileSync(__dirname + '/b.txt');\n"),
        ("a.txt", ""),
        ("b.txt", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.files(&c), ["b.txt", "h.js"]);
}

// ---------------------------------------------------------------------------------------------
// exports / imports / conditions

#[test]
fn wildcard_exports_with_require_and_import_conditions() {
    // The @neshca/cache-handler layout.
    let t = Tree::new(&[
        (
            "h.mjs",
            "import redis from '@neshca/cache-handler/redis-strings';\nconst r = (await import('node:module')).createRequire(import.meta.url);\n",
        ),
        ("h.cjs", "require('@neshca/cache-handler/local-lru');\n"),
        (
            "node_modules/@neshca/cache-handler/package.json",
            r#"{"name":"@neshca/cache-handler","type":"module","exports":{".":{"require":"./dist/index.cjs","import":"./dist/index.js"},"./*":{"require":"./dist/handlers/*.cjs","import":"./dist/handlers/*.js"},"./package.json":"./package.json"}}"#,
        ),
        ("node_modules/@neshca/cache-handler/dist/handlers/redis-strings.js", "import '../helpers/x.js';"),
        ("node_modules/@neshca/cache-handler/dist/handlers/redis-strings.cjs", ""),
        ("node_modules/@neshca/cache-handler/dist/handlers/local-lru.cjs", "require('../helpers/y.cjs');"),
        ("node_modules/@neshca/cache-handler/dist/handlers/local-lru.js", ""),
        ("node_modules/@neshca/cache-handler/dist/helpers/x.js", ""),
        ("node_modules/@neshca/cache-handler/dist/helpers/y.cjs", ""),
    ]);
    let c = t.trace(&["h.mjs", "h.cjs"]);
    assert_eq!(
        t.files(&c),
        [
            "h.cjs",
            "h.mjs",
            "node_modules/@neshca/cache-handler/dist/handlers/local-lru.cjs",
            "node_modules/@neshca/cache-handler/dist/handlers/redis-strings.js",
            "node_modules/@neshca/cache-handler/dist/helpers/x.js",
            "node_modules/@neshca/cache-handler/dist/helpers/y.cjs",
            "node_modules/@neshca/cache-handler/package.json",
        ]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn module_sync_catch_all_keeps_every_target() {
    let t = Tree::new(&[
        ("h.cjs", "require('ms');\nrequire('#internal');\n"),
        (
            "package.json",
            r##"{"name":"app","imports":{"#internal":{"module-sync":"./internal-sync.mjs","default":"./internal.cjs"}}}"##,
        ),
        ("internal-sync.mjs", ""),
        ("internal.cjs", ""),
        (
            "node_modules/ms/package.json",
            r#"{"name":"ms","exports":{".":{"module-sync":"./sync.mjs","require":"./req.cjs","default":"./def.js"},"./browser":{"browser":"./b.js"}}}"#,
        ),
        ("node_modules/ms/sync.mjs", ""),
        ("node_modules/ms/req.cjs", ""),
        ("node_modules/ms/def.js", ""),
    ]);
    let c = t.trace(&["h.cjs"]);
    // module-sync (Node >= 22.10) and require (older Node) are both kept; `default` is shadowed by
    // `require` for every Node, so it is not needed.
    assert_eq!(
        t.files(&c),
        [
            "h.cjs",
            "internal-sync.mjs",
            "internal.cjs",
            "node_modules/ms/package.json",
            "node_modules/ms/req.cjs",
            "node_modules/ms/sync.mjs",
            "package.json",
        ]
    );
}

#[test]
fn exports_null_blocks_and_nested_conditions() {
    let t = Tree::new(&[
        ("h.mjs", "import 'p';\nimport 'p/private/x.js';\n"),
        (
            "node_modules/p/package.json",
            r#"{"name":"p","exports":{".":{"node":{"import":"./node.mjs","default":"./node.cjs"},"default":"./browser.js"},"./private/*":null}}"#,
        ),
        ("node_modules/p/node.mjs", ""),
        ("node_modules/p/node.cjs", ""),
        ("node_modules/p/browser.js", ""),
        ("node_modules/p/private/x.js", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(
        t.files(&c),
        [
            "h.mjs",
            "node_modules/p/node.mjs",
            "node_modules/p/package.json"
        ]
    );
    assert_eq!(t.problems(&c), ["unresolvable h.mjs:2:8 p/private/x.js"]);
}

#[test]
fn self_reference_reads_own_package_json() {
    let t = Tree::new(&[
        (
            "package.json",
            r#"{"name":"me","exports":{"./util":"./lib/util.cjs"}}"#,
        ),
        ("h.cjs", "require('me/util');"),
        ("lib/util.cjs", ""),
    ]);
    let c = t.trace(&["h.cjs"]);
    assert_eq!(t.files(&c), ["h.cjs", "lib/util.cjs", "package.json"]);
}

#[test]
fn package_main_and_nested_type_package_json() {
    let t = Tree::new(&[
        ("h.cjs", "require('lib');"),
        (
            "node_modules/lib/package.json",
            r#"{"name":"lib","main":"./dist/cjs/index.js"}"#,
        ),
        (
            "node_modules/lib/dist/cjs/package.json",
            r#"{"type":"commonjs"}"#,
        ),
        ("node_modules/lib/dist/cjs/index.js", "require('./dep');"),
        ("node_modules/lib/dist/cjs/dep.js", ""),
    ]);
    let c = t.trace(&["h.cjs"]);
    assert_eq!(
        t.files(&c),
        [
            "h.cjs",
            "node_modules/lib/dist/cjs/dep.js",
            "node_modules/lib/dist/cjs/index.js",
            "node_modules/lib/dist/cjs/package.json",
            "node_modules/lib/package.json",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// symlinks / pnpm / workspaces

#[cfg(unix)]
#[test]
fn pnpm_layout_records_links_and_real_files() {
    let t = Tree::new(&[
        ("app/h.js", "require('redis');"),
        ("app/package.json", r#"{"name":"app"}"#),
        (
            "app/node_modules/.pnpm/redis@4.7.0/node_modules/redis/package.json",
            r#"{"name":"redis","main":"./dist/index.js"}"#,
        ),
        (
            "app/node_modules/.pnpm/redis@4.7.0/node_modules/redis/dist/index.js",
            "require('@redis/client');",
        ),
        (
            "app/node_modules/.pnpm/@redis+client@1.6.0/node_modules/@redis/client/package.json",
            r#"{"name":"@redis/client","exports":{".":"./dist/index.js"}}"#,
        ),
        (
            "app/node_modules/.pnpm/@redis+client@1.6.0/node_modules/@redis/client/dist/index.js",
            "",
        ),
    ]);
    t.link(
        "app/node_modules/redis",
        ".pnpm/redis@4.7.0/node_modules/redis",
    );
    t.link(
        "app/node_modules/.pnpm/redis@4.7.0/node_modules/@redis/client",
        "../../../@redis+client@1.6.0/node_modules/@redis/client",
    );
    let c = t.trace(&["app/h.js"]);
    assert_eq!(
        t.files(&c),
        [
            "app/h.js",
            "app/node_modules/.pnpm/@redis+client@1.6.0/node_modules/@redis/client/dist/index.js",
            "app/node_modules/.pnpm/@redis+client@1.6.0/node_modules/@redis/client/package.json",
            "app/node_modules/.pnpm/redis@4.7.0/node_modules/redis/dist/index.js",
            "app/node_modules/.pnpm/redis@4.7.0/node_modules/redis/package.json",
            "app/package.json",
        ]
    );
    let links: Vec<(String, String)> = c
        .links
        .iter()
        .map(|(l, t2)| (t.rel(l), t2.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        links,
        [
            (
                "app/node_modules/.pnpm/redis@4.7.0/node_modules/@redis/client".to_string(),
                "../../../@redis+client@1.6.0/node_modules/@redis/client".to_string()
            ),
            (
                "app/node_modules/redis".to_string(),
                ".pnpm/redis@4.7.0/node_modules/redis".to_string()
            ),
        ]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[cfg(unix)]
#[test]
fn workspace_link_and_linked_entry() {
    let t = Tree::new(&[
        ("apps/web/h.mjs", "import '@acme/cache';"),
        (
            "packages/cache/package.json",
            r#"{"name":"@acme/cache","type":"module","exports":"./src/index.js"}"#,
        ),
        ("packages/cache/src/index.js", "import './impl.js';"),
        ("packages/cache/src/impl.js", ""),
    ]);
    t.link(
        "apps/web/node_modules/@acme/cache",
        "../../../../packages/cache",
    );
    t.link("apps/web/handler-link.mjs", "h.mjs");
    let c = t.trace(&["apps/web/handler-link.mjs"]);
    assert_eq!(
        t.files(&c),
        [
            "apps/web/h.mjs",
            "packages/cache/package.json",
            "packages/cache/src/impl.js",
            "packages/cache/src/index.js"
        ]
    );
    let links: Vec<String> = c.links.keys().map(|l| t.rel(l)).collect();
    assert_eq!(
        links,
        [
            "apps/web/handler-link.mjs",
            "apps/web/node_modules/@acme/cache"
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlink_cycle_terminates() {
    let t = Tree::new(&[("h.js", "require('./loop/x');")]);
    t.link("loop", "loop2");
    t.link("loop2", "loop");
    let c = t.trace(&["h.js"]);
    assert_eq!(t.files(&c), ["h.js"]);
    assert_eq!(t.problems(&c), ["unresolvable h.js:1:9 ./loop/x"]);
}

// ---------------------------------------------------------------------------------------------
// boundary

#[test]
fn boundary_is_compared_by_component() {
    let t = Tree::new(&[
        (
            "repo/h.js",
            "require('../repo-b/x.js');\nrequire('./in.js');\nrequire('../repo/in2.js');\n",
        ),
        ("repo/in.js", ""),
        ("repo/in2.js", ""),
        ("repo-b/x.js", ""),
    ]);
    let c = t.trace_with(
        &["repo/h.js"],
        TraceOptions {
            boundary: Some(t.p("repo")),
            ..Default::default()
        },
    );
    assert_eq!(t.files(&c), ["repo/h.js", "repo/in.js", "repo/in2.js"]);
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    let p = &c.problems[0];
    assert_eq!(p.kind, EdgeProblemKind::OutsideBoundary);
    assert_eq!(
        (p.line, p.column, p.specifier.as_str()),
        (1, 9, "../repo-b/x.js")
    );
    assert_eq!(p.target, Some(t.p("repo-b/x.js")));
}

#[cfg(unix)]
#[test]
fn boundary_catches_links_that_leave_the_tree() {
    let t = Tree::new(&[
        ("standalone/h.js", "require('dep');"),
        ("outside/dep/package.json", r#"{"name":"dep"}"#),
        ("outside/dep/index.js", ""),
    ]);
    t.link("standalone/node_modules/dep", "../../outside/dep");
    let c = t.trace_with(
        &["standalone/h.js"],
        TraceOptions {
            boundary: Some(t.p("standalone")),
            ..Default::default()
        },
    );
    assert_eq!(t.files(&c), ["standalone/h.js"]);
    assert_eq!(t.problems(&c), ["outside-boundary standalone/h.js:1:9 dep"]);
    assert_eq!(c.problems[0].target, Some(t.p("outside/dep/index.js")));
    // The link that leads out is not handed out for copying.
    assert!(c.links.is_empty(), "{:?}", c.links);
}

// ---------------------------------------------------------------------------------------------
// TypeScript

#[test]
fn ts_handler_skips_type_only_imports_and_aliases_js_to_ts() {
    let t = Tree::new(&[
        ("package.json", r#"{"type":"module"}"#),
        (
            "cache-handler.ts",
            r#"import type { CacheHandler } from 'next/dist/server/lib/incremental-cache';
import { type Foo, type Bar } from './types.js';
export type { Baz } from './types2.js';
export { type Qux } from './types3.js';
import { helper } from './lib/helper.js';
import './side-effect.js';
import dep from './dep.js';
enum Kind { A = 1 }
export default class Handler implements CacheHandler {
  constructor(private readonly options: Options) {}
  get(key: string): Promise<Foo | undefined> { return helper(key) as any; }
}
const x = <const>'y' satisfies string;
"#,
        ),
        (
            "lib/helper.ts",
            "export function helper(k: string) { return k; }",
        ),
        ("side-effect.ts", ""),
        ("dep.ts", "export default 1;"),
        ("types.ts", ""),
        ("types3.ts", ""),
    ]);
    let c = t.trace(&["cache-handler.ts"]);
    // `import type`/`export type` are erased (types2 does not even exist). Inline `type`
    // specifiers are not: Node's type stripping leaves `import {} from './types.js'`, which loads.
    assert_eq!(
        t.files(&c),
        [
            "cache-handler.ts",
            "dep.ts",
            "lib/helper.ts",
            "package.json",
            "side-effect.ts",
            "types.ts",
            "types3.ts",
        ]
    );
    // Every `.js` → `.ts` mapping is noted: Node's own type stripping would not find them.
    let kinds: Vec<(EdgeProblemKind, u32)> = c.problems.iter().map(|p| (p.kind, p.line)).collect();
    let alias = EdgeProblemKind::TsSourceAlias;
    assert_eq!(
        kinds,
        [(alias, 2), (alias, 4), (alias, 5), (alias, 6), (alias, 7)]
    );
}

#[test]
fn tsx_and_mts_parse() {
    let t = Tree::new(&[
        ("package.json", r#"{"type":"module"}"#),
        ("h.mts", "import './view.js';\nconst f = <T,>(x: T) => x;\n"),
        (
            "view.tsx",
            "export const V = () => <div>{'x'}</div>;\nimport('./more.mjs');\n",
        ),
        ("more.mts", ""),
    ]);
    let c = t.trace(&["h.mts"]);
    assert_eq!(
        t.files(&c),
        ["h.mts", "more.mts", "package.json", "view.tsx"]
    );
    let kinds: Vec<EdgeProblemKind> = c.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [EdgeProblemKind::TsSourceAlias; 2],
        "{:?}",
        c.problems
    );
}

// ---------------------------------------------------------------------------------------------
// module kind

#[test]
fn typeless_js_with_esm_syntax_is_flagged() {
    let t = Tree::new(&[
        ("package.json", r#"{"name":"x"}"#),
        ("h.js", "\nexport default {};\n"),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.problems(&c), ["typeless-esm h.js:2:1 "]);
}

// ---------------------------------------------------------------------------------------------
// native addons

#[test]
fn native_addons_and_shared_libs() {
    let t = Tree::new(&[
        ("h.js", "require('addon');\nrequire('gyp');\n"),
        (
            "node_modules/addon/package.json",
            r#"{"name":"addon","main":"index.js"}"#,
        ),
        (
            "node_modules/addon/index.js",
            "module.exports = require('bindings')('addon');",
        ),
        ("node_modules/addon/build/Release/addon.node", ""),
        ("node_modules/addon/lib/libfoo.so.1", ""),
        (
            "node_modules/bindings/package.json",
            r#"{"name":"bindings","main":"bindings.js"}"#,
        ),
        ("node_modules/bindings/bindings.js", ""),
        ("node_modules/gyp/package.json", r#"{"name":"gyp"}"#),
        (
            "node_modules/gyp/index.js",
            "module.exports = require('node-gyp-build')(__dirname);",
        ),
        ("node_modules/gyp/prebuilds/linux-x64/gyp.node", ""),
        (
            "node_modules/node-gyp-build/package.json",
            r#"{"name":"node-gyp-build"}"#,
        ),
        ("node_modules/node-gyp-build/index.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    let files = t.files(&c);
    for f in [
        "node_modules/addon/build/Release/addon.node",
        "node_modules/addon/lib/libfoo.so.1",
        "node_modules/gyp/prebuilds/linux-x64/gyp.node",
        "node_modules/bindings/bindings.js",
        "node_modules/node-gyp-build/index.js",
    ] {
        assert!(has(&files, f), "{f} missing from {files:?}");
    }
    assert_eq!(
        c.files[&t.p("node_modules/addon/lib/libfoo.so.1")].reason,
        Reason::SharedLib
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

// ---------------------------------------------------------------------------------------------
// hooks, multiple entries, determinism

#[test]
fn module_register_is_an_import_edge() {
    let t = Tree::new(&[
        (
            "h.mjs",
            "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
        ),
        ("hooks.mjs", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.files(&c), ["h.mjs", "hooks.mjs"]);
}

#[test]
fn several_entries_share_a_closure_and_output_is_deterministic() {
    let t = Tree::new(&[
        ("a.mjs", "import './shared.mjs';"),
        ("b.mjs", "import './shared.mjs'; import './only-b.mjs';"),
        ("shared.mjs", ""),
        ("only-b.mjs", ""),
    ]);
    let c1 = t.trace(&["b.mjs", "a.mjs"]);
    let c2 = t.trace(&["a.mjs", "b.mjs", "a.mjs"]);
    assert_eq!(c1, c2);
    assert_eq!(
        c1.files[&t.p("shared.mjs")].parents,
        vec![t.p("a.mjs"), t.p("b.mjs")]
    );
    assert_eq!(c1.files[&t.p("a.mjs")].reason, Reason::Entry);
}

#[test]
fn evaluator_cost_is_bounded() {
    // nft #314: chained concatenation is exponential there. Here it must stay fast.
    let mut src = String::from("const a0 = cond ? './x' : './y';\n");
    for i in 1..60 {
        src.push_str(&format!("const a{i} = a{} + (c{i} ? 'p' : 'q');\n", i - 1));
    }
    src.push_str("require(a59);\n");
    let deep = format!("require({}'./z'{});\n", "(".repeat(5000), ")".repeat(5000));
    let t = Tree::new(&[("h.js", &src), ("deep.js", &deep)]);
    let start = std::time::Instant::now();
    let c = t.trace(&["h.js", "deep.js"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert!(c
        .problems
        .iter()
        .any(|p| p.kind == EdgeProblemKind::Dynamic));
}

#[test]
fn require_resolve_with_paths_and_directory_main() {
    let t = Tree::new(&[
        (
            "app/h.js",
            "const path = require('path');\nrequire.resolve('tool', { paths: [path.join(__dirname, '..', 'vendor')] });\nrequire('./lib');\n",
        ),
        ("vendor/node_modules/tool/package.json", r#"{"name":"tool","main":"t.js"}"#),
        ("vendor/node_modules/tool/t.js", ""),
        ("app/lib/package.json", r#"{"main":"./main.js"}"#),
        ("app/lib/main.js", ""),
    ]);
    let c = t.trace(&["app/h.js"]);
    assert_eq!(
        t.files(&c),
        [
            "app/h.js",
            "app/lib/main.js",
            "app/lib/package.json",
            "vendor/node_modules/tool/package.json",
            "vendor/node_modules/tool/t.js",
        ]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

/// `require('./lib')` with both `lib.js` and `lib/package.json`: Node loads the file and never
/// looks at the directory, so its package.json is not in the closure; with only the directory,
/// it is.
#[test]
fn a_request_found_as_a_file_reads_no_directory_package_json() {
    let t = Tree::new(&[
        ("h.js", "require('./lib');\nrequire('./other');\n"),
        ("lib.js", ""),
        ("lib/package.json", r#"{"main":"./main.js"}"#),
        ("lib/main.js", ""),
        ("other/package.json", r#"{"main":"./main.js"}"#),
        ("other/main.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        ["h.js", "lib.js", "other/main.js", "other/package.json"]
    );
}

#[test]
fn found_as_file_is_the_request_or_the_request_with_an_extension() {
    let p = Path::new;
    assert!(found_as_file(p("/a/lib"), p("/a/lib")));
    assert!(found_as_file(p("/a/lib"), p("/a/lib.js")));
    assert!(found_as_file(p("/a/lib.js"), p("/a/lib.js.json")));
    assert!(!found_as_file(p("/a/lib"), p("/a/lib/main.js")));
    assert!(!found_as_file(p("/a/lib"), p("/a/library.js")));
    assert!(!found_as_file(p("/a/lib"), p("/real/lib.js")));
    assert!(!found_as_file(p("/"), p("/x.js")));
}

#[test]
fn asset_outside_boundary_points_at_the_read() {
    let t = Tree::new(&[
        (
            "app/h.js",
            "const fs = require('fs');\n\nfs.readFileSync(__dirname + '/../secret.txt');\n",
        ),
        ("secret.txt", ""),
    ]);
    let c = t.trace_with(
        &["app/h.js"],
        TraceOptions {
            boundary: Some(t.p("app")),
            ..Default::default()
        },
    );
    assert_eq!(t.files(&c), ["app/h.js"]);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(
        (c.problems[0].kind, c.problems[0].line, c.problems[0].column),
        (EdgeProblemKind::OutsideBoundary, 3, 17)
    );
}

/// Timing on a real tree: `TRACE_BENCH_ENTRY=/abs/entry.mjs cargo test --release --lib
/// trace::tests::bench_real_tree -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_real_tree() {
    let Ok(entry) = std::env::var("TRACE_BENCH_ENTRY") else {
        return;
    };
    let entries: Vec<PathBuf> = entry.split(',').map(PathBuf::from).collect();
    for round in 0..3 {
        let start = std::time::Instant::now();
        let c = Tracer::new(TraceOptions::default()).trace(&entries);
        let took = start.elapsed();
        let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
        for p in &c.problems {
            *kinds.entry(format!("{:?}", p.kind)).or_default() += 1;
        }
        println!(
            "round {round}: {} files, {} links, problems {kinds:?} in {took:?}",
            c.files.len(),
            c.links.len()
        );
        if let (0, Ok(list)) = (round, std::env::var("TRACE_BENCH_LIST")) {
            let mut text = String::new();
            for f in c.files.keys().chain(c.links.keys()) {
                text.push_str(&format!("{}\n", f.display()));
            }
            std::fs::write(list, text).expect("write list");
        }
        if round == 0 && std::env::var("TRACE_BENCH_VERBOSE").is_ok() {
            for p in &c.problems {
                println!(
                    "  {:?} {}:{}:{} {} {}",
                    p.kind,
                    p.from.display(),
                    p.line,
                    p.column,
                    p.specifier,
                    p.detail
                );
            }
        }
    }
}

#[test]
fn optional_dependencies_and_tsconfig_paths_are_explained() {
    let t = Tree::new(&[
        ("tsconfig.json", "{ // comment\n \"compilerOptions\": { \"paths\": { \"@/*\": [\"./src/*\"] } } }"),
        ("src/lib/x.ts", ""),
        (
            "h.ts",
            "import x from '@/lib/x';\ntry { require('optional-dep'); } catch {}\nimport('other-optional').catch(() => null);\n",
        ),
    ]);
    let c = t.trace(&["h.ts"]);
    let by_spec = |s: &str| c.problems.iter().find(|p| p.specifier == s).expect(s);
    assert!(!by_spec("@/lib/x").optional);
    assert!(
        by_spec("@/lib/x")
            .detail
            .contains("tsconfig.json has `paths`"),
        "{}",
        by_spec("@/lib/x").detail
    );
    assert!(by_spec("optional-dep").optional);
    assert!(by_spec("other-optional").optional);
}

#[test]
fn worker_threads_files_are_modules() {
    let t = Tree::new(&[
        (
            "h.mjs",
            "import { Worker } from 'node:worker_threads';\nimport { join } from 'node:path';\nnew Worker(new URL('./w1.mjs', import.meta.url));\nnew Worker(join(import.meta.dirname, 'w2.mjs'));\nnew Worker('./cwd-relative.js');\n",
        ),
        ("w1.mjs", "import './w1-dep.mjs';"),
        ("w1-dep.mjs", ""),
        ("w2.mjs", ""),
        ("cwd-relative.js", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(t.files(&c), ["h.mjs", "w1-dep.mjs", "w1.mjs", "w2.mjs"]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn pathological_nesting_does_not_crash() {
    let arrays = format!(
        "const a = {}1{};\nrequire('./ok.js');\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let blocks = format!(
        "{}require('./ok.js');{}\n",
        "{".repeat(100_000),
        "}".repeat(100_000)
    );
    let calls = format!("{}0{};\n", "f(".repeat(100_000), ")".repeat(100_000));
    let t = Tree::new(&[
        ("a.js", &arrays),
        ("b.js", &blocks),
        ("c.js", &calls),
        ("ok.js", ""),
    ]);
    let c = t.trace(&["a.js", "b.js", "c.js"]);
    assert!(c.files.contains_key(&t.p("a.js")));
    let kinds: Vec<EdgeProblemKind> = c.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [EdgeProblemKind::ParseError; 3]);
    // Deep but sane nesting is still analysed.
    let t = Tree::new(&[
        (
            "d.js",
            &format!(
                "{}require('./ok.js');{}",
                "{".repeat(3_000),
                "}".repeat(3_000)
            ),
        ),
        ("ok.js", ""),
    ]);
    assert_eq!(t.files(&t.trace(&["d.js"])), ["d.js", "ok.js"]);
}

#[test]
fn long_operator_chains_do_not_crash() {
    let concat = format!(
        "const s = 'a'{};\nrequire('./ok.js');\n",
        " + 'a'".repeat(100_000)
    );
    let unary = format!("const u = {}x;\nrequire('./ok.js');\n", "!".repeat(100_000));
    let arrows = format!(
        "const f = {}0;\nrequire('./ok.js');\n",
        "a => ".repeat(50_000)
    );
    let t = Tree::new(&[
        ("a.js", &concat),
        ("b.js", &unary),
        ("c.js", &arrows),
        ("ok.js", ""),
    ]);
    let c = t.trace(&["a.js", "b.js", "c.js"]);
    assert!(c.files.contains_key(&t.p("a.js")));
}

#[test]
fn require_dot_folder_slash_and_import_meta_resolve() {
    let t = Tree::new(&[
        ("pkg/index.js", ""),
        ("pkg/sub/h.js", "require('..');\nrequire('.');\nrequire('../dir/');\nrequire();\nrequire('./x.js', 'ignored');\n"),
        ("pkg/sub/index.js", ""),
        ("pkg/sub/x.js", ""),
        ("pkg/dir/index.js", ""),
        ("pkg/m.mjs", "const u = import.meta.resolve('./target.mjs');\n"),
        ("pkg/target.mjs", ""),
    ]);
    let c = t.trace(&["pkg/sub/h.js", "pkg/m.mjs"]);
    assert_eq!(
        t.files(&c),
        [
            "pkg/dir/index.js",
            "pkg/index.js",
            "pkg/m.mjs",
            "pkg/sub/h.js",
            "pkg/sub/index.js",
            "pkg/sub/x.js",
            "pkg/target.mjs"
        ]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn foreign_native_addon_is_flagged() {
    let t = Tree::new(&[
        ("h.js", "require('./linux.node');\nrequire('./mac.node');\n"),
        ("linux.node", "\u{7f}ELF...."),
        ("package.json", "{}"),
    ]);
    std::fs::write(t.p("mac.node"), [0xcf, 0xfa, 0xed, 0xfe, 0, 0]).expect("write");
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        ["h.js", "linux.node", "mac.node", "package.json"]
    );
    assert_eq!(t.problems(&c), ["foreign-native h.js:2:9 ./mac.node"]);
}

#[test]
fn yarn_pnp_is_explained() {
    let t = Tree::new(&[(".pnp.cjs", ""), ("h.js", "require('some-pkg');")]);
    let c = t.trace(&["h.js"]);
    assert!(
        c.problems[0].detail.contains("Plug'n'Play"),
        "{}",
        c.problems[0].detail
    );
}

#[test]
fn pino_transport_targets_are_required() {
    let t = Tree::new(&[
        (
            "h.js",
            "const pino = require('pino');\nconst t = pino.transport({ targets: [{ target: 'pino-pretty' }, { target: './my-transport.js' }] });\nconst log = pino({ transport: { target: 'pino/file' } });\n",
        ),
        ("my-transport.js", ""),
        ("node_modules/pino/package.json", r#"{"name":"pino","main":"pino.js","exports":{".":"./pino.js","./file":"./file.js"}}"#),
        ("node_modules/pino/pino.js", ""),
        ("node_modules/pino/file.js", ""),
        ("node_modules/pino-pretty/package.json", r#"{"name":"pino-pretty","main":"index.js"}"#),
        ("node_modules/pino-pretty/index.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(
        t.files(&c),
        [
            "h.js",
            "my-transport.js",
            // Paths sort by component: `pino/…` before `pino-pretty/…`.
            "node_modules/pino/file.js",
            "node_modules/pino/package.json",
            "node_modules/pino/pino.js",
            "node_modules/pino-pretty/index.js",
            "node_modules/pino-pretty/package.json",
        ]
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn a_tracer_sees_files_written_after_a_previous_trace() {
    let t = Tree::new(&[("h.js", "require('./later.js');")]);
    let tracer = Tracer::new(TraceOptions::default());
    let c = tracer.trace(&[t.p("h.js")]);
    assert_eq!(c.problems.len(), 1);
    t.write("later.js", "");
    let c = tracer.trace(&[t.p("h.js")]);
    assert_eq!(t.files(&c), ["h.js", "later.js"]);
    assert!(c.problems.is_empty());
}

#[test]
fn json_import_without_type_attribute_is_flagged() {
    let t = Tree::new(&[
        (
            "h.mjs",
            "import a from './a.json' with { type: 'json' };\nimport b from './b.json';\nconst c = await import('./c.json', { with: { type: 'json' } });\nconst d = await import('./d.json');\n",
        ),
        ("a.json", "{}"),
        ("b.json", "{}"),
        ("c.json", "{}"),
        ("d.json", "{}"),
        ("r.cjs", "require('./a.json');"),
    ]);
    let c = t.trace(&["h.mjs", "r.cjs"]);
    assert_eq!(
        t.files(&c),
        ["a.json", "b.json", "c.json", "d.json", "h.mjs", "r.cjs"]
    );
    assert_eq!(
        t.problems(&c),
        [
            "json-without-type h.mjs:2:15 ./b.json",
            "json-without-type h.mjs:4:24 ./d.json"
        ]
    );
}

#[test]
fn closure_serializes_with_kebab_case_names() {
    let t = Tree::new(&[("package.json", "{}"), ("h.js", "require('nope');")]);
    let c = t.trace(&["h.js"]);
    let v = serde_json::to_value(&c).expect("serialize");
    let pj = t.p("package.json").display().to_string();
    assert_eq!(v["files"][&pj]["reason"], "package-json");
    assert_eq!(v["problems"][0]["kind"], "unresolvable");
    assert_eq!(v["problems"][0]["line"], 1);
    assert_eq!(v["problems"][0]["optional"], false);
}

#[test]
fn require_only_package_imported_from_esm_is_unresolvable_not_extensionless() {
    let t = Tree::new(&[
        ("h.mjs", "import 'req-only';\nimport 'legacy/sub';\n"),
        (
            "node_modules/req-only/package.json",
            r#"{"name":"req-only","exports":{"require":"./x.cjs"}}"#,
        ),
        ("node_modules/req-only/x.cjs", ""),
        ("node_modules/legacy/package.json", r#"{"name":"legacy"}"#),
        ("node_modules/legacy/sub.js", ""),
    ]);
    let c = t.trace(&["h.mjs"]);
    assert_eq!(
        t.problems(&c),
        [
            "unresolvable h.mjs:1:8 req-only",
            "esm-extensionless h.mjs:2:8 legacy/sub"
        ]
    );
    assert!(
        c.problems[0].detail.contains("only a require() finds"),
        "{}",
        c.problems[0].detail
    );
}

#[test]
fn module_type_package_json_outside_the_boundary_is_reported() {
    let t = Tree::new(&[
        ("package.json", r#"{"type":"module"}"#),
        ("standalone/h.js", "import './a.js';"),
        ("standalone/a.js", ""),
    ]);
    let c = t.trace_with(
        &["standalone/h.js"],
        TraceOptions {
            boundary: Some(t.p("standalone")),
            ..Default::default()
        },
    );
    assert_eq!(t.files(&c), ["standalone/a.js", "standalone/h.js"]);
    assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
    assert!(c
        .problems
        .iter()
        .all(|p| p.kind == EdgeProblemKind::OutsideBoundary && p.detail.contains("CommonJS")));
    // A typeless package.json above the boundary changes nothing: no problem.
    std::fs::write(t.p("package.json"), "{}").expect("write");
    let c = t.trace_with(
        &["standalone/h.js"],
        TraceOptions {
            boundary: Some(t.p("standalone")),
            ..Default::default()
        },
    );
    assert!(
        c.problems
            .iter()
            .all(|p| p.kind == EdgeProblemKind::TypelessEsm),
        "{:?}",
        c.problems
    );
}

#[test]
fn compiled_interop_helpers_keep_fs_and_path_known() {
    let t = Tree::new(&[
        (
            "dist/h.js",
            r#""use strict";
var __importDefault = (this && this.__importDefault) || function (mod) { return mod && mod.__esModule ? mod : { "default": mod }; };
const fs_1 = __importDefault(require("fs"));
const path_1 = tslib_1.__importStar(require("node:path"));
fs_1.default.readFileSync(path_1.join(__dirname, "data.json"));
"#,
        ),
        ("dist/data.json", "{}"),
        ("src/t.ts", "import fs = require('fs');\nimport path = require('path');\nfs.readFileSync(path.join(__dirname, 'x.txt'));\n"),
        ("src/x.txt", ""),
    ]);
    let c = t.trace(&["dist/h.js", "src/t.ts"]);
    assert_eq!(
        t.files(&c),
        ["dist/data.json", "dist/h.js", "src/t.ts", "src/x.txt"]
    );
}

#[test]
fn import_of_path_to_file_url() {
    let t = Tree::new(&[
        (
            "h.js",
            "const { pathToFileURL } = require('node:url');\nconst path = require('path');\nimport(pathToFileURL(path.join(__dirname, 'handler.mjs')).href);\nimport(pathToFileURL(path.join(__dirname, 'h', name + '.mjs')).href);\n",
        ),
        ("handler.mjs", ""),
        ("h/a.mjs", ""),
    ]);
    let c = t.trace(&["h.js"]);
    assert_eq!(t.files(&c), ["h/a.mjs", "h.js", "handler.mjs"]);
}

#[test]
fn mixed_syntax_arrays_and_imports_to_packages() {
    let t = Tree::new(&[
        ("package.json", r##"{"name":"app","type":"module","imports":{"#db":"db-driver","#util/*":"./src/util/*.js"}}"##),
        (
            "h.js",
            "import '#db';\nimport '#util/str';\nimport 'arr';\nconst x = await import('./tla.js');\nclass A { static { require('./in-static-block.cjs'); } }\n",
        ),
        ("src/util/str.js", ""),
        ("tla.js", ""),
        ("in-static-block.cjs", ""),
        ("node_modules/db-driver/package.json", r#"{"name":"db-driver","exports":"./index.js"}"#),
        ("node_modules/db-driver/index.js", ""),
        ("node_modules/arr/package.json", r#"{"name":"arr","exports":{".":["./missing.js","./present.js"]}}"#),
        ("node_modules/arr/present.js", ""),
    ]);
    let c = t.trace(&["h.js"]);
    let files = t.files(&c);
    for f in [
        "in-static-block.cjs",
        "node_modules/db-driver/index.js",
        "node_modules/db-driver/package.json",
        "package.json",
        "src/util/str.js",
        "tla.js",
    ] {
        assert!(has(&files, f), "{f} missing from {files:?}");
    }
    // Arrays in `exports`: Node takes the first *valid* target (a string that is a valid
    // path), not the first existing file; `./missing.js` is valid, so `import 'arr'` fails.
    assert_eq!(t.problems(&c), ["unresolvable h.js:3:8 arr"]);
}

// ---- the process-wide parse cache (parse_cache.rs) ----------------------------------------------

/// The same text in two places: relative specifiers resolve from each file's own directory,
/// whichever was traced first (the cached edges are re-based).
#[test]
fn cached_edges_resolve_from_the_copy_s_own_directory() {
    let text = "const dep = require('./dep');\nimport('./lazy.mjs');\nmodule.exports = dep;\n";
    let t = Tree::new(&[
        ("a/x.js", text),
        ("a/dep.js", "module.exports = 'a'"),
        ("a/lazy.mjs", "export default 1"),
        ("b/x.js", text),
        ("b/dep.js", "module.exports = 'b'"),
        ("b/lazy.mjs", "export default 2"),
    ]);
    let a = t.trace(&["a/x.js"]);
    let b = t.trace(&["b/x.js"]);
    assert_eq!(t.files(&a), ["a/dep.js", "a/lazy.mjs", "a/x.js"]);
    assert_eq!(t.files(&b), ["b/dep.js", "b/lazy.mjs", "b/x.js"]);
    assert_eq!(b.files[&t.p("b/dep.js")].parents, [t.p("b/x.js")]);
}

/// Edges computed from the file's location (`__dirname`, `import.meta.url`, globs, cwd-relative
/// reads) are never handed to another file with the same text.
#[test]
fn location_dependent_edges_are_not_shared_between_copies() {
    let text = "const path = require('path');\nconst fs = require('fs');\n\
                require(path.join(__dirname, 'dep.js'));\n\
                fs.readFileSync(path.join(__dirname, 'data.txt'));\n\
                require('./locales/' + process.env.LANG);\n";
    let t = Tree::new(&[
        ("a/x.js", text),
        ("a/dep.js", ""),
        ("a/data.txt", "a"),
        ("a/locales/en.js", ""),
        ("b/x.js", text),
        ("b/dep.js", ""),
        ("b/data.txt", "b"),
        ("b/locales/fr.js", ""),
    ]);
    let a = t.trace(&["a/x.js"]);
    let b = t.trace(&["b/x.js"]);
    assert_eq!(
        t.files(&a),
        ["a/data.txt", "a/dep.js", "a/locales/en.js", "a/x.js"]
    );
    assert_eq!(
        t.files(&b),
        ["b/data.txt", "b/dep.js", "b/locales/fr.js", "b/x.js"]
    );
    let esm = "import { createRequire } from 'node:module';\n\
               const require = createRequire(import.meta.url);\nrequire('./dep.cjs');\n\
               new URL('./asset.bin', import.meta.url);\n";
    let t = Tree::new(&[
        ("a/y.mjs", esm),
        ("a/dep.cjs", ""),
        ("a/asset.bin", "a"),
        ("b/y.mjs", esm),
        ("b/dep.cjs", ""),
        ("b/asset.bin", "b"),
    ]);
    assert_eq!(
        t.files(&t.trace(&["a/y.mjs"])),
        ["a/asset.bin", "a/dep.cjs", "a/y.mjs"]
    );
    assert_eq!(
        t.files(&t.trace(&["b/y.mjs"])),
        ["b/asset.bin", "b/dep.cjs", "b/y.mjs"]
    );
}

/// What makes a result shareable: only relative or bare specifiers (or dynamic ones), nothing
/// computed from the location.
#[test]
fn location_free_classification() {
    let free = |src: &str| {
        let path = Path::new("/p/q/file.js");
        edges::collect(
            &edges::FileCtx {
                path,
                cwd: Some(Path::new("/p")),
            },
            src,
        )
        .location_free
    };
    assert!(free("require('./a'); require('lodash'); import('./b.mjs')"));
    assert!(free("export * from './c.js'; require(name)"));
    assert!(free("const x = 1"));
    assert!(!free("require(__dirname + '/a')"));
    assert!(!free("require('/abs/a')"));
    assert!(!free("import(new URL('./a.mjs', import.meta.url).href)"));
    assert!(!free("require('fs').readFileSync('data.txt')"));
    assert!(!free("require('./locales/' + lang)"));
    assert!(!free(
        "const bindings = require('bindings'); bindings('addon')"
    ));
    assert!(!free(
        "const p = require('path'); require(p.join(p.dirname(__filename), 'a'))"
    ));
    // Not evaluated (basename is unknown to the evaluator): a dynamic edge, the same anywhere.
    assert!(free(
        "const p = require('path'); require(p.basename(__filename))"
    ));
}

/// SWC's TypeScript parser spins on the fuzzer-made inputs of `fuzz/known-hangs/`: a traced
/// `.ts` file is parsed under the same deadline as next.config, and reported as not analysed.
#[test]
fn a_typescript_parser_hang_is_a_parse_error_not_a_hang() {
    let hangs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/known-hangs");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&hangs)
        .expect("fuzz/known-hangs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    inputs.sort();
    let source = String::from_utf8_lossy(&std::fs::read(&inputs[0]).unwrap()).into_owned();
    let t = Tree::new(&[("h.ts", &source)]);
    let started = std::time::Instant::now();
    let c = t.trace(&["h.ts"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let problem = c
        .problems
        .iter()
        .find(|p| p.kind == EdgeProblemKind::ParseError)
        .unwrap_or_else(|| panic!("no parse error: {:?}", c.problems));
    assert!(
        problem.detail.contains("did not finish within"),
        "{}",
        problem.detail
    );
}
