//! NumPy `.npy` members (of an `.npz`): the header's dtype, shape and order; what follows is
//! raw data or, for object arrays, a pickle stream ([`super::pickle`]).

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The `descr` string (`<f4`, `|O`, ...).
    pub descr: String,
    /// The `shape` tuple of the header.
    pub shape: Vec<u64>,
    /// Offset of the data (or pickle) after the header.
    pub data_offset: usize,
}

/// Reads the magic, version and header dict of an `.npy` file.
pub fn header(bytes: &[u8]) -> Result<NpyHeader, String> {
    let rest = bytes.strip_prefix(b"\x93NUMPY").ok_or("no .npy magic")?;
    let (&major, rest) = rest.split_first().ok_or("truncated .npy header")?;
    let rest = rest.get(1..).ok_or("truncated .npy header")?;
    let (len, start) = match major {
        1 => (
            usize::from(u16::from_le_bytes([
                *rest.first().ok_or("truncated")?,
                *rest.get(1).ok_or("truncated")?,
            ])),
            10usize,
        ),
        2 | 3 => {
            let b = rest.get(..4).ok_or("truncated .npy header")?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        v => return Err(format!(".npy version {v} unknown")),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or(".npy header past the end")?;
    let text = String::from_utf8_lossy(&bytes[start..end]);
    let descr = quoted_after(&text, "'descr'").ok_or("no descr in .npy header")?;
    let shape_text = text
        .split_once("'shape'")
        .and_then(|(_, s)| s.split_once('('))
        .and_then(|(_, s)| s.split_once(')'))
        .map(|(inside, _)| inside)
        .ok_or("no shape in .npy header")?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<u64>())
        .collect::<Result<Vec<u64>, _>>()
        .map_err(|_| format!("bad shape ({shape_text}) in .npy header"))?;
    Ok(NpyHeader {
        descr,
        shape,
        data_offset: end,
    })
}

fn quoted_after(text: &str, key: &str) -> Option<String> {
    let (_, after) = text.split_once(key)?;
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &after[1..];
    let end = inner.find(quote)?;
    Some(inner[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_object_array_header() {
        let mut bytes =
            b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }"
                .to_vec();
        bytes.resize(128, b' ');
        bytes[127] = b'\n';
        let h = header(&bytes).unwrap();
        assert_eq!(
            (h.descr.as_str(), h.shape.len(), h.data_offset),
            ("|O", 0, 128)
        );
        let mut plain =
            b"\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }"
                .to_vec();
        plain.resize(80, b' ');
        assert_eq!(header(&plain).unwrap().shape, [4, 3]);
        assert!(header(b"\x93NUMPY\x01\x00\xff\xff{").is_err());
    }
}
