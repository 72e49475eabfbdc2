//! The command line as users and CI see it: exit statuses, output contracts (JSON schema
//! versions, NDJSON lines, SARIF validity), folder scans with broken entries.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn kerascope() -> Command {
    let mut cmd = Command::cargo_bin("kerascope").unwrap();
    cmd.current_dir(root());
    cmd
}

fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}): {}",
            String::from_utf8_lossy(output)
        )
    })
}

#[test]
fn exit_status_says_clean_findings_unreadable_or_nothing() {
    kerascope()
        .args(["check", "fixtures/tfk_sequential_basic.h5"])
        .assert()
        .code(0);
    kerascope()
        .args(["check", "fixtures/mutants/h5_reshape.h5"])
        .assert()
        .code(1);
    kerascope()
        .args(["check", "fixtures/bad/truncated.h5"])
        .assert()
        .code(2);
    // Warnings fail only when asked to.
    kerascope()
        .args(["check", "fixtures/k3_lambda.keras"])
        .assert()
        .code(0);
    kerascope()
        .args(["check", "--fail-on", "warning", "fixtures/k3_lambda.keras"])
        .assert()
        .code(1);
    let empty = tempfile::tempdir().unwrap();
    kerascope().arg("check").arg(empty.path()).assert().code(3);
}

#[test]
fn check_json_is_one_document_with_its_schema() {
    let out = kerascope()
        .args([
            "check",
            "--format",
            "json",
            "fixtures/mutants/h5_reshape.h5",
            "fixtures/bad/truncated.h5",
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["schema"], "kerascope.check/1");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["status"], "findings");
    assert_eq!(files[0]["findings"][0]["code"], "P101");
    assert_eq!(files[0]["findings"][0]["layer"], "dense");
    assert_eq!(files[1]["status"], "error");
    assert!(files[1]["error"].as_str().unwrap().contains("HDF5"));
    assert_eq!(doc["totals"]["errors"], 1);
}

#[test]
fn ndjson_streams_one_object_per_file() {
    let out = kerascope()
        .args([
            "check",
            "--format",
            "ndjson",
            "--no-progress",
            "fixtures/mutants",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| json_of(l.as_bytes()))
        .collect();
    // One line per file, the JSON ones included (skipped: JSON but not a weights index).
    let files = std::fs::read_dir(root().join("fixtures/mutants"))
        .unwrap()
        .count();
    assert_eq!(lines.len(), files);
    for line in &lines {
        assert_eq!(line["schema"], "kerascope.check/1");
    }
    // Every parameter mutant has findings (fixtures/mutants/expected.json).
    let expected: Value = serde_json::from_slice(
        &std::fs::read(root().join("fixtures/mutants/expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        lines.iter().filter(|l| l["status"] == "findings").count(),
        expected.as_array().unwrap().len()
    );
}

#[test]
fn summary_json_follows_its_contract() {
    let out = kerascope()
        .args([
            "summary",
            "--format",
            "json",
            "fixtures/k3_functional_fit.keras",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["schema"], "kerascope.summary/1");
    assert_eq!(doc["model"]["class"], "Functional");
    // Keras 3.15.1 count_params() of this model is 72; its optimizer stored 118 values
    // (fixtures/truth/k3_functional_fit.keras.json).
    assert_eq!(doc["total_params"], 72);
    assert_eq!(doc["optimizer_params"], 118);
    let layer = &doc["layers"][1];
    for key in [
        "name",
        "class",
        "params",
        "expected_params",
        "trainable_params",
        "non_trainable_params",
        "output_shape",
        "weights",
    ] {
        assert!(layer.get(key).is_some(), "layer entry lacks {key}: {layer}");
    }
    for key in [
        "name",
        "path",
        "shape",
        "expected_shape",
        "dtype",
        "trainable",
    ] {
        assert!(
            layer["weights"][0].get(key).is_some(),
            "weight entry lacks {key}"
        );
    }
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/sarif-2.1.0-rtm.5.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let out = kerascope()
        .args([
            "check",
            "--format",
            "sarif",
            "--no-progress",
            "fixtures/hostile",
            "fixtures/bad",
            "fixtures/mutants",
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let log = json_of(&out);
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "S201"));
    assert!(
        !log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// `check --target` findings carry their rules into SARIF: a tf.keras 2.15 LSTM saved with
/// `time_major`, which Keras 3.15.1 refuses ("Unrecognized keyword arguments passed to LSTM",
/// fixtures/compat/truth.json), gives a C102 result whose rule index points at C102; a log
/// without blockers lists no C rule.
#[test]
fn sarif_lists_the_compatibility_rules_it_uses() {
    let sarif = |extra: &[&str]| {
        let out = kerascope()
            .args(["check", "--format", "sarif", "--no-progress"])
            .args(extra)
            .arg("fixtures/compat/tf215_lstm.h5")
            .output()
            .unwrap()
            .stdout;
        json_of(&out)
    };
    let log = sarif(&["--target", "keras3"]);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "C102"),
        "{results:#?}"
    );
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let plain = sarif(&[]);
    let rules = plain["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules
            .iter()
            .all(|r| !r["id"].as_str().unwrap().starts_with('C'))
    );
}

/// A folder holding corrupt files, a non-Keras HDF5 file, a symlink loop and an unreadable
/// entry: each is reported, and the scan finishes.
#[test]
fn folder_scan_reports_every_kind_of_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        root().join("fixtures/tfk_sequential_basic.h5"),
        d.join("good.h5"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/bad/truncated.h5"),
        d.join("corrupt.h5"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/bad/not_keras_dataset.h5"),
        d.join("dataset.hdf5"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/bad/not_keras_dataset.h5"),
        d.join("plain_data.bin"),
    )
    .unwrap();
    std::fs::write(d.join("notes.txt"), "not a model").unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/loop")).unwrap();
    // Unreadable entries. Permissions do not stop root (CI runs as root), so the sure one is a
    // link to a file whose reads fail: /proc/self/mem at address 0 (EIO).
    std::os::unix::fs::symlink("/proc/self/mem", d.join("unreadable.h5")).unwrap();
    let locked = d.join("locked.h5");
    std::fs::copy(root().join("fixtures/tfk_sequential_basic.h5"), &locked).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let locked_is_unreadable = std::fs::read(&locked).is_err();
    // A FIFO: never opened (it would block).
    assert!(
        std::process::Command::new("mkfifo")
            .arg(d.join("pipe.h5"))
            .status()
            .unwrap()
            .success()
    );
    let out = kerascope()
        .args([
            "check",
            "--format",
            "json",
            "--follow-links",
            "--no-progress",
        ])
        .arg(d)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    let status = |name: &str| -> String {
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(name))
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not reported: {doc:#}"))
    };
    assert_eq!(status("good.h5"), "clean");
    assert_eq!(status("corrupt.h5"), "error");
    // Named like a Keras file but not one: an error, never silently clean.
    assert_eq!(status("dataset.hdf5"), "error");
    assert_eq!(status("plain_data.bin"), "skipped");
    assert_eq!(status("notes.txt"), "skipped");
    assert_eq!(status("loop"), "error");
    assert_eq!(status("unreadable.h5"), "error");
    if locked_is_unreadable {
        assert_eq!(status("locked.h5"), "error");
    }
}

#[test]
fn formula_prints_the_count_and_the_arithmetic() {
    let out = kerascope()
        .args(["formula", "LSTM", "units=256", "input_dim=4096"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("4·((4096+1)·256 + 256²) = 4,457,472"),
        "{text}"
    );
    // Keras 1 argument names are accepted.
    let out = kerascope()
        .args(["formula", "Dense", "output_dim=128", "input_dim=784"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out).unwrap().contains("100,480"));
}

#[test]
fn rule_docs_cover_every_code() {
    let out = kerascope()
        .args(["rule"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listing = String::from_utf8(out).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for line in listing.lines() {
        let code = line.split_whitespace().next().unwrap();
        kerascope().args(["rule", code]).assert().success();
        let mut columns = line.split_whitespace().skip(1);
        let (severity, name) = (columns.next().unwrap(), columns.next().unwrap());
        let row = format!("| `{code}` | {name} | {severity} |");
        assert!(
            readme.contains(&row),
            "README's finding codes lack the row {row}"
        );
    }
}

/// The whole hostile set: every file read, hazards found, so `check` exits 1 (not 2).
#[test]
fn hostile_folder_exits_with_findings() {
    kerascope()
        .args([
            "check",
            "--no-progress",
            "--format",
            "json",
            "fixtures/hostile",
        ])
        .assert()
        .code(1);
}
