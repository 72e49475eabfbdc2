//! The walk reads plain version-1 headers, symbol tables and layer `weight_names` itself (the
//! scan's fast path) and leaves everything else to `hdf5-reader`. On every HDF5 file of the
//! fixtures and the shared corpus, what the fast path reads must equal what the reader reads
//! on its own: each dataset's shape and dtype, and each layer group's `weight_names`.

use std::path::{Path, PathBuf};

use kerascope::Limits;
use kerascope::container::hdf5::H5File;
use kerascope::container::source::Source;

fn hdf5_files() -> Vec<PathBuf> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    for dir in [root.join("fixtures"), root.join("../shared/corpus/files")] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for path in entries {
            let head = std::fs::read(&path)
                .map(|b| b.get(..8).map(<[u8]>::to_vec))
                .ok()
                .flatten();
            if head.as_deref() == Some(&b"\x89HDF\r\n\x1a\n"[..]) {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 50, "HDF5 fixtures missing");
    files
}

#[test]
fn fast_path_reads_what_the_reader_reads() {
    let limits = Limits::default();
    let mut datasets = 0;
    let mut weight_lists = 0;
    for path in hdf5_files() {
        let source = Source::open(&path).unwrap();
        let Ok(h5) = H5File::open(source.whole(), &limits) else {
            continue;
        };
        let Ok(walk) = h5.walk("") else {
            continue; // damaged on purpose; tests/bad_input.rs covers the errors
        };
        for info in &walk.datasets {
            let by_reader = h5
                .dataset(&info.path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", path.display(), info.path))
                .unwrap_or_else(|| panic!("{}: {} not found", path.display(), info.path));
            assert_eq!(
                (&info.shape, &info.dtype),
                (&by_reader.shape, &by_reader.dtype),
                "{}: {}",
                path.display(),
                info.path
            );
            datasets += 1;
        }
        for (group_path, address) in walk.groups.iter().zip(&walk.group_addresses) {
            let Some(fast) = h5.lean_chunked_strings_attribute(*address, "weight_names") else {
                continue; // left to the reader
            };
            let group = h5.group(group_path).unwrap().unwrap();
            let by_reader = group.chunked_strings_attribute("weight_names").unwrap();
            assert_eq!(fast, by_reader, "{}: {group_path}", path.display());
            weight_lists += usize::from(fast.is_some());
        }
    }
    assert!(datasets > 1000, "only {datasets} datasets compared");
    assert!(
        weight_lists > 300,
        "only {weight_lists} weight_names lists compared"
    );
}
