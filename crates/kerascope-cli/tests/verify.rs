//! `verify` against what Keras printed: every `model.summary()` in fixtures/summaries/ (Keras
//! 3.15.1 and tf_keras 2.21 from fixtures/truth, standalone Keras 2.3.1 and 1.2.2 from
//! scripts/summaries/, all written by scripts/make_summaries.py) verifies against its own file
//! with no difference, and on its own with every re-derivable count fitting; each mutated
//! summary (one real summary with one edit) is caught on the row it names; the summaries that
//! differ from their file for a known reason get that reason.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use kerascope::verify::{self, Kind, PrintedSummary, RowStatus, Style, Verification};
use kerascope::{Analysis, Limits, load_config};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn load(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join(path)).unwrap()).unwrap()
}

fn entries(path: &str) -> Vec<Value> {
    load(path).as_array().unwrap().clone()
}

fn text(entry: &Value) -> String {
    std::fs::read_to_string(root().join(entry["summary"].as_str().unwrap())).unwrap()
}

fn printed(entry: &Value) -> PrintedSummary {
    verify::parse(&text(entry)).unwrap_or_else(|e| panic!("{}: {e}", entry["summary"]))
}

fn analysis(entry: &Value) -> Analysis {
    let limits = Limits::default();
    let config = entry["config"]
        .as_str()
        .map(|c| load_config(&root().join(c), &limits).unwrap());
    analyze_with_config(
        &root().join(entry["model"].as_str().unwrap()),
        &limits,
        config,
    )
    .unwrap()
}

fn against_file(entry: &Value) -> Verification {
    verify::against_file(&printed(entry), &analysis(entry))
}

fn kinds(v: &Verification) -> Vec<(Kind, Option<String>)> {
    v.differences
        .iter()
        .map(|d| (d.kind, d.row.clone()))
        .collect()
}

fn kind_named(name: &str) -> Kind {
    serde_json::from_value(Value::String(name.into())).unwrap()
}

#[test]
fn every_keras_summary_verifies_against_its_own_file() {
    let index = entries("fixtures/summaries/index.json");
    assert!(index.len() >= 45, "{} summaries", index.len());
    let mut styles = std::collections::BTreeSet::new();
    for entry in &index {
        let v = against_file(entry);
        assert!(
            v.matches(),
            "{} against {}: {:#?}",
            entry["summary"],
            entry["model"],
            v.differences
        );
        let expected_style = match entry["style"].as_str().unwrap() {
            "keras1" => Style::Keras1,
            "keras2" => Style::Keras2,
            _ => Style::Keras3,
        };
        assert_eq!(v.style, expected_style, "{}", entry["summary"]);
        styles.insert(entry["writer"].as_str().unwrap().to_string());
    }
    // Keras 1.2.2, Keras 2.3.1, tf_keras 2.21 and Keras 3.15.1 all printed some.
    assert_eq!(styles.len(), 4, "{styles:?}");
}

#[test]
fn every_row_of_every_summary_is_compared() {
    for entry in entries("fixtures/summaries/index.json") {
        let p = printed(&entry);
        let v = verify::against_file(&p, &analysis(&entry));
        let compared = v
            .rows
            .iter()
            .filter(|r| r.line.is_some() && r.status == RowStatus::Matches)
            .count();
        assert_eq!(compared, p.rows.len(), "{}", entry["summary"]);
        // The counts Keras printed are the file's (lora_dense excepted: Keras counts LoRA
        // factors no file stores; verify says so in a note).
        for row in &v.rows {
            if row.summary_params != row.file_params && row.name != "lora_dense" {
                panic!("{}: {row:?}", entry["summary"]);
            }
        }
    }
}

#[test]
fn after_fit_keras3_counts_the_optimizer_in_the_total_and_verify_says_so() {
    // Keras 3.15.1 printed `Total params: 190` = 58 + 14 + `Optimizer params: 118`.
    let index = entries("fixtures/summaries/index.json");
    let entry = index
        .iter()
        .find(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .ends_with("k3_functional_fit.keras.keras3.txt")
        })
        .unwrap();
    let p = printed(entry);
    assert_eq!(p.totals.optimizer, Some(118));
    let v = verify::against_file(&p, &analysis(entry));
    assert!(v.matches());
    assert!(
        v.notes.iter().any(|n| n.message.contains("optimizer")),
        "{:#?}",
        v.notes
    );
}

#[test]
fn every_keras_summary_holds_up_on_its_own() {
    let index = entries("fixtures/summaries/index.json");
    let explained = entries("fixtures/summaries/explained/expected.json");
    let mut recomputed = 0;
    for entry in index.iter().chain(&explained) {
        let v = verify::without_file(&printed(entry));
        assert!(v.matches(), "{}: {:#?}", entry["summary"], v.differences);
        recomputed += v
            .rows
            .iter()
            .filter(|r| r.status == RowStatus::Recomputed)
            .count();
    }
    assert!(recomputed > 300, "only {recomputed} rows re-derived");
}

#[test]
fn each_mutated_summary_is_caught_on_the_row_it_names() {
    let mutated = entries("fixtures/summaries/mutated/expected.json");
    assert!(mutated.len() >= 20);
    for entry in &mutated {
        let v = against_file(entry);
        let kind = kind_named(entry["kind"].as_str().unwrap());
        let row = entry["row"].as_str().map(str::to_string);
        assert!(
            kinds(&v).contains(&(kind, row.clone())),
            "{} ({}): expected {kind:?} on {row:?}, got {:#?}",
            entry["summary"],
            entry["mutation"],
            v.differences
        );
        // Row-level differences carry the line of the summary they are on, except a removed
        // row, which has none.
        for d in v
            .differences
            .iter()
            .filter(|d| d.row == row && row.is_some())
        {
            assert_eq!(d.line.is_none(), d.kind == Kind::MissingRow, "{d:?}");
        }
    }
}

#[test]
fn mutated_summaries_without_their_file() {
    for entry in entries("fixtures/summaries/mutated/expected.json") {
        let v = verify::without_file(&printed(&entry));
        let row = entry["row"].as_str().map(str::to_string);
        match entry["without_file"].as_str() {
            Some("row") => assert!(
                kinds(&v).contains(&(Kind::ImpossibleParams, row.clone())),
                "{}: {:#?}",
                entry["summary"],
                v.differences
            ),
            Some("totals") => assert!(
                v.differences
                    .iter()
                    .any(|d| d.kind == Kind::InconsistentTotals),
                "{}: {:#?}",
                entry["summary"],
                v.differences
            ),
            // A shape change on a weightless row, or a removed weightless row: nothing to
            // re-derive; but never a false alarm on another row.
            _ => assert!(
                v.differences
                    .iter()
                    .all(|d| d.kind != Kind::ImpossibleParams || d.row == row),
                "{}: {:#?}",
                entry["summary"],
                v.differences
            ),
        }
    }
}

#[test]
fn summaries_that_differ_from_their_file_for_a_known_reason() {
    for entry in entries("fixtures/summaries/explained/expected.json") {
        let v = against_file(&entry);
        let mut got: Vec<(Kind, Option<String>)> = kinds(&v);
        let mut expected: Vec<(Kind, Option<String>)> = entry["differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    kind_named(d["kind"].as_str().unwrap()),
                    d["row"].as_str().map(str::to_string),
                )
            })
            .collect();
        // `row: null` in expected.json for a row-level kind: any row.
        for (kind, row) in &mut expected {
            if row.is_none()
                && let Some((_, r)) = got.iter().find(|(k, _)| k == kind)
            {
                *row = r.clone();
            }
        }
        got.sort_by_key(|(k, r)| (k.as_str(), r.clone()));
        expected.sort_by_key(|(k, r)| (k.as_str(), r.clone()));
        if entry["differences"][0]["kind"] == "renamed" {
            // Two renames, each its own row.
            assert_eq!(
                got.iter().filter(|(k, _)| *k == Kind::Renamed).count(),
                2,
                "{got:?}"
            );
        } else {
            assert_eq!(got, expected, "{}", entry["summary"]);
        }
        let mentions = entry["mentions"].as_str().unwrap();
        assert!(
            v.differences.iter().all(|d| d
                .explanation
                .as_deref()
                .is_some_and(|e| e.contains(mentions) || e.contains("follows from"))),
            "{}: every difference explained ({mentions}): {:#?}",
            entry["summary"],
            v.differences
        );
    }
}

/// A summary Keras 3.15.1 printed for a corpus file it loaded, or tf_keras 2.21.
fn corpus_summaries() -> Vec<(PathBuf, String, String)> {
    let truth = root().join("../shared/corpus/truth");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&truth).unwrap() {
        let path = entry.unwrap().path();
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let name = name.strip_suffix(".json").unwrap().to_string();
        for loader in ["keras3_load", "tf_keras_load"] {
            if let Some(summary) = value[loader]["summary"].as_str() {
                out.push((
                    root().join("../shared/corpus/files").join(&name),
                    loader.to_string(),
                    summary.to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Corpus summaries that differ from kerascope's reading of the file, and why. Each is a
/// known gap, not a wrong summary.
const CORPUS_EXCEPTIONS: &[(&str, &str, Kind)] = &[
    // Keras 3 rebuilds this tf.keras 2.3 Sequential with an extra axis: `(None, None, 6272)`.
    (
        "boga-man__BasicDCGAN__generator.h5",
        "keras3_load",
        Kind::OutputShape,
    ),
];

#[test]
fn corpus_summaries_verify_against_the_files_keras_loaded() {
    let summaries = corpus_summaries();
    assert!(
        summaries.len() >= 20,
        "{} corpus summaries",
        summaries.len()
    );
    for (file, loader, text) in summaries {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let p = verify::parse(&text).unwrap_or_else(|e| panic!("{name} {loader}: {e}"));
        let a = analyze_with_config(&file, &Limits::default(), None).unwrap();
        let v = verify::against_file(&p, &a);
        let allowed = CORPUS_EXCEPTIONS
            .iter()
            .find(|(n, l, _)| *n == name && *l == loader)
            .map(|(_, _, k)| *k);
        for d in &v.differences {
            assert_eq!(Some(d.kind), allowed, "{name} ({loader}): {d:#?}");
        }
        // Every count Keras printed is the file's.
        assert!(
            v.rows.iter().all(|r| r.summary_params == r.file_params),
            "{name} ({loader})"
        );
        let alone = verify::without_file(&p);
        assert!(
            alone.matches(),
            "{name} ({loader}) on its own: {:#?}",
            alone.differences
        );
    }
}

// ---- the command line ------------------------------------------------------------------------

fn kerascope() -> Command {
    let mut cmd = Command::cargo_bin("kerascope").unwrap();
    cmd.current_dir(root());
    cmd
}

const SUMMARY: &str = "fixtures/summaries/tfk_sequential_basic.h5.keras2.txt";
const MUTATED: &str =
    "fixtures/summaries/mutated/tfk_sequential_basic.h5.keras2.params.batch_normalization.txt";

#[test]
fn exit_status_says_match_difference_or_unreadable() {
    kerascope()
        .args([
            "verify",
            "fixtures/tfk_sequential_basic.h5",
            "--summary",
            SUMMARY,
        ])
        .assert()
        .code(0);
    kerascope()
        .args([
            "verify",
            "fixtures/tfk_sequential_basic.h5",
            "--summary",
            MUTATED,
        ])
        .assert()
        .code(1);
    kerascope()
        .args(["verify", "--summary", SUMMARY])
        .assert()
        .code(0);
    kerascope()
        .args(["verify", "--summary", MUTATED])
        .assert()
        .code(1);
    kerascope()
        .args(["verify", "fixtures/bad/truncated.h5", "--summary", SUMMARY])
        .assert()
        .code(2);
    kerascope()
        .args(["verify", "--summary", "fixtures/README.md"])
        .assert()
        .code(2);
    kerascope()
        .args(["verify", "--summary", "fixtures/summaries/no-such-file.txt"])
        .assert()
        .code(2);
}

#[test]
fn the_summary_can_come_from_standard_input() {
    let text = std::fs::read_to_string(root().join(MUTATED)).unwrap();
    let out = kerascope()
        .args([
            "verify",
            "fixtures/tfk_sequential_basic.h5",
            "--summary",
            "-",
        ])
        .write_stdin(text)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("`batch_normalization` (line 7): 46 in the summary, 64 in the file"),
        "{out}"
    );
}

#[test]
fn json_report_names_each_difference() {
    let out = kerascope()
        .args([
            "verify",
            "fixtures/tfk_sequential_basic.h5",
            "--summary",
            MUTATED,
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["schema"], "kerascope.verify/1");
    assert_eq!(doc["matches"], false);
    assert_eq!(doc["summary"]["style"], "keras2");
    assert_eq!(doc["file"]["format"], "legacy-h5-full-model");
    let d = &doc["differences"][0];
    assert_eq!(d["kind"], "params");
    assert_eq!(d["row"], "batch_normalization");
    assert_eq!(d["line"], 7);
    assert_eq!(doc["rows"].as_array().unwrap().len(), 4);
}

#[test]
fn a_path_to_the_fixture_summaries_is_given_relative_to_the_repository() {
    // The index names model files that exist (so a failure above is never a missing file).
    for entry in entries("fixtures/summaries/index.json") {
        for key in ["summary", "model"] {
            let path = entry[key].as_str().unwrap();
            assert!(Path::new(&root().join(path)).exists(), "{path}");
        }
    }
}

#[test]
fn the_report_for_people() {
    use kerascope::report::verify::{FileLabel, to_text};
    let entry = entries("fixtures/summaries/mutated/expected.json")
        .into_iter()
        .find(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .ends_with("k3_functional_fit.keras.keras3.params.out.txt")
        })
        .unwrap();
    let a = analysis(&entry);
    let v = verify::against_file(&printed(&entry), &a);
    let label = FileLabel {
        path: entry["model"].as_str().unwrap(),
        analysis: &a,
    };
    insta::assert_snapshot!(
        "verify_params_edited",
        to_text(entry["summary"].as_str().unwrap(), Some(&label), &v)
    );
    let alone = verify::without_file(&printed(&entry));
    insta::assert_snapshot!(
        "verify_without_file",
        to_text(entry["summary"].as_str().unwrap(), None, &alone)
    );
}

/// Cut anywhere, or with numbers blown up, a summary never makes `verify` panic.
#[test]
fn damaged_summaries_never_panic() {
    let index = entries("fixtures/summaries/index.json");
    for entry in index.iter() {
        let text = text(entry);
        let a = analysis(entry);
        let mut variants: Vec<String> = text
            .char_indices()
            .map(|(i, _)| i)
            .step_by(401)
            .map(|i| text[..i].to_string())
            .collect();
        variants.push(text.replace('1', "18446744073709551615"));
        variants.push(text.replace("(None, ", "(0, 0, "));
        variants.push(text.replace("(None, ", "(None, 4294967296, "));
        variants.push(text.replace(", ", ",\n"));
        for variant in variants {
            if let Ok(p) = verify::parse(&variant) {
                let _ = verify::against_file(&p, &a);
                let _ = verify::without_file(&p);
            }
        }
    }
}

fn analyze_with_config(
    path: &Path,
    limits: &Limits,
    config: Option<Value>,
) -> kerascope::Result<Analysis> {
    kerascope::analyze_path(
        path,
        &kerascope::Options::new().limits(*limits).config(config),
    )
}
