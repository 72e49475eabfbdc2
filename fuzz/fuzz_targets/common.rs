//! Shared by the targets that reach `hdf5-reader`: panics, and the two ways a file is read.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// libfuzzer-sys aborts from its panic hook, before anything unwinds, so a panic that
/// kerascope contains — one inside `hdf5-reader`, which `container::hdf5` turns into a read
/// error for that file — would count as a crash. This hook reports the panic (the first few)
/// and lets it unwind: a contained one becomes the error kerascope returns, and one that
/// escapes kerascope's API still reaches libfuzzer-sys, which aborts: a crash, kept by
/// `scripts/fuzz.sh`.
pub fn let_contained_panics_unwind() {
    static ONCE: Once = Once::new();
    static SHOWN: AtomicUsize = AtomicUsize::new(0);
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if SHOWN.fetch_add(1, Ordering::Relaxed) < 5 {
                eprintln!(
                    "panic (unwinding; contained unless the input is reported as a crash): {info}"
                );
            }
        }))
    });
}

/// The input as kerascope would see a file: inputs of odd length are written to a file and
/// read by ranges through the block cache, like large files; the others from memory, like
/// small ones. Both paths get fuzzed.
pub fn source(data: &[u8]) -> kerascope::container::source::Source {
    use kerascope::container::source::Source;
    if data.len() % 2 == 0 {
        return Source::from_vec(data.to_vec());
    }
    let path = std::env::temp_dir().join(format!("kerascope-fuzz-{}", std::process::id()));
    std::fs::write(&path, data).expect("fuzz input written to a temporary file");
    Source::open_ranged(&path).expect("fuzz input file opened")
}
