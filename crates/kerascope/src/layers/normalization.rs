//! Normalization layers (FORMULAS §2.15, §3): BatchNormalization (center/scale, renorm, a
//! list of axes with tf.keras broadcast shapes, Keras 1 `running_std`), LayerNormalization,
//! GroupNormalization, RMSNormalization, UnitNormalization. All keep the input shape.

use serde_json::json;

use super::probe::settings_not_shown;
use super::util::{Cfg, Compute, Computed, R, bad, dims, layer_rule, n, norm_axis, prod};
use super::{Dialect, Dim, LayerCfg, PrintedLayer, Probe, Shape};

/// The normalized axes as sorted, distinct indices into `shape`.
fn resolve_axes(axes: &[i64], shape: &Shape) -> R<Vec<usize>> {
    let mut out = Vec::new();
    for &a in axes {
        let i = norm_axis(a, shape.len())
            .ok_or_else(|| bad("axis", format!("{a} is outside a {}-D input", shape.len())))?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn identity(inputs: &[Shape]) -> Vec<Shape> {
    inputs
        .first()
        .filter(|s| !s.is_empty())
        .cloned()
        .into_iter()
        .collect()
}

/// `k·C` with the weights' common size (`4·64`), or the sum of the shapes when they differ.
fn uniform_expr(out: &mut Computed) {
    if !out.all_known() || out.weights.is_empty() {
        return;
    }
    let first = out.weights[0].shape.clone().unwrap_or_default();
    if out.weights.iter().all(|w| w.shape.as_ref() == Some(&first)) {
        let count = out.weights.len() as u64;
        out.expr = Some(if count == 1 {
            dims(&first)
        } else {
            prod(vec![n(count), dims(&first)])
        });
    }
}

// ------------------------------------------------------------------------------------------------
// BatchNormalization

pub struct BatchNormalizationRule;
layer_rule!(BatchNormalizationRule);

impl Compute for BatchNormalizationRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        Ok(normalization_probes(row))
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "BatchNormalization",
            "BatchNormalizationV1",
            "BatchNormalizationV2",
            "SyncBatchNormalization",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let axes = c.int_list(&["axis"])?.unwrap_or_else(|| vec![-1]);
        if axes.is_empty() {
            return Err(bad("axis", "no axis"));
        }
        let input = inputs.first().filter(|s| !s.is_empty());
        let mut out = Computed::new();
        let param: Option<Vec<u64>> = match input {
            None => None,
            Some(shape) => {
                let resolved = resolve_axes(&axes, shape)?;
                let virtual_batch = layer.dialect == Dialect::TfKeras
                    && c.opt_count(&["virtual_batch_size"])?.is_some();
                let dims: Vec<Dim> = if resolved.len() == 1 && !virtual_batch {
                    vec![shape[resolved[0]]]
                } else {
                    // tf.keras: 1 in every non-normalized axis (FORMULAS §2.15); a virtual
                    // batch adds one more 1 at index 1.
                    let mut b: Vec<Dim> = (0..shape.len())
                        .map(|i| {
                            if resolved.contains(&i) {
                                shape[i]
                            } else {
                                Some(1)
                            }
                        })
                        .collect();
                    if virtual_batch {
                        b.insert(1, Some(1));
                    }
                    b
                };
                dims.into_iter().collect()
            }
        };
        if layer.dialect == Dialect::Keras1 {
            // FORMULAS §3: always 4 tensors, whatever `mode`.
            out.w("gamma", param.clone(), true);
            out.w("beta", param.clone(), true);
            out.w("running_mean", param.clone(), false);
            out.w("running_std", param, false);
        } else {
            if c.flag(&["scale"], true)? {
                out.w("gamma", param.clone(), true);
            }
            if c.flag(&["center"], true)? {
                out.w("beta", param.clone(), true);
            }
            out.w("moving_mean", param.clone(), false);
            out.w("moving_variance", param.clone(), false);
            if c.flag(&["renorm"], false)? {
                for name in ["moving_stddev", "renorm_mean", "renorm_stddev"] {
                    out.w(name, param.clone(), false);
                }
            }
        }
        uniform_expr(&mut out);
        out.outputs = identity(inputs);
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// LayerNormalization, GroupNormalization, RMSNormalization, UnitNormalization

pub struct AxisNormalizationRule;
layer_rule!(AxisNormalizationRule);

impl Compute for AxisNormalizationRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        match row.class_name {
            "LayerNormalization" | "GroupNormalization" => Ok(normalization_probes(row)),
            "RMSNormalization" => Ok(vec![Probe::known(
                row.class_name,
                "RMSNormalization(axis=-1)".into(),
                json!({"axis": -1}),
                row.output.clone(),
            )]),
            other => Err(settings_not_shown(other)),
        }
    }

    fn weightless(&self, class_name: &str) -> bool {
        class_name == "UnitNormalization"
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "LayerNormalization",
            "GroupNormalization",
            "RMSNormalization",
            "UnitNormalization",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        out.outputs = identity(inputs);
        if layer.class_name == "UnitNormalization" {
            return Ok(out);
        }
        let axes = c.int_list(&["axis"])?.unwrap_or_else(|| vec![-1]);
        if axes.is_empty() {
            return Err(bad("axis", "no axis"));
        }
        let input = inputs.first().filter(|s| !s.is_empty());
        let param: Option<Vec<u64>> = match input {
            None => None,
            Some(shape) => {
                let resolved = resolve_axes(&axes, shape)?;
                resolved.iter().map(|&i| shape[i]).collect()
            }
        };
        match layer.class_name {
            "RMSNormalization" => out.w("scale", param, true),
            "GroupNormalization" => {
                let groups = c.positive_or(&["groups"], 32)?;
                if let Some(&[channels]) = param.as_deref()
                    && channels % groups != 0
                {
                    return Err(bad(
                        "groups",
                        format!("{groups} groups do not divide {channels} channels"),
                    ));
                }
                if c.flag(&["scale"], true)? {
                    out.w("gamma", param.clone(), true);
                }
                if c.flag(&["center"], true)? {
                    out.w("beta", param, true);
                }
            }
            _ => {
                // Keras 3 `rms_scaling: true` keeps gamma only.
                let rms = c.flag(&["rms_scaling"], false)?;
                if c.flag(&["scale"], true)? || rms {
                    out.w("gamma", param.clone(), true);
                }
                if c.flag(&["center"], true)? && !rms {
                    out.w("beta", param, true);
                }
            }
        }
        uniform_expr(&mut out);
        Ok(out)
    }
}

/// BatchNormalization, LayerNormalization, GroupNormalization: `center` and `scale` both
/// ways, and for BatchNormalization on a feature map the channels first or last.
fn normalization_probes(row: &PrintedLayer<'_>) -> Vec<Probe> {
    let class = row.class_name;
    let out = row.output;
    let axes: &[i64] = if class.contains("Batch") && out.len() > 2 {
        &[-1, 1]
    } else {
        &[-1]
    };
    let mut list = Vec::new();
    for &axis in axes {
        for (center, scale) in [(true, true), (true, false), (false, true), (false, false)] {
            let mut label = format!("{class}(axis={axis}");
            if !center {
                label.push_str(", center=False");
            }
            if !scale {
                label.push_str(", scale=False");
            }
            label.push(')');
            let config = json!({"axis": axis, "center": center, "scale": scale, "groups": 1});
            list.push(Probe::known(class, label, config, out.clone()));
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, s};
    use crate::layers::{LayerRule, RuleOutput};
    use serde_json::{Value, json};

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
    fn batch_norm_examples() {
        // The brief: `4·64 = 256 (128 non-trainable)`.
        let o = run(
            &BatchNormalizationRule,
            Dialect::Keras3,
            "BatchNormalization",
            json!({}),
            s(&[8, 8, 64]),
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("4·64 = 256 (128 non-trainable)")
        );
        // FORMULAS §2.15: axis [1, 2] on (None, 3, 4, 5) in tf.keras → (1, 3, 4, 1) each, 48.
        let o = run(
            &BatchNormalizationRule,
            Dialect::TfKeras,
            "BatchNormalization",
            json!({"axis": [1, 2]}),
            s(&[3, 4, 5]),
        );
        assert_eq!(o.weights[0].shape, Some(vec![1, 3, 4, 1]));
        assert_eq!(
            o.derivation.as_deref(),
            Some("4·1·3·4·1 = 48 (24 non-trainable)")
        );
        // renorm on 6 → 42; center/scale false on 6 → 12, all non-trainable.
        let o = run(
            &BatchNormalizationRule,
            Dialect::Keras3,
            "BatchNormalization",
            json!({"renorm": true}),
            s(&[6]),
        );
        assert_eq!(o.derivation.as_deref(), Some("7·6 = 42 (30 non-trainable)"));
        let o = run(
            &BatchNormalizationRule,
            Dialect::Keras3,
            "BatchNormalization",
            json!({"center": false, "scale": false}),
            s(&[6]),
        );
        assert_eq!(o.derivation.as_deref(), Some("2·6 = 12 (12 non-trainable)"));
    }

    #[test]
    fn keras1_batch_norm_has_running_std() {
        // FORMULAS §3: gamma, beta, running_mean, running_std whatever center/scale say.
        let o = run(
            &BatchNormalizationRule,
            Dialect::Keras1,
            "BatchNormalization",
            json!({"mode": 0, "axis": 1}),
            s(&[3, 8, 8]),
        );
        let names: Vec<_> = o.weights.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["gamma", "beta", "running_mean", "running_std"]);
        assert_eq!(o.weights[0].shape, Some(vec![3]));
    }

    #[test]
    fn layer_group_rms_norm() {
        // FORMULAS §2.15: LN axis [1, 2] on (None, 10, 12) → 240; GN 4 groups on 12 → 24;
        // RMSNormalization on (None, 4, 6) → 6.
        let o = run(
            &AxisNormalizationRule,
            Dialect::Keras3,
            "LayerNormalization",
            json!({"axis": [1, 2]}),
            s(&[10, 12]),
        );
        assert_eq!(o.derivation.as_deref(), Some("2·10·12 = 240"));
        let o = run(
            &AxisNormalizationRule,
            Dialect::Keras3,
            "LayerNormalization",
            json!({"rms_scaling": true}),
            s(&[12]),
        );
        assert_eq!(o.weights.len(), 1);
        let o = run(
            &AxisNormalizationRule,
            Dialect::Keras3,
            "GroupNormalization",
            json!({"groups": 4}),
            s(&[8, 8, 12]),
        );
        assert_eq!(o.derivation.as_deref(), Some("2·12 = 24"));
        let o = run(
            &AxisNormalizationRule,
            Dialect::Keras3,
            "RMSNormalization",
            json!({}),
            s(&[4, 6]),
        );
        assert_eq!(o.derivation.as_deref(), Some("6"));
        let o = run(
            &AxisNormalizationRule,
            Dialect::Keras3,
            "UnitNormalization",
            json!({}),
            s(&[4, 6]),
        );
        assert_eq!(o.derivation.as_deref(), Some("0 (no weights)"));
        let r = AxisNormalizationRule.apply(
            LayerCfg {
                class_name: "LayerNormalization",
                config: &json!({"axis": 5}),
                dialect: Dialect::Keras3,
            },
            &[s(&[4])],
        );
        assert!(r.is_err());
    }
}
