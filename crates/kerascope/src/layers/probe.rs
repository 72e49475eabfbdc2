//! What `verify` needs from a rule to re-derive a count from a printed `model.summary()` row
//! alone: the configurations a layer of the row's class could have ([`Probe`]s), each built
//! from what the row shows (its output shape, its input's) and, when the row cannot show
//! something (a kernel size, a vocabulary), solving for it.
//!
//! Each rule lists its own probes ([`super::LayerRule::probes`]); the helpers several rules
//! share (kernel shapes, channel axes, RNN variants, quantization policies) live here.

use serde_json::{Value, json};

use super::{Dialect, LayerCfg, Shape, rule_for};
use crate::text::shape_text;

/// What a printed `model.summary()` row shows of a layer.
#[derive(Debug, Clone, Copy)]
pub struct PrintedLayer<'a> {
    /// The row's layer type.
    pub class_name: &'a str,
    /// Its (first) output shape, batch axis included.
    pub output: &'a Shape,
    /// Its input's shape, when the table tells (the row above, or the row `Connected to`
    /// names).
    pub input: Option<&'a Shape>,
    /// Whether Keras 3 printed the table (a Keras 3 layer may be quantized).
    pub keras3: bool,
}

/// One way a layer of the row's type could be configured. `build(x)` gives the config and
/// the input shape for a value `x` of the unknown, when there is one.
pub struct Probe {
    class: String,
    /// How the configuration reads (`Dense(16, use_bias=False)`).
    pub label: String,
    /// What is solved for (`a kernel of`), or `None` when nothing is.
    pub unknown: Option<&'static str>,
    /// A configuration one meets rarely (a quantized layer): a fit of a usual one goes first.
    pub rare: bool,
    build: Box<dyn Fn(u64) -> (Value, Shape)>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("class", &self.class)
            .field("label", &self.label)
            .field("unknown", &self.unknown)
            .field("rare", &self.rare)
            .finish_non_exhaustive()
    }
}

impl Probe {
    /// A configuration with nothing to solve for: this config on this input.
    pub fn known(class: &str, label: String, config: Value, input: Shape) -> Probe {
        Probe {
            class: class.to_string(),
            label,
            unknown: None,
            rare: false,
            build: Box::new(move |_| (config.clone(), input.clone())),
        }
    }

    /// Marks the configuration as rare (tried only when no usual one fits).
    pub fn rare(self, rare: bool) -> Probe {
        Probe { rare, ..self }
    }

    /// A configuration with one unknown (`unknown` says what it is), `build(x)` giving the
    /// config and the input for a value `x` of it.
    pub fn solving(
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
    pub fn count(&self, x: u64) -> Option<(u64, Option<String>)> {
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
    /// unknown it takes. These counts grow by the same step with each unit of the unknown,
    /// so two evaluations of the rule give the one value that fits.
    pub fn fit(&self, params: u64) -> Option<(u64, String)> {
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
    pub fn reproduces(&self, x: u64, input: &Shape, out: &Shape) -> bool {
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

/// Why a class without probes cannot be re-derived from its row.
pub(crate) fn settings_not_shown(class: &str) -> String {
    format!("a {class}'s count depends on settings the table does not show")
}

/// Why a row's output shape does not give the layer's width.
pub(crate) fn width_not_shown(out: &Shape) -> String {
    format!(
        "the output shape {} does not give the layer's width",
        shape_text(std::slice::from_ref(out))
    )
}

pub(crate) fn last(shape: &Shape) -> Option<u64> {
    shape.last().copied().flatten()
}

pub(crate) fn spatial_rank(class: &str) -> Option<usize> {
    ["1D", "2D", "3D"]
        .iter()
        .position(|suffix| class.ends_with(suffix) || class.contains(&format!("{suffix}T")))
        .map(|i| i + 1)
}

/// Float weights, or (`quantized`) also Keras 3 `model.quantize(mode)` — the row does not say
/// which: the quantized layers hold their kernel in another dtype plus scales.
pub(crate) fn quantization_policies(quantized: bool) -> Vec<(String, Option<Value>)> {
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

pub(crate) fn merge(config: &mut Value, extra: &Value) {
    if let (Value::Object(target), Value::Object(more)) = (config, extra) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// `use_bias` both ways; GRU's two layouts (`reset_after`, the default from tf.keras 2 on).
pub(crate) fn rnn_variants(class: &str) -> Vec<(String, Value)> {
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
pub(crate) fn sequence_probe(
    class: &str,
    label: String,
    config: Value,
    input: Option<&Shape>,
) -> Probe {
    match input.and_then(last) {
        Some(d) => Probe::known(class, label, config, vec![None, None, Some(d)]),
        None => Probe::solving(class, label, "an input of size", move |x| {
            (config.clone(), vec![None, None, Some(x)])
        }),
    }
}

/// `(channels axis, data_format)` pairs that fit a rank.
pub(crate) fn formats(rank: usize, len: usize) -> Vec<(usize, &'static str)> {
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
pub(crate) fn with_channels(len: usize, axis: usize, channels: u64) -> Shape {
    let mut s: Shape = vec![None; len];
    s[axis] = Some(channels);
    s
}

/// A kernel of `volume` elements: square (cubic) when it can be, else one long side.
pub(crate) fn kernel(rank: usize, volume: u64) -> Value {
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
