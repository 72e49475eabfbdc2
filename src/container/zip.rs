//! Zip archives (`.keras`), over the `zip` crate. Members are listed from the central
//! directory; small text members are inflated under size and ratio limits; a stored (not
//! compressed) HDF5 member is handed to the HDF5 reader in place, as a slice of the file.

use std::io::{Cursor, Read};

use super::source::{Source, SourceSlice};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// One member as the central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ZipMember {
    /// The name as stored (Windows-written archives may use `\`).
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
    pub compressed_size: u64,
    /// `stored`, `deflated`, or the method number.
    pub method: String,
    #[serde(skip)]
    index: usize,
    #[serde(skip)]
    data_start: Option<u64>,
}

impl ZipMember {
    pub fn is_stored(&self) -> bool {
        self.method == "stored"
    }
}

/// An open zip archive.
pub struct ZipFile {
    source: Source,
    archive: zip::ZipArchive<Cursor<SourceSlice>>,
    pub members: Vec<ZipMember>,
    /// The central directory names one member more than once.
    pub duplicate_names: bool,
    limits: Limits,
}

impl ZipFile {
    pub fn open(source: &Source, limits: &Limits) -> Result<ZipFile> {
        let mut archive = zip::ZipArchive::new(Cursor::new(source.whole()))
            .map_err(|e| Error::Zip(e.to_string()))?;
        if archive.len() > limits.max_zip_members {
            return Err(Error::Limit(format!(
                "zip has {} members (limit {})",
                archive.len(),
                limits.max_zip_members
            )));
        }
        let duplicate_names = archive.has_duplicate_names();
        let mut members = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| Error::Zip(format!("member #{index}: {e}")))?;
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

    pub fn member(&self, name: &str) -> Option<&ZipMember> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The bytes of a member, inflated if need be, within the size and ratio limits.
    pub fn read(&mut self, member: &ZipMember) -> Result<Vec<u8>> {
        if member.size > self.limits.max_zip_inflate_bytes {
            return Err(Error::Limit(format!(
                "zip member {} declares {} bytes (limit {})",
                member.name, member.size, self.limits.max_zip_inflate_bytes
            )));
        }
        if !member.is_stored()
            && member.size
                > member
                    .compressed_size
                    .saturating_mul(self.limits.max_zip_ratio)
            && member.size > 1 << 20
        {
            return Err(Error::Limit(format!(
                "zip member {} expands {}× (limit {}×)",
                member.name,
                member.size / member.compressed_size.max(1),
                self.limits.max_zip_ratio
            )));
        }
        let entry = self
            .archive
            .by_index(member.index)
            .map_err(|e| Error::Zip(format!("{}: {e}", member.name)))?;
        // Never trust the declared size: read at most one byte past it.
        let mut bytes = Vec::with_capacity(member.size.min(1 << 24) as usize);
        entry
            .take(member.size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Zip(format!("{}: {e}", member.name)))?;
        if bytes.len() as u64 != member.size {
            return Err(Error::Zip(format!(
                "{}: declares {} bytes but holds {}",
                member.name,
                member.size,
                bytes.len()
            )));
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
            return Err(Error::Zip(format!(
                "{}: data lies outside the archive",
                member.name
            )));
        }
        Ok(Source::from_vec(self.read(member)?).whole())
    }
}
