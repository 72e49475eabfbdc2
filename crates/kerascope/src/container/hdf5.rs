//! HDF5 access, over the pure-Rust `hdf5-reader`, kept behind this one module so the backend
//! could be swapped. It adds what a reader of untrusted files needs and the crate leaves to us:
//! a visited-object set (hard-link cycles and aliases), depth and object-count limits, and the
//! rule that nothing outside the file is ever followed — external links, external raw storage
//! and virtual datasets are recorded as [`Hdf5Hazard`]s, never resolved.
//!
//! Only metadata is read here: shapes, dtypes, attributes and layout messages, never tensor data.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5_reader::error::Error as H5Error;
use hdf5_reader::messages::HdfMessage;
use hdf5_reader::messages::layout::DataLayout;
use hdf5_reader::messages::link::LinkTarget;
use hdf5_reader::object_header::ObjectHeader;
use hdf5_reader::{
    Attribute, ByteOrder, Datatype, Hdf5File, OpenOptions, Storage, StorageBuffer, StringPadding,
    StringSize, VarLenKind,
};

use super::header::Lean;
use super::source::SourceSlice;
use crate::error::{Error, KerasProblem, LimitExceeded, Result};
use crate::limits::Limits;

/// The HDF5 signature, at byte 0 (Keras never writes a user block).
pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Something in the file that points outside it or aliases another object. Recorded, never
/// followed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hdf5Hazard {
    /// A soft link (a path inside the same file).
    ///
    /// The link at `path` names `target`.
    #[allow(missing_docs)] // the fields are described above
    SoftLink { path: String, target: String },
    /// An external link to an object in another file.
    ExternalLink {
        /// Where the link is.
        path: String,
        /// The other file, as the link names it.
        file: String,
        /// The object path inside the other file.
        target: String,
    },
    /// A dataset whose raw data lives in other files (HDF5 external storage).
    ///
    /// The dataset at `path` lists these `files` for its data.
    #[allow(missing_docs)] // the fields are described above
    ExternalStorage { path: String, files: Vec<String> },
    /// A virtual dataset (data mapped from other datasets or files).
    ///
    /// `path` is the dataset.
    #[allow(missing_docs)] // the fields are described above
    VirtualDataset { path: String },
    /// An object reached by a second path (hard link or soft link to an object already seen;
    /// a cycle when it is an ancestor).
    ///
    /// The object at `path` was already reached at `first_seen_at`.
    #[allow(missing_docs)] // the fields are described above
    Alias { path: String, first_seen_at: String },
}

/// What the file declares about one dataset, read from its object header only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    /// Path from the root, without a leading `/`.
    pub path: String,
    /// The declared dimensions, outermost first (empty for a scalar).
    pub shape: Vec<u64>,
    /// NumPy-style dtype name (`float32`, `int8`, `bfloat16`, `|S10`...).
    pub dtype: String,
    /// Bytes the dataset occupies in the file, when the layout says so without reading data
    /// (contiguous and compact layouts; `None` for chunked ones).
    pub stored_bytes: Option<u64>,
    /// Where the raw data is, for the opt-in data checks (`check --deep`).
    pub location: DataLocation,
}

/// Where a dataset's raw bytes are, as offsets in the file that holds the container (a
/// `.keras` member's offset included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataLocation {
    /// Not known (no layout read).
    #[default]
    Unknown,
    /// One block of the file.
    ///
    /// `size` bytes from byte `offset` of the file.
    #[allow(missing_docs)] // the fields are described above
    Contiguous { offset: u64, size: u64 },
    /// Inside the object header.
    Compact(Vec<u8>),
    /// Split in chunks (possibly filtered): not read by the data checks.
    Chunked,
    /// Never written (reads as the fill value).
    Unwritten,
}

/// An open HDF5 container.
pub struct H5File {
    file: Hdf5File,
    limits: Limits,
    bytes_read: Arc<AtomicU64>,
    /// File offset that HDF5 addresses count from.
    base_offset: u64,
    /// Global heap collections indexed for the lean attribute reads.
    heaps: std::cell::RefCell<super::gheap::GlobalHeaps>,
}

/// The bytes of the container as `hdf5-reader` sees them, counting every byte it asks for, so
/// that "metadata only" is measured rather than assumed.
struct CountingStorage {
    bytes: Bytes,
    served: Arc<AtomicU64>,
}

/// Where the bytes come from: shared from memory without a copy, or read by ranges.
enum Bytes {
    Memory {
        bytes: Arc<Vec<u8>>,
        start: usize,
        len: usize,
    },
    Ranged(BlockCache),
}

/// A [`SourceSlice`] read by positioned reads through a small cache of aligned blocks: the
/// reader comes back again and again to the same headers, heaps and tree nodes, and the
/// metadata of a Keras file lies in small islands between its tensors.
struct BlockCache {
    slice: SourceSlice,
    blocks: std::sync::Mutex<crate::Map<u64, Arc<Vec<u8>>>>,
}

/// Block size, and how many blocks are kept (256 × 4 KiB: at most 1 MiB a file).
const CACHE_BLOCK: u64 = 4096;
const CACHE_BLOCKS: usize = 256;

impl BlockCache {
    fn new(slice: SourceSlice) -> BlockCache {
        BlockCache {
            slice,
            blocks: Default::default(),
        }
    }

    fn block(&self, index: u64) -> std::io::Result<Arc<Vec<u8>>> {
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(block) = blocks.get(&index) {
            return Ok(block.clone());
        }
        let start = index * CACHE_BLOCK;
        let len = CACHE_BLOCK.min(self.slice.len() - start) as usize;
        let block = Arc::new(self.slice.read_at(start, len)?.into_owned());
        if blocks.len() >= CACHE_BLOCKS {
            blocks.clear();
        }
        blocks.insert(index, block.clone());
        Ok(block)
    }

    /// `len` bytes at `offset`, inside the slice (checked by `read_range`).
    fn read(&self, offset: u64, len: usize) -> std::io::Result<StorageBuffer> {
        let end = offset + len as u64;
        let (first, last) = (offset / CACHE_BLOCK, end.saturating_sub(1) / CACHE_BLOCK);
        if len == 0 || last - first > 1 {
            // Large reads (a whole heap segment, a long header) go straight to the file.
            return Ok(StorageBuffer::from_vec(
                self.slice.read_at(offset, len)?.into_owned(),
            ));
        }
        let block = self.block(first)?;
        let at = (offset - first * CACHE_BLOCK) as usize;
        if first == last {
            return StorageBuffer::from_shared_owner(block, at, len).map_err(std::io::Error::other);
        }
        let mut bytes = Vec::with_capacity(len);
        bytes.extend_from_slice(&block[at..]);
        let next = self.block(last)?;
        bytes.extend_from_slice(&next[..len - bytes.len()]);
        Ok(StorageBuffer::from_vec(bytes))
    }
}

impl Storage for CountingStorage {
    fn len(&self) -> u64 {
        match &self.bytes {
            Bytes::Memory { len, .. } => *len as u64,
            Bytes::Ranged(cache) => cache.slice.len(),
        }
    }

    fn read_range(&self, offset: u64, len: usize) -> hdf5_reader::error::Result<StorageBuffer> {
        if offset
            .checked_add(len as u64)
            .is_none_or(|end| end > self.len())
        {
            return Err(H5Error::UnexpectedEof {
                offset,
                needed: len as u64,
                available: self.len().saturating_sub(offset),
            });
        }
        // In range: `offset` fits in the slice, whose length fits in memory when in memory.
        let buffer = match &self.bytes {
            Bytes::Memory { bytes, start, .. } => {
                StorageBuffer::from_shared_owner(bytes.clone(), start + offset as usize, len)?
            }
            Bytes::Ranged(cache) => cache.read(offset, len)?,
        };
        self.served.fetch_add(len as u64, Ordering::Relaxed);
        Ok(buffer)
    }
}

impl H5File {
    /// Opens HDF5 bytes in place (no copy).
    pub fn open(bytes: SourceSlice, limits: &Limits) -> Result<H5File> {
        let options = OpenOptions {
            // Metadata only: no chunk cache needed, and external resolvers stay `None`.
            chunk_cache_bytes: 0,
            chunk_cache_slots: 1,
            max_object_header_bytes: limits.max_object_header_bytes,
            max_read_bytes: 64 << 20,
            ..OpenOptions::default()
        };
        let bytes_read = Arc::new(AtomicU64::new(0));
        let slice_offset = bytes.offset();
        let storage = CountingStorage {
            bytes: match bytes.in_memory() {
                Some((bytes, start, len)) => Bytes::Memory { bytes, start, len },
                None => Bytes::Ranged(BlockCache::new(bytes)),
            },
            served: bytes_read.clone(),
        };
        let file = guard(|| Hdf5File::from_storage_with_options(Arc::new(storage), options))
            .map_err(|e| Error::hdf5("superblock", e))?;
        let base_offset = slice_offset.saturating_add(file.superblock().base_address);
        Ok(H5File {
            file,
            limits: *limits,
            bytes_read,
            base_offset,
            heaps: Default::default(),
        })
    }

    /// Bytes of the container read so far (overlapping reads counted each time).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// The limits this container is read under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The root group.
    pub fn root(&self) -> Result<H5Group> {
        let group = guard(|| self.file.root_group()).map_err(|e| Error::hdf5("/", e))?;
        Ok(H5Group::new(group, String::new(), self))
    }

    /// The group at `path` (`a/b/c`), or `None` when any component is missing or not a group.
    pub fn group(&self, path: &str) -> Result<Option<H5Group>> {
        let mut current = self.root()?;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            match current.child_group(part)? {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// The dataset at `path`, or `None` when it does not exist.
    pub fn dataset(&self, path: &str) -> Result<Option<DatasetInfo>> {
        let (parent, name) = match path.rsplit_once('/') {
            Some((parent, name)) => (parent, name),
            None => ("", path),
        };
        let Some(group) = self.group(parent)? else {
            return Ok(None);
        };
        group.dataset(name, &self.limits)
    }

    /// Every group and dataset below `start`, depth first (at each level the groups, then the
    /// datasets, in stored order), with the hazards met.
    /// Bounded by the object-count and depth limits; an object seen twice is visited once.
    ///
    /// Members are listed from each group's own header (symbol table nodes or link messages)
    /// and each member's header is parsed once; the reader's dataset objects are never built,
    /// so a dataset costs one header parse. Soft links are recorded, never followed. Groups
    /// whose links sit in a fractal heap (dense storage) are listed by the reader.
    pub fn walk(&self, start: &str) -> Result<Walk> {
        let mut walk = Walk::default();
        let Some(group) = self.group(start)? else {
            return Ok(walk);
        };
        let address = group.inner.address();
        let mut seen: BTreeMap<u64, String> = BTreeMap::new();
        seen.insert(address, group.path.clone());
        let header = Header::Full(self.header(address, &group.path)?);
        self.walk_group(&group.path, &header, 0, &mut seen, &mut walk)?;
        alias_soft_links(&seen, &mut walk.hazards);
        Ok(walk)
    }

    fn header(&self, address: u64, path: &str) -> Result<Arc<ObjectHeader>> {
        self.parse_header(address)
            .map_err(|e| Error::hdf5(display_path(path), e))
    }

    /// The file's address and length sizes (superblock fields).
    fn sizes(&self) -> super::symtab::Sizes {
        let superblock = self.file.superblock();
        super::symtab::Sizes {
            offset: superblock.offset_size,
            length: superblock.length_size,
        }
    }

    /// An object header, parsed once and cached by the reader.
    fn parse_header(&self, address: u64) -> hdf5_reader::error::Result<Arc<ObjectHeader>> {
        guard(|| self.file.get_or_parse_header(address))
    }

    /// A string-list attribute that Keras may split into `name0`, `name1`, ... (see
    /// [`H5Group::chunked_strings_attribute`]) of the object at `address`, read from a plain
    /// version-1 header without the reader (fixed-length strings, or variable-length ones
    /// resolved in the global heap): `Some(None)` when absent, `None` when the reader must be
    /// asked (any other kind of header or string).
    pub fn lean_chunked_strings_attribute(
        &self,
        address: u64,
        name: &str,
    ) -> Option<Option<Vec<String>>> {
        let sizes = self.sizes();
        let messages = self.lean(address, super::header::attributes_v1)?;
        if messages.len() as u64 > self.limits.max_attributes {
            return None;
        }
        let strings = |wanted: &str| -> Option<Option<Vec<String>>> {
            let Some(message) = messages.iter().find(|m| m.name == wanted) else {
                return Some(None);
            };
            if let Some(padding) = vlen_string_padding(&message.datatype) {
                return self.lean_vlen_strings(message, padding, sizes).map(Some);
            }
            if matches!(message.datatype, Datatype::VarLen { .. }) {
                return None;
            }
            let attribute = Attribute::from_message(message.clone());
            guard(|| decode_strings(&attribute)).ok().map(Some)
        };
        if let Some(whole) = strings(name)? {
            return Some(Some(whole));
        }
        let mut all: Option<Vec<String>> = None;
        for index in 0usize.. {
            match strings(&format!("{name}{index}"))? {
                Some(part) => all.get_or_insert_with(Vec::new).extend(part),
                None => break,
            }
        }
        Some(all)
    }

    /// The strings of a variable-length string attribute, each resolved in its global heap
    /// collection; `None` when any does not resolve cleanly (the reader is then asked).
    fn lean_vlen_strings(
        &self,
        message: &hdf5_reader::messages::attribute::AttributeMessage,
        padding: StringPadding,
        sizes: super::symtab::Sizes,
    ) -> Option<Vec<String>> {
        let count = message.dataspace.num_elements().ok()?;
        let reference_len = 8 + usize::from(sizes.offset);
        let count = usize::try_from(count).ok()?;
        if message.raw_data.len() < count.checked_mul(reference_len)? {
            return None;
        }
        let mut heaps = self.heaps.try_borrow_mut().ok()?;
        message
            .raw_data
            .chunks_exact(reference_len)
            .take(count)
            .map(|reference| {
                let bytes = heaps.object(self.file.storage(), sizes, reference)?;
                std::str::from_utf8(unpad(bytes, padding))
                    .ok()
                    .map(str::to_string)
            })
            .collect()
    }

    /// An object's header for the walk: the lean reading of a plain version-1 header, or else
    /// the reader's.
    fn object(&self, address: u64) -> hdf5_reader::error::Result<Header> {
        match self.lean(address, super::header::read_v1) {
            Some(lean) => Ok(Header::Lean(lean)),
            None => self.parse_header(address).map(Header::Full),
        }
    }

    /// One of [`super::header`]'s lean readings of the header at `address`, guarded like the
    /// reader's calls (it uses the reader's message parsers); `None` when the reader must
    /// decide.
    fn lean<T>(
        &self,
        address: u64,
        read: fn(&dyn Storage, super::symtab::Sizes, u64, usize) -> Option<T>,
    ) -> Option<T> {
        let (storage, sizes) = (self.file.storage(), self.sizes());
        let limit = self.limits.max_object_header_bytes;
        guard(|| Ok(read(storage, sizes, address, limit)))
            .ok()
            .flatten()
    }

    fn walk_group(
        &self,
        path: &str,
        header: &Header,
        depth: usize,
        seen: &mut BTreeMap<u64, String>,
        walk: &mut Walk,
    ) -> Result<()> {
        if depth >= self.limits.max_hdf5_depth {
            return Err(Error::limit(LimitExceeded::Hdf5Depth {
                limit: self.limits.max_hdf5_depth,
                group: display_path(path).to_string(),
            }));
        }
        let members = self.members(path, header, walk)?;
        if seen.len().saturating_add(members.len()) > self.limits.max_hdf5_objects {
            return Err(Error::limit(LimitExceeded::Hdf5Objects {
                limit: self.limits.max_hdf5_objects,
            }));
        }
        let mut groups = Vec::new();
        let mut datasets = Vec::new();
        for (name, address) in members {
            let child_path = join(path, &name);
            match self.object(address) {
                Ok(child) => match child.kind() {
                    ObjectKind::Group => groups.push((child_path, address, child)),
                    ObjectKind::Dataset => datasets.push((child_path, address, child)),
                    ObjectKind::Other => {}
                },
                Err(e) if is_virtual_layout(&e) => {
                    walk.hazards
                        .push(Hdf5Hazard::VirtualDataset { path: child_path });
                }
                Err(e) => return Err(Error::hdf5(child_path, e)),
            }
        }
        for (child_path, address, child) in groups {
            if !self.visit(address, &child_path, seen, walk)? {
                continue;
            }
            walk.groups.push(child_path.clone());
            walk.group_addresses.push(address);
            self.walk_group(&child_path, &child, depth + 1, seen, walk)?;
        }
        for (child_path, address, child) in datasets {
            if !self.visit(address, &child_path, seen, walk)? {
                continue;
            }
            let info = self.describe(&child, child_path, walk)?;
            walk.datasets.push(info);
        }
        Ok(())
    }

    /// A group's hard-linked members as (name, object address), in stored order. Soft and
    /// external links are recorded as hazards and left out.
    fn members(&self, path: &str, header: &Header, walk: &mut Walk) -> Result<Vec<(String, u64)>> {
        let mut members = Vec::new();
        let header = match header {
            Header::Lean(Lean::Group { btree, heap }) => {
                self.old_style_members(path, *btree, *heap, &mut members, walk)?;
                return Ok(members);
            }
            Header::Lean(_) => return Ok(members),
            Header::Full(header) => header,
        };
        let mut dense = false;
        for message in &header.messages {
            match message {
                HdfMessage::Link(link) => {
                    let link_path = join(path, &link.name);
                    match &link.target {
                        LinkTarget::Hard { address } => members.push((link.name.clone(), *address)),
                        LinkTarget::Soft { path: target } => {
                            walk.hazards.push(Hdf5Hazard::SoftLink {
                                path: link_path,
                                target: target.clone(),
                            })
                        }
                        LinkTarget::External {
                            filename,
                            path: target,
                        } => walk.hazards.push(Hdf5Hazard::ExternalLink {
                            path: link_path,
                            file: filename.clone(),
                            target: target.clone(),
                        }),
                    }
                }
                HdfMessage::SymbolTable(table) => self.old_style_members(
                    path,
                    table.btree_address,
                    table.heap_address,
                    &mut members,
                    walk,
                )?,
                HdfMessage::LinkInfo(info) if !is_undefined(info.fractal_heap_address) => {
                    dense = true
                }
                _ => {}
            }
        }
        if dense {
            members = self.reader_members(path, walk)?;
        }
        Ok(members)
    }

    /// Members of a group as the reader lists them: groups whose links are kept in a fractal
    /// heap (dense storage), and symbol tables that do not read cleanly.
    fn reader_members(&self, path: &str, walk: &mut Walk) -> Result<Vec<(String, u64)>> {
        let Some(group) = self.group(path)? else {
            return Ok(Vec::new());
        };
        let (groups, datasets) = match guard(|| group.inner.members()) {
            Ok(members) => members,
            Err(e) => self
                .members_one_by_one(&group, walk)
                .ok_or_else(|| Error::hdf5(display_path(path), e))?,
        };
        Ok(groups
            .iter()
            .map(|g| (g.name().to_string(), g.address()))
            .chain(datasets.iter().map(|d| (d.name().to_string(), d.address())))
            .collect())
    }

    /// When listing a group fails, opens its members one at a time: a virtual dataset (which
    /// the reader does not open, and kerascope never follows) is recorded and the rest read.
    /// `None` when some member fails for another reason.
    #[allow(clippy::type_complexity)]
    fn members_one_by_one(
        &self,
        group: &H5Group,
        walk: &mut Walk,
    ) -> Option<(Vec<hdf5_reader::group::Group>, Vec<hdf5_reader::Dataset>)> {
        let names = guard(|| group.inner.member_names()).ok()?;
        let mut groups = Vec::new();
        let mut datasets = Vec::new();
        for name in names
            .0
            .into_iter()
            .chain(names.1)
            .take(self.limits.max_hdf5_objects)
        {
            match guard(|| group.inner.dataset(&name)) {
                Ok(dataset) => datasets.push(dataset),
                Err(e) if is_virtual_layout(&e) => walk.hazards.push(Hdf5Hazard::VirtualDataset {
                    path: join(&group.path, &name),
                }),
                Err(_) => groups.push(guard(|| group.inner.group(&name)).ok()?),
            }
        }
        Some((groups, datasets))
    }

    /// Marks an object seen; false (and an alias hazard) when it was seen before.
    fn visit(
        &self,
        address: u64,
        path: &str,
        seen: &mut BTreeMap<u64, String>,
        walk: &mut Walk,
    ) -> Result<bool> {
        if let Some(first) = seen.get(&address) {
            walk.hazards.push(Hdf5Hazard::Alias {
                path: path.to_string(),
                first_seen_at: first.clone(),
            });
            return Ok(false);
        }
        if seen.len() >= self.limits.max_hdf5_objects {
            return Err(Error::limit(LimitExceeded::Hdf5Objects {
                limit: self.limits.max_hdf5_objects,
            }));
        }
        seen.insert(address, path.to_string());
        Ok(true)
    }

    /// A dataset described from its object header alone.
    fn describe(&self, header: &Header, path: String, walk: &mut Walk) -> Result<DatasetInfo> {
        let header = match header {
            Header::Full(header) => header,
            Header::Lean(Lean::Dataset(lean)) => {
                return self.dataset_info(
                    path,
                    &lean.dims,
                    &lean.datatype,
                    lean.dtype_attribute,
                    Some(&lean.layout),
                );
            }
            Header::Lean(_) => {
                return Err(Error::hdf5(
                    &path,
                    H5Error::InvalidData("not a dataset".into()),
                ));
            }
        };
        let mut dims = None;
        let mut datatype = None;
        let mut dtype_attribute = false;
        for message in &header.messages {
            match message {
                HdfMessage::Dataspace(space) => dims = Some(&space.dims),
                HdfMessage::Datatype(message) => datatype = Some(&message.datatype),
                HdfMessage::Attribute(attribute) if attribute.name == "dtype" => {
                    dtype_attribute = true
                }
                HdfMessage::ExternalFiles(external) => {
                    walk.hazards.push(Hdf5Hazard::ExternalStorage {
                        path: path.clone(),
                        files: self.external_file_names(external),
                    })
                }
                _ => {}
            }
        }
        let missing = |what: &str| {
            Error::hdf5(
                &path,
                H5Error::InvalidData(format!("dataset missing {what}")),
            )
        };
        let dims = dims.ok_or_else(|| missing("dataspace"))?;
        let datatype = datatype.ok_or_else(|| missing("datatype"))?;
        let layout = header.messages.iter().find_map(|m| match m {
            HdfMessage::DataLayout(layout) => Some(&layout.layout),
            _ => None,
        });
        if layout.is_none() {
            return Err(missing("data layout"));
        }
        self.dataset_info(path, dims, datatype, dtype_attribute, layout)
    }

    fn dataset_info(
        &self,
        path: String,
        dims: &[u64],
        datatype: &Datatype,
        dtype_attribute: bool,
        layout: Option<&DataLayout>,
    ) -> Result<DatasetInfo> {
        check_rank(&path, dims.len(), &self.limits)?;
        // Keras 3 marks bfloat16 weights (stored as a 2-byte type) with a `dtype` attribute;
        // only then are the dataset's attributes decoded, by the reader.
        let dtype = if is_two_bytes(datatype) && dtype_attribute {
            match self.dataset(&path)? {
                Some(info) => info.dtype,
                None => dtype_name(datatype),
            }
        } else {
            dtype_name(datatype)
        };
        Ok(DatasetInfo {
            path,
            shape: dims.to_vec(),
            dtype,
            stored_bytes: layout.and_then(stored_bytes),
            location: self.location(layout),
        })
    }

    fn location(&self, layout: Option<&DataLayout>) -> DataLocation {
        match layout {
            Some(DataLayout::Compact { data }) => DataLocation::Compact(data.clone()),
            Some(DataLayout::Contiguous { address, .. }) if *address == u64::MAX => {
                DataLocation::Unwritten
            }
            Some(DataLayout::Contiguous { address, size }) => {
                match self.base_offset.checked_add(*address) {
                    Some(offset) => DataLocation::Contiguous {
                        offset,
                        size: *size,
                    },
                    None => DataLocation::Unknown,
                }
            }
            Some(DataLayout::Chunked { .. }) => DataLocation::Chunked,
            None => DataLocation::Unknown,
        }
    }

    /// The file names an external-storage message lists (read from its local heap, never
    /// opened). Unreadable names are reported as such.
    fn external_file_names(
        &self,
        external: &hdf5_reader::messages::external_files::ExternalFilesMessage,
    ) -> Vec<String> {
        let storage = self.file.storage();
        let superblock = self.file.superblock();
        let heap = guard(|| {
            hdf5_reader::local_heap::LocalHeap::parse_at_storage(
                storage,
                external.heap_address,
                superblock.offset_size,
                superblock.length_size,
            )
        });
        external
            .slots
            .iter()
            .map(|slot| match &heap {
                Ok(heap) => guard(|| heap.get_string_storage(slot.name_offset, storage))
                    .unwrap_or_else(|_| "<unreadable name>".to_string()),
                Err(_) => "<unreadable name>".to_string(),
            })
            .collect()
    }

    /// The members of an old-style (symbol table) group, read by [`super::symtab`]: soft
    /// links (which the reader would resolve silently) recorded as hazards, the rest listed
    /// with their object addresses. A table that does not read cleanly is listed by the
    /// reader instead, which reports what is wrong.
    fn old_style_members(
        &self,
        path: &str,
        btree: u64,
        heap: u64,
        members: &mut Vec<(String, u64)>,
        walk: &mut Walk,
    ) -> Result<()> {
        let entries = super::symtab::entries(
            self.file.storage(),
            self.sizes(),
            btree,
            heap,
            self.limits.max_hdf5_objects,
        );
        let Some(entries) = entries else {
            // Not a clean table: the reader lists it, or says what is wrong.
            members.extend(self.reader_members(path, walk)?);
            return Ok(());
        };
        for entry in entries {
            match entry.soft_target {
                Some(target) => walk.hazards.push(Hdf5Hazard::SoftLink {
                    path: join(path, &entry.name),
                    target,
                }),
                None => members.push((entry.name, entry.address)),
            }
        }
        Ok(())
    }
}

/// An object's header as the walk reads it.
enum Header {
    /// The lean reading of a plain version-1 header.
    Lean(Lean),
    /// The reader's full decoding.
    Full(Arc<ObjectHeader>),
}

impl Header {
    fn kind(&self) -> ObjectKind {
        match self {
            Header::Lean(Lean::Group { .. }) => ObjectKind::Group,
            Header::Lean(Lean::Dataset(_)) => ObjectKind::Dataset,
            Header::Lean(Lean::Other) => ObjectKind::Other,
            Header::Full(header) => classify(header),
        }
    }
}

/// A soft link whose target path names an object the walk met makes that object reachable
/// by a second path, which is reported as an alias (the link itself is never followed).
fn alias_soft_links(seen: &BTreeMap<u64, String>, hazards: &mut Vec<Hdf5Hazard>) {
    let links: Vec<(String, String)> = hazards
        .iter()
        .filter_map(|h| match h {
            Hdf5Hazard::SoftLink { path, target } => Some((path.clone(), target.clone())),
            _ => None,
        })
        .collect();
    if links.is_empty() {
        return;
    }
    let paths: std::collections::HashSet<&str> = seen.values().map(String::as_str).collect();
    for (path, target) in links {
        let target = match target.strip_prefix('/') {
            Some(absolute) => absolute.trim_end_matches('/').to_string(),
            None => {
                let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
                join(parent, target.trim_end_matches('/'))
            }
        };
        if paths.contains(target.as_str()) {
            hazards.push(Hdf5Hazard::Alias {
                path,
                first_seen_at: target,
            });
        }
    }
}

/// Runs one call into `hdf5-reader`, turning a panic inside it into an error. The reader is
/// pure Rust, so a panic there is one of its bounds or overflow checks failing on malformed
/// data (the fuzzer found one: a v1/v2 layout message whose dimensions' product overflows
/// `u64`, which panics where overflow checks are on); the file is then reported as
/// unreadable, and the process and the rest of a scan go on. Only the reader's calls are
/// guarded, so a panic in kerascope's own code stays a bug the fuzzers report.
fn guard<T>(call: impl FnOnce() -> hdf5_reader::error::Result<T>) -> hdf5_reader::error::Result<T> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        Err(H5Error::InvalidData(format!(
            "malformed data stopped the HDF5 reader ({reason})"
        )))
    })
}

/// What an object header describes, by the messages it holds (as the reader classifies it).
#[derive(Debug, PartialEq, Eq)]
enum ObjectKind {
    Group,
    Dataset,
    Other,
}

fn classify(header: &ObjectHeader) -> ObjectKind {
    let mut dataset = false;
    let mut attributes = false;
    for message in &header.messages {
        match message {
            HdfMessage::SymbolTable(_)
            | HdfMessage::Link(_)
            | HdfMessage::LinkInfo(_)
            | HdfMessage::GroupInfo(_) => return ObjectKind::Group,
            HdfMessage::Attribute(_) | HdfMessage::AttributeInfo(_) => attributes = true,
            HdfMessage::Dataspace(_)
            | HdfMessage::DataLayout(_)
            | HdfMessage::FillValue(_)
            | HdfMessage::FilterPipeline(_) => dataset = true,
            _ => {}
        }
    }
    if dataset {
        ObjectKind::Dataset
    } else if attributes {
        ObjectKind::Group
    } else {
        ObjectKind::Other
    }
}

/// The padding of a variable-length string type (either way HDF5 declares one), `None` for
/// other types.
fn vlen_string_padding(datatype: &Datatype) -> Option<StringPadding> {
    match datatype {
        Datatype::VarLen {
            base,
            kind: VarLenKind::String,
            padding,
            ..
        } if base.is_vlen_string_base() => Some(*padding),
        Datatype::String {
            size: StringSize::Variable,
            padding,
            ..
        } => Some(*padding),
        _ => None,
    }
}

/// A stored string without its padding, as HDF5 defines each kind (the reader's rule).
fn unpad(bytes: &[u8], padding: StringPadding) -> &[u8] {
    let end = match padding {
        StringPadding::NullTerminate => bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()),
        StringPadding::NullPad => bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1),
        StringPadding::SpacePad => bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1),
    };
    &bytes[..end]
}

/// HDF5's undefined address (all bits set, whatever the offset size the file uses, as the
/// reader widens it).
fn is_undefined(address: u64) -> bool {
    address == u64::MAX
}

fn is_two_bytes(datatype: &Datatype) -> bool {
    matches!(
        datatype,
        Datatype::FloatingPoint { size: 2, .. }
            | Datatype::FixedPoint { size: 2, .. }
            | Datatype::Opaque { size: 2, .. }
    )
}

fn check_rank(path: &str, rank: usize, limits: &Limits) -> Result<()> {
    if rank > limits.max_rank {
        return Err(Error::limit(LimitExceeded::Rank {
            dataset: path.to_string(),
            rank,
            limit: limits.max_rank,
        }));
    }
    Ok(())
}

/// Layout class 3 is a virtual dataset, which `hdf5-reader` does not open (and kerascope
/// never resolves); the error may come wrapped in context.
fn is_virtual_layout(error: &H5Error) -> bool {
    match error {
        H5Error::UnsupportedLayoutClass(3) => true,
        H5Error::Context { source, .. } => is_virtual_layout(source),
        _ => false,
    }
}

/// Everything found below a group.
#[derive(Debug, Default)]
pub struct Walk {
    /// Paths of every group below the start (without a leading `/`), in walk order.
    pub groups: Vec<String>,
    /// The object address of each of `groups`, in the same order.
    pub group_addresses: Vec<u64>,
    /// Every dataset below the start, in walk order.
    pub datasets: Vec<DatasetInfo>,
    /// Links, external storage and aliases met on the way (recorded, never followed).
    pub hazards: Vec<Hdf5Hazard>,
}

/// A group with its path and (lazily) its decoded attributes.
pub struct H5Group {
    inner: hdf5_reader::group::Group,
    /// Path from the root, without a leading `/` (empty for the root).
    pub path: String,
    attributes: OnceCell<Vec<Attribute>>,
    file: Hdf5File,
    max_attributes: u64,
}

impl H5Group {
    fn new(inner: hdf5_reader::group::Group, path: String, file: &H5File) -> H5Group {
        H5Group {
            inner,
            path,
            attributes: OnceCell::new(),
            file: file.file.clone(),
            max_attributes: file.limits.max_attributes,
        }
    }

    /// Refuses objects with more attributes than the limit before decoding any: attributes
    /// kept in a fractal heap cost the reader time per attribute that grows with their number.
    fn check_attribute_count(&self) -> Result<()> {
        let Ok(header) = guard(|| self.file.get_or_parse_header(self.inner.address())) else {
            return Ok(()); // reading the attributes reports the damage
        };
        let compact = header
            .messages
            .iter()
            .filter(|m| matches!(m, HdfMessage::Attribute(_)))
            .count() as u64;
        let mut total = compact;
        for message in &header.messages {
            if let HdfMessage::AttributeInfo(info) = message
                && let Ok(heap) = guard(|| {
                    hdf5_reader::fractal_heap::FractalHeap::parse_at_storage(
                        self.file.storage(),
                        info.fractal_heap_address,
                        self.inner.offset_size(),
                        self.inner.length_size(),
                    )
                })
            {
                total = total
                    .saturating_add(heap.managed_objects_count)
                    .saturating_add(heap.huge_objects_count)
                    .saturating_add(heap.tiny_objects_count);
            }
        }
        if total > self.max_attributes {
            return Err(Error::limit(LimitExceeded::Attributes {
                object: display_path(&self.path).to_string(),
                count: total,
                limit: self.max_attributes,
            }));
        }
        Ok(())
    }

    fn attributes(&self) -> Result<&[Attribute]> {
        if let Some(attrs) = self.attributes.get() {
            return Ok(attrs);
        }
        self.check_attribute_count()?;
        let attrs = guard(|| self.inner.attributes())
            .map_err(|e| Error::hdf5(format!("{} (attributes)", display_path(&self.path)), e))?;
        Ok(self.attributes.get_or_init(|| attrs))
    }

    fn find_attribute(&self, name: &str) -> Result<Option<&Attribute>> {
        Ok(self.attributes()?.iter().find(|a| a.name == name))
    }

    /// Whether the object has an attribute of this name.
    pub fn has_attribute(&self, name: &str) -> Result<bool> {
        Ok(self.find_attribute(name)?.is_some())
    }

    /// Names of the attributes, in stored order.
    pub fn attribute_names(&self) -> Result<Vec<String>> {
        Ok(self.attributes()?.iter().map(|a| a.name.clone()).collect())
    }

    /// A string attribute in any of the forms Keras writers produced: fixed or variable
    /// length, scalar or one-element array. `None` when absent.
    pub fn string_attribute(&self, name: &str) -> Result<Option<String>> {
        let Some(strings) = self.strings_attribute(name)? else {
            return Ok(None);
        };
        match <[String; 1]>::try_from(strings) {
            Ok([one]) => Ok(Some(one)),
            Err(strings) => Err(Error::keras(KerasProblem::NotOneString {
                object: display_path(&self.path).to_string(),
                attribute: name.to_string(),
                count: strings.len(),
            })),
        }
    }

    /// The bytes of a one-string attribute, borrowed where the attribute holds them as they
    /// are (fixed-length strings, or variable-length ones the reader already decoded): the
    /// model config is parsed from them without another copy and UTF-8 pass. `None` when
    /// absent.
    pub fn string_attribute_bytes(&self, name: &str) -> Result<Option<Cow<'_, [u8]>>> {
        let Some(attr) = self.find_attribute(name)? else {
            return Ok(None);
        };
        let scalar = attr.shape.is_empty() || attr.shape == [1];
        if scalar {
            if let Some([one]) = attr.decoded_strings.as_deref() {
                return Ok(Some(Cow::Borrowed(one.as_bytes())));
            }
            if let Datatype::String {
                size: StringSize::Fixed(len),
                padding,
                ..
            } = &attr.datatype
            {
                let len = usize::try_from(*len).unwrap_or(usize::MAX);
                let bytes = &attr.raw_data[..len.min(attr.raw_data.len())];
                return Ok(Some(Cow::Borrowed(unpad(bytes, *padding))));
            }
        }
        Ok(self
            .string_attribute(name)?
            .map(|s| Cow::Owned(s.into_bytes())))
    }

    /// A string-array attribute (`layer_names`, `weight_names`). An empty numeric array — how
    /// Keras writes the names of a layer with no weights — reads as no strings.
    pub fn strings_attribute(&self, name: &str) -> Result<Option<Vec<String>>> {
        let Some(attr) = self.find_attribute(name)? else {
            return Ok(None);
        };
        guard(|| decode_strings(attr))
            .map(Some)
            .map_err(|e| Error::hdf5(format!("{}@{name}", display_path(&self.path)), e))
    }

    /// A name list that Keras may have split into `name0`, `name1`, ... when it did not fit
    /// in one object header (FORMATS.md §2.4). `None` when neither form is present.
    pub fn chunked_strings_attribute(&self, name: &str) -> Result<Option<Vec<String>>> {
        if let Some(whole) = self.strings_attribute(name)? {
            return Ok(Some(whole));
        }
        let mut all: Option<Vec<String>> = None;
        for index in 0usize.. {
            match self.strings_attribute(&format!("{name}{index}"))? {
                Some(part) => all.get_or_insert_with(Vec::new).extend(part),
                None => break,
            }
        }
        Ok(all)
    }

    /// A numeric scalar attribute read as an integer (e.g. Keras 0.x `nb_layers`).
    pub fn integer_attribute(&self, name: &str) -> Result<Option<i64>> {
        let Some(attr) = self.find_attribute(name)? else {
            return Ok(None);
        };
        let value = guard(|| attr.read_as_f64())
            .map_err(|e| Error::hdf5(format!("{}@{name}", display_path(&self.path)), e))?;
        Ok(Some(value as i64))
    }

    /// A child group, `None` when there is no member of that name or it is not a group.
    pub fn child_group(&self, name: &str) -> Result<Option<H5Group>> {
        match guard(|| self.inner.group(name)) {
            Ok(group) => Ok(Some(H5Group {
                inner: group,
                path: join(&self.path, name),
                attributes: OnceCell::new(),
                file: self.file.clone(),
                max_attributes: self.max_attributes,
            })),
            Err(H5Error::GroupNotFound(_)) => Ok(None),
            Err(e) => Err(Error::hdf5(join(&self.path, name), e)),
        }
    }

    /// Every child group by name, listed in one pass (a lookup by name lists the group's
    /// members each time).
    pub fn child_groups(&self) -> Result<crate::Map<String, H5Group>> {
        let groups =
            guard(|| self.inner.groups()).map_err(|e| Error::hdf5(display_path(&self.path), e))?;
        Ok(groups
            .into_iter()
            .map(|inner| {
                let name = inner.name().to_string();
                let group = H5Group {
                    path: join(&self.path, &name),
                    inner,
                    attributes: OnceCell::new(),
                    file: self.file.clone(),
                    max_attributes: self.max_attributes,
                };
                (name, group)
            })
            .collect())
    }

    /// A child dataset, `None` when absent.
    pub fn dataset(&self, name: &str, limits: &Limits) -> Result<Option<DatasetInfo>> {
        let path = join(&self.path, name);
        match guard(|| self.inner.dataset(name)) {
            Ok(dataset) => describe_dataset(&dataset, path, limits).map(Some),
            Err(H5Error::DatasetNotFound(_)) => Ok(None),
            Err(e) => Err(Error::hdf5(path, e)),
        }
    }

    /// Names of child groups and datasets, in stored order.
    pub fn member_names(&self) -> Result<(Vec<String>, Vec<String>)> {
        guard(|| self.inner.member_names()).map_err(|e| Error::hdf5(display_path(&self.path), e))
    }
}

fn describe_dataset(
    dataset: &hdf5_reader::Dataset,
    path: String,
    limits: &Limits,
) -> Result<DatasetInfo> {
    check_rank(&path, dataset.shape().len(), limits)?;
    // Keras 3 marks bfloat16 weights (stored as a 2-byte type) with a `dtype` attribute;
    // only 2-byte datasets need their attributes decoded.
    let marked_bfloat16 = is_two_bytes(dataset.dtype())
        && guard(|| Ok(dataset.attributes()))
            .unwrap_or_default()
            .iter()
            .any(|a| {
                a.name == "dtype" && guard(|| decode_strings(a)).is_ok_and(|s| s == ["bfloat16"])
            });
    let dtype = if marked_bfloat16 {
        "bfloat16".to_string()
    } else {
        dtype_name(dataset.dtype())
    };
    Ok(DatasetInfo {
        path,
        shape: dataset.shape().to_vec(),
        dtype,
        stored_bytes: None,
        location: DataLocation::Unknown,
    })
}

fn stored_bytes(layout: &DataLayout) -> Option<u64> {
    match layout {
        DataLayout::Compact { data } => Some(data.len() as u64),
        DataLayout::Contiguous { address, size } => {
            // An undefined address means no data was ever written.
            Some(if *address == u64::MAX { 0 } else { *size })
        }
        DataLayout::Chunked { .. } => None,
    }
}

fn decode_strings(attr: &Attribute) -> hdf5_reader::error::Result<Vec<String>> {
    match &attr.datatype {
        Datatype::String { .. } | Datatype::VarLen { .. } if attr.shape.is_empty() => {
            Ok(vec![attr.read_string()?])
        }
        Datatype::String { .. }
        | Datatype::VarLen {
            kind: VarLenKind::String,
            ..
        } => attr.read_strings(),
        _ if attr.num_elements()? == 0 => Ok(Vec::new()),
        other => Err(H5Error::TypeMismatch {
            expected: "strings".into(),
            actual: format!("{other:?}"),
        }),
    }
}

/// NumPy-style names, as h5py reports them.
pub fn dtype_name(dtype: &Datatype) -> String {
    let order = |o: &ByteOrder| match o {
        ByteOrder::BigEndian => ">",
        _ => "",
    };
    match dtype {
        Datatype::FloatingPoint { size, byte_order } => {
            format!("{}float{}", order(byte_order), u32::from(*size) * 8)
        }
        Datatype::FixedPoint {
            size,
            signed,
            byte_order,
        } => format!(
            "{}{}int{}",
            order(byte_order),
            if *signed { "" } else { "u" },
            u32::from(*size) * 8
        ),
        Datatype::String {
            size: StringSize::Fixed(n),
            ..
        } => format!("|S{n}"),
        Datatype::String { .. } | Datatype::VarLen { .. } => "object".to_string(),
        Datatype::Enum { base, members }
            if members.len() == 2 && matches!(**base, Datatype::FixedPoint { size: 1, .. }) =>
        {
            "bool".to_string()
        }
        Datatype::Bitfield { size, .. } => format!("bitfield{}", u32::from(*size) * 8),
        Datatype::Opaque { size, .. } => format!("|V{size}"),
        Datatype::Compound { .. } => "compound".to_string(),
        Datatype::Array { base, dims } => format!("{}{dims:?}", dtype_name(base)),
        Datatype::Enum { base, .. } => dtype_name(base),
        Datatype::Reference { .. } => "reference".to_string(),
    }
}

/// Element size in bytes of a dtype name produced by [`dtype_name`], for byte-size totals.
pub fn dtype_size(dtype: &str) -> Option<u64> {
    let digits: String = dtype.chars().filter(|c| c.is_ascii_digit()).collect();
    match dtype.trim_start_matches(['>', '<', '|']) {
        "bool" => Some(1),
        "bfloat16" => Some(2),
        d if d.starts_with("float") || d.starts_with("int") || d.starts_with("uint") => {
            digits.parse::<u64>().ok().map(|bits| bits / 8)
        }
        d if d.starts_with('S') => digits.parse().ok(),
        _ => None,
    }
}

pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

fn display_path(path: &str) -> String {
    format!("/{path}")
}
