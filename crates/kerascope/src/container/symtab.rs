//! The members of an old-style HDF5 group — the kind h5py writes by default, so nearly every
//! Keras group — read straight from its symbol table: a version-1 B-tree of group nodes whose
//! leaves point at symbol table nodes (`SNOD`), with the names in a local heap (`HEAP`).
//!
//! This is the scan's hottest HDF5 path, so it reads only what a listing needs (each entry's
//! name, object address and link kind) with bounded, checked reads. Any structure that does
//! not read cleanly gives no listing at all: the caller then asks the reader, which reports
//! what is wrong (a partial listing would hide members). The
//! layouts are those of the HDF5 file format specification, sections III.A.1 (B-tree v1),
//! III.B (symbol table node) and III.D (local heap).

use std::collections::BTreeSet;

use hdf5_reader::{Storage, StorageBuffer};

/// One member: its name, its object header address and, for a soft link, the target path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub address: u64,
    pub soft_target: Option<String>,
}

/// Sizes of addresses and lengths in this file (superblock fields: 2, 4 or 8 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub offset: u8,
    pub length: u8,
}

/// A B-tree deeper than this is not a symbol table h5py or libhdf5 would write (each level
/// multiplies the fan-out by at least 2·K ≥ 2).
const MAX_BTREE_DEPTH: u32 = 32;

/// Longer names are treated as unreadable (Keras names are a few dozen bytes; a hostile heap
/// without terminators must not cost a scan of the whole segment per entry).
const MAX_NAME_BYTES: u64 = 64 * 1024;

/// Lists a group's members in stored (name) order, at most `max_entries` of them; `None`
/// when some part of the table does not read cleanly.
pub fn entries(
    storage: &dyn Storage,
    sizes: Sizes,
    btree_address: u64,
    heap_address: u64,
    max_entries: usize,
) -> Option<Vec<Entry>> {
    let heap = Heap::read(storage, sizes, heap_address)?;
    let mut out = Vec::new();
    let mut visited = BTreeSet::new();
    let mut reader = Reader {
        storage,
        sizes,
        heap,
        max_entries,
    };
    reader.node(btree_address, 0, &mut visited, &mut out)?;
    Some(out)
}

struct Reader<'a> {
    storage: &'a dyn Storage,
    sizes: Sizes,
    heap: Heap,
    max_entries: usize,
}

impl Reader<'_> {
    /// A B-tree node: its children are nodes one level down, or symbol table nodes at level 0.
    fn node(
        &mut self,
        address: u64,
        depth: u32,
        visited: &mut BTreeSet<u64>,
        out: &mut Vec<Entry>,
    ) -> Option<()> {
        if out.len() >= self.max_entries {
            return Some(()); // the caller's object limit reports the rest
        }
        if depth > MAX_BTREE_DEPTH || !visited.insert(address) {
            return None;
        }
        let (offset, length) = (
            usize::from(self.sizes.offset),
            usize::from(self.sizes.length),
        );
        let head = read(self.storage, address, 8)?;
        let head: &[u8] = &head;
        // "TREE", node type 0 (group nodes), level, entries used; then two sibling addresses.
        if &head[..4] != b"TREE" || head[4] != 0 {
            return None;
        }
        let level = head[5];
        let used = usize::from(u16::from_le_bytes([head[6], head[7]]));
        // Keys and children interleave: key, child, key, ..., child, key.
        let body_len = (used + 1) * length + used * offset;
        let body = read(
            self.storage,
            address.checked_add(8 + 2 * offset as u64)?,
            body_len,
        )?;
        let body: &[u8] = &body;
        for i in 0..used {
            let at = length + i * (length + offset);
            let child = le(&body[at..at + offset]);
            if level == 0 {
                self.symbol_node(child, out)?;
            } else {
                self.node(child, depth + 1, visited, out)?;
            }
            if out.len() >= self.max_entries {
                return Some(());
            }
        }
        Some(())
    }

    /// A symbol table node: "SNOD", version 1, reserved byte, entry count, then the entries.
    fn symbol_node(&mut self, address: u64, out: &mut Vec<Entry>) -> Option<()> {
        let offset = usize::from(self.sizes.offset);
        let head = read(self.storage, address, 8)?;
        let head: &[u8] = &head;
        if &head[..4] != b"SNOD" || head[4] != 1 {
            return None;
        }
        let count = usize::from(u16::from_le_bytes([head[6], head[7]]));
        let entry_len = 2 * offset + 4 + 4 + 16;
        let body = read(self.storage, address.checked_add(8)?, count * entry_len)?;
        let body: &[u8] = &body;
        for raw in body.chunks_exact(entry_len) {
            if out.len() >= self.max_entries {
                return Some(());
            }
            let name_offset = le(&raw[..offset]);
            let object = le(&raw[offset..2 * offset]);
            let cache_type = u32::from_le_bytes([
                raw[2 * offset],
                raw[2 * offset + 1],
                raw[2 * offset + 2],
                raw[2 * offset + 3],
            ]);
            let scratch = &raw[2 * offset + 8..];
            let name = self.heap.string(self.storage, name_offset)?;
            // Cache type 2: a soft link, its target's offset in the heap in the scratch pad.
            let soft_target = if cache_type == 2 {
                let target = u32::from_le_bytes([scratch[0], scratch[1], scratch[2], scratch[3]]);
                Some(
                    self.heap
                        .string(self.storage, u64::from(target))
                        .unwrap_or_else(|| "<unreadable target>".into()),
                )
            } else {
                None
            };
            out.push(Entry {
                name,
                address: object,
                soft_target,
            });
        }
        Some(())
    }
}

/// A local heap's data segment.
struct Heap {
    address: u64,
    size: u64,
    /// The whole segment when it is small (as for nearly every group): one read serves
    /// every name.
    data: Option<StorageBuffer>,
}

/// Segments up to this size are read whole.
const WHOLE_HEAP_BYTES: u64 = 1 << 20;

impl Heap {
    /// "HEAP", version 0, three reserved bytes, data segment size, free list offset, data
    /// segment address.
    fn read(storage: &dyn Storage, sizes: Sizes, address: u64) -> Option<Heap> {
        let (offset, length) = (usize::from(sizes.offset), usize::from(sizes.length));
        let bytes = read(storage, address, 8 + 2 * length + offset)?;
        let bytes: &[u8] = &bytes;
        if &bytes[..4] != b"HEAP" || bytes[4] != 0 {
            return None;
        }
        let size = le(&bytes[8..8 + length]);
        let address = le(&bytes[8 + 2 * length..8 + 2 * length + offset]);
        let data = if size <= WHOLE_HEAP_BYTES {
            Some(read(storage, address, size as usize)?)
        } else {
            None
        };
        Some(Heap {
            address,
            size,
            data,
        })
    }

    /// The NUL-terminated string at `offset` in the data segment.
    fn string(&self, storage: &dyn Storage, offset: u64) -> Option<String> {
        let available = self.size.checked_sub(offset)?;
        if let Some(data) = &self.data {
            let bytes = &data[usize::try_from(offset).ok()?..];
            let end = bytes.iter().position(|&b| b == 0)?;
            return std::str::from_utf8(&bytes[..end]).ok().map(str::to_string);
        }
        let start = self.address.checked_add(offset)?;
        // Names are short: read a small window first, then up to the longest name accepted.
        for window in [256, 4096, MAX_NAME_BYTES] {
            let len = window.min(available);
            let bytes = read(storage, start, usize::try_from(len).ok()?)?;
            let bytes: &[u8] = &bytes;
            if let Some(end) = bytes.iter().position(|&b| b == 0) {
                return std::str::from_utf8(&bytes[..end]).ok().map(str::to_string);
            }
            if len == available {
                return None; // no terminator inside the segment
            }
        }
        None
    }
}

/// `len` bytes at `offset` (in place), or `None` past the end of the file.
pub(super) fn read(storage: &dyn Storage, offset: u64, len: usize) -> Option<StorageBuffer> {
    let end = offset.checked_add(len as u64)?;
    if end > storage.len() {
        return None;
    }
    storage.read_range(offset, len).ok()
}

/// A little-endian unsigned integer of 1 to 8 bytes.
pub(super) fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}
