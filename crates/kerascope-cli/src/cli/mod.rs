//! Terminal and input concerns of the binary: colour, sizes with units, bounded inputs.

pub mod color;
pub mod input;
pub mod size;
