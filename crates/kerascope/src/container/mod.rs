//! Containers: the raw bytes of a file, HDF5, zip, and what kind of file the bytes are.

pub(crate) mod gheap;
pub mod hdf5;
pub(crate) mod header;
pub mod npy;
pub mod pickle;
pub mod sniff;
pub mod source;
pub(crate) mod symtab;
pub mod zip;
