//! `upgrade` against Keras: every fixture Keras 3.15.1 refuses and tf_keras 2.21 (or the tf.keras
//! that wrote it) loads was upgraded by `scripts/make_compat.py --stage upgrade`, and each copy
//! loaded by Keras 3 with the parameter count and weights of that load of the original
//! (fixtures/compat/upgrades.json). Here: the same files get the same copies, weights untouched.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use kerascope::bind::read_path;
use kerascope::container::hdf5::DataLocation;
use kerascope::format::{KerasFile, TensorRole};
use kerascope::limits::Limits;
use kerascope::upgrade::upgrade;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn tensor_bytes(path: &Path, file: &KerasFile) -> Vec<(String, Vec<u64>, String, Vec<u8>)> {
    let handle = std::fs::File::open(path).unwrap();
    let mut out: Vec<_> = file
        .tensors_of(TensorRole::Layer)
        .map(|t| {
            let bytes = match &t.location {
                DataLocation::Contiguous { offset, size } => {
                    let mut buf = vec![0u8; usize::try_from(*size).unwrap()];
                    handle.read_exact_at(&mut buf, *offset).unwrap();
                    buf
                }
                DataLocation::Compact(bytes) => bytes.clone(),
                other => panic!("{}: {other:?}", t.path),
            };
            // By the layer and weight it belongs to: a tf.keras 2.13 archive's groups are
            // renamed in the copy (see `upgrade`), its weights are not.
            let key = format!(
                "{}/{}/{}",
                t.layer.as_deref().unwrap_or(""),
                t.owner,
                t.name
            );
            (key, t.shape.clone(), t.dtype.clone(), bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn upgraded_copies_load_in_keras3_with_the_same_weights() {
    let dir = root().join("fixtures/compat");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("upgrades.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (mut upgraded, mut total) = (0, 0);
    for (name, expected) in truth["files"].as_object().unwrap() {
        total += 1;
        let input = dir.join(name);
        let output = tmp.path().join(name);
        let result = upgrade(&input, &output, false);
        assert_eq!(
            result.is_ok(),
            expected["upgraded"] == true,
            "{name}: {result:?}"
        );
        if result.is_err() {
            continue;
        }
        upgraded += 1;
        // What Keras 3 did with the committed copy.
        assert_eq!(expected["keras3_loads_upgraded"], true, "{name}");
        assert_eq!(expected["same_weights"], true, "{name}");
        assert_eq!(
            expected["count_params"], expected["original_count_params"],
            "{name}"
        );
        // And computes what the original did on the generator's fixed input: the same
        // outputs, or within float32 rounding where Keras 3's kernels differ from tf.keras's.
        let diff = expected["outputs_max_abs_diff"].as_f64();
        assert!(diff.is_some_and(|d| d < 1e-6), "{name}: {diff:?}");
        // This run writes the same config as the copy Keras 3 loaded...
        let limits = Limits::default();
        let ours = read_path(&output, &limits).unwrap();
        let committed = read_path(&dir.join("upgraded").join(name), &limits).unwrap();
        assert_eq!(ours.model_config, committed.model_config, "{name}");
        // ...and leaves every weight as it was, byte for byte (CuDNN weights are converted:
        // Keras 3 loaded them as tf_keras loads the LSTM they were made from, upgrades.json),
        // and the converted weights are those of the committed copy Keras 3 loaded.
        let original = read_path(&input, &limits).unwrap();
        let converted = result
            .as_ref()
            .is_ok_and(|u| u.changes.iter().any(|c| c.contains("weights converted")));
        let reference = if converted {
            (dir.join("upgraded").join(name), committed)
        } else {
            (input.clone(), original)
        };
        assert_eq!(
            tensor_bytes(&output, &ours),
            tensor_bytes(&reference.0, &reference.1),
            "{name}"
        );
    }
    eprintln!("upgraded {upgraded} of {total} fixtures that tf_keras loads and Keras 3 refuses");
}

/// Where the meaning would change, nothing is written and the reason is given.
#[test]
fn a_lambda_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("out.h5");
    let refusal = upgrade(
        &root().join("fixtures/compat/tf215_lambda.h5"),
        &output,
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(refusal.contains("C105"), "{refusal}");
    assert!(!output.exists());
}

/// The corpus is never loaded with Keras: there, each copy is checked by `compat` and by its
/// weights, byte for byte.
#[test]
fn corpus_files_keras3_refuses_are_upgraded_statically() {
    let corpus = root().join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(corpus.join("truth")) else {
        eprintln!("../shared/corpus not found: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (mut upgraded, mut total) = (0, 0);
    for entry in entries {
        let path = entry.unwrap().path();
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if truth["tf_keras_load"]["loaded"] != true || truth["keras3_load"]["loaded"] != false {
            continue;
        }
        total += 1;
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let input = corpus.join("files").join(&name);
        let output = tmp.path().join(format!("{name}.h5"));
        if upgrade(&input, &output, false).is_err() {
            continue;
        }
        upgraded += 1;
        let limits = Limits::default();
        let copy = read_path(&output, &limits).unwrap();
        let verdict = kerascope::compat::assess(&copy, &output, kerascope::compat::Target::Keras3);
        assert!(
            verdict.blockers.is_empty(),
            "{name}: {:?}",
            verdict.blockers
        );
        let original = read_path(&input, &limits).unwrap();
        let stored = |f: &KerasFile, p: &Path| -> Vec<(Vec<u64>, String, Vec<u8>)> {
            let mut t: Vec<_> = tensor_bytes(p, f)
                .into_iter()
                .map(|(_, s, d, b)| (s, d, b))
                .collect();
            t.sort();
            t
        };
        assert_eq!(stored(&copy, &output), stored(&original, &input), "{name}");
    }
    eprintln!("corpus: upgraded {upgraded} of {total} files tf_keras loads and Keras 3 refuses");
    assert!(upgraded >= 10, "upgraded {upgraded} of {total}");
}

/// ThresholdedReLU becomes Keras 3's greater/cast/multiply ops, not `ReLU(threshold=theta)`:
/// run by the generator on -inf, -0.0, theta, nan..., the ops give tf_keras's bits and ReLU
/// does not (upgrades.json, `thresholded_relu`).
#[test]
fn thresholded_relu_is_written_as_the_ops_keras_finds_identical() {
    let dir = root().join("fixtures/compat");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("upgrades.json")).unwrap()).unwrap();
    let identical = &truth["thresholded_relu"]["bit_identical_to_tf_keras"];
    assert_eq!(
        identical["keras3 multiply(x, cast(greater(x, theta)))"],
        true
    );
    assert_eq!(identical["keras3 ReLU(threshold=theta)"], false);
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("out.h5");
    upgrade(&dir.join("tf215_thresholded_relu.h5"), &output, false).unwrap();
    let copy = read_path(&output, &Limits::default()).unwrap();
    let classes: Vec<&str> = copy.model_config.as_ref().unwrap()["config"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["class_name"].as_str())
        .collect();
    assert_eq!(
        classes,
        ["InputLayer", "Dense", "Greater", "Cast", "Multiply"]
    );
}
