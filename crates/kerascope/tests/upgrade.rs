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

/// The bytes a tensor stores (offsets from the start of the file: of the archive, for a
/// `.keras` member).
fn stored_bytes(handle: &std::fs::File, t: &kerascope::format::Tensor) -> Vec<u8> {
    match &t.location {
        DataLocation::Contiguous { offset, size } => {
            let mut buf = vec![0u8; usize::try_from(*size).unwrap()];
            handle.read_exact_at(&mut buf, *offset).unwrap();
            buf
        }
        DataLocation::Compact(bytes) => bytes.clone(),
        other => panic!("{}: {other:?}", t.path),
    }
}

fn tensor_bytes(path: &Path, file: &KerasFile) -> Vec<(String, Vec<u64>, String, Vec<u8>)> {
    let handle = std::fs::File::open(path).unwrap();
    let mut out: Vec<_> = file
        .tensors_of(TensorRole::Layer)
        .map(|t| {
            let bytes = stored_bytes(&handle, t);
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

/// The copy at `output`, read, after `compat` found nothing that stops Keras 3 loading it.
fn read_copy_keras3_loads(name: &str, output: &Path, limits: &Limits) -> KerasFile {
    let copy = read_path(output, limits).unwrap();
    let verdict = kerascope::compat::assess(&copy, output, kerascope::compat::Target::Keras3);
    assert!(
        verdict.blockers.is_empty(),
        "{name}: {:?}",
        verdict.blockers
    );
    copy
}

/// The corpus files tf_keras 2.21 loads and Keras 3.15.1 refuses (corpus truth), by name, with
/// their paths; `None` without ../shared/corpus.
fn corpus_files_keras3_refuses() -> Option<Vec<(String, PathBuf)>> {
    let corpus = root().join("../shared/corpus");
    let entries = std::fs::read_dir(corpus.join("truth")).ok()?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if truth["tf_keras_load"]["loaded"] == true && truth["keras3_load"]["loaded"] == false {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            files.push((name.clone(), corpus.join("files").join(name)));
        }
    }
    Some(files)
}

/// The corpus is never loaded with Keras: there, each copy is checked by `compat` and by its
/// weights, byte for byte.
#[test]
fn corpus_files_keras3_refuses_are_upgraded_statically() {
    let Some(files) = corpus_files_keras3_refuses() else {
        eprintln!("../shared/corpus not found: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (mut upgraded, mut total) = (0, 0);
    for (name, input) in files {
        total += 1;
        let output = tmp.path().join(format!("{name}.h5"));
        if upgrade(&input, &output, false).is_err() {
            continue;
        }
        upgraded += 1;
        let limits = Limits::default();
        let copy = read_copy_keras3_loads(&name, &output, &limits);
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
    assert!(upgraded >= 12, "upgraded {upgraded} of {total}");
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

/// Each layer's stored tensors: (shape, dtype, bytes), sorted.
type PerLayer = std::collections::BTreeMap<String, Vec<(Vec<u64>, String, Vec<u8>)>>;

/// A stored layer's tensors as (shape, dtype, bytes), sorted, per layer name.
fn per_layer(path: &Path, file: &KerasFile) -> PerLayer {
    let mut layers: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    // Offsets are from the start of the file (of the archive, for a `.keras` member).
    let handle = std::fs::File::open(path).unwrap();
    for t in file.tensors_of(TensorRole::Layer) {
        let bytes = stored_bytes(&handle, t);
        layers
            .entry(t.layer.clone().unwrap_or_default())
            .or_default()
            .push((t.shape.clone(), t.dtype.clone(), bytes));
    }
    layers.values_mut().for_each(|v| v.sort());
    layers
}

fn summary_totals(path: &Path) -> (u64, u64, u64) {
    let analysis = kerascope::analysis::analyze_path(path, &kerascope::Options::default()).unwrap();
    let s = kerascope::summary::build(&analysis);
    (s.total_params, s.trainable_params, s.non_trainable_params)
}

fn error_findings(path: &Path) -> Vec<String> {
    let analysis = kerascope::analysis::analyze_path(path, &kerascope::Options::default()).unwrap();
    analysis
        .findings
        .iter()
        .filter(|f| f.severity >= kerascope::audit::Severity::Error)
        .map(|f| format!("{} {}", f.code, f.message))
        .collect()
}

/// `upgrade X.h5 -o X.keras` writes Keras 3's own archive. For every legacy fixture tf_keras
/// loads (and fixtures/compat/layouts/, more layer classes with weights),
/// `scripts/make_compat.py --stage upgrade-keras` wrote that copy and Keras 3.15.1
/// loaded it (fixtures/compat/upgrades_keras.json): its parameter count, weights and outputs
/// on a fixed input against tf_keras 2.21 loading the original. Here: this build writes the
/// same copies, and kerascope reads each back with that count, the original's weights layer
/// by layer, byte for byte, and the original's totals.
#[test]
fn legacy_files_upgraded_to_keras_archives_load_in_keras3_as_the_original() {
    let dir = root().join("fixtures/compat");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("upgrades_keras.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let (mut written, mut total) = (0, 0);
    for (name, expected) in truth["files"].as_object().unwrap() {
        total += 1;
        let input = dir.join(name);
        // `layouts/tfk_conv3d.h5` (more layer classes, tf_keras 2.21) → `layouts_tfk_conv3d.keras`.
        let output = tmp
            .path()
            .join(name.replace('/', "_"))
            .with_extension("keras");
        let result = upgrade(&input, &output, false);
        assert_eq!(
            result.is_ok(),
            expected["upgraded"] == true,
            "{name}: {result:?}"
        );
        if result.is_err() {
            assert!(!output.exists(), "{name}");
            continue;
        }
        written += 1;
        // What Keras 3 did with the committed copy.
        for key in ["keras3_loads_upgraded", "same_weights", "same_outputs"] {
            assert_eq!(expected[key], true, "{name}: {key}");
        }
        assert_eq!(
            expected["count_params"], expected["original_count_params"],
            "{name}"
        );
        let copy = read_path(&output, &limits).unwrap();
        assert_eq!(copy.format, kerascope::format::Format::KerasZip, "{name}");
        // This run writes the config of the copy Keras 3 loaded.
        let committed_path = dir.join(expected["copy"].as_str().unwrap());
        let committed = read_path(&committed_path, &limits).unwrap();
        assert_eq!(copy.model_config, committed.model_config, "{name}");
        // Read back: Keras' count, the weights of what Keras compared it with (the original, or
        // for CuDNN weights the LSTM they were made from), the same totals, no error finding.
        let totals = summary_totals(&output);
        assert_eq!(Some(totals.0), expected["count_params"].as_u64(), "{name}");
        let original_path = dir.join(expected["original"].as_str().unwrap());
        let original = read_path(&original_path, &limits).unwrap();
        assert_eq!(
            per_layer(&output, &copy),
            per_layer(&original_path, &original),
            "{name}"
        );
        assert_eq!(totals, summary_totals(&original_path), "{name}");
        assert_eq!(error_findings(&output), Vec::<String>::new(), "{name}");
        // Each weight at the Keras 3 path (`layers/lstm/cell/vars/0`) of the copy Keras 3 loaded.
        assert_eq!(
            tensor_bytes(&output, &copy),
            tensor_bytes(&committed_path, &committed),
            "{name}"
        );
    }
    eprintln!("written as .keras: {written} of {total} legacy fixtures tf_keras loads");
    assert!(written > 0);
}

/// Every class the `.keras` writer trusts is held by a copy Keras 3 loaded as the original.
#[test]
fn every_verified_class_is_in_a_copy_keras3_loaded() {
    let dir = root().join("fixtures/compat");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("upgrades_keras.json")).unwrap()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    fn classes(value: &Value, out: &mut std::collections::BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(class)) = map.get("class_name") {
                    out.insert(class.clone());
                }
                map.values().for_each(|v| classes(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| classes(v, out)),
            _ => {}
        }
    }
    for expected in truth["files"].as_object().unwrap().values() {
        let loaded = ["keras3_loads_upgraded", "same_weights", "same_outputs"]
            .iter()
            .all(|k| expected[*k] == true);
        if !loaded {
            continue;
        }
        let copy = read_path(
            &dir.join(expected["copy"].as_str().unwrap()),
            &Limits::default(),
        )
        .unwrap();
        classes(copy.model_config.as_ref().unwrap(), &mut seen);
    }
    for class in kerascope::upgrade::keras_zip::VERIFIED_CLASSES {
        assert!(seen.contains(*class), "{class}: in no verified copy");
    }
}

/// The name says the format; a name that says none, or says another than asked, is refused.
#[test]
fn the_copy_s_name_chooses_its_format() {
    use kerascope::upgrade::{OutputFormat, Refusal, default_output, upgrade_to};
    let input = root().join("fixtures/compat/tfk_dense_init.h5");
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let keras = tmp.path().join("copy.keras");
    upgrade(&input, &keras, false).unwrap();
    assert_eq!(
        read_path(&keras, &limits).unwrap().format,
        kerascope::format::Format::KerasZip
    );
    let legacy = tmp.path().join("copy.h5");
    upgrade(&input, &legacy, false).unwrap();
    assert_eq!(
        read_path(&legacy, &limits).unwrap().format,
        kerascope::format::Format::LegacyH5Full
    );
    let unnamed = tmp.path().join("copy");
    assert!(matches!(
        upgrade(&input, &unnamed, false),
        Err(Refusal::OutputName)
    ));
    upgrade_to(&input, &unnamed, OutputFormat::Keras, false).unwrap();
    assert_eq!(
        std::fs::read(&unnamed).unwrap(),
        std::fs::read(&keras).unwrap()
    );
    assert!(matches!(
        upgrade_to(&input, &keras, OutputFormat::LegacyH5, false),
        Err(Refusal::NameAndFormat(..))
    ));
    assert_eq!(
        default_output(Path::new("m/model.h5"), OutputFormat::Keras),
        Path::new("m/model.keras")
    );
    assert_eq!(
        default_output(Path::new("model.keras"), OutputFormat::Keras),
        Path::new("model.upgraded.keras")
    );
}

/// The corpus, never loaded with Keras, written as `.keras`: each copy passes `compat` for
/// Keras 3 and stores the original's weights, layer by layer, byte for byte.
#[test]
fn corpus_files_keras3_refuses_are_written_as_keras_archives_statically() {
    let Some(files) = corpus_files_keras3_refuses() else {
        eprintln!("../shared/corpus not found: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let (mut written, mut total) = (0, 0);
    for (name, input) in files {
        total += 1;
        let output = tmp.path().join(format!("{name}.keras"));
        if upgrade(&input, &output, false).is_err() {
            assert!(!output.exists(), "{name}");
            continue;
        }
        written += 1;
        let copy = read_copy_keras3_loads(&name, &output, &limits);
        let original = read_path(&input, &limits).unwrap();
        assert_eq!(
            per_layer(&output, &copy),
            per_layer(&input, &original),
            "{name}"
        );
        assert_eq!(error_findings(&output), Vec::<String>::new(), "{name}");
    }
    eprintln!(
        "corpus: written as .keras {written} of {total} files tf_keras loads and Keras 3 refuses"
    );
    assert!(written >= 12, "written {written} of {total}");
}
