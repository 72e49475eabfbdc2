//! kerascope: open Keras model files of every generation and tell the truth about them,
//! without Python, TensorFlow or network access.

pub mod layers;
