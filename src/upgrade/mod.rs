//! `upgrade`: a copy of a Keras 2 / tf.keras legacy `.h5` model that Keras 3 loads with
//! `safe_mode=True`, where [`crate::compat`] finds only fixable blockers: the config rewritten
//! as Keras 3 expects it, every weight byte left where it was.
//!
//! The copy is the input file with its root `model_config` attribute replaced (and its
//! `training_config` dropped: Keras 2 losses and optimizers do not compile in Keras 3), edited
//! in place with a pure-Rust HDF5 writer; the datasets are never rewritten.

pub mod rewrite;

use std::path::Path;

use serde::Serialize;

use crate::analysis::analyze_with_limits;
use crate::audit::Severity;
use crate::compat::{Target, Verdict, assess};
use crate::format::{Format, read_path};
use crate::limits::Limits;

/// What `upgrade` did, or why it would not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upgrade {
    /// The config changes made, one line each.
    pub changes: Vec<String>,
}

/// Why a file is not upgraded.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Read(#[from] crate::Error),
    #[error("only legacy .h5 full models are upgraded so far (this file is: {0})")]
    Format(&'static str),
    #[error("the file has security findings ({0}): not upgraded unless --allow-findings")]
    Findings(String),
    #[error("Keras 3 would still refuse it, and rewriting would change what it computes:\n{0}")]
    NotFixable(String),
    #[error("the rewritten config still does not load: {0}")]
    StillFails(String),
    #[error("{0}")]
    Write(String),
    #[error("the copy is a legacy HDF5 model: name it .h5 (.keras output is not written yet)")]
    OutputName,
}

/// Writes `output`, a copy of `input` that Keras 3 loads.
pub fn upgrade(input: &Path, output: &Path, allow_findings: bool) -> Result<Upgrade, Refusal> {
    let name = output.to_string_lossy();
    if !(name.ends_with(".h5") || name.ends_with(".hdf5")) {
        return Err(Refusal::OutputName);
    }
    let limits = Limits::default();
    let file = read_path(input, &limits)?;
    if file.format != Format::LegacyH5Full {
        return Err(Refusal::Format(file.format.describe()));
    }
    let analysis = analyze_with_limits(file, &limits);
    let security: Vec<&str> = analysis
        .findings
        .iter()
        .filter(|f| f.code.starts_with('S') && f.severity >= Severity::Error)
        .map(|f| f.code)
        .collect();
    if !security.is_empty() && !allow_findings {
        return Err(Refusal::Findings(security.join(", ")));
    }
    let mut file = analysis.file;
    let before = assess(&file, output, Target::Keras3);
    let blocking: Vec<String> = before
        .blockers
        .iter()
        .filter(|b| !b.fixable)
        .map(|b| {
            format!(
                "  {} {}: {} ({})",
                b.code.as_str(),
                b.layer.as_deref().unwrap_or("-"),
                b.message,
                b.fix
            )
        })
        .collect();
    if !blocking.is_empty() {
        return Err(Refusal::NotFixable(blocking.join("\n")));
    }
    let Some(config) = file.model_config.as_mut() else {
        return Err(Refusal::Format("a file without a model config"));
    };
    let changes = rewrite::for_keras3(config);
    let after = assess(&file, output, Target::Keras3);
    if after.verdict != Verdict::Loads {
        let first = after
            .blockers
            .first()
            .map(|b| b.message.clone())
            .unwrap_or_default();
        return Err(Refusal::StillFails(first));
    }
    let json = serde_json::to_string(
        file.model_config
            .as_ref()
            .unwrap_or(&serde_json::Value::Null),
    )
    .map_err(|e| Refusal::Write(e.to_string()))?;
    write_copy(input, output, json, file.training_config.is_some())?;
    Ok(Upgrade { changes })
}

fn write_copy(
    input: &Path,
    output: &Path,
    config: String,
    drop_training: bool,
) -> Result<(), Refusal> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Refusal::Write(format!("{}: {what}: {e}", output.display()))
    };
    std::fs::copy(input, output).map_err(|e| failed("copying the input", &e))?;
    let edit = || -> Result<(), hdf5_pure::Error> {
        let h5 = hdf5_pure::File::open_rw(output)?;
        let root = h5.root();
        root.set_attr("model_config", hdf5_pure::AttrValue::String(config))?;
        if drop_training {
            root.remove_attr("training_config")?;
        }
        h5.commit()
    };
    edit().map_err(|e| {
        let _ = std::fs::remove_file(output);
        failed("rewriting the model config", &e)
    })
}
