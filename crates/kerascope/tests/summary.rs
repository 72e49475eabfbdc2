//! `summary` against Keras's own: the totals equal what Keras reported for every fixture and
//! every corpus file it loaded, and the total lines Keras printed (`Trainable params: 58
//! (232.00 B)`) appear in ours word for word; rendered tables are pinned by snapshots.

use std::path::{Path, PathBuf};

use kerascope::report::summary::{self, RenderOptions, Style};
use kerascope::{Analysis, Limits, load_config};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The architecture a weights-only fixture was saved from (its truth names no file; the
/// generator wrote them side by side).
fn architecture_for(name: &str) -> Option<PathBuf> {
    let fixtures = root().join("fixtures");
    let candidates = [
        name.replace("_weights.h5", "_arch.json"),
        name.replace(".weights.h5", ".keras"),
    ];
    candidates
        .into_iter()
        .filter(|c| c != name)
        .map(|c| fixtures.join(c))
        .find(|p| p.exists())
}

fn analyze_fixture(name: &str) -> Analysis {
    let limits = Limits::default();
    let config = architecture_for(name).map(|p| load_config(&p, &limits).unwrap());
    analyze_with_config(&root().join("fixtures").join(name), &limits, config).unwrap()
}

fn render(analysis: &Analysis, style: Style) -> String {
    let built = summary::build(analysis);
    summary::render(
        &built,
        &RenderOptions {
            style,
            width: 200,
            explain: false,
            expand_nested: false,
            color: false,
        },
    )
}

/// The total lines of a Keras summary text, trimmed: `Trainable params: 58 (232.00 B)`.
fn keras_total_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.contains(" params: "))
        .map(str::to_string)
        .collect()
}

fn style_of(writer: &str) -> Style {
    if writer.starts_with("keras 3") || writer.starts_with('3') {
        Style::Keras3
    } else {
        Style::Keras2
    }
}

/// Compares our totals and rendered total lines with what Keras printed.
fn assert_matches_keras(
    name: &str,
    analysis: &Analysis,
    keras: &Value,
    summary_text: &str,
    style: Style,
) {
    let built = summary::build(analysis);
    let optimizer = built.optimizer_params.unwrap_or(0);
    let ours = render(analysis, style);
    for line in keras_total_lines(summary_text) {
        if let Some(total) = line.strip_prefix("Total params: ") {
            // Keras 3 adds optimizer state into Total after fit(); we print it apart.
            let number: u64 = total
                .split(' ')
                .next()
                .unwrap()
                .replace(',', "")
                .parse()
                .unwrap();
            let expected_total = if summary_text.contains("Optimizer params") {
                number - optimizer
            } else {
                number
            };
            assert_eq!(built.total_params, expected_total, "{name}: total");
            if optimizer > 0 && summary_text.contains("Optimizer params") {
                assert!(
                    ours.contains(&format!(
                        "Keras 3 would print Total params: {}",
                        total.split(' ').next().unwrap()
                    )),
                    "{name}: the Keras 3 total is not explained:\n{ours}"
                );
            }
            continue;
        }
        if built.unknown_trainability > 0 && line.contains("rainable") {
            continue;
        }
        assert!(
            ours.lines()
                .any(|l| l.trim() == line || l.trim().starts_with(&format!("{line} "))),
            "{name}: Keras printed {line:?}; ours:\n{ours}"
        );
    }
    if built.unknown_trainability == 0 {
        assert_eq!(
            Some(built.trainable_params),
            keras["trainable_params"].as_u64(),
            "{name}: trainable"
        );
        assert_eq!(
            Some(built.non_trainable_params),
            keras["non_trainable_params"].as_u64(),
            "{name}: non-trainable"
        );
    }
}

#[test]
fn fixture_summaries_total_as_keras_printed_them() {
    let mut compared = 0;
    let dir = root().join("fixtures/truth");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let truth = load(&path);
        let name = truth["file"].as_str().unwrap();
        let noted = truth["layers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.get("note").is_some_and(|n| !n.is_null()));
        if noted {
            continue; // LoRA / SpectralNormalization: the file stores other than count_params
        }
        let analysis = analyze_fixture(name);
        let built = summary::build(&analysis);
        assert_eq!(
            built.optimizer_params,
            truth["optimizer_params"].as_u64(),
            "{name}: optimizer"
        );
        let style = style_of(truth["writer"].as_str().unwrap());
        assert_matches_keras(
            name,
            &analysis,
            &truth,
            truth["summary"].as_str().unwrap(),
            style,
        );
        compared += 1;
    }
    assert!(compared >= 25, "only {compared} fixtures compared");
}

#[test]
fn corpus_summaries_total_as_keras_printed_them() {
    let corpus = root().join("../shared/corpus");
    let mut compared = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus.join("truth"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let truth = load(&path);
        let name = truth["static"]["file"].as_str().unwrap();
        let (loaded, style) = if truth["keras3_load"]["loaded"] == true {
            (&truth["keras3_load"], Style::Keras3)
        } else if truth["tf_keras_load"]["loaded"] == true {
            (&truth["tf_keras_load"], Style::Keras2)
        } else {
            continue;
        };
        let analysis =
            analyze_with_config(&corpus.join("files").join(name), &Limits::default(), None)
                .unwrap();
        let keras = serde_json::json!({
            "trainable_params": loaded["trainable_params"],
            "non_trainable_params": loaded["non_trainable_params"],
        });
        assert_eq!(
            summary::build(&analysis).total_params,
            loaded["count_params"].as_u64().unwrap(),
            "{name}: total"
        );
        assert_matches_keras(
            name,
            &analysis,
            &keras,
            loaded["summary"].as_str().unwrap_or(""),
            style,
        );
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} corpus files compared");
}

fn snapshot_text(name: &str, style: Style, explain: bool, expand_nested: bool) -> String {
    let analysis = analyze_fixture(name);
    let built = summary::build(&analysis);
    summary::render(
        &built,
        &RenderOptions {
            style,
            width: 80,
            explain,
            expand_nested,
            color: false,
        },
    )
}

#[test]
fn rendered_tables() {
    insta::assert_snapshot!(
        "sequential_keras3",
        snapshot_text("k3_sequential_basic.keras", Style::Keras3, false, false)
    );
    insta::assert_snapshot!(
        "sequential_keras2",
        snapshot_text("tfk_sequential_basic.h5", Style::Keras2, false, false)
    );
    insta::assert_snapshot!(
        "branches_keras3",
        snapshot_text("k3_functional_branches.keras", Style::Keras3, false, false)
    );
    insta::assert_snapshot!(
        "nested_expanded",
        snapshot_text("tfk_functional_nested.h5", Style::Keras3, false, true)
    );
    insta::assert_snapshot!(
        "weights_with_architecture",
        snapshot_text(
            "tfk_sequential_basic_weights.h5",
            Style::Keras3,
            false,
            false
        )
    );
    let bare = analyze_with_config(
        &root().join("fixtures/tfk_sequential_basic_weights.h5"),
        &Limits::default(),
        None,
    )
    .unwrap();
    insta::assert_snapshot!("weights_only", render(&bare, Style::Keras3));
    insta::assert_snapshot!(
        "after_fit_keras3",
        snapshot_text("k3_functional_fit.keras", Style::Keras3, false, false)
    );
    insta::assert_snapshot!(
        "explain_seed",
        snapshot_text("seed_lstm_4096.h5", Style::Keras3, true, false)
    );
    insta::assert_snapshot!(
        "explain_recurrent",
        snapshot_text("tfk_recurrent.h5", Style::Keras3, true, false)
    );
    insta::assert_snapshot!(
        "markdown",
        snapshot_text("k3_functional_fit.keras", Style::Markdown, true, false)
    );
}

/// Every rendered line fits 80 columns when asked to.
#[test]
fn tables_fit_80_columns() {
    for name in [
        "k3_functional_branches.keras",
        "tfk_functional_nested.h5",
        "k3_conv.keras",
        "tfk_mha.h5",
    ] {
        for style in [Style::Keras3, Style::Keras2] {
            let text = snapshot_text(name, style, true, true);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= 80,
                    "{name}: {} columns: {line}",
                    line.chars().count()
                );
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
