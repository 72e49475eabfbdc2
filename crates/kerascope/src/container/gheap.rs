//! Variable-length strings, as h5py stores `str` attributes (tf.keras' `weight_names`, for
//! one): each element is a reference into a global heap collection (`GCOL`), and each
//! collection here is indexed once, however many strings point into it. Layout: HDF5 file
//! format specification, section III.E (global heap).

use hdf5_reader::{Storage, StorageBuffer};

use super::symtab::{Sizes, le, read};
use crate::Map;

/// Indexed collections of one file, by address (`None`: unreadable).
#[derive(Default)]
pub struct GlobalHeaps {
    collections: Map<u64, Option<Collection>>,
}

struct Collection {
    bytes: StorageBuffer,
    /// Object index → (start, length) inside `bytes`.
    objects: Map<u16, (usize, usize)>,
}

/// Collections larger than this are not indexed here (libhdf5 writes 4 KiB ones, larger only
/// for a single larger object); the caller then asks the reader.
const MAX_COLLECTION_BYTES: u64 = 16 << 20;

impl GlobalHeaps {
    /// The bytes of the object a variable-length reference (sequence length, collection
    /// address, object index) points at; `Some(&[])` for the null reference.
    pub fn object(
        &mut self,
        storage: &dyn Storage,
        sizes: Sizes,
        reference: &[u8],
    ) -> Option<&[u8]> {
        let offset = usize::from(sizes.offset);
        if !(1..=8).contains(&offset) {
            return None;
        }
        let reference = reference.get(..4 + offset + 4)?;
        let address = le(&reference[4..4 + offset]);
        let index = u32::from_le_bytes(reference[4 + offset..].try_into().ok()?);
        if index == 0 || address == u64::MAX >> (64 - 8 * offset.min(8)) {
            return Some(&[]);
        }
        let index = u16::try_from(index).ok()?;
        let collection = self
            .collections
            .entry(address)
            .or_insert_with(|| Collection::read(storage, sizes, address))
            .as_ref()?;
        let &(start, len) = collection.objects.get(&index)?;
        collection.bytes.get(start..start + len)
    }
}

impl Collection {
    /// "GCOL", version 1, three reserved bytes, collection size; then objects: index (u16),
    /// reference count (u16), four reserved bytes, size, data padded to 8 bytes. Index 0 is
    /// the free space that ends the collection.
    fn read(storage: &dyn Storage, sizes: Sizes, address: u64) -> Option<Collection> {
        let length = usize::from(sizes.length);
        let head = read(storage, address, 8 + length)?;
        let head: &[u8] = &head;
        if &head[..4] != b"GCOL" || head[4] != 1 {
            return None;
        }
        let size = le(&head[8..8 + length]);
        if size > MAX_COLLECTION_BYTES {
            return None;
        }
        let bytes = read(storage, address, usize::try_from(size).ok()?)?;
        let mut objects = Map::default();
        let object_header = 8 + length;
        let mut at = 8 + length;
        {
            let all: &[u8] = &bytes;
            while let Some(header) = all.get(at..at + object_header) {
                let index = u16::from_le_bytes([header[0], header[1]]);
                if index == 0 {
                    break;
                }
                let len = usize::try_from(le(&header[8..])).ok()?;
                let start = at + object_header;
                let end = start.checked_add(len)?;
                if end > all.len() {
                    return None;
                }
                objects.entry(index).or_insert((start, len));
                at = start.checked_add(len.div_ceil(8).checked_mul(8)?)?;
            }
        }
        Some(Collection { bytes, objects })
    }
}
