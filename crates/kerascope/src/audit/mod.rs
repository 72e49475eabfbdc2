//! Findings: each has a stable code, a severity, the layer it concerns and a one-line message.
//! A code is one item: a [`RuleDoc`] (code, name, severity, documentation, CVEs) declared
//! with `findings!` next to the check that emits it, which also registers it;
//! [`crate::registry`] gathers them (these and the compatibility blockers of
//! [`crate::compat`]) for `kerascope rule`, SARIF and the tests.

/// Declares finding codes and registers them: each entry becomes a `pub const NAME: RuleDoc`
/// and an element of the module's `DOCS`, so that a code cannot be declared without being in
/// the registry.
macro_rules! findings {
    ($($(#[$meta:meta])* $name:ident = $doc:expr;)+) => {
        $($(#[$meta])* pub const $name: RuleDoc = $doc;)+

        /// Every finding code this module declares.
        pub const DOCS: &[&RuleDoc] = &[$(&$name),+];
    };
}
pub(crate) use findings;

pub(crate) mod dangerous;
pub mod deep;
pub mod marshal;
pub mod params;
pub(crate) mod read;
pub(crate) mod security;

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing (what could not be checked, an unusual dtype); not a fault of the file.
    Info,
    /// Suspicious or incomplete: worth a look, not proof of a fault.
    Warning,
    /// Wrong or dangerous: weights that do not match the config, damaged data, or content
    /// that reads files or runs code when the model is loaded.
    Error,
}

impl Severity {
    /// The lower-case name used in every output and on the command line (`info`, `warning`,
    /// `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!("unknown severity {s:?} (info, warning, error)")),
        }
    }
}

/// The documentation of one finding code, kept beside its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleDoc {
    /// The stable code: a family letter and three digits (`F101`, `P101`, `S101`, `D101`,
    /// `C101`).
    pub code: &'static str,
    /// A short kebab-case name: `shape-mismatch`.
    pub name: &'static str,
    /// The severity every finding with this code carries.
    pub severity: Severity,
    /// What it finds.
    pub summary: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An example message.
    pub example: &'static str,
    /// CVE ids of the attacks this finding covers.
    pub cves: &'static [&'static str],
}

/// One finding about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The [`RuleDoc::code`] of the finding (`kerascope rule CODE` explains it).
    pub code: &'static str,
    /// How bad it is (the severity of its code).
    pub severity: Severity,
    /// The layer it concerns, by name; `None` when it concerns the whole file.
    pub layer: Option<String>,
    /// One line saying what was found, with the numbers involved.
    pub message: String,
    /// CVE ids of the attack this finding covers (omitted from JSON when there are none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub cve: &'static [&'static str],
}

impl Finding {
    /// A finding of the code `doc` (its code, severity and CVEs) about `layer`.
    pub fn new(doc: &RuleDoc, layer: Option<&str>, message: impl Into<String>) -> Finding {
        Finding {
            code: doc.code,
            severity: doc.severity,
            layer: layer.map(str::to_string),
            message: message.into(),
            cve: doc.cves,
        }
    }
}
