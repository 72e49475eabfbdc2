//! `upgrade` against Keras: every .h5 fixture tf_keras 2.21 loads and Keras 3.15.1 refuses was
//! upgraded by `scripts/make_compat.py --stage upgrade`, and each copy loaded by Keras 3 with
//! the parameter count and weights tf_keras gets from the original
//! (fixtures/compat/upgrades.json). Here: the same files get the same copies, weights untouched.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use kerascope::container::hdf5::DataLocation;
use kerascope::format::{KerasFile, TensorRole, read_path};
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
            (t.path.clone(), t.shape.clone(), t.dtype.clone(), bytes)
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
            expected["count_params"], expected["tf_keras_count_params"],
            "{name}"
        );
        // This run writes the same config as the copy Keras 3 loaded...
        let limits = Limits::default();
        let ours = read_path(&output, &limits).unwrap();
        let committed = read_path(&dir.join("upgraded").join(name), &limits).unwrap();
        assert_eq!(ours.model_config, committed.model_config, "{name}");
        // ...and leaves every weight as it was, byte for byte.
        let original = read_path(&input, &limits).unwrap();
        assert_eq!(
            tensor_bytes(&output, &ours),
            tensor_bytes(&input, &original),
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
