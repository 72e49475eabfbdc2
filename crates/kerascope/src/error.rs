//! Typed errors of the library. Each carries enough context (object path, what was expected)
//! for a one-line message; the binary prefixes the file name.

/// Anything that stops a file from being read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),

    /// The bytes are not any Keras format (random bytes, a pickle, a plain HDF5 dataset file).
    #[error("not a Keras file: {0}")]
    NotKeras(String),

    /// The HDF5 container is damaged or unreadable at `object`.
    #[error("HDF5 {object}: {message}")]
    Hdf5 { object: String, message: String },

    /// The zip container is damaged or unreadable.
    #[error("zip: {0}")]
    Zip(String),

    /// A Keras structure is missing or malformed (config JSON, layer_names, weight_names...).
    #[error("{0}")]
    Keras(String),

    /// A resource limit was reached (objects, depth, sizes); see [`crate::Limits`].
    #[error("limit exceeded: {0}")]
    Limit(String),
}

impl Error {
    pub(crate) fn hdf5(object: impl Into<String>, err: impl std::fmt::Display) -> Error {
        Error::Hdf5 {
            object: object.into(),
            message: err.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
