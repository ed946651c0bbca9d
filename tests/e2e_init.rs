//! `next-graft init` with real package managers on a real Next.js 16.4.6 app (issue #17): for
//! npm, pnpm, Yarn 4 (`nodeLinker: node-modules`) and Bun, run `init --no-install` through the
//! manager itself (`npx`, `pnpm exec`, `yarn next-graft`, `bunx`: the user agent each sets is
//! one of init's signals), then the manager's `run build`. The build log must show
//! next-graft's verdict line, and the moved standalone server must construct and call both
//! handlers (the harness's moved-server runner, from the handlers' own log).
//!
//! What the managers do, measured here: npm 11, pnpm 12.26.0 and Bun 1.4.5 run `postbuild`
//! after `build`, so init writes `"postbuild": "next-graft"`; Yarn 4.18.1 never does, so init
//! writes `"build": "next build && next-graft"`.
//!
//! next-graft is given to the app as its npm launcher (`npm/next-graft`, without the platform
//! packages, which are not on the registry) with `NEXT_GRAFT_BINARY` pointing at the debug
//! binary cargo built for this test. npm and Bun run on a copy of the harness's cached
//! `node_modules` (installed by npm; their `run` only runs scripts). pnpm and Yarn 4 install for
//! real, with next-graft added as `file:` the launcher, into a store and a cache under
//! `e2e-cache` (warm runs need little network): pnpm 12 installs before it runs anything in a
//! project it has not installed itself, and Yarn 4's `run` refuses such a project. The managers themselves are installed once
//! with npm into `e2e-cache/package-managers`.
//!
//! Slow (four real `next build`s): in the nextest `e2e` group (`.config/nextest.toml`).
//! All four took 43 s warm here (2 cores): `cargo nextest run --test e2e_init`.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "e2e/support.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::*;

/// The managers, pinned to the versions measured (docs/init.md).
const TOOLS: &[&str] = &["pnpm@12.26.0", "bun@1.4.5", "@yarnpkg/cli-dist@4.18.1"];

fn e2e_cache() -> PathBuf {
    npm_cache_dir()
        .parent()
        .expect("npm cache has a parent")
        .to_path_buf()
}

/// `e2e-cache/package-managers/node_modules/.bin`, installed once (under the heavy-work lock).
fn tools_bin() -> PathBuf {
    let dir = e2e_cache().join("package-managers");
    let marker = dir.join(".installed");
    let wanted = TOOLS.join(" ");
    let _heavy = heavy_lock();
    if fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create package-managers dir");
        fs::write(
            dir.join("package.json"),
            "{\"name\":\"graft-e2e-package-managers\",\"private\":true}\n",
        )
        .expect("write package.json");
        let mut cmd = Command::new("npm");
        cmd.current_dir(&dir)
            .args(["install", "--prefer-offline", "--no-audit", "--no-fund"])
            .arg("--cache")
            .arg(npm_cache_dir())
            .args(TOOLS);
        clean_env(&mut cmd);
        let started = Instant::now();
        run_to_log(
            cmd,
            &e2e_cache().join("install-package-managers.log"),
            "npm install of pnpm, bun and yarn",
        );
        timing("install pnpm, bun, yarn", started.elapsed());
        fs::write(&marker, &wanted).expect("write marker");
    }
    dir.join("node_modules/.bin")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pm {
    Npm,
    Pnpm,
    Yarn4,
    Bun,
}

impl Pm {
    fn label(self) -> &'static str {
        match self {
            Pm::Npm => "npm",
            Pm::Pnpm => "pnpm",
            Pm::Yarn4 => "yarn4",
            Pm::Bun => "bun",
        }
    }

    /// The program: npm from PATH, the others from the cached install.
    fn program(self, bin: &Path) -> PathBuf {
        match self {
            Pm::Npm => PathBuf::from("npm"),
            Pm::Pnpm => bin.join("pnpm"),
            Pm::Yarn4 => bin.join("yarn"),
            Pm::Bun => bin.join("bun"),
        }
    }

    /// How a user runs the installed next-graft through this manager.
    fn exec_next_graft(self, bin: &Path) -> (PathBuf, Vec<&'static str>) {
        match self {
            Pm::Npm => (PathBuf::from("npx"), vec!["--offline", "next-graft"]),
            Pm::Pnpm => (bin.join("pnpm"), vec!["exec", "next-graft"]),
            Pm::Yarn4 => (bin.join("yarn"), vec!["next-graft"]),
            Pm::Bun => (bin.join("bun"), vec!["x", "next-graft"]),
        }
    }
}

/// The environment every command of a case gets.
fn env(cmd: &mut Command, work: &Path) {
    clean_env(cmd);
    let tools = e2e_cache().join("package-managers/node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", tools.display()))
        .env("NEXT_GRAFT_BINARY", env!("CARGO_BIN_EXE_next-graft"))
        .env("npm_config_cache", npm_cache_dir())
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env_remove("npm_config_user_agent")
        // Yarn: a cache that survives the run, no telemetry, and installs that may write the
        // lockfile (CI=1 would make them immutable).
        .env("YARN_CACHE_FOLDER", e2e_cache().join("yarn-cache"))
        .env("YARN_ENABLE_GLOBAL_CACHE", "false")
        .env("YARN_ENABLE_TELEMETRY", "false")
        .env("YARN_ENABLE_IMMUTABLE_INSTALLS", "false")
        // pnpm and Bun keep their own state out of $HOME.
        .env("PNPM_HOME", work.join("pnpm-home"))
        .env("BUN_INSTALL_CACHE_DIR", work.join("bun-cache"))
        .env("npm_config_store_dir", e2e_cache().join("pnpm-store"))
        .env("pnpm_config_store_dir", e2e_cache().join("pnpm-store"))
        .stdin(Stdio::null());
}

/// The npm launcher as a local package, without the platform packages (not on the registry):
/// it runs `NEXT_GRAFT_BINARY`.
fn launcher(work: &Path) -> PathBuf {
    let dir = work.join("next-graft-launcher");
    fs::create_dir_all(dir.join("bin")).expect("create launcher dir");
    let src = repo_root().join("npm/next-graft");
    let mut pkg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(src.join("package.json")).expect("read"))
            .expect("parse launcher package.json");
    pkg.as_object_mut()
        .expect("object")
        .remove("optionalDependencies");
    fs::write(
        dir.join("package.json"),
        serde_json::to_string_pretty(&pkg).unwrap(),
    )
    .expect("write launcher package.json");
    fs::copy(src.join("bin/next-graft.js"), dir.join("bin/next-graft.js")).expect("copy launcher");
    dir
}

fn run_case(pm: Pm) {
    let bin = tools_bin();
    let work = scratch_dir(&format!("init-{}", pm.label()));
    let app = work.dir.join("app");
    copy_tree(&repo_root().join("tests/e2e/apps/v16-4"), &app);
    let launcher = launcher(&work.dir);

    let started = Instant::now();
    if matches!(pm, Pm::Pnpm | Pm::Yarn4) {
        // pnpm 12 installs before it runs anything in a project it has not installed (and
        // removes what it did not install), Yarn 4 refuses to run in one: both get what their
        // user has before init, a real install with next-graft added (`file:` the launcher).
        if pm == Pm::Yarn4 {
            fs::write(app.join(".yarnrc.yml"), "nodeLinker: node-modules\n").expect(".yarnrc.yml");
            fs::write(app.join("yarn.lock"), "").expect("yarn.lock");
        }
        let pkg_path = app.join("package.json");
        let mut pkg: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&pkg_path).unwrap()).unwrap();
        pkg["devDependencies"] =
            serde_json::json!({ "next-graft": format!("file:{}", launcher.display()) });
        fs::write(
            &pkg_path,
            serde_json::to_string_pretty(&pkg).unwrap() + "\n",
        )
        .unwrap();
        let mut install = Command::new(pm.program(&bin));
        install.current_dir(&app).arg("install");
        env(&mut install, &work.dir);
        let _heavy = heavy_lock();
        run_to_log(
            install,
            &work.dir.join("install.log"),
            &format!("{} install", pm.label()),
        );
        timing(
            &format!("{} install (next@16.4.6)", pm.label()),
            started.elapsed(),
        );
    } else {
        // The harness's npm install of the app's dependencies, and the launcher beside them.
        let node_modules = cached_node_modules(&V16_4);
        copy_tree(&node_modules, &app.join("node_modules"));
        match pm {
            Pm::Npm => {
                fs::copy(
                    node_modules.with_file_name("package-lock.json"),
                    app.join("package-lock.json"),
                )
                .expect("copy package-lock.json");
            }
            // Bun is known from its user agent alone: no lockfile of another manager.
            _ => {
                let _ = fs::remove_file(app.join("node_modules/.package-lock.json"));
            }
        }
        copy_tree(&launcher, &app.join("node_modules/next-graft"));
        let bin_dir = app.join("node_modules/.bin");
        fs::create_dir_all(&bin_dir).unwrap();
        std::os::unix::fs::symlink(
            "../next-graft/bin/next-graft.js",
            bin_dir.join("next-graft"),
        )
        .expect("link .bin/next-graft");
        timing(
            &format!("{}: node_modules copied", pm.label()),
            started.elapsed(),
        );
    }

    // `init --no-install`, run through the manager.
    let (program, args) = pm.exec_next_graft(&bin);
    let mut init = Command::new(program);
    init.current_dir(&app)
        .args(args)
        .args(["init", "--no-install"]);
    env(&mut init, &work.dir);
    let out = init.output().expect("run init");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("init-{}: init said:\n{stdout}{stderr}", pm.label());
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let (name, wiring, install) = match pm {
        Pm::Npm => (
            "npm",
            "scripts: add \"postbuild\": \"next-graft\"",
            Some("npm install --save-dev next-graft"),
        ),
        Pm::Pnpm => ("pnpm", "scripts: add \"postbuild\": \"next-graft\"", None),
        Pm::Bun => (
            "Bun",
            "scripts: add \"postbuild\": \"next-graft\"",
            Some("bun add -d next-graft"),
        ),
        Pm::Yarn4 => (
            "Yarn 2+",
            "scripts: \"build\": \"next build\" -> \"next build && next-graft\"",
            None,
        ),
    };
    assert!(
        stdout.starts_with(&format!("package manager: {name} (")),
        "{stdout}"
    );
    assert!(stdout.contains(wiring), "{stdout}");
    match install {
        Some(command) => assert!(stdout.contains(&format!("run `{command}`")), "{stdout}"),
        None => assert!(
            stdout.contains("devDependencies: next-graft is already a dependency"),
            "{stdout}"
        ),
    }
    assert!(
        stdout.contains("next.config.js: output: 'standalone' is set"),
        "{stdout}"
    );

    // `<manager> run build`: next build, then next-graft.
    let build_log = work.dir.join("run-build.log");
    {
        let _heavy = heavy_lock();
        let mut build = Command::new(pm.program(&bin));
        build.current_dir(&app).args(["run", "build"]);
        env(&mut build, &work.dir);
        build.env("GRAFT_HANDLER_LOG", work.dir.join("build-handler.log"));
        let started = Instant::now();
        run_to_log(build, &build_log, &format!("{} run build", pm.label()));
        timing(
            &format!("{} run build (next@16.4.6 + next-graft)", pm.label()),
            started.elapsed(),
        );
    }
    let log = fs::read_to_string(&build_log).expect("read build log");
    let verdict = log
        .lines()
        .find(|l| {
            (l.starts_with("graft:") || l.starts_with("check:")) && l.contains("(Next.js 16.4.6)")
        })
        .unwrap_or_else(|| panic!("no next-graft verdict line in the build log:\n{log}"));
    eprintln!("init-{}: verdict: {verdict}", pm.label());
    assert!(!log.contains("next-graft: error"), "{log}");

    let server = start_moved_server(&app, &format!("init-{}", pm.label()));
    server.get_ok("/");
    server.get_ok("/cached");
    server.get_ok("/cached");
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    server.assert_called_all("default", &["load", "get", "set"]);
}

#[test]
fn init_npm_postbuild_runs_next_graft() {
    run_case(Pm::Npm);
}

#[test]
fn init_pnpm_postbuild_runs_next_graft() {
    run_case(Pm::Pnpm);
}

#[test]
fn init_yarn4_build_runs_next_graft() {
    run_case(Pm::Yarn4);
}

#[test]
fn init_bun_postbuild_runs_next_graft() {
    run_case(Pm::Bun);
}
