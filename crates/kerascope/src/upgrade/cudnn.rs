//! CuDNN weights converted to the standard layer's layout exactly as Keras 2 did when it
//! loaded them (`_convert_rnn_weights` of tf_keras' `hdf5_format.py`): each gate's input
//! kernel read back from Fortran order, each gate's recurrent kernel transposed, the LSTM's
//! two bias halves summed, the GRU's biases reshaped to `(2, 3·units)`.

use super::rewrite::Cudnn;

/// A stored weight: name below the layer group, shape, dtype, bytes.
pub type Weight = (String, Vec<u64>, String, Vec<u8>);

/// Converts a layer's weights, three by three (kernel, recurrent kernel, bias): one cell, or
/// the forward and backward cells of a Bidirectional.
pub fn convert(weights: Vec<Weight>, kind: Cudnn) -> Result<Vec<Weight>, String> {
    if weights.is_empty() || !weights.len().is_multiple_of(3) {
        return Err(format!(
            "{} weights: not the (kernel, recurrent kernel, bias) of CuDNN cells",
            weights.len()
        ));
    }
    let gates = match kind {
        Cudnn::Lstm => 4,
        Cudnn::Gru => 3,
    };
    let mut out = Vec::with_capacity(weights.len());
    let mut cells = weights.into_iter();
    while let (Some(kernel), Some(recurrent), Some(bias)) =
        (cells.next(), cells.next(), cells.next())
    {
        out.extend(convert_cell(kernel, recurrent, bias, gates, kind)?);
    }
    Ok(out)
}

fn floats(w: &Weight) -> Result<Vec<f32>, String> {
    if w.2 != "float32" {
        return Err(format!("{}: dtype {} (float32 expected)", w.0, w.2));
    }
    Ok(w.3
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn dims2(w: &Weight) -> Result<(usize, usize), String> {
    match w.1.as_slice() {
        [rows, cols] => Ok((
            usize::try_from(*rows).map_err(|_| "too large")?,
            usize::try_from(*cols).map_err(|_| "too large")?,
        )),
        other => Err(format!("{}: shape {other:?} (2-D expected)", w.0)),
    }
}

fn convert_cell(
    kernel: Weight,
    recurrent: Weight,
    bias: Weight,
    gates: usize,
    kind: Cudnn,
) -> Result<Vec<Weight>, String> {
    let (inputs, width) = dims2(&kernel)?;
    let (units, recurrent_width) = dims2(&recurrent)?;
    if width != gates * units || recurrent_width != width {
        return Err(format!(
            "{}: shapes do not fit {gates} gates of {units} units",
            kernel.0
        ));
    }
    let k = floats(&kernel)?;
    let r = floats(&recurrent)?;
    let b = floats(&bias)?;
    if k.len() != inputs * width || r.len() != units * width || b.len() != 2 * width {
        return Err(format!("{}: sizes do not fit a CuDNN cell", bias.0));
    }
    // Per gate block K (inputs × units): kernel.T.reshape(kernel.shape, order="F"), i.e. the
    // block's row-major values laid out column by column.
    let mut new_k = vec![0f32; k.len()];
    let mut new_r = vec![0f32; r.len()];
    for g in 0..gates {
        for i in 0..inputs {
            for j in 0..units {
                let flat = j * inputs + i;
                let (row, col) = (flat / units, flat % units);
                new_k[i * width + g * units + j] = k[row * width + g * units + col];
            }
        }
        for i in 0..units {
            for j in 0..units {
                new_r[i * width + g * units + j] = r[j * width + g * units + i];
            }
        }
    }
    let (new_b, bias_shape) = match kind {
        Cudnn::Lstm => (
            (0..width).map(|i| b[i] + b[width + i]).collect(),
            vec![width as u64],
        ),
        Cudnn::Gru => (b, vec![2, width as u64]),
    };
    Ok(vec![
        (kernel.0, kernel.1, kernel.2, bytes(&new_k)),
        (recurrent.0, recurrent.1, recurrent.2, bytes(&new_r)),
        (bias.0, bias_shape, bias.2, bytes(&new_b)),
    ])
}
