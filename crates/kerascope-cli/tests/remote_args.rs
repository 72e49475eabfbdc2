//! Remote locations and `--shard` on the command line, without any server: sharding a local
//! folder, and the errors that come before a request (servers are tested by
//! scripts/test-remote.sh).

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn kerascope() -> Command {
    let mut command = Command::cargo_bin("kerascope").unwrap();
    command.current_dir(root()).env("NO_COLOR", "1");
    command
}

fn files(args: &[&str]) -> Vec<String> {
    let out = kerascope()
        .args(["check", "--format", "json", "--exit-zero", "--no-progress"])
        .args(args)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shards_of_a_folder_are_disjoint_and_complete_and_stable() {
    let all: BTreeSet<String> = files(&["fixtures/mutants"]).into_iter().collect();
    assert!(all.len() > 10, "{}", all.len());
    let mut union = BTreeSet::new();
    for i in 0..3 {
        let share = files(&["fixtures/mutants", "--shard", &format!("{i}/3")]);
        assert!(
            !share.is_empty() && share.len() < all.len(),
            "{i}: {}",
            share.len()
        );
        assert_eq!(
            share,
            files(&["fixtures/mutants", "--shard", &format!("{i}/3")])
        );
        for file in share {
            assert!(union.insert(file), "in two shards");
        }
    }
    assert_eq!(union, all);
}

#[test]
fn bad_shards_and_remote_misuse_are_errors_before_any_request() {
    for bad in ["3/3", "1", "x/2"] {
        let out = kerascope()
            .args(["check", "fixtures", "--shard", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--shard"));
    }
    let out = kerascope()
        .args(["check", "--deep", "s3://bucket/m.keras"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--deep"));
    let out = kerascope()
        .args(["summary", "https://127.0.0.1:1/m.keras?sig=x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("query"));
    let out = kerascope()
        .args(["check", "--format", "json", "gs://bucket/a.keras?x=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["file"], "gs://bucket/a.keras?x=1");
    assert!(doc["files"][0]["error"].as_str().unwrap().contains("query"));
}
