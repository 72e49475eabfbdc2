//! `compat` against what Keras did: every fixture of `scripts/make_compat.py` (loaded by Keras
//! 3.15.1 and tf_keras 2.21 in the generator, fixtures/compat/truth.json) and every corpus file
//! whose truth records a load by each (../shared/corpus/truth/*.json).

use std::path::{Path, PathBuf};

use kerascope::bind::read_path;
use kerascope::compat::{Assessment, Target, Verdict, assess};
use kerascope::limits::Limits;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
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
                } else if std::env::var_os("COMPAT_VERBOSE").is_some() {
                    eprintln!(
                        "message {label} [{target:?}]:\n  compat {}\n  keras  {error}",
                        first.message
                    );
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

fn kerascope() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("kerascope").unwrap()
}

/// tf.keras 2.15 saved an LSTM with `time_major=False`; Keras 3.15.1 refused it with this
/// message (fixtures/compat/truth.json), which compat gives as the blocker, fixable.
#[test]
fn compat_json_names_the_blocker_as_keras_does() {
    let out = kerascope()
        .args(["compat", "--format", "json"])
        .arg(root().join("fixtures/compat/tf215_lstm.h5"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "kerascope.compat/1");
    assert_eq!(report["target"], "keras3");
    let file = &report["files"][0];
    assert_eq!(file["verdict"], "fails");
    let blocker = &file["blockers"][0];
    assert_eq!(blocker["code"], "C102");
    assert_eq!(blocker["layer"], "lstm");
    assert_eq!(blocker["key"], "time_major");
    assert_eq!(
        blocker["message"],
        "Unrecognized keyword arguments passed to LSTM: {'time_major': False}"
    );
    assert_eq!(blocker["fixable"], true);
}

/// Exit 0 when every file loads (tf_keras 2.21 loaded this tf.keras 2.15 file), 1 when one
/// fails or holds weights only, 2 when one cannot be read.
#[test]
fn compat_exit_status() {
    let fixture = |name: &str| root().join("fixtures/compat").join(name);
    kerascope()
        .args(["compat", "--target", "tf-keras"])
        .arg(fixture("tf215_lstm.h5"))
        .assert()
        .code(0);
    let out = kerascope()
        .arg("compat")
        .arg(fixture("tf215_conv1d_pool.h5"))
        .arg(root().join("fixtures/tfk_sequential_basic_weights.h5"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a model"));
    kerascope()
        .arg("compat")
        .arg(fixture("tf215_conv1d_pool.h5"))
        .arg(root().join("Cargo.toml"))
        .assert()
        .code(2);
}

/// `check --target keras3` adds the blockers as error findings; without it, none.
#[test]
fn check_target_adds_blockers_as_findings() {
    let file = root().join("fixtures/compat/tf215_gru.h5");
    let out = kerascope()
        .args(["check", "--format", "json", "--target", "keras3"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"C102\""), "{text}");
    assert!(text.contains("Unrecognized keyword arguments passed to GRU: {'time_major': False}"));
    let out = kerascope()
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\"C102\""));
}

/// Every file kerascope can read — damaged, hostile, mutated — gets a verdict, never a panic.
#[test]
fn compat_answers_every_readable_fixture() {
    let mut stack = vec![
        root().join("fixtures"),
        root().join("../shared/corpus/files"),
    ];
    let mut answered = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            for target in [Target::Keras3, Target::TfKeras] {
                if assess_path(&path, target).is_some() {
                    answered += 1;
                }
            }
        }
    }
    assert!(answered > 200, "only {answered} answers");
}
