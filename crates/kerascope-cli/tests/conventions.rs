//! The command line's conventions, as users of ruff and ripgrep expect them, and its
//! reliability on whatever a user types: special files, endless inputs, empty scans.
//! Each case runs the binary in its own process under a time bound (`assert_cmd` kills it
//! past the bound), so a hang fails the test instead of stalling the suite.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// Generous for a debug build on a loaded 2-core machine; a hang is forever.
const BOUND: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn kerascope() -> Command {
    let mut cmd = Command::cargo_bin("kerascope").unwrap();
    cmd.current_dir(root())
        .timeout(BOUND)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR");
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(name: &str) -> String {
    format!("fixtures/{name}")
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

// ------------------------------------------------------------------------------------------
// Special files, endless inputs

/// A FIFO named on the command line is refused at once by every subcommand that reads a
/// model (opening it would wait for a writer forever).
#[test]
fn a_named_fifo_is_not_a_regular_file_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.h5");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let good = fixture("tfk_sequential_basic.h5");
    let summary_text = fixture("summaries/tfk_sequential_basic.h5.keras2.txt");
    let cases: Vec<Vec<&str>> = vec![
        vec!["summary", fifo],
        vec!["inspect", fifo],
        vec!["check", fifo],
        vec!["diff", fifo, &good],
        vec!["diff", &good, fifo],
        vec!["verify", fifo, "--summary", &summary_text],
        vec!["verify", "--summary", fifo],
        vec!["summary", "--config", fifo, &good],
    ];
    for args in cases {
        let out = kerascope()
            .args(&args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            all.contains("not a regular file (a FIFO)"),
            "{args:?}: {all}"
        );
    }
}

/// `/proc` holds files that block when read (`/proc/kmsg`) and `/dev` devices that never end
/// (`/dev/zero`, `/dev/urandom`): both scans finish, nothing read as a model.
#[test]
fn check_proc_and_dev_finish() {
    for folder in ["/proc", "/dev"] {
        if !Path::new(folder).is_dir() {
            continue;
        }
        let out = kerascope()
            .args(["check", "--format", "json", "--no-progress", folder])
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(2) | Some(3)),
            "check {folder} ended with {:?}: {}",
            out.status,
            text(&out.stderr)
        );
        let doc = json_of(&out.stdout);
        assert_eq!(doc["totals"]["clean"], 0, "{folder}");
        assert_eq!(doc["totals"]["findings"], 0, "{folder}");
    }
}

/// `check /dev` reports devices as skipped, "not a regular file".
#[test]
fn walked_devices_are_skipped_as_not_regular_files() {
    if !Path::new("/dev/null").exists() {
        return;
    }
    let out = kerascope()
        .args(["check", "--format", "json", "--no-progress", "/dev"])
        .output()
        .unwrap();
    let doc = json_of(&out.stdout);
    let null = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "/dev/null")
        .unwrap_or_else(|| panic!("/dev/null not reported: {doc:#}"));
    assert_eq!(null["status"], "skipped");
    assert_eq!(null["error"], "not a regular file (a character device)");
}

/// Standard input `-` is a model file for `summary`, `inspect` and `check`.
#[test]
fn standard_input_is_read_as_a_model() {
    let bytes = std::fs::read(root().join("fixtures/tfk_sequential_basic.h5")).unwrap();
    let out = kerascope()
        .args(["summary", "-"])
        .write_stdin(bytes.clone())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    // tf_keras 2.21 model.summary() of this fixture: "Total params: 276".
    assert!(text(&out).contains("Total params: 276"), "{}", text(&out));
    let out = kerascope()
        .args(["inspect", "--format", "json", "-"])
        .write_stdin(bytes.clone())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_of(&out)["files"][0]["stored_params"], 276);
    let out = kerascope()
        .args(["check", "--format", "json", "-"])
        .write_stdin(bytes)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["files"][0]["file"], "-");
    assert_eq!(doc["files"][0]["total_params"], 276);
}

/// Every input read whole is bounded: standard input by `--max-stdin-bytes`, summary text
/// by `--max-summary-bytes` (from a file or from `-`), each with a size unit.
#[test]
fn inputs_read_whole_are_bounded() {
    let model = std::fs::read(root().join("fixtures/tfk_sequential_basic.h5")).unwrap();
    for command in ["summary", "inspect", "check"] {
        let out = kerascope()
            .args([command, "--max-stdin-bytes", "4KiB", "-"])
            .write_stdin(model.clone())
            .assert()
            .code(2)
            .get_output()
            .clone();
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains("--max-stdin-bytes"), "{command}: {all}");
    }
    let endless = "y\n".repeat(8 * 1024);
    let out = kerascope()
        .args(["verify", "--summary", "-", "--max-summary-bytes", "4KiB"])
        .write_stdin(endless.clone())
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("--max-summary-bytes"));
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("summary.txt");
    std::fs::write(&big, endless).unwrap();
    kerascope()
        .args(["verify", "--max-summary-bytes", "1KB", "--summary"])
        .arg(&big)
        .assert()
        .code(2);
}

/// A file past `--timeout-per-file` is reported as timed out, not as an internal error.
#[test]
fn a_timeout_is_reported_as_a_timeout() {
    let out = kerascope()
        .args([
            "check",
            "--format",
            "json",
            "--timeout-per-file",
            "0.05",
            // A 64 MiB config of numbers: over a second of parsing in a debug build.
            &fixture("robustness/config_64mib_numbers.keras"),
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    let file = &doc["files"][0];
    assert_eq!(file["status"], "timeout", "{doc:#}");
    assert_eq!(file["internal_error"], false);
    assert!(file["error"].as_str().unwrap().contains("timed out"));
    assert_eq!(doc["totals"]["timeouts"], 1);
    assert_eq!(doc["totals"]["internal_errors"], 0);
}

/// The limit flags apply to `verify` and `diff` too, and sizes take units.
#[test]
fn limit_flags_apply_to_verify_and_diff_and_take_units() {
    let good = fixture("tfk_sequential_basic.h5");
    let other = fixture("tfk_conv.h5");
    let out = kerascope()
        .args(["diff", &good, &other, "--max-objects", "1"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains("objects"),
        "{}",
        text(&out.stderr)
    );
    kerascope()
        .args([
            "verify",
            &good,
            "--summary",
            &fixture("summaries/tfk_sequential_basic.h5.keras2.txt"),
            "--max-objects",
            "1",
        ])
        .assert()
        .code(2);
    // A config of a few KB, refused under a 1 KiB limit, read under 2 GiB.
    let keras = fixture("k3_sequential_basic.keras");
    kerascope()
        .args(["summary", "--max-config-bytes", "1KiB", &keras])
        .assert()
        .code(2);
    kerascope()
        .args([
            "summary",
            "--max-config-bytes",
            "64MiB",
            "--max-zip-inflate",
            "2GiB",
            &keras,
        ])
        .assert()
        .code(0);
    let out = kerascope()
        .args(["summary", "--max-zip-inflate", "2XB", &keras])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("unknown size unit"));
}

// ------------------------------------------------------------------------------------------
// check: paths, empty scans, the closing table, exit statuses

/// `check` without a path scans the current folder.
#[test]
fn check_without_a_path_scans_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/tfk_sequential_basic.h5"),
        dir.path().join("model.h5"),
    )
    .unwrap();
    let out = kerascope()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["files"][0]["file"], "./model.h5");
}

/// A scan that finds no Keras file says so on stderr, in every format, and exits 3.
#[test]
fn an_empty_scan_says_so_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a model").unwrap();
    for format in ["text", "json", "ndjson", "sarif", "markdown"] {
        let out = kerascope()
            .current_dir(dir.path())
            .args(["check", "--format", format])
            .assert()
            .code(3)
            .get_output()
            .clone();
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("no Keras files found in .: 1 looked at, 1 skipped"),
            "{format}: {stderr}"
        );
    }
}

/// The closing table ends with the exit status and its reason, from the same counts: they
/// cannot disagree.
#[test]
fn the_closing_table_states_the_exit_status() {
    let cases: &[(&[&str], i32)] = &[
        (
            &[
                "fixtures/tfk_sequential_basic.h5",
                "fixtures/k3_lambda.keras",
            ],
            0,
        ),
        (
            &[
                "--fail-on",
                "warning",
                "fixtures/tfk_sequential_basic.h5",
                "fixtures/k3_lambda.keras",
            ],
            1,
        ),
        (
            &["fixtures/mutants/h5_reshape.h5", "fixtures/k3_lambda.keras"],
            1,
        ),
        (
            &[
                "--fail-on",
                "never",
                "fixtures/mutants/h5_reshape.h5",
                "fixtures/k3_lambda.keras",
            ],
            0,
        ),
        (
            &[
                "--exit-zero",
                "fixtures/mutants/h5_reshape.h5",
                "fixtures/k3_lambda.keras",
            ],
            0,
        ),
        (
            &[
                "--exit-zero",
                "fixtures/bad/truncated.h5",
                "fixtures/k3_lambda.keras",
            ],
            2,
        ),
    ];
    for (args, code) in cases {
        let out = kerascope()
            .arg("check")
            .args(*args)
            .assert()
            .code(*code)
            .get_output()
            .stdout
            .clone();
        let last = text(&out).lines().last().unwrap_or_default().to_string();
        assert!(
            last.starts_with(&format!("exit {code}: ")),
            "{args:?}: {last}"
        );
    }
}

/// An unreadable file is reported once, not once on stderr and again in the report.
#[test]
fn each_unreadable_file_is_printed_once() {
    let out = kerascope()
        .args([
            "check",
            "fixtures/bad/truncated.h5",
            "fixtures/tfk_sequential_basic.h5",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(all.matches("unexpected end of data").count(), 1, "{all}");
}

/// `-q` keeps the report of what needs attention only.
#[test]
fn quiet_prints_only_what_needs_attention() {
    let out = kerascope()
        .args([
            "check",
            "-q",
            "fixtures/tfk_sequential_basic.h5",
            "fixtures/mutants/h5_reshape.h5",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("h5_reshape.h5"), "{stdout}");
    assert!(!stdout.contains("tfk_sequential_basic.h5"), "{stdout}");
    assert!(!stdout.contains("looked at"), "{stdout}");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// `--select` and `--ignore` take codes and prefixes.
#[test]
fn findings_are_selected_and_ignored_by_code() {
    let lambda = fixture("k3_lambda.keras");
    let codes = |args: &[&str]| -> Vec<String> {
        let out = kerascope()
            .args(["check", "--format", "json"])
            .args(args)
            .arg(&lambda)
            .output()
            .unwrap();
        json_of(&out.stdout)["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(&[]).contains(&"S109".to_string()));
    assert!(!codes(&["--ignore", "S109"]).contains(&"S109".to_string()));
    assert!(!codes(&["--ignore", "S1"]).contains(&"S109".to_string()));
    assert!(codes(&["--select", "S"]).iter().all(|c| c.starts_with('S')));
    assert!(codes(&["--select", "P,F"]).is_empty());
    kerascope()
        .args([
            "check",
            "--ignore",
            "P101",
            &fixture("mutants/h5_reshape.h5"),
        ])
        .assert()
        .code(0);
}

/// A baseline accepts the findings of today; a new finding still fails.
#[test]
fn a_baseline_accepts_known_findings_only() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let mutant = fixture("mutants/h5_reshape.h5");
    kerascope()
        .args(["check", "--write-baseline"])
        .arg(&baseline)
        .arg(&mutant)
        .assert()
        .code(0);
    let written: Value = serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    assert_eq!(written["schema"], "kerascope.baseline/1");
    assert_eq!(written["findings"][0]["code"], "P101");
    assert_eq!(written["findings"][0]["layer"], "dense");
    kerascope()
        .args(["check", "--baseline"])
        .arg(&baseline)
        .arg(&mutant)
        .assert()
        .code(0);
    // Another file with the same kind of finding is not covered.
    kerascope()
        .args(["check", "--baseline"])
        .arg(&baseline)
        .arg(fixture("mutants/h5_reshape.h5"))
        .arg(fixture("bad/truncated.h5"))
        .assert()
        .code(2);
    std::fs::write(&baseline, "{\"schema\": \"other\"}").unwrap();
    kerascope()
        .args(["check", "--baseline"])
        .arg(&baseline)
        .arg(&mutant)
        .assert()
        .code(2);
}

// ------------------------------------------------------------------------------------------
// Colour, help, version, completions, man page

#[test]
fn colour_follows_the_flag_then_no_color_then_the_forcing_variables() {
    let lambda = fixture("k3_lambda.keras");
    let coloured = |cmd: &mut Command| -> bool {
        let out = cmd.arg("check").arg(&lambda).output().unwrap();
        out.stdout.contains(&0x1b)
    };
    assert!(!coloured(&mut kerascope()), "piped: no colour");
    assert!(coloured(kerascope().args(["--color", "always"])));
    assert!(coloured(kerascope().env("CLICOLOR_FORCE", "1")));
    assert!(coloured(kerascope().env("FORCE_COLOR", "1")));
    assert!(!coloured(
        kerascope().env("FORCE_COLOR", "1").env("NO_COLOR", "1")
    ));
    assert!(!coloured(
        kerascope()
            .env("CLICOLOR_FORCE", "1")
            .args(["--color", "never"])
    ));
    // Every subcommand takes it.
    for sub in [
        "summary", "inspect", "rule", "formula", "diff", "verify", "man",
    ] {
        kerascope()
            .args([sub, "--color", "never", "--help"])
            .assert()
            .code(0);
    }
}

const SUBCOMMANDS: &[&str] = &[
    "check",
    "summary",
    "inspect",
    "formula",
    "rule",
    "verify",
    "diff",
    "completions",
    "man",
];

#[test]
fn every_subcommand_has_version_and_describes_its_arguments() {
    let version = env!("CARGO_PKG_VERSION");
    for sub in SUBCOMMANDS {
        let out = kerascope().args([sub, "--version"]).assert().code(0);
        assert!(text(&out.get_output().stdout).contains(version), "{sub}");
        let help = text(
            &kerascope()
                .args([sub, "--help"])
                .assert()
                .code(0)
                .get_output()
                .stdout,
        );
        // Each value of a list is described (clap lists bare names only when none is).
        assert!(!help.contains("[possible values:"), "{sub} --help:\n{help}");
        // Each positional argument has a description beside or under its name.
        let mut lines = help.lines().skip_while(|l| *l != "Arguments:").skip(1);
        while let Some(line) = lines.next() {
            if line.is_empty() {
                break;
            }
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if indent == 2 && (trimmed.starts_with('<') || trimmed.starts_with('[')) {
                let described = trimmed
                    .split_once("  ")
                    .is_some_and(|(_, d)| !d.trim().is_empty())
                    || lines.next().is_some_and(|next| !next.trim().is_empty());
                assert!(described, "{sub}: {line} has no description");
            }
        }
    }
    kerascope().arg("--version").assert().code(0);
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = kerascope().args(["completions", shell]).assert().code(0);
        let script = text(&out.get_output().stdout);
        assert!(script.contains("kerascope"), "{shell}");
        assert!(script.contains("baseline"), "{shell}: flags of subcommands");
    }
    let out = kerascope().arg("man").assert().code(0);
    let page = text(&out.get_output().stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH kerascope"),
        "{page}"
    );
    assert!(page.contains("check"));
}

// ------------------------------------------------------------------------------------------
// formula and rule

#[test]
fn formula_rejects_bad_numbers_keys_and_shapes() {
    let cases: &[(&[&str], &str)] = &[
        (&["LSTM", "units=256", "input_dim=abc"], "input_dim=abc"),
        (&["LSTM", "units=-5", "input_dim=4"], "units"),
        (&["LSTM", "units=5.5", "input_dim=4"], "units"),
        (&["Dense", "units=4", "input_dim=-5"], "input_dim=-5"),
        (&["Dense", "units=4", "input_dim=5.5"], "input_dim=5.5"),
        (
            &["LSTM", "units=5", "units=6", "input_dim=4"],
            "units is given twice",
        ),
        (
            &["LSTM", "units=5", "unitz=6", "input_dim=4"],
            "did you mean units?",
        ),
        (
            &[
                "Conv2D",
                "filters=32",
                "kernel_size=3,3",
                "input_shape=28x28x1",
            ],
            "write 28,28,1",
        ),
        (&["Lstm", "units=3"], "did you mean LSTM?"),
        (&["LTSM", "units=3"], "did you mean LSTM?"),
    ];
    for (args, expected) in cases {
        let out = kerascope()
            .arg("formula")
            .args(*args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn formula_lists_keys_and_speaks_json() {
    let out = kerascope()
        .args(["formula", "Dense", "--keys"])
        .assert()
        .code(0);
    let keys = text(&out.get_output().stdout);
    assert!(keys.contains("units"), "{keys}");
    assert!(
        keys.contains("use_bias") && keys.contains("default true"),
        "{keys}"
    );
    let out = kerascope()
        .args([
            "formula",
            "LSTM",
            "units=256",
            "input_dim=4096",
            "--format",
            "json",
        ])
        .assert()
        .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["schema"], "kerascope.formula/1");
    assert_eq!(doc["class"], "LSTM");
    // tf_keras 2.21 count_params() of the seed model (fixtures/truth/seed_lstm_4096.h5.json).
    assert_eq!(doc["total"], 4_457_472);
    let out = kerascope()
        .args([
            "formula",
            "Dense",
            "units=3",
            "input_dim=4",
            "activation=relu",
        ])
        .assert()
        .code(0);
    let answer = text(&out.get_output().stdout);
    assert!(
        answer.contains("ignored (they do not change the weights): activation"),
        "{answer}"
    );
    let out = kerascope()
        .args(["formula", "Nope", "--format", "json"])
        .assert()
        .code(2);
    assert!(json_of(&out.get_output().stdout)["error"]["message"].is_string());
    let out = kerascope()
        .args(["rule", "S101", "--format", "json"])
        .assert()
        .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["rules"][0]["code"], "S101");
    let out = kerascope()
        .args(["rule", "--format", "json"])
        .assert()
        .code(0);
    assert!(
        json_of(&out.get_output().stdout)["rules"]
            .as_array()
            .unwrap()
            .len()
            > 30
    );
}

// ------------------------------------------------------------------------------------------
// One JSON shape per schema

#[test]
fn inspect_json_has_one_shape_for_one_file_or_many() {
    let one = kerascope()
        .args(["inspect", "--format", "json", &fixture("tfk_conv.h5")])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let many = kerascope()
        .args([
            "inspect",
            "--format",
            "json",
            &fixture("tfk_conv.h5"),
            &fixture("k3_conv.keras"),
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let (one, many) = (json_of(&one), json_of(&many));
    for doc in [&one, &many] {
        assert_eq!(doc["schema"], "kerascope.inspect/1");
        assert!(doc["files"].is_array());
    }
    assert_eq!(one["files"][0], many["files"][0]);
    kerascope()
        .args(["inspect", "--format", "markdown", &fixture("tfk_conv.h5")])
        .assert()
        .code(2);
}

#[test]
fn json_errors_are_json_documents_on_stdout() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["summary", "--format", "json", "missing.h5"],
            "kerascope.summary/1",
        ),
        (
            &[
                "diff",
                "--format",
                "json",
                "missing.h5",
                "fixtures/tfk_conv.h5",
            ],
            "kerascope.diff/1",
        ),
        (
            &["verify", "--format", "json", "--summary", "missing.txt"],
            "kerascope.verify/1",
        ),
    ];
    for (args, schema) in cases {
        let out = kerascope()
            .args(*args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let doc = json_of(&out.stdout);
        assert_eq!(doc["schema"], *schema, "{args:?}");
        assert!(doc["error"]["message"].is_string(), "{args:?}: {doc:#}");
    }
}

#[test]
fn the_model_class_is_class_in_every_schema() {
    let out = kerascope()
        .args([
            "diff",
            "--format",
            "json",
            "fixtures/tfk_conv.h5",
            "fixtures/tfk_sequential_basic.h5",
        ])
        .output()
        .unwrap();
    let doc = json_of(&out.stdout);
    assert!(doc["a"]["class"].is_string(), "{doc:#}");
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("class_name").is_none())
    );
    let out = kerascope()
        .args([
            "verify",
            "--format",
            "json",
            "fixtures/tfk_sequential_basic.h5",
            "--summary",
            "fixtures/summaries/tfk_sequential_basic.h5.keras2.txt",
        ])
        .output()
        .unwrap();
    let doc = json_of(&out.stdout);
    let row = &doc["rows"][0];
    assert!(
        row.get("class").is_some() && row.get("class_name").is_none(),
        "{row:#}"
    );
}

// ------------------------------------------------------------------------------------------
// summary rendering

/// A `.keras` whose weights are `model.weights.npz` (not read): counts print `?`, never 0.
#[test]
fn unknown_counts_print_a_question_mark() {
    use std::io::{Read, Write};
    let source = std::fs::File::open(root().join("fixtures/k3_sequential_basic.keras")).unwrap();
    let mut archive = zip::ZipArchive::new(source).unwrap();
    let mut member = |name: &str| {
        let mut bytes = Vec::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let (config, metadata) = (member("config.json"), member("metadata.json"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("npz.keras");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("metadata.json", &metadata[..]),
        ("config.json", &config[..]),
        ("model.weights.npz", b"PK\x05\x06not read".as_slice()),
    ] {
        writer.start_file(name, stored).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
    let out = kerascope().arg("summary").arg(&path).assert().code(0);
    let table = text(&out.get_output().stdout);
    assert!(table.contains("Total params: ?"), "{table}");
    assert!(!table.contains("Total params: 0"), "{table}");
    let out = kerascope()
        .args(["summary", "--format", "json"])
        .arg(&path)
        .assert()
        .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert!(doc["total_params"].is_null(), "{doc:#}");
    assert!(doc["layers"][0]["params"].is_null(), "{doc:#}");
    let out = kerascope()
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(json_of(&out.stdout)["files"][0]["total_params"].is_null());
}

/// Nested rows are indented in the Keras 3, Keras 2 and Markdown styles alike.
#[test]
fn expanded_nested_rows_are_indented_in_every_style() {
    for (style, marker) in [
        (&["--style", "keras3"][..], "│   d1 (Dense)"),
        (&["--style", "keras2"][..], "   d1 (Dense)"),
        (&["--format", "markdown"][..], "| ↳ d1 (Dense)"),
    ] {
        let out = kerascope()
            .args(["summary", "--expand-nested", "--width", "120"])
            .args(style)
            .arg(fixture("tfk_functional_nested.h5"))
            .assert()
            .code(0);
        let table = text(&out.get_output().stdout);
        assert!(table.contains(marker), "{style:?}:\n{table}");
    }
}

/// Footer lines wrap to the width like the table; the note about Keras 3's Total shows on
/// Keras 3 files only.
#[test]
fn footer_lines_wrap_and_the_keras3_note_is_for_keras3_files() {
    for width in ["60", "80", "100"] {
        let out = kerascope()
            .args([
                "summary",
                "--width",
                width,
                &fixture("k3_functional_fit.keras"),
            ])
            .assert()
            .code(0);
        let table = text(&out.get_output().stdout);
        let width: usize = width.parse().unwrap();
        for line in table.lines() {
            assert!(line.chars().count() <= width, "{width}: {line:?}");
        }
        assert!(table.contains("Keras 3"), "{table}");
    }
    let out = kerascope()
        .args([
            "summary",
            "--width",
            "200",
            &fixture("tfk_sequential_fit.h5"),
        ])
        .assert()
        .code(0);
    let table = text(&out.get_output().stdout);
    assert!(table.contains("Optimizer params"), "{table}");
    assert!(!table.contains("Keras 3 would print"), "{table}");
}

// ------------------------------------------------------------------------------------------
// The README's claims

/// The README's figure for the bytes read to inspect the seed model is the tool's.
#[test]
fn the_readme_figure_of_bytes_read_is_measured() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let claim = readme
        .split("Inspecting the 17 MB seed model reads ")
        .nth(1)
        .and_then(|rest| rest.split(" bytes").next())
        .expect("the README states the bytes read to inspect the seed model");
    let claimed: u64 = claim.replace(',', "").parse().unwrap();
    let out = kerascope()
        .args(["inspect", "--format", "json", &fixture("seed_lstm_4096.h5")])
        .assert()
        .code(0);
    let measured = json_of(&out.get_output().stdout)["files"][0]["hdf5_bytes_read"]
        .as_u64()
        .unwrap();
    assert_eq!(
        claimed, measured,
        "README says {claimed}, the tool reads {measured}"
    );
}
