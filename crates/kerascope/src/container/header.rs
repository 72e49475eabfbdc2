//! A lean reading of version-1 object headers — the kind h5py writes unless asked for the
//! latest format, so nearly every object in a Keras file — for the walk, which needs of each
//! object only its kind, and of a dataset its shape, datatype and layout.
//!
//! The messages the walk needs are decoded by the reader's own message parsers; the others
//! are skipped without being decoded, and the header is not cached. Anything else — a
//! version-2 header, a shared message, links, dense attributes, external storage, or any
//! structure that does not read cleanly — returns `None`, and the walk asks the reader, which
//! decodes everything and reports what is wrong. Layout: HDF5 file format specification,
//! section IV.A.1.a (version 1 object header) and IV.A.2 (messages).

use std::collections::BTreeSet;

use hdf5_reader::io::Cursor;
use hdf5_reader::messages::attribute::AttributeMessage;
use hdf5_reader::messages::layout::DataLayout;
use hdf5_reader::{Datatype, Storage};

use super::symtab::{Sizes, le, read};

/// What a version-1 header says, for the walk.
#[derive(Debug)]
#[non_exhaustive]
pub enum Lean {
    /// An old-style group: its symbol table's B-tree and local heap addresses.
    Group {
        btree: u64,
        heap: u64,
    },
    Dataset(LeanDataset),
    /// Neither (a committed datatype, or an object without the messages of either).
    Other,
}

#[derive(Debug)]
pub struct LeanDataset {
    pub dims: Vec<u64>,
    pub datatype: Datatype,
    pub layout: DataLayout,
    /// The dataset has an attribute named `dtype` (Keras 3 marks bfloat16 weights so).
    pub dtype_attribute: bool,
}

const NIL: u16 = 0x00;
const DATASPACE: u16 = 0x01;
const LINK_INFO: u16 = 0x02;
const FILL_VALUE_OLD: u16 = 0x04;
const FILL_VALUE: u16 = 0x05;
const LINK: u16 = 0x06;
const EXTERNAL_FILES: u16 = 0x07;
const LAYOUT: u16 = 0x08;
const GROUP_INFO: u16 = 0x0A;
const FILTER_PIPELINE: u16 = 0x0B;
const ATTRIBUTE: u16 = 0x0C;
const CONTINUATION: u16 = 0x10;
const SYMBOL_TABLE: u16 = 0x11;
const ATTRIBUTE_INFO: u16 = 0x15;
const DATATYPE: u16 = 0x03;

/// Continuation blocks followed at most (libhdf5 writes one or two).
const MAX_BLOCKS: usize = 64;

/// Reads the version-1 header at `address`; `None` when the reader must decide.
pub fn read_v1(
    storage: &dyn Storage,
    sizes: Sizes,
    address: u64,
    max_bytes: usize,
) -> Option<Lean> {
    scan_v1(storage, sizes, address, max_bytes, false)?.finish()
}

/// The attribute messages of the version-1 header at `address`, all of them (none are kept
/// densely, in a fractal heap); `None` when the reader must decide.
pub fn attributes_v1(
    storage: &dyn Storage,
    sizes: Sizes,
    address: u64,
    max_bytes: usize,
) -> Option<Vec<AttributeMessage>> {
    Some(scan_v1(storage, sizes, address, max_bytes, true)?.attribute_messages)
}

fn scan_v1(
    storage: &dyn Storage,
    sizes: Sizes,
    address: u64,
    max_bytes: usize,
    keep_attributes: bool,
) -> Option<State> {
    let prefix = read(storage, address, 16)?;
    let prefix: &[u8] = &prefix;
    if prefix[0] != 1 {
        return None;
    }
    let first_len = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize;
    let mut budget = max_bytes.checked_sub(first_len.checked_add(16)?)?;
    let mut state = State {
        keep_attributes,
        ..State::default()
    };
    let mut blocks = vec![(address.checked_add(16)?, first_len as u64)];
    let mut visited = BTreeSet::new();
    while let Some((start, len)) = blocks.pop() {
        if !visited.insert(start) || visited.len() > MAX_BLOCKS {
            return None;
        }
        let len = usize::try_from(len).ok()?;
        if visited.len() > 1 {
            budget = budget.checked_sub(len)?;
        }
        let block = read(storage, start, len)?;
        state.messages(&block, sizes, &mut blocks)?;
    }
    Some(state)
}

#[derive(Default)]
struct State {
    group: bool,
    symbol_table: Option<(u64, u64)>,
    dataset: bool,
    attributes: bool,
    dtype_attribute: bool,
    dims: Option<Vec<u64>>,
    datatype: Option<Datatype>,
    layout: Option<DataLayout>,
    keep_attributes: bool,
    attribute_messages: Vec<AttributeMessage>,
}

impl State {
    fn messages(&mut self, block: &[u8], sizes: Sizes, blocks: &mut Vec<(u64, u64)>) -> Option<()> {
        let mut at = 0usize;
        while block.len().checked_sub(at)? >= 8 {
            let kind = u16::from_le_bytes([block[at], block[at + 1]]);
            let size = usize::from(u16::from_le_bytes([block[at + 2], block[at + 3]]));
            let flags = block[at + 4];
            let data = block.get(at + 8..at + 8 + size)?;
            at += 8 + size;
            if kind == NIL {
                continue;
            }
            if flags & 0x02 != 0 {
                return None; // shared: stored elsewhere, resolved by the reader
            }
            self.message(kind, data, sizes, blocks)?;
        }
        Some(())
    }

    fn message(
        &mut self,
        kind: u16,
        data: &[u8],
        sizes: Sizes,
        blocks: &mut Vec<(u64, u64)>,
    ) -> Option<()> {
        let (offset, length) = (usize::from(sizes.offset), usize::from(sizes.length));
        match kind {
            SYMBOL_TABLE => {
                let bytes = data.get(..2 * offset)?;
                self.group = true;
                self.symbol_table = Some((le(&bytes[..offset]), le(&bytes[offset..])));
            }
            LINK | LINK_INFO | EXTERNAL_FILES | ATTRIBUTE_INFO => return None,
            ATTRIBUTE if self.keep_attributes => {
                let message = parse(data, sizes, hdf5_reader::messages::attribute::parse)?;
                self.attribute_messages.push(message);
            }
            GROUP_INFO => self.group = true,
            DATASPACE => {
                let space = parse(data, sizes, hdf5_reader::messages::dataspace::parse)?;
                self.dataset = true;
                self.dims = Some(space.dims);
            }
            DATATYPE => {
                let message =
                    hdf5_reader::messages::datatype::parse(&mut Cursor::new(data), data.len())
                        .ok()?;
                self.datatype = Some(message.datatype);
            }
            LAYOUT => {
                let message = parse(data, sizes, hdf5_reader::messages::layout::parse)?;
                self.dataset = true;
                self.layout = Some(message.layout);
            }
            FILL_VALUE | FILL_VALUE_OLD | FILTER_PIPELINE => self.dataset = true,
            ATTRIBUTE => {
                self.attributes = true;
                if attribute_name(data)? == b"dtype" {
                    self.dtype_attribute = true;
                }
            }
            CONTINUATION => {
                let bytes = data.get(..offset + length)?;
                blocks.push((le(&bytes[..offset]), le(&bytes[offset..])));
            }
            _ => {}
        }
        Some(())
    }

    fn finish(self) -> Option<Lean> {
        if self.group {
            let (btree, heap) = self.symbol_table?; // a group info without a symbol table
            return Some(Lean::Group { btree, heap });
        }
        if self.dataset {
            return Some(Lean::Dataset(LeanDataset {
                dims: self.dims?,
                datatype: self.datatype?,
                layout: self.layout?,
                dtype_attribute: self.dtype_attribute,
            }));
        }
        if self.attributes {
            return None; // a group the reader would call one, without a symbol table
        }
        Some(Lean::Other)
    }
}

/// The signature `hdf5-reader` gives the parsers of messages whose fields depend on the
/// file's address and length sizes.
type SizedParser<T> = fn(&mut Cursor<'_>, u8, u8, usize) -> hdf5_reader::error::Result<T>;

/// A message body read by `hdf5-reader`'s parser for its kind; `None` when it does not parse.
fn parse<T>(data: &[u8], sizes: Sizes, parser: SizedParser<T>) -> Option<T> {
    parser(
        &mut Cursor::new(data),
        sizes.offset,
        sizes.length,
        data.len(),
    )
    .ok()
}

/// An attribute message's name, without its terminating NUL: versions 1 and 2 put it after
/// an 8-byte prefix, version 3 after 9 (an encoding byte).
fn attribute_name(data: &[u8]) -> Option<&[u8]> {
    let version = *data.first()?;
    let name_size = usize::from(u16::from_le_bytes([*data.get(2)?, *data.get(3)?]));
    let start: usize = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return None,
    };
    let name = data.get(start..start.checked_add(name_size)?)?;
    Some(name.strip_suffix(b"\0").unwrap_or(name))
}
