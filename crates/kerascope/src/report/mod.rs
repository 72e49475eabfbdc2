//! Reports: what the user sees, as text for people and JSON for machines.

pub mod check;
pub mod compat;
pub mod diff;
pub mod formula;
pub mod inspect;
pub mod sarif;
pub mod summary;
pub mod verify;

/// A model's class and name, as the documents show it.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ModelLabel<'a> {
    /// The model's class (`Sequential`, `Functional`, ...).
    pub class: &'a str,
    /// The model's name, if the config has one.
    pub name: Option<&'a str>,
}

/// The document of an input that could not be read, in the schema of the document asked for,
/// so that a consumer always gets one document.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ErrorDocument<'a> {
    /// The schema of the document asked for (`kerascope.summary/1`, ...).
    pub schema: &'a str,
    /// Which input failed, and why.
    pub error: InputError<'a>,
}

/// Which input, and why it could not be read.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct InputError<'a> {
    /// The input, as the caller names it.
    pub file: &'a str,
    /// Why it could not be read.
    pub message: &'a str,
}

impl<'a> ErrorDocument<'a> {
    /// The error document of `file`, in `schema`.
    pub fn new(schema: &'a str, file: &'a str, message: &'a str) -> ErrorDocument<'a> {
        ErrorDocument {
            schema,
            error: InputError { file, message },
        }
    }
}

pub use crate::text::{thousands, tuple};
