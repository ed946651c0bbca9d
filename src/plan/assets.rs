//! `--assets`: what every hand-written postbuild script copies next to the standalone server,
//! planned like the handler closures (missing or different files only, so a second run plans
//! nothing): `public/` → `<server dir>/public`, `<distDir>/static` → `<server dir>/<distDir>/static`
//! (served as `/_next/static/…`), and `<distDir>/cache/fetch-cache` → the same place in the tree
//! (handler libraries read it for a warm start).
//!
//! Symlinks inside these folders are not followed: a link could point anywhere on the build
//! machine, and an image must not depend on it. They are reported instead.

use super::{compare, Action, Compare, Plan};
use crate::findings::{Finding, Location, Slug};
use crate::layout::Layout;
use std::path::PathBuf;

/// The asset folders: (source, destination) pairs that exist in this build.
pub fn asset_dirs(layout: &Layout) -> Vec<(PathBuf, PathBuf)> {
    let Some(standalone) = &layout.standalone else {
        return Vec::new();
    };
    let server_dist = standalone.server_dir.join(&layout.dist_dir_name);
    [
        (
            layout.project_dir.join("public"),
            standalone.server_dir.join("public"),
        ),
        (layout.dist_dir.join("static"), server_dist.join("static")),
        (
            layout.dist_dir.join("cache").join("fetch-cache"),
            server_dist.join("cache").join("fetch-cache"),
        ),
    ]
    .into_iter()
    .filter(|(from, _)| from.is_dir())
    .collect()
}

/// Adds the copies of every asset file that is missing or different in the tree.
pub fn plan_assets(layout: &Layout, plan: &mut Plan) {
    for (from_dir, to_dir) in asset_dirs(layout) {
        let walker = walkdir::WalkDir::new(&from_dir)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walker {
            let Ok(entry) = entry else { continue };
            let kind = entry.file_type();
            if kind.is_dir() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&from_dir) else {
                continue;
            };
            let to = to_dir.join(rel);
            if kind.is_symlink() {
                plan.findings.push(
                    Finding::warning(
                        Slug::AssetSkipped,
                        format!(
                            "{} is a symlink; assets are copied as files only, so it was left out",
                            entry.path().display()
                        ),
                    )
                    .at(Location::file(entry.path()))
                    .with_help("replace the link by the file, or copy it in your image build"),
                );
                continue;
            }
            match compare(entry.path(), &to) {
                Compare::Same => {}
                Compare::NotAFile => plan.findings.push(
                    Finding::warning(
                        Slug::AssetSkipped,
                        format!(
                            "{} exists in the tree but is not a regular file; not replaced",
                            to.display()
                        ),
                    )
                    .at(Location::file(&to)),
                ),
                state => plan.actions.push(Action::CopyFile {
                    from: entry.path().to_path_buf(),
                    to,
                    handlers: Vec::new(),
                    replaces: state == Compare::Different,
                }),
            }
        }
    }
}
