//! The parameter check against Keras itself: for every fixture (written by Keras 3.15.1 /
//! tf_keras 2.21) and every corpus file (truth from Keras' own `count_params()`), the count
//! each layer's config implies equals Keras's, and no error is reported; every mutant made by
//! `scripts/make_mutants.py` is reported as an error on the layer it broke.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kerascope::audit::Severity;
use kerascope::{Analysis, Options, analyze_path};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn analyze(path: &Path) -> Analysis {
    analyze_path(path, &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Errors of the parameter check and of the file's structure (security findings are
/// tested in tests/hostile.rs).
fn errors(analysis: &Analysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && !f.code.starts_with('S'))
        .map(|f| format!("{} {:?} {}", f.code, f.layer, f.message))
        .collect()
}

/// Expected count per top-level layer, as kerascope computed it from the config.
fn expected_per_layer(analysis: &Analysis) -> BTreeMap<String, Option<u64>> {
    analysis
        .layers
        .iter()
        .map(|l| (l.name.clone(), l.expected_params))
        .collect()
}

fn sorted_json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_layer_count_equals_keras_and_nothing_is_an_error() {
    let mut compared = 0;
    for truth_path in sorted_json_files(&root().join("fixtures/truth")) {
        let truth = load(&truth_path);
        let name = truth["file"].as_str().unwrap();
        let analysis = analyze(&root().join("fixtures").join(name));
        assert_eq!(errors(&analysis), Vec::<String>::new(), "{name}: errors");
        if analysis.result.is_none() {
            continue;
        }
        let ours = expected_per_layer(&analysis);
        for layer in truth["layers"].as_array().unwrap() {
            let layer_name = layer["name"].as_str().unwrap();
            if layer["class"] == "InputLayer" || layer.get("note").is_some_and(|n| !n.is_null()) {
                continue;
            }
            let keras = layer["count_params"].as_u64().unwrap();
            let mine = ours
                .get(layer_name)
                .unwrap_or_else(|| panic!("{name}: layer {layer_name} not analysed"));
            assert_eq!(
                *mine,
                Some(keras),
                "{name}: {layer_name} ({})",
                layer["class"]
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} fixture layers compared");
}

#[test]
fn every_corpus_file_matches_keras_count_params_and_has_no_error() {
    let corpus = root().join("../shared/corpus");
    let mut compared = 0;
    for truth_path in sorted_json_files(&corpus.join("truth")) {
        let truth = load(&truth_path);
        let stat = &truth["static"];
        let name = stat["file"].as_str().unwrap();
        if stat["format"] == "not-hdf5-or-zip" {
            continue;
        }
        let analysis = analyze(&corpus.join("files").join(name));
        assert_eq!(errors(&analysis), Vec::<String>::new(), "{name}: errors");
        let loaded = ["keras3_load", "tf_keras_load"]
            .into_iter()
            .map(|k| &truth[k])
            .find(|l| l["loaded"].as_bool() == Some(true));
        let Some(loaded) = loaded else { continue };
        let ours = expected_per_layer(&analysis);
        for layer in loaded["layers"].as_array().unwrap() {
            let layer_name = layer["name"].as_str().unwrap();
            let keras = layer["count_params"].as_u64().unwrap();
            match ours.get(layer_name) {
                Some(Some(mine)) => {
                    assert_eq!(*mine, keras, "{name}: {layer_name} ({})", layer["class"]);
                    compared += 1;
                }
                // Unknown (custom layer, hidden input shape): reported as info, never wrong.
                Some(None) => {}
                None => panic!("{name}: layer {layer_name} not analysed"),
            }
        }
    }
    assert!(compared > 100, "only {compared} corpus layers compared");
}

#[test]
fn every_mutant_is_an_error_on_the_layer_it_broke() {
    let dir = root().join("fixtures/mutants");
    let expected = load(&dir.join("expected.json"));
    for case in expected.as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let analysis = analyze(&dir.join(file));
        let hit = analysis.findings.iter().any(|f| {
            f.severity == Severity::Error
                && f.code == case["code"].as_str().unwrap()
                && f.layer.as_deref() == case["layer"].as_str()
        });
        assert!(
            hit,
            "{file} ({}): no {} error on {}; findings: {:#?}",
            case["mutation"], case["code"], case["layer"], analysis.findings
        );
    }
}

/// The seed: tf_keras 2.21 reports 4,457,472 for `LSTM(256)` over 16×4096.
#[test]
fn seed_lstm_expected_and_stored_counts_equal_keras() {
    let truth = load(&root().join("fixtures/truth/seed_lstm_4096.h5.json"));
    let analysis = analyze(&root().join("fixtures/seed_lstm_4096.h5"));
    let keras = truth["count_params"].as_u64().unwrap();
    let lstm = &analysis.layers[0];
    assert_eq!(lstm.expected_params, Some(keras));
    assert_eq!(lstm.stored_params, keras);
    assert_eq!(analysis.file.stored_params(), Some(keras));
}
