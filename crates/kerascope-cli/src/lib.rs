//! The parts of the `kerascope` command that tests and other front ends reuse: walking
//! folders and scanning their files in parallel. No analysis happens here: that is the
//! [`kerascope`] library's.

pub mod remote;
pub mod scan;
