//! One file of a scan: a cheap first look by its first bytes, then the analysis, in
//! isolation (a panic or an overrun in one file's analysis becomes that file's result), kept
//! as a small report. Walking folders and running files in parallel is the front end's.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::analysis::{Analysis, analyze_with_limits};
use crate::audit::Finding;
use crate::bind::{read_path_with_config, read_source_with_config};
use crate::container::sniff::{Container, sniff_source};
use crate::container::source::Source;
use crate::filter::FindingFilter;
use crate::format::Format;
use crate::limits::Limits;

/// How each file of a scan is analysed (the walk itself is the front end's).
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// The resource limits each file is read under.
    pub limits: Limits,
    /// An architecture for weights-only files (`--config`).
    pub config: Option<Value>,
    /// Give up on one file after this long (its result says so; the scan goes on).
    pub timeout_per_file: Option<Duration>,
    /// Also read tensor values (NaN, infinities, all-zero kernels): `check --deep`.
    pub deep: bool,
    /// Findings reported (`--select`, `--ignore`, `--baseline`).
    pub filter: Arc<FindingFilter>,
    /// Also report what keeps this Keras from loading the file: `check --target`.
    pub compat_target: Option<crate::compat::Target>,
}

/// What a scan keeps of an analysed file: enough to report it, so that memory stays flat
/// over thousands of files (the full [`Analysis`] is dropped as soon as it is made).
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The layout the file was read as.
    pub format: Format,
    /// The Keras version recorded in the file, if any.
    pub keras_version: Option<String>,
    /// Stored parameters (optimizer excluded); `None` when the shapes overflow.
    pub total_params: Option<u64>,
    /// The findings about the file that pass the scan's filter.
    pub findings: Vec<Finding>,
}

impl FileReport {
    /// What a scan keeps of an analysis (a front end that analyses by itself, as the
    /// browser's, reports through it too).
    pub fn of(analysis: &Analysis) -> FileReport {
        FileReport {
            format: analysis.file.format,
            keras_version: analysis.file.keras_version.clone(),
            // Weights in a form not read: the count is unknown, not 0.
            total_params: analysis
                .file
                .stored_params()
                .filter(|_| !analysis.file.weights_unread()),
            findings: analysis.findings.clone(),
        }
    }
}

/// What happened to one file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Read and checked.
    Analysed(Box<FileReport>),
    /// Could not be read (damaged, not Keras although named so, a limit hit, unreadable).
    Failed(String),
    /// Not a Keras file, found while walking a folder.
    Skipped(String),
    /// kerascope itself failed on this file (a bug, caught).
    Internal(String),
    /// Not done within `--timeout-per-file` (this long): abandoned, the scan went on.
    TimedOut(Duration),
}

impl Outcome {
    /// Why the file has no report: a read error, an internal error or a timeout.
    pub fn problem(&self) -> Option<String> {
        match self {
            Outcome::Failed(e) | Outcome::Internal(e) => Some(e.clone()),
            Outcome::TimedOut(after) => Some(format!(
                "timed out after {:.1} s (--timeout-per-file)",
                after.as_secs_f64()
            )),
            Outcome::Analysed(_) | Outcome::Skipped(_) => None,
        }
    }
}

/// One file's result.
#[derive(Debug)]
pub struct FileResult {
    /// The file, as found or named.
    pub path: PathBuf,
    /// What happened to it.
    pub outcome: Outcome,
    /// Wall-clock time spent on it.
    pub elapsed: Duration,
    /// Its size in bytes.
    pub size: u64,
    /// What reading a remote file cost (`None` for local files).
    pub fetched: Option<Fetched>,
}

/// The network cost of one remote file: bytes received and requests made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Bytes received.
    pub bytes: u64,
    /// Range requests made.
    pub requests: u64,
}

/// A file to analyse, and whether the user named it (named files are never skipped: a file
/// that is not Keras is an error then).
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The file (with `source`, the name its bytes are reported under).
    pub path: PathBuf,
    /// The user named it (rather than it being found in a folder).
    pub named: bool,
    /// Bytes already read (standard input), instead of the file at `path`.
    pub source: Option<Source>,
}

/// Extensions that say "Keras file": a file with one that is not Keras is reported, not
/// skipped.
const KERAS_EXTENSIONS: &[&str] = &["h5", "hdf5", "keras", "weights.json"];

fn has_keras_extension(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    KERAS_EXTENSIONS
        .iter()
        .any(|e| name.ends_with(&format!(".{e}")))
}

/// A file that could not even be looked at.
pub fn failed(path: &Path, message: String) -> FileResult {
    FileResult {
        path: path.to_path_buf(),
        outcome: Outcome::Failed(message),
        elapsed: Duration::ZERO,
        size: 0,
        fetched: None,
    }
}

/// The cheap first look: is this worth a full read?
fn looks_like_keras(path: &Path, given: Option<&Source>) -> Result<bool, String> {
    let unreadable = |e: std::io::Error| format!("cannot read: {e}");
    let source = match given {
        Some(source) => source.clone(),
        None => Source::open(path).map_err(unreadable)?,
    };
    Ok(match sniff_source(&source).map_err(unreadable)? {
        Container::Hdf5 { .. } | Container::Zip => true,
        // A JSON file is a Keras file only as a sharded-weights index.
        Container::Json => source
            .read_at(0, source.len().min(64 * 1024) as usize)
            .map_err(unreadable)?
            .windows(12)
            .any(|w| w == b"\"weight_map\""),
        Container::Pickle | Container::Unknown => false,
    })
}

/// Analyses one file, isolated: a panic becomes an internal error for this file only.
pub fn analyse_one(candidate: &Candidate, options: &FileOptions) -> FileResult {
    let started = Instant::now();
    let path = candidate.path.clone();
    let size = match &candidate.source {
        Some(source) => source.len(),
        None => std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
    };
    let done = |outcome| FileResult {
        path: candidate.path.clone(),
        outcome,
        elapsed: started.elapsed(),
        size,
        fetched: None,
    };
    if !candidate.named && !has_keras_extension(&path) {
        match looks_like_keras(&path, candidate.source.as_ref()) {
            Ok(true) => {}
            Ok(false) => return done(Outcome::Skipped("not a Keras file".into())),
            Err(e) => return done(Outcome::Failed(e)),
        }
    }
    let limits = options.limits;
    let config = options.config.clone();
    let deep = options.deep;
    let filter = options.filter.clone();
    let source = candidate.source.clone();
    let compat_target = options.compat_target;
    let work = move || -> Outcome {
        match catch_unwind(AssertUnwindSafe(|| match &source {
            Some(source) => read_source_with_config(source, None, &limits, config),
            None => read_path_with_config(&path, &limits, config),
        })) {
            Ok(Ok(file)) => {
                let analyse = || {
                    let mut analysis = analyze_with_limits(file, &limits);
                    if deep {
                        let data = crate::audit::deep::check(&path, &analysis.file);
                        analysis.findings.extend(data);
                    }
                    if let Some(target) = compat_target {
                        let blockers = crate::compat::findings(&analysis.file, &path, target);
                        analysis.findings.extend(blockers);
                    }
                    let mut report = FileReport::of(&analysis);
                    filter.apply(&path.display().to_string(), &mut report.findings);
                    report
                };
                match catch_unwind(AssertUnwindSafe(analyse)) {
                    Ok(report) => Outcome::Analysed(Box::new(report)),
                    Err(panic) => Outcome::Internal(format!(
                        "internal error while analysing: {}",
                        panic_text(&panic)
                    )),
                }
            }
            Ok(Err(crate::Error::NotKeras { reason })) if !has_keras_extension(&path) => {
                Outcome::Skipped(reason.to_string())
            }
            Ok(Err(e)) => Outcome::Failed(e.to_string()),
            Err(panic) => Outcome::Internal(format!(
                "internal error while reading: {}",
                panic_text(&panic)
            )),
        }
    };
    let outcome = match options.timeout_per_file {
        None => work(),
        Some(limit) => run_with_timeout(work, limit),
    };
    // A file the user named, or one with a Keras extension, is never quietly skipped.
    let outcome = match outcome {
        Outcome::Skipped(why) if candidate.named => {
            Outcome::Failed(format!("not a Keras file: {why}"))
        }
        other => other,
    };
    done(outcome)
}

/// Runs `work` on its own thread and stops waiting after `limit`. The thread is abandoned
/// (it ends with the process); bounded memory limits keep what it can still do small.
fn run_with_timeout(work: impl FnOnce() -> Outcome + Send + 'static, limit: Duration) -> Outcome {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kerascope-file".into())
        .spawn(move || {
            let _ = sender.send(work());
        });
    if let Err(e) = spawned {
        return Outcome::Internal(format!("cannot start a worker thread: {e}"));
    }
    match receiver.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Outcome::TimedOut(limit),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Outcome::Internal("the worker thread ended without a result".into())
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}
