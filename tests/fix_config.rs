//! `fix-config`: fixture tests (fixtures/fix-config/<case>/{next.config.*, version, expected.*}),
//! idempotence, and the CLI (diff, exit codes, `--write`).
//! `UPDATE=1 cargo test --test fix_config` rewrites the `expected.*` files (review the diff).

use next_graft::commands::{fix_source, FixResult};
use next_graft_config::Version;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix-config")
}

fn config_in(dir: &Path) -> PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("next.config.")
        })
        .unwrap_or_else(|| panic!("{}: no next.config.*", dir.display()))
}

fn run_case(dir: &Path) -> FixResult {
    let file = config_in(dir);
    let version = Version::parse(fs::read_to_string(dir.join("version")).unwrap().trim()).unwrap();
    let source = fs::read_to_string(&file).unwrap();
    fix_source(&file, &source, version).unwrap()
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn fixtures_match_expected_and_are_idempotent() {
    let cases = cases();
    assert!(cases.len() >= 15, "fixtures missing");
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let result = run_case(dir);
        let ext = result
            .file
            .extension()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("nofix-") {
            assert!(result.fixes.is_empty(), "{name}: {:?}", result.fixes);
            assert_eq!(
                result.fixed, result.original,
                "{name}: output must equal input"
            );
            continue;
        }
        assert!(!result.fixes.is_empty(), "{name}: no fixes decided");
        let expected_path = dir.join(format!("expected.{ext}"));
        if std::env::var_os("UPDATE").is_some() {
            fs::write(&expected_path, &result.fixed).unwrap();
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{name}: missing expected.{ext} (UPDATE=1)"));
        if expected != result.fixed {
            failures.push(format!(
                "{name}:\n{}",
                next_graft::commands::unified_diff(&expected, &result.fixed, &name)
            ));
            continue;
        }
        // Idempotent: the fixed file needs nothing more.
        let again = fix_source(&result.file, &result.fixed, result.version).unwrap();
        assert!(
            again.fixes.is_empty(),
            "{name}: second run proposes {:?}",
            again.fixes
        );
        assert_eq!(again.fixed, result.fixed, "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_next-graft"))
}

fn copy_case(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = config_in(&fixtures().join(name));
    let dst = tmp.path().join(src.file_name().unwrap());
    fs::copy(&src, &dst).unwrap();
    (tmp, dst)
}

#[test]
fn cli_prints_a_diff_and_exits_1_without_write() {
    let (tmp, file) = copy_case("cjs-relative");
    let before = fs::read_to_string(&file).unwrap();
    let out = bin()
        .args(["fix-config", "--next-version", "16.4.6", "--project"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("--- a/next.config.js"), "{stdout}");
    assert!(
        stdout.contains("+  cacheHandler: require.resolve('./cache-handler.js'), // resolved against .next/ by next start"),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        before,
        "wrote without --write"
    );
}

#[test]
fn cli_write_is_atomic_and_a_second_run_writes_nothing() {
    let (tmp, file) = copy_case("esm-relative");
    let expected = fs::read_to_string(fixtures().join("esm-relative/expected.mjs")).unwrap();
    let run = |write: bool| {
        let mut c = bin();
        c.args(["fix-config", "--next-version", "16.4.6", "--project"])
            .arg(tmp.path());
        if write {
            c.arg("--write");
        }
        c.output().unwrap()
    };
    let out = run(true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), expected);
    // No staging file is left beside it.
    let names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["next.config.mjs".to_string()]);
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(&file).unwrap().ino()
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(true);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to fix"));
    assert_eq!(fs::metadata(&file).unwrap().modified().unwrap(), mtime);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(fs::metadata(&file).unwrap().ino(), inode, "rewritten");
    }
    // Without --write, nothing to change is exit 0.
    assert_eq!(run(false).status.code(), Some(0));
}

#[cfg(unix)] // inode numbers
#[test]
fn write_atomic_renames_a_staged_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("next.config.js");
    fs::write(&file, "old").unwrap();
    let inode_before = {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(&file).unwrap().ino()
    };
    next_graft::commands::write_atomic(&file, "new").unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "new");
    use std::os::unix::fs::MetadataExt;
    assert_ne!(
        fs::metadata(&file).unwrap().ino(),
        inode_before,
        "not renamed over"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn cli_syntax_error_exits_2_with_file_line_col() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("next.config.js"),
        "module.exports = {\n  cacheHandler: './x.js',,\n};\n",
    )
    .unwrap();
    let out = bin()
        .args(["fix-config", "--next-version", "16.4.6", "--project"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("next.config.js:2:"), "{stderr}");
}

#[test]
fn cli_without_a_version_or_config_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["fix-config", "--project"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["fix-config", "--next-version", "16.4.6", "--project"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no next.config"));
}

#[test]
fn cli_json_lists_each_fix() {
    let (tmp, _file) = copy_case("esm-top-level-15.1");
    let out = bin()
        .args([
            "fix-config",
            "--format",
            "json",
            "--next-version",
            "15.1.12",
            "--project",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fix"]["fix"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "wrap-file-url-to-path",
            "move-prop",
            "add-false",
            "add-import"
        ]
    );
    assert_eq!(json["changed"], true);
    assert_eq!(json["written"], false);
    assert!(json["diff"]
        .as_str()
        .unwrap()
        .contains("+    preloadEntriesOnStart: false,"));
}

#[test]
fn js_under_type_module_is_an_es_module() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("package.json"), r#"{"type":"module"}"#).unwrap();
    let file = tmp.path().join("next.config.js");
    fs::write(&file, "export default { cacheHandler: './h.js' };\n").unwrap();
    let source = fs::read_to_string(&file).unwrap();
    let r = fix_source(&file, &source, Version::new(16, 4, 6)).unwrap();
    assert_eq!(
        r.fixed,
        "import { fileURLToPath } from 'node:url';\nexport default { cacheHandler: fileURLToPath(new URL('./h.js', import.meta.url)) };\n"
    );
    // CommonJS when package.json says nothing and the file has no import/export.
    fs::write(tmp.path().join("package.json"), "{}").unwrap();
    let cjs = "module.exports = { cacheHandler: './h.js' };\n";
    let r = fix_source(&file, cjs, Version::new(16, 4, 6)).unwrap();
    assert_eq!(
        r.fixed,
        "module.exports = { cacheHandler: require.resolve('./h.js') };\n"
    );
}

#[test]
fn versions_without_the_edit_propose_nothing() {
    // 14.0: the legacy key is the one that works; 16.3+: import.meta.resolve URLs load.
    for (case, version) in [
        ("cjs-legacy-key", Version::new(14, 0, 4)),
        ("esm-import-meta-resolve", Version::new(16, 4, 6)),
        ("cjs-preload-15.0", Version::new(15, 2, 0)),
    ] {
        let file = config_in(&fixtures().join(case));
        let source = fs::read_to_string(&file).unwrap();
        let r = fix_source(&file, &source, version).unwrap();
        assert!(r.fixes.is_empty(), "{case} on {version:?}: {:?}", r.fixes);
    }
}
