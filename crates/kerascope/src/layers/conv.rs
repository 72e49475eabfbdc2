//! Convolutions (FORMULAS §2.4–2.8, §3, §4): Conv1D/2D/3D (groups, channels_first),
//! transposed, depthwise, separable, LocallyConnected1D/2D (implementation 1, 2, 3), and the
//! Keras 1 classes (Convolution*, AtrousConvolution*, Deconvolution2D,
//! SeparableConvolution2D) with their `th` / `tf` kernel layouts and `W` / `b` names.
//!
//! Keras 3 LoRA on Conv1D/2D/3D (`lora_rank`) lists `lora_kernel_a` (kernel[:-1] + (r,)) and
//! `lora_kernel_b` (r, filters) as `count_params()` counts them; files store only the merged
//! kernel and the bias.

use serde_json::json;

use super::probe::{formats, kernel, spatial_rank, with_channels};
use super::util::{
    Cfg, Compute, Computed, Padding, R, bad, conv_out, deconv_out, layer_rule, mul, n, prod, sum,
};
use super::{Dialect, Dim, LayerCfg, PrintedLayer, Probe, Shape};
use crate::layers::util::Expr;
use crate::text::shape_text;

/// The parts of a conv config every class shares.
struct ConvCfg {
    rank: usize,
    kernel: Vec<u64>,
    strides: Vec<u64>,
    dilation: Vec<u64>,
    padding: Padding,
    channels_first: bool,
    use_bias: bool,
}

fn rank_of(class: &str) -> usize {
    if class.contains("3D") {
        3
    } else if class.contains("2D") {
        2
    } else {
        1
    }
}

fn read_conv(c: &Cfg, rank: usize) -> R<ConvCfg> {
    let kernel = c
        .tuple(&["kernel_size"], rank)?
        .ok_or_else(|| bad("kernel_size", "missing"))?;
    let strides = c
        .tuple(&["strides"], rank)?
        .unwrap_or_else(|| vec![1; rank]);
    if strides.contains(&0) {
        return Err(bad("strides", "must be at least 1"));
    }
    let dilation = c
        .tuple(&["dilation_rate"], rank)?
        .unwrap_or_else(|| vec![1; rank]);
    Ok(ConvCfg {
        rank,
        kernel,
        strides,
        dilation,
        padding: c.padding()?,
        channels_first: c.channels_first()?,
        use_bias: c.flag(&["use_bias"], true)?,
    })
}

/// The input seen by a convolution of `rank` spatial axes: batch, spatial dims, channels.
/// `None` when the shape is unknown or has the wrong rank.
struct Geometry {
    batch: Dim,
    spatial: Vec<Dim>,
    channels: Dim,
}

fn geometry(inputs: &[Shape], rank: usize, channels_first: bool) -> Option<Geometry> {
    let shape = inputs.first()?;
    if shape.len() != rank + 2 {
        return None;
    }
    let (channels, spatial) = if channels_first {
        (shape[1], shape[2..].to_vec())
    } else {
        (shape[rank + 1], shape[1..=rank].to_vec())
    };
    Some(Geometry {
        batch: shape[0],
        spatial,
        channels,
    })
}

fn assemble(batch: Dim, spatial: Vec<Dim>, channels: Dim, channels_first: bool) -> Shape {
    let mut out = vec![batch];
    if channels_first {
        out.push(channels);
        out.extend(spatial);
    } else {
        out.extend(spatial);
        out.push(channels);
    }
    out
}

fn conv_spatial(g: &Geometry, cc: &ConvCfg) -> R<Vec<Dim>> {
    (0..cc.rank)
        .map(|i| {
            conv_out(
                g.spatial[i],
                cc.kernel[i],
                cc.strides[i],
                cc.dilation[i],
                cc.padding,
            )
        })
        .collect()
}

fn with_kernel(k: &[u64], tail: &[u64]) -> Vec<u64> {
    k.iter().chain(tail).copied().collect()
}

fn k_expr(k: &[u64]) -> Vec<Expr> {
    k.iter().map(|&x| n(x)).collect()
}

// ------------------------------------------------------------------------------------------------
// Conv1D/2D/3D, transposed, Keras 1 Convolution*/AtrousConvolution*/Deconvolution2D

pub struct ConvRule;
layer_rule!(ConvRule);

impl Compute for ConvRule {
    fn renamed_classes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("Convolution1D", "Conv1D"),
            ("Convolution2D", "Conv2D"),
            ("Convolution3D", "Conv3D"),
            ("Deconvolution2D", "Conv2DTranspose"),
            ("AtrousConvolution2D", "Conv2D"),
            ("AtrousConvolution1D", "Conv1D"),
        ]
    }

    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let (class, out, input) = (row.class_name, row.output, row.input);
        let rank = spatial_rank(class).ok_or("the rank of the convolution is not in its name")?;
        let transposed = class.contains("Transpose") || class.starts_with("Deconvolution");
        let mut list = Vec::new();
        for (axis, format) in formats(rank, out.len()) {
            let Some(filters) = out[axis] else { continue };
            let channels = input.filter(|i| i.len() == out.len()).and_then(|i| i[axis]);
            let groups: Vec<u64> = match channels {
                Some(c) if !transposed => (1..=c.min(64))
                    .filter(|g| c % g == 0 && filters % g == 0)
                    .collect(),
                _ => vec![1],
            };
            for g in groups {
                for bias in [true, false] {
                    let mut label = format!("{class}({filters}, data_format={format}");
                    if g > 1 {
                        label.push_str(&format!(", groups={g}"));
                    }
                    if !bias {
                        label.push_str(", use_bias=False");
                    }
                    label.push(')');
                    let len = out.len();
                    let (unknown, c) = match channels {
                        Some(c) => ("a kernel of", c),
                        None => ("kernel elements × input channels", 1),
                    };
                    list.push(
                        Probe::solving(class, label, unknown, move |x| {
                            let config = json!({
                                "filters": filters, "kernel_size": kernel(rank, x),
                                "padding": "same", "data_format": format, "use_bias": bias,
                                "groups": g,
                            });
                            (config, with_channels(len, axis, c))
                        })
                        .rare(g > 1),
                    );
                }
            }
        }
        if list.is_empty() {
            return Err(format!(
                "the output shape {} does not fit a {rank}-D convolution",
                shape_text(std::slice::from_ref(out))
            ));
        }
        Ok(list)
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "Conv1D",
            "Conv2D",
            "Conv3D",
            "Convolution1D",
            "Convolution2D",
            "Convolution3D",
            "AtrousConvolution1D",
            "AtrousConvolution2D",
            "Conv1DTranspose",
            "Conv2DTranspose",
            "Conv3DTranspose",
            "Convolution1DTranspose",
            "Convolution2DTranspose",
            "Convolution3DTranspose",
            "Deconvolution2D",
            "Deconvolution3D",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let class = layer.class_name;
        let c = Cfg::new(layer.config);
        let rank = rank_of(class);
        let transposed = class.contains("Transpose") || class.starts_with("Deconvolution");
        let cc = read_conv(&c, rank)?;
        let filters = c.positive(&["filters"])?;
        let groups = c.positive_or(&["groups"], 1)?;
        if super::dense::quantization(&c)?.is_some() {
            // Quantized convolutions store other tensors; no verified layout to expect.
            return Err(bad("dtype", "quantized convolutions are not supported"));
        }
        let keras1 = layer.dialect == Dialect::Keras1;
        let g = geometry(inputs, rank, cc.channels_first);
        let c_in = g.as_ref().and_then(|g| g.channels);
        if !transposed && groups > 1 {
            if filters % groups != 0 {
                return Err(bad(
                    "groups",
                    format!("{groups} does not divide filters {filters}"),
                ));
            }
            if let Some(ci) = c_in
                && ci % groups != 0
            {
                return Err(bad(
                    "groups",
                    format!("{groups} does not divide the {ci} input channels"),
                ));
            }
        }
        let per_group = if transposed {
            c_in
        } else {
            c_in.map(|ci| ci / groups)
        };
        let k = &cc.kernel;
        let kernel: Option<Vec<u64>> = per_group.map(|ci| {
            if keras1 {
                // FORMULAS §3: Convolution1D is 4-D; `th` puts filters and channels first.
                match (rank, cc.channels_first) {
                    (1, _) => vec![k[0], 1, ci, filters],
                    (_, true) => [filters, ci].iter().chain(k).copied().collect(),
                    (_, false) => with_kernel(k, &[ci, filters]),
                }
            } else if transposed {
                with_kernel(k, &[filters, ci])
            } else {
                with_kernel(k, &[ci, filters])
            }
        });
        let (kernel_name, bias_name) = if keras1 {
            ("W", "b")
        } else {
            ("kernel", "bias")
        };
        let mut out = Computed::new();
        out.w(kernel_name, kernel.clone(), true);
        if cc.use_bias {
            out.w(bias_name, Some(vec![filters]), true);
        }
        if let Some(ci) = per_group {
            let mut factors = k_expr(k);
            factors.push(n(ci));
            factors.push(n(filters));
            let mut terms = vec![prod(factors)];
            if cc.use_bias {
                terms.push(n(filters));
            }
            out.expr = Some(sum(terms));
        }
        // Keras 3 LoRA on convolutions: A = kernel[:-1] + (r,), B = (r, filters).
        if let Some(r) = c.opt_count(&["lora_rank"])?.filter(|&r| r > 0) {
            if let Some(w) = out.weights.first_mut() {
                w.trainable = false;
            }
            let a = kernel
                .as_ref()
                .map(|kk| kk[..kk.len() - 1].iter().copied().chain([r]).collect());
            out.w("lora_kernel_a", a, true);
            out.w("lora_kernel_b", Some(vec![r, filters]), true);
            out.expr = None;
        }
        if let Some(g) = &g {
            let spatial = if transposed {
                match c.get(&["output_shape"]).filter(|_| keras1) {
                    // Keras 1 Deconvolution2D states its full output shape.
                    Some((_, serde_json::Value::Array(items))) if items.len() == rank + 2 => {
                        out.outputs
                            .push(items.iter().map(super::util::as_count).collect());
                        return Ok(out);
                    }
                    _ => {
                        let op = c.tuple(&["output_padding"], rank)?;
                        (0..rank)
                            .map(|i| {
                                deconv_out(
                                    g.spatial[i],
                                    k[i],
                                    cc.strides[i],
                                    cc.dilation[i],
                                    cc.padding,
                                    op.as_ref().map(|p| p[i]),
                                )
                            })
                            .collect::<R<Vec<_>>>()?
                    }
                }
            } else {
                conv_spatial(g, &cc)?
            };
            out.outputs
                .push(assemble(g.batch, spatial, Some(filters), cc.channels_first));
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// DepthwiseConv1D/2D

pub struct DepthwiseRule;
layer_rule!(DepthwiseRule);

impl Compute for DepthwiseRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let (class, out, input) = (row.class_name, row.output, row.input);
        let rank = spatial_rank(class).ok_or("the rank is not in the class name")?;
        let mut list = Vec::new();
        for (axis, format) in formats(rank, out.len()) {
            let Some(width) = out[axis] else { continue };
            // kernel · input channels · depth multiplier = kernel · output channels: the
            // input's channels only split the width, they do not change the count.
            let (channels, multiplier) =
                match input.filter(|i| i.len() == out.len()).and_then(|i| i[axis]) {
                    Some(c) if c > 0 && width % c == 0 => (c, width / c),
                    _ => (width, 1),
                };
            for bias in [true, false] {
                let label = format!(
                    "{class}(depth_multiplier={multiplier}, data_format={format}{})",
                    if bias { "" } else { ", use_bias=False" }
                );
                let len = out.len();
                list.push(Probe::solving(class, label, "a kernel of", move |x| {
                    let config = json!({
                        "kernel_size": kernel(rank, x), "depth_multiplier": multiplier,
                        "padding": "same", "data_format": format, "use_bias": bias,
                    });
                    (config, with_channels(len, axis, channels))
                }));
            }
        }
        Ok(list)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["DepthwiseConv1D", "DepthwiseConv2D"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let rank = rank_of(layer.class_name);
        let cc = read_conv(&c, rank)?;
        let dm = c.positive_or(&["depth_multiplier"], 1)?;
        let g = geometry(inputs, rank, cc.channels_first);
        let c_in = g.as_ref().and_then(|g| g.channels);
        let c_out = c_in
            .map(|ci| mul(ci, dm, "depthwise channels"))
            .transpose()?;
        // FORMATS §5.2: `kernel` in Keras 3, `depthwise_kernel` before.
        let kernel_name = if layer.dialect == Dialect::Keras3 {
            "kernel"
        } else {
            "depthwise_kernel"
        };
        let mut out = Computed::new();
        out.w(
            kernel_name,
            c_in.map(|ci| with_kernel(&cc.kernel, &[ci, dm])),
            true,
        );
        if cc.use_bias {
            out.w("bias", c_out.map(|co| vec![co]), true);
        }
        if let (Some(ci), Some(co)) = (c_in, c_out) {
            let mut factors = k_expr(&cc.kernel);
            factors.extend([n(ci), n(dm)]);
            let mut terms = vec![prod(factors)];
            if cc.use_bias {
                terms.push(n(co));
            }
            out.expr = Some(sum(terms));
        }
        if let Some(g) = &g {
            out.outputs.push(assemble(
                g.batch,
                conv_spatial(g, &cc)?,
                c_out,
                cc.channels_first,
            ));
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// SeparableConv1D/2D, Keras 1 SeparableConvolution2D

pub struct SeparableRule;
layer_rule!(SeparableRule);

impl Compute for SeparableRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let (class, out, input) = (row.class_name, row.output, row.input);
        let rank = spatial_rank(class).ok_or("the rank is not in the class name")?;
        let mut list = Vec::new();
        for (axis, format) in formats(rank, out.len()) {
            let (Some(filters), Some(channels)) = (
                out[axis],
                input.filter(|i| i.len() == out.len()).and_then(|i| i[axis]),
            ) else {
                continue;
            };
            for multiplier in 1..=8u64 {
                for bias in [true, false] {
                    let label = format!(
                        "{class}({filters}, depth_multiplier={multiplier}, data_format={format}{})",
                        if bias { "" } else { ", use_bias=False" }
                    );
                    let len = out.len();
                    list.push(Probe::solving(class, label, "a kernel of", move |x| {
                        let config = json!({
                            "filters": filters, "kernel_size": kernel(rank, x),
                            "depth_multiplier": multiplier, "padding": "same",
                            "data_format": format, "use_bias": bias,
                        });
                        (config, with_channels(len, axis, channels))
                    }));
                }
            }
        }
        if list.is_empty() {
            return Err("the input's channels are not shown".into());
        }
        Ok(list)
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "SeparableConv1D",
            "SeparableConv2D",
            "SeparableConvolution1D",
            "SeparableConvolution2D",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let rank = rank_of(layer.class_name);
        let cc = read_conv(&c, rank)?;
        let filters = c.positive(&["filters"])?;
        let dm = c.positive_or(&["depth_multiplier"], 1)?;
        let keras1 = layer.dialect == Dialect::Keras1;
        let g = geometry(inputs, rank, cc.channels_first);
        let c_in = g.as_ref().and_then(|g| g.channels);
        let mid = c_in
            .map(|ci| mul(ci, dm, "separable channels"))
            .transpose()?;
        let ones = vec![1u64; rank];
        let th = keras1 && cc.channels_first;
        // FORMULAS §2.7: Keras 1 `th` stores (dm, C_in, k...) and (filters, C_in·dm, 1...).
        let depthwise = c_in.map(|ci| {
            if th {
                [dm, ci].iter().chain(&cc.kernel).copied().collect()
            } else {
                with_kernel(&cc.kernel, &[ci, dm])
            }
        });
        let pointwise = mid.map(|m| {
            if th {
                [filters, m].iter().chain(&ones).copied().collect()
            } else {
                with_kernel(&ones, &[m, filters])
            }
        });
        let mut out = Computed::new();
        out.w("depthwise_kernel", depthwise, true);
        out.w("pointwise_kernel", pointwise, true);
        if cc.use_bias {
            out.w(if keras1 { "b" } else { "bias" }, Some(vec![filters]), true);
        }
        if let (Some(ci), Some(m)) = (c_in, mid) {
            let mut factors = k_expr(&cc.kernel);
            factors.extend([n(ci), n(dm)]);
            let mut terms = vec![prod(factors), prod(vec![n(m), n(filters)])];
            if cc.use_bias {
                terms.push(n(filters));
            }
            out.expr = Some(sum(terms));
        }
        if let Some(g) = &g {
            out.outputs.push(assemble(
                g.batch,
                conv_spatial(g, &cc)?,
                Some(filters),
                cc.channels_first,
            ));
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// LocallyConnected1D/2D

pub struct LocallyConnectedRule;
layer_rule!(LocallyConnectedRule);

/// How many output positions a locally connected layer may enumerate one by one when it
/// counts the connections of `implementation: 3` with `same` padding.
const MAX_ENUMERATED_POSITIONS: u64 = 1 << 20;

/// Number of (input position, output position) pairs along one axis: tf.keras
/// `conv_connected_inputs` (a window of `k` centred per `padding`, clipped to the input).
fn connections(n_in: u64, n_out: u64, k: u64, s: u64, pad: Padding) -> R<u64> {
    if pad == Padding::Valid {
        return mul(n_out, k, "connections");
    }
    let left = k / 2;
    let right = k - left;
    let span = |o: u64| -> u64 {
        let center = o.saturating_mul(s);
        let start = center.saturating_sub(left);
        let end = n_in.min(center.saturating_add(right));
        end.saturating_sub(start)
    };
    // Away from both edges a window holds all k inputs; only k+1 positions at each end can be
    // clipped.
    let edge = k.saturating_add(1).min(n_out);
    if edge.saturating_mul(2) > MAX_ENUMERATED_POSITIONS {
        return Err(bad("kernel_size", "too large to count the connections"));
    }
    let mut total = 0u64;
    let mut counted = 0u64;
    for o in (0..edge).chain(n_out.saturating_sub(edge).max(edge)..n_out) {
        total = super::util::add(total, span(o), "connections")?;
        counted += 1;
    }
    let middle = n_out - counted;
    super::util::add(total, mul(middle, k, "connections")?, "connections")
}

impl Compute for LocallyConnectedRule {
    fn classes(&self) -> &'static [&'static str] {
        &["LocallyConnected1D", "LocallyConnected2D"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let rank = rank_of(layer.class_name);
        let cc = read_conv(&c, rank)?;
        let filters = c.positive(&["filters"])?;
        let implementation = c.count_or(&["implementation"], 1)?;
        if !(1..=3).contains(&implementation) {
            return Err(bad("implementation", "must be 1, 2 or 3"));
        }
        let keras1 = layer.dialect == Dialect::Keras1;
        let cf = cc.channels_first;
        let g = geometry(inputs, rank, cf);
        let spatial_out: Option<Vec<Dim>> = g.as_ref().map(|g| conv_spatial(g, &cc)).transpose()?;
        let known_in: Option<Vec<u64>> =
            g.as_ref().and_then(|g| g.spatial.iter().copied().collect());
        let known_out: Option<Vec<u64>> = spatial_out
            .as_ref()
            .and_then(|s| s.iter().copied().collect());
        let c_in = g.as_ref().and_then(|g| g.channels);
        let what = "locally connected kernel";

        let (kernel, expr_kernel): (Option<Vec<u64>>, Option<Expr>) =
            match (&known_in, &known_out, c_in) {
                (Some(sin), Some(sout), Some(ci)) => {
                    let positions = super::util::product(sout, what)?;
                    let window = super::util::product(&cc.kernel, what)?;
                    match implementation {
                        1 => {
                            let fan_in = mul(window, ci, what)?;
                            let mut factors: Vec<Expr> = sout.iter().map(|&d| n(d)).collect();
                            factors.extend(k_expr(&cc.kernel));
                            factors.extend([n(ci), n(filters)]);
                            (Some(vec![positions, fan_in, filters]), Some(prod(factors)))
                        }
                        2 => {
                            let shape: Vec<u64> = if cf {
                                [ci].iter()
                                    .chain(sin)
                                    .chain(&[filters])
                                    .chain(sout)
                                    .copied()
                                    .collect()
                            } else {
                                sin.iter()
                                    .chain(&[ci])
                                    .chain(sout)
                                    .chain(&[filters])
                                    .copied()
                                    .collect()
                            };
                            let e = prod(shape.iter().map(|&d| n(d)).collect());
                            (Some(shape), Some(e))
                        }
                        _ => {
                            let mut total = mul(ci, filters, what)?;
                            for i in 0..rank {
                                let conn = connections(
                                    sin[i],
                                    sout[i],
                                    cc.kernel[i],
                                    cc.strides[i],
                                    cc.padding,
                                )?;
                                total = mul(total, conn, what)?;
                            }
                            (Some(vec![total]), None)
                        }
                    }
                }
                _ => (None, None),
            };
        let (kernel_name, bias_name) = if keras1 {
            ("W", "b")
        } else {
            ("kernel", "bias")
        };
        let bias: Option<Vec<u64>> = known_out
            .as_ref()
            .map(|s| s.iter().copied().chain([filters]).collect());
        let mut out = Computed::new();
        out.w(kernel_name, kernel.clone(), true);
        if cc.use_bias {
            out.w(bias_name, bias.clone(), true);
        }
        if let (Some(k), Some(b)) = (&kernel, &bias) {
            let mut terms = vec![expr_kernel.unwrap_or_else(|| super::util::dims(k))];
            if cc.use_bias {
                terms.push(super::util::dims(b));
            }
            out.expr = Some(sum(terms));
        }
        if let (Some(g), Some(sout)) = (&g, spatial_out) {
            out.outputs.push(assemble(g.batch, sout, Some(filters), cf));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, s};
    use crate::layers::{LayerRule, RuleOutput};
    use serde_json::{Value, json};

    fn run(
        rule: &dyn LayerRule,
        class: &str,
        dialect: Dialect,
        config: Value,
        input: Shape,
    ) -> RuleOutput {
        apply(rule, dialect, class, &config, &[input])
    }

    #[test]
    fn conv_examples() {
        // FORMULAS §2.4.
        let o = run(
            &ConvRule,
            "Conv2D",
            Dialect::Keras3,
            json!({"filters": 32, "kernel_size": 3, "groups": 4}),
            s(&[32, 32, 16]),
        );
        assert_eq!(o.derivation.as_deref(), Some("3·3·4·32 + 32 = 1,184"));
        let o = run(
            &ConvRule,
            "Conv2D",
            Dialect::Keras3,
            json!({"filters": 16, "kernel_size": 3, "data_format": "channels_first"}),
            s(&[3, 32, 32]),
        );
        assert_eq!(o.derivation.as_deref(), Some("3·3·3·16 + 16 = 448"));
        assert_eq!(o.output_shapes, vec![s(&[16, 30, 30])]);
        let o = run(
            &ConvRule,
            "Conv3DTranspose",
            Dialect::Keras3,
            json!({"filters": 4, "kernel_size": 2, "use_bias": false}),
            s(&[4, 4, 4, 3]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![2, 2, 2, 4, 3]));
        assert_eq!(o.derivation.as_deref(), Some("2·2·2·3·4 = 96"));
    }

    #[test]
    fn keras1_layouts() {
        // FORMULAS §3: Convolution1D kernels are 4-D; `th` puts filters first.
        let o = run(
            &ConvRule,
            "Convolution1D",
            Dialect::Keras1,
            json!({"nb_filter": 8, "filter_length": 3}),
            s(&[20, 4]),
        );
        assert_eq!(o.weights[0].name, "W");
        assert_eq!(o.weights[0].shape, Some(vec![3, 1, 4, 8]));
        // Keras 1 1-D convolutions read (batch, steps, channels) whatever `th` says.
        let o = run(
            &ConvRule,
            "Convolution1D",
            Dialect::Keras1,
            json!({"nb_filter": 8, "filter_length": 3, "dim_ordering": "th"}),
            s(&[20, 4]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![3, 1, 4, 8]));
        assert_eq!(o.output_shapes, vec![s(&[18, 8])]);
        assert_eq!(o.weights[1].name, "b");
        let o = run(
            &ConvRule,
            "Convolution2D",
            Dialect::Keras1,
            json!({"nb_filter": 5, "nb_row": 3, "nb_col": 3, "dim_ordering": "th"}),
            s(&[3, 10, 10]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![5, 3, 3, 3]));
        assert_eq!(o.output_shapes, vec![s(&[5, 8, 8])]);
        let o = run(
            &ConvRule,
            "Convolution2D",
            Dialect::Keras1,
            json!({"filters": 5, "kernel_size": [3, 3], "padding": "full"}),
            s(&[10, 10, 3]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![3, 3, 3, 5]));
        assert_eq!(o.output_shapes, vec![s(&[12, 12, 5])]);
        let o = run(
            &SeparableRule,
            "SeparableConvolution2D",
            Dialect::Keras1,
            json!({"filters": 10, "kernel_size": 3, "depth_multiplier": 2, "data_format": "channels_first"}),
            s(&[4, 16, 16]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![2, 4, 3, 3]));
        assert_eq!(o.weights[1].shape, Some(vec![10, 8, 1, 1]));
        assert_eq!(o.weights[2].name, "b");
        assert_eq!(o.derivation.as_deref(), Some("3·3·4·2 + 8·10 + 10 = 162"));
    }

    #[test]
    fn depthwise_kernel_name_by_dialect() {
        // FORMATS §5.2 / FORMULAS §2.6: 9·4·3 + 12 = 120.
        let cfg = json!({"kernel_size": 3, "depth_multiplier": 3});
        let o = run(
            &DepthwiseRule,
            "DepthwiseConv2D",
            Dialect::Keras3,
            cfg.clone(),
            s(&[16, 16, 4]),
        );
        assert_eq!(o.weights[0].name, "kernel");
        assert_eq!(o.derivation.as_deref(), Some("3·3·4·3 + 12 = 120"));
        let o = run(
            &DepthwiseRule,
            "DepthwiseConv2D",
            Dialect::TfKeras,
            cfg,
            s(&[16, 16, 4]),
        );
        assert_eq!(o.weights[0].name, "depthwise_kernel");
    }

    #[test]
    fn locally_connected_implementations() {
        // FORMULAS §2.8: LC1D(4, 3) on (None, 10, 2): 224; impl 2: 672; impl 3: 224.
        for (implementation, total) in [(1, 224u64), (2, 672), (3, 224)] {
            let o = run(
                &LocallyConnectedRule,
                "LocallyConnected1D",
                Dialect::TfKeras,
                json!({"filters": 4, "kernel_size": 3, "implementation": implementation}),
                s(&[10, 2]),
            );
            let got: u64 = o
                .weights
                .iter()
                .map(|w| w.shape.as_ref().unwrap().iter().product::<u64>())
                .sum();
            assert_eq!(got, total, "implementation {implementation}");
        }
        // Same padding, implementation 3: windows clipped at both edges.
        assert_eq!(
            connections(5, 5, 3, 1, Padding::Same).unwrap(),
            2 + 3 + 3 + 3 + 2
        );
        assert_eq!(connections(10, 8, 3, 1, Padding::Valid).unwrap(), 24);
        assert!(connections(1 << 40, 1 << 40, 1 << 40, 1, Padding::Same).is_err());
    }

    #[test]
    fn group_mismatch_and_zero_stride_are_errors() {
        for cfg in [
            json!({"filters": 6, "kernel_size": 3, "groups": 4}),
            json!({"filters": 8, "kernel_size": 3, "groups": 3}),
            json!({"filters": 8, "kernel_size": 3, "strides": 0}),
            json!({"filters": 8}),
            json!({"filters": 8, "kernel_size": [1, 2, 3]}),
        ] {
            let r = ConvRule.apply(
                LayerCfg {
                    class_name: "Conv2D",
                    config: &cfg,
                    dialect: Dialect::Keras3,
                },
                &[s(&[8, 8, 16])],
            );
            assert!(r.is_err(), "{cfg}");
        }
    }
}
