//! The bytes of one file. A small file is read into memory in one go (small files open faster
//! that way); a large one is never mapped nor read whole: its readers ask for byte ranges,
//! served by positioned reads (`pread`). Ranges are shareable as sub-ranges, so that a zip
//! member can be parsed in place.
//!
//! Why not `mmap`: a scan touches a few scattered kilobytes of each file. Mapping a file and
//! faulting those pages in costs more than reading them, and unmapping it makes the kernel
//! interrupt every other core of the process (TLB shootdown), which kept two threads from
//! scanning twice as fast as one. A positioned read also turns a file truncated under our
//! feet into an I/O error instead of a `SIGBUS`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

/// Files below this size are read into memory whole.
const IN_MEMORY_BELOW: u64 = 64 * 1024;

/// Random access to the bytes of one input: all kerascope needs of it. A local file, a byte
/// buffer, a browser `Blob` or an object-store client can stand behind it. Whatever stands
/// behind a [`Source`], the HDF5 reader reads it through the same cache of aligned 4 KiB
/// blocks and the zip reader through a 16 KiB window, so that the many small reads of a parse
/// become a few aligned ones.
///
/// ```
/// use kerascope::RangeRead;
///
/// let bytes = b"\x89HDF\r\n\x1a\n".to_vec();
/// let mut magic = [0u8; 4];
/// bytes.read_exact_at(1, &mut magic).unwrap();
/// assert_eq!(&magic, b"HDF\r");
/// assert_eq!(RangeRead::len(&bytes), 8);
/// ```
pub trait RangeRead: Send + Sync {
    /// The length of the input in bytes.
    fn len(&self) -> u64;

    /// Whether the input holds no byte at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`. Callers ask only for ranges inside `0..len()`;
    /// an input that ends sooner (truncated meanwhile) answers `UnexpectedEof`.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// What the input is called in messages (a path, a URL).
    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("input")
    }

    /// Opens the file called `name` beside this one (the shards of a sharded-weights index
    /// stored remotely); `None` when the input has no notion of neighbours. `name` is a plain
    /// file name, checked by the caller.
    fn sibling(&self, name: &str) -> Option<io::Result<Source>> {
        let _ = name;
        None
    }
}

impl RangeRead for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| eof(offset, buf.len()))?;
        let bytes = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| eof(offset, buf.len()))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("bytes")
    }
}

impl RangeRead for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.as_slice().read_exact_at(offset, buf)
    }

    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("bytes")
    }
}

impl RangeRead for File {
    fn len(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let bytes = read_vec_at(self, offset, buf.len())?;
        buf.copy_from_slice(&bytes);
        Ok(())
    }

    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("file")
    }
}

#[derive(Clone)]
enum Backing {
    Memory(Arc<Vec<u8>>),
    /// A local file, read by positioned reads into buffers never zeroed first.
    File(Arc<File>, u64),
    /// Any other range reader.
    Reader(Arc<dyn RangeRead>, u64),
}

impl Backing {
    /// `len` bytes at `offset` of a backing that is not in memory, checked by the caller to
    /// lie inside it.
    fn read_owned(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        match self {
            Backing::Memory(bytes) => Ok(bytes[offset as usize..offset as usize + len].to_vec()),
            Backing::File(file, _) => read_vec_at(file, offset, len),
            Backing::Reader(reader, _) => {
                let mut buffer = vec![0; len];
                reader.read_exact_at(offset, &mut buffer)?;
                Ok(buffer)
            }
        }
    }
}

/// The content of one file, shared cheaply between the readers that look at it.
#[derive(Clone)]
pub struct Source {
    backing: Backing,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.backing {
            Backing::Memory(_) => Cow::Borrowed("memory"),
            Backing::File(..) => Cow::Borrowed("file"),
            Backing::Reader(reader, _) => reader.name(),
        };
        write!(f, "Source({kind}, {} bytes)", self.len())
    }
}

fn eof(offset: u64, len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("{len} bytes at offset {offset} lie past the end of the file"),
    )
}

impl Source {
    /// Opens a file: reads it when small, else keeps it open for ranged reads.
    pub fn open(path: &Path) -> io::Result<Source> {
        let file = open_regular(path)?;
        let meta = file.metadata()?;
        let backing = if meta.len() < IN_MEMORY_BELOW {
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            // A file that grew since `metadata` is read up to the threshold, no further.
            (&file).take(IN_MEMORY_BELOW).read_to_end(&mut bytes)?;
            Backing::Memory(Arc::new(bytes))
        } else {
            Backing::File(Arc::new(file), meta.len())
        };
        Ok(Source { backing })
    }

    /// Opens a file to be read by ranges whatever its size (tests check that both ways of
    /// reading give the same result).
    pub fn open_ranged(path: &Path) -> io::Result<Source> {
        let file = open_regular(path)?;
        let len = file.metadata()?.len();
        Ok(Source {
            backing: Backing::File(Arc::new(file), len),
        })
    }

    /// Wraps bytes already in memory (tests, fuzzing, a member inflated from a zip).
    pub fn from_vec(bytes: Vec<u8>) -> Source {
        Source {
            backing: Backing::Memory(Arc::new(bytes)),
        }
    }

    /// Wraps a range reader: its length is asked once, its bytes by ranges as the parsers
    /// need them.
    pub fn from_reader(reader: impl RangeRead + 'static) -> Source {
        let len = reader.len();
        Source {
            backing: Backing::Reader(Arc::new(reader), len),
        }
    }

    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        match &self.backing {
            Backing::Memory(bytes) => bytes.len() as u64,
            Backing::File(_, len) | Backing::Reader(_, len) => *len,
        }
    }

    /// Whether the file holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes at `offset`: borrowed when the file is in memory, read otherwise. A range
    /// past the end is an `UnexpectedEof` error.
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Cow<'_, [u8]>> {
        let end = offset
            .checked_add(len as u64)
            .filter(|end| *end <= self.len())
            .ok_or_else(|| eof(offset, len))?;
        match &self.backing {
            Backing::Memory(bytes) => Ok(Cow::Borrowed(&bytes[offset as usize..end as usize])),
            other => Ok(Cow::Owned(other.read_owned(offset, len)?)),
        }
    }

    /// The whole file. Callers bound its size first: this is for JSON documents and tests.
    pub fn contents(&self) -> io::Result<Cow<'_, [u8]>> {
        let len = usize::try_from(self.len()).map_err(|_| eof(0, usize::MAX))?;
        self.read_at(0, len)
    }

    /// The file called `name` beside this one, when the range reader behind it can open one
    /// (see [`RangeRead::sibling`]).
    pub fn sibling(&self, name: &str) -> Option<io::Result<Source>> {
        match &self.backing {
            Backing::Reader(reader, _) => reader.sibling(name),
            Backing::Memory(_) | Backing::File(..) => None,
        }
    }

    /// A view of `start..start + len`, or `None` when the range is outside the file.
    pub fn slice(&self, start: u64, len: u64) -> Option<SourceSlice> {
        let end = start.checked_add(len)?;
        (end <= self.len()).then(|| SourceSlice {
            source: self.clone(),
            start,
            len,
        })
    }

    /// The whole file as a slice.
    pub fn whole(&self) -> SourceSlice {
        SourceSlice {
            source: self.clone(),
            start: 0,
            len: self.len(),
        }
    }
}

/// A byte range of a [`Source`] that owns a reference to it.
#[derive(Clone)]
pub struct SourceSlice {
    source: Source,
    start: u64,
    len: u64,
}

impl SourceSlice {
    /// Offset of this slice in the file.
    pub fn offset(&self) -> u64 {
        self.start
    }

    /// The slice's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the slice holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `len` bytes at `offset` of the slice (see [`Source::read_at`]).
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Cow<'_, [u8]>> {
        if offset
            .checked_add(len as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(eof(offset, len));
        }
        self.source.read_at(self.start + offset, len)
    }

    /// When the file is in memory: its bytes and where this slice lies in them, to be
    /// shared without copying.
    pub(crate) fn in_memory(&self) -> Option<(Arc<Vec<u8>>, usize, usize)> {
        match &self.source.backing {
            Backing::Memory(bytes) => Some((bytes.clone(), self.start as usize, self.len as usize)),
            Backing::File(..) | Backing::Reader(..) => None,
        }
    }

    /// A `Read + Seek` cursor over the slice, buffered when the file is read by ranges.
    pub fn reader(&self) -> SliceReader {
        SliceReader {
            slice: self.clone(),
            position: 0,
            window: Vec::new(),
            window_start: 0,
        }
    }
}

/// Reads a [`SourceSlice`] as a stream. Over a file, it keeps one window of the file so
/// that the many small reads of a zip directory cost one system call per window.
pub struct SliceReader {
    slice: SourceSlice,
    position: u64,
    window: Vec<u8>,
    window_start: u64,
}

const WINDOW: usize = 16 * 1024;

impl Read for SliceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.slice.len.saturating_sub(self.position);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let at = self.slice.start + self.position;
        let n = match &self.slice.source.backing {
            Backing::Memory(bytes) => {
                buf[..want].copy_from_slice(&bytes[at as usize..at as usize + want]);
                want
            }
            ranged => {
                let window_end = self.window_start + self.window.len() as u64;
                if at < self.window_start || at >= window_end {
                    // The slice lies inside the file, so the window is there in full.
                    let span = want
                        .max(WINDOW)
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.window = ranged.read_owned(at, span)?;
                    self.window_start = at;
                }
                let from = (at - self.window_start) as usize;
                let n = want.min(self.window.len() - from);
                buf[..n].copy_from_slice(&self.window[from..from + n]);
                n
            }
        };
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for SliceReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.slice.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.position)
    }
}

/// Opens a regular file for reading, and nothing else. Opening a FIFO blocks until a writer
/// comes (forever, often), and reading a character device such as `/proc/kmsg` or
/// `/dev/zero` blocks or never ends: the type is checked from the path's metadata before
/// opening, and the open itself does not block (`O_NONBLOCK`), in case the path was
/// swapped for a FIFO in between; the opened file is checked again.
pub fn open_regular(path: &Path) -> io::Result<File> {
    ensure_regular(&std::fs::metadata(path)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    ensure_regular(&file.metadata()?)?;
    Ok(file)
}

fn ensure_regular(meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", file_kind(&meta.file_type())),
    ))
}

/// What a path is, in words, for an error message.
pub fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// `len` bytes from `offset`, or an error (`UnexpectedEof` when the file ends first).
#[cfg(unix)]
fn read_vec_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    // Read into spare capacity: zeroing each buffer first cost a tenth of a scan's time.
    let mut buffer = Vec::with_capacity(len);
    while buffer.len() < len {
        let done = buffer.len();
        let at = libc::off_t::try_from(offset + done as u64).map_err(|_| eof(offset, len))?;
        let spare = &mut buffer.spare_capacity_mut()[..len - done];
        // SAFETY: `spare` is valid for writes of `spare.len()` bytes; pread writes at most
        // that many and returns how many it wrote.
        let n =
            unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        match n {
            0 => return Err(eof(offset, len)),
            n if n > 0 => {
                // SAFETY: pread initialised the `n` bytes after `done`.
                unsafe { buffer.set_len(done + n as usize) }
            }
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(buffer)
}

#[cfg(windows)]
fn read_vec_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buffer = vec![0; len];
    let mut done = 0;
    while done < len {
        match std::os::windows::fs::FileExt::seek_read(
            file,
            &mut buffer[done..],
            offset + done as u64,
        ) {
            Ok(0) => return Err(eof(offset, len)),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buffer)
}

/// Elsewhere (WebAssembly, where files are rare): a seek, then a read. Each analysis reads
/// its file from one thread, so the shared position is never raced in practice.
#[cfg(not(any(unix, windows)))]
fn read_vec_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    let mut buffer = vec![0; len];
    reader.read_exact(&mut buffer)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same bytes, once in memory and once behind a file read by ranges.
    fn both(bytes: &[u8]) -> (Source, Source, tempfile::NamedTempFile) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        let ranged = Source {
            backing: Backing::File(Arc::new(file.reopen().unwrap()), bytes.len() as u64),
        };
        (Source::from_vec(bytes.to_vec()), ranged, file)
    }

    /// (FIFOs are tested in tests/conventions.rs, in a child process under a time bound:
    /// a regression there would block, not fail.)
    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_before_any_open() {
        let e = open_regular(Path::new("/dev/null")).err().unwrap();
        assert_eq!(e.to_string(), "not a regular file (a character device)");
        let dir = tempfile::tempdir().unwrap();
        let e = Source::open(dir.path()).err().unwrap();
        assert_eq!(e.to_string(), "not a regular file (a folder)");
    }

    #[test]
    fn ranges_read_the_same_in_memory_and_from_the_file() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let (memory, ranged, _keep) = both(&bytes);
        for source in [&memory, &ranged] {
            assert_eq!(&*source.read_at(99_990, 10).unwrap(), &bytes[99_990..]);
            assert!(source.read_at(99_991, 10).is_err());
            assert!(source.read_at(u64::MAX, 2).is_err());
            let slice = source.slice(1000, 50_000).unwrap();
            assert_eq!(&*slice.read_at(5, 3).unwrap(), &bytes[1005..1008]);
            assert!(slice.read_at(49_999, 2).is_err());
            assert!(source.slice(99_999, 2).is_none());
        }
    }

    #[test]
    fn the_reader_streams_and_seeks_like_a_cursor() {
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let (memory, ranged, _keep) = both(&bytes);
        for source in [&memory, &ranged] {
            let slice = source.slice(10, 60_000).unwrap();
            let mut all = Vec::new();
            slice.reader().read_to_end(&mut all).unwrap();
            assert_eq!(all, &bytes[10..60_010]);
            let mut reader = slice.reader();
            assert_eq!(reader.seek(SeekFrom::End(-4)).unwrap(), 59_996);
            let mut tail = [0u8; 8];
            assert_eq!(reader.read(&mut tail).unwrap(), 4);
            assert_eq!(&tail[..4], &bytes[60_006..60_010]);
            reader.seek(SeekFrom::Start(3)).unwrap();
            reader.seek(SeekFrom::Current(-1)).unwrap();
            let mut two = [0u8; 2];
            reader.read_exact(&mut two).unwrap();
            assert_eq!(two, bytes[12..14]);
            assert!(reader.seek(SeekFrom::Current(-100)).is_err());
        }
    }
}
