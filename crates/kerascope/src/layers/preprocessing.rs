//! Preprocessing layers (FORMULAS §2.20): Normalization (mean, variance, count unless the
//! config gives mean and variance), tf.keras RandomFourierFeatures, Keras 3 STFTSpectrogram,
//! and the layers without weights (lookups, hashing, encoding, resizing, augmentation).
//!
//! Lookup layers keep their vocabulary in the config or in `assets/`; in `tf_idf` mode Keras 3
//! also stores `vars/idf_weights` (a named dataset), which `count_params()` does not count and
//! which is not listed here.

use serde_json::Value;

use super::util::{Cfg, Compute, Computed, R, bad, dims, layer_rule, n, norm_axis, prod, sum};
use super::{Dim, LayerCfg, Shape};

fn identity(inputs: &[Shape]) -> Vec<Shape> {
    inputs
        .first()
        .filter(|s| !s.is_empty())
        .cloned()
        .into_iter()
        .collect()
}

// ------------------------------------------------------------------------------------------------
// Normalization

pub struct NormalizationRule;
layer_rule!(NormalizationRule);

impl Compute for NormalizationRule {
    fn classes(&self) -> &'static [&'static str] {
        &["Normalization"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        out.outputs = identity(inputs);
        if c.has(&["mean"]) && c.has(&["variance"]) {
            return Ok(out);
        }
        // `axis: null` reduces every axis (scalar statistics); absent means -1.
        let axes: Vec<i64> = match layer.config.get("axis") {
            Some(Value::Null) => vec![],
            _ => c.int_list(&["axis"])?.unwrap_or_else(|| vec![-1]),
        };
        let shape: Option<Vec<u64>> = match inputs.first().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let mut kept = Vec::new();
                for &a in &axes {
                    let i = norm_axis(a, s.len()).ok_or_else(|| {
                        bad("axis", format!("{a} is outside a {}-D input", s.len()))
                    })?;
                    if !kept.contains(&i) {
                        kept.push(i);
                    }
                }
                kept.sort_unstable();
                kept.iter().map(|&i| s[i]).collect()
            }
        };
        out.w("mean", shape.clone(), false);
        out.w("variance", shape.clone(), false);
        out.w("count", Some(vec![]), false);
        if let Some(s) = &shape {
            out.expr = Some(sum(vec![prod(vec![n(2), dims(s)]), n(1)]));
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// RandomFourierFeatures (tf.keras)

pub struct RandomFourierFeaturesRule;
layer_rule!(RandomFourierFeaturesRule);

impl Compute for RandomFourierFeaturesRule {
    fn classes(&self) -> &'static [&'static str] {
        &["RandomFourierFeatures"]
    }

    /// The layer is built with `trainable=False` unless the config says otherwise.
    fn trainable_by_default(&self, _class_name: &str) -> bool {
        false
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let width = c.positive(&["output_dim"])?;
        let input = inputs.first().filter(|s| !s.is_empty());
        let d = input.and_then(|s| s.last().copied().flatten());
        let mut out = Computed::new();
        // tf.keras `layer.weights` order: trainable first.
        out.w("kernel_scale", Some(vec![1]), true);
        out.w("unscaled_kernel", d.map(|d| vec![d, width]), false);
        out.w("bias", Some(vec![width]), false);
        if let Some(d) = d {
            out.expr = Some(sum(vec![n(1), prod(vec![n(d), n(width)]), n(width)]));
        }
        if let Some(s) = input {
            let mut o = s.clone();
            if let Some(last) = o.last_mut() {
                *last = Some(width);
            }
            out.outputs.push(o);
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// STFTSpectrogram (Keras ≥ 3.7, 📖)

pub struct StftRule;
layer_rule!(StftRule);

impl Compute for StftRule {
    fn classes(&self) -> &'static [&'static str] {
        &["STFTSpectrogram"]
    }

    /// Keras builds it with `trainable=False` by default.
    fn trainable_by_default(&self, _class_name: &str) -> bool {
        false
    }

    fn compute(&self, layer: LayerCfg<'_>, _inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let frame = c.positive_or(&["frame_length"], 256)?;
        let fft = match c.opt_count(&["fft_length"])? {
            Some(f) => f,
            None => frame
                .checked_next_power_of_two()
                .ok_or_else(|| bad("frame_length", "too large"))?,
        };
        let mode = c.text(&["mode"])?.unwrap_or("log");
        let bins = fft / 2 + 1;
        let shape = vec![frame, 1, bins];
        let mut out = Computed::new();
        if mode != "imag" {
            out.w("real_kernel", Some(shape.clone()), true);
        }
        if mode != "real" {
            out.w("imag_kernel", Some(shape.clone()), true);
        }
        let k = out.weights.len() as u64;
        out.expr = Some(if k == 1 {
            dims(&shape)
        } else {
            prod(vec![n(k), dims(&shape)])
        });
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Layers without weights

pub struct WeightlessPreprocessingRule;
layer_rule!(WeightlessPreprocessingRule);

impl Compute for WeightlessPreprocessingRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "Discretization",
            "StringLookup",
            "IntegerLookup",
            "TextVectorization",
            "Hashing",
            "HashedCrossing",
            "CategoryEncoding",
            "MelSpectrogram",
            "Resizing",
            "CenterCrop",
            "RandomCrop",
            "RandomHeight",
            "RandomWidth",
            "RandomFlip",
            "RandomRotation",
            "RandomZoom",
            "RandomContrast",
            "RandomTranslation",
            "RandomBrightness",
            "RandomGrayscale",
            "RandomHue",
            "RandomSaturation",
            "RandomSharpness",
            "RandomShear",
            "RandomColorJitter",
            "RandomColorDegeneration",
            "RandomPosterization",
            "RandomInvert",
            "RandomErasing",
            "RandomGaussianBlur",
            "RandomElasticTransform",
            "RandomPerspective",
            "AutoContrast",
            "Equalization",
            "Solarization",
            "MixUp",
            "CutMix",
            "AugMix",
            "RandAugment",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        let Some(input) = inputs.first().filter(|s| !s.is_empty()) else {
            return Ok(out);
        };
        let int_mode = matches!(c.text(&["output_mode"])?, None | Some("int"));
        out.outputs = match layer.class_name {
            "Discretization" | "StringLookup" | "IntegerLookup" | "Hashing" if int_mode => {
                vec![input.clone()]
            }
            "TextVectorization" if int_mode => match c.opt_count(&["output_sequence_length"])? {
                Some(len) => vec![vec![input[0], Some(len)]],
                None => vec![],
            },
            "Resizing" | "CenterCrop" | "RandomCrop" => {
                let h = c.opt_count(&["height"])?;
                let w = c.opt_count(&["width"])?;
                image_hw(input, c.channels_first()?, Some(h), Some(w))
            }
            "RandomHeight" => image_hw(input, c.channels_first()?, Some(None), None),
            "RandomWidth" => image_hw(input, c.channels_first()?, None, Some(None)),
            "Discretization" | "StringLookup" | "IntegerLookup" | "Hashing"
            | "TextVectorization" | "HashedCrossing" | "CategoryEncoding" | "MelSpectrogram" => {
                vec![]
            }
            _ => vec![input.clone()],
        };
        Ok(out)
    }
}

/// An image batch with its height and/or width replaced (`Some(None)`: now unknown).
fn image_hw(input: &Shape, channels_first: bool, h: Option<Dim>, w: Option<Dim>) -> Vec<Shape> {
    let rank = input.len();
    if rank < 3 {
        return vec![];
    }
    // (batch, H, W, C) / (batch, C, H, W), or an unbatched (H, W, C).
    let (hi, wi) = match (rank, channels_first) {
        (3, false) => (0, 1),
        (3, true) => (1, 2),
        (_, false) => (rank - 3, rank - 2),
        (_, true) => (rank - 2, rank - 1),
    };
    let mut o = input.clone();
    if let Some(h) = h {
        o[hi] = h;
    }
    if let Some(w) = w {
        o[wi] = w;
    }
    vec![o]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::apply;
    use crate::layers::{Dialect, LayerRule, RuleOutput};
    use serde_json::json;

    fn run(rule: &dyn LayerRule, class: &str, config: Value, inputs: &[Shape]) -> RuleOutput {
        apply(rule, Dialect::Keras3, class, &config, inputs)
    }

    #[test]
    fn normalization_examples() {
        // FORMULAS §2.20: (None, 5) → 11; axis (1, 2) on (None, 3, 4, 2) → 25; given → 0.
        let o = run(
            &NormalizationRule,
            "Normalization",
            json!({"axis": [-1]}),
            &[vec![None, Some(5)]],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("2·5 + 1 = 11 (11 non-trainable)")
        );
        let o = run(
            &NormalizationRule,
            "Normalization",
            json!({"axis": [1, 2]}),
            &[vec![None, Some(3), Some(4), Some(2)]],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("2·3·4 + 1 = 25 (25 non-trainable)")
        );
        let o = run(
            &NormalizationRule,
            "Normalization",
            json!({"mean": [1.0], "variance": [1.0]}),
            &[vec![None, Some(1)]],
        );
        assert!(o.weights.is_empty());
        let o = run(
            &NormalizationRule,
            "Normalization",
            json!({"axis": null}),
            &[vec![None, Some(3)]],
        );
        assert_eq!(o.weights[0].shape, Some(vec![]));
    }

    #[test]
    fn random_fourier_features_are_frozen_by_default() {
        // FORMULAS §2.20: d=4, out=10 → 51 (verified_cases: 0 trainable).
        let o = run(
            &RandomFourierFeaturesRule,
            "RandomFourierFeatures",
            json!({"output_dim": 10}),
            &[vec![None, Some(4)]],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("1 + 4·10 + 10 = 51 (51 non-trainable)")
        );
        let o = run(
            &RandomFourierFeaturesRule,
            "RandomFourierFeatures",
            json!({"output_dim": 10, "trainable": true}),
            &[vec![None, Some(4)]],
        );
        assert!(o.weights[0].trainable);
    }

    #[test]
    fn stft_kernels() {
        // FORMULAS §2.20: (frame_length, 1, fft_length//2 + 1); fft default next power of 2.
        let o = run(
            &StftRule,
            "STFTSpectrogram",
            json!({"frame_length": 200, "mode": "real"}),
            &[],
        );
        assert_eq!(o.weights.len(), 1);
        assert_eq!(o.weights[0].shape, Some(vec![200, 1, 129]));
        let o = run(
            &StftRule,
            "STFTSpectrogram",
            json!({"frame_length": 200}),
            &[],
        );
        assert_eq!(o.weights.len(), 2);
    }

    #[test]
    fn weightless_shapes() {
        let img = vec![None, Some(32), Some(32), Some(3)];
        let o = run(
            &WeightlessPreprocessingRule,
            "Resizing",
            json!({"height": 16, "width": 8}),
            std::slice::from_ref(&img),
        );
        assert_eq!(
            o.output_shapes,
            vec![vec![None, Some(16), Some(8), Some(3)]]
        );
        assert_eq!(o.derivation.as_deref(), Some("0 (no weights)"));
        let o = run(
            &WeightlessPreprocessingRule,
            "TextVectorization",
            json!({"max_tokens": 20, "output_mode": "tf_idf"}),
            &[vec![None]],
        );
        assert!(o.weights.is_empty());
        assert!(o.output_shapes.is_empty());
    }
}
