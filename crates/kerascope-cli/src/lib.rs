//! The `kerascope` command as a library: [`run`] is the whole command (the binary and the
//! Python wheel's console script call it), and the parts that tests and other front ends
//! reuse: walking folders and scanning their files in parallel. No analysis happens here:
//! that is the [`kerascope`] library's.

mod app;
mod cli;
pub mod remote;
pub mod scan;

pub use app::{ExitCode, RULE_SCHEMA, check_text, rule_json, rule_text, run, summary_findings};
