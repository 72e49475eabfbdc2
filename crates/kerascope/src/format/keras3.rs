//! Keras 3 formats (FORMATS.md §4–5): the `.keras` zip, the H5IOStore `.weights.h5` (also the
//! `model.weights.h5` member of a `.keras`), and sharded `.weights.json` indexes.

use std::collections::BTreeSet;

use crate::{Map as HashMap, Set as HashSet};
use std::path::Path;

use serde_json::Value;

use super::naming::{keras3_keys, layer_name, var_name};
use super::{Format, KerasFile, NoteKind, ReadNote, TensorRole, parse_json, tensor};
use crate::container::hdf5::H5File;
use crate::container::source::Source;
use crate::container::zip::ZipFile;
use crate::error::{Error, Result};
use crate::layers::Dialect;
use crate::limits::Limits;

/// The weights member Keras writes in a `.keras` archive.
const WEIGHTS_H5: &str = "model.weights.h5";
const WEIGHTS_NPZ: &str = "model.weights.npz";

/// Reads a `.keras` zip: `config.json` (required), `metadata.json`, and the weights member
/// parsed in place when stored uncompressed.
pub fn read_zip(source: &Source, limits: &Limits) -> Result<KerasFile> {
    let mut zip = ZipFile::open(source, limits)?;
    let mut file = KerasFile::new(Format::KerasZip);
    file.zip_members = zip.members.clone();
    file.zip_duplicate_names = zip.duplicate_names.clone();

    let config_member = zip.member("config.json").cloned().ok_or_else(|| {
        Error::Keras(format!(
            "zip archive without config.json, not a .keras model (members: {})",
            member_list(&zip)
        ))
    })?;
    let config = parse_json(&zip.read(&config_member)?, "config.json", limits)?;
    if !config.is_object() {
        return Err(Error::Keras("config.json is not a JSON object".into()));
    }
    if let Some(member) = zip.member("metadata.json").cloned() {
        match parse_json(&zip.read(&member)?, "metadata.json", limits) {
            Ok(metadata) => {
                file.keras_version = metadata
                    .get("keras_version")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                file.metadata = Some(metadata);
            }
            Err(e) => file.notes.push(ReadNote {
                kind: NoteKind::BadMetadata,
                layer: None,
                message: e.to_string(),
            }),
        }
    }
    file.dialect = keras3_dialect(file.keras_version.as_deref());
    file.training_config = config
        .get("compile_config")
        .filter(|c| !c.is_null())
        .cloned();
    file.model_config = Some(config);

    if let Some(member) = zip.member(WEIGHTS_H5).cloned() {
        let bytes = zip.bytes_in_place(&member)?;
        let h5 =
            H5File::open(bytes, limits).map_err(|e| Error::Keras(format!("{WEIGHTS_H5}: {e}")))?;
        read_h5io_into(&h5, "", &mut file)?;
        file.hdf5_bytes_read += h5.bytes_read();
    } else if zip.member(WEIGHTS_NPZ).is_some() {
        file.notes.push(ReadNote {
            kind: NoteKind::WeightsNotRead,
            layer: None,
            message: format!("weights are stored as {WEIGHTS_NPZ}, which kerascope does not read yet: tensors unknown"),
        });
    } else {
        file.notes.push(ReadNote {
            kind: NoteKind::NoWeights,
            layer: None,
            message: format!("no {WEIGHTS_H5} member: the archive stores no weights"),
        });
    }
    Ok(file)
}

fn member_list(zip: &ZipFile) -> String {
    let names: Vec<&str> = zip
        .members
        .iter()
        .take(10)
        .map(|m| m.name.as_str())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// `.keras` archives are Keras 3, or tf.keras ≥ 2.12 when metadata says `2.x`.
fn keras3_dialect(version: Option<&str>) -> Dialect {
    match version {
        Some(v) if v.starts_with("2.") => Dialect::TfKeras,
        _ => Dialect::Keras3,
    }
}

/// Reads a standalone H5IOStore weights file (no config inside).
pub fn read_h5io(h5: &H5File, format: Format, config: Option<Value>) -> Result<KerasFile> {
    let mut file = KerasFile::new(format);
    file.dialect = Dialect::Keras3;
    file.model_config = config;
    read_h5io_into(h5, "", &mut file)?;
    Ok(file)
}

/// Adds the tensors of one H5IOStore container (prefixing paths with `prefix`, for shards).
fn read_h5io_into(h5: &H5File, prefix: &str, file: &mut KerasFile) -> Result<()> {
    let walk = h5.walk("")?;
    file.hdf5_hazards.extend(walk.hazards);
    let keys: HashMap<String, &Value> = match &file.model_config {
        Some(model) => keras3_keys(model).into_iter().collect(),
        None => HashMap::default(),
    };
    let mut new_tensors = Vec::new();
    let mut known_layers: HashSet<String> = file.layer_names.iter().cloned().collect();
    let mut layer_objects: HashMap<String, bool> = HashMap::default();
    for info in walk.datasets {
        let logical = info.path.replace('\\', "/");
        let segments: Vec<&str> = logical.split('/').collect();
        let role = match segments.first().copied() {
            Some("optimizer") => TensorRole::Optimizer,
            Some("metrics") => TensorRole::Metric,
            Some("vars") => TensorRole::Model,
            _ => TensorRole::Layer,
        };
        let stored_path = format!("{prefix}{}", info.path);
        let mut t = tensor(role, None, info);
        t.path = stored_path;
        // .../<object>/vars/<N>: the object path, and N.
        let vars_at = segments.iter().rposition(|s| *s == "vars");
        let (object, var) = match vars_at {
            Some(at) => (&segments[..at], segments[at + 1..].join("/")),
            None => (
                &segments[..segments.len().saturating_sub(1)],
                segments.last().unwrap_or(&"").to_string(),
            ),
        };
        t.name = format!("vars/{var}");
        if role == TensorRole::Layer {
            let top = top_level_length(h5, &t.path[prefix.len()..], object, &mut layer_objects);
            let (key, owner) = (object[..top].last().copied().unwrap_or(""), &object[top..]);
            let in_layers = object.first().is_some_and(|s| is_layers_segment(s)) && top == 2;
            let entry = if in_layers {
                keys.get(key).copied()
            } else {
                None
            };
            let raw_top = &t.path[prefix.len()..prefix.len() + object[..top].join("/").len()];
            t.layer = Some(match entry.and_then(layer_name) {
                Some(name) => name.to_string(),
                None => stored_layer_name(h5, raw_top).unwrap_or_else(|| key.to_string()),
            });
            t.owner = owner.join("/");
            if let (Some(entry), Ok(index)) = (entry, var.parse::<usize>())
                && let Some(name) = var_name(entry, owner, index, file.dialect)
            {
                t.name = name;
            }
            if let Some(layer) = &t.layer
                && known_layers.insert(layer.clone())
            {
                file.layer_names.push(layer.clone());
            }
        }
        new_tensors.push(t);
    }
    file.tensors.extend(new_tensors);
    Ok(())
}

fn is_layers_segment(segment: &str) -> bool {
    segment == "layers" || segment == "_layer_checkpoint_dependencies"
}

/// How many leading segments of an object path name the top-level layer: `layers/<key>` for
/// the layers of a model, else (attributes of a subclassed model) the shortest prefix that is
/// a layer — has its own `vars` group — so that a list attribute `blocks/dense` resolves to
/// the `dense` inside it. `raw` is the stored path, whose prefixes are looked up.
fn top_level_length(
    h5: &H5File,
    raw: &str,
    object: &[&str],
    known: &mut HashMap<String, bool>,
) -> usize {
    if object.first().is_some_and(|s| is_layers_segment(s)) && object.len() >= 2 {
        return 2;
    }
    for len in 1..object.len() {
        let raw_prefix = &raw[..object[..len].join("/").len()];
        let is_layer = *known
            .entry(raw_prefix.to_string())
            .or_insert_with(|| matches!(h5.group(&format!("{raw_prefix}/vars")), Ok(Some(_))));
        if is_layer {
            return len;
        }
    }
    object.len().max(1).min(object.len())
}

/// Keras ≥ 3.6 writes the layer name as attribute `name` on the layer's `vars` group.
fn stored_layer_name(h5: &H5File, raw_object: &str) -> Option<String> {
    let group = h5.group(&format!("{raw_object}/vars")).ok()??;
    group.string_attribute("name").ok()?
}

/// Reads a sharded-weights index and every shard it names, from the index's folder. Shard
/// names must be plain file names: a path is never followed out of that folder.
pub fn read_sharded_index(
    source: &Source,
    path: Option<&Path>,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    let index = super::parse_json_source(source, "JSON file", limits)?;
    let Some(weight_map) = index.get("weight_map").and_then(Value::as_object) else {
        return Err(Error::NotKeras(
            "a JSON document without weight_map (not a sharded-weights index)".into(),
        ));
    };
    let mut file = KerasFile::new(Format::Keras3WeightsSharded);
    file.dialect = Dialect::Keras3;
    file.model_config = config;
    let mut shards = BTreeSet::new();
    for files in weight_map.values() {
        let names: Vec<&str> = match files {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        shards.extend(names.into_iter().map(str::to_string));
    }
    let folder = path.and_then(Path::parent).unwrap_or(Path::new("."));
    for shard in shards {
        if shard.is_empty() || shard.contains(['/', '\\']) || shard == ".." || shard == "." {
            return Err(Error::Keras(format!(
                "shard name {shard:?} is not a plain file name (not followed)"
            )));
        }
        // A remote index finds its shards beside it in the same store; a local one (or
        // standard input) in its folder.
        let shard_source = match (path, source.sibling(&shard)) {
            (None, Some(opened)) => opened,
            _ => Source::open(&folder.join(&shard)),
        }
        .map_err(|e| Error::Keras(format!("shard {shard}: {e}")))?;
        let h5 = H5File::open(shard_source.whole(), limits)
            .map_err(|e| Error::Keras(format!("shard {shard}: {e}")))?;
        read_h5io_into(&h5, &format!("{shard}:"), &mut file)?;
        file.hdf5_bytes_read += h5.bytes_read();
        file.shards.push(shard);
    }
    Ok(file)
}
