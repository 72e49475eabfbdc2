//! Zip archives (`.keras`), over the `zip` crate. Members are listed from the central
//! directory; small text members are inflated under size and ratio limits; a stored (not
//! compressed) HDF5 member is handed to the HDF5 reader in place, as a slice of the file.

use std::io::Read;

use super::source::{SliceReader, Source, SourceSlice};
use crate::error::{Error, LimitExceeded, Result, ZipEntry, ZipProblem};
use crate::limits::Limits;

/// One member as the central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ZipMember {
    /// The name as stored (Windows-written archives may use `\`).
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size: the bytes the member's data takes in the archive.
    pub compressed_size: u64,
    /// `stored`, `deflated`, or the method number.
    pub method: String,
    #[serde(skip)]
    index: usize,
    #[serde(skip)]
    data_start: Option<u64>,
}

impl ZipMember {
    /// Whether the member is stored uncompressed.
    pub fn is_stored(&self) -> bool {
        self.method == "stored"
    }
}

/// An open zip archive.
pub struct ZipFile {
    source: Source,
    archive: zip::ZipArchive<SliceReader>,
    /// Every member, in central directory order.
    pub members: Vec<ZipMember>,
    /// Names the central directory lists more than once (the `zip` crate keeps one of each;
    /// the raw directory is scanned to see them all).
    pub duplicate_names: Vec<String>,
    limits: Limits,
}

impl ZipFile {
    /// Opens an archive from its central directory, refusing more members than the limits allow.
    pub fn open(source: &Source, limits: &Limits) -> Result<ZipFile> {
        let mut archive = zip::ZipArchive::new(source.whole().reader())
            .map_err(|e| Error::zip(None, unreadable(e)))?;
        if archive.len() > limits.max_zip_members {
            return Err(Error::limit(LimitExceeded::ZipMembers {
                count: archive.len(),
                limit: limits.max_zip_members,
            }));
        }
        let duplicate_names = if archive.has_duplicate_names() {
            let mut names = central_directory_names(source, limits.max_zip_members)?;
            names.sort();
            let mut duplicates: Vec<String> = names
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0].clone())
                .collect();
            duplicates.dedup();
            if duplicates.is_empty() {
                duplicates.push("<unnamed>".into());
            }
            duplicates
        } else {
            Vec::new()
        };
        let mut members = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| Error::zip(Some(ZipEntry::Index(index)), unreadable(e)))?;
            let method = match entry.compression() {
                zip::CompressionMethod::Stored => "stored".to_string(),
                zip::CompressionMethod::Deflated => "deflated".to_string(),
                other => format!("{other:?}").to_lowercase(),
            };
            members.push(ZipMember {
                name: String::from_utf8_lossy(entry.name_raw()).into_owned(),
                size: entry.size(),
                compressed_size: entry.compressed_size(),
                method,
                index,
                data_start: entry.data_start(),
            });
        }
        Ok(ZipFile {
            source: source.clone(),
            archive,
            members,
            duplicate_names,
            limits: *limits,
        })
    }

    /// The member of this name (as stored), if any.
    pub fn member(&self, name: &str) -> Option<&ZipMember> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The bytes of a member, inflated if need be, within the size and ratio limits.
    pub fn read(&mut self, member: &ZipMember) -> Result<Vec<u8>> {
        if member.size > self.limits.max_zip_inflate_bytes {
            return Err(Error::limit(LimitExceeded::ZipMemberBytes {
                member: member.name.clone(),
                declared: member.size,
                limit: self.limits.max_zip_inflate_bytes,
            }));
        }
        if !member.is_stored()
            && member.size
                > member
                    .compressed_size
                    .saturating_mul(self.limits.max_zip_ratio)
            && member.size > 1 << 20
        {
            return Err(Error::limit(LimitExceeded::ZipRatio {
                member: member.name.clone(),
                ratio: member.size / member.compressed_size.max(1),
                limit: self.limits.max_zip_ratio,
            }));
        }
        let entry = self
            .archive
            .by_index(member.index)
            .map_err(|e| Error::zip(Some(ZipEntry::Name(member.name.clone())), unreadable(e)))?;
        // Never trust the declared size: read at most one byte past it.
        let mut bytes = Vec::with_capacity(member.size.min(1 << 24) as usize);
        entry
            .take(member.size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::zip(Some(ZipEntry::Name(member.name.clone())), unreadable(e)))?;
        if bytes.len() as u64 != member.size {
            return Err(Error::zip(
                Some(ZipEntry::Name(member.name.clone())),
                ZipProblem::SizeMismatch {
                    declared: member.size,
                    actual: bytes.len() as u64,
                },
            ));
        }
        Ok(bytes)
    }

    /// A member's bytes without copying when it is stored uncompressed (how Keras writes
    /// `model.weights.h5`), else inflated into memory.
    pub fn bytes_in_place(&mut self, member: &ZipMember) -> Result<SourceSlice> {
        if member.is_stored() {
            if let Some(slice) = member
                .data_start
                .and_then(|start| self.source.slice(start, member.compressed_size))
            {
                return Ok(slice);
            }
            return Err(Error::zip(
                Some(ZipEntry::Name(member.name.clone())),
                ZipProblem::DataOutsideArchive,
            ));
        }
        Ok(Source::from_vec(self.read(member)?).whole())
    }
}

/// A failure of the `zip` crate, kept as the cause.
fn unreadable(error: impl std::error::Error + Send + Sync + 'static) -> ZipProblem {
    ZipProblem::Unreadable(Box::new(error))
}

/// Every member name of the (non-Zip64) central directory, in order, duplicates included.
/// Bounded by `max` entries; a damaged directory yields what could be read.
pub fn central_directory_names(source: &Source, max: usize) -> Result<Vec<String>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const ENTRY: &[u8] = b"PK\x01\x02";
    // The end record lies in the last 22 + 65,535 (comment) bytes.
    let tail_start = source.len().saturating_sub(22 + 65_535);
    let tail = source.read_at(tail_start, (source.len() - tail_start) as usize)?;
    let Some(eocd) = tail.windows(4).rposition(|w| w == EOCD) else {
        return Ok(Vec::new());
    };
    let field = |at: usize, width: usize| -> Option<u64> {
        let bytes = tail.get(eocd + at..eocd + at + width)?;
        Some(bytes.iter().rev().fold(0, |n, b| n << 8 | u64::from(*b)))
    };
    let (Some(count), Some(size), Some(start)) = (field(10, 2), field(12, 4), field(16, 4)) else {
        return Ok(Vec::new());
    };
    // A directory that claims to run past the end is read as far as the file goes, and
    // never more than 16 MiB of it.
    let size = size.min(source.len().saturating_sub(start)).min(16 << 20);
    let Ok(directory) = source.read_at(start, size as usize) else {
        return Ok(Vec::new());
    };
    let bytes = &*directory;
    let u16_at = |at: usize| -> Option<usize> {
        Some(u16::from_le_bytes(bytes.get(at..at.checked_add(2)?)?.try_into().ok()?) as usize)
    };
    let mut names = Vec::new();
    let mut at = 0usize;
    for _ in 0..(count as usize).min(max) {
        if bytes.get(at..at + 4) != Some(ENTRY) {
            break;
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) =
            (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        let Some(name) = bytes.get(at + 46..at + 46 + name_len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
}
