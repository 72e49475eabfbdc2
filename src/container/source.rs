//! The bytes of one file: memory-mapped when large, read into memory when small (small files
//! open faster that way), and shareable as sub-ranges so that a zip member can be parsed in place.

use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

/// Files below this size are read into memory rather than mapped.
const MAP_THRESHOLD: u64 = 64 * 1024;

enum Backing {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// The whole content of one file, shared cheaply between the readers that look at it.
#[derive(Clone)]
pub struct Source {
    backing: Arc<Backing>,
}

impl Source {
    /// Opens a file. Large files are mapped, never read whole.
    pub fn open(path: &Path) -> std::io::Result<Source> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let backing = if meta.len() < MAP_THRESHOLD {
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            std::io::Read::read_to_end(&mut std::io::Read::take(&file, MAP_THRESHOLD), &mut bytes)?;
            Backing::Owned(bytes)
        } else {
            // SAFETY: the map is read-only; a file truncated by another process while we read
            // it is the one hazard, the same as for every mmap-based reader.
            let map = unsafe { Mmap::map(&file)? };
            // Metadata is read in scattered small pieces: no readahead around each fault.
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Random);
            Backing::Mapped(map)
        };
        Ok(Source {
            backing: Arc::new(backing),
        })
    }

    /// Wraps bytes already in memory (tests, fuzzing, a member inflated from a zip).
    pub fn from_vec(bytes: Vec<u8>) -> Source {
        Source {
            backing: Arc::new(Backing::Owned(bytes)),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match &*self.backing {
            Backing::Mapped(map) => map,
            Backing::Owned(vec) => vec,
        }
    }

    pub fn len(&self) -> u64 {
        self.bytes().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// A view of `start..start + len`, or `None` when the range is outside the file.
    pub fn slice(&self, start: u64, len: u64) -> Option<SourceSlice> {
        let start = usize::try_from(start).ok()?;
        let len = usize::try_from(len).ok()?;
        let end = start.checked_add(len)?;
        (end <= self.bytes().len()).then(|| SourceSlice {
            source: self.clone(),
            start,
            end,
        })
    }

    /// The whole file as a slice.
    pub fn whole(&self) -> SourceSlice {
        SourceSlice {
            source: self.clone(),
            start: 0,
            end: self.bytes().len(),
        }
    }
}

/// A byte range of a [`Source`] that owns a reference to it.
#[derive(Clone)]
pub struct SourceSlice {
    source: Source,
    start: usize,
    end: usize,
}

impl SourceSlice {
    /// Offset of this slice in the file.
    pub fn offset(&self) -> u64 {
        self.start as u64
    }
}

impl AsRef<[u8]> for SourceSlice {
    fn as_ref(&self) -> &[u8] {
        &self.source.bytes()[self.start..self.end]
    }
}
