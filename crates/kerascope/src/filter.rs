//! Which findings a report keeps: codes selected or ignored (`--select`, `--ignore`: a code
//! or a prefix of codes, as ruff takes them), and a baseline of findings already accepted.
//!
//! A baseline entry is keyed by the file's path as given to the scan (separators written
//! `/`), the finding's code and its layer: a finding stays accepted while the file keeps
//! its place and the finding its layer, whatever the wording of its message, and a new
//! finding of the same code in another layer is reported. Scan from the same folder with
//! the same paths when the baseline is written and when it is used.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::audit::Finding;

/// Version of the baseline document.
pub const BASELINE_SCHEMA: &str = "kerascope.baseline/1";

/// The findings to keep.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Keep only codes starting with one of these (empty: every code; `ALL` matches all).
    pub select: Vec<String>,
    /// Drop codes starting with one of these.
    pub ignore: Vec<String>,
    /// Drop findings accepted in a baseline.
    pub baseline: Option<Baseline>,
}

fn matches(code: &str, pattern: &str) -> bool {
    pattern.eq_ignore_ascii_case("ALL")
        || code
            .get(..pattern.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(pattern))
}

impl FindingFilter {
    /// Whether the filter keeps every finding (nothing selected, ignored or accepted).
    pub fn is_empty(&self) -> bool {
        self.select.is_empty() && self.ignore.is_empty() && self.baseline.is_none()
    }

    /// Whether a finding of `file` is reported.
    pub fn keeps(&self, file: &str, finding: &Finding) -> bool {
        let selected =
            self.select.is_empty() || self.select.iter().any(|p| matches(finding.code, p));
        selected
            && !self.ignore.iter().any(|p| matches(finding.code, p))
            && !self
                .baseline
                .as_ref()
                .is_some_and(|b| b.accepts(file, finding))
    }

    /// Drops the findings of `file` that are not reported.
    pub fn apply(&self, file: &str, findings: &mut Vec<Finding>) {
        if !self.is_empty() {
            findings.retain(|f| self.keeps(file, f));
        }
    }
}

/// Findings accepted once (`--write-baseline`), not reported again (`--baseline`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`BASELINE_SCHEMA`].
    pub schema: String,
    /// The accepted findings, sorted (so the document diffs well).
    pub findings: BTreeSet<BaselineEntry>,
}

/// One accepted finding: see the module documentation for why these three fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The file's path as given to the scan, separators written `/`.
    pub file: String,
    /// The finding's code.
    pub code: String,
    /// The layer the finding concerns; `None` for the whole file.
    pub layer: Option<String>,
}

/// A path as a baseline keys it: the same on Windows and Unix.
pub fn baseline_path(file: &str) -> String {
    file.replace('\\', "/")
}

impl Baseline {
    /// An empty baseline.
    pub fn new() -> Baseline {
        Baseline {
            schema: BASELINE_SCHEMA.into(),
            findings: BTreeSet::new(),
        }
    }

    /// Accepts a finding of `file`.
    pub fn add(&mut self, file: &str, finding: &Finding) {
        self.findings.insert(BaselineEntry {
            file: baseline_path(file),
            code: finding.code.to_string(),
            layer: finding.layer.clone(),
        });
    }

    /// Whether a finding of `file` was accepted (same path, code and layer).
    pub fn accepts(&self, file: &str, finding: &Finding) -> bool {
        self.findings.contains(&BaselineEntry {
            file: baseline_path(file),
            code: finding.code.to_string(),
            layer: finding.layer.clone(),
        })
    }

    /// Reads a baseline document; another schema is refused, not guessed at.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("not a kerascope baseline: {e}"))?;
        if baseline.schema != BASELINE_SCHEMA {
            return Err(format!(
                "baseline schema {:?}, expected {BASELINE_SCHEMA:?}",
                baseline.schema
            ));
        }
        Ok(baseline)
    }

    /// The baseline document, pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity;

    fn finding(code: &'static str, layer: Option<&str>) -> Finding {
        Finding {
            code,
            severity: Severity::Error,
            layer: layer.map(str::to_string),
            message: "m".into(),
            cve: &[],
        }
    }

    #[test]
    fn codes_are_selected_and_ignored_by_prefix() {
        let filter = FindingFilter {
            select: vec!["S1".into(), "p101".into()],
            ignore: vec!["S109".into()],
            baseline: None,
        };
        assert!(filter.keeps("f", &finding("S101", None)));
        assert!(!filter.keeps("f", &finding("S109", None)));
        assert!(!filter.keeps("f", &finding("S201", None)));
        assert!(filter.keeps("f", &finding("P101", None)));
        assert!(!filter.keeps("f", &finding("P102", None)));
    }

    #[test]
    fn a_baseline_accepts_by_file_code_and_layer() {
        let mut baseline = Baseline::new();
        baseline.add("dir\\m.h5", &finding("S101", Some("lambda")));
        let baseline = Baseline::parse(&baseline.to_json()).unwrap();
        let filter = FindingFilter {
            baseline: Some(baseline),
            ..FindingFilter::default()
        };
        assert!(!filter.keeps("dir/m.h5", &finding("S101", Some("lambda"))));
        assert!(filter.keeps("dir/m.h5", &finding("S101", Some("lambda_1"))));
        assert!(filter.keeps("other.h5", &finding("S101", Some("lambda"))));
        assert!(Baseline::parse("{\"schema\": \"x\", \"findings\": []}").is_err());
    }
}
