//! `diff` on files Keras wrote: every fixture against itself is empty; one model saved in two
//! formats (tf_keras `.h5` and `.keras`, Keras 3 `.keras` and legacy `.h5`, with and without
//! its config) is equivalent; each mutant of fixtures/mutants/ (scripts/make_mutants.py) names
//! the layer and the weight or config key that was changed.

use std::path::PathBuf;

use assert_cmd::Command;
use kerascope::diff::{self, ChangeKind, ModelDiff};
use kerascope::{Analysis, Options, analyze_path};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn analysis(path: &str) -> Analysis {
    analyze_path(&root().join(path), &Options::default()).unwrap()
}

fn compare(a: &str, b: &str) -> ModelDiff {
    diff::diff(&analysis(a), &analysis(b))
}

/// Every good fixture (fixtures/truth names them) and every old-Keras model.
fn model_files() -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("fixtures/truth")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        files.push(format!("fixtures/{}", name.strip_suffix(".json").unwrap()));
    }
    for entry in std::fs::read_dir(root().join("fixtures/summaries/models")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        files.push(format!("fixtures/summaries/models/{name}"));
    }
    files.sort();
    files
}

#[test]
fn every_model_against_itself_is_empty() {
    let files = model_files();
    assert!(files.len() > 40);
    for file in files {
        let d = compare(&file, &file);
        assert!(d.equivalent(), "{file}: {:#?}", d.changes);
        assert!(
            d.notes.iter().all(|n| n.contains("no model config")),
            "{file}: {:?}",
            d.notes
        );
    }
}

#[test]
fn one_model_in_two_formats_is_equivalent() {
    for (a, b) in [
        ("fixtures/tfk_recurrent.h5", "fixtures/tfk_recurrent.keras"),
        ("fixtures/tfk_mha.h5", "fixtures/tfk_mha.keras"),
        (
            "fixtures/tfk_functional_nested.h5",
            "fixtures/tfk_functional_nested.keras",
        ),
        (
            "fixtures/tfk_sequential_fit.h5",
            "fixtures/tfk_sequential_fit.keras",
        ),
        (
            "fixtures/k3_functional_branches.keras",
            "fixtures/k3_functional_branches_legacy.h5",
        ),
        (
            "fixtures/k3_functional_fit.keras",
            "fixtures/k3_functional_fit_legacy.h5",
        ),
        ("fixtures/k3_lambda.keras", "fixtures/k3_lambda_legacy.h5"),
        (
            "fixtures/k3_sequential_basic.keras",
            "fixtures/k3_windows_backslash.keras",
        ),
        // Weights only: compared where both files tell.
        (
            "fixtures/k3_sequential_basic.keras",
            "fixtures/k3_sequential_basic.weights.h5",
        ),
        (
            "fixtures/k3_functional_nested.keras",
            "fixtures/k3_functional_nested.weights.h5",
        ),
        (
            "fixtures/tfk_sequential_basic.h5",
            "fixtures/tfk_sequential_basic_weights.h5",
        ),
        (
            "fixtures/tfk_functional_nested.h5",
            "fixtures/tfk_functional_nested_weights.h5",
        ),
    ] {
        let d = compare(a, b);
        assert!(d.equivalent(), "{a} vs {b}: {:#?}", d.changes);
        let d = compare(b, a);
        assert!(d.equivalent(), "{b} vs {a}: {:#?}", d.changes);
    }
}

#[test]
fn each_mutant_names_the_changed_layer() {
    let expected: Value = serde_json::from_slice(
        &std::fs::read(root().join("fixtures/mutants/expected.json")).unwrap(),
    )
    .unwrap();
    for m in expected.as_array().unwrap() {
        let file = m["file"].as_str().unwrap();
        // scripts/make_mutants.py: h5_* from tfk_sequential_basic.h5, keras_* from
        // k3_sequential_basic.keras.
        let source = if file.starts_with("h5_") {
            "fixtures/tfk_sequential_basic.h5"
        } else {
            "fixtures/k3_sequential_basic.keras"
        };
        let d = compare(source, &format!("fixtures/mutants/{file}"));
        assert!(!d.equivalent(), "{file}");
        let layer = m["layer"].as_str().unwrap();
        for c in &d.changes {
            assert!(
                c.layer.is_none() || c.layer.as_deref() == Some(layer),
                "{file}: a change on another layer: {c:?}"
            );
        }
        let kind = if file.contains("reshape") {
            ChangeKind::WeightShapeChanged
        } else if file.contains("config") {
            ChangeKind::ConfigChanged
        } else if file.contains("remove") {
            ChangeKind::WeightRemoved
        } else {
            ChangeKind::WeightAdded
        };
        let change = d
            .changes
            .iter()
            .find(|c| c.kind == kind && c.layer.as_deref() == Some(layer))
            .unwrap_or_else(|| panic!("{file}: no {kind:?} on {layer}: {:#?}", d.changes));
        match kind {
            ChangeKind::ConfigChanged => assert_eq!(change.item.as_deref(), Some("units")),
            ChangeKind::WeightShapeChanged => assert_eq!(change.item.as_deref(), Some("kernel")),
            ChangeKind::WeightRemoved => assert_eq!(change.item.as_deref(), Some("bias")),
            _ => {}
        }
    }
}

#[test]
fn layers_added_removed_and_renamed() {
    // Keras 2.3.1 wrote both: the same architecture, the second with default layer names two
    // further on (scripts/summaries/keras2.py `renamed`) — against a model of other layers.
    let d = compare(
        "fixtures/summaries/models/k2_sequential.h5",
        "fixtures/summaries/models/k2_fitted.h5",
    );
    let kinds: Vec<ChangeKind> = d.changes.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ChangeKind::LayerRemoved), "{kinds:?}");
    assert!(kinds.contains(&ChangeKind::LayerAdded), "{kinds:?}");
    assert!(kinds.contains(&ChangeKind::TotalParamsChanged), "{kinds:?}");
    // Same place, same class and weights, another name.
    let d = compare(
        "fixtures/summaries/models/k2_different_input.h5",
        "fixtures/summaries/models/k2_different_input_functional.h5",
    );
    assert!(
        d.changes
            .iter()
            .all(|c| c.kind != ChangeKind::WeightShapeChanged),
        "{:#?}",
        d.changes
    );
}

#[test]
fn one_model_from_keras_1_and_keras_2_is_equivalent() {
    // The same layers built by Keras 1.2.2 and 2.3.1 (scripts/summaries/keras1.py, keras2.py):
    // `W`/`b` and `kernel`/`bias`, Keras 1 config keys — the same model.
    for name in ["frozen", "fitted", "recurrent"] {
        let (a, b) = (
            format!("fixtures/summaries/models/k1_{name}.h5"),
            format!("fixtures/summaries/models/k2_{name}.h5"),
        );
        let d = compare(&a, &b);
        let kinds: Vec<ChangeKind> = d.changes.iter().map(|c| c.kind).collect();
        match name {
            // k2_recurrent has one more GRU layer.
            "recurrent" => assert!(kinds.contains(&ChangeKind::LayerAdded), "{:#?}", d.changes),
            _ => assert!(d.equivalent(), "{a} vs {b}: {:#?}", d.changes),
        }
        assert!(d.notes.iter().any(|n| n.contains("Keras 1.2.2")));
    }
}

// ---- the command line ------------------------------------------------------------------------

fn kerascope() -> Command {
    let mut cmd = Command::cargo_bin("kerascope").unwrap();
    cmd.current_dir(root());
    cmd
}

#[test]
fn exit_status_says_equivalent_different_or_unreadable() {
    kerascope()
        .args([
            "diff",
            "fixtures/tfk_recurrent.h5",
            "fixtures/tfk_recurrent.keras",
        ])
        .assert()
        .code(0);
    kerascope()
        .args([
            "diff",
            "fixtures/tfk_sequential_basic.h5",
            "fixtures/mutants/h5_config.h5",
        ])
        .assert()
        .code(1);
    kerascope()
        .args([
            "diff",
            "fixtures/tfk_sequential_basic.h5",
            "fixtures/bad/truncated.h5",
        ])
        .assert()
        .code(2);
}

#[test]
fn json_report_lists_each_change() {
    let out = kerascope()
        .args([
            "diff",
            "fixtures/k3_sequential_basic.keras",
            "fixtures/mutants/keras_reshape.keras",
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["schema"], "kerascope.diff/1");
    assert_eq!(doc["equivalent"], false);
    assert_eq!(doc["a"]["format"], "keras-v3-zip");
    assert_eq!(doc["a"]["total_params"], 276);
    let first = &doc["changes"][0];
    assert_eq!(first["kind"], "weight_shape_changed");
    assert_eq!(first["layer"], "dense");
    assert_eq!(first["item"], "kernel");
    assert_eq!(first["a"], "(8, 16)");
    assert_eq!(first["b"], "(7, 16)");
}

#[test]
fn the_report_for_people() {
    let (a, b) = (
        "fixtures/tfk_sequential_basic.h5",
        "fixtures/mutants/h5_remove.h5",
    );
    let d = compare(a, b);
    insta::assert_snapshot!(
        "diff_weight_removed",
        kerascope::report::diff::to_text(a, b, &d)
    );
}
