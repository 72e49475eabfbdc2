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
    pub class: &'a str,
    pub name: Option<&'a str>,
}

/// The document of an input that could not be read, in the schema of the document asked for,
/// so that a consumer always gets one document.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ErrorDocument<'a> {
    pub schema: &'a str,
    pub error: InputError<'a>,
}

/// Which input, and why it could not be read.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct InputError<'a> {
    pub file: &'a str,
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
