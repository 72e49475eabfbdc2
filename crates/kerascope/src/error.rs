//! Typed errors of the library. Each carries the data of what went wrong (the object path,
//! the limit and the value found, the member of an archive) so a caller can match on it
//! without parsing text; `Display` gives the one-line message, and the binary prefixes the
//! file name.
//!
//! ```
//! use kerascope::error::{LimitExceeded, NotKerasReason};
//! use kerascope::{Error, Limits, Options, analyze_bytes};
//!
//! let random = include_bytes!("../../../fixtures/bad/random_bytes.h5");
//! match analyze_bytes(random, &Options::default()) {
//!     Err(Error::NotKeras { reason: NotKerasReason::UnrecognisedSignature }) => {}
//!     other => panic!("{other:?}"),
//! }
//!
//! let model = include_bytes!("../../../fixtures/tfk_sequential_basic.h5");
//! let one_object = Options::default().limits(Limits { max_hdf5_objects: 1, ..Limits::default() });
//! match analyze_bytes(model, &one_object) {
//!     Err(Error::Limit { exceeded: LimitExceeded::Hdf5Objects { limit: 1 } }) => {}
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::fmt;

/// Anything that stops a file from being read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes could not be read (the file, standard input, a remote range).
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),

    /// The bytes are not any Keras format (random bytes, a pickle, a plain HDF5 dataset file).
    #[error("not a Keras file: {reason}")]
    NotKeras {
        /// What the bytes are instead.
        reason: NotKerasReason,
    },

    /// The HDF5 container is damaged or unreadable at `object`.
    #[error("HDF5 {object}: {message}")]
    Hdf5 {
        /// The HDF5 path of the object (`/`, `/model_weights/dense`, `superblock`), with
        /// `@name` for an attribute.
        object: String,
        /// The HDF5 reader's message.
        message: String,
    },

    /// The zip container is damaged or unreadable.
    #[error("zip: {}{problem}", member_prefix(member))]
    Zip {
        /// The member concerned; `None` for the archive as a whole (its central directory).
        member: Option<ZipEntry>,
        /// What is wrong with it.
        problem: ZipProblem,
    },

    /// A Keras structure is missing or malformed (config JSON, layer_names, weight_names...).
    #[error("{problem}")]
    Keras {
        /// What is missing or malformed.
        problem: KerasProblem,
    },

    /// A resource limit was reached (objects, depth, sizes); see [`crate::Limits`].
    #[error("limit exceeded: {exceeded}")]
    Limit {
        /// Which limit, and the value that went past it.
        exceeded: LimitExceeded,
    },

    /// A part of the file read on its own (the weights member of a `.keras` archive, a
    /// shard) could not be read.
    #[error("{part}: {source}")]
    InPart {
        /// The part.
        part: FilePart,
        /// Why it could not be read.
        source: Box<Error>,
    },
}

impl Error {
    pub(crate) fn hdf5(object: impl Into<String>, err: impl fmt::Display) -> Error {
        Error::Hdf5 {
            object: object.into(),
            message: err.to_string(),
        }
    }

    pub(crate) fn keras(problem: KerasProblem) -> Error {
        Error::Keras { problem }
    }

    pub(crate) fn limit(exceeded: LimitExceeded) -> Error {
        Error::Limit { exceeded }
    }

    pub(crate) fn not_keras(reason: NotKerasReason) -> Error {
        Error::NotKeras { reason }
    }

    pub(crate) fn zip(member: Option<ZipEntry>, problem: ZipProblem) -> Error {
        Error::Zip { member, problem }
    }

    /// This error as met while reading `part` of the file.
    pub(crate) fn in_part(self, part: FilePart) -> Error {
        Error::InPart {
            part,
            source: Box::new(self),
        }
    }
}

/// The library's result type: [`Error`] unless another is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why bytes are not a Keras file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotKerasReason {
    /// The first bytes are none of the signatures Keras files start with.
    #[error("neither HDF5, zip, JSON nor a pickle (unrecognised first bytes)")]
    UnrecognisedSignature,

    /// An HDF5 signature was found at an offset past the end of the file.
    #[error("HDF5 signature past the end")]
    Hdf5SignaturePastEnd,

    /// An HDF5 file without any Keras structure at its root.
    #[error(
        "an HDF5 file without Keras structure (no model_config, layer_names or layers/ group; top-level groups: {})",
        list_or_none(top_level_groups)
    )]
    Hdf5WithoutKerasStructure {
        /// The groups at the root of the file.
        top_level_groups: Vec<String>,
    },

    /// A JSON document that is not a sharded-weights index.
    #[error("a JSON document without weight_map (not a sharded-weights index)")]
    JsonWithoutWeightMap,
}

/// A Keras structure that is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KerasProblem {
    /// A config text (`model_config`, `config.json`...) is not JSON, even with Python's
    /// `NaN`/`Infinity` literals read as strings.
    #[error("{what} is not valid JSON: {source}")]
    InvalidJson {
        /// Which text.
        what: String,
        /// The JSON parser's error.
        source: serde_json::Error,
    },

    /// A config that must be a JSON object is another JSON value.
    #[error("{what} is not a JSON object")]
    NotAnObject {
        /// Which config (`model_config`, `config.json`).
        what: String,
    },

    /// An architecture JSON given apart has no `class_name`.
    #[error("the architecture JSON has no class_name (expected model.to_json() or config.json)")]
    ArchitectureWithoutClassName,

    /// The Keras file given as the architecture of a weights-only file stores no config.
    #[error("the file given as --config stores no model config")]
    ArchitectureFileWithoutConfig,

    /// A legacy full-model file has `model_config` but no `model_weights` group.
    #[error("model_config is present but the model_weights group is missing")]
    MissingModelWeights,

    /// A legacy file has no `layer_names` attribute where its weights are.
    #[error("model_weights has no layer_names attribute")]
    MissingLayerNames,

    /// A layer listed in `layer_names` has no group of weights.
    #[error("layer {layer:?} is listed in layer_names but has no group")]
    LayerWithoutGroup {
        /// The layer name as listed.
        layer: String,
    },

    /// A string attribute Keras writes as one string holds several (or none).
    #[error("attribute {object}@{attribute} holds {count} strings, expected one")]
    NotOneString {
        /// The HDF5 path of the object holding the attribute.
        object: String,
        /// The attribute name.
        attribute: String,
        /// How many strings it holds.
        count: usize,
    },

    /// A zip archive without `config.json`: not a `.keras` model.
    #[error(
        "zip archive without config.json, not a .keras model (members: {})",
        list_or_none(members)
    )]
    MissingConfigJson {
        /// The first ten members of the archive, in central directory order.
        members: Vec<String>,
    },

    /// The header of an `.npy` member of `model.weights.npz` is malformed.
    #[error("{message}")]
    NpyHeader {
        /// What is wrong with it.
        message: String,
    },

    /// A sharded-weights index names a shard by a path, which is never followed.
    #[error("shard name {shard:?} is not a plain file name (not followed)")]
    ShardNameNotPlain {
        /// The shard name as the index gives it.
        shard: String,
    },

    /// A shard named by a sharded-weights index could not be opened.
    #[error("shard {shard}: {source}")]
    ShardUnreadable {
        /// The shard name.
        shard: String,
        /// Why it could not be opened.
        source: std::io::Error,
    },
}

/// A resource limit of [`crate::Limits`] that a file went past, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitExceeded {
    /// HDF5 groups nest deeper than [`crate::Limits::max_hdf5_depth`].
    #[error("HDF5 groups nested deeper than {limit} at {group}")]
    Hdf5Depth {
        /// The limit.
        limit: usize,
        /// The group at the limit.
        group: String,
    },

    /// The file holds more HDF5 objects than [`crate::Limits::max_hdf5_objects`].
    #[error("more than {limit} HDF5 objects")]
    Hdf5Objects {
        /// The limit.
        limit: usize,
    },

    /// An HDF5 object has more attributes than [`crate::Limits::max_attributes`].
    #[error("{object} has {count} attributes (limit {limit}, --max-attributes)")]
    Attributes {
        /// The HDF5 path of the object.
        object: String,
        /// The attributes it declares.
        count: u64,
        /// The limit.
        limit: u64,
    },

    /// A dataset has more dimensions than [`crate::Limits::max_rank`].
    #[error("dataset {dataset} has {rank} dimensions (limit {limit})")]
    Rank {
        /// The HDF5 path of the dataset.
        dataset: String,
        /// Its number of dimensions.
        rank: usize,
        /// The limit.
        limit: usize,
    },

    /// A config text is longer than [`crate::Limits::max_config_bytes`].
    #[error("{what} is {bytes} bytes (limit {limit})")]
    ConfigBytes {
        /// Which text (`model_config`, `config.json`...).
        what: String,
        /// Its length.
        bytes: u64,
        /// The limit.
        limit: usize,
    },

    /// A config text holds more values than [`crate::Limits::max_config_values`].
    #[error("{what} holds more than {limit} JSON values (--max-config-values)")]
    ConfigValues {
        /// Which text.
        what: String,
        /// The limit.
        limit: usize,
    },

    /// A zip archive has more members than [`crate::Limits::max_zip_members`].
    #[error("zip has {count} members (limit {limit})")]
    ZipMembers {
        /// The members its central directory lists.
        count: usize,
        /// The limit.
        limit: usize,
    },

    /// A zip member to inflate declares more bytes than
    /// [`crate::Limits::max_zip_inflate_bytes`].
    #[error("zip member {member} declares {declared} bytes (limit {limit})")]
    ZipMemberBytes {
        /// The member name.
        member: String,
        /// Its declared uncompressed size.
        declared: u64,
        /// The limit.
        limit: u64,
    },

    /// A deflated zip member expands more than [`crate::Limits::max_zip_ratio`] times.
    #[error("zip member {member} expands {ratio}× (limit {limit}×)")]
    ZipRatio {
        /// The member name.
        member: String,
        /// Its declared uncompressed size over its compressed size, rounded down.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
}

/// A zip member, as the reader knew it when the error occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZipEntry {
    /// The member at this position of the central directory, whose name was not read yet.
    Index(usize),
    /// The member of this name (as stored).
    Name(String),
}

impl fmt::Display for ZipEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipEntry::Index(index) => write!(f, "member #{index}"),
            ZipEntry::Name(name) => f.write_str(name),
        }
    }
}

/// What is wrong with a zip archive or one of its members.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZipProblem {
    /// The zip reader failed (a damaged central directory, a bad local header, a corrupt
    /// deflate stream).
    #[error("{0}")]
    Unreadable(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A member inflates to another size than its central directory entry declares.
    #[error("declares {declared} bytes but holds {actual}")]
    SizeMismatch {
        /// The declared uncompressed size.
        declared: u64,
        /// The bytes it inflated to (at most one past the declared size).
        actual: u64,
    },

    /// A stored member's data would lie past the end of the archive.
    #[error("data lies outside the archive")]
    DataOutsideArchive,
}

/// A part of a Keras file that is read as a file of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilePart {
    /// `model.weights.h5` inside a `.keras` archive.
    WeightsH5,
    /// `model.weights.npz` inside a `.keras` archive.
    WeightsNpz,
    /// One `.npy` member of `model.weights.npz`.
    NpzMember(String),
    /// One shard named by a sharded-weights index.
    Shard(String),
}

impl fmt::Display for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilePart::WeightsH5 => f.write_str("model.weights.h5"),
            FilePart::WeightsNpz => f.write_str("model.weights.npz"),
            FilePart::NpzMember(member) => write!(f, "model.weights.npz:{member}"),
            FilePart::Shard(shard) => write!(f, "shard {shard}"),
        }
    }
}

fn member_prefix(member: &Option<ZipEntry>) -> String {
    member
        .as_ref()
        .map_or_else(String::new, |m| format!("{m}: "))
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
