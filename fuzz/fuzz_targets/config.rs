//! Config JSON → graph → shapes → rules → findings, without any file around it.
#![no_main]

use kerascope::graph::parse_model;
use kerascope::layers::Dialect;
use kerascope::shape::{analyze, nothing_stored};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for dialect in [
        Dialect::Keras1,
        Dialect::Keras2,
        Dialect::TfKeras,
        Dialect::Keras3,
    ] {
        if let Ok(model) = parse_model(&config, dialect) {
            let _ = analyze(&model, dialect, &[], &nothing_stored);
        }
    }
});
