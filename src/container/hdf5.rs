//! HDF5 access, over the pure-Rust `hdf5-reader`, kept behind this one module so the backend
//! could be swapped. It adds what a reader of untrusted files needs and the crate leaves to us:
//! a visited-object set (hard-link cycles and aliases), depth and object-count limits, and the
//! rule that nothing outside the file is ever followed — external links, external raw storage
//! and virtual datasets are recorded as [`Hdf5Hazard`]s, never resolved.
//!
//! Only metadata is read here: shapes, dtypes, attributes and layout messages, never tensor data.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5_reader::error::Error as H5Error;
use hdf5_reader::messages::HdfMessage;
use hdf5_reader::messages::layout::DataLayout;
use hdf5_reader::messages::link::LinkTarget;
use hdf5_reader::{
    Attribute, ByteOrder, Datatype, Hdf5File, OpenOptions, Storage, StorageBuffer, StringSize,
    VarLenKind,
};

use super::source::SourceSlice;
use crate::error::{Error, Result};
use crate::limits::Limits;

/// The HDF5 signature, at byte 0 (Keras never writes a user block).
pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Something in the file that points outside it or aliases another object. Recorded, never
/// followed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hdf5Hazard {
    /// A soft link (a path inside the same file).
    SoftLink { path: String, target: String },
    /// An external link to an object in another file.
    ExternalLink {
        path: String,
        file: String,
        target: String,
    },
    /// A dataset whose raw data lives in other files (HDF5 external storage).
    ExternalStorage { path: String, files: Vec<String> },
    /// A virtual dataset (data mapped from other datasets or files).
    VirtualDataset { path: String },
    /// An object reached by a second path (hard link or soft link to an object already seen;
    /// a cycle when it is an ancestor).
    Alias { path: String, first_seen_at: String },
}

/// What the file declares about one dataset, read from its object header only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    /// Path from the root, without a leading `/`.
    pub path: String,
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
pub enum DataLocation {
    /// Not known (no layout read).
    #[default]
    Unknown,
    /// One block of the file.
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
}

/// The bytes of the container as `hdf5-reader` sees them, counting every byte it asks for, so
/// that "metadata only" is measured rather than assumed.
struct CountingStorage {
    bytes: Arc<SourceSlice>,
    served: Arc<AtomicU64>,
}

impl Storage for CountingStorage {
    fn len(&self) -> u64 {
        (*self.bytes).as_ref().len() as u64
    }

    fn read_range(&self, offset: u64, len: usize) -> hdf5_reader::error::Result<StorageBuffer> {
        let start = usize::try_from(offset).map_err(|_| H5Error::OffsetOutOfBounds(offset))?;
        let buffer = StorageBuffer::from_shared_owner(self.bytes.clone(), start, len)?;
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
            bytes: Arc::new(bytes),
            served: bytes_read.clone(),
        };
        let file = Hdf5File::from_storage_with_options(Arc::new(storage), options)
            .map_err(|e| Error::hdf5("superblock", e))?;
        let base_offset = slice_offset.saturating_add(file.superblock().base_address);
        Ok(H5File {
            file,
            limits: *limits,
            bytes_read,
            base_offset,
        })
    }

    /// Bytes of the container read so far (overlapping reads counted each time).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn root(&self) -> Result<H5Group> {
        let group = self.file.root_group().map_err(|e| Error::hdf5("/", e))?;
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

    /// Every group and dataset below `start`, depth first in stored order, with the hazards met.
    /// Bounded by the object-count and depth limits; an object seen twice is visited once.
    pub fn walk(&self, start: &str) -> Result<Walk> {
        let mut walk = Walk::default();
        let Some(group) = self.group(start)? else {
            return Ok(walk);
        };
        let mut seen: HashMap<u64, String> = HashMap::new();
        seen.insert(group.inner.address(), group.path.clone());
        self.walk_group(&group, 0, &mut seen, &mut walk)?;
        Ok(walk)
    }

    fn walk_group(
        &self,
        group: &H5Group,
        depth: usize,
        seen: &mut HashMap<u64, String>,
        walk: &mut Walk,
    ) -> Result<()> {
        if depth >= self.limits.max_hdf5_depth {
            return Err(Error::Limit(format!(
                "HDF5 groups nested deeper than {} at {}",
                self.limits.max_hdf5_depth,
                display_path(&group.path)
            )));
        }
        walk.hazards.extend(self.link_hazards(group)?);
        let (groups, datasets) = match group.inner.members() {
            Ok(members) => members,
            Err(e) => self
                .members_one_by_one(group, walk)
                .ok_or_else(|| Error::hdf5(display_path(&group.path), e))?,
        };
        for child in groups {
            let path = join(&group.path, child.name());
            if !self.visit(child.address(), &path, seen, walk)? {
                continue;
            }
            walk.groups.push(path.clone());
            self.walk_group(&H5Group::new(child, path, self), depth + 1, seen, walk)?;
        }
        for dataset in datasets {
            let path = join(&group.path, dataset.name());
            if !self.visit(dataset.address(), &path, seen, walk)? {
                continue;
            }
            let info = self.describe(&dataset, path, walk)?;
            walk.datasets.push(info);
        }
        Ok(())
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
        let names = self.raw_member_names(group)?;
        let mut groups = Vec::new();
        let mut datasets = Vec::new();
        for name in names.into_iter().take(self.limits.max_hdf5_objects) {
            match group.inner.dataset(&name) {
                Ok(dataset) => datasets.push(dataset),
                Err(e) if is_virtual_layout(&e) => walk.hazards.push(Hdf5Hazard::VirtualDataset {
                    path: join(&group.path, &name),
                }),
                Err(_) => groups.push(group.inner.group(&name).ok()?),
            }
        }
        Some((groups, datasets))
    }

    /// Marks an object seen; false (and an alias hazard) when it was seen before.
    fn visit(
        &self,
        address: u64,
        path: &str,
        seen: &mut HashMap<u64, String>,
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
            return Err(Error::Limit(format!(
                "more than {} HDF5 objects",
                self.limits.max_hdf5_objects
            )));
        }
        seen.insert(address, path.to_string());
        Ok(true)
    }

    fn describe(
        &self,
        dataset: &hdf5_reader::Dataset,
        path: String,
        walk: &mut Walk,
    ) -> Result<DatasetInfo> {
        let header = self
            .file
            .get_or_parse_header(dataset.address())
            .map_err(|e| Error::hdf5(&path, e))?;
        for message in &header.messages {
            if let HdfMessage::ExternalFiles(external) = message {
                walk.hazards.push(Hdf5Hazard::ExternalStorage {
                    path: path.clone(),
                    files: self.external_file_names(external),
                });
            }
        }
        let mut info = describe_dataset(dataset, path, &self.limits, Some(&header.messages))?;
        info.location = self.location(&header.messages);
        Ok(info)
    }

    fn location(&self, messages: &[HdfMessage]) -> DataLocation {
        let layout = messages.iter().find_map(|m| match m {
            HdfMessage::DataLayout(layout) => Some(&layout.layout),
            _ => None,
        });
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
        let heap = hdf5_reader::local_heap::LocalHeap::parse_at_storage(
            storage,
            external.heap_address,
            superblock.offset_size,
            superblock.length_size,
        );
        external
            .slots
            .iter()
            .map(|slot| match &heap {
                Ok(heap) => heap
                    .get_string_storage(slot.name_offset, storage)
                    .unwrap_or_else(|_| "<unreadable name>".to_string()),
                Err(_) => "<unreadable name>".to_string(),
            })
            .collect()
    }

    /// Soft and external links stored as link messages of a group (new-style groups; external
    /// links always are). Old-style groups resolve soft links to their targets, which the
    /// visited set then reports as aliases.
    fn link_hazards(&self, group: &H5Group) -> Result<Vec<Hdf5Hazard>> {
        let header = self
            .file
            .get_or_parse_header(group.inner.address())
            .map_err(|e| Error::hdf5(display_path(&group.path), e))?;
        let mut hazards = Vec::new();
        for message in &header.messages {
            if let HdfMessage::Link(link) = message {
                let path = join(&group.path, &link.name);
                match &link.target {
                    LinkTarget::Soft { path: target } => hazards.push(Hdf5Hazard::SoftLink {
                        path,
                        target: target.clone(),
                    }),
                    LinkTarget::External {
                        filename,
                        path: target,
                    } => hazards.push(Hdf5Hazard::ExternalLink {
                        path,
                        file: filename.clone(),
                        target: target.clone(),
                    }),
                    LinkTarget::Hard { .. } => {}
                }
            }
            if let HdfMessage::SymbolTable(table) = message {
                for (name, soft_target) in self.old_style_entries(table, true) {
                    if let Some(target) = soft_target {
                        hazards.push(Hdf5Hazard::SoftLink {
                            path: join(&group.path, &name),
                            target,
                        });
                    }
                }
            }
        }
        Ok(hazards)
    }

    /// The entries of an old-style (symbol table) group: each name, with the target path when
    /// it is a soft link (cache type 2). The crate resolves soft links silently, so the symbol
    /// table nodes are read here to record them. Unreadable tables give what could be read.
    fn old_style_entries(
        &self,
        table: &hdf5_reader::messages::symbol_table_msg::SymbolTableMessage,
        soft_links_only: bool,
    ) -> Vec<(String, Option<String>)> {
        let storage = self.file.storage();
        let superblock = self.file.superblock();
        let (offset_size, length_size) = (superblock.offset_size, superblock.length_size);
        let Ok(heap) = hdf5_reader::local_heap::LocalHeap::parse_at_storage(
            storage,
            table.heap_address,
            offset_size,
            length_size,
        ) else {
            return Vec::new();
        };
        let Ok(leaves) = hdf5_reader::btree_v1::collect_btree_v1_leaves_storage(
            storage,
            table.btree_address,
            offset_size,
            length_size,
            None,
            &[],
            None,
        ) else {
            return Vec::new();
        };
        let entry_len = 2 * usize::from(offset_size) + 4 + 4 + 16;
        let mut entries = Vec::new();
        for (_, node_address) in leaves.iter().take(self.limits.max_hdf5_objects) {
            // A node holds at most 2·K entries (K ≤ 65535): read its header, then its entries.
            let Some(count) = storage
                .read_range(*node_address, 8)
                .ok()
                .filter(|head| head.as_ref().starts_with(b"SNOD"))
                .map(|head| usize::from(u16::from_le_bytes([head.as_ref()[6], head.as_ref()[7]])))
            else {
                continue;
            };
            let Ok(bytes) = storage.read_range(*node_address, 8 + count * entry_len) else {
                continue;
            };
            let mut cursor = hdf5_reader::io::Cursor::new(bytes.as_ref());
            let Ok(node) = hdf5_reader::symbol_table::SymbolTableNode::parse(
                &mut cursor,
                offset_size,
                length_size,
            ) else {
                continue;
            };
            for entry in &node.entries {
                if soft_links_only && entry.cache_type != 2 {
                    continue;
                }
                let Ok(name) = heap.get_string_storage(entry.link_name_offset, storage) else {
                    continue;
                };
                let soft_target = (entry.cache_type == 2).then(|| {
                    let offset = u32::from_le_bytes([
                        entry.scratch[0],
                        entry.scratch[1],
                        entry.scratch[2],
                        entry.scratch[3],
                    ]);
                    heap.get_string_storage(u64::from(offset), storage)
                        .unwrap_or_else(|_| "<unreadable target>".into())
                });
                entries.push((name, soft_target));
            }
        }
        entries
    }

    /// The names of a group's members, read from its own header (compact link messages or
    /// the symbol table), for when the crate's listing fails on one member.
    fn raw_member_names(&self, group: &H5Group) -> Option<Vec<String>> {
        let header = self.file.get_or_parse_header(group.inner.address()).ok()?;
        let mut names = Vec::new();
        for message in &header.messages {
            match message {
                HdfMessage::Link(link) if matches!(link.target, LinkTarget::Hard { .. }) => {
                    names.push(link.name.clone())
                }
                HdfMessage::SymbolTable(table) => names.extend(
                    self.old_style_entries(table, false)
                        .into_iter()
                        .filter(|(_, soft)| soft.is_none())
                        .map(|(name, _)| name),
                ),
                _ => {}
            }
        }
        Some(names)
    }
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
    pub groups: Vec<String>,
    pub datasets: Vec<DatasetInfo>,
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
        let Ok(header) = self.file.get_or_parse_header(self.inner.address()) else {
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
                && let Ok(heap) = hdf5_reader::fractal_heap::FractalHeap::parse_at_storage(
                    self.file.storage(),
                    info.fractal_heap_address,
                    self.inner.offset_size(),
                    self.inner.length_size(),
                )
            {
                total = total
                    .saturating_add(heap.managed_objects_count)
                    .saturating_add(heap.huge_objects_count)
                    .saturating_add(heap.tiny_objects_count);
            }
        }
        if total > self.max_attributes {
            return Err(Error::Limit(format!(
                "{} has {total} attributes (limit {}, --max-attributes)",
                display_path(&self.path),
                self.max_attributes
            )));
        }
        Ok(())
    }

    fn attributes(&self) -> Result<&[Attribute]> {
        if let Some(attrs) = self.attributes.get() {
            return Ok(attrs);
        }
        self.check_attribute_count()?;
        let attrs = self
            .inner
            .attributes()
            .map_err(|e| Error::hdf5(format!("{} (attributes)", display_path(&self.path)), e))?;
        Ok(self.attributes.get_or_init(|| attrs))
    }

    fn find_attribute(&self, name: &str) -> Result<Option<&Attribute>> {
        Ok(self.attributes()?.iter().find(|a| a.name == name))
    }

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
            Err(strings) => Err(Error::Keras(format!(
                "attribute {}@{name} holds {} strings, expected one",
                display_path(&self.path),
                strings.len()
            ))),
        }
    }

    /// A string-array attribute (`layer_names`, `weight_names`). An empty numeric array — how
    /// Keras writes the names of a layer with no weights — reads as no strings.
    pub fn strings_attribute(&self, name: &str) -> Result<Option<Vec<String>>> {
        let Some(attr) = self.find_attribute(name)? else {
            return Ok(None);
        };
        decode_strings(attr)
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
        let value = attr
            .read_as_f64()
            .map_err(|e| Error::hdf5(format!("{}@{name}", display_path(&self.path)), e))?;
        Ok(Some(value as i64))
    }

    /// A child group, `None` when there is no member of that name or it is not a group.
    pub fn child_group(&self, name: &str) -> Result<Option<H5Group>> {
        match self.inner.group(name) {
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

    /// A child dataset, `None` when absent.
    pub fn dataset(&self, name: &str, limits: &Limits) -> Result<Option<DatasetInfo>> {
        let path = join(&self.path, name);
        match self.inner.dataset(name) {
            Ok(dataset) => describe_dataset(&dataset, path, limits, None).map(Some),
            Err(H5Error::DatasetNotFound(_)) => Ok(None),
            Err(e) => Err(Error::hdf5(path, e)),
        }
    }

    /// Names of child groups and datasets, in stored order.
    pub fn member_names(&self) -> Result<(Vec<String>, Vec<String>)> {
        self.inner
            .member_names()
            .map_err(|e| Error::hdf5(display_path(&self.path), e))
    }
}

fn describe_dataset(
    dataset: &hdf5_reader::Dataset,
    path: String,
    limits: &Limits,
    messages: Option<&[HdfMessage]>,
) -> Result<DatasetInfo> {
    let shape = dataset.shape().to_vec();
    if shape.len() > limits.max_rank {
        return Err(Error::Limit(format!(
            "dataset {path} has {} dimensions (limit {})",
            shape.len(),
            limits.max_rank
        )));
    }
    // Keras 3 marks bfloat16 weights (stored as a 2-byte type) with a `dtype` attribute;
    // only 2-byte datasets need their attributes decoded.
    let two_bytes = matches!(
        dataset.dtype(),
        Datatype::FloatingPoint { size: 2, .. }
            | Datatype::FixedPoint { size: 2, .. }
            | Datatype::Opaque { size: 2, .. }
    );
    let marked_bfloat16 = two_bytes
        && dataset
            .attributes()
            .iter()
            .any(|a| a.name == "dtype" && decode_strings(a).is_ok_and(|s| s == ["bfloat16"]));
    let dtype = if marked_bfloat16 {
        "bfloat16".to_string()
    } else {
        dtype_name(dataset.dtype())
    };
    let stored_bytes = messages.and_then(stored_bytes);
    Ok(DatasetInfo {
        path,
        shape,
        dtype,
        stored_bytes,
        location: DataLocation::Unknown,
    })
}

fn stored_bytes(messages: &[HdfMessage]) -> Option<u64> {
    messages.iter().find_map(|m| match m {
        HdfMessage::DataLayout(layout) => match &layout.layout {
            DataLayout::Compact { data } => Some(data.len() as u64),
            DataLayout::Contiguous { address, size } => {
                // An undefined address means no data was ever written.
                Some(if *address == u64::MAX { 0 } else { *size })
            }
            DataLayout::Chunked { .. } => None,
        },
        _ => None,
    })
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

pub fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

fn display_path(path: &str) -> String {
    format!("/{path}")
}
