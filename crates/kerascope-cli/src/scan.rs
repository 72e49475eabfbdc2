//! Scanning many files: walking folders (the `ignore` crate: globs, ignore files, hidden
//! files, link loops), analysing the files found in parallel, each in isolation (see
//! [`kerascope::scan::analyse_one`]), and streaming results as they finish.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kerascope::Limits;
use kerascope::container::source::{Source, file_kind};
use kerascope::filter::FindingFilter;
use kerascope::scan::{Candidate, FileOptions, analyse_one, failed};
pub use kerascope::scan::{FileReport, FileResult, Outcome};
use serde_json::Value;

/// How to walk and analyse. The default walks everything, follows no link, one thread per
/// core.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    /// Skip files that `.gitignore` / `.ignore` files exclude (off by default: a registry
    /// scan should see everything).
    pub respect_ignore_files: bool,
    /// Skip hidden files and folders (off by default).
    pub skip_hidden: bool,
    /// Only files matching one of these globs (matched against the path below the root).
    pub globs: Vec<String>,
    /// Skip files matching these globs.
    pub excludes: Vec<String>,
    pub limits: Limits,
    /// An architecture for weights-only files (`--config`).
    pub config: Option<Value>,
    /// Give up on one file after this long (its result says so; the scan goes on).
    pub timeout_per_file: Option<Duration>,
    /// Also read tensor values (NaN, infinities, all-zero kernels): `check --deep`.
    pub deep: bool,
    /// Findings reported (`--select`, `--ignore`, `--baseline`).
    pub filter: Arc<FindingFilter>,
    /// The bytes read from standard input, analysed where the paths name `-`.
    pub stdin: Option<Source>,
    /// Also report what keeps this Keras from loading the file: `check --target`.
    pub compat_target: Option<kerascope::compat::Target>,
    /// Only this share of the files found (`--shard I/N`).
    pub shard: Option<Shard>,
}

/// One of `count` disjoint shares of a listing (`--shard I/N`, `index` from 0): a file
/// belongs to the share its path hashes to. The hash is FNV-1a of the path as scanned, the
/// same on every machine and run (Rust's own hasher is seeded at random), so that N jobs
/// given the same paths split the files between them, each exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not I/N (e.g. 0/4)"))?;
        let parse = |n: &str| {
            n.trim()
                .parse::<u64>()
                .map_err(|e| format!("{text:?} is not I/N: {e}"))
        };
        let (index, count) = (parse(index)?, parse(count)?);
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: I runs from 0 to N - 1 (N = {count})"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the file at `path` (as scanned) is in this share.
    pub fn keeps(&self, path: &str) -> bool {
        let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        hash % self.count == self.index
    }
}

impl ScanOptions {
    /// What each file's analysis needs of these options.
    pub(crate) fn file_options(&self) -> FileOptions {
        FileOptions {
            limits: self.limits,
            config: self.config.clone(),
            timeout_per_file: self.timeout_per_file,
            deep: self.deep,
            filter: self.filter.clone(),
            compat_target: self.compat_target,
        }
    }
}

/// Walks the paths given: files as they are, folders recursively. Entries that cannot be
/// walked (unreadable folders, symlink loops) become failed results.
fn discover(paths: &[PathBuf], options: &ScanOptions) -> (Vec<Candidate>, Vec<FileResult>) {
    let mut candidates = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        if let (Some(stdin), true) = (&options.stdin, root.as_os_str() == "-") {
            candidates.push(Candidate {
                path: root.clone(),
                named: true,
                source: Some(stdin.clone()),
            });
            continue;
        }
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                problems.push(failed(root, format!("cannot read: {e}")));
                continue;
            }
        };
        if !meta.is_dir() {
            candidates.push(Candidate {
                path: root.clone(),
                named: true,
                source: None,
            });
            continue;
        }
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for glob in &options.globs {
            if let Err(e) = overrides.add(glob) {
                problems.push(failed(root, format!("bad --glob {glob:?}: {e}")));
            }
        }
        for glob in &options.excludes {
            if let Err(e) = overrides.add(&format!("!{glob}")) {
                problems.push(failed(root, format!("bad --exclude {glob:?}: {e}")));
            }
        }
        let mut walker = ignore::WalkBuilder::new(root);
        walker
            .follow_links(options.follow_links)
            .hidden(options.skip_hidden)
            .git_ignore(options.respect_ignore_files)
            .git_global(options.respect_ignore_files)
            .git_exclude(options.respect_ignore_files)
            .ignore(options.respect_ignore_files)
            .parents(options.respect_ignore_files)
            .require_git(false)
            .sort_by_file_path(|a, b| a.cmp(b));
        if let Ok(overrides) = overrides.build() {
            walker.overrides(overrides);
        }
        for entry in walker.build() {
            match entry {
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else {
                        continue;
                    };
                    if kind.is_file() {
                        candidates.push(Candidate {
                            path: entry.into_path(),
                            named: false,
                            source: None,
                        });
                    } else if !kind.is_dir() && !kind.is_symlink() {
                        // FIFOs, sockets and devices are never opened: reading one can block
                        // forever (or never end).
                        problems.push(FileResult {
                            path: entry.into_path(),
                            outcome: Outcome::Skipped(format!(
                                "not a regular file ({})",
                                file_kind(&kind)
                            )),
                            elapsed: Duration::ZERO,
                            size: 0,
                            fetched: None,
                        });
                    }
                }
                Err(e) => {
                    let path = error_path(&e).unwrap_or_else(|| root.clone());
                    problems.push(failed(&path, format!("cannot walk: {}", error_text(&e))));
                }
            }
        }
    }
    (candidates, problems)
}

fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn error_text(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_text(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}", ancestor.display())
        }
        other => other.to_string(),
    }
}

/// Scans the paths, calling `on_result` for each file as soon as it is done (from worker
/// threads, in completion order), and returns every result in walk order.
pub fn scan(
    paths: &[PathBuf],
    options: &ScanOptions,
    on_discovered: impl FnOnce(usize),
    on_result: impl Fn(&FileResult) + Sync,
) -> Vec<FileResult> {
    let (mut candidates, mut problems) = discover(paths, options);
    if let Some(shard) = options.shard {
        candidates.retain(|c| shard.keeps(&c.path.to_string_lossy()));
        problems.retain(|p| shard.keeps(&p.path.to_string_lossy()));
    }
    on_discovered(candidates.len() + problems.len());
    for p in &problems {
        on_result(p);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build();
    // Each worker takes the next file from a shared counter: files are independent and
    // most take well under a millisecond, so splitting and stealing ranges of them (what a
    // parallel iterator does) costs more than it balances.
    let file_options = options.file_options();
    let next = AtomicUsize::new(0);
    let work = || -> Vec<(usize, FileResult)> {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(candidate) = candidates.get(index) else {
                return done;
            };
            let result = analyse_one(candidate, &file_options);
            on_result(&result);
            done.push((index, result));
        }
    };
    let mut numbered: Vec<(usize, FileResult)> = match pool {
        Ok(pool) => pool.broadcast(|_| work()).into_iter().flatten().collect(),
        Err(_) => work(),
    };
    numbered.sort_unstable_by_key(|(index, _)| *index);
    let mut results: Vec<FileResult> = numbered.into_iter().map(|(_, result)| result).collect();
    results.extend(problems);
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_a_listing_stably_and_completely() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let paths: Vec<String> = (0..1000).map(|i| format!("models/m{i}.keras")).collect();
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        let mut sizes = [0usize; 4];
        for path in &paths {
            let owners: Vec<usize> = (0..4).filter(|&i| shards[i].keeps(path)).collect();
            assert_eq!(owners.len(), 1, "{path} belongs to exactly one shard");
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|&n| (200..300).contains(&n)), "{sizes:?}");
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector): the split
        // is the same on every machine and in every release.
        assert!(
            Shard {
                index: 0xaf63dc4c8601ec8c % 7,
                count: 7
            }
            .keeps("a")
        );
    }
}
