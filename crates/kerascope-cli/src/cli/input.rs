//! Inputs read whole: standard input and summary text, each under a limit, streamed so that
//! an endless producer (`yes |`) costs the limit and no more.

use std::io::Read;
use std::path::Path;

use kerascope::container::source::open_regular;

/// Reads at most `limit` bytes; more is an error naming `what` and the flag that bounds it.
fn read_bounded(reader: impl Read, limit: u64, what: &str, flag: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{what}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{what} is larger than {limit} bytes ({flag})"));
    }
    Ok(bytes)
}

/// Standard input, whole, up to `limit` bytes.
pub fn stdin(limit: u64, flag: &str) -> Result<Vec<u8>, String> {
    read_bounded(std::io::stdin().lock(), limit, "standard input", flag)
}

/// A file (regular files only: a FIFO or a device would block) or `-`, up to `limit` bytes.
pub fn file_or_stdin(path: &Path, limit: u64, flag: &str) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        return stdin(limit, flag);
    }
    let file = open_regular(path).map_err(|e| e.to_string())?;
    read_bounded(file, limit, "the file", flag)
}
