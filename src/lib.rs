//! kerascope: open Keras model files of every generation and tell the truth about them,
//! without Python, TensorFlow or network access.

pub mod layers;

pub mod container;
pub mod error;
pub mod limits;

pub use error::{Error, Result};
pub use limits::Limits;
pub mod format;
pub mod report;
