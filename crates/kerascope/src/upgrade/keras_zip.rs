//! A legacy model written as Keras 3's own `.keras` archive, as `keras/src/saving/saving_lib.py`
//! (Keras 3.15.1) lays one out: `metadata.json`, `config.json` (the model's serialized entry)
//! and `model.weights.h5`, an H5IOStore holding each layer's variables at
//! `layers/<key>/<sub-object>/vars/<N>`.
//!
//! - `<key>`: the layer's class snake-cased and made unique in `model.layers` order
//!   (`format::naming::keras3_keys`; what `_save_container_state` does with each layer's Python class).
//! - `<sub-object>`: the path of the object that owns the variable below the layer
//!   (`cell`, `forward_layer/cell`, `layers/dense` in a nested model), and `<N>` its place in
//!   that object's `_trainable_variables + _non_trainable_variables`: both as the layer rules
//!   declare them for Keras 3, the order the binding step names `vars/N` by (`bind::var_name`).
//! - Which stored tensor is which weight comes from the analysis that pairs a legacy file's
//!   `weight_names` with the rules' weights (`check`), so nothing here knows a layer class.
//!
//! Members are stored uncompressed, as Keras writes them, with a fixed date: the same input
//! gives the same bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use hdf5_pure::AttrValue;
use serde_json::{Value, json};

use super::{Refusal, Tree, cudnn, loads_in_keras3, rewrite, tensor_data};
use crate::analysis::analyze_with_limits;
use crate::bind::{read_path, var_name};
use crate::compat::Target;
use crate::compat::knowledge::for_target;
use crate::container::source::Source;
use crate::format::naming::{class_name, is_model, keras3_keys, layer_entries, layer_name};
use crate::format::{KerasFile, TensorRole};
use crate::layers::{Dialect, rule_for};
use crate::limits::Limits;

/// Layer classes owning weights whose Keras 3 layout a `.keras` copy has been checked against:
/// Keras 3.15.1 loaded copies holding them with every weight equal to tf_keras 2.21 loading the
/// original (`scripts/make_compat.py --stage upgrade-keras`, fixtures/compat/upgrades_keras.json;
/// `crates/kerascope/tests/upgrade.rs` fails on a class listed here that no copy there holds).
/// A layer of any other class with weights is refused: its layout is not verified. (ConvLSTM2D
/// is not listed: Keras 3 loads its copy with the same weights but computes other outputs.)
pub const VERIFIED_CLASSES: &[&str] = &[
    "BatchNormalization",
    "Bidirectional",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Embedding",
    "Functional",
    "GRU",
    "LSTM",
    "LayerNormalization",
    "MultiHeadAttention",
    "PReLU",
    "Sequential",
    "SimpleRNN",
    "TimeDistributed",
];

/// The weights member of a `.keras` archive.
const WEIGHTS_MEMBER: &str = "model.weights.h5";

/// Writes `output`, a `.keras` archive of the legacy model `file` (its config already rewritten
/// for Keras 3) with the weights `input` stores, CuDNN layouts converted (`conversions`). The
/// copy is read back and must load in Keras 3 as [`assess`] sees it, else it is removed.
pub(super) fn write(
    input: &Path,
    output: &Path,
    file: &KerasFile,
    conversions: &[(String, rewrite::Cudnn)],
    limits: &Limits,
) -> Result<(), Refusal> {
    let Some(model) = file.model_config.as_ref() else {
        return Err(Refusal::Format("a file without a model config"));
    };
    unverified_layers(model)?;
    let weights = weights_file(input, file, conversions, limits)?;
    let entry = model_entry(model)?;
    let config = serde_json::to_string(&entry).map_err(|e| Refusal::Write(e.to_string()))?;
    let metadata = json!({ "keras_version": for_target(Target::Keras3).facts.version });
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Refusal::Write(format!("{}: {what}: {e}", output.display()))
    };
    let target = std::fs::File::create(output).map_err(|e| failed("creating the copy", &e))?;
    let checked = archive(target, &metadata.to_string(), &config, &weights)
        .map_err(|e| failed("writing the copy", &e))
        .and_then(|()| read_back(output, file, limits));
    if checked.is_err() {
        let _ = std::fs::remove_file(output);
    }
    checked
}

/// The copy as kerascope reads it: Keras 3 loads it, and it stores as many tensors as the
/// original.
fn read_back(output: &Path, original: &KerasFile, limits: &Limits) -> Result<(), Refusal> {
    let copy = read_path(output, limits)?;
    // As `load_model` sees it under a `.keras` name (a copy named otherwise is renamed to load).
    loads_in_keras3(&copy, &output.with_extension("keras"))?;
    let stored = copy.tensors_of(TensorRole::Layer).count();
    let expected = original.tensors_of(TensorRole::Layer).count();
    if stored != expected {
        return Err(Refusal::Write(format!(
            "the copy reads back with {stored} weights, the original has {expected}"
        )));
    }
    Ok(())
}

/// `config.json`: the model's entry as `serialize_keras_object` writes it, the top level found
/// through its module (`deserialize_keras_object` looks a module-less class up only among
/// registered custom objects). The layers inside keep their form: Sequential and Functional
/// `from_config` send a module-less layer through the legacy loader, as a `.h5` file's.
fn model_entry(model: &Value) -> Result<Value, Refusal> {
    let class = class_name(model);
    let index = for_target(Target::Keras3);
    let Some(module) = index.module_for(class) else {
        return Err(Refusal::Layout(format!(
            "model class {class}: Keras 3 has no module for it"
        )));
    };
    let mut entry = model.clone();
    let Some(object) = entry.as_object_mut() else {
        return Err(Refusal::Format("a model config that is not an object"));
    };
    object.insert("module".into(), json!(module));
    object.insert("registered_name".into(), Value::Null);
    Ok(entry)
}

/// Refuses the file when a layer with weights, at any depth, is of a class whose Keras 3
/// layout is not verified (or has no rule to name its weights).
fn unverified_layers(model: &Value) -> Result<(), Refusal> {
    let mut refused = Vec::new();
    for entry in layer_entries(model) {
        visit(entry, &mut refused);
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(Refusal::Layout(refused.join(", ")))
}

fn visit(entry: &Value, refused: &mut Vec<String>) {
    let class = class_name(entry);
    let name = layer_name(entry).unwrap_or("?");
    if is_model(entry) {
        if !VERIFIED_CLASSES.contains(&class) {
            refused.push(format!("{name} (nested {class})"));
        }
        for inner in layer_entries(entry) {
            visit(inner, refused);
        }
        return;
    }
    // A Keras 3 operation written for a tf.keras op layer (`keras.src.ops.*`: `Relu`,
    // `Greater`, `Cast`, `Multiply`) is not a layer: it holds no state and has no key among
    // the saved layers.
    let operation = entry
        .get("module")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("keras.src.ops."));
    match rule_for(class) {
        _ if operation => {}
        Some(rule) if rule.weightless(class) => {}
        Some(_) if VERIFIED_CLASSES.contains(&class) => {}
        Some(_) => refused.push(format!("{name} ({class})")),
        None => refused.push(format!("{name} ({class}, no rule names its weights)")),
    }
    // Wrappers: the layers they hold.
    if let Some(config) = entry.get("config").and_then(Value::as_object) {
        for key in ["layer", "forward_layer", "backward_layer"] {
            if let Some(inner) = config.get(key).filter(|v| v.get("class_name").is_some()) {
                visit(inner, refused);
            }
        }
    }
}

/// One variable of the copy: its path below the root, shape, dtype, bytes.
type Variable = (String, Vec<u64>, String, Vec<u8>);

/// `model.weights.h5`: every layer's `vars` group (named, as Keras ≥ 3.6 does), and each stored
/// weight at its Keras 3 place.
fn weights_file(
    input: &Path,
    file: &KerasFile,
    conversions: &[(String, rewrite::Cudnn)],
    limits: &Limits,
) -> Result<Vec<u8>, Refusal> {
    let Some(model) = file.model_config.as_ref() else {
        return Err(Refusal::Format("a file without a model config"));
    };
    let keys = keras3_keys(model);
    let variables = variables(input, file, conversions, limits)?;
    let mut root = Tree::default();
    for (key, entry) in &keys {
        let vars = root.child(&format!("layers/{key}/vars"));
        vars.name = layer_name(entry).map(str::to_string);
    }
    for (path, shape, dtype, data) in variables {
        root.insert(&path, shape, dtype, data);
    }
    let mut builder = hdf5_pure::FileBuilder::new();
    let mut top = builder.create_group("vars");
    if let Some(name) = model
        .get("config")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
    {
        top.set_attr("name", AttrValue::String(name.to_string()));
    }
    builder.add_group(top.finish());
    for (name, node) in root.groups {
        let mut group = builder.create_group(&name);
        node.write(&mut group).map_err(Refusal::Write)?;
        builder.add_group(group.finish());
    }
    builder
        .finish()
        .map_err(|e| Refusal::Write(format!("{WEIGHTS_MEMBER}: {e}")))
}

/// Every stored weight of the legacy file at its Keras 3 path, CuDNN layouts converted.
fn variables(
    input: &Path,
    file: &KerasFile,
    conversions: &[(String, rewrite::Cudnn)],
    limits: &Limits,
) -> Result<Vec<Variable>, Refusal> {
    let Some(model) = file.model_config.as_ref() else {
        return Err(Refusal::Format("a file without a model config"));
    };
    let source =
        Source::open(input).map_err(|e| Refusal::Write(format!("{}: {e}", input.display())))?;
    // Which stored tensor is which weight of the (rewritten) config's rules.
    let analysis = analyze_with_limits(file.clone(), limits);
    let entries: BTreeMap<&str, (String, &Value)> = keras3_keys(model)
        .into_iter()
        .filter_map(|(key, entry)| Some((layer_name(entry)?, (key, entry))))
        .collect();
    let mut out = Vec::new();
    for check in &analysis.layers {
        let layer = check.name.as_str();
        // The layer's stored weights, in `weight_names` order (the order CuDNN converts in).
        let prefix = format!("model_weights/{layer}/");
        let mut stored = Vec::new();
        for t in file
            .tensors_of(TensorRole::Layer)
            .filter(|t| t.layer.as_deref() == Some(layer))
        {
            let data =
                tensor_data(&source, t).map_err(|e| Refusal::Write(format!("{}: {e}", t.path)))?;
            stored.push((t.path.clone(), t.shape.clone(), t.dtype.clone(), data));
        }
        if let Some((_, kind)) = conversions.iter().find(|(l, _)| l == layer) {
            let below: Vec<cudnn::Weight> = stored
                .into_iter()
                .map(|(p, s, d, b)| (p.strip_prefix(&prefix).unwrap_or(&p).to_string(), s, d, b))
                .collect();
            stored = cudnn::convert(below, *kind)
                .map_err(|e| Refusal::Write(format!("{layer}: {e}")))?
                .into_iter()
                .map(|(p, s, d, b)| (format!("{prefix}{p}"), s, d, b))
                .collect();
        }
        let Some((key, entry)) = entries.get(layer) else {
            if stored.is_empty() {
                continue;
            }
            return Err(Refusal::Layout(format!(
                "{layer}: weights stored for a layer Keras 3 does not save under layers/"
            )));
        };
        // Expected weights grouped by owning object, in the rule's order for the file.
        let mut owners: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for pair in &check.pairs {
            let (Some(expected), Some(tensor)) = (&pair.expected, &pair.stored) else {
                return Err(Refusal::Layout(format!(
                    "{layer}: {} does not pair with a weight of the config",
                    pair.stored
                        .as_ref()
                        .map(|t| t.path.clone())
                        .or_else(|| pair
                            .expected
                            .as_ref()
                            .map(|e| format!("{} (missing)", e.label())))
                        .unwrap_or_default()
                )));
            };
            let at = match owners.iter().position(|(o, _)| *o == expected.object_path) {
                Some(at) => at,
                None => {
                    owners.push((expected.object_path.clone(), Vec::new()));
                    owners.len() - 1
                }
            };
            owners[at]
                .1
                .push((expected.weight.name.clone(), tensor.path.clone()));
        }
        let paired: usize = owners.iter().map(|(_, w)| w.len()).sum();
        if paired != stored.len() {
            return Err(Refusal::Layout(format!(
                "{layer}: {} weights stored, {paired} paired with the config",
                stored.len()
            )));
        }
        for (owner, weights) in owners {
            let places = keras3_places(entry, &owner, &weights).ok_or_else(|| {
                Refusal::Layout(format!(
                    "{layer}: the Keras 3 order of {owner:?} weights is not known"
                ))
            })?;
            for ((_, path), n) in weights.iter().zip(places) {
                let Some(at) = stored.iter().position(|(p, ..)| p == path) else {
                    return Err(Refusal::Layout(format!("{layer}: {path} paired twice")));
                };
                let (_, shape, dtype, data) = stored.swap_remove(at);
                let object = if owner.is_empty() {
                    format!("layers/{key}")
                } else {
                    format!("layers/{key}/{owner}")
                };
                out.push((format!("{object}/vars/{n}"), shape, dtype, data));
            }
        }
    }
    let written = out.len();
    let total = file.tensors_of(TensorRole::Layer).count();
    if written != total {
        return Err(Refusal::Layout(format!(
            "{written} of the {total} stored weights have a place in the Keras 3 layout"
        )));
    }
    Ok(out)
}

/// The `vars/N` index, in Keras 3, of each of an owner's weights (named as the rule names them
/// for the file's dialect, in that order): by name where the Keras 3 names are the same ones,
/// by position where a dialect renamed them (`depthwise_kernel` → `kernel`).
fn keras3_places(entry: &Value, owner: &str, weights: &[(String, String)]) -> Option<Vec<usize>> {
    let segments: Vec<&str> = owner.split('/').filter(|s| !s.is_empty()).collect();
    let names: Vec<String> = (0..weights.len().checked_add(1)?)
        .map_while(|i| var_name(entry, &segments, i, Dialect::Keras3))
        .collect();
    if names.len() != weights.len() {
        return None;
    }
    let mut taken = vec![false; names.len()];
    let mut places = Vec::with_capacity(weights.len());
    for (name, _) in weights {
        match names
            .iter()
            .enumerate()
            .position(|(i, n)| !taken[i] && n == name)
        {
            Some(i) => {
                taken[i] = true;
                places.push(i);
            }
            None => break,
        }
    }
    if places.len() == weights.len() {
        return Some(places);
    }
    Some((0..weights.len()).collect())
}

/// The archive: its three members stored, dated 1980-01-01 as zip's epoch.
fn archive(
    target: std::fs::File,
    metadata: &str,
    config: &str,
    weights: &[u8],
) -> zip::result::ZipResult<()> {
    let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(target));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in [
        ("metadata.json", metadata.as_bytes()),
        ("config.json", config.as_bytes()),
        (WEIGHTS_MEMBER, weights),
    ] {
        let large = u32::try_from(bytes.len()).is_err();
        writer.start_file(name, options.large_file(large))?;
        writer.write_all(bytes)?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequential(layers: Value) -> Value {
        json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}})
    }

    #[test]
    fn a_layer_with_weights_of_an_unverified_class_is_refused_by_name() {
        let model = sequential(json!([
            {"class_name": "Dense", "config": {"name": "d", "units": 2}},
            {"class_name": "SeparableConv2D", "config": {"name": "c", "filters": 2, "kernel_size": [1, 1, 1]}},
            {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}},
        ]));
        let refusal = unverified_layers(&model).unwrap_err().to_string();
        assert!(refusal.contains("c (SeparableConv2D)"), "{refusal}");
        assert!(
            !refusal.contains("drop") && !refusal.contains("d (Dense)"),
            "{refusal}"
        );
    }

    #[test]
    fn wrapped_and_nested_layers_are_checked_too() {
        let wrapped = json!({"class_name": "TimeDistributed", "config": {"name": "t",
            "layer": {"class_name": "SeparableConv2D", "config": {"name": "inner", "filters": 1, "kernel_size": 1}}}});
        let nested = sequential(
            json!([{"class_name": "SeparableConv2D", "config": {"name": "deep", "filters": 1, "kernel_size": 1}}]),
        );
        let refusal = unverified_layers(&sequential(json!([wrapped, nested])))
            .unwrap_err()
            .to_string();
        assert!(
            refusal.contains("inner (SeparableConv2D)")
                && refusal.contains("deep (SeparableConv2D)"),
            "{refusal}"
        );
    }
}
