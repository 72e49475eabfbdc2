//! Byte sizes on the command line: `2GiB`, `64MiB`, `16M`, `1000000`.

/// Parses a size: a whole number with an optional unit, case-insensitive. `K`, `M`, `G`,
/// `T` and `KiB`… are powers of 1024 (as ripgrep takes them); `KB`, `MB`… powers of 1000.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.replace('_', "").parse().map_err(|_| {
        format!("{text:?} is not a size (a whole number, then B, KiB, MiB, GiB, KB, MB...)")
    })?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "unknown size unit {unit:?} in {text:?} (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// A size for a limit held as `usize`: past what the platform addresses means no limit.
pub fn parse_size_usize(text: &str) -> Result<usize, String> {
    parse_size(text).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("1kb"), Ok(1000));
        assert_eq!(parse_size("1_000"), Ok(1000));
        assert_eq!(parse_size("512 B"), Ok(512));
        assert!(parse_size("2 GiBs").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }
}
