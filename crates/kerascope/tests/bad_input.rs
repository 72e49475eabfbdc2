//! Damaged and hostile input never panics, hangs or balloons: every truncation and byte flip
//! of every fixture gives a clean read or a clean error.

use std::path::{Path, PathBuf};

use kerascope::bind::{read_path, read_source};
use kerascope::container::source::Source;
use kerascope::error::{KerasProblem, LimitExceeded, NotKerasReason};
use kerascope::{Error, Limits};

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// Each bad fixture gives a one-line error that says what is wrong.
#[test]
fn bad_fixtures_give_a_clear_error() {
    let limits = Limits::default();
    let expectations = [
        ("not_keras_dataset.h5", "HDF5 file without Keras structure"),
        ("zip_without_config.keras", "without config.json"),
        (
            "config_not_object.keras",
            "config.json is not a JSON object",
        ),
        (
            "layer_without_group.h5",
            "listed in layer_names but has no group",
        ),
        ("random_bytes.h5", "not a Keras file"),
        ("truncated.h5", "HDF5"),
    ];
    for (name, expected) in expectations {
        let path = fixtures().join("bad").join(name);
        let err = read_path(&path, &limits)
            .err()
            .unwrap_or_else(|| panic!("{name} read without error"))
            .to_string();
        assert!(err.contains(expected), "{name}: {err:?} lacks {expected:?}");
        assert!(!err.contains('\n'), "{name}: multi-line error {err:?}");
    }
}

/// A caller tells what went wrong from the error's data, without reading its text. The names
/// come from how scripts/fixtures/bad.py built each file with h5py and zipfile.
#[test]
fn bad_fixtures_give_typed_errors() {
    let limits = Limits::default();
    let read_bad = |name: &str| {
        read_path(&fixtures().join("bad").join(name), &limits)
            .err()
            .unwrap_or_else(|| panic!("{name} read without error"))
    };

    // h5py wrote a dataset /data and a group /group, nothing Keras.
    match read_bad("not_keras_dataset.h5") {
        Error::NotKeras {
            reason: NotKerasReason::Hdf5WithoutKerasStructure { top_level_groups },
        } => assert_eq!(top_level_groups, ["group"]),
        other => panic!("not_keras_dataset.h5: {other:?}"),
    }
    // The group of tf.keras' `batch_normalization` layer was deleted, its name kept.
    match read_bad("layer_without_group.h5") {
        Error::Keras {
            problem: KerasProblem::LayerWithoutGroup { layer },
        } => assert_eq!(layer, "batch_normalization"),
        other => panic!("layer_without_group.h5: {other:?}"),
    }
    match read_bad("random_bytes.h5") {
        Error::NotKeras {
            reason: NotKerasReason::UnrecognisedSignature,
        } => {}
        other => panic!("random_bytes.h5: {other:?}"),
    }
}

/// A limit reached names the limit and the value found: a Keras 3 archive holds more members
/// (its truth, listed by Python's zipfile) than a limit of two allows.
#[test]
fn a_limit_reached_carries_the_limit_and_the_count() {
    let name = "k3_sequential_basic.keras";
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("truth").join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let members = truth["zip_members"].as_array().unwrap().len();
    let limits = Limits {
        max_zip_members: 2,
        ..Limits::default()
    };
    match read_path(&fixtures().join(name), &limits) {
        Err(Error::Limit {
            exceeded: LimitExceeded::ZipMembers { count, limit },
        }) => {
            assert_eq!(count, members);
            assert_eq!(limit, 2);
        }
        other => panic!("{name}: {other:?}"),
    }
}

/// A small deterministic generator (no dependency needed for a test's byte positions).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn read_bytes(bytes: Vec<u8>) {
    // Ok or Err are both fine; a panic fails the test.
    if let Ok(file) = read_source(&Source::from_vec(bytes), None, &Limits::default()) {
        let _ = kerascope::analyze(file);
    }
}

#[test]
fn every_truncation_of_every_fixture_reads_or_fails_cleanly() {
    for path in files_in(&fixtures()) {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() > 4 << 20 {
            continue;
        }
        for k in 0..64 {
            let cut = bytes.len() * k / 64;
            read_bytes(bytes[..cut].to_vec());
        }
    }
}

#[test]
fn byte_flips_in_metadata_read_or_fail_cleanly() {
    let mut rng = Lcg(0x5eed);
    for path in files_in(&fixtures()) {
        let original = std::fs::read(&path).unwrap();
        if original.len() > 4 << 20 {
            continue;
        }
        // Metadata sits at the start of Keras HDF5 files and at both ends of zips: flip there.
        let window = original.len().min(16 << 10);
        for _ in 0..48 {
            let mut bytes = original.clone();
            for _ in 0..4 {
                let at = rng.next() as usize % window;
                let at = if rng.next().is_multiple_of(2) {
                    at
                } else {
                    original.len() - 1 - at
                };
                bytes[at] ^= 1 << (rng.next() % 8);
            }
            read_bytes(bytes);
        }
    }
}

/// Everything the fuzzers ever found (`scripts/fuzz.sh` keeps it in `fixtures/crashes/`)
/// reads or fails cleanly, whatever its first bytes say it is.
#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = fixtures().join("crashes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        read_bytes(bytes.clone());
        if let Ok(config) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            for dialect in [
                kerascope::layers::Dialect::Keras1,
                kerascope::layers::Dialect::Keras3,
            ] {
                if let Ok(model) = kerascope::graph::parse_model(&config, dialect) {
                    let _ = kerascope::shape::analyze(
                        &model,
                        dialect,
                        &[],
                        &kerascope::shape::nothing_stored,
                    );
                }
            }
        }
    }
}
