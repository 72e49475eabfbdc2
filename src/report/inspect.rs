//! `kerascope inspect`: what a file holds — format, versions, config presence, and every
//! stored tensor under the layer that owns it.

use std::fmt::Write;

use serde_json::{Value, json};

use super::summary::{Style, keras_bytes};
use super::{thousands, tuple};
use crate::format::{KerasFile, TensorRole};

/// Version of the `inspect --format json` document.
pub const SCHEMA: &str = "kerascope.inspect/1";

/// The machine-readable description of one file.
pub fn to_json(path: &str, file: &KerasFile) -> Value {
    let tensors: Vec<Value> = file
        .tensors
        .iter()
        .map(|t| {
            let mut tensor = json!({
                "role": t.role, "layer": t.layer, "owner": t.owner, "name": t.name,
                "path": t.path, "shape": t.shape, "dtype": t.dtype,
                "stored_bytes": t.stored_bytes,
            });
            if let Some(original) = &t.copy_of {
                tensor["copy_of"] = json!(original);
            }
            tensor
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "file": path,
        "format": file.format,
        "keras_version": file.keras_version,
        "backend": file.backend,
        "dialect": file.dialect,
        "model": file.model_class().map(|class| json!({"class": class, "name": file.model_name()})),
        "has_model_config": file.model_config.is_some(),
        "has_training_config": file.training_config.is_some(),
        "layer_names": file.layer_names,
        "stored_params": file.stored_params(),
        "optimizer_values": values(file, TensorRole::Optimizer),
        "tensors": tensors,
        "hdf5_hazards": file.hdf5_hazards,
        "zip_members": file.zip_members,
        "zip_duplicate_names": file.zip_duplicate_names,
        "shards": file.shards,
        "notes": file.notes,
        "hdf5_bytes_read": file.hdf5_bytes_read,
    })
}

fn values(file: &KerasFile, role: TensorRole) -> Option<u64> {
    file.tensors_of(role)
        .try_fold(0u64, |acc, t| acc.checked_add(t.elements()?))
}

fn bytes(file: &KerasFile, role: TensorRole) -> u64 {
    file.tensors_of(role)
        .filter_map(|t| t.stored_bytes)
        .fold(0u64, u64::saturating_add)
}

/// The human-readable tree.
pub fn to_text(path: &str, file: &KerasFile) -> String {
    let mut out = String::new();
    let version = match (&file.keras_version, &file.backend) {
        (Some(v), Some(b)) => format!("Keras {v} ({b})"),
        (Some(v), None) => format!("Keras {v}"),
        (None, _) => "no Keras version stored".to_string(),
    };
    let _ = writeln!(out, "{path}: {} · {version}", file.format.describe());
    match (file.model_class(), file.model_name()) {
        (Some(class), Some(name)) => {
            let _ = writeln!(out, "model: {class} {name:?}");
        }
        (Some(class), None) => {
            let _ = writeln!(out, "model: {class}");
        }
        _ => {
            let _ = writeln!(out, "model: no config stored (weights only)");
        }
    }
    if file.training_config.is_some() {
        let _ = writeln!(out, "training config: present");
    }
    let layer_tensors = file.tensors_of(TensorRole::Layer).count();
    let stored = file
        .stored_params()
        .map(thousands)
        .unwrap_or_else(|| "overflowing".into());
    let _ = writeln!(
        out,
        "{} layers stored, {layer_tensors} weight tensors, {stored} parameters ({})",
        file.layer_names.len(),
        keras_bytes(bytes(file, TensorRole::Layer), Style::Keras3)
    );
    let name_width = file
        .tensors_of(TensorRole::Layer)
        .map(|t| short_label(t).len())
        .max()
        .unwrap_or(0)
        .max(8);
    let shape_width = file
        .tensors_of(TensorRole::Layer)
        .map(|t| tuple(&t.shape).len())
        .max()
        .unwrap_or(0);
    for layer in &file.layer_names {
        let tensors: Vec<_> = file
            .tensors_of(TensorRole::Layer)
            .filter(|t| t.layer.as_deref() == Some(layer))
            .collect();
        if tensors.is_empty() {
            let _ = writeln!(out, "  {layer}");
            continue;
        }
        let count: u64 = tensors
            .iter()
            .filter(|t| t.copy_of.is_none())
            .filter_map(|t| t.elements())
            .sum();
        let _ = writeln!(out, "  {layer}  ({})", thousands(count));
        for t in tensors {
            let copy = t
                .copy_of
                .as_ref()
                .map(|original| format!("  (a stored copy of {original}, not a parameter)"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:name_width$}  {:shape_width$}  {:8}  {}{copy}",
                short_label(t),
                tuple(&t.shape),
                t.dtype,
                t.path
            );
        }
    }
    for (role, label) in [
        (TensorRole::Model, "model-level variables"),
        (TensorRole::Optimizer, "optimizer state (not parameters)"),
        (TensorRole::Metric, "metric state (not parameters)"),
    ] {
        let n = file.tensors_of(role).count();
        if n > 0 {
            let total = values(file, role).map(thousands).unwrap_or_default();
            let _ = writeln!(out, "{label}: {n} tensors, {total} values");
        }
    }
    if !file.zip_members.is_empty() {
        let _ = writeln!(out, "zip members:");
        for m in &file.zip_members {
            let _ = writeln!(out, "  {}  {} bytes  {}", m.name, m.size, m.method);
        }
    }
    if !file.shards.is_empty() {
        let _ = writeln!(out, "shards: {}", file.shards.join(", "));
    }
    for hazard in &file.hdf5_hazards {
        let _ = writeln!(
            out,
            "HDF5: {}",
            serde_json::to_string(hazard).unwrap_or_default()
        );
    }
    for note in &file.notes {
        match &note.layer {
            Some(layer) => {
                let _ = writeln!(out, "note: {layer}: {}", note.message);
            }
            None => {
                let _ = writeln!(out, "note: {}", note.message);
            }
        }
    }
    out
}

fn short_label(t: &crate::format::Tensor) -> String {
    if t.owner.is_empty() {
        t.name.clone()
    } else {
        format!("{}/{}", t.owner, t.name)
    }
}
