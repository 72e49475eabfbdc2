//! `kerascope upgrade` as users call it: the copy is Keras 3's `.keras` archive unless asked
//! otherwise, named after the input when `-o` is left out, and never written over a file.
//! (That Keras 3 loads such copies is fixtures/compat/upgrades_keras.json, asserted by the
//! library's tests/upgrade.rs.)

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn kerascope(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kerascope").unwrap();
    cmd.current_dir(dir);
    cmd
}

/// The first bytes say the format: a zip archive (`PK`) or HDF5.
fn magic(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()[..4].to_vec()
}

const ZIP: &[u8] = b"PK\x03\x04";
const HDF5: &[u8] = b"\x89HDF";

#[test]
fn without_o_the_copy_is_the_input_s_name_ending_in_keras_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/compat/tf215_lstm.h5"),
        tmp.path().join("model.h5"),
    )
    .unwrap();
    kerascope(tmp.path())
        .args(["upgrade", "model.h5"])
        .assert()
        .code(0);
    assert_eq!(magic(&tmp.path().join("model.keras")), ZIP);
    let written = std::fs::read(tmp.path().join("model.keras")).unwrap();
    let again = kerascope(tmp.path())
        .args(["upgrade", "model.h5"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert!(stderr.contains("not overwritten"), "{stderr}");
    assert_eq!(
        std::fs::read(tmp.path().join("model.keras")).unwrap(),
        written
    );
}

#[test]
fn the_name_or_output_format_chooses_keras_or_legacy_h5() {
    let tmp = tempfile::tempdir().unwrap();
    let input = root().join("fixtures/compat/tf215_lstm.h5");
    let input = input.to_str().unwrap();
    kerascope(tmp.path())
        .args(["upgrade", input, "-o", "copy.h5"])
        .assert()
        .code(0);
    assert_eq!(magic(&tmp.path().join("copy.h5")), HDF5);
    kerascope(tmp.path())
        .args(["upgrade", input, "-o", "copy", "--output-format", "keras"])
        .assert()
        .code(0);
    assert_eq!(magic(&tmp.path().join("copy")), ZIP);
    // A name that says nothing, without the flag; a name and a flag that disagree.
    kerascope(tmp.path())
        .args(["upgrade", input, "-o", "other"])
        .assert()
        .code(2);
    let refused = kerascope(tmp.path())
        .args(["upgrade", input, "-o", "x.keras", "--output-format", "h5"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("named .keras"), "{stderr}");
    assert!(!tmp.path().join("other").exists() && !tmp.path().join("x.keras").exists());
}
