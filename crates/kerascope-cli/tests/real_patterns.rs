//! Patterns found in real model files (`fixtures/real/`, `scripts/make_real_patterns.py`):
//! each fixture's totals and per-layer counts equal what the Keras version that wrote it
//! reported after loading it, with no parameter or structure finding above info; and on every
//! fixture and corpus file `summary` and `check` print the same total.

use std::path::{Path, PathBuf};
use std::process::Command;

use kerascope::audit::Severity;
use kerascope::report::summary;
use kerascope::{Limits, Options, analyze_path, load_config};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn files_in(dir: &Path, ends: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| ends.iter().any(|e| p.to_string_lossy().ends_with(e)))
        .collect();
    files.sort();
    files
}

/// P and F findings of severity warning or error, as text.
fn false_alarms(analysis: &kerascope::Analysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .filter(|f| {
            f.severity >= Severity::Warning && (f.code.starts_with('P') || f.code.starts_with('F'))
        })
        .map(|f| format!("{} {:?} {}", f.code, f.layer, f.message))
        .collect()
}

/// A fixture analysed as a user would: a weights-only one with `--config` the archive its
/// model was also saved to (`config_from` in its truth).
fn analyze_fixture(dir: &Path, truth: &Value) -> kerascope::Analysis {
    let name = truth["file"].as_str().unwrap();
    let limits = Limits::default();
    let config = truth["config_from"]
        .as_str()
        .map(|from| load_config(&dir.join(from), &limits).unwrap());
    analyze_path(
        &dir.join(name),
        &Options::new().limits(limits).config(config),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_real_pattern_fixture_counts_as_the_keras_that_wrote_it() {
    let dir = root().join("fixtures/real");
    let truths = files_in(&dir.join("truth"), &[".json"]);
    assert!(truths.len() >= 25, "fixtures/real truth files missing");
    for truth_path in truths {
        let truth = load(&truth_path);
        let name = truth["file"].as_str().unwrap();
        let analysis = analyze_fixture(&dir, &truth);
        assert_eq!(false_alarms(&analysis), Vec::<String>::new(), "{name}");
        let built = summary::build(&analysis);
        let keras_total = truth["count_params"].as_u64().unwrap();
        assert_eq!(built.total_params, keras_total, "{name}: total");
        assert_eq!(
            analysis.file.stored_params(),
            Some(keras_total),
            "{name}: check total"
        );
        if built.unknown_trainability == 0 {
            assert_eq!(
                built.trainable_params,
                truth["trainable_params"].as_u64().unwrap(),
                "{name}: trainable"
            );
            assert_eq!(
                built.non_trainable_params,
                truth["non_trainable_params"].as_u64().unwrap(),
                "{name}: non-trainable"
            );
        }
        for layer in truth["layers"].as_array().unwrap() {
            let layer_name = layer["name"].as_str().unwrap();
            let keras = layer["count_params"].as_u64().unwrap();
            match built.rows.iter().find(|r| r.name == layer_name) {
                Some(row) => {
                    assert_eq!(row.params, keras, "{name}: {layer_name}");
                    if let Some(expected) = row.expected_params {
                        assert_eq!(expected, keras, "{name}: {layer_name} expected");
                    }
                }
                // Weightless layers are not stored in weights-only files.
                None => assert_eq!(keras, 0, "{name}: layer {layer_name} missing"),
            }
        }
    }
}

/// The covered patterns each have their fixture, and the tf.keras ones each writer version.
#[test]
fn each_pattern_has_its_fixture() {
    let dir = root().join("fixtures/real");
    for version in ["213", "214", "215"] {
        for model in ["mixed", "nested", "sequential", "time_distributed"] {
            for variant in ["", "_windows"] {
                let name = format!("tfk{version}_{model}{variant}.keras");
                assert!(dir.join(&name).exists(), "{name}");
            }
        }
    }
    for name in [
        "tfk213_mixed.weights.h5",
        "tfk213_mixed_windows.weights.h5",
        "tfk_empty_name_component.h5",
        "k1_scoped_weight_names.h5",
        "tfk_lambda_flatten_dense.h5",
        "k3_spectral_norm.weights.h5",
        "k3_relu_infinity.keras",
        "k3_bzip2.keras",
        "k3_lzma.keras",
    ] {
        assert!(
            dir.join("truth").join(format!("{name}.json")).exists(),
            "{name}"
        );
    }
}

#[test]
fn a_layer_after_a_hidden_shape_is_checked_from_its_kernel() {
    let path = root().join("fixtures/real/tfk_lambda_flatten_dense.h5");
    let analysis = analyze_path(&path, &Options::default()).unwrap();
    let codes: Vec<(&str, Option<&str>)> = analysis
        .findings
        .iter()
        .map(|f| (f.code, f.layer.as_deref()))
        .collect();
    assert!(!codes.contains(&("P106", Some("dense"))), "{codes:?}");
    assert!(codes.contains(&("P108", Some("dense"))), "{codes:?}");
}

/// `kerascope check --format json` over many files, and `summary --format json` per file:
/// both totals are the same number (or both absent when the file cannot be read).
#[test]
fn summary_and_check_print_the_same_total_on_every_fixture_and_corpus_file() {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("fixtures")];
    while let Some(dir) = dirs.pop() {
        dirs.extend(
            std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_dir()),
        );
        files.extend(files_in(&dir, &[""]));
    }
    // Truth and expectation documents are not model files; everything else is compared,
    // the damaged and hostile inputs included.
    files.retain(|p| {
        let text = p.to_string_lossy();
        !text.contains("/truth/") && !text.ends_with("expected.json") && !text.ends_with(".md")
    });
    files.extend(files_in(&root().join("../shared/corpus/files"), &[""]));
    assert!(files.len() >= 200, "only {} files", files.len());
    let exe = env!("CARGO_BIN_EXE_kerascope");
    let out = Command::new(exe)
        .args(["check", "--format", "json", "--no-progress", "-j", "1"])
        .args(&files)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report["files"].as_array().unwrap();
    assert_eq!(entries.len(), files.len());
    let mut compared = 0;
    for entry in entries {
        let file = entry["file"].as_str().unwrap();
        let out = Command::new(exe)
            .args(["summary", "--format", "json", file])
            .output()
            .unwrap();
        let summary_total = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .map(|s| s["total_params"].clone());
        match summary_total {
            Some(total) => {
                assert_eq!(total, entry["total_params"], "{file}");
                compared += 1;
            }
            None => assert!(entry["total_params"].is_null(), "{file}: summary failed"),
        }
    }
    assert!(compared >= 150, "only {compared} totals compared");
}

/// No parameter or structure finding above info on a corpus file that Keras 3.15.1 or
/// tf_keras 2.21 loads cleanly (the corpus truth records each load).
#[test]
fn no_false_alarm_on_a_corpus_file_keras_loads() {
    let corpus = root().join("../shared/corpus");
    let mut checked = 0;
    for truth_path in files_in(&corpus.join("truth"), &[".json"]) {
        let truth = load(&truth_path);
        let loaded = ["keras3_load", "tf_keras_load"]
            .iter()
            .any(|k| truth[k]["loaded"].as_bool() == Some(true));
        if !loaded {
            continue;
        }
        let name = truth["static"]["file"].as_str().unwrap();
        let analysis = analyze_path(&corpus.join("files").join(name), &Options::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(false_alarms(&analysis), Vec::<String>::new(), "{name}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} corpus files loaded by Keras");
}

/// What another Keras loaded from a fixture (`other_loaders` in its truth) is counted too.
#[test]
fn totals_match_every_other_keras_that_loads_the_fixture() {
    let dir = root().join("fixtures/real");
    let mut compared = 0;
    for truth_path in files_in(&dir.join("truth"), &[".json"]) {
        let truth = load(&truth_path);
        let name = truth["file"].as_str().unwrap();
        let Some(loaders) = truth["other_loaders"].as_object() else {
            continue;
        };
        let analysis = analyze_fixture(&dir, &truth);
        for (loader, result) in loaders {
            if let Some(count) = result["count_params"].as_u64() {
                assert_eq!(
                    analysis.file.stored_params(),
                    Some(count),
                    "{name}: {loader}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 5, "only {compared} loads compared");
}

/// bzip2 and LZMA members are decompressed under the same bounds as deflated ones.
#[test]
fn bzip2_and_lzma_members_keep_the_zip_limits() {
    use kerascope::bind::read_source;
    use kerascope::container::source::Source;
    use std::io::{Cursor, Write};

    // 8 MiB of spaces after a valid config.json (scripts/make_real_patterns.py bombs): bzip2
    // here, and LZMA, which the zip crate cannot write, from Python's zipfile.
    let mut config = br#"{"class_name": "Sequential", "config": {"layers": []}}"#.to_vec();
    config.extend(std::iter::repeat_n(b' ', 8 << 20));
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Bzip2);
    writer.start_file("config.json", options).unwrap();
    writer.write_all(&config).unwrap();
    let built = writer.finish().unwrap().into_inner();
    let mut archives = vec![("built bzip2".to_string(), built)];
    for name in ["bzip2_ratio_bomb.keras", "lzma_ratio_bomb.keras"] {
        let path = root().join("fixtures/real/limits").join(name);
        archives.push((name.to_string(), std::fs::read(path).unwrap()));
    }
    for (name, bytes) in archives {
        let err = read_source(&Source::from_vec(bytes), None, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("expands"), "{name}: {err}");
    }
    // A real bzip2 / LZMA archive reads; under a 1 KB inflate bound its config does not.
    let small = Limits {
        max_zip_inflate_bytes: 1000,
        ..Limits::default()
    };
    for name in ["k3_bzip2.keras", "k3_lzma.keras"] {
        let path = root().join("fixtures/real").join(name);
        assert!(analyze_path(&path, &Options::default()).is_ok(), "{name}");
        let err = analyze_path(&path, &Options::new().limits(small)).unwrap_err();
        assert!(err.to_string().contains("limit"), "{name}: {err}");
    }
}
