//! `kerascope inspect`: what a file holds — format, versions, config presence, and every
//! stored tensor under the layer that owns it.

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::ModelLabel;
use super::{thousands, tuple};
use crate::container::hdf5::Hdf5Hazard;
use crate::container::zip::ZipMember;
use crate::format::{Format, KerasFile, ReadNote, TensorRole};
use crate::model::Dialect;

/// Version of the `inspect --format json` document.
pub const SCHEMA: &str = "kerascope.inspect/1";

/// The `inspect --format json` document (`kerascope.inspect/1`): one entry per input, the
/// same shape for one file or many.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InspectDocument<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// One entry per input, in the order given.
    pub files: Vec<InspectEntry<'a>>,
}

impl<'a> InspectDocument<'a> {
    /// A document of these entries.
    pub fn new(files: Vec<InspectEntry<'a>>) -> InspectDocument<'a> {
        InspectDocument {
            schema: SCHEMA,
            files,
        }
    }
}

/// One input of an `inspect` document: what it holds, or why it could not be read.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum InspectEntry<'a> {
    /// The input was read.
    Read(Box<FileEntry<'a>>),
    /// It could not be.
    Failed {
        /// The input, as the caller names it.
        file: &'a str,
        /// Why.
        error: &'a str,
    },
}

/// What one file holds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileEntry<'a> {
    /// The input, as the caller names it.
    pub file: &'a str,
    /// The layout the file was recognised as.
    pub format: Format,
    /// The Keras version recorded in the file, if any.
    pub keras_version: Option<&'a str>,
    /// The backend recorded in the file, if any.
    pub backend: Option<&'a str>,
    /// The config dialect, from the stored version.
    pub dialect: Dialect,
    /// The model's class and name, when the file stores a config.
    pub model: Option<ModelLabel<'a>>,
    /// Whether the file stores a model config.
    pub has_model_config: bool,
    /// Whether the file stores a `training_config`.
    pub has_training_config: bool,
    /// Top-level layer names in stored order.
    pub layer_names: &'a [String],
    /// `None` when the weights are stored in a form not read, or their count overflows.
    pub stored_params: Option<u64>,
    /// Elements of the stored optimizer state (0 when there is none); `None` when the count
    /// overflows.
    pub optimizer_values: Option<u64>,
    /// Every stored tensor, in stored order.
    pub tensors: Vec<TensorEntry<'a>>,
    /// Links, external storage and aliases found in the HDF5 container(s).
    pub hdf5_hazards: &'a [Hdf5Hazard],
    /// Members of a `.keras` archive (empty for other formats).
    pub zip_members: &'a [ZipMember],
    /// Member names the archive holds more than once.
    pub zip_duplicate_names: &'a [String],
    /// Shard files of sharded weights.
    pub shards: &'a [String],
    /// Structural problems that did not stop the read.
    pub notes: &'a [ReadNote],
    /// Bytes of HDF5 containers read to describe the file (metadata only).
    pub hdf5_bytes_read: u64,
}

/// One stored tensor.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TensorEntry<'a> {
    /// What the tensor is for.
    pub role: TensorRole,
    /// The top-level layer it belongs to, if any.
    pub layer: Option<&'a str>,
    /// Path of the owning sub-object below the layer; empty for the layer's own weights.
    pub owner: &'a str,
    /// Short weight name (`kernel`, `bias`, `moving_mean`).
    pub name: &'a str,
    /// Where it is stored in the file.
    pub path: &'a str,
    /// The stored shape.
    pub shape: &'a [u64],
    /// The stored element type (`float32`).
    pub dtype: &'a str,
    /// Bytes used in the file, when known without reading the data.
    pub stored_bytes: Option<u64>,
    /// On a stored copy that is not a parameter: the path of the tensor it copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<&'a str>,
}

/// The `inspect --format json` document of one file.
pub fn to_json(path: &str, file: &KerasFile) -> Value {
    let document = InspectDocument::new(vec![InspectEntry::Read(Box::new(file_entry(path, file)))]);
    serde_json::to_value(document).unwrap_or_default()
}

/// One entry of the document's `files`.
pub fn file_entry<'a>(path: &'a str, file: &'a KerasFile) -> FileEntry<'a> {
    let tensors = file
        .tensors
        .iter()
        .map(|t| TensorEntry {
            role: t.role,
            layer: t.layer.as_deref(),
            owner: &t.owner,
            name: &t.name,
            path: &t.path,
            shape: &t.shape,
            dtype: &t.dtype,
            stored_bytes: t.stored_bytes,
            copy_of: t.copy_of.as_deref(),
        })
        .collect();
    FileEntry {
        file: path,
        format: file.format,
        keras_version: file.keras_version.as_deref(),
        backend: file.backend.as_deref(),
        dialect: file.dialect,
        model: file.model_class().map(|class| ModelLabel {
            class,
            name: file.model_name(),
        }),
        has_model_config: file.model_config.is_some(),
        has_training_config: file.training_config.is_some(),
        layer_names: &file.layer_names,
        stored_params: file.stored_params().filter(|_| !file.weights_unread()),
        optimizer_values: values(file, TensorRole::Optimizer),
        tensors,
        hdf5_hazards: &file.hdf5_hazards,
        zip_members: &file.zip_members,
        zip_duplicate_names: &file.zip_duplicate_names,
        shards: &file.shards,
        notes: &file.notes,
        hdf5_bytes_read: file.hdf5_bytes_read,
    }
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
    let stored = match file.stored_params() {
        _ if file.weights_unread() => "?".to_string(),
        Some(n) => thousands(n),
        None => "overflowing".into(),
    };
    let _ = writeln!(
        out,
        "{} layers stored, {layer_tensors} weight tensors, {stored} parameters ({})",
        file.layer_names.len(),
        crate::text::keras_bytes(bytes(file, TensorRole::Layer))
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
