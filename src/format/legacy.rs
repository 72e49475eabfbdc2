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
use crate::container::hdf5::{DatasetInfo, H5File, H5Group, join};
use crate::error::{Error, Result};
use crate::layers::Dialect;

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
            return Err(Error::Keras("model_config is not a JSON object".into()));
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
        Format::LegacyH5Full => Some(h5.group("model_weights")?.ok_or_else(|| {
            Error::Keras("model_config is present but the model_weights group is missing".into())
        })?),
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

    file.layer_names = weights_root
        .chunked_strings_attribute("layer_names")?
        .ok_or_else(|| Error::Keras("model_weights has no layer_names attribute".into()))?;
    let mut listed: HashSet<String> = HashSet::default();
    // One listing of the layer groups; a name it lacks (or a listing that fails) is looked up
    // on its own.
    let mut layer_groups = weights_root.child_groups().unwrap_or_default();
    for layer in file.layer_names.clone() {
        let group = match layer_groups.remove(&layer) {
            Some(group) => group,
            None => weights_root.child_group(&layer)?.ok_or_else(|| {
                Error::Keras(format!(
                    "layer {layer:?} is listed in layer_names but has no group"
                ))
            })?,
        };
        read_layer_weights(h5, &group, &layer, &mut datasets, &mut listed, &mut file)?;
    }
    let top_level = match layer_groups.remove("top_level_model_weights") {
        Some(group) => Some(group),
        None => weights_root.child_group("top_level_model_weights")?,
    };
    if let Some(group) = top_level {
        for name in group
            .chunked_strings_attribute("weight_names")?
            .unwrap_or_default()
        {
            let path = join(&group.path, &name);
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

fn read_layer_weights(
    h5: &H5File,
    group: &H5Group,
    layer: &str,
    datasets: &mut HashMap<String, DatasetInfo>,
    listed: &mut HashSet<String>,
    file: &mut KerasFile,
) -> Result<()> {
    let names = group
        .chunked_strings_attribute("weight_names")?
        .unwrap_or_default();
    for weight_name in names {
        let path = join(&group.path, &weight_name);
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
pub fn split_weight_name(weight_name: &str, dialect: Dialect) -> (String, String) {
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
pub fn read_keras0(h5: &H5File) -> Result<KerasFile> {
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
