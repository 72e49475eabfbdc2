//! A large file is read by ranges through a block cache, a small one from memory. Both ways
//! must read every file the same: the fixtures, the damaged, hostile and crash inputs, and the
//! shared corpus, each read both ways, give the same metadata or the same error.

use std::path::{Path, PathBuf};

use kerascope::Limits;
use kerascope::bind::read_source;
use kerascope::container::source::Source;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn outcome(source: &Source, path: &Path) -> String {
    match read_source(source, Some(path), &Limits::default()) {
        Ok(file) => serde_json::to_string(&file).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn ranged_reads_give_what_memory_reads_give() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    files_under(&root.join("fixtures"), &mut files);
    files_under(&root.join("../shared/corpus/files"), &mut files);
    let (mut read, mut failed) = (0, 0);
    for path in &files {
        let memory = Source::from_vec(std::fs::read(path).unwrap());
        let ranged = Source::open_ranged(path).unwrap();
        let by_memory = outcome(&memory, path);
        assert_eq!(by_memory, outcome(&ranged, path), "{}", path.display());
        if by_memory.starts_with("error: ") {
            failed += 1;
        } else {
            read += 1;
        }
    }
    // Both kinds of outcome are compared, not only the easy one.
    assert!(read > 100 && failed > 20, "{read} read, {failed} failed");
}
