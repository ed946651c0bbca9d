//! Real Next.js end-to-end test of `next-graft --assets`: `public/` files and `/_next/static/…`
//! are served by the moved standalone server because graft copied them (the project's own
//! copies are removed before the server starts), and a second run writes nothing.

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

use std::fs;
use std::process::Command;
use support::*;

#[path = "common/mod.rs"]
mod common;

fn graft(project: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .arg("--project")
        .arg(project)
        .args(extra)
        .output()
        .expect("run next-graft");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn e2e_assets_are_served_by_the_moved_server_and_a_second_run_writes_nothing() {
    let build = build(&V16_4);
    let copy = copy_project(&build, "assets");
    let public = copy.dir.join("public");
    fs::create_dir_all(public.join("img")).unwrap();
    fs::write(
        public.join("robots.txt"),
        "User-agent: *\nDisallow: /graft-test\n",
    )
    .unwrap();
    fs::write(
        public.join("img/pixel.txt"),
        "a public file in a subfolder\n",
    )
    .unwrap();

    let (code, output) = graft(&copy.dir, &["--assets"]);
    assert_eq!(code, 0, "{output}");
    let standalone = copy.dir.join(".next/standalone");
    let before = common::tree_hash(&standalone);
    let (code, output) = graft(&copy.dir, &["--assets"]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        before,
        common::tree_hash(&standalone),
        "the second --assets run wrote something:\n{output}"
    );

    // A static chunk the pages reference, to request as /_next/static/...
    let chunks = standalone.join(".next/static/chunks");
    let chunk = fs::read_dir(&chunks)
        .unwrap_or_else(|e| panic!("graft --assets did not copy .next/static ({e})"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".js"))
        .expect("a static .js chunk");

    // Only graft's copies can serve them now.
    fs::remove_dir_all(copy.dir.join(".next/static")).unwrap();
    fs::remove_dir_all(&public).unwrap();
    let server = start_moved_server(&copy.dir, "assets");
    let (status, body) = server.get("/robots.txt");
    assert_eq!(status, 200, "{}", server.diagnostics());
    assert!(body.contains("Disallow: /graft-test"), "{body}");
    assert_eq!(
        server.get("/img/pixel.txt").0,
        200,
        "{}",
        server.diagnostics()
    );
    let (status, _) = server.get(&format!("/_next/static/chunks/{chunk}"));
    assert_eq!(status, 200, "{}", server.diagnostics());
    server.get_ok("/");
    server.assert_called("isr", "get");
}
