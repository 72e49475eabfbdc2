//! `compat` against what Keras did: every fixture of `scripts/make_compat.py` (loaded by Keras
//! 3.15.1 and tf_keras 2.21 in the generator, fixtures/compat/truth.json) and every corpus file
//! whose truth records a load by each (../shared/corpus/truth/*.json).

use std::path::{Path, PathBuf};

use kerascope::compat::{Assessment, Target, Verdict, assess};
use kerascope::format::read_path;
use kerascope::limits::Limits;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn assess_path(path: &Path, target: Target) -> Option<Assessment> {
    let file = read_path(path, &Limits::default()).ok()?;
    Some(assess(&file, path, target))
}

/// A load recorded by the generator or the corpus: loaded, or the error text.
fn recorded(load: &Value) -> Option<Result<(), String>> {
    let loaded = load.get("loaded")?.as_bool()?;
    Some(if loaded {
        Ok(())
    } else {
        Err(load
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string())
    })
}

struct Tally {
    agree: usize,
    total: usize,
    message_agree: usize,
    message_total: usize,
    misses: Vec<String>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            agree: 0,
            total: 0,
            message_agree: 0,
            message_total: 0,
            misses: Vec::new(),
        }
    }

    fn add(
        &mut self,
        label: &str,
        target: Target,
        got: Option<&Assessment>,
        truth: &Result<(), String>,
    ) {
        self.total += 1;
        let loads = got.is_some_and(|a| a.verdict == Verdict::Loads);
        if loads == truth.is_ok() {
            self.agree += 1;
        } else {
            self.misses.push(format!(
                "{label} [{target:?}]: compat {:?}, Keras {truth:?}",
                got.map(|a| &a.blockers)
            ));
        }
        // The first blocker is the error Keras raises: its words appear in Keras's message.
        if let (Err(error), Some(a)) = (truth, got)
            && let Some(first) = a.blockers.first()
        {
            {
                self.message_total += 1;
                let head: String = first.message.chars().take(60).collect();
                if error.contains(&head) {
                    self.message_agree += 1;
                }
            }
        }
    }

    fn rate(&self) -> f64 {
        self.agree as f64 / self.total.max(1) as f64
    }
}

#[test]
fn verdicts_match_keras_on_the_fixtures() {
    let dir = root().join("fixtures/compat");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
    let mut tally = Tally::new();
    for (name, loads) in truth["files"].as_object().unwrap() {
        for (target, key) in [(Target::Keras3, "keras3"), (Target::TfKeras, "tf_keras")] {
            let t = recorded(&loads[key]).unwrap();
            let got = assess_path(&dir.join(name), target);
            tally.add(name, target, got.as_ref(), &t);
        }
    }
    eprintln!(
        "fixtures: verdict {}/{} ({:.1} %), first message {}/{}",
        tally.agree,
        tally.total,
        100.0 * tally.rate(),
        tally.message_agree,
        tally.message_total
    );
    assert!(tally.misses.is_empty(), "{}", tally.misses.join("\n"));
}

#[test]
fn verdicts_match_keras_on_the_corpus() {
    let corpus = root().join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(corpus.join("truth")) else {
        eprintln!("../shared/corpus not found: skipped");
        return;
    };
    let mut tally = Tally::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".json")
            .to_string();
        let file = corpus.join("files").join(&name);
        for (target, key) in [
            (Target::Keras3, "keras3_load"),
            (Target::TfKeras, "tf_keras_load"),
        ] {
            let Some(t) = truth.get(key).and_then(recorded) else {
                continue;
            };
            let got = assess_path(&file, target);
            tally.add(&name, target, got.as_ref(), &t);
        }
    }
    eprintln!(
        "corpus: verdict {}/{} ({:.1} %), first message {}/{}",
        tally.agree,
        tally.total,
        100.0 * tally.rate(),
        tally.message_agree,
        tally.message_total
    );
    for miss in &tally.misses {
        eprintln!("  {miss}");
    }
    assert!(tally.rate() >= 0.99, "{}", tally.misses.join("\n"));
}
