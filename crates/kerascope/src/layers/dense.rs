//! Dense, EinsumDense, Embedding, ReversibleEmbedding and the Keras 1 dense family (Highway,
//! MaxoutDense, TimeDistributedDense) — FORMULAS §2.1–2.3, §2.17, §2.18, §3.
//!
//! Keras 3 quantized layers (dtype policy `mode` int8 / int4 / float8) list the tensors Keras
//! stores and counts (§2.17). LoRA (`lora_rank`) adds `lora_kernel_a` / `lora_kernel_b`
//! (`lora_embeddings_a` / `_b` for Embedding) and freezes the kernel: the weights listed are
//! what `count_params()` counts, but **files store only the merged kernel and the bias**
//! (FORMATS §5.2), so the LoRA factors never appear in a file.

use serde_json::{Value, json};

use super::probe::{last, quantization_policies, settings_not_shown, width_not_shown};
use super::util::{
    Cfg, Compute, Computed, Expr, R, bad, dims, known, last_dim, layer_rule, n, prod, sum,
};
use super::{Dialect, Dim, LayerCfg, PrintedLayer, Probe, Shape};

// ------------------------------------------------------------------------------------------------
// Quantization (Keras 3 dtype policies)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuantMode {
    Int8,
    Int4,
    Float8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quant {
    pub mode: QuantMode,
    /// float8: length of each `*_amax_history` (default 1024).
    pub amax_history: u64,
    /// int4: rows per quantization group (`None`: one scale per output channel).
    pub block_size: Option<u64>,
}

/// Default int4 group size of Keras 3.15 when the config does not say (sub-channel scales
/// with one group for inputs up to 128 rows: verified_cases.json, quantized Dense int4).
const INT4_DEFAULT_BLOCK: u64 = 128;

/// The quantization a layer's config declares through its `dtype` policy
/// (`QuantizedDTypePolicy` / `QuantizedFloat8DTypePolicy` with `mode`, or a policy name like
/// `int8_from_float32`), `None` for a float layer.
pub(crate) fn quantization(c: &Cfg) -> R<Option<Quant>> {
    let Some((_, dtype)) = c.get(&["dtype"]) else {
        return Ok(None);
    };
    let policy_config = dtype.get("config").filter(|v| v.is_object());
    let pc = policy_config.map(Cfg::new);
    let mode = match dtype {
        Value::String(name) => mode_from_name(name),
        _ => {
            let from_mode = match &pc {
                Some(pc) => pc.text(&["mode"]).ok().flatten().map(str::to_string),
                None => None,
            };
            let from_name = pc
                .as_ref()
                .and_then(|pc| pc.text(&["name"]).ok().flatten())
                .and_then(mode_from_name);
            from_mode.or(from_name)
        }
    };
    let Some(mode) = mode else { return Ok(None) };
    let mode = match mode.as_str() {
        "int8" => QuantMode::Int8,
        "int4" => QuantMode::Int4,
        "float8" => QuantMode::Float8,
        other => {
            return Err(bad(
                "dtype",
                format!("quantization mode `{other}` is not supported"),
            ));
        }
    };
    let amax_history = match &pc {
        Some(pc) => pc.count_or(&["amax_history_length"], 1024)?,
        None => 1024,
    };
    let block_size = int4_block_size(c, pc.as_ref())?;
    Ok(Some(Quant {
        mode,
        amax_history,
        block_size,
    }))
}

fn mode_from_name(name: &str) -> Option<String> {
    let (mode, _) = name.split_once("_from_")?;
    Some(mode.to_string())
}

/// `block_size` from `quantization_config.config` or the dtype policy config; explicit
/// `null` or `-1` mean per-channel scales.
fn int4_block_size(c: &Cfg, policy: Option<&Cfg>) -> R<Option<u64>> {
    let from_qc = c
        .get(&["quantization_config"])
        .and_then(|(_, q)| q.get("config"))
        .and_then(|q| q.get("block_size"));
    let raw = from_qc.or_else(|| policy.and_then(|p| p.get(&["block_size"]).map(|(_, v)| v)));
    match raw {
        None => Ok(Some(INT4_DEFAULT_BLOCK)),
        Some(Value::Null) => Ok(None),
        Some(v) => match super::util::as_int(v) {
            Some(b) if b <= 0 => Ok(None),
            Some(b) => Ok(Some(b as u64)),
            None => Err(bad("block_size", "expected an integer")),
        },
    }
}

fn lora_rank(c: &Cfg) -> R<Option<u64>> {
    Ok(c.opt_count(&["lora_rank"])?.filter(|&r| r > 0))
}

// ------------------------------------------------------------------------------------------------
// Dense

pub struct DenseRule;
layer_rule!(DenseRule);

impl Compute for DenseRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        let units = last(row.output).ok_or_else(|| width_not_shown(row.output))?;
        let width = row.input.and_then(last);
        let mut list = Vec::new();
        // Solving for the input size too, a quantized layout fits almost any count.
        for (policy_label, policy) in quantization_policies(row.keras3 && width.is_some()) {
            for bias in [true, false] {
                let label = format!(
                    "Dense({units}{}{policy_label})",
                    if bias { "" } else { ", use_bias=False" }
                );
                let mut config = json!({"units": units, "use_bias": bias});
                if let Some(p) = &policy {
                    config["dtype"] = p.clone();
                }
                let rare = policy.is_some();
                list.push(
                    match width {
                        Some(d) => Probe::known(class, label, config, vec![None, Some(d)]),
                        None => Probe::solving(class, label, "an input of size", move |x| {
                            (config.clone(), vec![None, Some(x)])
                        }),
                    }
                    .rare(rare),
                );
            }
        }
        Ok(list)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["Dense"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let units = c.positive(&["units"])?;
        let use_bias = c.flag(&["use_bias"], true)?;
        let keras1 = layer.dialect == Dialect::Keras1;
        let d = match last_dim(inputs) {
            Some(d) => Some(d),
            // The width the layer was built on, as a Keras 1 config records it.
            None => c.opt_count(&["input_dim"])?,
        };
        let quant = quantization(&c)?;
        let lora = lora_rank(&c)?;
        let (kernel_name, bias_name) = if keras1 {
            ("W", "b")
        } else {
            ("kernel", "bias")
        };

        let mut out = Computed::new();
        let kernel = d.map(|d| vec![d, units]);
        match quant {
            None => {
                out.w(kernel_name, kernel, lora.is_none());
                if use_bias {
                    out.w(bias_name, Some(vec![units]), true);
                }
            }
            Some(q) => quantized_dense(&mut out, q, d, units, use_bias)?,
        }
        if let Some(r) = lora {
            out.w("lora_kernel_a", d.map(|d| vec![d, r]), true);
            out.w("lora_kernel_b", Some(vec![r, units]), true);
        }
        if let (Some(d), None) = (d, quant) {
            // (d+1)·u, or d·u without bias; LoRA adds d·r + r·u.
            let mut terms = vec![if use_bias {
                prod(vec![sum(vec![n(d), n(1)]), n(units)])
            } else {
                prod(vec![n(d), n(units)])
            }];
            if let Some(r) = lora {
                terms.push(prod(vec![n(d), n(r)]));
                terms.push(prod(vec![n(r), n(units)]));
            }
            out.expr = Some(sum(terms));
        }
        if let Some(shape) = inputs.first().filter(|s| !s.is_empty()) {
            let mut o = shape.clone();
            if let Some(last) = o.last_mut() {
                *last = Some(units);
            }
            out.outputs.push(o);
        }
        Ok(out)
    }
}

/// Keras 3 quantized Dense, in `save_own_variables` order (FORMATS §5.2).
fn quantized_dense(out: &mut Computed, q: Quant, d: Dim, units: u64, use_bias: bool) -> R<()> {
    match q.mode {
        QuantMode::Int8 => {
            out.w("kernel", d.map(|d| vec![d, units]), false);
            if use_bias {
                out.w("bias", Some(vec![units]), true);
            }
            out.w("kernel_scale", Some(vec![units]), false);
        }
        QuantMode::Int4 => {
            // Two 4-bit values per int8 element, packed along the output axis.
            out.w("kernel", d.map(|d| vec![d, units.div_ceil(2)]), false);
            if use_bias {
                out.w("bias", Some(vec![units]), true);
            }
            match q.block_size {
                Some(block) => {
                    let groups = d.map(|d| d.div_ceil(block));
                    out.w("kernel_scale", groups.map(|g| vec![g, units]), false);
                    out.w("kernel_zero", groups.map(|g| vec![g, units]), false);
                    out.w("g_idx", d.map(|d| vec![d]), false);
                }
                None => out.w("kernel_scale", Some(vec![units]), false),
            }
        }
        QuantMode::Float8 => {
            out.w("kernel", d.map(|d| vec![d, units]), true);
            if use_bias {
                out.w("bias", Some(vec![units]), true);
            }
            float8_scales(out, q.amax_history);
        }
    }
    Ok(())
}

/// The six float8 scaling variables (all trainable: Keras overwrites them with gradients).
fn float8_scales(out: &mut Computed, history: u64) {
    for prefix in ["inputs", "kernel", "outputs_grad"] {
        out.w(&format!("{prefix}_scale"), Some(vec![]), true);
        out.w(&format!("{prefix}_amax_history"), Some(vec![history]), true);
    }
}

// ------------------------------------------------------------------------------------------------
// EinsumDense

pub struct EinsumDenseRule;
layer_rule!(EinsumDenseRule);

impl Compute for EinsumDenseRule {
    fn classes(&self) -> &'static [&'static str] {
        &["EinsumDense"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        einsum_dense(layer.config, inputs.first())
    }
}

/// A parsed einsum equation `<in>,<w>-><out>` with its elision.
struct Equation {
    input: Vec<char>,
    weight: Vec<char>,
    output: Vec<char>,
    elision: Elision,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Elision {
    None,
    Left,
    Right,
}

fn parse_equation(text: &str) -> R<Equation> {
    let wrong = || {
        bad(
            "equation",
            format!("`{text}` is not of the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac..."),
        )
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, output) = compact.split_once("->").ok_or_else(wrong)?;
    let (input, weight) = lhs.split_once(',').ok_or_else(wrong)?;
    let (elision, input, output) =
        if let (Some(i), Some(o)) = (input.strip_prefix("..."), output.strip_prefix("...")) {
            (Elision::Left, i, o)
        } else if let (Some(i), Some(o)) = (input.strip_suffix("..."), output.strip_suffix("...")) {
            (Elision::Right, i, o)
        } else {
            (Elision::None, input, output)
        };
    let letters = |s: &str| -> R<Vec<char>> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(wrong());
        }
        Ok(s.chars().collect())
    };
    let eq = Equation {
        input: letters(input)?,
        weight: letters(weight)?,
        output: letters(output)?,
        elision,
    };
    if elision == Elision::Right && eq.input.len() < 2 {
        return Err(wrong());
    }
    Ok(eq)
}

/// EinsumDense weights and output shape (FORMULAS §2.2), also used for MultiHeadAttention's
/// projections. `config` holds `equation`, `output_shape`, `bias_axes` (and maybe `dtype`,
/// `lora_rank`).
pub(crate) fn einsum_dense(config: &Value, input: Option<&Shape>) -> R<Computed> {
    let c = Cfg::new(config);
    let equation = c
        .text(&["equation"])?
        .ok_or_else(|| bad("equation", "missing"))?;
    let eq = parse_equation(equation)?;
    let bias_axes: Vec<char> = c.text(&["bias_axes"])?.unwrap_or("").chars().collect();
    for ch in &bias_axes {
        if !eq.output.contains(ch) {
            return Err(bad(
                "bias_axes",
                format!("`{ch}` is not in the output spec of `{equation}`"),
            ));
        }
    }
    for ch in &eq.weight {
        if !eq.input.contains(ch) && !eq.output.contains(ch) {
            return Err(bad(
                "equation",
                format!("weight axis `{ch}` is neither in the input nor in the output"),
            ));
        }
    }
    let partial: Vec<Dim> = match c.get(&["output_shape"]) {
        None => return Err(bad("output_shape", "missing")),
        Some((_, Value::Array(items))) => items
            .iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                other => super::util::as_count(other)
                    .map(Some)
                    .ok_or_else(|| bad("output_shape", "expected integers or nulls")),
            })
            .collect::<R<_>>()?,
        Some((_, v)) => vec![Some(
            super::util::as_count(v).ok_or_else(|| bad("output_shape", "expected an integer"))?,
        )],
    };
    let quant = quantization(&c)?;
    let lora = lora_rank(&c)?;

    let analysed = match input.filter(|s| !s.is_empty()) {
        Some(shape) => Some(analyse(&eq, shape, &partial, &bias_axes)?),
        None => None,
    };
    let kernel: Option<Vec<u64>> = analysed.as_ref().and_then(|a| known(&a.kernel));
    let bias: Option<Vec<u64>> = analysed
        .as_ref()
        .and_then(|a| a.bias.as_ref())
        .and_then(|b| known(b));
    let has_bias = !bias_axes.is_empty();

    let mut out = Computed::new();
    match quant {
        None => {
            out.w("kernel", kernel.clone(), lora.is_none());
            if has_bias {
                out.w("bias", bias.clone(), true);
            }
            if let (Some(k), true) = (&kernel, bias.is_some() || !has_bias) {
                let mut terms = vec![dims(k)];
                if let Some(b) = &bias {
                    terms.push(dims(b));
                }
                out.expr = Some(sum(terms));
            }
        }
        Some(q) => {
            let spec = analysed.as_ref().map(|a| a.full_specs(&eq));
            match q.mode {
                QuantMode::Int8 => {
                    out.w("kernel", kernel.clone(), false);
                    if has_bias {
                        out.w("bias", bias.clone(), true);
                    }
                    let scale = match (&kernel, &spec) {
                        (Some(k), Some((i, w, o))) => Some(int8_kernel_scale_shape(i, w, o, k)?),
                        _ => None,
                    };
                    out.w("kernel_scale", scale, false);
                }
                QuantMode::Int4 => {
                    // The kernel flattened to [rows = reduced axes, columns = the rest] and
                    // packed along the columns.
                    let rows_cols = match &kernel {
                        None => None,
                        Some(k) => {
                            let (mut rows, mut cols) = (1u64, 1u64);
                            for (i, &d) in k.iter().enumerate() {
                                let reduced = !eq.output.contains(&eq.weight[i]);
                                let slot = if reduced { &mut rows } else { &mut cols };
                                *slot = super::util::mul(*slot, d, "kernel")?;
                            }
                            Some((rows, cols))
                        }
                    };
                    out.w(
                        "kernel",
                        rows_cols.map(|(r, c)| vec![r, c.div_ceil(2)]),
                        false,
                    );
                    if has_bias {
                        out.w("bias", bias.clone(), true);
                    }
                    match q.block_size {
                        Some(block) => {
                            let scale = rows_cols.map(|(r, c)| vec![r.div_ceil(block), c]);
                            out.w("kernel_scale", scale.clone(), false);
                            out.w("kernel_zero", scale, false);
                            out.w("g_idx", rows_cols.map(|(r, _)| vec![r]), false);
                        }
                        None => out.w("kernel_scale", rows_cols.map(|(_, c)| vec![c]), false),
                    }
                }
                QuantMode::Float8 => {
                    out.w("kernel", kernel.clone(), true);
                    if has_bias {
                        out.w("bias", bias.clone(), true);
                    }
                    float8_scales(&mut out, q.amax_history);
                }
            }
        }
    }
    if let Some(r) = lora {
        let a = kernel.as_ref().and_then(|k| {
            let (last, rest) = k.split_last()?;
            let _ = last;
            Some(rest.iter().copied().chain([r]).collect::<Vec<_>>())
        });
        let b = kernel.as_ref().and_then(|k| k.last().map(|&l| vec![r, l]));
        out.w("lora_kernel_a", a, true);
        out.w("lora_kernel_b", b, true);
        out.expr = None;
    }
    if let Some(a) = analysed {
        out.outputs.push(a.full_output);
    }
    Ok(out)
}

struct Analysed {
    kernel: Vec<Dim>,
    bias: Option<Vec<Dim>>,
    full_output: Shape,
    /// Number of input axes covered by the ellipsis (batch included for a left ellipsis).
    elided: usize,
}

/// Keras' `_analyze_split_string`: kernel and bias shapes and the full output shape.
fn analyse(eq: &Equation, input: &Shape, partial: &[Dim], bias_axes: &[char]) -> R<Analysed> {
    let rank = input.len();
    let elided = rank.checked_sub(eq.input.len()).ok_or_else(|| {
        bad(
            "equation",
            format!("the input has {rank} axes, fewer than the equation names"),
        )
    })?;
    if elided > 0 && eq.elision == Elision::None {
        return Err(bad(
            "equation",
            format!(
                "the input has {rank} axes but the equation names {}",
                eq.input.len()
            ),
        ));
    }
    if eq.elision == Elision::Left && elided == 0 {
        return Err(bad("equation", "the ellipsis covers no input axis"));
    }
    // Full output: [batch] + (left-elided dims) + output_shape + (right-elided dims). Keras
    // inserts left-elided dims one by one at position 1 (reversing them); the tensor itself
    // keeps the input order, which is what is written here.
    let mut full: Vec<Dim> = vec![input[0]];
    if eq.elision == Elision::Left {
        full.extend(input[1..elided].iter().copied());
    }
    full.extend(partial.iter().copied());
    if eq.elision == Elision::Right {
        full.extend(input[rank - elided..].iter().copied());
    }
    let offset = if eq.elision == Elision::Left {
        elided
    } else {
        0
    };
    let in_index = |ch: char| eq.input.iter().position(|&c| c == ch).map(|i| i + offset);
    let out_index = |ch: char| eq.output.iter().position(|&c| c == ch).map(|i| i + offset);
    let right = if eq.elision == Elision::Right {
        elided
    } else {
        0
    };
    if eq.output.len() + offset + right != full.len() {
        return Err(bad(
            "output_shape",
            format!(
                "{} dims for an output spec of {} letters",
                partial.len(),
                eq.output.len()
            ),
        ));
    }
    // A null output dim shared with the input is the input's dim.
    for (i, &ch) in eq.output.iter().enumerate() {
        if full[i + offset].is_none()
            && let Some(j) = in_index(ch)
        {
            full[i + offset] = input[j];
        }
    }
    let kernel: Vec<Dim> = eq
        .weight
        .iter()
        .map(|&ch| match (in_index(ch), out_index(ch)) {
            (Some(i), _) => input[i],
            (None, Some(o)) => full[o],
            (None, None) => None,
        })
        .collect();
    let bias = (!bias_axes.is_empty()).then(|| bias_shape(eq, &full, offset, elided, bias_axes));
    Ok(Analysed {
        kernel,
        bias,
        full_output: full,
        elided,
    })
}

impl Analysed {
    /// Input, weight and output specs with the elided axes given letters (Keras'
    /// `_analyze_quantization_info.get_specs`).
    fn full_specs(&self, eq: &Equation) -> (Vec<char>, Vec<char>, Vec<char>) {
        let used: Vec<char> = eq
            .input
            .iter()
            .chain(&eq.weight)
            .chain(&eq.output)
            .copied()
            .collect();
        let mut spare = ('A'..='Z')
            .chain('a'..='z')
            .filter(|c| !used.contains(c))
            .collect::<Vec<_>>()
            .into_iter();
        let (mut input, mut output) = (eq.input.clone(), eq.output.clone());
        for _ in 0..self.elided {
            let ch = spare.next().unwrap_or('?');
            match eq.elision {
                Elision::Left => {
                    input.insert(0, ch);
                    output.insert(0, ch);
                }
                Elision::Right => {
                    input.push(ch);
                    output.push(ch);
                }
                Elision::None => {}
            }
        }
        (input, eq.weight.clone(), output)
    }
}

/// Bias shape (Keras `_analyze_split_string`): the output spec from the first bias letter on;
/// a bias letter gives its output dim, any other letter 1; one more 1 per right-elided axis.
fn bias_shape(
    eq: &Equation,
    full: &[Dim],
    offset: usize,
    elided: usize,
    axes: &[char],
) -> Vec<Dim> {
    let first = eq
        .output
        .iter()
        .position(|c| axes.contains(c))
        .unwrap_or(eq.output.len());
    let mut shape: Vec<Dim> = eq.output[first..]
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            if axes.contains(ch) {
                full.get(first + i + offset).copied().flatten()
            } else {
                Some(1)
            }
        })
        .collect();
    if eq.elision != Elision::Left {
        shape.extend(std::iter::repeat_n(Some(1), elided));
    }
    shape
}

/// Python `list.insert` index semantics.
fn py_insert<T>(list: &mut Vec<T>, index: i64, value: T) {
    let len = list.len() as i64;
    let at = if index < 0 {
        (index + len).max(0)
    } else {
        index.min(len)
    };
    list.insert(at as usize, value);
}

/// Shape of an int8 EinsumDense `kernel_scale` (Keras `_analyze_quantization_info` and
/// `_get_kernel_scale_shape`, per-channel): the kernel shape with reduced axes set to 1,
/// transposed to the output order, with 1s inserted for output axes the kernel lacks.
fn int8_kernel_scale_shape(
    input: &[char],
    weight: &[char],
    output: &[char],
    kernel: &[u64],
) -> R<Vec<u64>> {
    let find = |s: &[char], ch: char| s.iter().position(|&c| c == ch).map_or(-1, |i| i as i64);
    // Python's loop variable `index` leaks from one loop into the next; keep it the same way.
    let mut index: i64 = 0;
    let mut input_reduced = Vec::new();
    for (i, &l) in input.iter().enumerate() {
        index = find(output, l);
        if index == -1 {
            input_reduced.push(i as i64);
        }
    }
    let mut weight_reduced = Vec::new();
    for (i, &l) in weight.iter().enumerate() {
        index = find(output, l);
        if index == -1 {
            weight_reduced.push(i as i64);
        }
    }
    let mut input_expand = Vec::new();
    let mut weight_expand = Vec::new();
    let mut input_transpose = Vec::new();
    let mut weight_transpose = Vec::new();
    for (i, &l) in output.iter().enumerate() {
        if find(input, l) == -1 {
            input_expand.push(i as i64);
        }
        if find(weight, l) == -1 {
            weight_expand.push(i as i64);
        }
    }
    for &l in output {
        let (ii, wi) = (find(input, l), find(weight, l));
        if ii != -1 {
            input_transpose.push(ii);
        }
        if wi != -1 {
            weight_transpose.push(wi);
        }
    }
    for &ori in &input_reduced {
        if input_expand.is_empty() {
        } else {
            index = input_expand.remove(0);
        }
        py_insert(&mut input_transpose, index, ori);
    }
    let mut weight_squeeze = Vec::new();
    for &ori in &weight_reduced {
        if weight_expand.is_empty() {
            weight_squeeze.push(ori);
        } else {
            index = weight_expand.remove(0);
        }
        py_insert(&mut weight_transpose, index, ori);
    }
    let mut scale: Vec<u64> = kernel.to_vec();
    for &r in &weight_reduced {
        if let Some(d) = scale.get_mut(r as usize) {
            *d = 1;
        }
    }
    let mut shape: Vec<u64> = weight_transpose
        .iter()
        .map(|&t| {
            scale
                .get(t as usize)
                .copied()
                .ok_or_else(|| bad("equation", "cannot place the int8 kernel scale"))
        })
        .collect::<R<_>>()?;
    weight_expand.sort_unstable();
    for &a in &weight_expand {
        py_insert(&mut shape, a, 1);
    }
    weight_squeeze.sort_unstable();
    for &a in weight_squeeze.iter().rev() {
        if (a as usize) < shape.len() {
            shape.remove(a as usize);
        }
    }
    Ok(shape)
}

// ------------------------------------------------------------------------------------------------
// Embedding, ReversibleEmbedding

pub struct EmbeddingRule;
layer_rule!(EmbeddingRule);

impl Compute for EmbeddingRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        if class != "Embedding" {
            return Err(settings_not_shown(class));
        }
        let width = last(row.output).ok_or_else(|| width_not_shown(row.output))?;
        Ok(quantization_policies(row.keras3)
            .into_iter()
            .map(|(policy_label, policy)| {
                let rare = policy.is_some();
                let mut config = json!({"output_dim": width});
                if let Some(p) = policy {
                    config["dtype"] = p;
                }
                Probe::solving(
                    class,
                    format!("Embedding(?, {width}{policy_label})"),
                    "a vocabulary of",
                    move |x| {
                        let mut config = config.clone();
                        config["input_dim"] = json!(x);
                        (config, vec![None, None])
                    },
                )
                .rare(rare)
            })
            .collect())
    }

    fn classes(&self) -> &'static [&'static str] {
        &["Embedding", "ReversibleEmbedding"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let vocab = c.count(&["input_dim"])?;
        let width = c.count(&["output_dim"])?;
        let reversible = layer.class_name == "ReversibleEmbedding";
        let untied = reversible && !c.flag(&["tie_weights"], true)?;
        let quant = quantization(&c)?;
        let lora = lora_rank(&c)?;
        let name = if layer.dialect == Dialect::Keras1 {
            "W"
        } else {
            "embeddings"
        };
        let mut out = Computed::new();
        match quant {
            None => {
                out.w(name, Some(vec![vocab, width]), lora.is_none());
                if untied {
                    out.w("reverse_embeddings", Some(vec![width, vocab]), true);
                }
                let mut terms = vec![prod(vec![n(vocab), n(width)])];
                if untied {
                    terms.push(prod(vec![n(width), n(vocab)]));
                }
                if let Some(r) = lora {
                    terms.push(prod(vec![n(vocab), n(r)]));
                    terms.push(prod(vec![n(r), n(width)]));
                }
                out.expr = Some(sum(terms));
            }
            Some(_) if reversible => {
                return Err(bad(
                    "dtype",
                    "quantized ReversibleEmbedding is not supported",
                ));
            }
            Some(q) => match q.mode {
                QuantMode::Int8 => {
                    out.w("embeddings", Some(vec![vocab, width]), false);
                    out.w("embeddings_scale", Some(vec![vocab]), false);
                }
                // 📖 packed like Dense, along the output axis; one scale per row.
                QuantMode::Int4 => {
                    out.w("embeddings", Some(vec![vocab, width.div_ceil(2)]), false);
                    out.w("embeddings_scale", Some(vec![vocab]), false);
                }
                QuantMode::Float8 => {
                    return Err(bad("dtype", "Embedding has no float8 quantization"));
                }
            },
        }
        if let Some(r) = lora {
            out.w("lora_embeddings_a", Some(vec![vocab, r]), true);
            out.w("lora_embeddings_b", Some(vec![r, width]), true);
        }
        match inputs.first().filter(|s| !s.is_empty()) {
            Some(shape) => {
                let mut o = shape.clone();
                o.push(Some(width));
                out.outputs.push(o);
            }
            None => {
                if let Some(len) = c.opt_count(&["input_length"])? {
                    out.outputs.push(vec![None, Some(len), Some(width)]);
                }
            }
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Keras 1: Highway, MaxoutDense, TimeDistributedDense (FORMULAS §3, 📖)

pub struct Keras1DenseRule;
layer_rule!(Keras1DenseRule);

impl Compute for Keras1DenseRule {
    fn classes(&self) -> &'static [&'static str] {
        &["Highway", "MaxoutDense", "TimeDistributedDense"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let use_bias = c.flag(&["use_bias"], true)?;
        let d = last_dim(inputs).or(c.opt_count(&["input_dim"])?);
        let shape = inputs.first().filter(|s| !s.is_empty());
        let mut out = Computed::new();
        match layer.class_name {
            "Highway" => {
                out.w("W", d.map(|d| vec![d, d]), true);
                out.w("W_carry", d.map(|d| vec![d, d]), true);
                if use_bias {
                    out.w("b", d.map(|d| vec![d]), true);
                    out.w("b_carry", d.map(|d| vec![d]), true);
                }
                if let Some(d) = d {
                    let inner = if use_bias {
                        sum(vec![Expr::Sq(d), n(d)])
                    } else {
                        Expr::Sq(d)
                    };
                    out.expr = Some(prod(vec![n(2), inner]));
                }
                if let Some(s) = shape {
                    out.outputs.push(s.clone());
                }
            }
            "MaxoutDense" => {
                let units = c.positive(&["units"])?;
                let features = c.positive_or(&["nb_feature"], 4)?;
                out.w("W", d.map(|d| vec![features, d, units]), true);
                if use_bias {
                    out.w("b", Some(vec![features, units]), true);
                }
                if let Some(d) = d {
                    let per = if use_bias {
                        prod(vec![sum(vec![n(d), n(1)]), n(units)])
                    } else {
                        prod(vec![n(d), n(units)])
                    };
                    out.expr = Some(prod(vec![n(features), per]));
                }
                if let Some(s) = shape {
                    out.outputs.push(vec![s[0], Some(units)]);
                }
            }
            _ => {
                let units = c.positive(&["units"])?;
                out.w("W", d.map(|d| vec![d, units]), true);
                if use_bias {
                    out.w("b", Some(vec![units]), true);
                }
                if let Some(d) = d {
                    out.expr = Some(if use_bias {
                        prod(vec![sum(vec![n(d), n(1)]), n(units)])
                    } else {
                        prod(vec![n(d), n(units)])
                    });
                }
                if let Some(s) = shape {
                    let mut o = s.clone();
                    if let Some(last) = o.last_mut() {
                        *last = Some(units);
                    }
                    out.outputs.push(o);
                }
            }
        }
        Ok(out)
    }
}

/// A serialized EinsumDense config for a MultiHeadAttention projection.
pub(crate) fn einsum_config(
    equation: &str,
    output_shape: Vec<Dim>,
    bias_axes: Option<&str>,
    dtype: Option<&Value>,
) -> Value {
    let mut v = json!({
        "equation": equation,
        "output_shape": output_shape,
        "bias_axes": bias_axes,
    });
    if let (Some(dtype), Some(map)) = (dtype, v.as_object_mut()) {
        map.insert("dtype".to_string(), dtype.clone());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing;
    use crate::layers::{LayerRule, RuleOutput};

    fn apply(rule: &dyn LayerRule, class: &str, config: Value, input: Shape) -> RuleOutput {
        testing::apply(rule, Dialect::Keras3, class, &config, &[input])
    }

    fn shapes(o: &RuleOutput) -> Vec<(String, Vec<u64>)> {
        o.weights
            .iter()
            .map(|w| (w.name.clone(), w.shape.clone().unwrap()))
            .collect()
    }

    #[test]
    fn dense_examples_from_the_brief() {
        let o = apply(
            &DenseRule,
            "Dense",
            json!({"units": 128}),
            vec![None, Some(784)],
        );
        assert_eq!(o.derivation.as_deref(), Some("(784+1)·128 = 100,480"));
        let o = apply(
            &DenseRule,
            "Dense",
            json!({"units": 128, "use_bias": false}),
            vec![None, Some(784)],
        );
        assert_eq!(o.derivation.as_deref(), Some("784·128 = 100,352"));
        assert_eq!(o.output_shapes, vec![vec![None, Some(128)]]);
    }

    #[test]
    fn dense_without_input_shape_still_names_its_weights() {
        let config = json!({"units": 3});
        let o = DenseRule
            .apply(
                LayerCfg {
                    class_name: "Dense",
                    config: &config,
                    dialect: Dialect::Keras3,
                },
                &[],
            )
            .unwrap();
        let names: Vec<_> = o.weights.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["kernel", "bias"]);
        assert_eq!(o.weights[0].shape, None);
        assert_eq!(o.weights[1].shape, Some(vec![3]));
        assert_eq!(o.derivation, None);
        assert!(o.output_shapes.is_empty());
    }

    #[test]
    fn dense_lora_counts_the_factors() {
        // FORMULAS §2.18: Dense(8) on 16, r=2 → 184 (56 trainable).
        let o = apply(
            &DenseRule,
            "Dense",
            json!({"units": 8, "lora_rank": 2}),
            vec![None, Some(16)],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("(16+1)·8 + 16·2 + 2·8 = 184 (128 non-trainable)")
        );
    }

    #[test]
    fn dense_quantized_int8_int4_float8() {
        // FORMULAS §2.17: Dense(8) on 16 inputs → 144 / 104 / 3,211.
        let policy = |mode: &str| {
            json!({"units": 8, "dtype": {"module": "keras", "class_name": "QuantizedDTypePolicy",
                "config": {"mode": mode, "source_name": "float32"}}})
        };
        let total = |o: &RuleOutput| -> u64 {
            o.weights
                .iter()
                .map(|w| w.shape.as_ref().unwrap().iter().product::<u64>())
                .sum()
        };
        let o = apply(&DenseRule, "Dense", policy("int8"), vec![None, Some(16)]);
        assert_eq!(total(&o), 144);
        assert_eq!(
            shapes(&o),
            [
                ("kernel".into(), vec![16, 8]),
                ("bias".into(), vec![8]),
                ("kernel_scale".into(), vec![8])
            ]
        );
        let o = apply(&DenseRule, "Dense", policy("int4"), vec![None, Some(16)]);
        assert_eq!(total(&o), 104);
        let o = apply(&DenseRule, "Dense", policy("float8"), vec![None, Some(16)]);
        assert_eq!(total(&o), 3211);
        let by_name = apply(
            &DenseRule,
            "Dense",
            json!({"units": 8, "dtype": "int8_from_float32"}),
            vec![None, Some(16)],
        );
        assert_eq!(total(&by_name), 144);
    }

    #[test]
    fn einsum_examples() {
        // FORMULAS §2.2.
        let cases = [
            (
                json!({"equation": "ab,bc->ac", "output_shape": 64, "bias_axes": "c"}),
                vec![None, Some(32)],
                2112,
            ),
            (
                json!({"equation": "abc,cde->abde", "output_shape": [null, 4, 8], "bias_axes": "de"}),
                vec![None, Some(10), Some(32)],
                1056,
            ),
            (
                json!({"equation": "abc,cde->abde", "output_shape": [null, 4, 8], "bias_axes": "d"}),
                vec![None, Some(10), Some(32)],
                1028,
            ),
            (
                json!({"equation": "...b,bc->...c", "output_shape": 16, "bias_axes": "c"}),
                vec![None, Some(3), Some(5), Some(8)],
                144,
            ),
            (
                json!({"equation": "abcd,cde->abe", "output_shape": [null, 12]}),
                vec![None, Some(7), Some(4), Some(6)],
                288,
            ),
        ];
        for (config, input, expected) in cases {
            let o = apply(&EinsumDenseRule, "EinsumDense", config.clone(), input);
            let total: u64 = o
                .weights
                .iter()
                .map(|w| w.shape.as_ref().unwrap().iter().product::<u64>())
                .sum();
            assert_eq!(total, expected, "{config}");
        }
        let o = apply(
            &EinsumDenseRule,
            "EinsumDense",
            json!({"equation": "abc,cde->abde", "output_shape": [null, 4, 8], "bias_axes": "d"}),
            vec![None, Some(10), Some(32)],
        );
        assert_eq!(o.weights[1].shape, Some(vec![4, 1]));
        assert_eq!(
            o.output_shapes,
            vec![vec![None, Some(10), Some(4), Some(8)]]
        );
        let o = apply(
            &EinsumDenseRule,
            "EinsumDense",
            json!({"equation": "...b,bc->...c", "output_shape": 16, "bias_axes": "c"}),
            vec![None, Some(3), Some(5), Some(8)],
        );
        assert_eq!(
            o.output_shapes,
            vec![vec![None, Some(3), Some(5), Some(16)]]
        );
    }

    #[test]
    fn einsum_int8_scale_is_a_broadcast_shape() {
        // FORMULAS §2.17: EinsumDense int8 kernel_scale e.g. (1, 8).
        let o = apply(
            &EinsumDenseRule,
            "EinsumDense",
            json!({"equation": "ab,bc->ac", "output_shape": 8, "bias_axes": "c",
                   "dtype": {"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32"}}}),
            vec![None, Some(16)],
        );
        assert_eq!(
            shapes(&o),
            [
                ("kernel".into(), vec![16, 8]),
                ("bias".into(), vec![8]),
                ("kernel_scale".into(), vec![1, 8])
            ]
        );
        // MultiHeadAttention's query projection: scale (1, 1, H, kd).
        let scale = int8_kernel_scale_shape(
            &['a', 'b', 'c'],
            &['c', 'd', 'e'],
            &['a', 'b', 'd', 'e'],
            &[16, 2, 4],
        )
        .unwrap();
        assert_eq!(scale, vec![1, 1, 2, 4]);
    }

    #[test]
    fn einsum_rejects_nonsense_without_panicking() {
        for config in [
            json!({"equation": "ab,bc", "output_shape": 4}),
            json!({"equation": "ab,bz->ac", "output_shape": 4}),
            json!({"equation": "ab,bc->ac", "output_shape": "x"}),
            json!({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "q"}),
            json!({"equation": "ab,bc->ac"}),
            json!({"equation": 5, "output_shape": 4}),
            json!({"equation": "abc,cd->abd", "output_shape": [null, 4]}),
            json!({"equation": "ab,bc->ac", "output_shape": [1, 2, 3, 4]}),
        ] {
            let r = EinsumDenseRule.apply(
                LayerCfg {
                    class_name: "EinsumDense",
                    config: &config,
                    dialect: Dialect::Keras3,
                },
                &[vec![None, Some(3)]],
            );
            assert!(r.is_err(), "{config}");
        }
    }

    #[test]
    fn embedding_and_keras1_names() {
        let o = apply(
            &EmbeddingRule,
            "Embedding",
            json!({"input_dim": 1000, "output_dim": 64}),
            vec![None, Some(10)],
        );
        assert_eq!(o.derivation.as_deref(), Some("1000·64 = 64,000"));
        assert_eq!(o.output_shapes, vec![vec![None, Some(10), Some(64)]]);
        let config = json!({"units": 50});
        let o = DenseRule
            .apply(
                LayerCfg {
                    class_name: "Dense",
                    config: &config,
                    dialect: Dialect::Keras1,
                },
                &[vec![None, Some(4)]],
            )
            .unwrap();
        assert_eq!(o.weights[0].name, "W");
        assert_eq!(o.weights[1].name, "b");
    }

    #[test]
    fn highway_maxout_timedistributeddense() {
        // FORMULAS §3: Highway 2d²+2d; MaxoutDense W (nb_feature, d, out), b (nb_feature, out).
        let k1 = |class: &str, config: Value, input: Shape| {
            testing::apply(&Keras1DenseRule, Dialect::Keras1, class, &config, &[input])
        };
        let o = k1("Highway", json!({}), vec![None, Some(10)]);
        assert_eq!(o.derivation.as_deref(), Some("2·(10²+10) = 220"));
        let o = k1(
            "MaxoutDense",
            json!({"output_dim": 5, "nb_feature": 3}),
            vec![None, Some(10)],
        );
        assert_eq!(o.weights[0].shape, Some(vec![3, 10, 5]));
        assert_eq!(o.weights[1].shape, Some(vec![3, 5]));
        let o = k1(
            "TimeDistributedDense",
            json!({"output_dim": 5}),
            vec![None, Some(7), Some(10)],
        );
        assert_eq!(o.derivation.as_deref(), Some("(10+1)·5 = 55"));
        assert_eq!(o.output_shapes, vec![vec![None, Some(7), Some(5)]]);
    }

    #[test]
    fn hostile_counts_are_errors() {
        let config = json!({"units": 1u64 << 40});
        let o = DenseRule.apply(
            LayerCfg {
                class_name: "Dense",
                config: &config,
                dialect: Dialect::Keras3,
            },
            &[vec![None, Some(1 << 40)]],
        );
        assert!(o.is_err());
        for units in [json!(-3), json!("x"), json!(1.5), json!({}), json!(0)] {
            let config = json!({ "units": units });
            assert!(
                DenseRule
                    .apply(
                        LayerCfg {
                            class_name: "Dense",
                            config: &config,
                            dialect: Dialect::Keras3,
                        },
                        &[vec![None, Some(3)]],
                    )
                    .is_err()
            );
        }
    }
}
