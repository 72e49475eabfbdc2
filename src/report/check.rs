//! `kerascope check`: findings per file, for people and for machines.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::audit::Severity;

/// Version of the `check --format json` document.
pub const SCHEMA: &str = "kerascope.check/1";

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Read; no finding of severity warning or above.
    Clean,
    /// Read; at least one warning or error.
    Findings,
    /// Could not be read.
    Error,
}

impl Status {
    pub fn of(analysis: &Analysis) -> Status {
        if analysis
            .findings
            .iter()
            .any(|f| f.severity >= Severity::Warning)
        {
            Status::Findings
        } else {
            Status::Clean
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Clean => "clean",
            Status::Findings => "findings",
            Status::Error => "error",
        }
    }
}

/// The JSON entry of one analysed file.
pub fn file_json(path: &str, analysis: &Analysis) -> Value {
    json!({
        "file": path,
        "format": analysis.file.format,
        "keras_version": analysis.file.keras_version,
        "status": Status::of(analysis).as_str(),
        "error": null,
        "findings": analysis.findings,
        "total_params": analysis.file.stored_params(),
    })
}

/// The JSON entry of a file that could not be read.
pub fn error_json(path: &str, error: &str) -> Value {
    json!({
        "file": path, "format": null, "keras_version": null, "status": "error",
        "error": error, "findings": [], "total_params": null,
    })
}

/// Human-readable findings of one file.
pub fn file_text(path: &str, analysis: &Analysis, min: Severity) -> String {
    let mut out = String::new();
    let shown: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= min)
        .collect();
    let params = analysis
        .file
        .stored_params()
        .map(super::thousands)
        .unwrap_or_else(|| "?".into());
    let _ = writeln!(
        out,
        "{path}: {} · {} parameters · {}",
        analysis.file.format.describe(),
        params,
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
        let _ = writeln!(
            out,
            "  {} {:7} {layer}{}",
            f.code,
            f.severity.as_str(),
            f.message
        );
    }
    out
}
