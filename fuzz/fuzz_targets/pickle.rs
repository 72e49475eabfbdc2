//! The static pickle reader: any bytes, as a stream and as an `.npy` member.
#![no_main]

use kerascope::container::{npy, pickle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pickle::scan(data);
    let _ = pickle::looks_like_pickle(data);
    if let Ok(header) = npy::header(data) {
        let _ = pickle::scan(&data[header.data_offset..]);
    }
});
