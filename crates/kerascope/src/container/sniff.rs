//! What kind of container the bytes are, from their content alone (FORMATS.md §0): the
//! extension of a file is never consulted.

use super::hdf5::SIGNATURE as HDF5_SIGNATURE;
use super::source::Source;

/// The container a file's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Container {
    /// HDF5, with the superblock at this offset (0, or 512·2ⁿ after a user block).
    #[allow(missing_docs)] // `offset` is described above
    Hdf5 { offset: u64 },
    /// A zip archive (`.keras`).
    Zip,
    /// A JSON document (a sharded-weights index, or a model architecture from `to_json`).
    Json,
    /// A Python pickle stream: never loaded, only named.
    Pickle,
    /// None of the above.
    Unknown,
}

/// Looks at the first bytes (and, for HDF5, the few offsets where a user block may end).
pub fn sniff(bytes: &[u8]) -> Container {
    classify(bytes, bytes.len() as u64, |offset| {
        bytes[offset as usize..].starts_with(HDF5_SIGNATURE)
    })
}

/// [`sniff`] for a file read by ranges: its first bytes, then eight bytes at each offset
/// where a user block may end.
pub fn sniff_source(source: &Source) -> std::io::Result<Container> {
    let head = source.read_at(0, source.len().min(HEAD) as usize)?;
    let mut failure = None;
    let container = classify(&head, source.len(), |offset| {
        let at = offset as usize;
        if let Some(bytes) = head.get(at..at + HDF5_SIGNATURE.len()) {
            return bytes == HDF5_SIGNATURE;
        }
        if head.len() as u64 == source.len() {
            return false; // the whole file is in `head`: no room for a signature here
        }
        match source.read_at(offset, HDF5_SIGNATURE.len()) {
            Ok(bytes) => *bytes == *HDF5_SIGNATURE,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => false,
            Err(e) => {
                failure.get_or_insert(e);
                false
            }
        }
    });
    failure.map_or(Ok(container), Err)
}

/// How many first bytes decide what a file is (JSON may open with blank space).
const HEAD: u64 = 4096;

/// The decision, from the first bytes and a test for the HDF5 signature at an offset below
/// `len`.
fn classify(head: &[u8], len: u64, mut hdf5_at: impl FnMut(u64) -> bool) -> Container {
    // A zip announces itself in its first bytes: a member that happens to start at 512·2ⁿ
    // does not make the archive an HDF5 file with a user block, and probing a remote zip at
    // every power of two up to 1 MiB would cost a round trip each.
    let user_block_end = if head.starts_with(b"PK\x03\x04") {
        0
    } else {
        1 << 20
    };
    let mut offset = 0u64;
    while offset < len && offset <= user_block_end {
        if hdf5_at(offset) {
            return Container::Hdf5 { offset };
        }
        offset = if offset == 0 { 512 } else { offset * 2 };
    }
    let bytes = head;
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Container::Zip;
    }
    // Pickle protocol 2+ starts with PROTO (0x80) and the protocol number.
    if bytes.len() >= 2 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1]) {
        return Container::Pickle;
    }
    let text = bytes
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF);
    if text.clone().next() == Some(&b'{') {
        return Container::Json;
    }
    Container::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_container_by_its_bytes() {
        assert_eq!(
            sniff(b"\x89HDF\r\n\x1a\n\0\0"),
            Container::Hdf5 { offset: 0 }
        );
        let mut with_user_block = vec![0u8; 512];
        with_user_block.extend_from_slice(HDF5_SIGNATURE);
        assert_eq!(sniff(&with_user_block), Container::Hdf5 { offset: 512 });
        assert_eq!(sniff(b"PK\x03\x04rest"), Container::Zip);
        // A `.keras` whose stored `model.weights.h5` member happens to start at 512·2ⁿ is
        // still the zip it announces (and is not probed at every power of two).
        let mut zip = b"PK\x03\x04".to_vec();
        zip.resize(8192, 0);
        zip.extend_from_slice(HDF5_SIGNATURE);
        assert_eq!(sniff(&zip), Container::Zip);
        assert_eq!(sniff(b"\x80\x04\x95"), Container::Pickle);
        assert_eq!(sniff(b"  {\"weight_map\": {}}"), Container::Json);
        assert_eq!(sniff(b"GIF89a"), Container::Unknown);
        assert_eq!(sniff(b""), Container::Unknown);
    }

    #[test]
    fn a_file_read_by_ranges_is_recognised_like_one_in_memory() {
        let file = tempfile::NamedTempFile::new().unwrap();
        for user_block in [0usize, 512, 4096, 65_536] {
            let mut bytes = vec![0u8; user_block];
            bytes.extend_from_slice(HDF5_SIGNATURE);
            bytes.resize(user_block + 100, 0);
            std::fs::write(file.path(), &bytes).unwrap();
            let expected = Container::Hdf5 {
                offset: user_block as u64,
            };
            assert_eq!(sniff(&bytes), expected);
            let ranged = Source::open_ranged(file.path()).unwrap();
            assert_eq!(sniff_source(&ranged).unwrap(), expected, "{user_block}");
        }
        for bytes in [
            &b"PK\x03\x04rest"[..],
            b"  {\"weight_map\": {}}",
            b"GIF89a",
            b"",
        ] {
            std::fs::write(file.path(), bytes).unwrap();
            let ranged = Source::open_ranged(file.path()).unwrap();
            assert_eq!(sniff_source(&ranged).unwrap(), sniff(bytes));
        }
    }
}
