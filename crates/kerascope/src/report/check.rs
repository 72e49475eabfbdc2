//! `kerascope check`: findings per file, for people (text and a closing table) and for
//! machines (JSON, NDJSON streamed per file, SARIF).

use std::borrow::Cow;
use std::fmt::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use crate::audit::Severity;
use crate::scan::{FileReport, FileResult, Outcome};

/// Version of the `check --format json` document (and of each NDJSON line's object).
pub const SCHEMA: &str = "kerascope.check/1";

/// What happened to one file, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Read; no finding of severity warning or above.
    Clean,
    /// Read; at least one warning or error.
    Findings,
    /// Could not be read, or kerascope failed on it.
    Error,
    /// Not a Keras file (found while walking a folder).
    Skipped,
    /// Not done within `--timeout-per-file`.
    Timeout,
}

impl Status {
    /// The status of one scanned file (findings count from severity warning up).
    pub fn of(result: &FileResult) -> Status {
        match &result.outcome {
            Outcome::Analysed(a) if a.findings.iter().any(|f| f.severity >= Severity::Warning) => {
                Status::Findings
            }
            Outcome::Analysed(_) => Status::Clean,
            Outcome::Failed(_) | Outcome::Internal(_) => Status::Error,
            Outcome::TimedOut(_) => Status::Timeout,
            Outcome::Skipped(_) => Status::Skipped,
        }
    }

    /// The `status` text of the JSON entry (`clean`, `findings`, `error`, `skipped`, `timeout`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Clean => "clean",
            Status::Findings => "findings",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Timeout => "timeout",
        }
    }
}

/// The JSON object of one file: an entry of `files`, and one NDJSON line (which also
/// carries the `schema`). Serialized straight from the results, without a `Value` tree.
#[derive(Debug, serde::Serialize)]
pub struct FileEntry<'a> {
    file: String,
    format: Option<crate::format::Format>,
    keras_version: Option<&'a str>,
    status: &'static str,
    internal_error: bool,
    error: Option<Cow<'a, str>>,
    findings: &'a [crate::audit::Finding],
    total_params: Option<u64>,
    bytes: u64,
    seconds: f64,
    /// Remote files only: bytes received and requests made to read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_fetched: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'static str>,
}

impl<'a> FileEntry<'a> {
    /// The entry of one scanned file (without the `schema`, which only NDJSON lines carry).
    pub fn of(result: &'a FileResult) -> FileEntry<'a> {
        let (format, keras_version, findings, total_params, error) = match &result.outcome {
            Outcome::Analysed(a) => (
                Some(a.format),
                a.keras_version.as_deref(),
                a.findings.as_slice(),
                a.total_params,
                None,
            ),
            Outcome::Failed(e) | Outcome::Internal(e) | Outcome::Skipped(e) => {
                (None, None, &[][..], None, Some(Cow::Borrowed(e.as_str())))
            }
            Outcome::TimedOut(_) => (
                None,
                None,
                &[][..],
                None,
                result.outcome.problem().map(Cow::Owned),
            ),
        };
        FileEntry {
            schema: None,
            file: result.path.display().to_string(),
            format,
            keras_version,
            status: Status::of(result).as_str(),
            internal_error: matches!(result.outcome, Outcome::Internal(_)),
            error,
            findings,
            total_params,
            bytes: result.size,
            seconds: result.elapsed.as_secs_f64(),
            bytes_fetched: result.fetched.map(|f| f.bytes),
            requests: result.fetched.map(|f| f.requests),
        }
    }

    /// The NDJSON line of a file: its entry with the schema version.
    pub fn line(result: &'a FileResult) -> String {
        let entry = FileEntry {
            schema: Some(SCHEMA),
            ..FileEntry::of(result)
        };
        serde_json::to_string(&entry).unwrap_or_default()
    }
}

/// Totals over a scan.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Files looked at, skipped ones included.
    pub files: usize,
    /// Files read with no finding of severity warning or above.
    pub clean: usize,
    /// Files read with at least one warning or error.
    pub with_findings: usize,
    /// Files that could not be read, or on which kerascope failed.
    pub errors: usize,
    /// Of [`Totals::errors`], the files on which kerascope itself failed (a contained panic, a
    /// worker that died).
    pub internal_errors: usize,
    /// Files that are not Keras files (found while walking a folder).
    pub skipped: usize,
    /// Files not done within the time limit per file.
    pub timeouts: usize,
    /// Findings of severity error, over every file.
    pub findings_error: usize,
    /// Findings of severity warning, over every file.
    pub findings_warning: usize,
    /// Findings of severity info, over every file.
    pub findings_info: usize,
    /// The parameters of every analysed file, summed (saturating).
    pub total_params: u64,
}

impl Totals {
    /// Counts the results of a scan.
    pub fn of(results: &[FileResult]) -> Totals {
        let mut t = Totals {
            files: results.len(),
            ..Totals::default()
        };
        for r in results {
            match Status::of(r) {
                Status::Clean => t.clean += 1,
                Status::Findings => t.with_findings += 1,
                Status::Error => t.errors += 1,
                Status::Skipped => t.skipped += 1,
                Status::Timeout => t.timeouts += 1,
            }
            if matches!(r.outcome, Outcome::Internal(_)) {
                t.internal_errors += 1;
            }
            if let Outcome::Analysed(a) = &r.outcome {
                t.total_params = t.total_params.saturating_add(a.total_params.unwrap_or(0));
                for f in &a.findings {
                    match f.severity {
                        Severity::Error => t.findings_error += 1,
                        Severity::Warning => t.findings_warning += 1,
                        Severity::Info => t.findings_info += 1,
                    }
                }
            }
        }
        t
    }

    /// Files actually analysed (read as Keras).
    pub fn analysed(&self) -> usize {
        self.clean + self.with_findings
    }

    /// The `totals` object of the document as a JSON value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.entry()).unwrap_or_default()
    }

    /// The `totals` object of the document.
    pub fn entry(&self) -> TotalsEntry {
        TotalsEntry {
            files: self.files,
            clean: self.clean,
            findings: self.with_findings,
            errors: self.errors,
            internal_errors: self.internal_errors,
            skipped: self.skipped,
            timeouts: self.timeouts,
            findings_by_severity: BySeverity {
                error: self.findings_error,
                warning: self.findings_warning,
                info: self.findings_info,
            },
            total_params: self.total_params,
        }
    }
}

/// The `totals` of a `kerascope.check/1` document.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct TotalsEntry {
    /// Files looked at, skipped ones included.
    pub files: usize,
    /// Files read with no finding of severity warning or above.
    pub clean: usize,
    /// Files with findings.
    pub findings: usize,
    /// Files that could not be read, or on which kerascope failed.
    pub errors: usize,
    /// Of `errors`, the files on which kerascope itself failed.
    pub internal_errors: usize,
    /// Files that are not Keras files.
    pub skipped: usize,
    /// Files not done within the time limit per file.
    pub timeouts: usize,
    /// Findings over every file, by severity.
    pub findings_by_severity: BySeverity,
    /// The parameters of every analysed file, summed.
    pub total_params: u64,
}

/// Findings counted by severity.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct BySeverity {
    /// Findings of severity error.
    pub error: usize,
    /// Findings of severity warning.
    pub warning: usize,
    /// Findings of severity info.
    pub info: usize,
}

/// The `check --format json` document (`kerascope.check/1`).
#[derive(Debug, serde::Serialize)]
#[non_exhaustive]
pub struct CheckDocument<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// One entry per file, in the order of the results.
    pub files: Vec<FileEntry<'a>>,
    /// The counts over every file.
    pub totals: TotalsEntry,
}

impl<'a> CheckDocument<'a> {
    /// The document of a scan's results.
    pub fn of(results: &'a [FileResult]) -> CheckDocument<'a> {
        CheckDocument {
            schema: SCHEMA,
            files: results.iter().map(FileEntry::of).collect(),
            totals: Totals::of(results).entry(),
        }
    }
}

/// The whole `check --format json` document, pretty-printed.
pub fn document(results: &[FileResult]) -> String {
    serde_json::to_string_pretty(&CheckDocument::of(results)).unwrap_or_default()
}

/// Human-readable findings of one file (nothing for skipped files).
pub fn file_text(result: &FileResult, min: Severity, color: bool) -> String {
    let label = result.path.display();
    let mut out = String::new();
    match &result.outcome {
        Outcome::Analysed(analysis) => {
            out.push_str(&analysis_text(&label.to_string(), analysis, min, color))
        }
        Outcome::Failed(e) => {
            let _ = writeln!(out, "{label}: error: {e}");
        }
        Outcome::Internal(e) => {
            let _ = writeln!(out, "{label}: internal error: {e}");
        }
        Outcome::TimedOut(_) => {
            let problem = result.outcome.problem().unwrap_or_default();
            let _ = writeln!(out, "{label}: {problem}");
        }
        Outcome::Skipped(_) => {}
    }
    out
}

/// A severity word padded to the column, coloured on request (ANSI: red, yellow, cyan).
fn severity_cell(severity: Severity, color: bool) -> String {
    let word = format!("{:7}", severity.as_str());
    if !color {
        return word;
    }
    let code = match severity {
        Severity::Error => "31",
        Severity::Warning => "33",
        Severity::Info => "36",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

fn analysis_text(path: &str, analysis: &FileReport, min: Severity, color: bool) -> String {
    let mut out = String::new();
    let shown: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= min)
        .collect();
    let params = analysis
        .total_params
        .map(super::thousands)
        .unwrap_or_else(|| "?".into());
    let version = analysis
        .keras_version
        .as_deref()
        .map(|v| format!("Keras {v} · "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{path}: {} · {version}{params} parameters · {}",
        analysis.format.describe(),
        match shown.len() {
            0 => "no findings".to_string(),
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        }
    );
    for f in shown {
        let layer = f
            .layer
            .as_deref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let cve = if f.cve.is_empty() {
            String::new()
        } else {
            format!(" [{}]", f.cve.join(", "))
        };
        let _ = writeln!(
            out,
            "  {} {} {layer}{}{cve}",
            f.code,
            severity_cell(f.severity, color),
            f.message
        );
    }
    out
}

/// The closing table of a scan: counts, then the slowest and the largest files.
pub fn summary_table(results: &[FileResult]) -> String {
    let t = Totals::of(results);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(vec!["scan", "files"]);
    let rows: Vec<(&str, String)> = vec![
        ("looked at", t.files.to_string()),
        ("clean", t.clean.to_string()),
        (
            "with findings",
            format!(
                "{} ({} error, {} warning, {} info findings)",
                t.with_findings, t.findings_error, t.findings_warning, t.findings_info
            ),
        ),
        (
            "unreadable",
            if t.internal_errors > 0 {
                format!("{} ({} internal errors)", t.errors, t.internal_errors)
            } else {
                t.errors.to_string()
            },
        ),
        ("timed out", t.timeouts.to_string()),
        ("skipped (not Keras)", t.skipped.to_string()),
        ("total parameters", super::thousands(t.total_params)),
    ];
    for (label, value) in rows {
        table.add_row(vec![
            Cell::new(label),
            Cell::new(value).set_alignment(CellAlignment::Right),
        ]);
    }
    let mut out = table.to_string();
    out.push('\n');
    let analysed: Vec<&FileResult> = results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Skipped(_)))
        .collect();
    if analysed.len() > 1 {
        let mut slowest = analysed.clone();
        slowest.sort_by_key(|r| std::cmp::Reverse(r.elapsed));
        let mut largest = analysed;
        largest.sort_by_key(|r| std::cmp::Reverse(r.size));
        let _ = writeln!(out, "slowest:");
        for r in slowest.iter().take(3) {
            let _ = writeln!(
                out,
                "  {:8.2} ms  {}",
                r.elapsed.as_secs_f64() * 1000.0,
                r.path.display()
            );
        }
        let _ = writeln!(out, "largest:");
        for r in largest.iter().take(3) {
            let _ = writeln!(
                out,
                "  {:>10}  {}",
                crate::text::keras_bytes(r.size),
                r.path.display()
            );
        }
    }
    out
}

/// How a scan ends: its exit status and why, from the same counts as the closing table (so
/// that the two never disagree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The process exit status: one of [`EXIT_CLEAN`], [`EXIT_FINDINGS`], [`EXIT_ERROR`],
    /// [`EXIT_NOTHING`].
    pub exit: u8,
    /// Why, in one line (`2 findings at or above error (--fail-on error)`).
    pub reason: String,
}

/// Exit statuses of `check`.
pub const EXIT_CLEAN: u8 = 0;
/// Findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// A file could not be read, or timed out.
pub const EXIT_ERROR: u8 = 2;
/// No Keras file was analysed.
pub const EXIT_NOTHING: u8 = 3;

impl Verdict {
    /// 2 when a file could not be read (or timed out), else 1 on findings at or above
    /// `fail_on` (`None`: never; `exit_zero` turns it into 0), else 3 when no Keras file was
    /// analysed, else 0.
    pub fn of(results: &[FileResult], fail_on: Option<Severity>, exit_zero: bool) -> Verdict {
        let t = Totals::of(results);
        let failing = fail_on.map_or(0, |min| {
            results
                .iter()
                .map(|r| match &r.outcome {
                    Outcome::Analysed(a) => a.findings.iter().filter(|f| f.severity >= min).count(),
                    _ => 0,
                })
                .sum()
        });
        let verdict = |exit, reason: String| Verdict { exit, reason };
        let unreadable = t.errors + t.timeouts;
        if unreadable > 0 {
            return verdict(
                EXIT_ERROR,
                format!("{} could not be read", plural(unreadable, "file")),
            );
        }
        if failing > 0 {
            let min = fail_on.map_or("", |s| s.as_str());
            let what = format!(
                "{} at or above {min} (--fail-on {min})",
                plural(failing, "finding")
            );
            return if exit_zero {
                verdict(EXIT_CLEAN, format!("{what}, --exit-zero"))
            } else {
                verdict(EXIT_FINDINGS, what)
            };
        }
        if t.analysed() == 0 {
            return verdict(
                EXIT_NOTHING,
                format!(
                    "no Keras files found: {} looked at, {} skipped",
                    plural(t.files, "file"),
                    t.skipped
                ),
            );
        }
        let reason = match fail_on {
            Some(min) => format!("no finding at or above {}", min.as_str()),
            None => "findings never fail (--fail-on never)".to_string(),
        };
        verdict(EXIT_CLEAN, reason)
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A Markdown report, for issues and pull requests: one table of findings.
pub fn markdown(results: &[FileResult], min: Severity) -> String {
    let mut out =
        String::from("| File | Code | Severity | Layer | Finding |\n|---|---|---|---|---|\n");
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for r in results {
        let file = escape(&r.path.display().to_string());
        match &r.outcome {
            Outcome::Analysed(a) => {
                for f in a.findings.iter().filter(|f| f.severity >= min) {
                    let _ = writeln!(
                        out,
                        "| {file} | {} | {} | {} | {} |",
                        f.code,
                        f.severity.as_str(),
                        escape(f.layer.as_deref().unwrap_or("")),
                        escape(&f.message)
                    );
                }
            }
            Outcome::Failed(_) | Outcome::Internal(_) | Outcome::TimedOut(_) => {
                let problem = r.outcome.problem().unwrap_or_default();
                let _ = writeln!(out, "| {file} | | error | | {} |", escape(&problem));
            }
            Outcome::Skipped(_) => {}
        }
    }
    let t = Totals::of(results);
    let _ = writeln!(
        out,
        "\n{} files: {} clean, {} with findings, {} unreadable, {} skipped.",
        t.files, t.clean, t.with_findings, t.errors, t.skipped
    );
    out
}
