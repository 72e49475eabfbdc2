//! The arithmetic a rule shows adds up to the weights it declares, for every layer kerascope
//! meets in the fixtures and the shared corpus (nested models' layers included): a rule
//! whose formula drifts from its weights fails here, naming the file and the layer. (The
//! verified cases are checked in `verified_cases.rs`, hostile configs in the rules' unit
//! tests.)

use std::path::{Path, PathBuf};

use kerascope::shape::{Expected, ModelResult};
use kerascope::{Options, analyze_path};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if !path
            .extension()
            .is_some_and(|e| e == "json" || e == "md" || e == "txt")
        {
            out.push(path);
        }
    }
}

/// Every drift in a model's layers, as `file: layer (class): formula = value but ...`.
fn drifts(file: &Path, model: &ModelResult, prefix: &str, out: &mut Vec<String>) {
    for layer in &model.layers {
        let name = format!("{prefix}{}", layer.name);
        match &layer.expected {
            Expected::Rule(rule) => {
                if let Some(drift) = &rule.formula_drift {
                    out.push(format!(
                        "{}: {name} ({}): {drift}",
                        file.display(),
                        layer.class_name
                    ));
                }
            }
            Expected::Nested(inner) => drifts(file, inner, &format!("{name}/"), out),
            _ => {}
        }
    }
}

#[test]
fn every_formula_adds_up_to_its_weights_in_fixtures_and_corpus() {
    let root = root();
    let mut files = Vec::new();
    // `crashes/` holds inputs that once crashed a dependency: nothing there reaches a rule.
    files_under(&root.join("fixtures"), &mut files);
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "crashes"));
    let corpus = root.join("../shared/corpus/files");
    files_under(&corpus, &mut files);
    files.sort();
    assert!(files.len() > 150, "fixtures or corpus missing");
    let mut found = Vec::new();
    let mut layers_with_formula = 0usize;
    for file in &files {
        let Ok(analysis) = analyze_path(file, &Options::default()) else {
            continue;
        };
        if let Some(result) = &analysis.result {
            layers_with_formula += count_formulas(result);
            drifts(file, result, "", &mut found);
        }
    }
    assert!(
        found.is_empty(),
        "formulas that do not add up to their weights:\n{}",
        found.join("\n")
    );
    println!(
        "{} files, {layers_with_formula} layers with a derivation",
        files.len()
    );
    // The check saw real work: every fixture and corpus layer with a derivation.
    assert!(layers_with_formula > 1000, "{layers_with_formula} layers");
}

fn count_formulas(model: &ModelResult) -> usize {
    model
        .layers
        .iter()
        .map(|layer| match &layer.expected {
            Expected::Rule(rule) => usize::from(rule.derivation.is_some()),
            Expected::Nested(inner) => count_formulas(inner),
            _ => 0,
        })
        .sum()
}
