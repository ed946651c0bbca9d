//! The Docker recipe (`examples/Dockerfile`, Alpine) replayed by hand, as far as it goes without
//! a Docker engine, on a real Next.js 16.4.6 app from the e2e harness:
//!
//! 1. The user's machine (this glibc host): the app with `"postbuild": "next-graft"` and its
//!    lockfile, next-graft added from the tarballs that `scripts/npm-pack --binaries` packs: the
//!    launcher, `linux-x64-musl` with the musl binary built for real (`target/platforms/
//!    binaries.tsv`, or `scripts/build-platforms --profile dist-ci linux-x64-musl`), and
//!    `linux-x64-gnu` with a stand-in that fails if run. The tarballs stand in for the registry:
//!    the platform packages are the launcher's optional dependencies, resolved through
//!    `overrides`, so the lockfile lists both with their `os`/`cpu`/`libc`, as a registry install
//!    would. `Dockerfile` and `.dockerignore` come from the launcher tarball's `examples/`, as
//!    docs/docker.md says.
//! 2. The Dockerfile is parsed (FROM/ARG/WORKDIR/ENV/COPY/RUN/CMD/USER/EXPOSE, line
//!    continuations, comments) and each stage replayed in a directory of its own standing for
//!    its file system: `WORKDIR` and `ENV` as written; `COPY` from the build context (filtered by
//!    `.dockerignore`) or `--from` an earlier stage; `RUN npm ci` as `npm ci --libc=musl` (the
//!    image is Alpine: npm must pick `@next-graft/linux-x64-musl`, checked); `RUN npm run build`
//!    as written (next build, then next-graft: its verdict must be in the log, and the launcher
//!    must have spawned the musl binary, a static executable that runs natively here).
//! 3. The runner stage's `COPY` lines lay out the image in a fresh directory; the build context
//!    and every other stage are renamed away; `CMD ["node", "server.js"]` runs there on a free
//!    port on 127.0.0.1 with the runner's `ENV`; the handlers' own log proves that production
//!    constructed and called them.
//!
//! What cannot be replayed is listed, skipped with a note, and must be exactly
//! [`ALPINE_SKIPPED`] (so a new `RUN` line cannot escape the replay unnoticed); what is adapted
//! to this host is printed as a note (see [`Adaptation`]).
//!
//! Slow (a real `npm ci` and `next build`): in the nextest `e2e` group (`.config/nextest.toml`).
//! Reuses the e2e harness (`tests/e2e/support.rs`): its cached install of next@16.4.6 and npm
//! cache, the app template `tests/e2e/apps/v16-4`, the heavy-work lock, and its server runner.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "e2e/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::*;

// ---------------------------------------------------------------------------------------------
// A small Dockerfile parser: enough for the instructions the recipe uses.

/// One instruction, its continuation lines joined, whitespace runs collapsed to one space.
#[derive(Debug, Clone, PartialEq)]
struct Instruction {
    /// 1-based line where it starts.
    line: usize,
    /// Upper case (`FROM`, `RUN`, ...).
    keyword: String,
    args: String,
}

impl Instruction {
    fn text(&self) -> String {
        format!("{} {}", self.keyword, self.args)
    }
}

fn parse_dockerfile(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        // Comments (and parser directives such as `# syntax=`) are dropped, inside a continued
        // instruction too, as Docker does; so are empty lines.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (line, false),
        };
        match &mut current {
            Some((_, acc)) => {
                acc.push(' ');
                acc.push_str(body);
            }
            None => current = Some((i + 1, body.to_string())),
        }
        if !continues {
            let (line, joined) = current.take().expect("an instruction");
            let joined = joined.split_whitespace().collect::<Vec<_>>().join(" ");
            let (keyword, args) = joined.split_once(' ').unwrap_or((&joined, ""));
            out.push(Instruction {
                line,
                keyword: keyword.to_ascii_uppercase(),
                args: args.to_string(),
            });
        }
    }
    assert!(
        current.is_none(),
        "the Dockerfile ends inside a continued line"
    );
    out
}

/// One build stage: `FROM <image or stage> [AS name]` and its instructions.
#[derive(Debug)]
struct Stage {
    name: String,
    /// The image (with the global `ARG` defaults substituted) or an earlier stage's name.
    from: String,
    instructions: Vec<Instruction>,
}

fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for ins in instructions {
        match (ins.keyword.as_str(), stages.last_mut()) {
            ("ARG", None) => {
                let (k, v) = ins.args.split_once('=').unwrap_or((&ins.args, ""));
                args.insert(k.to_string(), v.trim_matches('"').to_string());
            }
            ("FROM", _) => {
                let words: Vec<&str> = ins.args.split(' ').collect();
                let (from, name) = match words.as_slice() {
                    [from] => (*from, None),
                    [from, as_, name] if as_.eq_ignore_ascii_case("as") => (*from, Some(*name)),
                    _ => panic!("line {}: unsupported FROM {:?}", ins.line, ins.args),
                };
                let mut from = from.to_string();
                for (k, v) in &args {
                    from = from.replace(&format!("${{{k}}}"), v);
                }
                assert!(
                    !from.contains('$'),
                    "line {}: FROM {from}: an ARG without a default",
                    ins.line
                );
                stages.push(Stage {
                    name: name.map_or_else(|| stages.len().to_string(), str::to_string),
                    from,
                    instructions: Vec::new(),
                });
            }
            (_, Some(stage)) => stage.instructions.push(ins.clone()),
            (k, None) => panic!("line {}: {k} before the first FROM", ins.line),
        }
    }
    stages
}

/// What the replay does with one instruction of a stage.
#[derive(Debug, PartialEq)]
enum Step {
    Workdir(String),
    Env(Vec<(String, String)>),
    Copy {
        from: Option<String>,
        sources: Vec<String>,
        dest: String,
    },
    NpmCi,
    NpmRunBuild,
    Cmd(Vec<String>),
    /// Not replayable here; the reason is printed.
    Skip(&'static str),
}

fn classify(ins: &Instruction) -> Step {
    let args = ins.args.as_str();
    match ins.keyword.as_str() {
        "WORKDIR" => Step::Workdir(args.to_string()),
        "ENV" => Step::Env(parse_env(args)),
        "COPY" => {
            let mut from = None;
            let mut words: Vec<String> = Vec::new();
            for w in args.split(' ') {
                if let Some(f) = w.strip_prefix("--from=") {
                    from = Some(f.to_string());
                } else if w.starts_with("--chown=") {
                    // Ownership: the replay runs as the test's user (see USER below).
                } else if w.starts_with("--") {
                    panic!("line {}: COPY flag {w} is not replayed", ins.line);
                } else {
                    words.push(w.to_string());
                }
            }
            let dest = words.pop().expect("COPY needs a destination");
            assert!(
                !words.is_empty(),
                "line {}: COPY without a source",
                ins.line
            );
            Step::Copy {
                from,
                sources: words,
                dest,
            }
        }
        "RUN" if args == "npm ci" => Step::NpmCi,
        "RUN" if args == "npm run build" => Step::NpmRunBuild,
        "RUN" if args.starts_with("apk ") => Step::Skip(
            "installs Alpine packages: there is no Alpine here (next-graft's musl binary is \
             static and needs none of them)",
        ),
        "RUN"
            if ["addgroup ", "adduser ", "groupadd ", "useradd "]
                .iter()
                .any(|c| args.starts_with(c)) =>
        {
            Step::Skip("creates the image's user and group: there is no image user database here")
        }
        "USER" => Step::Skip("switches to the image's user: the server runs as the test's user"),
        "EXPOSE" => Step::Skip("documents the port: the server listens on a free port instead"),
        "CMD" => Step::Cmd(
            serde_json::from_str(args)
                .unwrap_or_else(|e| panic!("line {}: CMD is not JSON ({e}): {args}", ins.line)),
        ),
        _ => Step::Skip("not known to this replay"),
    }
}

/// `ENV K=V K2="v 2"` (or the legacy `ENV K V`).
fn parse_env(args: &str) -> Vec<(String, String)> {
    let Some((first, _)) = args.split_once('=') else {
        let (k, v) = args.split_once(' ').unwrap_or((args, ""));
        return vec![(k.to_string(), v.to_string())];
    };
    assert!(!first.contains(' '), "ENV {args}: mixed forms");
    let mut out = Vec::new();
    let mut rest = args;
    while !rest.is_empty() {
        let (k, after) = rest.split_once('=').expect("ENV K=V");
        let (v, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').expect("ENV: unterminated quote");
            (&quoted[..end], quoted[end + 1..].trim_start())
        } else {
            after.split_once(' ').unwrap_or((after, ""))
        };
        out.push((k.trim().to_string(), v.to_string()));
        rest = next.trim_start();
    }
    out
}

/// The instructions of the Alpine recipe that the replay cannot do, in order.
const ALPINE_SKIPPED: &[&str] = &[
    "RUN apk add --no-cache libc6-compat",
    "RUN addgroup --system --gid 1001 nodejs && adduser --system --uid 1001 nextjs",
    "USER nextjs",
    "EXPOSE 3000",
];

/// The same for the Debian variant.
const DEBIAN_SKIPPED: &[&str] = &[
    "RUN groupadd --system --gid 1001 nodejs && useradd --system --uid 1001 --gid nodejs nextjs",
    "USER nextjs",
    "EXPOSE 3000",
];

fn skipped(stages: &[Stage]) -> Vec<String> {
    stages
        .iter()
        .flat_map(|s| &s.instructions)
        .filter(|i| matches!(classify(i), Step::Skip(_)))
        .map(Instruction::text)
        .collect()
}

fn read_recipe(path: &Path) -> Vec<Stage> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    stages(&parse_dockerfile(&text))
}

// ---------------------------------------------------------------------------------------------
// .dockerignore: the patterns the recipe ships (no `!` exceptions).

fn parse_dockerignore(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            assert!(
                !l.starts_with('!'),
                ".dockerignore exception {l}: not replayed"
            );
            l.trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string()
        })
        .collect()
}

/// Go's filepath.Match on one path segment: `*`, `?`, literal characters.
fn segment_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_match(&pattern[1..], name)
                || (!name.is_empty() && segment_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => segment_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Whether `rel` (a context-relative path with `/` separators) matches `pattern`; `**` matches
/// any number of segments.
fn ignore_match(pattern: &str, rel: &str) -> bool {
    fn go(p: &[&str], r: &[&str]) -> bool {
        match (p.first(), r.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&p[1..], r) || (!r.is_empty() && go(p, &r[1..])),
            (Some(ps), Some(rs)) => {
                segment_match(ps.as_bytes(), rs.as_bytes()) && go(&p[1..], &r[1..])
            }
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let r: Vec<&str> = rel.split('/').collect();
    go(&p, &r)
}

// ---------------------------------------------------------------------------------------------
// Fast checks of the recipe itself (no install, no build).

#[test]
fn dockerfile_parser_joins_continuations_and_drops_comments() {
    let text = "# syntax=docker/dockerfile:1\nARG IMG=node:22-alpine\nFROM ${IMG} AS base\n\
                ENV A=1 \\\n    # a comment inside\n    B=\"two words\"\nrun   npm    ci\n\
                FROM base\nCMD [\"node\", \"server.js\"]\n";
    let parsed = stages(&parse_dockerfile(text));
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].from, "node:22-alpine");
    assert_eq!(parsed[0].name, "base");
    assert_eq!(parsed[1].from, "base");
    assert_eq!(parsed[1].name, "1");
    assert_eq!(
        classify(&parsed[0].instructions[0]),
        Step::Env(vec![
            ("A".into(), "1".into()),
            ("B".into(), "two words".into())
        ])
    );
    assert_eq!(parsed[0].instructions[0].line, 4);
    assert_eq!(classify(&parsed[0].instructions[1]), Step::NpmCi);
    assert_eq!(
        classify(&parsed[1].instructions[0]),
        Step::Cmd(vec!["node".into(), "server.js".into()])
    );
    assert!(ignore_match("node_modules", "node_modules"));
    assert!(!ignore_match("node_modules", "app/node_modules"));
    assert!(ignore_match("**/node_modules", "app/node_modules"));
    assert!(ignore_match("npm-debug.log*", "npm-debug.log.1"));
    assert!(!ignore_match(".next", ".nextrc"));
}

/// Both recipes have the stages of Next's `with-docker` example, skip exactly the listed lines,
/// and differ only in the base image and the lines that create the user (so the replay of one
/// vouches for the replayable part of the other).
#[test]
fn docker_recipes_skip_only_the_listed_lines_and_agree_on_the_rest() {
    let root = repo_root();
    let alpine = read_recipe(&root.join("examples/Dockerfile"));
    let debian = read_recipe(&root.join("examples/Dockerfile.debian"));
    for (recipe, image, skip) in [
        (&alpine, "node:22-alpine", ALPINE_SKIPPED),
        (&debian, "node:22-bookworm-slim", DEBIAN_SKIPPED),
    ] {
        let names: Vec<&str> = recipe.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["base", "deps", "builder", "runner"], "{image}");
        assert_eq!(recipe[0].from, image);
        assert!(recipe[1..].iter().all(|s| s.from == "base"), "{image}");
        assert_eq!(
            skipped(recipe),
            skip,
            "{image}: the instructions the replay skips"
        );
        let last = recipe.last().expect("a stage");
        assert_eq!(
            last.instructions.last().map(classify),
            Some(Step::Cmd(vec!["node".into(), "server.js".into()])),
            "{image}: the runner ends with CMD [\"node\", \"server.js\"]"
        );
    }
    let replayed = |recipe: &[Stage]| -> Vec<String> {
        recipe
            .iter()
            .flat_map(|s| &s.instructions)
            .filter(|i| !matches!(classify(i), Step::Skip(_)))
            .map(Instruction::text)
            .collect()
    };
    assert_eq!(replayed(&alpine), replayed(&debian));
    // The ignore file keeps the user's node_modules (another platform's binary) and build out.
    let ignore = parse_dockerignore(
        &fs::read_to_string(root.join("examples/.dockerignore")).expect("read .dockerignore"),
    );
    for p in ["node_modules", ".next"] {
        assert!(ignore.iter().any(|i| ignore_match(i, p)), "{p} not ignored");
    }
}

// ---------------------------------------------------------------------------------------------
// The replay.

/// A file in the user's `node_modules` and `.next`, which must not reach the image.
const USER_MARKER: &str = "from-the-users-machine";

/// What the replay changes to run on this host instead of in an image, printed as notes.
struct Adaptation {
    notes: Vec<String>,
}

impl Adaptation {
    fn note(&mut self, s: impl Into<String>) {
        let s = s.into();
        eprintln!("docker-recipe: adapted: {s}");
        self.notes.push(s);
    }
}

/// The `linux-x64-musl` binary: the row of `target/platforms/binaries.tsv` when that file
/// lists one, otherwise built by `scripts/build-platforms --profile dist-ci linux-x64-musl` (which
/// prints the row): the release profile without LTO (Cargo.toml), the same code, built faster.
fn musl_binary() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().map(Path::to_path_buf).unwrap_or(tmp);
    let from_rows = |text: &str| -> Option<PathBuf> {
        text.lines().find_map(|l| {
            let mut cols = l.split_whitespace();
            (cols.next()? == "linux-x64-musl")
                .then(|| PathBuf::from(cols.next().unwrap_or_default()))
                .filter(|p| p.is_file())
        })
    };
    let tsv = target.join("platforms/binaries.tsv");
    if let Some(p) = fs::read_to_string(&tsv).ok().as_deref().and_then(from_rows) {
        eprintln!(
            "docker-recipe: musl binary from {}: {}",
            tsv.display(),
            p.display()
        );
        return p;
    }
    let _heavy = heavy_lock();
    let started = Instant::now();
    let out = Command::new(repo_root().join("scripts/build-platforms"))
        .args(["--profile", "dist-ci", "linux-x64-musl"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/build-platforms");
    timing(
        "scripts/build-platforms --profile dist-ci linux-x64-musl",
        started.elapsed(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scripts/build-platforms linux-x64-musl failed: {stdout}"
    );
    from_rows(&stdout).unwrap_or_else(|| panic!("no linux-x64-musl row in: {stdout}"))
}

/// Whether an ELF executable has no program interpreter (PT_INTERP): statically linked.
fn is_static_elf(bytes: &[u8]) -> bool {
    assert!(
        bytes.len() > 64 && &bytes[..4] == b"\x7fELF" && bytes[4] == 2,
        "not an ELF64 file"
    );
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) != 3 // PT_INTERP
    })
}

/// The gnu package's binary in this test: the package only has to exist for npm to choose
/// against (a real one is 100 MB in a debug build); if anything ran it, the build would fail.
const GNU_STAND_IN: &str = "#!/bin/sh\necho 'next-graft: the linux-x64-gnu stand-in ran: \
                            the replayed Alpine build must run the musl binary' >&2\nexit 97\n";

/// `scripts/npm-pack --binaries` with the musl binary and a stand-in for the gnu one: the
/// launcher (listing both as optional dependencies) and the two platform tarballs, in `out`.
fn pack(out: &Path, musl: &Path) -> (PathBuf, PathBuf, PathBuf) {
    fs::create_dir_all(out).expect("create packs dir");
    let stand_in = out.join("gnu-stand-in");
    fs::write(&stand_in, GNU_STAND_IN).expect("write the gnu stand-in");
    fs::set_permissions(&stand_in, fs::Permissions::from_mode(0o755)).expect("chmod");
    let tsv = out.join("binaries.tsv");
    fs::write(
        &tsv,
        format!(
            "linux-x64-gnu\t{}\nlinux-x64-musl\t{}\n",
            stand_in.display(),
            musl.display()
        ),
    )
    .expect("write binaries.tsv");
    let started = Instant::now();
    let result = Command::new(repo_root().join("scripts/npm-pack"))
        .arg("--out")
        .arg(out)
        .args([
            "--platform",
            "linux-x64-gnu",
            "--platform",
            "linux-x64-musl",
        ])
        .arg("--binaries")
        .arg(&tsv)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/npm-pack");
    timing("npm-pack (launcher, gnu, musl)", started.elapsed());
    let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
    assert!(result.status.success(), "scripts/npm-pack failed: {stdout}");
    let lines: Vec<PathBuf> = stdout.lines().map(PathBuf::from).collect();
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(lines.len(), 3, "three tarball paths: {stdout}");
    assert!(
        lines[0].ends_with(format!("next-graft-{v}.tgz")),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with(format!("next-graft-linux-x64-gnu-{v}.tgz")),
        "{stdout}"
    );
    assert!(
        lines[2].ends_with(format!("next-graft-linux-x64-musl-{v}.tgz")),
        "{stdout}"
    );
    (lines[0].clone(), lines[1].clone(), lines[2].clone())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// Loaded with `node --require` in the replayed deps and builder stages. In the next-graft
/// launcher only: makes it see what Alpine's Node reports (a diagnostic report without
/// `header.glibcVersionRuntime`, which is how it, esbuild and @swc/core detect musl), and
/// records the executable it spawns. Nothing else (npm, next build) is touched.
const ALPINE_NODE_PRELOAD: &str = r#"'use strict';
const path = require('path');
const main = process.argv[1] ? path.basename(process.argv[1]) : '';
if (main === 'next-graft' || main === 'next-graft.js') {
  const getReport = process.report.getReport.bind(process.report);
  process.report.getReport = (...args) => {
    const r = getReport(...args);
    const report = typeof r === 'string' ? JSON.parse(r) : r;
    delete report.header.glibcVersionRuntime;
    return report;
  };
  const childProcess = require('child_process');
  const fs = require('fs');
  const spawn = childProcess.spawn;
  childProcess.spawn = function (file, ...rest) {
    fs.appendFileSync(process.env.GRAFT_SPAWN_LOG, file + '\n');
    return spawn.call(this, file, ...rest);
  };
}
"#;

/// One stage being replayed: its file system root, working directory and environment.
struct StageFs {
    root: PathBuf,
    workdir: String,
    env: Vec<(String, String)>,
}

impl StageFs {
    fn path(&self, p: &str) -> PathBuf {
        let abs = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("{}/{p}", self.workdir.trim_end_matches('/'))
        };
        self.root.join(abs.trim_start_matches('/'))
    }

    fn cwd(&self) -> PathBuf {
        self.path(&self.workdir)
    }
}

/// `cp -a` of `src` into `dest`: a directory's contents are merged into `dest` (Docker's COPY of
/// a directory), a file lands in `dest` when it ends in `/` or is a directory, else at `dest`.
/// `link`: hard links instead of copies (`cp -al`; for `COPY --from`, whose source stage is
/// never built on again), falling back to copies.
fn copy_into(src: &Path, dest: &Path, dest_is_dir: bool, link: bool) {
    let (from, target) = if src.is_dir() {
        fs::create_dir_all(dest).expect("create COPY destination");
        let mut contents = src.as_os_str().to_owned();
        contents.push("/.");
        (PathBuf::from(contents), dest.to_path_buf())
    } else if dest_is_dir || dest.is_dir() {
        fs::create_dir_all(dest).expect("create COPY destination");
        (
            src.to_path_buf(),
            dest.join(src.file_name().expect("file name")),
        )
    } else {
        fs::create_dir_all(dest.parent().expect("parent")).expect("create parent");
        (src.to_path_buf(), dest.to_path_buf())
    };
    let cp = |flags: &str| {
        Command::new("cp")
            .arg(flags)
            .arg(&from)
            .arg(&target)
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    assert!(
        (link && cp("-al")) || cp("-a"),
        "cp -a {} {}",
        from.display(),
        target.display()
    );
}

/// Copies the build context's `rel` (a file or directory) into `dest`, leaving out what
/// `.dockerignore` matches, at any depth.
fn copy_context(context: &Path, rel: &str, ignore: &[String], dest: &Path, dest_is_dir: bool) {
    let src = if rel == "." {
        context.to_path_buf()
    } else {
        context.join(rel)
    };
    assert!(src.exists(), "COPY {rel}: not in the build context");
    if !src.is_dir() {
        copy_into(&src, dest, dest_is_dir, false);
        return;
    }
    fn walk(dir: &Path, rel: &str, ignore: &[String], dest: &Path) {
        fs::create_dir_all(dest).expect("create dir");
        for entry in fs::read_dir(dir).expect("read context dir") {
            let p = entry.expect("entry").path();
            let name = file_name(&p);
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ignore.iter().any(|i| ignore_match(i, &r)) {
                continue;
            }
            if p.is_dir() && !p.is_symlink() {
                walk(&p, &r, ignore, &dest.join(&name));
            } else {
                copy_into(&p, &dest.join(&name), false, false);
            }
        }
    }
    let rel = if rel == "." {
        ""
    } else {
        rel.trim_end_matches('/')
    };
    walk(&src, rel, ignore, dest);
}

#[test]
fn docker_recipe_replayed_by_hand_alpine_picks_the_musl_binary_and_the_image_uses_the_handlers() {
    let work = scratch_dir("docker-recipe");
    // Everything but the image: renamed away while the server runs.
    let replay = work.dir.join("replay");
    let user = replay.join("user");
    let context = user.join("app");
    let packs = user.join("packs");

    // The musl binary: real, static, runs here.
    let musl = musl_binary();
    let musl_bytes = fs::read(&musl).expect("read the musl binary");
    assert!(
        is_static_elf(&musl_bytes),
        "{} is not statically linked",
        musl.display()
    );
    let out = Command::new(&musl)
        .arg("--version")
        .output()
        .expect("run the musl binary");
    assert!(
        out.status.success(),
        "{} --version: {out:?}",
        musl.display()
    );

    let (launcher_tgz, gnu_tgz, musl_tgz) = pack(&packs, &musl);

    // 1. The user's machine: the app and its lockfile (from the suite's cached install), with
    //    next-graft from the tarballs, the platform packages as the launcher's optional
    //    dependencies (through `overrides`). Only the lockfile is written (`--package-lock-only`):
    //    node_modules and .next of the user's machine are markers, which `.dockerignore` must
    //    keep out of the image.
    fs::create_dir_all(&user).expect("create user dir");
    copy_tree(&repo_root().join("tests/e2e/apps/v16-4"), &context);
    fs::create_dir_all(context.join("public")).expect("create public/");
    fs::write(
        context.join("public/robots.txt"),
        "User-agent: *\nAllow: /\n",
    )
    .expect("robots.txt");
    let cached = cached_node_modules(&V16_4);
    let cached_lock = cached.with_file_name("package-lock.json");
    if cached_lock.is_file() {
        fs::copy(&cached_lock, context.join("package-lock.json")).expect("copy lockfile");
    }
    let pkg_path = context.join("package.json");
    let mut pkg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&pkg_path).expect("read package.json"))
            .expect("parse package.json");
    pkg["scripts"]["postbuild"] = "next-graft".into();
    pkg["overrides"] = serde_json::json!({
        "@next-graft/linux-x64-gnu": format!("file:../packs/{}", file_name(&gnu_tgz)),
        "@next-graft/linux-x64-musl": format!("file:../packs/{}", file_name(&musl_tgz)),
    });
    fs::write(&pkg_path, serde_json::to_string_pretty(&pkg).unwrap()).expect("write package.json");
    let started = Instant::now();
    let mut install = npm_command(&context);
    install
        .args(["install", "--save-dev", "--package-lock-only", "--offline"])
        .arg(format!("../packs/{}", file_name(&launcher_tgz)));
    run_to_log(
        install,
        &work.dir.join("npm-install.log"),
        "npm install (the user's machine)",
    );
    timing(
        "npm install of next-graft (the user's machine)",
        started.elapsed(),
    );
    let lock: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(context.join("package-lock.json")).expect("read lockfile"),
    )
    .expect("parse lockfile");
    for (name, libc) in [("linux-x64-gnu", "glibc"), ("linux-x64-musl", "musl")] {
        let entry = &lock["packages"][format!("node_modules/@next-graft/{name}")];
        assert_eq!(
            entry["optional"], true,
            "lockfile entry for {name}: {entry}"
        );
        assert_eq!(
            entry["libc"],
            serde_json::json!([libc]),
            "lockfile entry for {name}: {entry}"
        );
    }
    for dir in ["node_modules", ".next"] {
        fs::create_dir_all(context.join(dir)).expect("create marker dir");
        fs::write(context.join(dir).join(USER_MARKER), "").expect("write marker");
    }
    // docs/docker.md: `cp node_modules/next-graft/examples/{Dockerfile,.dockerignore} .`, from
    // the launcher's tarball.
    let unpacked = user.join("launcher");
    fs::create_dir_all(&unpacked).expect("create dir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&launcher_tgz)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar -xzf {}", launcher_tgz.display());
    let shipped = unpacked.join("package/examples");
    for entry in fs::read_dir(repo_root().join("examples")).expect("read examples/") {
        let f = entry.expect("entry").file_name();
        let Ok(bytes) = fs::read(shipped.join(&f)) else {
            // scripts/npm-pack ships the recipe's two files; others only when it lists them.
            assert!(
                f != "Dockerfile" && f != ".dockerignore",
                "the npm package does not ship examples/{}",
                f.to_string_lossy()
            );
            continue;
        };
        assert_eq!(
            bytes,
            fs::read(repo_root().join("examples").join(&f)).expect("read examples/"),
            "the npm package ships examples/{} as it is in the repository",
            f.to_string_lossy()
        );
        fs::write(context.join(&f), bytes).expect("copy the recipe into the app");
    }

    // 2. The replay.
    let recipe = read_recipe(&context.join("Dockerfile"));
    let ignore = parse_dockerignore(
        &fs::read_to_string(context.join(".dockerignore")).expect("read .dockerignore"),
    );
    assert_eq!(
        recipe[0].from, "node:22-alpine",
        "the recipe builds on Alpine"
    );
    let preload = replay.join("alpine-node.cjs");
    fs::write(&preload, ALPINE_NODE_PRELOAD).expect("write preload");
    let spawn_log = replay.join("spawned.log");
    let image = scratch_dir("docker-recipe-image");
    let mut adapted = Adaptation { notes: Vec::new() };
    adapted.note(format!(
        "the build context is {}; each stage's file system is a directory; the tarballs stand in \
         for the registry (each stage sees them at /packs, as the lockfile's file:../packs/...)",
        context.display()
    ));
    let mut done: BTreeMap<String, StageFs> = BTreeMap::new();
    let mut skipped_here: Vec<String> = Vec::new();
    let mut cmd: Option<Vec<String>> = None;
    let last = recipe.len() - 1;
    let mut build_log = None;
    for (i, stage) in recipe.iter().enumerate() {
        let root = if i == last {
            image.dir.clone()
        } else {
            replay.join("stages").join(&stage.name)
        };
        let mut fs_ = match done.get(&stage.from) {
            Some(parent) => {
                copy_into(&parent.root, &root, true, false);
                StageFs {
                    root,
                    workdir: parent.workdir.clone(),
                    env: parent.env.clone(),
                }
            }
            None => {
                assert!(
                    stage.from.contains("alpine"),
                    "FROM {}: not Alpine",
                    stage.from
                );
                fs::create_dir_all(&root).expect("create stage root");
                StageFs {
                    root,
                    workdir: "/".into(),
                    env: Vec::new(),
                }
            }
        };
        for ins in &stage.instructions {
            let step = classify(ins);
            eprintln!("docker-recipe: [{}] {}", stage.name, ins.text());
            match step {
                Step::Workdir(dir) => {
                    assert!(dir.starts_with('/'), "WORKDIR {dir}: relative");
                    fs_.workdir = dir;
                    fs::create_dir_all(fs_.cwd()).expect("create WORKDIR");
                }
                Step::Env(vars) => {
                    for (k, v) in vars {
                        fs_.env.retain(|(ek, _)| *ek != k);
                        fs_.env.push((k, v));
                    }
                }
                Step::Copy {
                    from,
                    sources,
                    dest,
                } => {
                    let dest_is_dir = dest.ends_with('/') || sources.len() > 1 || dest == ".";
                    let dest = fs_.path(&dest);
                    for src in &sources {
                        match &from {
                            None => copy_context(&context, src, &ignore, &dest, dest_is_dir),
                            Some(f) => {
                                let other = done
                                    .get(f)
                                    .unwrap_or_else(|| panic!("COPY --from={f}: no such stage"));
                                let src = other.path(src);
                                assert!(
                                    src.exists(),
                                    "COPY --from={f} {}: not found",
                                    src.display()
                                );
                                copy_into(&src, &dest, dest_is_dir, true);
                            }
                        }
                    }
                }
                Step::NpmCi => {
                    adapted.note(
                        "RUN npm ci as `npm ci --libc=musl --prefer-offline`: npm picks the \
                         optional packages of an Alpine (musl) machine; the e2e npm cache first",
                    );
                    if !fs_.root.join("packs").exists() {
                        std::os::unix::fs::symlink(&packs, fs_.root.join("packs"))
                            .expect("link /packs");
                    }
                    let _heavy = heavy_lock();
                    let started = Instant::now();
                    let mut c = npm_command(&fs_.cwd());
                    c.args(["ci", "--libc=musl", "--prefer-offline"]);
                    c.envs(fs_.env.iter().map(|(k, v)| (k, v)));
                    run_to_log(
                        c,
                        &replay.join(format!("{}-npm-ci.log", stage.name)),
                        "npm ci",
                    );
                    timing("npm ci --libc=musl (the deps stage)", started.elapsed());
                    let pkgs = fs_.cwd().join("node_modules/@next-graft");
                    assert!(
                        pkgs.join("linux-x64-musl/bin/next-graft").is_file(),
                        "npm ci --libc=musl did not install @next-graft/linux-x64-musl"
                    );
                    assert!(
                        !pkgs.join("linux-x64-gnu").exists(),
                        "npm ci --libc=musl installed @next-graft/linux-x64-gnu too"
                    );
                    assert_eq!(
                        fs::read(pkgs.join("linux-x64-musl/bin/next-graft")).expect("read"),
                        musl_bytes,
                        "the installed musl package holds another binary"
                    );
                }
                Step::NpmRunBuild => {
                    let nm = fs_.cwd().join("node_modules");
                    for dir in ["node_modules", ".next"] {
                        assert!(
                            !fs_.cwd().join(dir).join(USER_MARKER).exists(),
                            "the user's {dir} reached the builder (.dockerignore)"
                        );
                    }
                    // next build loads Next's own SWC binding, a native module: the musl one
                    // that npm picked cannot load in this host's glibc Node.
                    let swc = "@next/swc-linux-x64-gnu";
                    if !nm.join(swc).exists() {
                        adapted.note(format!(
                            "{swc} copied into the builder's node_modules from the e2e cache: \
                             this host's Node is glibc (in Alpine, Next loads \
                             @next/swc-linux-x64-musl, which npm installed)"
                        ));
                        copy_tree(&cached.join(swc), &nm.join(swc));
                    }
                    adapted.note(
                        "the next-graft launcher runs with a --require preload that removes \
                         header.glibcVersionRuntime from process.report (what Alpine's Node \
                         reports) and records what it spawns",
                    );
                    let log = replay.join(format!("{}-npm-run-build.log", stage.name));
                    let _heavy = heavy_lock();
                    let started = Instant::now();
                    let mut c = npm_command(&fs_.cwd());
                    c.args(["run", "build"]);
                    c.envs(fs_.env.iter().map(|(k, v)| (k, v)));
                    c.env("NODE_OPTIONS", format!("--require {}", preload.display()))
                        .env("GRAFT_SPAWN_LOG", &spawn_log)
                        .env("GRAFT_HANDLER_LOG", replay.join("build-handler.log"));
                    run_to_log(c, &log, "npm run build (next build, then next-graft)");
                    timing("npm run build (the builder stage)", started.elapsed());
                    build_log = Some((log, fs_.cwd()));
                }
                Step::Cmd(argv) => cmd = Some(argv),
                Step::Skip(why) => {
                    eprintln!("docker-recipe: skipped: {} ({why})", ins.text());
                    skipped_here.push(ins.text());
                }
            }
        }
        done.insert(stage.name.clone(), fs_);
    }
    assert_eq!(
        skipped_here, ALPINE_SKIPPED,
        "the instructions the replay skipped"
    );

    // The builder's `npm run build`: next build, then the postbuild next-graft, through the
    // launcher, which spawned the musl binary of the musl package.
    let (build_log, builder_app) = build_log.expect("the recipe has RUN npm run build");
    let log = fs::read_to_string(&build_log).expect("read the build log");
    let after = postbuild_output(&log);
    eprintln!("docker-recipe: after `> next-graft`:\n{}", after.trim_end());
    let spawned = fs::read_to_string(&spawn_log).expect("the launcher spawned nothing");
    let expected = builder_app.join("node_modules/@next-graft/linux-x64-musl/bin/next-graft");
    assert_eq!(
        spawned.lines().map(PathBuf::from).collect::<Vec<_>>(),
        std::slice::from_ref(&expected),
        "what the launcher spawned"
    );
    assert_eq!(fs::read(&expected).expect("read"), musl_bytes);

    // 3. The image: the runner stage's tree, with everything else renamed away.
    let runner = done.remove(&recipe[last].name).expect("the runner stage");
    let argv = cmd.expect("the recipe has a CMD");
    assert_eq!(argv, ["node", "server.js"], "CMD");
    adapted
        .note("CMD runs on a free port on 127.0.0.1 (PORT and HOSTNAME set over the runner's ENV)");
    let server_dir = runner.cwd();
    let env = runner.env.clone();
    let server = start_server_in(image, &server_dir, &replay, &env);
    server.get_ok("/");
    server.get_ok("/cached");
    server.get_ok("/cached");
    server.get_ok("/robots.txt");
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    server.assert_called_all("default", &["load", "get", "set"]);
    eprintln!(
        "docker-recipe: replayed examples/Dockerfile; skipped {} instructions; {} adaptations",
        skipped_here.len(),
        adapted.notes.len()
    );
}
