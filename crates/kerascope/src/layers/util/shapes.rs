//! Shape helpers shared by the rules.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Padding {
    Valid,
    Same,
    Causal,
    Full,
}

/// The last axis of the first input.
pub(crate) fn last_dim(inputs: &[Shape]) -> Dim {
    inputs.first().and_then(|s| s.last().copied().flatten())
}

/// A Keras axis (negative from the end) as an index into a shape of `rank` axes.
pub(crate) fn norm_axis(axis: i64, rank: usize) -> Option<usize> {
    let rank = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis + rank } else { axis };
    (0..rank).contains(&a).then_some(a as usize)
}

/// The spatial output size of a convolution or pooling window (FORMULAS §4).
pub(crate) fn conv_out(n: Dim, k: u64, stride: u64, dilation: u64, pad: Padding) -> R<Dim> {
    let Some(n) = n else { return Ok(None) };
    if stride == 0 {
        return Err(bad("strides", "must be at least 1"));
    }
    let k_eff = add(
        mul(k.saturating_sub(1), dilation.max(1), "kernel_size")?,
        1,
        "kernel_size",
    )?;
    let len = match pad {
        Padding::Valid => n.saturating_add(1).saturating_sub(k_eff),
        Padding::Same | Padding::Causal => n,
        Padding::Full => add(n, k_eff - 1, "input length")?,
    };
    Ok(Some(len.div_ceil(stride)))
}

/// The spatial output size of a transposed convolution (FORMULAS §4).
pub(crate) fn deconv_out(
    n: Dim,
    k: u64,
    stride: u64,
    dilation: u64,
    pad: Padding,
    output_padding: Option<u64>,
) -> R<Dim> {
    let Some(n) = n else { return Ok(None) };
    if stride == 0 {
        return Err(bad("strides", "must be at least 1"));
    }
    let k_eff = add(
        mul(k.saturating_sub(1), dilation.max(1), "kernel_size")?,
        1,
        "kernel_size",
    )?;
    let what = "output length";
    match output_padding {
        None => {
            let ns = mul(n, stride, what)?;
            Ok(Some(match pad {
                Padding::Valid => add(ns, k_eff.saturating_sub(stride), what)?,
                Padding::Same | Padding::Causal => ns,
                Padding::Full => ns.saturating_sub(stride.saturating_add(k_eff) - 2),
            }))
        }
        Some(p) => {
            let pad_amount = match pad {
                Padding::Valid => 0,
                Padding::Same | Padding::Causal => k_eff / 2,
                Padding::Full => k_eff - 1,
            };
            let base = add(mul(n.saturating_sub(1), stride, what)?, k_eff, what)?;
            Ok(Some(
                add(base, p, what)?.saturating_sub(mul(2, pad_amount, what)?),
            ))
        }
    }
}

/// A known shape (every dim known), as weight dims.
pub(crate) fn known(dims: &[Dim]) -> Option<Vec<u64>> {
    dims.iter().copied().collect()
}
