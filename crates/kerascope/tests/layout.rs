//! The repository root holds only the project's layout: a stray file committed there (an
//! editor buffer, a shell mishap whose name is a code fragment) breaks checkouts on Windows
//! when its name has `|`, `"` or `\`, and is never meant to ship.

use std::path::Path;
use std::process::Command;

/// Every entry the root may hold, present or planned.
const ALLOWED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "CHANGELOG.md",
    "pyproject.toml",
    "rust-toolchain.toml",
    ".gitignore",
    ".gitattributes",
    ".ci",
    ".cargo",
    "crates",
    "src",
    "fixtures",
    "tests",
    "scripts",
    "fuzz",
    "benches",
    "python",
    "web",
    "docs",
    "examples",
    "deny.toml",
    "clippy.toml",
    "rustfmt.toml",
];

/// Build and tool output that a working copy holds but git does not track.
const UNTRACKED_OUTPUT: &[&str] = &[".git", "target"];

/// Root entries as git tracks them, or `None` when there is no git or no repository (a
/// source tarball, a clone without `.git`).
fn tracked_root_entries(root: &Path) -> Option<Vec<String>> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let mut entries: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| {
            let name = String::from_utf8_lossy(name);
            name.split('/').next().unwrap_or_default().to_string()
        })
        .collect();
    entries.dedup();
    Some(entries)
}

/// Every tracked path, or `None` without git.
fn tracked_paths(root: &Path) -> Option<Vec<String>> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(
        output
            .stdout
            .split(|b| *b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect(),
    )
}

fn directory_entries(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !UNTRACKED_OUTPUT.contains(&name.as_str()))
        .collect()
}

#[test]
fn the_root_holds_only_the_project_layout() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let (entries, source) = match tracked_root_entries(root) {
        Some(entries) => (entries, "git ls-files"),
        None => (directory_entries(root), "the directory"),
    };
    let strays: Vec<&String> = entries
        .iter()
        .filter(|name| !ALLOWED.contains(&name.as_str()))
        .collect();
    assert!(
        strays.is_empty(),
        "entries in the repository root ({source}) outside the project layout: {strays:?}"
    );
}

/// What a merge, a patch or an editor leaves behind (`x.rs.orig`, `x.rs.rej`, `x.rs~`) is
/// never part of the project, wherever it lands.
#[test]
fn no_merge_or_editor_leftovers_are_tracked() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let Some(paths) = tracked_paths(root) else {
        return;
    };
    let leftovers: Vec<&String> = paths
        .iter()
        .filter(|path| path.ends_with(".orig") || path.ends_with(".rej") || path.ends_with('~'))
        .collect();
    assert!(leftovers.is_empty(), "tracked leftovers: {leftovers:?}");
}
