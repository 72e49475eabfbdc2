//! Opt-in data checks (`check --deep`, D1xx): the only place kerascope reads tensor values.
//! Each tensor is streamed block by block through positioned reads, so memory stays flat
//! whatever the size of the weights.

use std::path::{Path, PathBuf};

use super::{Finding, RuleDoc, Severity};
use crate::container::hdf5::DataLocation;
use crate::container::source::Source;
use crate::format::{KerasFile, Tensor, TensorRole};

super::findings! {
    /// D101 `nan-or-inf`: a weight tensor holds NaN or infinite values.
    NAN_OR_INF = RuleDoc {
        code: "D101",
        name: "nan-or-inf",
        severity: Severity::Error,
        summary: "A weight tensor holds NaN or infinite values.",
        why: "The model's outputs are NaN or infinite wherever those weights are used: training diverged, or the file was damaged.",
        example: "dense: kernel holds 12 NaN and 0 infinite values of 100,352",
        cves: &[],
    };

    /// D102 `all-zero`: a kernel, embedding or scale tensor is entirely zeros.
    ALL_ZERO = RuleDoc {
        code: "D102",
        name: "all-zero",
        severity: Severity::Warning,
        summary: "A kernel, embedding or scale tensor is entirely zeros (biases and running means are not flagged).",
        why: "The layer outputs nothing but its bias: the model was saved untrained, or its weights were wiped.",
        example: "lstm: kernel (4096, 1024) is all zeros",
        cves: &[],
    };

    /// D103 `dtype-oddity`: a weight stored in an unusual dtype.
    DTYPE_ODDITY = RuleDoc {
        code: "D103",
        name: "dtype-oddity",
        severity: Severity::Info,
        summary: "A weight stored in an unusual dtype (float64, strings, compound types).",
        why: "Keras casts it on load; twice the memory for float64, or a file not written by Keras.",
        example: "dense: kernel is float64",
        cves: &[],
    };

    /// D104 `data-not-checked`: tensors whose values the deep check could not read.
    NOT_READ = RuleDoc {
        code: "D104",
        name: "data-not-checked",
        severity: Severity::Info,
        summary: "Tensors whose data the deep check does not read (chunked or filtered layouts, weights in .npz).",
        why: "Their values were not checked for NaN, infinities or zeros.",
        example: "3 chunked tensors (1,234,567 values) not checked",
        cves: &[],
    };
}

/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

/// Weights that are legitimately all zeros (freshly initialised biases and statistics).
fn zero_is_normal(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("bias")
        || name == "b"
        || name.starts_with("b_")
        || name.contains("beta")
        || name.contains("mean")
        || name.contains("count")
        || name.contains("zero")
        || name.starts_with("vars/")
}

/// Float formats whose values can be NaN or infinite: (element size, exponent mask check).
#[derive(Clone, Copy)]
enum FloatKind {
    F16,
    BF16,
    F32,
    F64,
}

fn float_kind(dtype: &str) -> Option<(FloatKind, bool)> {
    let big_endian = dtype.starts_with('>');
    let kind = match dtype.trim_start_matches(['<', '>', '|']) {
        "float16" => FloatKind::F16,
        "bfloat16" => FloatKind::BF16,
        "float32" => FloatKind::F32,
        "float64" => FloatKind::F64,
        _ => return None,
    };
    Some((kind, big_endian))
}

#[derive(Default)]
struct Stats {
    values: u64,
    nan: u64,
    inf: u64,
    nonzero: bool,
}

impl Stats {
    fn feed(&mut self, bytes: &[u8], float: Option<(FloatKind, bool)>) {
        if !self.nonzero && bytes.iter().any(|&b| b != 0) {
            self.nonzero = true;
        }
        let Some((kind, big)) = float else { return };
        let size = match kind {
            FloatKind::F16 | FloatKind::BF16 => 2,
            FloatKind::F32 => 4,
            FloatKind::F64 => 8,
        };
        for chunk in bytes.chunks_exact(size) {
            self.values += 1;
            // Exponent all ones: infinite when the mantissa is zero, NaN otherwise.
            let (exp_all_ones, mantissa_zero) = match kind {
                FloatKind::F16 => {
                    let v = read_u16(chunk, big);
                    (v & 0x7C00 == 0x7C00, v & 0x03FF == 0)
                }
                FloatKind::BF16 => {
                    let v = read_u16(chunk, big);
                    (v & 0x7F80 == 0x7F80, v & 0x007F == 0)
                }
                FloatKind::F32 => {
                    let v = f32::from_bits(read_u32(chunk, big));
                    (!v.is_finite(), v.is_infinite())
                }
                FloatKind::F64 => {
                    let bytes: [u8; 8] = chunk.try_into().unwrap_or([0; 8]);
                    let v = if big {
                        f64::from_be_bytes(bytes)
                    } else {
                        f64::from_le_bytes(bytes)
                    };
                    (!v.is_finite(), v.is_infinite())
                }
            };
            if exp_all_ones {
                if mantissa_zero {
                    self.inf += 1;
                } else {
                    self.nan += 1;
                }
            }
        }
    }
}

fn read_u16(chunk: &[u8], big: bool) -> u16 {
    let b = [chunk[0], chunk[1]];
    if big {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

fn read_u32(chunk: &[u8], big: bool) -> u32 {
    let b = [chunk[0], chunk[1], chunk[2], chunk[3]];
    if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// The file holding a tensor's container: the analysed file, or a shard beside it.
fn container_path(path: &Path, tensor: &Tensor) -> PathBuf {
    match tensor.path.split_once(':') {
        Some((shard, _)) if shard.ends_with(".h5") && !shard.contains(['/', '\\']) => {
            path.parent().unwrap_or(Path::new(".")).join(shard)
        }
        _ => path.to_path_buf(),
    }
}

/// Reads every layer tensor's values and reports NaN, infinities, all-zero kernels and odd
/// dtypes. `path` is the file `file` was read from.
pub fn check(path: &Path, file: &KerasFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut skipped = (0usize, 0u64);
    let mut open: Option<(PathBuf, Source)> = None;
    for t in file.tensors_of(TensorRole::Layer) {
        let label = if t.owner.is_empty() {
            t.name.clone()
        } else {
            format!("{}/{}", t.owner, t.name)
        };
        let layer = t.layer.as_deref();
        let dtype = t.dtype.trim_start_matches(['<', '>', '|']);
        if dtype == "float64" || dtype == "object" || dtype == "compound" || dtype.starts_with('S')
        {
            findings.push(Finding::new(
                &DTYPE_ODDITY,
                layer,
                format!("{label} is {}", t.dtype),
            ));
        }
        let float = float_kind(&t.dtype);
        let mut stats = Stats::default();
        match &t.location {
            DataLocation::Compact(bytes) => stats.feed(bytes, float),
            DataLocation::Unwritten => {}
            DataLocation::Contiguous { offset, size } => {
                let where_ = container_path(path, t);
                if open.as_ref().is_none_or(|(p, _)| *p != where_) {
                    match Source::open_ranged(&where_) {
                        Ok(f) => open = Some((where_.clone(), f)),
                        Err(_) => {
                            skipped.0 += 1;
                            skipped.1 = skipped.1.saturating_add(t.elements().unwrap_or(0));
                            continue;
                        }
                    }
                }
                let Some((_, handle)) = &open else { continue };
                let mut done = 0u64;
                while done < *size {
                    // A tensor running past the end of the file is read up to the end.
                    let at = offset.saturating_add(done);
                    let left = handle.len().saturating_sub(at).min(*size - done);
                    let want = usize::try_from(left.min(BLOCK as u64)).unwrap_or(BLOCK);
                    if want == 0 {
                        break;
                    }
                    let Ok(bytes) = handle.read_at(at, want) else {
                        break;
                    };
                    // Keep element boundaries: BLOCK is a multiple of every element size.
                    stats.feed(&bytes, float);
                    done += want as u64;
                }
            }
            DataLocation::Chunked | DataLocation::Unknown => {
                skipped.0 += 1;
                skipped.1 = skipped.1.saturating_add(t.elements().unwrap_or(0));
                continue;
            }
        }
        if stats.nan > 0 || stats.inf > 0 {
            findings.push(Finding::new(
                &NAN_OR_INF,
                layer,
                format!(
                    "{label} holds {} NaN and {} infinite values of {}",
                    crate::text::thousands(stats.nan),
                    crate::text::thousands(stats.inf),
                    crate::text::thousands(stats.values)
                ),
            ));
        }
        if !stats.nonzero && t.elements().unwrap_or(0) > 1 && !zero_is_normal(&t.name) {
            findings.push(Finding::new(
                &ALL_ZERO,
                layer,
                format!("{label} {} is all zeros", crate::text::tuple(&t.shape)),
            ));
        }
    }
    if skipped.0 > 0 {
        findings.push(Finding::new(
            &NOT_READ,
            None,
            format!(
                "{} tensors ({} values) not checked: chunked layout, or their file could not be opened",
                skipped.0,
                crate::text::thousands(skipped.1)
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinity_are_told_apart_in_every_float_format() {
        let mut s = Stats::default();
        let values: Vec<u8> = [f32::NAN, f32::INFINITY, 1.0, f32::NEG_INFINITY]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        s.feed(&values, float_kind("float32"));
        assert_eq!((s.values, s.nan, s.inf), (4, 1, 2));
        let mut h = Stats::default();
        // float16: 0x7C00 = inf, 0x7E00 = NaN, 0x3C00 = 1.0
        h.feed(&[0x00, 0x7C, 0x00, 0x7E, 0x00, 0x3C], float_kind("float16"));
        assert_eq!((h.nan, h.inf), (1, 1));
        let mut b = Stats::default();
        // bfloat16, big endian: 0x7F80 = inf, 0x7FC0 = NaN
        b.feed(&[0x7F, 0x80, 0x7F, 0xC0], float_kind(">bfloat16"));
        assert_eq!((b.nan, b.inf), (1, 1));
    }
}
