//! Table-driven evaluator suite: every `fixtures/configs/<case>/` holds one `next.config.*`
//! (and a `package.json` when `"type":"module"` matters) plus `expected.txt`, the rendered
//! analysis. `UPDATE_SNAPSHOTS=1 cargo test -p next-graft-config --test table` rewrites the
//! snapshots; review the diff before committing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/configs")
}

#[test]
fn config_table() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures())
        .expect("fixtures/configs exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in &dirs {
        let Some(config) = fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("next.config."))
            })
        else {
            continue;
        };
        let name = config.file_name().unwrap().to_str().unwrap().to_string();
        let src = fs::read_to_string(&config).unwrap();
        let type_module =
            fs::read_to_string(dir.join("package.json")).is_ok_and(|p| p.contains("\"module\""));
        let a = common::run(&name, &src, type_module);
        let got = common::render(&a, &src);
        let expected_path = dir.join("expected.txt");
        count += 1;
        if update {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != got {
            failures.push(format!(
                "--- {}\n--- expected\n{expected}--- got\n{got}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(count >= 40, "only {count} config cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
