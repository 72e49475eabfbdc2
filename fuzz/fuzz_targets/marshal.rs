//! The Lambda bytecode decoder: marshal bytes, and the text forms Keras stores.
#![no_main]

use kerascope::audit::marshal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = marshal::decode_code(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = marshal::decode_keras_lambda(text);
    }
});
