//! Numbers, byte sizes and shapes as Keras prints them, and class names snake-cased as Keras
//! keys objects by them: shared by the reader, the derivations, the findings' messages and
//! every renderer.

use crate::model::Shape;

/// `n` with thousands separators: `4,457,472`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

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

/// `(None, 32, 3)`, several outputs as a list.
pub fn shape_text(shapes: &[Shape]) -> String {
    let one = |s: &Shape| -> String {
        let dims: Vec<String> = s
            .iter()
            .map(|d| d.map(|n| n.to_string()).unwrap_or_else(|| "None".into()))
            .collect();
        if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        }
    };
    match shapes {
        [] => "?".into(),
        [s] => one(s),
        many => format!("[{}]", many.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// Keras 3's readable sizes: `764.00 B`, `1.08 KB`.
pub fn keras_bytes(bytes: u64) -> String {
    readable_bytes(bytes, ["B", "KB", "MB", "GB", "TB", "PB"])
}

/// Keras 2's readable sizes: `808.00 Byte`.
pub fn keras2_bytes(bytes: u64) -> String {
    readable_bytes(bytes, ["Byte", "KB", "MB", "GB", "TB", "PB"])
}

fn readable_bytes(bytes: u64, units: [&str; 6]) -> String {
    let mut value = bytes as f64;
    for unit in &units[..units.len() - 1] {
        if value / 1024.0 < 1.0 {
            return format!("{value:.2} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.2} {}", units[units.len() - 1])
}

/// Keras 3 snake case of a class name, as used for `.weights.h5` keys (FORMATS §5.1) —
/// Keras' `naming.to_snake_case`: drop non-word characters, `_` before a capital that starts
/// a lower-case run, `_` between a lower-case letter and a capital, lower-case everything.
pub fn snake_case(name: &str) -> String {
    let word: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // Pass 1: (.)([A-Z][a-z]+) → \1_\2, non-overlapping, left to right.
    let mut pass1: Vec<char> = Vec::with_capacity(word.len() + 4);
    let mut i = 0;
    while i < word.len() {
        let starts_run = i + 1 < word.len()
            && word[i + 1].is_ascii_uppercase()
            && word.get(i + 2).is_some_and(|c| c.is_ascii_lowercase());
        if starts_run {
            pass1.push(word[i]);
            pass1.push('_');
            let mut j = i + 1;
            pass1.push(word[j]);
            j += 1;
            while j < word.len() && word[j].is_ascii_lowercase() {
                pass1.push(word[j]);
                j += 1;
            }
            i = j;
        } else {
            pass1.push(word[i]);
            i += 1;
        }
    }
    // Pass 2: ([a-z])([A-Z]) → \1_\2.
    let mut out = String::with_capacity(pass1.len() + 4);
    let mut i = 0;
    while i < pass1.len() {
        out.push(pass1[i]);
        if pass1[i].is_ascii_lowercase() && pass1.get(i + 1).is_some_and(|c| c.is_ascii_uppercase())
        {
            out.push('_');
            out.push(pass1[i + 1]);
            i += 2;
        } else {
            i += 1;
        }
    }
    out.to_lowercase()
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
