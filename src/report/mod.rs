//! Reports: what the user sees, as text for people and JSON for machines.

pub mod check;
pub mod compat;
pub mod diff;
pub mod formula;
pub mod inspect;
pub mod sarif;
pub mod summary;
pub mod verify;

/// `1234567` → `1,234,567`: the derivations' formatting, shared.
pub use crate::layers::thousands;

/// `(3, 4)`, `(4,)`, `()` — Python's tuple notation, as Keras prints shapes.
pub fn tuple(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_string(),
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_keras_prints_them() {
        assert_eq!(thousands(4_457_472), "4,457,472");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(tuple(&[4096, 1024]), "(4096, 1024)");
        assert_eq!(tuple(&[7]), "(7,)");
        assert_eq!(tuple(&[]), "()");
    }
}
