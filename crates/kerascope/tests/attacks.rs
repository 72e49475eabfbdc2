//! The attacks of issue 14 (`scripts/make_attacks.py`: models saved by Keras 3.15.1 and
//! tf_keras 2.21, then edited as an attacker would): serialized lambdas in every slot Keras
//! deserializes a function from, foreign modules everywhere, TFOpLambda symbols, pickles,
//! polyglots, HDF5 hazards without Keras structure. Each file gives exactly its planted
//! findings (code, severity, layer); the clean controls give no warning or error.

use std::path::{Path, PathBuf};

use kerascope::audit::Severity;
use kerascope::{Analysis, Options, analyze_path};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures/attacks")
}

fn analyze(path: &Path) -> Analysis {
    analyze_path(path, &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (code, severity, layer) of every finding of severity warning or error, sorted.
fn loud(analysis: &Analysis) -> Vec<(String, String, Option<String>)> {
    let mut found: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| {
            (
                f.code.to_string(),
                f.severity.as_str().to_string(),
                f.layer.clone(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn every_attack_gives_exactly_its_planted_findings_and_clean_files_none() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap();
    let cases = expected.as_array().unwrap();
    assert!(cases.len() >= 30, "attack set missing");
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let mut want: Vec<(String, String, Option<String>)> = case["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["layer"].as_str().map(str::to_string),
                )
            })
            .collect();
        want.sort();
        let analysis = analyze(&dir().join(file));
        assert_eq!(loud(&analysis), want, "{file}: {}", case["note"]);
    }
}

/// The npz weights Keras 3.15.1 wrote are read from their pickles: every weight Keras
/// reports, with its shape, and its count_params.
#[test]
fn npz_weights_are_read_from_their_pickles() {
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir().join("truth.json")).unwrap()).unwrap();
    let truth = &truth["clean_k3_npz_weights.keras"];
    let analysis = analyze(&dir().join("clean_k3_npz_weights.keras"));
    let stored: Vec<(String, String, Vec<u64>)> = analysis
        .file
        .tensors
        .iter()
        .map(|t| (t.layer.clone().unwrap(), t.name.clone(), t.shape.clone()))
        .collect();
    let want: Vec<(String, String, Vec<u64>)> = truth["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["layer"].as_str().unwrap().to_string(),
                w["name"].as_str().unwrap().to_string(),
                serde_json::from_value(w["shape"].clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(stored, want);
    assert_eq!(
        analysis.file.stored_params(),
        truth["count_params"].as_u64()
    );
}

/// Each Lambda slot holding code is named; the worst decides the one finding.
#[test]
fn lambda_findings_name_the_slot() {
    for (file, slot) in [
        ("k3_lambda_output_shape.keras", "output_shape:"),
        ("k3_lambda_mask.keras", "mask:"),
        ("k3_dense_two_lambdas.keras", "kernel_constraint:"),
        ("k3_dense_two_lambdas.keras", "activation:"),
        ("k3_activation_lambda_value.keras", "activation:"),
        ("k3_compile_loss_lambda.keras", "compile_config.loss:"),
        (
            "k3legacy_training_metric_lambda.h5",
            "training_config.metrics:",
        ),
    ] {
        let analysis = analyze(&dir().join(file));
        let s101 = analysis.findings.iter().find(|f| f.code == "S101").unwrap();
        assert!(s101.message.contains(slot), "{file}: {}", s101.message);
        assert!(s101.message.contains("system"), "{file}: {}", s101.message);
    }
}

/// The real pickle of the corpus (a joblib stream saved as `.h5`): an error naming the Keras
/// function it calls, not "unreadable".
#[test]
fn the_corpus_pickle_named_h5_is_a_security_error() {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(
        "../shared/corpus/files/0m0D1NGR0NALD__Transformer-Health-Index-Indication-Classifier__transformer.h5",
    );
    let analysis = analyze(&path);
    let s401 = analysis.findings.iter().find(|f| f.code == "S401").unwrap();
    assert_eq!(s401.severity, Severity::Error);
    for name in [
        "keras.saving.pickle_utils.deserialize_model_from_bytecode",
        "joblib.numpy_pickle.NumpyArrayWrapper",
    ] {
        assert!(s401.message.contains(name), "{}", s401.message);
    }
}

/// Every code the attack set expects is documented (`kerascope rule CODE`, SARIF rules) with
/// the severity the findings carry.
#[test]
fn every_expected_code_is_documented_with_its_severity() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap();
    for case in expected.as_array().unwrap() {
        for f in case["findings"].as_array().unwrap() {
            let code = f["code"].as_str().unwrap();
            let doc =
                kerascope::registry::doc(code).unwrap_or_else(|| panic!("{code} undocumented"));
            assert_eq!(
                doc.severity.as_str(),
                f["severity"].as_str().unwrap(),
                "{code}"
            );
        }
    }
}
