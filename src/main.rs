//! The `next-graft` binary: parses arguments, calls the library, prints, exits.
//! Exit codes: 0 production will load every handler, 1 errors remain, 2 could not run.

use clap::{Parser, Subcommand, ValueEnum};
use next_graft::commands::{self, Common, Format};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "next-graft",
    version,
    about = "Make Next.js custom cache handlers work in production"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    global: GlobalArgs,
    /// `graft` options, accepted without the subcommand (graft is the default).
    #[command(flatten)]
    graft: GraftArgs,
}

#[derive(clap::Args, Clone, Default)]
struct GraftArgs {
    /// Inject or override a handler: KIND is `isr` (cacheHandler) or a cacheHandlers key
    /// (`default`, `remote`, `static`, custom). Repeatable.
    #[arg(long = "handler", value_name = "KIND=PATH")]
    handlers: Vec<String>,
    /// Print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also copy `public/`, `.next/static` and `.next/cache/fetch-cache` into the standalone tree.
    #[arg(long)]
    assets: bool,
    /// Sync the written files to disk before and after renaming them into place (survives a
    /// power loss; slower: it waits for all pending writes of the file system).
    #[arg(long)]
    fsync: bool,
}

#[derive(clap::Args)]
struct GlobalArgs {
    /// The Next.js project directory.
    #[arg(long, global = true, default_value = ".")]
    project: PathBuf,
    /// The build's distDir, when it is not `.next` and cannot be found.
    #[arg(long, global = true)]
    dist_dir: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// When to colour human output (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Print errors only.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail (handlers, files).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// How production serves the build: `standalone` (`node server.js` of the moved folder) or
    /// `start` (`next start` in the project). Default: standalone when the build has standalone
    /// output, else start. Findings are errors when production, served this way, fails.
    #[arg(long, global = true, value_enum)]
    mode: Option<ModeArg>,
    /// The Node.js version production runs: `24`, `22.18`, `v24.22.3` (a partial version is the
    /// lowest release of its line). Default: the lowest version `engines.node` in package.json
    /// admits, else the `node` that runs the build (npm's `npm_node_execpath`, else `node` on
    /// PATH). Findings about TypeScript handlers and ES modules depend on it.
    #[arg(long, global = true, value_name = "VERSION", value_parser = next_graft::node::parse_flag)]
    node: Option<next_graft::versions::Version>,
}

#[derive(Subcommand)]
enum Command {
    /// Copy each handler's closure into the standalone tree, rewrite every config copy, patch
    /// version bugs, then verify (the default when no subcommand is given).
    Graft(GraftArgs),
    /// Analyze and verify the build; writes nothing. Exit 1 when production would not load a handler.
    Check,
    /// Show what was found: handlers, where production loads them from, their closures (-v lists files).
    Explain,
    /// Run the moved standalone server with probes around each handler and report what each did.
    Smoke {
        /// A route to request (repeatable); default: every page and route handler the build lists.
        #[arg(long = "route")]
        routes: Vec<String>,
        /// Requests per route.
        #[arg(long, default_value_t = 2)]
        requests: u32,
        /// Seconds to wait for the server to listen, and for each request.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Set the project up for the package manager in use: run next-graft after every build,
    /// add it to devDependencies, check next.config (docs/init.md).
    Init {
        /// Print the manager's install command for next-graft instead of running it.
        #[arg(long)]
        no_install: bool,
        /// Print a diff of every file init would change; write nothing, run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Add `output: 'standalone'` to next.config when it is missing.
        #[arg(long)]
        standalone: bool,
        /// Write a Dockerfile and .dockerignore for the package manager.
        #[arg(long)]
        docker: bool,
    },
    /// Normalize next.config so production loads the handlers (relative paths, file:// URLs,
    /// renamed/moved keys, the 15.0–15.1 preload workaround). Prints a diff; exit 1 when
    /// changes are proposed but not written.
    FixConfig {
        /// Write the changes (staged beside the file, then renamed over it).
        #[arg(long)]
        write: bool,
        /// The Next.js version to fix for (default: the installed `next` package).
        #[arg(long, value_name = "VERSION")]
        next_version: Option<String>,
        /// The config file (default: discovered in the project like Next does).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Standalone,
    Start,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn use_color(choice: ColorArg) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let g = &cli.global;
    let common = Common {
        project: g.project.clone(),
        dist_dir: g.dist_dir.clone(),
        format: match g.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        },
        color: use_color(g.color),
        quiet: g.quiet,
        verbose: g.verbose,
        mode: g.mode.map(|m| match m {
            ModeArg::Standalone => next_graft::layout::Deployment::Standalone,
            ModeArg::Start => next_graft::layout::Deployment::Start,
        }),
        node: g.node,
    };
    let top_graft = cli.graft.clone();
    let top_graft_given =
        !top_graft.handlers.is_empty() || top_graft.dry_run || top_graft.assets || top_graft.fsync;
    let command = cli.command.unwrap_or(Command::Graft(GraftArgs::default()));
    if top_graft_given && !matches!(command, Command::Graft(_)) {
        eprintln!(
            "next-graft: error: --handler, --dry-run, --assets and --fsync belong to `graft` (the default command)"
        );
        return ExitCode::from(2);
    }
    let result = match command {
        Command::Graft(args) => {
            let mut handlers = top_graft.handlers;
            handlers.extend(args.handlers);
            let options = commands::GraftOptions {
                handlers,
                dry_run: top_graft.dry_run || args.dry_run,
                assets: top_graft.assets || args.assets,
                fsync: top_graft.fsync || args.fsync,
            };
            commands::graft(&common, &options)
        }
        Command::Check => commands::check(&common),
        Command::FixConfig {
            write,
            next_version,
            file,
        } => commands::fix_config(
            &common,
            &commands::FixConfigOptions {
                write,
                next_version,
                file,
            },
        ),
        Command::Init {
            no_install,
            dry_run,
            standalone,
            docker,
        } => commands::init(
            &common,
            &commands::InitOptions {
                no_install,
                dry_run,
                standalone,
                docker,
                user_agent: std::env::var("npm_config_user_agent").ok(),
            },
        ),
        Command::Explain => commands::explain(&common),
        Command::Smoke {
            routes,
            requests,
            timeout,
        } => commands::smoke(
            &common,
            &next_graft::smoke::SmokeOptions {
                routes,
                mode: common.mode,
                requests,
                timeout: std::time::Duration::from_secs(timeout),
            },
        ),
    };
    eprint!("{}", next_graft::timing::report());
    match result {
        Ok(outcome) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(outcome.stdout.as_bytes());
            let _ = stdout.flush();
            ExitCode::from(outcome.exit_code as u8)
        }
        Err(err) => {
            eprintln!("next-graft: error: {err}");
            ExitCode::from(2)
        }
    }
}
