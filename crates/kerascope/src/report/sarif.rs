//! SARIF 2.1.0 output (`check --format sarif`), so findings show in code-scanning UIs. Files
//! that could not be read become tool execution notifications, never silent successes.

use serde_json::{Value, json};

use std::collections::BTreeSet;

use crate::audit::Severity;
use crate::registry;
use crate::scan::{FileResult, Outcome};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF `uri-reference`: forward slashes, everything but unreserved characters
/// percent-encoded.
pub(crate) fn uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The SARIF log of a scan. Its rules are the codes `check` may emit on any file, then the
/// compatibility blockers (`check --target`) that the results hold, so that a log without
/// them keeps its rule indices.
pub fn log(results: &[FileResult]) -> Value {
    let emitted: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Analysed(a) => Some(a.findings.iter().map(|f| f.code)),
            _ => None,
        })
        .flatten()
        .collect();
    let mut docs = registry::check_docs();
    docs.extend(
        registry::compat_docs()
            .iter()
            .filter(|d| emitted.contains(d.code)),
    );
    let rules: Vec<Value> = docs
        .iter()
        .map(|d| {
            let mut tags = vec![if d.code.starts_with('S') { "security" } else { "correctness" }];
            tags.extend(d.cves.iter().copied());
            json!({
                "id": d.code,
                "name": d.name,
                "shortDescription": {"text": d.summary},
                "fullDescription": {"text": format!("{} {}", d.summary, d.why)},
                "help": {"text": format!("{}\n\nWhy it matters: {}\n\nExample: {}", d.summary, d.why, d.example)},
                "defaultConfiguration": {"level": level(d.severity)},
                "properties": {"tags": tags},
            })
        })
        .collect();
    let mut sarif_results = Vec::new();
    let mut notifications = Vec::new();
    for r in results {
        let location = json!({"physicalLocation": {"artifactLocation": {"uri": uri(&r.path)}}});
        match &r.outcome {
            Outcome::Analysed(a) => {
                for f in &a.findings {
                    let index = docs.iter().position(|d| d.code == f.code);
                    let mut loc = location.clone();
                    if let Some(layer) = &f.layer {
                        loc["logicalLocations"] =
                            json!([{"fullyQualifiedName": layer, "kind": "member"}]);
                    }
                    let mut result = json!({
                        "ruleId": f.code,
                        "level": level(f.severity),
                        "message": {"text": f.message},
                        "locations": [loc],
                    });
                    if let Some(index) = index {
                        result["ruleIndex"] = json!(index);
                    }
                    sarif_results.push(result);
                }
            }
            Outcome::Failed(_) | Outcome::Internal(_) | Outcome::TimedOut(_) => {
                let problem = r.outcome.problem().unwrap_or_default();
                notifications.push(json!({
                    "level": "error",
                    "message": {"text": format!("{}: {problem}", r.path.display())},
                    "locations": [location],
                }))
            }
            Outcome::Skipped(_) => {}
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kerascope",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": sarif_results,
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
        }],
    })
}
