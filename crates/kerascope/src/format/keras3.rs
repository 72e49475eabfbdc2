//! Keras 3 formats (FORMATS.md §4–5): the `.keras` zip, the H5IOStore `.weights.h5` (also the
//! `model.weights.h5` member of a `.keras`), and sharded `.weights.json` indexes.

use std::collections::BTreeSet;

use crate::{Map as HashMap, Set as HashSet};
use std::path::Path;

use serde_json::Value;

use super::naming::{is_layers_segment, keras3_keys, layer_name, layer_prefixes, tfk213_renames};
use super::{Format, KerasFile, NoteKind, ReadNote, StoredVar, TensorRole, parse_json, tensor};
use crate::container::hdf5::H5File;
use crate::container::source::Source;
use crate::container::zip::ZipFile;
use crate::container::{npy, pickle};
use crate::error::{Error, FilePart, KerasProblem, NotKerasReason, Result};
use crate::limits::Limits;
use crate::model::Dialect;

/// The weights member Keras writes in a `.keras` archive.
const WEIGHTS_H5: &str = "model.weights.h5";
const WEIGHTS_NPZ: &str = "model.weights.npz";

/// Reads a `.keras` zip: `config.json` (required), `metadata.json`, and the weights member
/// parsed in place when stored uncompressed.
pub(crate) fn read_zip(source: &Source, limits: &Limits) -> Result<KerasFile> {
    let mut zip = ZipFile::open(source, limits)?;
    let mut file = KerasFile::new(Format::KerasZip);
    file.zip_members = zip.members.clone();
    file.zip_duplicate_names = zip.duplicate_names.clone();

    let config_member = zip.member("config.json").cloned().ok_or_else(|| {
        Error::keras(KerasProblem::MissingConfigJson {
            members: first_members(&zip),
        })
    })?;
    let config = parse_json(&zip.read(&config_member)?, "config.json", limits)?;
    if !config.is_object() {
        return Err(Error::keras(KerasProblem::NotAnObject {
            what: "config.json".into(),
        }));
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
        let h5 = H5File::open(bytes, limits).map_err(|e| e.in_part(FilePart::WeightsH5))?;
        read_h5io_into(&h5, "", &mut file)?;
        file.hdf5_bytes_read += h5.bytes_read();
    } else if let Some(member) = zip.member(WEIGHTS_NPZ).cloned() {
        let bytes = zip.read(&member)?;
        if !bytes.starts_with(b"PK") {
            // Not an npz: NumPy's loader would take a pickle here (allow_pickle aside).
            file.pickles
                .push(super::pickle_stream(WEIGHTS_NPZ.to_string(), &bytes));
        }
        if let Err(e) = read_npz(bytes, limits, &mut file) {
            file.notes.push(ReadNote {
                kind: NoteKind::WeightsNotRead,
                layer: None,
                message: format!("the weights could not be read: {e}"),
            });
        }
    } else {
        file.notes.push(ReadNote {
            kind: NoteKind::NoWeights,
            layer: None,
            message: format!("no {WEIGHTS_H5} member: the archive stores no weights"),
        });
    }
    Ok(file)
}

/// Reads `model.weights.npz` (Keras' `NpzIOStore`): one `.npy` per object path
/// (`layers/dense.npy`), each a pickled dict of the object's variables in order. The pickles
/// are read statically ([`crate::container::pickle`]): their imports are kept for the audit
/// and the arrays they rebuild become the tensors `<path>/vars/N`, recorded like an
/// H5IOStore's for [`crate::bind`] to name.
fn read_npz(bytes: Vec<u8>, limits: &Limits, file: &mut KerasFile) -> Result<()> {
    let source = Source::from_vec(bytes);
    let mut npz = ZipFile::open(&source, limits).map_err(|e| e.in_part(FilePart::WeightsNpz))?;
    let keys: HashMap<String, Value> = match &file.model_config {
        Some(model) => keras3_keys(model)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect(),
        None => HashMap::default(),
    };
    let mut known_layers: HashSet<String> = file.layer_names.iter().cloned().collect();
    for member in npz.members.clone() {
        let data = npz
            .read(&member)
            .map_err(|e| e.in_part(FilePart::WeightsNpz))?;
        let object = member.name.strip_suffix(".npy").unwrap_or(&member.name);
        let location = format!("{WEIGHTS_NPZ}:{}", member.name);
        let header = npy::header(&data).map_err(|message| {
            Error::keras(KerasProblem::NpyHeader { message })
                .in_part(FilePart::NpzMember(member.name.clone()))
        })?;
        // (shape, dtype, bytes stored) of each array, in order.
        let arrays: Vec<(Vec<u64>, String, Option<u64>)> = if header.descr.contains('O') {
            let body = &data[header.data_offset..];
            let scan = pickle::scan(body);
            file.pickles
                .push(super::pickle_stream(location.clone(), body));
            scan.arrays
                .into_iter()
                .filter(|a| a.dtype != "object")
                .map(|a| (a.shape, a.dtype, a.data_bytes))
                .collect()
        } else {
            let stored = (data.len() - header.data_offset) as u64;
            vec![(
                header.shape,
                pickle::numpy_dtype(&header.descr),
                Some(stored),
            )]
        };
        let segments: Vec<&str> = object.split('/').collect();
        let role = match segments.first().copied() {
            Some("optimizer") => TensorRole::Optimizer,
            Some("metrics") => TensorRole::Metric,
            Some("__root__") | Some("vars") => TensorRole::Model,
            _ => TensorRole::Layer,
        };
        let in_layers = segments.len() >= 2 && is_layers_segment(segments[0]);
        let entry = if in_layers {
            keys.get(segments[1])
        } else {
            None
        };
        for (index, (shape, dtype, stored_bytes)) in arrays.into_iter().enumerate() {
            let mut t = tensor(
                role,
                None,
                crate::container::hdf5::DatasetInfo {
                    path: format!("{location}/{index}"),
                    shape,
                    dtype,
                    stored_bytes,
                    location: Default::default(),
                },
            );
            t.name = format!("vars/{index}");
            if role == TensorRole::Layer && in_layers {
                let key = segments[1];
                let owner = &segments[2..];
                let name = entry
                    .and_then(|e| layer_name(e))
                    .map_or_else(|| key.to_string(), str::to_string);
                t.owner = owner.join("/");
                if entry.is_some() {
                    file.stored_vars.push(StoredVar {
                        tensor: file.tensors.len(),
                        key: key.to_string(),
                        owner: owner.iter().map(|s| s.to_string()).collect(),
                        index,
                    });
                }
                if known_layers.insert(name.clone()) {
                    file.layer_names.push(name.clone());
                }
                t.layer = Some(name);
            }
            file.tensors.push(t);
        }
    }
    Ok(())
}

fn first_members(zip: &ZipFile) -> Vec<String> {
    zip.members
        .iter()
        .take(10)
        .map(|m| m.name.clone())
        .collect()
}

/// `.keras` archives are Keras 3, or tf.keras ≥ 2.12 when metadata says `2.x`.
fn keras3_dialect(version: Option<&str>) -> Dialect {
    match version {
        Some(v) if v.starts_with("2.") => Dialect::TfKeras,
        _ => Dialect::Keras3,
    }
}

/// Reads a standalone H5IOStore weights file (no config inside).
pub(crate) fn read_h5io(h5: &H5File, format: Format, config: Option<Value>) -> Result<KerasFile> {
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
    let logicals: Vec<String> = walk
        .datasets
        .iter()
        .map(|info| info.path.replace('\\', "/"))
        .collect();
    let renames = match &file.model_config {
        Some(model)
            if logicals
                .iter()
                .any(|p| p.starts_with("_layer_checkpoint_dependencies/")) =>
        {
            let objects: Vec<String> = logicals
                .iter()
                .map(|p| {
                    p.rsplit_once("/vars/")
                        .map_or(p.as_str(), |(o, _)| o)
                        .to_string()
                })
                .collect();
            tfk213_renames(model, &objects)
        }
        _ => HashMap::default(),
    };
    for (info, stored_logical) in walk.datasets.into_iter().zip(logicals) {
        let logical = renamed(&stored_logical, &renames);
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
            // The stored top-level key (before any 2.13 renaming) locates the raw group.
            let stored_top = stored_logical
                .split('/')
                .take(top)
                .collect::<Vec<_>>()
                .join("/")
                .len();
            let raw_top = t.path[prefix.len()..]
                .get(..stored_top)
                .unwrap_or(&t.path[prefix.len()..]);
            t.layer = Some(match entry.and_then(layer_name) {
                Some(name) => name.to_string(),
                None => stored_layer_name(h5, raw_top).unwrap_or_else(|| key.to_string()),
            });
            t.owner = owner.join("/");
            if entry.is_some()
                && let Ok(index) = var.parse::<usize>()
            {
                file.stored_vars.push(StoredVar {
                    tensor: file.tensors.len() + new_tensors.len(),
                    key: key.to_string(),
                    owner: owner.iter().map(|s| s.to_string()).collect(),
                    index,
                });
            }
            if let Some(layer) = &t.layer
                && known_layers.insert(layer.clone())
            {
                file.layer_names.push(layer.clone());
            }
        }
        new_tensors.push(t);
    }
    mark_spectral_copies(&mut new_tensors);
    file.tensors.extend(new_tensors);
    Ok(())
}

/// Keras 3 SpectralNormalization saves the wrapped layer's kernel twice: as the wrapper's
/// own `vars/0` and as `layer/vars/0` (FORMATS §5.2); `count_params()` counts it once. Told
/// from the object paths alone (the class-named key, the two paths, the same shape), so a
/// weights-only file without its config counts it once too.
fn mark_spectral_copies(tensors: &mut [super::Tensor]) {
    let logical = |t: &super::Tensor| t.path.rsplit(':').next().unwrap_or("").replace('\\', "/");
    let by_path: HashMap<String, usize> = tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (logical(t), i))
        .collect();
    let mut copies = Vec::new();
    for (i, t) in tensors.iter().enumerate() {
        let path = logical(t);
        let Some(wrapper) = path.strip_suffix("/vars/0") else {
            continue;
        };
        let is_spectral = wrapper.rsplit('/').next().is_some_and(|key| {
            key.strip_prefix("spectral_normalization").is_some_and(|n| {
                n.is_empty()
                    || n.strip_prefix('_')
                        .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
            })
        });
        if !is_spectral {
            continue;
        }
        let inner = format!("{wrapper}/layer/vars/0");
        if let Some(original) = by_path.get(&inner).map(|&o| &tensors[o])
            && original.shape == t.shape
            && original.role == t.role
        {
            copies.push((i, original.path.clone()));
        }
    }
    for (i, original) in copies {
        tensors[i].copy_of = Some(original);
    }
}

/// `path` with its longest renamed layer prefix replaced (tf.keras 2.13 numbering undone: see
/// [`tfk213_renames`]).
pub(crate) fn renamed(path: &str, renames: &HashMap<String, String>) -> String {
    if !renames.is_empty() {
        let prefixes: Vec<&str> = layer_prefixes(path).collect();
        for prefix in prefixes.into_iter().rev() {
            if let Some(to) = renames.get(prefix) {
                return format!("{to}{}", &path[prefix.len()..]);
            }
        }
    }
    path.to_string()
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
pub(crate) fn read_sharded_index(
    source: &Source,
    path: Option<&Path>,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    let index = super::parse_json_source(source, "JSON file", limits)?;
    let Some(weight_map) = index.get("weight_map").and_then(Value::as_object) else {
        return Err(Error::not_keras(NotKerasReason::JsonWithoutWeightMap));
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
            return Err(Error::keras(KerasProblem::ShardNameNotPlain { shard }));
        }
        // A remote index finds its shards beside it in the same store; a local one (or
        // standard input) in its folder.
        let shard_source = match (path, source.sibling(&shard)) {
            (None, Some(opened)) => opened,
            _ => Source::open(&folder.join(&shard)),
        }
        .map_err(|source| {
            Error::keras(KerasProblem::ShardUnreadable {
                shard: shard.clone(),
                source,
            })
        })?;
        let h5 = H5File::open(shard_source.whole(), limits)
            .map_err(|e| e.in_part(FilePart::Shard(shard.clone())))?;
        read_h5io_into(&h5, &format!("{shard}:"), &mut file)?;
        file.hdf5_bytes_read += h5.bytes_read();
        file.shards.push(shard);
    }
    Ok(file)
}
