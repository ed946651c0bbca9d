//! Fixture tests, one group per category of `tracing-rules.md` §11. Trees are built in temporary
//! directories so that symlinks (pnpm layouts) can be created at test time.

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
        let root = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
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

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
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
