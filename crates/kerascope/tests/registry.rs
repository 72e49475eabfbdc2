//! One registry of finding codes: every code the analysis emits, on every fixture and corpus
//! file (tensor values read too, and the blockers of each compatibility target), is one
//! `kerascope rule` documents, and every code written in the source is declared through the
//! registry.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kerascope::audit::deep;
use kerascope::compat::{self, Target};
use kerascope::registry::docs;
use kerascope::{Options, analyze_path};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn registered() -> BTreeSet<&'static str> {
    docs().iter().map(|d| d.code).collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_emitted_code_is_registered() {
    let registered = registered();
    let mut files = Vec::new();
    files_under(&Path::new(ROOT).join("fixtures"), &mut files);
    files_under(&Path::new(ROOT).join("../shared/corpus/files"), &mut files);
    // The pathological inputs are slow by design (tests/robustness.rs times them).
    files.retain(|p| !p.to_string_lossy().contains("/robustness/"));
    let mut emitted = BTreeSet::new();
    for path in &files {
        let Ok(analysis) = analyze_path(path, &Options::default()) else {
            continue;
        };
        let data = deep::check(path, &analysis.file);
        let blockers: Vec<_> = [Target::Keras3, Target::TfKeras]
            .into_iter()
            .flat_map(|target| compat::findings(&analysis.file, path, target))
            .collect();
        for finding in analysis.findings.iter().chain(&data).chain(&blockers) {
            assert!(
                registered.contains(finding.code),
                "{}: {} is emitted but not registered",
                path.display(),
                finding.code
            );
            emitted.insert(finding.code);
        }
    }
    assert!(
        emitted.len() >= 20,
        "only {emitted:?} seen: fixtures missing?"
    );
    assert!(
        emitted.iter().any(|code| code.starts_with('C')),
        "no compatibility blocker seen in {emitted:?}: fixtures/compat missing?"
    );
}

#[test]
fn every_code_in_the_source_is_registered() {
    let registered = registered();
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        for (at, _) in text.match_indices("code: \"") {
            let code: String = text[at + 7..].chars().take_while(|c| *c != '"').collect();
            assert!(
                registered.contains(code.as_str()),
                "{}: code {code} is not registered",
                path.display()
            );
        }
    }
}
