//! A summary with no file: each row's count re-derived from what the table shows — its layer
//! type, its output shape and its input's (the previous row, or the rows `Connected to`
//! names) — through the same layer rules `check` uses.
//!
//! What a row does not show is tried both ways (`use_bias`, GRU's `reset_after`,
//! BatchNormalization's `center`/`scale`, `data_format`, ...). What it cannot show at all —
//! a kernel size, a vocabulary, the input size of the first layer — is solved for: these
//! counts grow by the same step with each unit of the unknown, so two evaluations of the rule
//! give the one value that fits, and the rule's own arithmetic at that value is shown. A count
//! that no configuration and no value gives cannot be right.

use serde_json::{Value, json};

use super::parse::{PrintedRow, PrintedShape, PrintedSummary, Style};
use super::{Difference, Kind, Note, RowOutcome, RowStatus, Verification};
use crate::layers::{LayerCfg, registry, rule_for};
use crate::model::{Dialect, Shape};
use crate::text::{shape_text, thousands};

/// A class whose rule says it never owns weights (`MaxPooling2D`, `Dropout`, ...).
fn weightless(class: &str) -> bool {
    rule_for(class).is_some_and(|rule| rule.weightless(class))
}

/// One way a layer of the row's type could be configured. `build(x)` gives the config and the
/// input shape for a value `x` of the unknown, when there is one.
struct Probe {
    class: String,
    label: String,
    unknown: Option<&'static str>,
    /// A configuration one meets rarely (a quantized layer): a fit of a usual one goes first.
    rare: bool,
    build: Box<dyn Fn(u64) -> (Value, Shape)>,
}

impl Probe {
    fn known(class: &str, label: String, config: Value, input: Shape) -> Probe {
        Probe {
            class: class.to_string(),
            label,
            unknown: None,
            rare: false,
            build: Box::new(move |_| (config.clone(), input.clone())),
        }
    }

    fn rare(self, rare: bool) -> Probe {
        Probe { rare, ..self }
    }

    fn solving(
        class: &str,
        label: String,
        unknown: &'static str,
        build: impl Fn(u64) -> (Value, Shape) + 'static,
    ) -> Probe {
        Probe {
            class: class.to_string(),
            label,
            unknown: Some(unknown),
            rare: false,
            build: Box::new(build),
        }
    }

    /// The rule's count and arithmetic for a value of the unknown.
    fn count(&self, x: u64) -> Option<(u64, Option<String>)> {
        let (config, input) = (self.build)(x);
        let out = rule_for(&self.class)?
            .apply(
                LayerCfg {
                    class_name: &self.class,
                    config: &config,
                    dialect: Dialect::Keras3,
                },
                &[input],
            )
            .ok()?;
        let mut total = 0u64;
        for w in &out.weights {
            let n = w
                .shape
                .as_ref()?
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))?;
            total = total.checked_add(n)?;
        }
        Some((total, out.derivation))
    }

    /// The arithmetic that gives `params`, if this configuration can, with the value of the
    /// unknown it takes.
    fn fit(&self, params: u64) -> Option<(u64, String)> {
        let Some(unknown) = self.unknown else {
            let (n, derivation) = self.count(0)?;
            return (n == params).then(|| (0, self.describe(derivation, None)));
        };
        let (c1, _) = self.count(1)?;
        let (c2, _) = self.count(2)?;
        let (c3, _) = self.count(3)?;
        let step = c2.checked_sub(c1)?;
        if step == 0
            || c3.checked_sub(c2)? != step
            || params < c1
            || !(params - c1).is_multiple_of(step)
        {
            return None;
        }
        let x = (params - c1) / step + 1;
        let (n, derivation) = self.count(x)?;
        (n == params).then(|| (x, self.describe(derivation, Some(format!("{unknown} {x}")))))
    }

    /// Whether the solved configuration, on the row's real input, also gives the printed
    /// output shape with some padding and stride: what tells a 3-wide kernel with
    /// `depth_multiplier=2` from a 10-wide one with 1.
    fn reproduces(&self, x: u64, input: &Shape, out: &Shape) -> bool {
        let (mut config, _) = (self.build)(x);
        if config.get("padding").is_none() || input.len() != out.len() {
            return false;
        }
        let Some(rule) = rule_for(&self.class) else {
            return false;
        };
        for padding in ["valid", "same"] {
            for stride in [1u64, 2] {
                config["padding"] = json!(padding);
                config["strides"] = json!(stride);
                let layer = LayerCfg {
                    class_name: &self.class,
                    config: &config,
                    dialect: Dialect::Keras3,
                };
                if let Ok(o) = rule.apply(layer, std::slice::from_ref(input))
                    && o.output_shapes.first() == Some(out)
                {
                    return true;
                }
            }
        }
        false
    }

    fn describe(&self, derivation: Option<String>, solved: Option<String>) -> String {
        let mut text = self.label.clone();
        if let Some(solved) = solved {
            text.push_str(&format!(" with {solved}"));
        }
        if let Some(d) = derivation {
            text.push_str(&format!(": {d}"));
        }
        text
    }
}

/// What the table lets us say about one row.
enum Verdict {
    Fits(String),
    Cannot(String),
    Impossible(Vec<String>),
}

fn last(shape: &Shape) -> Option<u64> {
    shape.last().copied().flatten()
}

fn spatial_rank(class: &str) -> Option<usize> {
    ["1D", "2D", "3D"]
        .iter()
        .position(|suffix| class.ends_with(suffix) || class.contains(&format!("{suffix}T")))
        .map(|i| i + 1)
}

/// Whether `class` is one of the classes the `Conv2D` rule covers (`Conv1D`, `Convolution2D`,
/// `Conv3DTranspose`, ...).
fn plain_convolution(class: &str) -> bool {
    registry()
        .iter()
        .any(|r| r.classes().contains(&"Conv2D") && r.classes().contains(&class))
}

/// The configurations to try for a row of class `class` with output `out` and input `input`.
fn probes(
    class: &str,
    out: &Shape,
    input: Option<&Shape>,
    keras3: bool,
) -> Result<Vec<Probe>, String> {
    let unknown_out = || {
        format!(
            "the output shape {} does not give the layer's width",
            shape_text(std::slice::from_ref(out))
        )
    };
    match class {
        "Dense" => {
            let units = last(out).ok_or_else(unknown_out)?;
            let width = input.and_then(last);
            let mut list = Vec::new();
            // Solving for the input size too, a quantized layout fits almost any count.
            for (policy_label, policy) in quantization_policies(keras3 && width.is_some()) {
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
        "LSTM" | "GRU" | "SimpleRNN" | "CuDNNLSTM" | "CuDNNGRU" => {
            let units = last(out).ok_or_else(unknown_out)?;
            Ok(rnn_variants(class)
                .into_iter()
                .map(|(label_extra, extra)| {
                    let mut config = json!({"units": units});
                    merge(&mut config, &extra);
                    let label = format!("{class}({units}{label_extra})");
                    sequence_probe(class, label, config, input)
                })
                .collect())
        }
        "Bidirectional" => {
            let width = last(out).ok_or_else(unknown_out)?;
            let mut plain = Vec::new();
            let mut mixed = Vec::new();
            for (merge_mode, units) in [("concat", width / 2), ("sum", width)] {
                if units == 0 || (merge_mode == "concat" && width % 2 != 0) {
                    continue;
                }
                let layers: Vec<(String, Value)> = ["LSTM", "GRU", "SimpleRNN"]
                    .into_iter()
                    .flat_map(|inner| {
                        rnn_variants(inner)
                            .into_iter()
                            .map(move |(label_extra, extra)| {
                                let mut layer = json!({"units": units, "return_sequences": true});
                                merge(&mut layer, &extra);
                                (
                                    format!("{inner}({units}{label_extra})"),
                                    json!({"class_name": inner, "config": layer}),
                                )
                            })
                    })
                    .collect();
                for (forward_label, forward) in &layers {
                    // A copy of the forward layer backwards, or (`backward_layer=`) any other.
                    for (backward_label, backward) in &layers {
                        let mut config = json!({"layer": forward, "merge_mode": merge_mode});
                        if backward_label == forward_label {
                            let label =
                                format!("Bidirectional({forward_label}, merge_mode={merge_mode})");
                            plain.push(sequence_probe(class, label, config, input));
                        } else {
                            config["backward_layer"] = backward.clone();
                            let label = format!(
                                "Bidirectional({forward_label}, backward_layer={backward_label}, merge_mode={merge_mode})"
                            );
                            mixed.push(sequence_probe(class, label, config, input).rare(true));
                        }
                    }
                }
            }
            plain.extend(mixed);
            Ok(plain)
        }
        "Embedding" => {
            let width = last(out).ok_or_else(unknown_out)?;
            Ok(quantization_policies(keras3)
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
        "BatchNormalization"
        | "BatchNormalizationV1"
        | "BatchNormalizationV2"
        | "SyncBatchNormalization"
        | "LayerNormalization"
        | "GroupNormalization" => {
            let axes: &[i64] = if class.contains("Batch") && out.len() > 2 {
                &[-1, 1]
            } else {
                &[-1]
            };
            let mut list = Vec::new();
            for &axis in axes {
                for (center, scale) in [(true, true), (true, false), (false, true), (false, false)]
                {
                    let mut label = format!("{class}(axis={axis}");
                    if !center {
                        label.push_str(", center=False");
                    }
                    if !scale {
                        label.push_str(", scale=False");
                    }
                    label.push(')');
                    let config =
                        json!({"axis": axis, "center": center, "scale": scale, "groups": 1});
                    list.push(Probe::known(class, label, config, out.clone()));
                }
            }
            Ok(list)
        }
        "RMSNormalization" => Ok(vec![Probe::known(
            class,
            "RMSNormalization(axis=-1)".into(),
            json!({"axis": -1}),
            out.clone(),
        )]),
        "PReLU" => {
            let rank = out.len().saturating_sub(1);
            if rank == 0 || rank > 4 {
                return Err(unknown_out());
            }
            Ok((0u32..(1 << rank))
                .map(|mask| {
                    let shared: Vec<usize> =
                        (1..=rank).filter(|a| mask & (1 << (a - 1)) != 0).collect();
                    let label = if shared.is_empty() {
                        "PReLU()".to_string()
                    } else {
                        format!("PReLU(shared_axes={shared:?})")
                    };
                    Probe::known(class, label, json!({"shared_axes": shared}), out.clone())
                })
                .collect())
        }
        _ if class.starts_with("ConvLSTM") => conv_lstm_probes(class, out, input),
        _ if class.starts_with("Separable") => separable_probes(class, out, input),
        _ if class.starts_with("Depthwise") => depthwise_probes(class, out, input),
        _ if plain_convolution(class) => conv_probes(class, out, input),
        "Sequential" | "Functional" | "Model" => Err(
            "a nested model: its count is the sum of its own layers, which the table does not show"
                .into(),
        ),
        "TimeDistributed" => Err("the wrapped layer is not shown".into()),
        _ if rule_for(class).is_some() => Err(format!(
            "a {class}'s count depends on settings the table does not show"
        )),
        _ => Err(format!("no rule for class {class} (a custom layer?)")),
    }
}

/// Float weights, or (`quantized`) also Keras 3 `model.quantize(mode)` — the row does not say
/// which: the quantized layers hold their kernel in another dtype plus scales.
fn quantization_policies(quantized: bool) -> Vec<(String, Option<Value>)> {
    let mut policies = vec![(String::new(), None)];
    let modes: &[&str] = if quantized {
        &["int8", "int4", "float8"]
    } else {
        &[]
    };
    for mode in modes {
        policies.push((
            format!(", quantized {mode}"),
            Some(json!({"class_name": "QuantizedDTypePolicy",
                        "config": {"mode": mode, "source_name": "float32"}})),
        ));
    }
    policies
}

fn merge(config: &mut Value, extra: &Value) {
    if let (Value::Object(target), Value::Object(more)) = (config, extra) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// `use_bias` both ways; GRU's two layouts (`reset_after`, the default from tf.keras 2 on).
fn rnn_variants(class: &str) -> Vec<(String, Value)> {
    if class.starts_with("CuDNN") {
        return vec![(String::new(), json!({}))];
    }
    let mut out = Vec::new();
    let resets: &[Option<bool>] = if class == "GRU" {
        &[Some(true), Some(false)]
    } else {
        &[None]
    };
    for &reset in resets {
        for bias in [true, false] {
            // Without biases both GRU layouts hold the same kernels: one probe is enough.
            if reset == Some(true) && !bias {
                continue;
            }
            let mut label = String::new();
            let mut extra = json!({"use_bias": bias});
            if let Some(r) = reset {
                label.push_str(if r {
                    ", reset_after=True"
                } else {
                    ", reset_after=False"
                });
                extra["reset_after"] = json!(r);
            }
            if !bias {
                label.push_str(", use_bias=False");
            }
            out.push((label, extra));
        }
    }
    out
}

/// A recurrent layer on `(batch, time, features)`: the feature size from the input row, or
/// solved for.
fn sequence_probe(class: &str, label: String, config: Value, input: Option<&Shape>) -> Probe {
    match input.and_then(last) {
        Some(d) => Probe::known(class, label, config, vec![None, None, Some(d)]),
        None => Probe::solving(class, label, "an input of size", move |x| {
            (config.clone(), vec![None, None, Some(x)])
        }),
    }
}

/// `(channels axis, data_format)` pairs that fit a rank.
fn formats(rank: usize, len: usize) -> Vec<(usize, &'static str)> {
    if len != rank + 2 {
        return Vec::new();
    }
    let mut f = vec![(len - 1, "channels_last")];
    if rank > 1 {
        f.push((1, "channels_first"));
    }
    f
}

/// A shape of `len` axes with `channels` at `axis`, other axes unknown.
fn with_channels(len: usize, axis: usize, channels: u64) -> Shape {
    let mut s: Shape = vec![None; len];
    s[axis] = Some(channels);
    s
}

/// A kernel of `volume` elements: square (cubic) when it can be, else one long side.
fn kernel(rank: usize, volume: u64) -> Value {
    let root = (volume as f64).powf(1.0 / rank.max(1) as f64).round() as u64;
    let side = [root.saturating_sub(1), root, root.saturating_add(1)]
        .into_iter()
        .find(|s| s.checked_pow(rank as u32) == Some(volume));
    match side {
        Some(s) => json!(vec![s; rank]),
        None => {
            let mut k = vec![1u64; rank];
            k[0] = volume;
            json!(k)
        }
    }
}

fn conv_probes(class: &str, out: &Shape, input: Option<&Shape>) -> Result<Vec<Probe>, String> {
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
                            "filters": filters, "kernel_size": kernel(rank, x), "padding": "same",
                            "data_format": format, "use_bias": bias, "groups": g,
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

fn depthwise_probes(class: &str, out: &Shape, input: Option<&Shape>) -> Result<Vec<Probe>, String> {
    let rank = spatial_rank(class).ok_or("the rank is not in the class name")?;
    let mut list = Vec::new();
    for (axis, format) in formats(rank, out.len()) {
        let Some(width) = out[axis] else { continue };
        // kernel · input channels · depth multiplier = kernel · output channels: the input's
        // channels only split the width, they do not change the count.
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

fn separable_probes(class: &str, out: &Shape, input: Option<&Shape>) -> Result<Vec<Probe>, String> {
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

fn conv_lstm_probes(class: &str, out: &Shape, input: Option<&Shape>) -> Result<Vec<Probe>, String> {
    let rank = spatial_rank(class).ok_or("the rank is not in the class name")?;
    let filters = last(out).ok_or("the output shape does not give the filters")?;
    let channels = input
        .filter(|i| i.len() == rank + 3)
        .and_then(last)
        .ok_or("the input's channels are not shown")?;
    Ok([true, false]
        .into_iter()
        .map(|bias| {
            let label = format!(
                "{class}({filters}{})",
                if bias { "" } else { ", use_bias=False" }
            );
            Probe::solving(class, label, "a kernel of", move |x| {
                let config = json!({
                    "filters": filters, "kernel_size": kernel(rank, x), "padding": "same",
                    "use_bias": bias, "return_sequences": true,
                });
                (config, with_channels(rank + 3, rank + 2, channels))
            })
        })
        .collect())
}

/// The classes a cut class name can be.
fn classes_for(row: &PrintedRow) -> Vec<String> {
    match (&row.class_name, row.class_truncated) {
        (None, _) => Vec::new(),
        (Some(c), false) => vec![c.clone()],
        (Some(prefix), true) => {
            let mut all: Vec<String> = registry()
                .iter()
                .flat_map(|r| r.classes().iter())
                .filter(|c| c.starts_with(prefix.as_str()))
                .map(|c| c.to_string())
                .collect();
            all.sort();
            all.dedup();
            all
        }
    }
}

fn verdict(row: &PrintedRow, out: Option<&Shape>, input: Option<&Shape>, keras3: bool) -> Verdict {
    if let Some(note) = &row.params_note {
        return Verdict::Cannot(format!("Keras printed the layer {note}"));
    }
    let classes = classes_for(row);
    if classes.is_empty() {
        return Verdict::Cannot("the layer type was cut off".into());
    }
    if classes.iter().all(|c| weightless(c)) {
        return if row.params == 0 {
            Verdict::Fits("no weights".into())
        } else {
            Verdict::Impossible(vec![format!("{} owns no weights", classes[0])])
        };
    }
    let Some(out) = out else {
        return Verdict::Cannot("the output shape is not shown in full".into());
    };
    let mut all = Vec::new();
    let mut reasons = Vec::new();
    for class in &classes {
        match probes(class, out, input, keras3) {
            Ok(list) => all.extend(list),
            Err(reason) => reasons.push(reason),
        }
    }
    // Usual configurations first; rare ones (groups, a different backward layer, quantized)
    // only when no usual one fits. Of several fits: one that also gives the printed output
    // shape, then the smallest unknown, then the first listed.
    let (usual, rare): (Vec<Probe>, Vec<Probe>) = all.into_iter().partition(|p| !p.rare);
    let mut tried = Vec::new();
    let mut best: Option<((bool, u64), String)> = None;
    for tier in [usual, rare] {
        for probe in &tier {
            if let Some((x, how)) = probe.fit(row.params) {
                let shape_fits = input.is_some_and(|i| probe.reproduces(x, i, out));
                let rank = (!shape_fits, x);
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, how));
                }
                continue;
            }
            tried.push(match probe.unknown {
                Some(u) => format!("{} with {u} any size", probe.label),
                None => probe
                    .count(0)
                    .map(|(n, _)| format!("{}: {}", probe.label, thousands(n)))
                    .unwrap_or_else(|| probe.label.clone()),
            });
        }
        if best.is_some() {
            break;
        }
    }
    if let Some((_, how)) = best {
        return Verdict::Fits(how);
    }
    if tried.is_empty() {
        return Verdict::Cannot(reasons.join("; "));
    }
    const SHOWN: usize = 6;
    if tried.len() > SHOWN {
        let more = tried.len() - SHOWN;
        tried.truncate(SHOWN);
        tried.push(format!("… {more} more configurations"));
    }
    Verdict::Impossible(tried)
}

/// How a row's count comes about when its input is not known: `Dense(16) with an input of
/// size 12: (12+1)·16 = 208`.
pub(crate) fn fit_on_any_input(row: &PrintedRow, keras3: bool) -> Option<String> {
    match verdict(row, first_shape(row), None, keras3) {
        Verdict::Fits(how) if how != "no weights" => Some(how),
        _ => None,
    }
}

/// The first output shape a row shows, when it shows it in full.
fn first_shape(row: &PrintedRow) -> Option<&Shape> {
    match &row.output_shape {
        PrintedShape::Known(shapes) => shapes.first(),
        _ => None,
    }
}

/// The input of row `i`: the row its first `Connected to` entry names, or (no such column)
/// the row above at the same depth.
pub(crate) fn input_of(printed: &PrintedSummary, i: usize) -> Option<&Shape> {
    let row = &printed.rows[i];
    if let Some(connections) = &row.connected_to {
        let first = connections.first()?;
        let source = printed.rows[..i].iter().rev().find(|r| {
            if first.truncated {
                r.name.starts_with(&first.layer)
            } else {
                r.may_be(&first.layer)
            }
        })?;
        return match &source.output_shape {
            PrintedShape::Known(shapes) => shapes.get(first.tensor.unwrap_or(0)).or(shapes.first()),
            _ => None,
        };
    }
    let previous = printed.rows[..i].last()?;
    (previous.depth == row.depth)
        .then(|| first_shape(previous))
        .flatten()
}

/// Verifies a summary on its own: each row's count against what its type and shapes allow,
/// and the totals against the rows.
pub fn without_file(printed: &PrintedSummary) -> Verification {
    let mut differences = Vec::new();
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for (i, row) in printed.rows.iter().enumerate() {
        let keras3 = printed.style == Style::Keras3;
        let (status, detail) = match verdict(row, first_shape(row), input_of(printed, i), keras3) {
            Verdict::Fits(how) => (RowStatus::Recomputed, Some(how)),
            Verdict::Cannot(why) => (RowStatus::CannotRecompute, Some(why)),
            Verdict::Impossible(tried) => {
                let input = input_of(printed, i)
                    .map(|s| format!(" on input {}", shape_text(std::slice::from_ref(s))))
                    .unwrap_or_default();
                let why = format!(
                    "no {} with output {}{input} has {} parameters (tried {})",
                    row.class_name.as_deref().unwrap_or("layer"),
                    row.shape_text,
                    thousands(row.params),
                    tried.join("; ")
                );
                differences.push(Difference {
                    kind: Kind::ImpossibleParams,
                    row: Some(row.name.clone()),
                    line: Some(row.line),
                    summary: Some(thousands(row.params)),
                    file: None,
                    explanation: Some(why.clone()),
                });
                (RowStatus::Impossible, Some(why))
            }
        };
        rows.push(RowOutcome {
            line: Some(row.line),
            depth: row.depth,
            name: row.name.clone(),
            class_name: row.class_name.clone(),
            summary_params: Some(row.params),
            file_params: None,
            status,
            detail,
        });
    }
    let t = &printed.totals;
    differences.extend(super::totals::own_arithmetic(printed));
    if let Some(total) = t.total {
        let model_total = total.saturating_sub(t.optimizer.unwrap_or(0));
        let rows_sum: u64 = printed
            .rows
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| r.params)
            .sum();
        if rows_sum != model_total {
            differences.push(Difference {
                kind: Kind::InconsistentTotals,
                row: None,
                line: None,
                summary: Some(format!(
                    "the rows add up to {}, the total{} says {}",
                    thousands(rows_sum),
                    if t.optimizer.is_some() { " less the optimizer parameters" } else { "" },
                    thousands(model_total)
                )),
                file: None,
                explanation: Some(
                    "a row or a total was edited, a row is missing — or layers share weights (Keras counts a shared weight once in the total)"
                        .into(),
                ),
            });
        }
        if let Some(optimizer) = t.optimizer {
            notes.push(Note {
                row: None,
                line: None,
                message: format!(
                    "Total params {} includes {} optimizer parameters: Keras 3 counts the optimizer state once it is built (after fit())",
                    thousands(total),
                    thousands(optimizer)
                ),
            });
        }
    }
    Verification {
        style: printed.style,
        summary_model: printed.model_name.clone(),
        file_model: None,
        rows,
        differences,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::parse::parse;

    fn row(class: &str, out: Shape, params: u64) -> PrintedRow {
        PrintedRow {
            line: 1,
            depth: 0,
            name: "x".into(),
            name_truncated: false,
            class_name: Some(class.into()),
            class_truncated: false,
            shape_text: shape_text(std::slice::from_ref(&out)),
            output_shape: PrintedShape::Known(vec![out]),
            params,
            params_note: None,
            connected_to: None,
            trainable: None,
        }
    }

    fn fits(class: &str, out: Shape, input: Option<Shape>, params: u64) -> Option<String> {
        let r = row(class, out, params);
        match verdict(&r, first_shape(&r), input.as_ref(), true) {
            Verdict::Fits(how) => Some(how),
            _ => None,
        }
    }

    // Counts below are those Keras printed in fixtures/summaries (writer in each comment).

    #[test]
    fn dense_with_and_without_its_input() {
        // tf_keras 2.21, tfk_sequential_basic: dense_1 (Dense) (None, 4) 68 after (None, 16).
        assert!(fits("Dense", vec![None, Some(4)], Some(vec![None, Some(16)]), 68).is_some());
        assert!(fits("Dense", vec![None, Some(4)], Some(vec![None, Some(16)]), 69).is_none());
        // The first row of a Sequential: the input size is solved for (8 → 144 = (8+1)·16).
        let how = fits("Dense", vec![None, Some(16)], None, 144).unwrap();
        assert!(how.contains("an input of size 8"), "{how}");
    }

    #[test]
    fn gru_says_which_layout() {
        // Keras 3.15.1, k3_recurrent: gru (GRU) (None, 10, 5) 195 after (None, 10, 6).
        let how = fits(
            "GRU",
            vec![None, Some(10), Some(5)],
            Some(vec![None, Some(10), Some(6)]),
            195,
        )
        .unwrap();
        assert!(how.contains("reset_after=True"), "{how}");
        // Keras 2.3.1, k2_recurrent: gru (GRU) (None, 10, 5) 180 after (None, 10, 6).
        let how = fits(
            "GRU",
            vec![None, Some(10), Some(5)],
            Some(vec![None, Some(10), Some(6)]),
            180,
        )
        .unwrap();
        assert!(how.contains("reset_after=False"), "{how}");
    }

    #[test]
    fn convolution_kernels_are_solved_for() {
        // Keras 3.15.1, k3_conv: conv2d (Conv2D) (None, 14, 14, 8) 152 on (None, 16, 16, 4):
        // a grouped convolution.
        let how = fits(
            "Conv2D",
            vec![None, Some(14), Some(14), Some(8)],
            Some(vec![None, Some(16), Some(16), Some(4)]),
            152,
        )
        .unwrap();
        assert!(how.contains("groups=2"), "{how}");
        // Keras 1.2.2, k1_conv: conv_a (Convolution2D) (None, 8, 14, 14) 224, channels first.
        let how = fits(
            "Convolution2D",
            vec![None, Some(8), Some(14), Some(14)],
            Some(vec![None, Some(3), Some(16), Some(16)]),
            224,
        )
        .unwrap();
        assert!(how.contains("a kernel of 9"), "{how}");
    }

    #[test]
    fn resnet50_stem_as_keras_2_0_printed_it() {
        // https://github.com/keras-team/keras/issues/5822: conv1 (Conv2D) (None, 112, 112, 64)
        // 9472 after (None, 230, 230, 3); bn_conv1 (BatchNormalization) 256.
        let how = fits(
            "Conv2D",
            vec![None, Some(112), Some(112), Some(64)],
            Some(vec![None, Some(230), Some(230), Some(3)]),
            9472,
        )
        .unwrap();
        assert!(how.contains("7·7·3·64 + 64"), "{how}");
        assert!(
            fits(
                "BatchNormalization",
                vec![None, Some(112), Some(112), Some(64)],
                None,
                256
            )
            .is_some()
        );
    }

    #[test]
    fn weightless_layers_hold_nothing() {
        assert!(fits("Dropout", vec![None, Some(16)], None, 0).is_some());
        assert!(
            fits(
                "MaxPooling2D",
                vec![None, Some(5), Some(5), Some(4)],
                None,
                0
            )
            .is_some()
        );
        assert!(fits("Flatten", vec![None, Some(30)], None, 3).is_none());
    }

    #[test]
    fn a_summary_that_does_not_add_up() {
        let text = "\
Model: \"m\"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 16)                144       
                                                                 
 dense_1 (Dense)             (None, 4)                 68        
                                                                 
=================================================================
Total params: 213 (1.08 KB)
Trainable params: 212 (976.00 Byte)
Non-trainable params: 0 (128.00 Byte)
_________________________________________________________________
";
        let v = without_file(&parse(text).unwrap());
        let kinds: Vec<Kind> = v.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [Kind::InconsistentTotals, Kind::InconsistentTotals]);
        assert!(v.rows.iter().all(|r| r.status == RowStatus::Recomputed));
    }
}
