//! `kerascope verify` output: the differences (with their row, line and explanation) as text,
//! or the `kerascope.verify/1` JSON document.

use serde::Serialize;
use serde_json::Value;

use super::thousands;
use crate::analysis::Analysis;
use crate::format::Format;
use crate::verify::{Difference, Note, RowOutcome, RowStatus, SCHEMA, Style, Verification};

/// The model file a summary was compared with.
pub struct FileLabel<'a> {
    /// The model file's path, as the caller names it.
    pub path: &'a str,
    /// The analysis of the model file.
    pub analysis: &'a Analysis,
}

fn mark(status: RowStatus) -> &'static str {
    match status {
        RowStatus::Matches | RowStatus::Recomputed => "✓",
        RowStatus::CannotRecompute => "?",
        RowStatus::Differs
        | RowStatus::MissingFromSummary
        | RowStatus::NotInFile
        | RowStatus::Impossible => "✗",
    }
}

fn count(n: Option<u64>) -> String {
    n.map(thousands).unwrap_or_else(|| "-".into())
}

/// The report for people.
pub fn to_text(summary_path: &str, file: Option<&FileLabel>, v: &Verification) -> String {
    let mut out = String::new();
    let model = v
        .summary_model
        .as_ref()
        .map(|m| format!(", model \"{m}\""))
        .unwrap_or_default();
    let printed_rows = v.rows.iter().filter(|r| r.line.is_some()).count();
    out.push_str(&format!(
        "summary: {summary_path} ({} table{model}, {printed_rows} rows)\n",
        v.style.describe()
    ));
    match file {
        Some(f) => {
            let version = f
                .analysis
                .file
                .keras_version
                .as_deref()
                .map(|k| format!(", Keras {k}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "file:    {} ({}{version})\n\n",
                f.path,
                f.analysis.file.format.describe()
            ));
        }
        None => {
            out.push_str("file:    none — each row's count re-derived from its type and shapes\n\n")
        }
    }
    let shown: Vec<_> = v
        .rows
        .iter()
        .filter(|r| file.is_none() || r.status != RowStatus::Matches)
        .collect();
    for r in &shown {
        let line = r
            .line
            .map(|l| format!("line {l:<4}"))
            .unwrap_or_else(|| "(no row) ".into());
        let class = r
            .class_name
            .as_ref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let numbers = if file.is_some() {
            format!(
                "summary {} / file {}",
                count(r.summary_params),
                count(r.file_params)
            )
        } else {
            count(r.summary_params)
        };
        out.push_str(&format!(
            "{} {line} {}{}{class}  {numbers}\n",
            mark(r.status),
            "  ".repeat(r.depth),
            r.name
        ));
        if file.is_none()
            && let Some(detail) = &r.detail
        {
            out.push_str(&format!("      {detail}\n"));
        }
    }
    if file.is_some() {
        let matching = v
            .rows
            .iter()
            .filter(|r| r.status == RowStatus::Matches)
            .count();
        out.push_str(&format!(
            "{} rows match: name, type, output shape, parameters{}\n",
            matching,
            if shown.is_empty() {
                ""
            } else {
                " (the others above)"
            }
        ));
    }
    if !v.differences.is_empty() {
        out.push('\n');
    }
    for d in &v.differences {
        let place = match (&d.row, d.line) {
            (Some(row), Some(line)) => format!("`{row}` (line {line})"),
            (Some(row), None) => format!("`{row}`"),
            (None, Some(line)) => format!("line {line}"),
            (None, None) => "totals".into(),
        };
        let values = match (&d.summary, &d.file) {
            (Some(s), Some(f)) => format!(": {s} in the summary, {f} in the file"),
            (Some(s), None) => format!(": {s}"),
            (None, Some(f)) => format!(": {f} in the file"),
            (None, None) => String::new(),
        };
        out.push_str(&format!("✗ {} {place}{values}\n", d.kind.as_str()));
        if let Some(e) = &d.explanation {
            out.push_str(&format!("    {e}\n"));
        }
    }
    if !v.notes.is_empty() {
        out.push('\n');
    }
    for n in &v.notes {
        let place = n
            .row
            .as_ref()
            .map(|r| format!("`{r}`: "))
            .unwrap_or_default();
        out.push_str(&format!("note: {place}{}\n", n.message));
    }
    out.push('\n');
    out.push_str(&match (v.differences.len(), file.is_some()) {
        (0, true) => "OK: the summary matches the file.\n".to_string(),
        (0, false) => {
            "OK: every count that can be re-derived fits, and the totals add up.\n".to_string()
        }
        (n, true) => format!("DIFFERENT: {n} difference(s) between the summary and the file.\n"),
        (n, false) => format!("WRONG: {n} number(s) in the summary cannot be right.\n"),
    });
    out
}

/// The `verify --format json` document (`kerascope.verify/1`).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct VerifyDocument<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The pasted summary: its path, style and model name.
    pub summary: SummaryLabel<'a>,
    /// The model file compared with, if any.
    pub file: Option<FileEntry<'a>>,
    /// True when there is no difference at all.
    pub matches: bool,
    /// Every row and how it fared, in summary order.
    pub rows: &'a [RowOutcome],
    /// Every difference; empty when `matches`.
    pub differences: &'a [Difference],
    /// What is worth saying without being a difference.
    pub notes: &'a [Note],
}

/// The pasted summary.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SummaryLabel<'a> {
    /// The summary's path, as the caller names it.
    pub path: &'a str,
    /// Which Keras printed it.
    pub style: Style,
    /// The name on its `Model:` line, if any.
    pub model: Option<&'a str>,
}

/// The model file.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileEntry<'a> {
    /// The model file's path, as the caller names it.
    pub path: &'a str,
    /// The layout the file was read as.
    pub format: Format,
    /// The Keras version recorded in the file, if any.
    pub keras_version: Option<&'a str>,
    /// The model name in the file's config, if any.
    pub model: Option<&'a str>,
}

/// The typed document of a verification.
pub fn document<'a>(
    summary_path: &'a str,
    file: Option<&FileLabel<'a>>,
    v: &'a Verification,
) -> VerifyDocument<'a> {
    VerifyDocument {
        schema: SCHEMA,
        summary: SummaryLabel {
            path: summary_path,
            style: v.style,
            model: v.summary_model.as_deref(),
        },
        file: file.map(|f| FileEntry {
            path: f.path,
            format: f.analysis.file.format,
            keras_version: f.analysis.file.keras_version.as_deref(),
            model: v.file_model.as_deref(),
        }),
        matches: v.matches(),
        rows: &v.rows,
        differences: &v.differences,
        notes: &v.notes,
    }
}

/// The document as a JSON value.
pub fn to_json(summary_path: &str, file: Option<&FileLabel>, v: &Verification) -> Value {
    serde_json::to_value(document(summary_path, file, v)).unwrap_or_default()
}
