//! The legacy HDF5 family (FORMATS.md §2): full models and weights-only files from Keras 1,
//! Keras 2, tf.keras and Keras 3 `model.save("x.h5")`, and Keras 0.x weight files.
//!
//! Layers are identified by their `layer_names` group and weights by resolving each
//! `weight_names` entry relative to that group — never by walking for datasets, and never by
//! trusting a weight name's prefix (TensorFlow uniquifies scopes: `conv1_1/kernel:0` in `conv1`).

use crate::{Map as HashMap, Set as HashSet};

use super::{
    Format, KerasFile, NoteKind, ReadNote, TensorRole, parse_json, strip_tf_suffix, tensor,
};
use crate::container::hdf5::{DatasetInfo, H5File, H5Group, Hdf5Hazard, join};
use crate::error::{Error, KerasProblem, Result};
use crate::model::Dialect;

/// Keras 1 short weight names, found as `<layer>_<short>` (longest first when matching).
const KERAS1_SHORT_NAMES: &[&str] = &[
    "depthwise_kernel",
    "pointwise_kernel",
    "running_mean",
    "running_std",
    "moving_mean",
    "moving_variance",
    "W_carry",
    "b_carry",
    "embeddings",
    "t_right",
    "a_right",
    "t_left",
    "a_left",
    "alphas",
    "betas",
    "gamma",
    "beta",
    "kernel",
    "bias",
    "W_i",
    "U_i",
    "b_i",
    "W_c",
    "U_c",
    "b_c",
    "W_f",
    "U_f",
    "b_f",
    "W_o",
    "U_o",
    "b_o",
    "W_z",
    "U_z",
    "b_z",
    "W_r",
    "U_r",
    "b_r",
    "W_h",
    "U_h",
    "b_h",
    "W",
    "U",
    "b",
];

/// Reads a legacy full-model or weights-only file.
pub fn read(h5: &H5File, format: Format) -> Result<KerasFile> {
    let limits = h5.limits();
    let root = h5.root()?;
    let mut file = KerasFile::new(format);

    if let Some(text) = root.string_attribute_bytes("model_config")? {
        let config = parse_json(&text, "model_config", limits)?;
        if !config.is_object() {
            return Err(Error::keras(KerasProblem::NotAnObject {
                what: "model_config".into(),
            }));
        }
        file.model_config = Some(config);
    }
    if let Some(text) = root.string_attribute_bytes("training_config")? {
        match parse_json(&text, "training_config", limits) {
            Ok(config) => file.training_config = Some(config),
            Err(e) => file.notes.push(ReadNote {
                kind: NoteKind::BadMetadata,
                layer: None,
                message: e.to_string(),
            }),
        }
    }

    let weights_group = match format {
        Format::LegacyH5Full => Some(
            h5.group("model_weights")?
                .ok_or_else(|| Error::keras(KerasProblem::MissingModelWeights))?,
        ),
        _ => None,
    };
    let weights_root = weights_group.as_ref().unwrap_or(&root);
    file.keras_version = match root.string_attribute("keras_version")? {
        Some(v) => Some(v),
        None => weights_root.string_attribute("keras_version")?,
    };
    file.backend = match root.string_attribute("backend")? {
        Some(b) => Some(b),
        None => weights_root.string_attribute("backend")?,
    };
    file.dialect = Dialect::from_keras_version(file.keras_version.as_deref());

    // One walk of the whole file: every dataset's metadata, and every link, alias or external
    // storage, which are recorded and never followed.
    let walk = h5.walk("")?;
    file.hdf5_hazards = walk.hazards;
    let mut datasets: HashMap<String, DatasetInfo> = walk
        .datasets
        .into_iter()
        .map(|info| (info.path.clone(), info))
        .collect();
    let mut addresses: HashMap<String, u64> = walk
        .groups
        .into_iter()
        .zip(walk.group_addresses.iter().copied())
        .collect();
    // A group reached by a second hard link is walked once, under its first path.
    for hazard in &file.hdf5_hazards {
        if let Hdf5Hazard::Alias {
            path,
            first_seen_at,
        } = hazard
            && let Some(&address) = addresses.get(first_seen_at.as_str())
        {
            addresses.insert(path.clone(), address);
        }
    }

    file.layer_names = weights_root
        .chunked_strings_attribute("layer_names")?
        .ok_or_else(|| Error::keras(KerasProblem::MissingLayerNames))?;
    let mut listed: HashSet<String> = HashSet::default();
    let mut listing = None;
    let links: HashSet<String> = file
        .hdf5_hazards
        .iter()
        .filter_map(|h| match h {
            Hdf5Hazard::SoftLink { path, .. } | Hdf5Hazard::ExternalLink { path, .. } => {
                Some(path.clone())
            }
            _ => None,
        })
        .collect();
    for layer in file.layer_names.clone() {
        let (path, names) =
            layer_weight_names(h5, weights_root, &layer, &addresses, &links, &mut listing)?
                .ok_or_else(|| {
                    Error::keras(KerasProblem::LayerWithoutGroup {
                        layer: layer.clone(),
                    })
                })?;
        read_layer_weights(
            h5,
            &path,
            names,
            &layer,
            &mut datasets,
            &mut listed,
            &mut file,
        )?;
    }
    let top_level = layer_weight_names(
        h5,
        weights_root,
        "top_level_model_weights",
        &addresses,
        &links,
        &mut listing,
    )?;
    if let Some((group_path, names)) = top_level {
        for name in names {
            let path = join(&group_path, &name);
            if let Some(info) = take_dataset(h5, &mut datasets, &path)? {
                let mut t = tensor(TensorRole::Model, None, info);
                t.name = strip_tf_suffix(&name).to_string();
                file.tensors.push(t);
                listed.insert(path);
            }
        }
    }

    // What is left: optimizer state, and datasets no weight_names entry lists.
    let mut rest: Vec<DatasetInfo> = datasets.into_values().collect();
    rest.sort_by(|a, b| a.path.cmp(&b.path));
    for info in rest {
        if info.path.starts_with("optimizer_weights/") {
            let mut t = tensor(TensorRole::Optimizer, None, info);
            t.name = t.path["optimizer_weights/".len()..].to_string();
            file.tensors.push(t);
        } else if !listed.contains(&info.path) {
            file.notes.push(ReadNote {
                kind: NoteKind::UnlistedDataset,
                layer: None,
                message: format!(
                    "dataset /{} ({:?} {}) is stored but no weight_names entry lists it",
                    info.path, info.shape, info.dtype
                ),
            });
        }
    }
    Ok(file)
}

/// A layer group's path and `weight_names`, `None` when there is no such group. Read without
/// the reader when the walk met the group and its header is a plain one holding fixed-length
/// names (the usual case); otherwise through the reader's group, listed once for all layers.
fn layer_weight_names(
    h5: &H5File,
    weights_root: &H5Group,
    name: &str,
    addresses: &HashMap<String, u64>,
    links: &HashSet<String>,
    listing: &mut Option<HashMap<String, H5Group>>,
) -> Result<Option<(String, Vec<String>)>> {
    let path = join(&weights_root.path, name);
    match addresses.get(path.as_str()) {
        Some(&address) => {
            if let Some(names) = h5.lean_chunked_strings_attribute(address, "weight_names") {
                return Ok(Some((path, names.unwrap_or_default())));
            }
        }
        // The walk met every group reached by hard links: another name is a group only
        // through a link, which the reader resolves.
        None if !links.contains(path.as_str()) => return Ok(None),
        None => {}
    }
    let listing = listing.get_or_insert_with(|| weights_root.child_groups().unwrap_or_default());
    let group = match listing.remove(name) {
        Some(group) => Some(group),
        None => weights_root.child_group(name)?,
    };
    match group {
        Some(group) => {
            let names = group
                .chunked_strings_attribute("weight_names")?
                .unwrap_or_default();
            Ok(Some((group.path, names)))
        }
        None => Ok(None),
    }
}

fn read_layer_weights(
    h5: &H5File,
    group_path: &str,
    names: Vec<String>,
    layer: &str,
    datasets: &mut HashMap<String, DatasetInfo>,
    listed: &mut HashSet<String>,
    file: &mut KerasFile,
) -> Result<()> {
    for listed_name in names {
        // HDF5 resolves `a//b` as `a/b`, and tf.keras loads each weight by that lookup
        // (`res_net//conv2d_1/kernel:0` from a nested layer with an empty name, tf.keras 2.9).
        let weight_name = hdf5_path(&listed_name);
        let path = join(group_path, &weight_name);
        let is_virtual = file.hdf5_hazards.iter().any(
            |h| matches!(h, crate::container::hdf5::Hdf5Hazard::VirtualDataset { path: p } if *p == path),
        );
        if is_virtual {
            continue; // never opened; reported as a hazard
        }
        match take_dataset(h5, datasets, &path)? {
            Some(info) => {
                let (owner, name) = split_weight_name(&weight_name, file.dialect);
                let mut t = tensor(TensorRole::Layer, Some(layer.to_string()), info);
                t.owner = owner;
                t.name = name;
                file.tensors.push(t);
                listed.insert(path);
            }
            None => file.notes.push(ReadNote {
                kind: NoteKind::WeightWithoutDataset,
                layer: Some(layer.to_string()),
                message: format!(
                    "weight {weight_name:?} is listed in weight_names but has no dataset"
                ),
            }),
        }
    }
    Ok(())
}

/// A relative name as HDF5 resolves it: empty components (`a//b`, a trailing `/`) dropped.
/// An absolute name (leading `/`, resolved from the file's root) is left as it is.
fn hdf5_path(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.starts_with('/') && (name.contains("//") || name.ends_with('/')) {
        let parts: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
        std::borrow::Cow::Owned(parts.join("/"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The dataset at `path`, from the walk (or looked up directly when the walk reached it by
/// another path).
fn take_dataset(
    h5: &H5File,
    datasets: &mut HashMap<String, DatasetInfo>,
    path: &str,
) -> Result<Option<DatasetInfo>> {
    match datasets.remove(path) {
        Some(info) => Ok(Some(info)),
        None => h5.dataset(path),
    }
}

/// Splits a stored weight name into (owner scope, short name): `lstm/lstm_cell/kernel:0` →
/// (`lstm/lstm_cell`, `kernel`); Keras 1 `forward_lstm_1_W_i:0` → (`forward_lstm_1`, `W_i`).
pub(crate) fn split_weight_name(weight_name: &str, dialect: Dialect) -> (String, String) {
    let base = strip_tf_suffix(weight_name);
    if let Some((owner, short)) = base.rsplit_once('/') {
        return (owner.to_string(), strip_tf_suffix(short).to_string());
    }
    if dialect == Dialect::Keras1 || !base.contains('/') {
        for short in KERAS1_SHORT_NAMES {
            if let Some(owner) = base.strip_suffix(short).and_then(|o| o.strip_suffix('_')) {
                return (owner.to_string(), (*short).to_string());
            }
        }
    }
    (String::new(), base.to_string())
}

/// Keras 0.x weights: `layer_N/param_M` datasets under a root with `nb_layers` (no names).
pub(crate) fn read_keras0(h5: &H5File) -> Result<KerasFile> {
    let mut file = KerasFile::new(Format::Keras0Weights);
    let walk = h5.walk("")?;
    file.hdf5_hazards = walk.hazards;
    let mut datasets = walk.datasets;
    let index = |s: &str, prefix: &str| -> u64 {
        s.strip_prefix(prefix)
            .and_then(|n| n.parse().ok())
            .unwrap_or(u64::MAX)
    };
    datasets.sort_by_key(|d| {
        let (layer, param) = d.path.split_once('/').unwrap_or((&d.path, ""));
        (
            index(layer, "layer_"),
            index(param, "param_"),
            d.path.clone(),
        )
    });
    let mut known = HashSet::default();
    for info in datasets {
        let (layer, name) = match info.path.split_once('/') {
            Some((layer, name)) => (layer.to_string(), name.to_string()),
            None => (String::new(), info.path.clone()),
        };
        if known.insert(layer.clone()) {
            file.layer_names.push(layer.clone());
        }
        let mut t = tensor(TensorRole::Layer, Some(layer), info);
        t.name = name;
        file.tensors.push(t);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_names_resolve_as_hdf5_paths() {
        assert_eq!(
            hdf5_path("res_net//conv2d_1/kernel:0"),
            "res_net/conv2d_1/kernel:0"
        );
        assert_eq!(hdf5_path("a/b/"), "a/b");
        assert_eq!(hdf5_path("dense/kernel:0"), "dense/kernel:0");
        assert_eq!(hdf5_path("/abs//x"), "/abs//x");
    }

    #[test]
    fn weight_names_of_every_generation_split_into_scope_and_short_name() {
        // Names as they appear in real files (FORMATS.md §2.3).
        let cases = [
            ("dense_1/kernel:0", Dialect::Keras2, "dense_1", "kernel"),
            ("conv1_1/kernel:0", Dialect::Keras2, "conv1_1", "kernel"),
            (
                "lstm/lstm_cell/kernel:0",
                Dialect::TfKeras,
                "lstm/lstm_cell",
                "kernel",
            ),
            (
                "sequential_4/batch_normalization_4/beta",
                Dialect::Keras3,
                "sequential_4/batch_normalization_4",
                "beta",
            ),
            ("dense_1_W:0", Dialect::Keras1, "dense_1", "W"),
            ("dense_1_W", Dialect::Keras1, "dense_1", "W"),
            ("lstm_1_W_i:0", Dialect::Keras1, "lstm_1", "W_i"),
            (
                "forward_lstm_1_b_o:0",
                Dialect::Keras1,
                "forward_lstm_1",
                "b_o",
            ),
            (
                "batchnormalization_73_running_std:0",
                Dialect::Keras1,
                "batchnormalization_73",
                "running_std",
            ),
            ("param_0", Dialect::Keras1, "", "param_0"),
        ];
        for (stored, dialect, owner, short) in cases {
            assert_eq!(
                split_weight_name(stored, dialect),
                (owner.to_string(), short.to_string()),
                "{stored}"
            );
        }
    }
}
