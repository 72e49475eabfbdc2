//! "Is this file safe to load?": every hazard planted by `scripts/make_hostile.py` (crafted
//! with h5py/zipfile/json, never by loading anything) is reported, once, with its code, layer
//! path and CVE ids; clean files carry no security error; and nothing outside the scanned
//! file is ever opened.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kerascope::audit::Severity;
use kerascope::{Analysis, Options, analyze_path};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn analyze(path: &Path) -> Analysis {
    analyze_path(path, &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (code, layer) of the security findings, sorted.
fn security(analysis: &Analysis) -> Vec<(String, Option<String>)> {
    let mut found: Vec<(String, Option<String>)> = analysis
        .findings
        .iter()
        .filter(|f| f.code.starts_with('S'))
        .map(|f| (f.code.to_string(), f.layer.clone()))
        .collect();
    found.sort();
    found
}

#[test]
fn every_planted_hazard_is_reported_once_with_its_code_layer_and_cve() {
    let dir = root().join("fixtures/hostile");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let cases = expected.as_array().unwrap();
    assert!(cases.len() > 80, "hostile set missing");
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let analysis = analyze(&dir.join(file));
        let mut want: Vec<(String, Option<String>)> = case["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["layer"].as_str().map(str::to_string),
                )
            })
            .collect();
        want.sort();
        assert_eq!(security(&analysis), want, "{file}: {}", case["note"]);
        for f in case["findings"].as_array().unwrap() {
            let cves: Vec<&str> = f["cve"]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ours = analysis
                .findings
                .iter()
                .find(|x| x.code == f["code"].as_str().unwrap())
                .unwrap();
            assert_eq!(
                ours.cve,
                cves.as_slice(),
                "{file}: CVE ids of {}",
                ours.code
            );
        }
    }
}

/// The same files under other names: the format comes from the bytes.
#[test]
fn renamed_hostile_files_are_found_by_content() {
    let dir = root().join("fixtures/hostile");
    for (file, code) in [
        ("k3_s101_lambda_top", "S101"),
        ("zip_s301_dotdot.zip", "S301"),
        ("h5_s202_external_link.hdf5", "S202"),
    ] {
        let analysis = analyze(&dir.join(file));
        assert!(
            security(&analysis).iter().any(|(c, _)| c == code),
            "{file}: no {code}"
        );
    }
}

/// Lambda bytecode is decoded and its dangerous names are shown.
#[test]
fn lambda_findings_show_what_the_bytecode_references() {
    let analysis = analyze(&root().join("fixtures/hostile/k3_s101_lambda_top.keras"));
    let finding = analysis.findings.iter().find(|f| f.code == "S101").unwrap();
    for name in ["__import__", "system"] {
        assert!(finding.message.contains(name), "{}", finding.message);
    }
    assert!(finding.message.contains("dangerous"), "{}", finding.message);
}

/// Clean files — every fixture Keras wrote and every corpus file not marked malicious —
/// carry no security finding of severity error.
#[test]
fn clean_files_carry_no_security_error() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "h5" || e == "keras"))
        .collect();
    let corpus = root().join("../shared/corpus");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("manifest.json")).unwrap()).unwrap();
    for entry in manifest.as_array().unwrap() {
        if entry["malicious"].as_bool() != Some(true) && entry["format"] != "not-hdf5-or-zip" {
            paths.push(corpus.join("files").join(entry["file"].as_str().unwrap()));
        }
    }
    paths.sort();
    for path in paths {
        let analysis = analyze(&path);
        let errors: Vec<_> = analysis
            .findings
            .iter()
            .filter(|f| f.code.starts_with('S') && f.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

/// The corpus proof of concept (a duplicated model.weights.npz whose second copy is a pickle)
/// is flagged without unpickling anything.
#[test]
fn corpus_pickle_proof_of_concept_is_flagged() {
    let path = root().join("../shared/corpus/files/12end__evil_keras__model.keras");
    let analysis = analyze(&path);
    let codes: BTreeSet<&str> = analysis.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains("S303"), "{codes:?}");
}

/// External storage pointing at a FIFO beside the file: opening it would block forever, so
/// finishing proves it is never opened.
#[test]
fn external_storage_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.h5");
    std::fs::copy(
        root().join("fixtures/hostile/h5_s201_external_storage_sentinel.h5"),
        &model,
    )
    .unwrap();
    let fifo = dir.path().join("kerascope-sentinel.bin");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (sender, receiver) = std::sync::mpsc::channel();
    let path = model.clone();
    std::thread::spawn(move || {
        let analysis = analyze(&path);
        let _ = sender.send(security(&analysis));
    });
    let found = receiver
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("kerascope blocked: it opened the external-storage FIFO");
    assert!(found.iter().any(|(c, _)| c == "S201"), "{found:?}");
}

/// Every Lambda layer h5py/zipfile found in a corpus file (`static.lambda_layers` of its
/// truth) is reported by name (S101 or S109), and no other layer is.
#[test]
fn corpus_lambda_layers_are_each_reported_by_name() {
    let corpus = root().join("../shared/corpus");
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus.join("truth")).unwrap() {
        let truth: Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let stat = &truth["static"];
        let Some(expected) = stat["lambda_layers"].as_array() else {
            continue;
        };
        let name = stat["file"].as_str().unwrap();
        let Ok(analysis) = analyze_path(&corpus.join("files").join(name), &Options::default())
        else {
            continue;
        };
        let mut ours: Vec<String> = analysis
            .findings
            .iter()
            .filter(|f| f.code == "S101" || f.code == "S109")
            .map(|f| f.layer.clone().unwrap_or_default())
            .collect();
        ours.sort();
        let mut want: Vec<String> = expected
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        want.sort();
        assert_eq!(ours, want, "{name}");
        checked += want.len();
    }
    assert!(checked >= 5, "only {checked} Lambda layers in the corpus");
}
