//! Every real-world file in `../shared/corpus/` is read, and what kerascope finds equals what
//! h5py/zipfile and real Keras found (`truth/<file>.json`): the format, the stored version,
//! every weight, optimizer and metric dataset (path, shape, dtype), and each tensor's layer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kerascope::Limits;
use kerascope::bind::read_path;
use kerascope::format::{Format, KerasFile, TensorRole};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("../shared/corpus")
}

fn truths() -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    let dir = corpus_dir().join("truth");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let file = corpus_dir()
            .join("files")
            .join(truth["static"]["file"].as_str().unwrap());
        out.push((file, truth));
    }
    assert!(out.len() >= 40, "corpus truth files missing");
    out
}

type TensorKey = (String, Vec<u64>, String);

fn truth_tensors(list: &Value, strip: &str) -> Vec<TensorKey> {
    let mut out: Vec<TensorKey> = list
        .as_array()
        .map(|l| l.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            (
                path.strip_prefix(strip).unwrap_or(path).to_string(),
                d["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect(),
                d["dtype"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn our_tensors(file: &KerasFile, roles: &[TensorRole], strip: &str) -> Vec<TensorKey> {
    let mut out: Vec<TensorKey> = file
        .tensors
        .iter()
        .filter(|t| roles.contains(&t.role))
        .map(|t| {
            (
                t.path.strip_prefix(strip).unwrap_or(&t.path).to_string(),
                t.shape.clone(),
                t.dtype.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn format_name(format: Format) -> String {
    serde_json::to_value(format)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_corpus_file_reads_with_the_tensors_h5py_found() {
    let limits = Limits::default();
    let mut checked = 0;
    for (path, truth) in truths() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let stat = &truth["static"];
        let expected_format = stat["format"].as_str().unwrap();
        let result = read_path(&path, &limits);
        if expected_format == "not-hdf5-or-zip" {
            // A pickle is read statically for the audit; anything else is not Keras.
            match result {
                Ok(file) => assert_eq!(file.format, Format::Pickle, "{name}"),
                Err(e) => assert!(e.to_string().starts_with("not a Keras file"), "{name}: {e}"),
            }
            continue;
        }
        let file = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_format = expected_format.trim_end_matches("-nonstandard");
        assert_eq!(format_name(file.format), expected_format, "{name}: format");
        assert_eq!(
            file.keras_version.as_deref(),
            stat["keras_version"].as_str(),
            "{name}: keras_version"
        );

        let strip = if file.format == Format::LegacyH5Full {
            "model_weights/"
        } else {
            ""
        };
        assert_eq!(
            our_tensors(&file, &[TensorRole::Layer, TensorRole::Model], strip),
            truth_tensors(&stat["weight_datasets"], ""),
            "{name}: weight tensors"
        );
        assert_eq!(
            our_tensors(&file, &[TensorRole::Optimizer], ""),
            truth_tensors(&stat["optimizer_datasets"], ""),
            "{name}: optimizer tensors"
        );
        assert_eq!(
            our_tensors(&file, &[TensorRole::Metric], ""),
            truth_tensors(&stat["metrics_datasets"], ""),
            "{name}: metric tensors"
        );
        if let Some(total) = stat["total_weight_tensor_size"].as_u64() {
            assert_eq!(file.stored_params(), Some(total), "{name}: total");
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} corpus files checked");
}

/// Each tensor is attributed to the layer Keras says owns it: per top-level layer, the
/// elements attributed by kerascope equal that layer's `count_params()` in Keras (when a
/// Keras version could load the file), else the per-group sizes h5py found.
#[test]
fn every_corpus_tensor_is_attributed_to_the_layer_keras_says_owns_it() {
    let limits = Limits::default();
    let mut compared_layers = 0;
    for (path, truth) in truths() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(file) = read_path(&path, &limits) else {
            continue;
        };
        let mut ours: BTreeMap<String, u64> = BTreeMap::new();
        for t in file.tensors_of(TensorRole::Layer) {
            *ours.entry(t.layer.clone().unwrap_or_default()).or_default() += t.elements().unwrap();
        }
        ours.retain(|_, v| *v > 0);

        let loaded = ["keras3_load", "tf_keras_load"]
            .into_iter()
            .map(|k| &truth[k])
            .find(|l| l["loaded"].as_bool() == Some(true));
        let expected: BTreeMap<String, u64> = if let Some(loaded) = loaded {
            loaded["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["name"].as_str().unwrap().to_string(),
                        l["count_params"].as_u64().unwrap(),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect()
        } else if let Some(per_layer) = truth["static"]["per_layer_weights"].as_array() {
            per_layer
                .iter()
                .map(|l| {
                    (
                        l["layer"].as_str().unwrap().to_string(),
                        l["size"].as_u64().unwrap(),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect()
        } else {
            continue;
        };
        assert_eq!(ours, expected, "{name}: elements per layer");
        compared_layers += expected.len();
    }
    assert!(
        compared_layers > 150,
        "only {compared_layers} layers compared"
    );
}
