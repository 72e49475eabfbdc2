//! One remote object read by ranges. The reads are planned for round trips, not bytes:
//!
//! - The first request fetches the object's tail (or all of a small object): it gives the
//!   size when no listing did, and holds a zip's end of central directory and central
//!   directory, and the last metadata a writer put after its data.
//! - Every later read is served from aligned blocks; a miss fetches the whole run of missing
//!   blocks it spans in one ranged GET, and never a byte twice.
//! - A response is checked against the range asked: a server that ignores `Range` (status
//!   200) is refused before its body is read, and a body longer or shorter than asked is an
//!   error, never a short buffer.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use kerascope::{RangeRead, Source};
use object_store::{GetOptions, GetRange, ObjectStore};
use tokio::runtime::Handle;

use crate::{Counters, Location};

/// The cache's block: HDF5 object headers, heaps and B-tree nodes cluster in few of them.
const BLOCK: u64 = 16 * 1024;
/// Opening reads the first and the last 64 KiB: the HDF5 superblock and root group, a zip's
/// first members (`config.json`) and its central directory, the metadata HDF5 writes after
/// the data. A small file is all there.
const HEAD: u64 = 64 * 1024;
const TAIL: u64 = 64 * 1024;
/// Objects up to this size are fetched whole (in one request when a listing gave the size):
/// at 50 ms a round trip and 100 MB/s, half a megabyte costs a tenth of a request.
const WHOLE_UP_TO: u64 = 512 * 1024;
/// A miss fetches at least this many blocks: HDF5 metadata past the head comes in clusters.
const READ_AHEAD: u64 = 4;
/// Reads larger than this (a big config member, a whole heap) bypass the cache.
const DIRECT_ABOVE: usize = 1 << 20;
/// At most this many blocks are kept (16 MiB an object, 512 MiB for 32 objects in flight);
/// the cache starts over past it.
const MAX_BLOCKS: usize = 1024;

/// A remote object behind [`RangeRead`].
pub struct RemoteObject {
    store: Arc<dyn ObjectStore>,
    location: Location,
    label: String,
    len: u64,
    runtime: Handle,
    blocks: Mutex<HashMap<u64, Bytes>>,
    /// This object's requests (and its shards').
    own: Arc<Counters>,
    /// Every object's requests.
    total: Arc<Counters>,
}

impl RemoteObject {
    pub(crate) fn open(
        store: Arc<dyn ObjectStore>,
        location: Location,
        size: Option<u64>,
        runtime: Handle,
        (own, total): (Arc<Counters>, Arc<Counters>),
    ) -> io::Result<RemoteObject> {
        let label = location.to_string();
        let mut object = RemoteObject {
            store,
            location,
            label,
            len: size.unwrap_or(0),
            runtime,
            blocks: Mutex::default(),
            own,
            total,
        };
        match size {
            Some(0) => {}
            Some(len) if len <= WHOLE_UP_TO => {
                let bytes = object.fetch(0..len)?;
                object.keep(0, bytes);
            }
            // Head and tail at once: one round trip.
            Some(_) => object.fetch_head_and_tail(true)?,
            None => object.open_by_head()?,
        }
        Ok(object)
    }

    /// Without a size: the first request gives it with the head (a small object whole), a
    /// second one the rest of a small object or the tail of a large one.
    fn open_by_head(&mut self) -> io::Result<()> {
        let (range, size, bytes) = match self.get(GetRange::Bounded(0..HEAD)) {
            Ok(head) => head,
            Err(e) if e.kind() == io::ErrorKind::Other => {
                // An empty object has no range to give (416): ask its size instead.
                return match self.head() {
                    Ok(0) => Ok(()),
                    _ => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        if range != (0..size.min(HEAD)) {
            return Err(self.error(format!(
                "asked for bytes 0..{HEAD}, got {}..{} of {size}",
                range.start, range.end
            )));
        }
        self.len = size;
        self.keep(0, bytes);
        if size > WHOLE_UP_TO {
            self.fetch_head_and_tail(false)?;
        } else if size > HEAD {
            let rest = self.fetch(HEAD..size)?;
            self.keep(HEAD, rest);
        }
        Ok(())
    }

    /// The head (unless already read) and the tail of a large object, concurrently.
    fn fetch_head_and_tail(&self, head: bool) -> io::Result<()> {
        let tail_start = (self.len - TAIL) / BLOCK * BLOCK;
        let head_range = head.then_some(0..HEAD);
        let tail_range = tail_start.max(HEAD)..self.len;
        let (head, tail) = self.runtime.block_on(futures_util::future::join(
            async {
                match head_range.clone() {
                    Some(range) => Some(self.get_async(GetRange::Bounded(range)).await),
                    None => None,
                }
            },
            self.get_async(GetRange::Bounded(tail_range.clone())),
        ));
        for (range, outcome) in [(tail_range, Some(tail)), (0..HEAD, head)] {
            let Some((outcome, received)) = outcome else {
                continue;
            };
            self.own.add(received);
            self.total.add(received);
            let (answered, _, bytes) = outcome?;
            if answered != range {
                return Err(self.error(format!(
                    "asked for bytes {}..{}, got {}..{}",
                    range.start, range.end, answered.start, answered.end
                )));
            }
            self.keep(range.start, bytes);
        }
        Ok(())
    }

    fn error(&self, message: String) -> io::Error {
        io::Error::other(message)
    }

    fn head(&self) -> io::Result<u64> {
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = self
            .runtime
            .block_on(self.store.get_opts(&self.location.key(), options))
            .map_err(io_error)?;
        self.own.add(0);
        self.total.add(0);
        Ok(result.meta.size)
    }

    /// One ranged GET: the range the server answered, the object's size and the body, whose
    /// length is checked against that range as it arrives; and the bytes received.
    async fn get_async(&self, range: GetRange) -> (io::Result<(Range<u64>, u64, Bytes)>, u64) {
        let options = GetOptions {
            range: Some(range),
            ..GetOptions::default()
        };
        // A refused request counts too: it was a round trip.
        let result = match self.store.get_opts(&self.location.key(), options).await {
            Ok(result) => result,
            Err(e) => return (Err(io_error(e)), 0),
        };
        let (range, size) = (result.range.clone(), result.meta.size);
        let expected = range.end - range.start;
        let mut body = BytesMut::with_capacity(usize::try_from(expected).unwrap_or(0));
        let mut stream = result.into_stream();
        let mut received = 0u64;
        let outcome = loop {
            match stream.try_next().await {
                Ok(Some(chunk)) => {
                    received += chunk.len() as u64;
                    if received > expected {
                        break Err(io::Error::other(format!(
                            "the server sent more than the {expected} bytes asked"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(io_error(e)),
            }
        };
        let result = outcome.and_then(|()| {
            if received < expected {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "truncated response: {received} of {expected} bytes at offset {}",
                        range.start
                    ),
                ));
            }
            Ok((range, size, body.freeze()))
        });
        (result, received)
    }

    fn get(&self, range: GetRange) -> io::Result<(Range<u64>, u64, Bytes)> {
        let (result, received) = self.runtime.block_on(self.get_async(range));
        self.own.add(received);
        self.total.add(received);
        result
    }

    fn fetch(&self, range: Range<u64>) -> io::Result<Bytes> {
        let (answered, _, bytes) = self.get(GetRange::Bounded(range.clone()))?;
        if answered != range {
            return Err(self.error(format!(
                "asked for bytes {}..{}, got {}..{}",
                range.start, range.end, answered.start, answered.end
            )));
        }
        Ok(bytes)
    }

    /// Keeps fetched bytes starting at block boundary `start` as blocks.
    fn keep(&self, start: u64, bytes: Bytes) {
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        insert_blocks(&mut blocks, start, bytes);
    }
}

fn insert_blocks(blocks: &mut HashMap<u64, Bytes>, start: u64, bytes: Bytes) {
    if blocks.len() + bytes.len() / BLOCK as usize > MAX_BLOCKS {
        blocks.clear();
    }
    let mut at = 0usize;
    while at < bytes.len() {
        let end = (at + BLOCK as usize).min(bytes.len());
        blocks.insert((start + at as u64) / BLOCK, bytes.slice(at..end));
        at = end;
    }
}

/// The runs of consecutive block indexes in `first..=last` not in `blocks`.
fn missing_runs(blocks: &HashMap<u64, Bytes>, first: u64, last: u64) -> Vec<Range<u64>> {
    let mut runs: Vec<Range<u64>> = Vec::new();
    for index in first..=last {
        if blocks.contains_key(&index) {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.end == index => run.end += 1,
            _ => runs.push(index..index + 1),
        }
    }
    runs
}

impl RangeRead for RemoteObject {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|end| *end <= self.len)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{} bytes at offset {offset} lie past the end", buf.len()),
                )
            })?;
        if buf.is_empty() {
            return Ok(());
        }
        if buf.len() > DIRECT_ABOVE {
            buf.copy_from_slice(&self.fetch(offset..end)?);
            return Ok(());
        }
        let (first, last) = (offset / BLOCK, (end - 1) / BLOCK);
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        let blocks_in_object = self.len.div_ceil(BLOCK);
        for mut run in missing_runs(&blocks, first, last) {
            while run.end < (run.start + READ_AHEAD).min(blocks_in_object)
                && !blocks.contains_key(&run.end)
            {
                run.end += 1;
            }
            let start = run.start * BLOCK;
            let bytes = self.fetch(start..(run.end * BLOCK).min(self.len))?;
            insert_blocks(&mut blocks, start, bytes);
        }
        let mut at = offset;
        while at < end {
            let index = at / BLOCK;
            let block = blocks
                .get(&index)
                .ok_or_else(|| self.error(format!("block {index} went missing")))?;
            let from = (at - index * BLOCK) as usize;
            let n = ((end - at) as usize).min(block.len().saturating_sub(from));
            if n == 0 {
                return Err(self.error(format!("block {index} is short")));
            }
            let done = (at - offset) as usize;
            buf[done..done + n].copy_from_slice(&block[from..from + n]);
            at += n as u64;
        }
        Ok(())
    }

    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.label)
    }

    fn sibling(&self, name: &str) -> Option<io::Result<Source>> {
        let opened = RemoteObject::open(
            self.store.clone(),
            self.location.sibling(name),
            None,
            self.runtime.clone(),
            // A shard's requests are its index's.
            (self.own.clone(), self.total.clone()),
        );
        Some(opened.map(Source::from_reader))
    }
}

/// An object store error as an I/O error, in words for a person.
pub(crate) fn io_error(e: object_store::Error) -> io::Error {
    use object_store::Error as E;
    let (kind, message) = match &e {
        E::NotFound { .. } => (io::ErrorKind::NotFound, "not found (HTTP 404)".to_string()),
        E::PermissionDenied { .. } => (
            io::ErrorKind::PermissionDenied,
            "access denied (HTTP 403)".to_string(),
        ),
        E::Unauthenticated { .. } => (
            io::ErrorKind::PermissionDenied,
            "not authenticated (HTTP 401): check the credentials in the environment".to_string(),
        ),
        E::NotSupported { .. } => (
            io::ErrorKind::Unsupported,
            "the server ignored Range and answered with the whole object (not read)".to_string(),
        ),
        other => {
            // The causes say what happened; the top-level message only which store.
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(inner) = cause {
                let inner_text = inner.to_string();
                if !text.contains(&inner_text) {
                    text = format!("{text}: {inner_text}");
                }
                cause = inner.source();
            }
            if text.contains("body error") || text.contains("IncompleteMessage") {
                text = format!("truncated response (the body ended early, after retries): {text}");
            }
            (io::ErrorKind::Other, text)
        }
    };
    io::Error::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    fn fixtures() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
    }

    /// Fixtures in an in-memory store, read through `RemoteObject` with and without a size
    /// from a listing: the analysis equals the local file's, in the planned number of
    /// requests (shards beside their index included).
    #[test]
    fn objects_read_like_local_files_in_few_requests() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let names = [
            "k3_conv.keras",
            "seed_lstm_4096.h5",
            "tfk_chunked_layer_names.h5",
            "k3_sharded.weights.json",
            "k3_sharded_00000.weights.h5",
            "k3_sharded_00001.weights.h5",
            "k3_sharded_00002.weights.h5",
        ];
        for name in names {
            let bytes = std::fs::read(fixtures().join(name)).unwrap();
            runtime
                .block_on(store.put(&object_store::path::Path::from(name), bytes.into()))
                .unwrap();
        }
        // (file, most requests without a size, most with one)
        let cases = [
            ("k3_conv.keras", 2, 1),
            ("seed_lstm_4096.h5", 3, 3),
            ("tfk_chunked_layer_names.h5", 2, 1),
            ("k3_sharded.weights.json", 4, 4),
        ];
        for (name, unsized_most, sized_most) in cases {
            let path = fixtures().join(name);
            let summary = |analysis: &kerascope::Analysis| {
                let built = kerascope::report::summary::build(analysis);
                kerascope::report::summary::to_json(name, analysis, &built)
            };
            let local = kerascope::analyze_path(&path, &kerascope::Options::default()).unwrap();
            let local = summary(&local);
            let size = std::fs::metadata(&path).unwrap().len();
            for (size, most) in [(None, unsized_most), (Some(size), sized_most)] {
                let own = Arc::new(Counters::default());
                let object = RemoteObject::open(
                    store.clone(),
                    Location::parse(&format!("s3://bucket/{name}")).unwrap(),
                    size,
                    runtime.handle().clone(),
                    (own.clone(), Arc::default()),
                )
                .unwrap();
                let remote =
                    kerascope::analyze_reader(object, &kerascope::Options::default()).unwrap();
                assert_eq!(summary(&remote), local, "{name}");
                assert!(
                    own.requests() <= most,
                    "{name} {size:?}: {}",
                    own.requests()
                );
            }
        }
        let missing = RemoteObject::open(
            store.clone(),
            Location::parse("s3://bucket/absent.keras").unwrap(),
            None,
            runtime.handle().clone(),
            (Arc::default(), Arc::default()),
        );
        let e = missing.err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert_eq!(e.to_string(), "not found (HTTP 404)");
    }

    #[test]
    fn a_read_fetches_each_missing_run_once() {
        let mut blocks = HashMap::new();
        assert_eq!(missing_runs(&blocks, 0, 3), vec![0..4]);
        insert_blocks(
            &mut blocks,
            BLOCK,
            Bytes::from(vec![0u8; 2 * BLOCK as usize]),
        );
        assert_eq!(missing_runs(&blocks, 0, 5), vec![0..1, 3..6]);
        assert_eq!(missing_runs(&blocks, 1, 2), Vec::<Range<u64>>::new());
    }

    #[test]
    fn the_last_block_may_be_short_and_the_cache_is_bounded() {
        let mut blocks = HashMap::new();
        insert_blocks(&mut blocks, 0, Bytes::from(vec![1u8; BLOCK as usize + 10]));
        assert_eq!(blocks[&1].len(), 10);
        for i in 0..MAX_BLOCKS as u64 + 10 {
            insert_blocks(
                &mut blocks,
                i * BLOCK,
                Bytes::from(vec![0u8; BLOCK as usize]),
            );
            assert!(blocks.len() <= MAX_BLOCKS);
        }
    }
}
