//! The registry of finding codes: every [`RuleDoc`] the library declares, gathered from the
//! modules that emit them. Each module declares its codes next to its checks (with
//! `findings!`, which also lists them in the module's `DOCS`); this module only chains those
//! lists. It sits after [`crate::compat`] in the flow, so that the file checks of
//! [`crate::audit`] and the compatibility blockers, which build on them, are gathered
//! without a cycle. `kerascope rule`, SARIF and the tests read it.

use crate::audit::{self, RuleDoc};
use crate::compat;

/// Every finding code, in code order: the file checks' and the compatibility blockers'.
pub fn docs() -> Vec<&'static RuleDoc> {
    sorted(
        check_docs()
            .into_iter()
            .chain(compat_docs().iter().copied()),
    )
}

/// The codes of the checks `check` runs on every file, in code order: all but the
/// compatibility blockers, which `check --target` adds.
pub fn check_docs() -> Vec<&'static RuleDoc> {
    sorted(
        audit::read::DOCS
            .iter()
            .chain(audit::params::DOCS)
            .chain(audit::security::DOCS)
            .chain(audit::deep::DOCS)
            .copied(),
    )
}

/// The codes of the compatibility blockers (`C1xx`, [`compat::Code`]), in code order.
pub fn compat_docs() -> &'static [&'static RuleDoc] {
    compat::DOCS
}

/// The documentation of one code (case-insensitive), or of one name.
pub fn doc(code_or_name: &str) -> Option<&'static RuleDoc> {
    docs()
        .into_iter()
        .find(|d| d.code.eq_ignore_ascii_case(code_or_name) || d.name == code_or_name)
}

fn sorted(docs: impl Iterator<Item = &'static RuleDoc>) -> Vec<&'static RuleDoc> {
    let mut all: Vec<&'static RuleDoc> = docs.collect();
    all.sort_by_key(|d| d.code);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let all = docs();
        let mut codes: Vec<&str> = all.iter().map(|d| d.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "duplicate finding code");
        let mut names: Vec<&str> = all.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "duplicate finding name");
        for d in all {
            assert!(
                !d.summary.is_empty() && !d.why.is_empty() && !d.example.is_empty(),
                "{}",
                d.code
            );
        }
    }

    /// Every blocker kind is registered under the code it serializes as.
    #[test]
    fn compat_codes_are_registered() {
        for doc in compat_docs() {
            assert!(doc.code.starts_with('C'), "{}", doc.code);
            assert_eq!(super::doc(doc.code), Some(*doc));
        }
        assert_eq!(
            serde_json::to_value(compat::Code::DtypePolicy).unwrap(),
            serde_json::json!(compat::Code::DtypePolicy.doc().code)
        );
    }
}
