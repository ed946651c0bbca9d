//! The npm launcher (`npm/next-graft/bin/next-graft.js`), run with `node`: it must be invisible.
//! Arguments, stdin, stdout, stderr, environment and exit codes pass through; SIGTERM to the
//! launcher reaches the child; a child killed by a signal kills the launcher by the same signal;
//! without a binary for the platform it fails with one clear line and exit code 2. Fast and
//! offline: the child is `NEXT_GRAFT_BINARY` (small shell scripts, or the debug `next-graft`),
//! or a platform package laid out by hand in a temporary `node_modules`.

#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn launcher_js() -> PathBuf {
    repo().join("npm/next-graft/bin/next-graft.js")
}

/// `node <launcher> args...` with a clean environment for the lookup: no inherited override,
/// no NODE_PATH, and HOME in a temporary dir (Node also looks in `~/.node_modules`).
fn node(launcher: &Path, home: &Path) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(launcher)
        .env_remove("NEXT_GRAFT_BINARY")
        .env_remove("NODE_PATH")
        .env_remove("NODE_OPTIONS")
        .env("HOME", home)
        .env("NO_COLOR", "1");
    cmd
}

fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (Node.js 18+ must be on PATH)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait for the launcher")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod script");
    path
}

/// Prints each argument in brackets, then stdin, writes to stderr, and exits with $FAKE_EXIT.
fn echo_script(dir: &Path) -> PathBuf {
    script(
        dir,
        "echo-args.sh",
        r#"printf 'argc=%s\n' "$#"
for a in "$@"; do printf '[%s]\n' "$a"; done
printf 'stdin:'
cat
printf 'to stderr\n' >&2
exit "${FAKE_EXIT:-0}""#,
    )
}

#[test]
fn arguments_stdin_stdout_stderr_and_exit_codes_pass_through() {
    let tmp = tempfile::tempdir().unwrap();
    let child = echo_script(tmp.path());
    let args = [
        "check",
        "with space",
        "ünïcødé ✓ 日本",
        "",
        "--flag=a b",
        "*",
        "$HOME",
        "quote\"s'",
    ];
    for code in [0, 1, 2, 42] {
        let mut cmd = node(&launcher_js(), tmp.path());
        cmd.args(args)
            .env("NEXT_GRAFT_BINARY", &child)
            .env("FAKE_EXIT", code.to_string());
        let out = run(cmd, "line one\nzwei ✓\n".as_bytes());
        let expected = format!(
            "argc={}\n{}stdin:line one\nzwei ✓\n",
            args.len(),
            args.iter().map(|a| format!("[{a}]\n")).collect::<String>()
        );
        assert_eq!(text(&out.stdout), expected, "stdout for exit {code}");
        assert_eq!(text(&out.stderr), "to stderr\n", "stderr for exit {code}");
        assert_eq!(out.status.code(), Some(code), "exit code");
    }
}

#[test]
fn the_real_binary_through_the_launcher() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = node(&launcher_js(), tmp.path());
    cmd.arg("--version")
        .env("NEXT_GRAFT_BINARY", env!("CARGO_BIN_EXE_next-graft"));
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("next-graft {}", env!("CARGO_PKG_VERSION"))
    );

    // Bad usage: the binary's own exit code 2 and its message come through.
    let mut cmd = node(&launcher_js(), tmp.path());
    cmd.arg("--no-such-flag")
        .env("NEXT_GRAFT_BINARY", env!("CARGO_BIN_EXE_next-graft"));
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--no-such-flag"),
        "{}",
        text(&out.stderr)
    );
}

/// `check` on a real (trimmed) Next 16.4.6 build, in a directory whose name has a space and
/// non-ASCII letters: 0 when healthy, 1 once a handler is deleted from the standalone tree.
#[test]
fn check_on_a_fixture_through_the_launcher() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("my app ü");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(repo().join("fixtures/next-16.4.6-v16-4"))
        .arg(&project)
        .status()
        .expect("cp")
        .success();
    assert!(ok, "copy the fixture");

    let check = |format: &str| {
        let mut cmd = node(&launcher_js(), tmp.path());
        cmd.arg("check")
            .arg("--project")
            .arg(&project)
            .args(["--format", format, "--color", "never"])
            .env("NEXT_GRAFT_BINARY", env!("CARGO_BIN_EXE_next-graft"));
        run(cmd, b"")
    };

    let out = check("human");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("(Next.js 16.4.6)"),
        "{}",
        text(&out.stdout)
    );

    fs::remove_file(project.join(".next/standalone/cache-handler.js")).unwrap();
    let out = check("json");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["findings"][0]["slug"], "handler-missing", "{json}");
    assert_eq!(json["summary"]["errors"], 1, "{json}");
}

fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "the child never started ({})",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_with_timeout(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the launcher did not exit within 20s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn sigterm_to_the_launcher_reaches_the_child() {
    let tmp = tempfile::tempdir().unwrap();
    let ready = tmp.path().join("ready");
    let got = tmp.path().join("got");
    // Traps TERM, records it, and exits 42; gives up after ~10s if no signal came.
    let child = script(
        tmp.path(),
        "trap.sh",
        r#"trap 'echo TERM > "$GOT"; exit 42' TERM
echo $$ > "$READY"
i=0
while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
exit 7"#,
    );
    let mut launcher = node(&launcher_js(), tmp.path())
        .env("NEXT_GRAFT_BINARY", &child)
        .env("READY", &ready)
        .env("GOT", &got)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the launcher");
    wait_for_file(&ready);
    kill("-TERM", launcher.id());
    let status = wait_with_timeout(&mut launcher);
    assert_eq!(
        fs::read_to_string(&got).unwrap_or_default().trim(),
        "TERM",
        "the child did not receive SIGTERM"
    );
    assert_eq!(status.code(), Some(42), "the child's exit code: {status:?}");
}

#[test]
fn a_child_killed_by_a_signal_kills_the_launcher_by_the_same_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let ready = tmp.path().join("ready");
    // Forwarded SIGTERM, default action in the child (`exec sleep` is the child itself).
    let sleeper = script(
        tmp.path(),
        "sleep.sh",
        r#"echo $$ > "$READY"
exec sleep 10"#,
    );
    let mut launcher = node(&launcher_js(), tmp.path())
        .env("NEXT_GRAFT_BINARY", &sleeper)
        .env("READY", &ready)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the launcher");
    wait_for_file(&ready);
    kill("-TERM", launcher.id());
    let status = wait_with_timeout(&mut launcher);
    assert_eq!(status.signal(), Some(15), "{status:?}");

    // A signal the launcher never sends: the child kills itself.
    let suicide = script(tmp.path(), "kill9.sh", "kill -KILL $$");
    let mut launcher = node(&launcher_js(), tmp.path())
        .env("NEXT_GRAFT_BINARY", &suicide)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the launcher");
    let status = wait_with_timeout(&mut launcher);
    assert_eq!(status.signal(), Some(9), "{status:?}");
}

#[test]
fn no_platform_package_is_one_clear_line_and_exit_2() {
    // The launcher alone, as in an install that omitted optional dependencies.
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("node_modules/next-graft/bin");
    fs::create_dir_all(&bin).unwrap();
    let launcher = bin.join("next-graft.js");
    fs::copy(launcher_js(), &launcher).unwrap();
    let out = run(node(&launcher, tmp.path()), b"");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("next-graft: error: "), "{stderr}");
    assert!(
        stderr.contains("cargo install"),
        "how to build it: {stderr}"
    );
    if cfg!(all(
        target_os = "linux",
        target_arch = "x86_64",
        target_env = "gnu"
    )) {
        assert!(stderr.contains("(linux-x64-gnu)"), "the platform: {stderr}");
        assert!(
            stderr.contains("@next-graft/linux-x64-gnu is not installed"),
            "the package: {stderr}"
        );
    }

    // An override that names nothing is an error too, not a silent fallback.
    let mut cmd = node(&launcher, tmp.path());
    cmd.env("NEXT_GRAFT_BINARY", tmp.path().join("missing"));
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("NEXT_GRAFT_BINARY"),
        "{}",
        text(&out.stderr)
    );
}

/// The lookup npm users get: `node_modules/@next-graft/linux-x64-gnu/bin/next-graft` beside
/// `node_modules/next-graft`, found through Node's module resolution.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
#[test]
fn finds_the_installed_platform_package() {
    let tmp = tempfile::tempdir().unwrap();
    let nm = tmp.path().join("node_modules");
    let bin = nm.join("next-graft/bin");
    fs::create_dir_all(&bin).unwrap();
    let launcher = bin.join("next-graft.js");
    fs::copy(launcher_js(), &launcher).unwrap();
    let platform = nm.join("@next-graft/linux-x64-gnu");
    fs::create_dir_all(platform.join("bin")).unwrap();
    // scripts/npm-pack generates the real one from npm/platforms.json; the lookup only needs
    // the package to resolve.
    fs::write(
        platform.join("package.json"),
        r#"{ "name": "@next-graft/linux-x64-gnu", "version": "0.0.0" }"#,
    )
    .unwrap();

    // Installed without its binary: a clear error naming the path.
    let out = run(node(&launcher, tmp.path()), b"");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("has no binary at") && stderr.contains("linux-x64-gnu/bin/next-graft"),
        "{stderr}"
    );

    echo_script(&platform.join("bin"));
    fs::rename(
        platform.join("bin/echo-args.sh"),
        platform.join("bin/next-graft"),
    )
    .unwrap();
    let mut cmd = node(&launcher, tmp.path());
    cmd.args(["a b", "c"]).env("FAKE_EXIT", "1");
    let out = run(cmd, b"in");
    assert_eq!(text(&out.stdout), "argc=2\n[a b]\n[c]\nstdin:in");
    assert_eq!(out.status.code(), Some(1));
}

/// The platform key, with Node's view of the machine faked by a `--require` preload: the
/// libc comes from `process.report` (no `glibcVersionRuntime` means musl), and a platform
/// with no package at all gets its own clear line.
#[test]
fn platform_and_libc_detection() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("node_modules/next-graft/bin");
    fs::create_dir_all(&bin).unwrap();
    let launcher = bin.join("next-graft.js");
    fs::copy(launcher_js(), &launcher).unwrap();
    let cases = [
        (
            "musl.js",
            "Object.defineProperty(process, 'platform', { value: 'linux' });
             Object.defineProperty(process, 'arch', { value: 'x64' });
             process.report.getReport = () => ({ header: {} });",
            "(linux-x64-musl): the package @next-graft/linux-x64-musl is not installed",
        ),
        (
            "glibc-arm64.js",
            "Object.defineProperty(process, 'platform', { value: 'linux' });
             Object.defineProperty(process, 'arch', { value: 'arm64' });
             process.report.getReport = () => ({ header: { glibcVersionRuntime: '2.36' } });",
            "(linux-arm64-gnu): the package @next-graft/linux-arm64-gnu is not installed",
        ),
        (
            "darwin.js",
            "Object.defineProperty(process, 'platform', { value: 'darwin' });
             Object.defineProperty(process, 'arch', { value: 'arm64' });",
            "(darwin-arm64): the package @next-graft/darwin-arm64 is not installed",
        ),
        (
            "s390x.js",
            "Object.defineProperty(process, 'platform', { value: 'linux' });
             Object.defineProperty(process, 'arch', { value: 's390x' });
             process.report.getReport = () => ({ header: { glibcVersionRuntime: '2.36' } });",
            "published for this platform (linux-s390x-gnu): there is no @next-graft/linux-s390x-gnu package",
        ),
    ];
    for (name, preload, expected) in cases {
        let preload_path = tmp.path().join(name);
        fs::write(&preload_path, preload).unwrap();
        let mut cmd = Command::new("node");
        cmd.arg("--require")
            .arg(&preload_path)
            .arg(&launcher)
            .env_remove("NEXT_GRAFT_BINARY")
            .env_remove("NODE_PATH")
            .env_remove("NODE_OPTIONS")
            .env("HOME", tmp.path());
        let out = run(cmd, b"");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains("cargo install"), "{name}: {stderr}");
    }
}
