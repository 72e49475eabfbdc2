//! Every fixture written by real Keras (`scripts/make_fixtures.py`) reads back as Keras and
//! h5py described it (`fixtures/truth/<file>.json`): format, stored version, every dataset
//! with its shape, dtype and owning layer, optimizer state kept apart.

use std::path::{Path, PathBuf};

use kerascope::Limits;
use kerascope::bind::read_path;
use kerascope::format::{KerasFile, TensorRole};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures")
}

fn truths() -> Vec<Value> {
    let dir = fixtures().join("truth");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let truths: Vec<Value> = paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    assert!(truths.len() >= 25, "fixture truth files missing");
    truths
}

fn read(truth: &Value) -> KerasFile {
    let name = truth["file"].as_str().unwrap();
    read_path(&fixtures().join(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (path, shape, dtype, owning layer, is optimizer state)
type Row = (String, Vec<u64>, String, Option<String>, bool);

fn truth_rows(truth: &Value) -> Vec<Row> {
    let mut rows: Vec<Row> = truth["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect(),
                d["dtype"].as_str().unwrap().to_string(),
                d["layer"].as_str().map(str::to_string),
                d["optimizer"].as_bool().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn our_rows(file: &KerasFile) -> Vec<Row> {
    let mut rows: Vec<Row> = file
        .tensors
        .iter()
        .map(|t| {
            (
                t.path.clone(),
                t.shape.clone(),
                t.dtype.clone(),
                t.layer.clone(),
                t.role == TensorRole::Optimizer,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn every_fixture_reads_as_keras_wrote_it() {
    for truth in truths() {
        let name = truth["file"].as_str().unwrap();
        let file = read(&truth);
        assert_eq!(
            serde_json::to_value(file.format).unwrap(),
            truth["format"],
            "{name}: format"
        );
        assert_eq!(
            file.keras_version.as_deref(),
            truth["keras_version"].as_str(),
            "{name}: keras_version"
        );
        assert_eq!(our_rows(&file), truth_rows(&truth), "{name}: datasets");
        assert_eq!(
            file.model_class().is_some(),
            !truth["format"].as_str().unwrap().contains("weights"),
            "{name}: config presence"
        );
    }
}

/// The question kerascope was born from: `LSTM(256)` over 16×4096 holds 4,457,472 parameters
/// (tf_keras 2.21 `count_params()`), and finding that out reads metadata only.
#[test]
fn seed_lstm_holds_the_count_keras_reports_and_is_read_without_its_data() {
    let truth: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("truth/seed_lstm_4096.h5.json")).unwrap(),
    )
    .unwrap();
    let file = read(&truth);
    assert_eq!(file.stored_params(), truth["count_params"].as_u64());
    let size = std::fs::metadata(fixtures().join("seed_lstm_4096.h5"))
        .unwrap()
        .len();
    assert!(size > 17_000_000, "the seed file is {size} bytes");
    assert!(
        file.hdf5_bytes_read < 100_000,
        "read {} bytes of a {size}-byte file",
        file.hdf5_bytes_read
    );
}
