//! Wrappers (FORMULAS §2.12, §2.13, §2.15; FORMATS §5.2–5.3): Bidirectional (with a custom
//! `backward_layer` and every `merge_mode`), TimeDistributed, SpectralNormalization.
//!
//! The wrapped layer is computed by its own rule; its owners get the wrapper's child path
//! in front: `forward_layer` / `backward_layer` (so an LSTM's weights sit under
//! `forward_layer/cell`), `layer` for TimeDistributed and SpectralNormalization.

use serde_json::{Value, json};

use super::probe::{last, merge, rnn_variants, sequence_probe, width_not_shown};
use super::util::{
    Cfg, Compute, Computed, R, bad, group, layer_rule, n, nested, sum, twice_or_sum,
};
use super::{LayerCfg, PrintedLayer, Probe, Shape, StoredAlias};

// ------------------------------------------------------------------------------------------------
// Bidirectional

pub struct BidirectionalRule;
layer_rule!(BidirectionalRule);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Merge {
    Concat,
    Keep,
    Separate,
}

impl Compute for BidirectionalRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        let width = last(row.output).ok_or_else(|| width_not_shown(row.output))?;
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
                        plain.push(sequence_probe(class, label, config, row.input));
                    } else {
                        config["backward_layer"] = backward.clone();
                        let label = format!(
                            "Bidirectional({forward_label}, backward_layer={backward_label}, merge_mode={merge_mode})"
                        );
                        mixed.push(sequence_probe(class, label, config, row.input).rare(true));
                    }
                }
            }
        }
        plain.extend(mixed);
        Ok(plain)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["Bidirectional"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let (_, forward_cfg) = c.get(&["layer"]).ok_or_else(|| bad("layer", "missing"))?;
        let (_, mut forward) = nested(forward_cfg, layer.dialect, inputs, "layer")?;
        // Without `backward_layer` the backward copy has the forward config (go_backwards
        // flipped, which changes no weight).
        let mut backward = match c.get(&["backward_layer"]) {
            Some((_, b)) => nested(b, layer.dialect, inputs, "backward_layer")?.1,
            None => forward.clone(),
        };
        let merge = match layer.config.get("merge_mode") {
            None => Merge::Concat,
            Some(Value::Null) => Merge::Separate,
            Some(Value::String(m)) => match m.as_str() {
                "concat" => Merge::Concat,
                "sum" | "ave" | "mul" => Merge::Keep,
                other => return Err(bad("merge_mode", format!("unknown mode `{other}`"))),
            },
            Some(_) => return Err(bad("merge_mode", "expected a string or null")),
        };

        let mut out = Computed::new();
        if forward.all_known() && backward.all_known() {
            out.expr = Some(twice_or_sum(forward.formula(), backward.formula()));
        }
        let (fo, bo) = (forward.outputs.clone(), backward.outputs.clone());
        forward.prefix_owners("forward_layer");
        backward.prefix_owners("backward_layer");
        out.weights.append(&mut forward.weights);
        out.weights.append(&mut backward.weights);
        out.aliases.append(&mut forward.aliases);
        out.aliases.append(&mut backward.aliases);

        if let (Some(yf), Some(yb)) = (fo.first(), bo.first()) {
            match merge {
                Merge::Concat => {
                    let mut y = yf.clone();
                    if let Some(last) = y.last_mut() {
                        *last = match (yf.last().copied().flatten(), yb.last().copied().flatten()) {
                            (Some(a), Some(b)) => a.checked_add(b),
                            _ => None,
                        };
                    }
                    out.outputs.push(y);
                }
                Merge::Keep => out.outputs.push(yf.clone()),
                Merge::Separate => {
                    out.outputs.push(yf.clone());
                    out.outputs.push(yb.clone());
                }
            }
            out.outputs.extend(fo[1..].iter().cloned());
            out.outputs.extend(bo[1..].iter().cloned());
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// TimeDistributed

pub struct TimeDistributedRule;
layer_rule!(TimeDistributedRule);

impl Compute for TimeDistributedRule {
    fn probes(&self, _row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        Err("the wrapped layer is not shown".into())
    }

    fn classes(&self) -> &'static [&'static str] {
        &["TimeDistributed"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let (_, inner_cfg) = c.get(&["layer"]).ok_or_else(|| bad("layer", "missing"))?;
        let input = inputs.first().filter(|s| s.len() >= 2);
        // The inner layer sees one time step: (batch,) + in_shape[2:].
        let inner_inputs: Vec<Shape> = match input {
            Some(s) => vec![
                std::iter::once(s[0])
                    .chain(s[2..].iter().copied())
                    .collect(),
            ],
            None => vec![],
        };
        let (_, mut inner) = nested(inner_cfg, layer.dialect, &inner_inputs, "layer")?;
        let mut out = Computed::new();
        if inner.all_known() {
            out.expr = Some(inner.formula());
        }
        if let Some(s) = input {
            let time = s[1];
            out.outputs = inner
                .outputs
                .iter()
                .filter(|o| !o.is_empty())
                .map(|o| {
                    std::iter::once(o[0])
                        .chain([time])
                        .chain(o[1..].iter().copied())
                        .collect()
                })
                .collect();
        }
        inner.prefix_owners("layer");
        out.weights = inner.weights;
        out.aliases = inner.aliases;
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// SpectralNormalization

pub struct SpectralNormalizationRule;
layer_rule!(SpectralNormalizationRule);

impl Compute for SpectralNormalizationRule {
    fn classes(&self) -> &'static [&'static str] {
        &["SpectralNormalization"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let (_, inner_cfg) = c.get(&["layer"]).ok_or_else(|| bad("layer", "missing"))?;
        let (_, mut inner) = nested(inner_cfg, layer.dialect, inputs, "layer")?;
        // The normalized weight: `kernel` (Dense, Conv...) or `embeddings`.
        let kernel = inner
            .weights
            .iter()
            .find(|w| {
                matches!(
                    w.name.as_str(),
                    "kernel" | "embeddings" | "depthwise_kernel"
                )
            })
            .ok_or_else(|| bad("layer", "the wrapped layer has no kernel to normalize"))?
            .clone();
        let columns = kernel.shape.as_ref().and_then(|s| s.last().copied());
        let mut out = Computed::new();
        if let (true, Some(cols)) = (inner.all_known(), columns) {
            out.expr = Some(sum(vec![group(inner.formula()), n(cols)]));
        }
        out.outputs = std::mem::take(&mut inner.outputs);
        inner.prefix_owners("layer");
        let kernel_owner = super::util::join_owner("layer", &kernel.owner);
        out.weights = inner.weights;
        out.aliases = inner.aliases;
        // vector_u (1, kernel.shape[-1]), non-trainable (FORMULAS §2.15).
        out.w("vector_u", columns.map(|cols| vec![1, cols]), false);
        if layer.dialect == super::Dialect::Keras3 {
            // FORMATS §5.2: Keras 3 stores a second copy of the wrapped kernel as the
            // wrapper's own vars/0, before vector_u.
            out.aliases.push(StoredAlias {
                owner: String::new(),
                index: 0,
                name: kernel.name.clone(),
                of_owner: kernel_owner,
                of_name: kernel.name,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, total};
    use crate::layers::{Dialect, LayerRule, RuleOutput};
    use serde_json::json;

    fn run(
        rule: &dyn LayerRule,
        dialect: Dialect,
        class: &str,
        config: Value,
        input: Shape,
    ) -> RuleOutput {
        apply(rule, dialect, class, &config, &[input])
    }

    #[test]
    fn bidirectional_examples() {
        // FORMULAS §2.12: Bidirectional(LSTM(8)) on d=5 → 896; backward SimpleRNN(8) → 560.
        let lstm = json!({"class_name": "LSTM", "config": {"units": 8}});
        let o = run(
            &BidirectionalRule,
            Dialect::Keras3,
            "Bidirectional",
            json!({"layer": lstm}),
            vec![None, Some(10), Some(5)],
        );
        assert_eq!(o.derivation.as_deref(), Some("2·4·((5+1)·8 + 8²) = 896"));
        assert_eq!(o.weights[0].owner, "forward_layer/cell");
        assert_eq!(o.weights[3].owner, "backward_layer/cell");
        assert_eq!(o.output_shapes, vec![vec![None, Some(16)]]);
        let o = run(
            &BidirectionalRule,
            Dialect::Keras3,
            "Bidirectional",
            json!({"layer": lstm, "backward_layer": {"class_name": "SimpleRNN", "config": {"units": 8}}}),
            vec![None, Some(10), Some(5)],
        );
        assert_eq!(total(&o), 560);
        let o = run(
            &BidirectionalRule,
            Dialect::Keras3,
            "Bidirectional",
            json!({"layer": {"class_name": "LSTM", "config": {"units": 8, "return_state": true}}, "merge_mode": null}),
            vec![None, Some(10), Some(5)],
        );
        assert_eq!(o.output_shapes.len(), 6);
        assert_eq!(o.output_shapes[0], vec![None, Some(8)]);
    }

    #[test]
    fn bidirectional_concat_doubles_the_last_axis() {
        // FORMULAS §4 / trap 16: channels_first ConvLSTM2D (None,3,4,10,10) → (None,3,4,10,20).
        let o = run(
            &BidirectionalRule,
            Dialect::Keras3,
            "Bidirectional",
            json!({"layer": {"class_name": "ConvLSTM2D", "config": {"filters": 4, "kernel_size": 3, "padding": "same", "return_sequences": true, "data_format": "channels_first"}}}),
            vec![None, Some(3), Some(4), Some(10), Some(10)],
        );
        assert_eq!(
            o.output_shapes,
            vec![vec![None, Some(3), Some(4), Some(10), Some(20)]]
        );
    }

    #[test]
    fn time_distributed_and_spectral_normalization() {
        // FORMULAS §2.13: TimeDistributed(Conv2D(4, 3)) on (None, 3, 8, 8, 2) → 76.
        let o = run(
            &TimeDistributedRule,
            Dialect::Keras3,
            "TimeDistributed",
            json!({"layer": {"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": 3}}}),
            vec![None, Some(3), Some(8), Some(8), Some(2)],
        );
        assert_eq!(total(&o), 76);
        assert_eq!(o.weights[0].owner, "layer");
        assert_eq!(
            o.output_shapes,
            vec![vec![None, Some(3), Some(6), Some(6), Some(4)]]
        );
        // FORMULAS §2.15: SN(Dense(5)) on (None, 3) → 25; SN(Conv2D(4, 3)) on 2 channels → 80.
        let o = run(
            &SpectralNormalizationRule,
            Dialect::Keras3,
            "SpectralNormalization",
            json!({"layer": {"class_name": "Dense", "config": {"units": 5}}}),
            vec![None, Some(3)],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("(3+1)·5 + 5 = 25 (5 non-trainable)")
        );
        assert_eq!(o.aliases.len(), 1);
        assert_eq!(o.aliases[0].of_owner, "layer");
        let o = run(
            &SpectralNormalizationRule,
            Dialect::TfKeras,
            "SpectralNormalization",
            json!({"layer": {"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": 3}}}),
            vec![None, Some(8), Some(8), Some(2)],
        );
        assert_eq!(total(&o), 80);
        assert!(o.aliases.is_empty());
    }

    #[test]
    fn nesting_depth_is_bounded() {
        let mut cfg = json!({"class_name": "Dense", "config": {"units": 2}});
        for _ in 0..40 {
            cfg = json!({"class_name": "TimeDistributed", "config": {"layer": cfg}});
        }
        let config = cfg["config"].clone();
        let r = TimeDistributedRule.apply(
            LayerCfg {
                class_name: "TimeDistributed",
                config: &config,
                dialect: Dialect::Keras3,
            },
            &[],
        );
        assert!(r.is_err());
    }
}
