//! Checked arithmetic for parameter counts: an overflow is a config error, never a wrap.

use super::*;

pub(crate) fn bad(key: &str, problem: impl Into<String>) -> RuleError {
    RuleError::BadConfig {
        key: key.to_string(),
        problem: problem.into(),
    }
}

fn overflow(what: &str) -> RuleError {
    bad(what, "the size overflows 64 bits")
}

/// `a·b`, an error instead of wrapping.
pub(crate) fn mul(a: u64, b: u64, what: &str) -> R<u64> {
    a.checked_mul(b).ok_or_else(|| overflow(what))
}

/// `a+b`, an error instead of wrapping.
pub(crate) fn add(a: u64, b: u64, what: &str) -> R<u64> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}

/// Product of all dims (1 for a scalar); any zero makes it zero without looking further.
pub(crate) fn product(dims: &[u64], what: &str) -> R<u64> {
    if dims.contains(&0) {
        return Ok(0);
    }
    dims.iter().try_fold(1u64, |acc, &d| mul(acc, d, what))
}
