//! Resource limits applied to every file. Hostile files are expected: each limit turns what
//! would be unbounded work or memory into a clear error for that file.

/// Bounds on the work done for one file. The defaults are far above anything Keras writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// HDF5 objects (groups + datasets) visited in one file.
    pub max_hdf5_objects: usize,
    /// HDF5 group nesting depth.
    pub max_hdf5_depth: usize,
    /// Attributes of one HDF5 object (Keras writes a handful).
    pub max_attributes: u64,
    /// Bytes of one HDF5 object header (attributes live there; Keras stays under 64 KiB).
    pub max_object_header_bytes: usize,
    /// Bytes of a config JSON (`model_config`, `config.json`, `metadata.json`).
    pub max_config_bytes: usize,
    /// Values (numbers, strings, objects...) in a config JSON: bounds its parsed size.
    pub max_config_values: usize,
    /// Members of a zip archive.
    pub max_zip_members: usize,
    /// Declared uncompressed size of one zip member that must be inflated into memory
    /// (`config.json`, `metadata.json`, a deflated `model.weights.h5`).
    pub max_zip_inflate_bytes: u64,
    /// Declared uncompressed / compressed ratio of a deflated zip member.
    pub max_zip_ratio: u64,
    /// Dimensions of one tensor.
    pub max_rank: usize,
    /// Layer entries in a model config, nested models included.
    pub max_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_hdf5_objects: 200_000,
            max_hdf5_depth: 64,
            max_attributes: 4_096,
            max_object_header_bytes: 16 << 20,
            max_config_bytes: 64 << 20,
            max_config_values: 4_000_000,
            max_zip_members: 10_000,
            max_zip_inflate_bytes: 2 << 30,
            max_zip_ratio: 1_000,
            max_rank: 32,
            max_layers: 100_000,
        }
    }
}
