//! `compat` reports: per file the verdict and every blocker, as text or `kerascope.compat/1`.

use serde_json::{Value, json};

use crate::compat::{Assessment, Target, Verdict};

/// One file's outcome: assessed, or unreadable (with the reason).
pub struct CompatEntry {
    /// The input, as the caller names it.
    pub file: String,
    /// The assessment, or why the file could not be read.
    pub outcome: Result<Assessment, String>,
}

fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Loads => "loads",
        Verdict::Fails => "fails",
        Verdict::NotAModel => "not-a-model",
    }
}

/// The `kerascope.compat/1` document of the entries.
pub fn to_json(target: Target, entries: &[CompatEntry]) -> Value {
    let files: Vec<Value> = entries
        .iter()
        .map(|e| match &e.outcome {
            Ok(a) => json!({
                "file": e.file,
                "verdict": verdict_text(a.verdict),
                "blockers": a.blockers,
            }),
            Err(error) => json!({
                "file": e.file,
                "verdict": "unreadable",
                "error": error,
                "blockers": [],
            }),
        })
        .collect();
    json!({
        "schema": "kerascope.compat/1",
        "target": target,
        "target_version": target.describe(),
        "files": files,
    })
}

/// The verdict and the blockers of each entry, for people.
pub fn to_text(target: Target, entries: &[CompatEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        match &e.outcome {
            Err(error) => out.push_str(&format!("{}: unreadable: {error}\n", e.file)),
            Ok(a) => {
                let verdict = match a.verdict {
                    Verdict::Loads => format!("{} loads it", target.describe()),
                    Verdict::Fails => format!("{} fails to load it", target.describe()),
                    Verdict::NotAModel => {
                        "not a model: weights only (load_model refuses it; build the model and load_weights)"
                            .to_string()
                    }
                };
                out.push_str(&format!("{}: {verdict}\n", e.file));
                for (i, b) in a.blockers.iter().enumerate() {
                    let at = match (&b.layer, &b.key) {
                        (Some(l), Some(k)) => format!(" layer {l}, {k}"),
                        (Some(l), None) => format!(" layer {l}"),
                        (None, Some(k)) => format!(" {k}"),
                        (None, None) => String::new(),
                    };
                    let first = if i == 0 { " (the error raised)" } else { "" };
                    out.push_str(&format!("  {}{at}{first}\n", b.code.as_str()));
                    out.push_str(&format!("    {}\n", b.message));
                    let fix = if b.fixable { "fixable" } else { "not fixable" };
                    out.push_str(&format!("    {fix}: {}\n", b.fix));
                }
            }
        }
    }
    out
}
