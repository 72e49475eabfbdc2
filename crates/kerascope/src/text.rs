//! Numbers, byte sizes and shapes as Keras prints them: shared by the derivations, the
//! findings' messages and every renderer.

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
