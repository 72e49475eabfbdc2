//! kerascope: open Keras model files of every generation and tell the truth about them,
//! without Python, TensorFlow or network access.
//!
//! Give it bytes ([`analyze_bytes`]), any [`RangeRead`] ([`analyze_reader`]: a remote
//! object, a browser `Blob`) or a path ([`analyze_path`]); read the typed [`Analysis`], and
//! build the summary, verification or comparison from it:
//!
//! ```
//! let bytes = include_bytes!("../../../fixtures/tfk_sequential_basic.h5");
//! let analysis = kerascope::analyze_bytes(bytes, &kerascope::Options::default())?;
//! let summary = kerascope::summary::build(&analysis);
//! // model.count_params() of tf_keras 2.21.0 (fixtures/truth/tfk_sequential_basic.h5.json)
//! assert_eq!(summary.total_params, 276);
//! # Ok::<(), kerascope::Error>(())
//! ```
//!
//! The data flows one way: bytes → [`container`] (HDF5, zip) → [`mod@format`] (one
//! description of the file, as stored) → [`graph`] (normalized config) → [`shape`] (inferred
//! shapes, through the [`layers`] rules; [`bind`] names Keras 3 `vars/N` by them) → [`audit`]
//! (findings) → [`summary`], [`verify`], [`diff`], [`compat`] (analyses, as data) →
//! [`registry`] (every finding code) → [`report`] (text and the JSON documents). [`model`] and
//! [`text`] hold what every stage shares; no module depends back on one that depends on it.

#![deny(missing_docs)]

pub(crate) mod align;
pub mod analysis;
pub mod audit;
pub mod bind;
pub mod compat;
pub mod container;
pub mod diff;
pub mod error;
pub mod filter;
pub mod format;
pub mod graph;
pub mod layers;
pub mod limits;
pub mod model;
pub mod registry;
pub mod report;
pub mod scan;
pub mod shape;
pub mod summary;
pub mod text;
pub mod upgrade;
pub mod verify;

pub use analysis::{
    Analysis, Options, analyze, analyze_bytes, analyze_path, analyze_reader, analyze_source,
    analyze_vec, load_config,
};
pub use container::source::{RangeRead, Source};
pub use error::{Error, Result};
pub use limits::Limits;

/// Hash maps and sets keyed by names and paths read from a file. foldhash is several times
/// faster than SipHash on such short keys; its per-process random seed suffices against files
/// crafted offline (a scan cannot be probed interactively to find colliding keys).
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
