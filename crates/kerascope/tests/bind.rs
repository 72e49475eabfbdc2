//! The binding step (issue #16): the reader keeps each Keras 3 dataset as stored (`vars/N`),
//! and [`kerascope::bind::bind`], once the layer rules are known, names it as Keras does.
//! Truth: every `.keras` fixture's `layers[].weights` (`layer.weights` of the Keras that wrote
//! it, `fixtures/truth/<file>.json`).

use std::path::{Path, PathBuf};

use kerascope::Limits;
use kerascope::bind::bind;
use kerascope::format::{KerasFile, TensorRole, read_path};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures")
}

/// `seq/dense/kernel:0` → `kernel`.
fn short_name(full: &str) -> &str {
    let last = full.rsplit('/').next().unwrap_or(full);
    last.split(':').next().unwrap_or(last)
}

/// Each layer of the truth: its name, its weight names in Keras and ours, sorted.
fn layer_names(truth: &Value, file: &KerasFile) -> Vec<(String, Vec<String>, Vec<String>)> {
    truth["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|layer| {
            let name = layer["name"].as_str().unwrap();
            let mut keras: Vec<String> = layer["weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| short_name(w["name"].as_str().unwrap()).to_string())
                .collect();
            let mut ours: Vec<String> = file
                .parameter_tensors()
                .filter(|t| t.layer.as_deref() == Some(name))
                .map(|t| t.name.clone())
                .collect();
            keras.sort();
            ours.sort();
            (name.to_string(), keras, ours)
        })
        .collect()
}

#[test]
fn the_reader_keeps_vars_n_and_binding_names_them_as_keras_does() {
    let mut files = 0;
    let mut named = 0;
    let mut compared = 0;
    let mut wrong = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures().join("truth"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = truth["file"].as_str().unwrap();
        if !name.ends_with(".keras") {
            continue;
        }
        let read = read_path(&fixtures().join(name), &Limits::default()).unwrap();
        // As stored: every layer dataset is still `vars/N`.
        let stored = |t: &&kerascope::format::Tensor| {
            t.role == TensorRole::Layer && t.path.contains("vars/")
        };
        let named_early: Vec<&str> = read
            .tensors
            .iter()
            .filter(stored)
            .filter(|t| !t.path.ends_with(&t.name))
            .map(|t| t.path.as_str())
            .collect();
        assert!(
            named_early.is_empty(),
            "{name}: named by the reader: {named_early:?}"
        );
        let mut file = read.clone();
        bind(&mut file);
        named += file
            .tensors
            .iter()
            .filter(stored)
            .filter(|t| !t.name.starts_with("vars/"))
            .count();
        // A subclassed model's config lists no layers: no rule knows its `vars/N`.
        let lists_layers = file
            .model_config
            .as_ref()
            .is_some_and(|c| c["config"]["layers"].is_array());
        for (layer, keras, ours) in layer_names(&truth, &file) {
            // Each stored weight is one of the layer's weights in Keras (Keras 3 saves a
            // LoRA-enabled layer's merged kernel and bias only).
            let mut left = keras.clone();
            let unmatched: Vec<&String> = ours
                .iter()
                .filter(|n| match left.iter().position(|k| k == *n) {
                    Some(at) => {
                        left.remove(at);
                        false
                    }
                    None => true,
                })
                .collect();
            if lists_layers && !unmatched.is_empty() {
                wrong.push(format!("{name} {layer}: ours {ours:?}, Keras {keras:?}"));
            }
            if lists_layers {
                compared += ours.len();
            }
        }
        // Binding twice changes nothing.
        let once: Vec<String> = file.tensors.iter().map(|t| t.name.clone()).collect();
        bind(&mut file);
        let twice: Vec<String> = file.tensors.iter().map(|t| t.name.clone()).collect();
        assert_eq!(once, twice, "{name}");
        files += 1;
    }
    assert!(files >= 10, "only {files} .keras fixtures");
    assert!(named >= 50, "only {named} datasets named");
    assert!(compared >= 100, "only {compared} stored weights compared");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
