//! `check --deep`: tensor values are read (streamed, block by block) and NaN, infinities and
//! all-zero kernels are reported on the right layer, in .h5 files and inside .keras archives.

use std::path::PathBuf;

use kerascope_cli::scan::{Outcome, ScanOptions, scan};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn deep_findings(path: PathBuf) -> Vec<(String, Option<String>, String)> {
    let options = ScanOptions {
        deep: true,
        threads: 1,
        ..ScanOptions::default()
    };
    let results = scan(&[path], &options, |_| {}, |_| {});
    let Outcome::Analysed(report) = &results[0].outcome else {
        panic!("not analysed: {:?}", results[0].outcome);
    };
    report
        .findings
        .iter()
        .filter(|f| f.code.starts_with('D'))
        .map(|f| (f.code.to_string(), f.layer.clone(), f.message.clone()))
        .collect()
}

#[test]
fn planted_nan_and_infinity_are_found_where_they_were_planted() {
    let dir = root().join("fixtures/mutants");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected_deep.json")).unwrap()).unwrap();
    for case in expected.as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let found = deep_findings(dir.join(file));
        let hit = found.iter().find(|(code, layer, _)| {
            code == case["code"].as_str().unwrap() && layer.as_deref() == case["layer"].as_str()
        });
        let (_, _, message) = hit.unwrap_or_else(|| panic!("{file}: {found:?}"));
        let wanted = format!("{} NaN and {} infinite", case["nan"], case["inf"]);
        assert!(message.contains(&wanted), "{file}: {message}");
    }
}

/// The seed model was saved with zeroed weights (scripts/make_fixtures.py), and its kernels
/// are reported as such; its zero bias is normal and is not.
#[test]
fn zeroed_kernels_are_reported_and_zero_biases_are_not() {
    let found = deep_findings(root().join("fixtures/seed_lstm_4096.h5"));
    let names: Vec<&str> = found
        .iter()
        .filter(|(c, _, _)| c == "D102")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{found:?}");
    assert!(names.iter().any(|m| m.contains("recurrent_kernel")));
    assert!(!names.iter().any(|m| m.contains("bias")));
}

/// Trained models Keras wrote hold no NaN, no infinity and no zeroed kernel.
#[test]
fn trained_fixtures_are_clean() {
    for name in [
        "k3_functional_fit.keras",
        "tfk_sequential_fit.h5",
        "k3_conv.keras",
        "tfk_recurrent.h5",
        "k3_sharded.weights.json",
    ] {
        let found = deep_findings(root().join("fixtures").join(name));
        assert!(
            found.iter().all(|(c, _, _)| c != "D101" && c != "D102"),
            "{name}: {found:?}"
        );
    }
}
