//! The npm distribution in a real Next.js 16.4.6 app, the way a user sets it up: pack both
//! packages with `scripts/npm-pack`, `npm install --save-dev` the two tarballs, add
//! `"postbuild": "next-graft"`; then the builder stage of `examples/Dockerfile` (`npm ci` on a
//! clean tree, `npm run build`): npm ran `next-graft` (through the launcher and the platform
//! package, no override); `npx next-graft check` exits 0; the standalone folder, moved away
//! from the project, constructs and calls both handlers (from the handlers' own log).
//!
//! Slow (a real `next build`): in the nextest `e2e` group (`.config/nextest.toml`). Reuses the
//! e2e harness (`tests/e2e/support.rs`): its cached install of next@16.4.6 and npm cache
//! (the tarballs install offline), its app template `tests/e2e/apps/v16-4`, its
//! heavy-work lock, and its moved-server runner. `npm ci` may ask the registry for metadata
//! that the cache lacks (`--prefer-offline`), as the harness's own installs do.
//!
//! The tarballs hold the debug binary that cargo built for this test (`--binary`), so the test
//! does not wait for an LTO release build; `NPM_POSTBUILD_RELEASE=1` packs the release build
//! instead (what `scripts/npm-pack` does by default).

// The one test packs the host binary as the linux-x64-gnu package that this machine installs.
#![cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]

#[path = "e2e/support.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::*;

/// `scripts/npm-pack --out <dir>`: the launcher tarball and the platform tarball.
fn pack(out: &Path) -> (PathBuf, PathBuf) {
    let mut cmd = Command::new(repo_root().join("scripts/npm-pack"));
    cmd.arg("--out").arg(out);
    if std::env::var_os("NPM_POSTBUILD_RELEASE").is_none() {
        cmd.arg("--binary").arg(env!("CARGO_BIN_EXE_next-graft"));
    }
    let started = Instant::now();
    let result = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/npm-pack");
    timing("npm-pack", started.elapsed());
    let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
    assert!(result.status.success(), "scripts/npm-pack failed: {stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        lines.len(),
        2,
        "scripts/npm-pack prints two tarball paths: {stdout}"
    );
    let launcher = PathBuf::from(lines[0]);
    let platform = PathBuf::from(lines[1]);
    assert!(
        launcher.ends_with(format!("next-graft-{version}.tgz")),
        "{stdout}"
    );
    assert!(
        platform.ends_with(format!("next-graft-linux-x64-gnu-{version}.tgz")),
        "{stdout}"
    );
    for t in [&launcher, &platform] {
        let size = fs::metadata(t)
            .unwrap_or_else(|e| panic!("{}: {e}", t.display()))
            .len();
        eprintln!("npm-postbuild: {} is {size} bytes", t.display());
    }
    (launcher, platform)
}

#[test]
fn npm_postbuild_runs_next_graft_and_the_moved_standalone_server_uses_the_handlers() {
    let work = scratch_dir("npm-postbuild");
    let (launcher_tgz, platform_tgz) = pack(&work.dir.join("packs"));

    // The app, with the suite's cached install of its dependencies.
    let app = work.dir.join("app");
    copy_tree(&repo_root().join("tests/e2e/apps/v16-4"), &app);
    let node_modules = cached_node_modules(&V16_4);
    copy_tree(&node_modules, &app.join("node_modules"));
    let lock = node_modules.with_file_name("package-lock.json");
    if lock.is_file() {
        fs::copy(&lock, app.join("package-lock.json")).expect("copy package-lock.json");
    }

    // What a user types: install the two tarballs as dev dependencies.
    let started = Instant::now();
    let mut install = npm_command(&app);
    install
        .args(["install", "--save-dev", "--offline"])
        .arg(&launcher_tgz)
        .arg(&platform_tgz);
    run_to_log(install, &work.dir.join("npm-install.log"), "npm install");
    timing("npm install of the tarballs", started.elapsed());
    let installed = app.join("node_modules/@next-graft/linux-x64-gnu/bin/next-graft");
    assert!(installed.is_file(), "{} missing", installed.display());
    assert!(
        app.join("node_modules/.bin/next-graft").exists(),
        "npm linked no next-graft bin"
    );

    // "postbuild": "next-graft"
    let pkg_path = app.join("package.json");
    let mut pkg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&pkg_path).expect("read package.json"))
            .expect("parse package.json");
    assert!(
        pkg["devDependencies"]["next-graft"].is_string(),
        "npm install --save-dev did not record next-graft: {pkg}"
    );
    pkg["scripts"]["postbuild"] = "next-graft".into();
    fs::write(&pkg_path, serde_json::to_string_pretty(&pkg).unwrap()).expect("write package.json");

    // The builder stage of examples/Dockerfile: `npm ci` from the lockfile that the install
    // wrote, on a tree without node_modules (the platform package must come back from the
    // lockfile), then `npm run build`.
    assert!(
        app.join("package-lock.json").is_file(),
        "npm install wrote no package-lock.json"
    );
    fs::remove_dir_all(app.join("node_modules")).expect("remove node_modules");
    let build_log = work.dir.join("npm-run-build.log");
    {
        let _heavy = heavy_lock();
        let started = Instant::now();
        let mut ci = npm_command(&app);
        // Not `--offline`: a lockfile may list packages that no install here ever fetched
        // (optional ones of other platforms, e.g. tslib under sharp's wasm build), and npm ci
        // reads their registry metadata when the lockfile omits `resolved`.
        ci.args(["ci", "--prefer-offline"]);
        run_to_log(ci, &work.dir.join("npm-ci.log"), "npm ci");
        timing("npm ci (next@16.4.6 and the tarballs)", started.elapsed());
        assert!(
            installed.is_file(),
            "npm ci did not install {}",
            installed.display()
        );
        let mut build = npm_command(&app);
        build
            .args(["run", "build"])
            .env("GRAFT_HANDLER_LOG", work.dir.join("build-handler.log"));
        let started = Instant::now();
        run_to_log(
            build,
            &build_log,
            "npm run build (next build, then next-graft)",
        );
        timing(
            "npm run build with postbuild (next@16.4.6)",
            started.elapsed(),
        );
    }
    let log = fs::read_to_string(&build_log).expect("read build log");
    // npm echoes each script before running it; what follows `> next-graft` is its output.
    // Its summary line names the Next version (`check: ok: ... (Next.js 16.4.6)`; the graft
    // command's own summary starts with `graft`). npm run build exited 0, so it did too.
    let after = postbuild_output(&log);
    eprintln!("npm-postbuild: after `> next-graft`:\n{}", after.trim_end());

    // `npx next-graft check` in the project: exit 0, from the installed package.
    let mut npx = Command::new("npx");
    npx.current_dir(&app)
        .args(["--offline", "next-graft", "check", "--format", "json"])
        .env("npm_config_cache", npm_cache_dir())
        .env("npm_config_update_notifier", "false")
        .env_remove("NEXT_GRAFT_BINARY")
        .stdin(Stdio::null());
    clean_env(&mut npx);
    let out = npx.output().expect("run npx");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "npx next-graft check\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON from npx");
    assert_eq!(json["command"], "check", "{json}");
    assert_eq!(json["next_version"], "16.4.6", "{json}");
    assert_eq!(json["summary"]["errors"], 0, "{json}");

    // The runner stage: the standalone folder with `.next/static` and `public/` copied in,
    // moved away (the project renamed meanwhile), uses both handlers.
    let server = start_moved_server(&app, "npm-postbuild");
    server.get_ok("/");
    server.get_ok("/cached");
    server.get_ok("/cached");
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    server.assert_called_all("default", &["load", "get", "set"]);
}
