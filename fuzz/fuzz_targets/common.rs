//! Shared by the targets that reach `hdf5-reader`.

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
