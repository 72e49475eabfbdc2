//! Remote inputs: `s3://`, `gs://`, `az://` and `http(s)://` locations beside local paths.
//! A prefix is listed and scanned like a folder; each object is read by ranges
//! ([`kerascope_remote`]) and analysed like a local file, many at once since each waits on
//! round trips, not on the CPU.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use kerascope::Source;
use kerascope::scan::{Candidate, Fetched, FileResult, Outcome, analyse_one};
pub use kerascope_remote::Settings;
use kerascope_remote::{Client, Counters, Location, is_remote};

use crate::scan::ScanOptions;

static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();

/// The process's one client (its runtime must outlive every object read through it). The
/// settings of the first call stay.
fn client(settings: Settings) -> Result<&'static Client, String> {
    CLIENT
        .get_or_init(|| Client::new(settings).map_err(|e| format!("cannot start: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether a command-line path names a remote location.
pub fn is_remote_path(path: &Path) -> bool {
    path.to_str().is_some_and(is_remote)
}

/// Whether a command-line path names a remote prefix (scanned like a folder).
pub fn is_remote_prefix(path: &Path) -> bool {
    path.to_str()
        .filter(|p| is_remote(p))
        .and_then(|p| Location::parse(p).ok())
        .is_some_and(|l| l.is_prefix())
}

/// Bytes received and requests made so far, over every remote object.
pub fn fetched_total() -> Fetched {
    match CLIENT.get() {
        Some(Ok(client)) => Fetched {
            bytes: client.total.bytes(),
            requests: client.total.requests(),
        },
        _ => Fetched::default(),
    }
}

/// Opens one remote object for a single-file command (`summary`, `inspect`, `diff`).
pub fn open(url: &str, settings: Settings) -> Result<Source, String> {
    let location = Location::parse(url)?;
    if location.is_prefix() {
        return Err("a prefix, not an object (check scans prefixes)".into());
    }
    let object = client(settings)?
        .open(&location, None, Arc::default())
        .map_err(|e| e.to_string())?;
    Ok(Source::from_reader(object))
}

/// `--glob` and `--exclude` for a listing, as for a folder walk.
fn listing_globs(options: &ScanOptions) -> Result<ignore::overrides::Override, String> {
    let mut globs = ignore::overrides::OverrideBuilder::new("");
    for glob in &options.globs {
        globs
            .add(glob)
            .map_err(|e| format!("bad --glob {glob:?}: {e}"))?;
    }
    for glob in &options.excludes {
        globs
            .add(&format!("!{glob}"))
            .map_err(|e| format!("bad --exclude {glob:?}: {e}"))?;
    }
    globs.build().map_err(|e| e.to_string())
}

/// One object to analyse.
struct Remote {
    location: Location,
    size: Option<u64>,
    named: bool,
}

/// Scans remote locations: `concurrency` objects in flight, each analysed in isolation like
/// a local file (`options`' limits, filter, timeout and shard apply). Results come in
/// listing order; `on_result` sees each as soon as it is done.
pub fn scan(
    urls: &[PathBuf],
    options: &ScanOptions,
    settings: Settings,
    concurrency: usize,
    on_discovered: impl FnOnce(usize),
    on_result: impl Fn(&FileResult) + Sync,
) -> Vec<FileResult> {
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    let failed = |label: &str, message: String| FileResult {
        path: PathBuf::from(label),
        outcome: Outcome::Failed(message),
        elapsed: Duration::ZERO,
        size: 0,
        fetched: None,
    };
    let client = client(settings);
    for url in urls {
        let text = url.to_string_lossy();
        let location = match Location::parse(&text) {
            Ok(location) => location,
            Err(e) => {
                problems.push(failed(&text, e));
                continue;
            }
        };
        let client = match &client {
            Ok(client) => client,
            Err(e) => {
                problems.push(failed(&text, e.clone()));
                continue;
            }
        };
        if !location.is_prefix() {
            objects.push(Remote {
                location,
                size: None,
                named: true,
            });
            continue;
        }
        let globs = match listing_globs(options) {
            Ok(globs) => globs,
            Err(e) => {
                problems.push(failed(&text, e));
                continue;
            }
        };
        let prefix = location.key();
        match client.list(&location) {
            Ok(listed) => objects.extend(
                listed
                    .into_iter()
                    .filter(|object| {
                        // Globs match the key below the prefix, as they match the path
                        // below a folder.
                        let key = object.location.key();
                        let below = key
                            .prefix_match(&prefix)
                            .map(|parts| parts.map(|p| p.as_ref().to_string()))
                            .map(|parts| parts.collect::<Vec<_>>().join("/"))
                            .unwrap_or_else(|| key.to_string());
                        !globs.matched(Path::new(&below), false).is_ignore()
                    })
                    .map(|object| Remote {
                        location: object.location,
                        size: Some(object.size),
                        named: false,
                    }),
            ),
            Err(e) => problems.push(failed(&text, format!("cannot list: {e}"))),
        }
    }
    if let Some(shard) = options.shard {
        objects.retain(|o| shard.keeps(&o.location.to_string()));
        problems.retain(|p| shard.keeps(&p.path.to_string_lossy()));
    }
    on_discovered(objects.len() + problems.len());
    for problem in &problems {
        on_result(problem);
    }
    let Ok(client) = client else {
        return problems;
    };
    let file_options = options.file_options();
    let next = AtomicUsize::new(0);
    let work = || -> Vec<(usize, FileResult)> {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(object) = objects.get(index) else {
                return done;
            };
            let started = Instant::now();
            let label = object.location.to_string();
            let counters = Arc::new(Counters::default());
            let fetched = || Fetched {
                bytes: counters.bytes(),
                requests: counters.requests(),
            };
            let result = match client.open(&object.location, object.size, counters.clone()) {
                Ok(opened) => {
                    let candidate = Candidate {
                        path: PathBuf::from(&label),
                        named: object.named,
                        source: Some(Source::from_reader(opened)),
                    };
                    let mut result = analyse_one(&candidate, &file_options);
                    result.fetched = Some(fetched());
                    result
                }
                Err(e) => FileResult {
                    elapsed: started.elapsed(),
                    size: object.size.unwrap_or(0),
                    fetched: Some(fetched()),
                    ..failed(&label, format!("cannot read: {e}"))
                },
            };
            on_result(&result);
            done.push((index, result));
        }
    };
    let threads = concurrency.clamp(1, objects.len().max(1));
    let mut numbered: Vec<(usize, FileResult)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .name("kerascope-fetch".into())
                    .spawn_scoped(scope, work)
            })
            .collect();
        let spawned: Vec<_> = handles.into_iter().filter_map(Result::ok).collect();
        if spawned.is_empty() {
            return work(); // no thread could be started: this one does it all
        }
        spawned
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    });
    numbered.sort_unstable_by_key(|(index, _)| *index);
    let mut results: Vec<FileResult> = numbered.into_iter().map(|(_, result)| result).collect();
    results.extend(problems);
    results
}
