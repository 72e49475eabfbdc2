//! The HDF5 layer as kerascope uses it: open from bytes, walk everything, read every
//! attribute of every group, describe every dataset.
#![no_main]

use kerascope::Limits;
use kerascope::container::hdf5::H5File;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::let_contained_panics_unwind();
    let source = common::source(data);
    let Ok(h5) = H5File::open(source.whole(), &Limits::default()) else {
        return;
    };
    let Ok(walk) = h5.walk("") else { return };
    for path in std::iter::once(String::new()).chain(walk.groups) {
        if let Ok(Some(group)) = h5.group(&path)
            && let Ok(names) = group.attribute_names()
        {
            for name in names {
                let _ = group.strings_attribute(&name);
                let _ = group.chunked_strings_attribute(&name);
                let _ = group.integer_attribute(&name);
            }
        }
    }
    for dataset in walk.datasets {
        let _ = h5.dataset(&dataset.path);
    }
});
