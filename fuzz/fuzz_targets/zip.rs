//! The zip layer: open, list, read members under the limits, parse a member in place.
#![no_main]

use kerascope::Limits;
use kerascope::container::source::Source;
use kerascope::container::zip::{ZipFile, central_directory_names};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_zip_inflate_bytes: 1 << 20,
        ..Limits::default()
    };
    let source = Source::from_vec(data.to_vec());
    let _ = central_directory_names(&source, limits.max_zip_members);
    let Ok(mut zip) = ZipFile::open(&source, &limits) else {
        return;
    };
    for member in zip.members.clone() {
        let _ = zip.read(&member);
        let _ = zip.bytes_in_place(&member);
    }
});
