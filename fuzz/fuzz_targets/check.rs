//! The whole `check` of a byte buffer: detect, read, analyse, audit.
#![no_main]

use kerascope::Limits;
use kerascope::bind::read_source;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::let_contained_panics_unwind();
    let source = common::source(data);
    if let Ok(file) = read_source(&source, None, &Limits::default()) {
        let analysis = kerascope::analyze(file);
        let _ = kerascope::report::check::Totals::default();
        let _ = analysis.findings.len();
    }
});
