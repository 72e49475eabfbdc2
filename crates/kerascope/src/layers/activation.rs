//! Activation layers that own weights (FORMULAS §2.19, §3): PReLU (`alpha`, Keras 1
//! `alphas`), Keras 1 ParametricSoftplus (`alphas`, `betas`) and SReLU (`t_left`, `a_left`,
//! `t_right`, `a_right`). Each weight has the input shape without the batch axis, with every
//! axis of `shared_axes` (1-based) set to 1. The output keeps the input shape.

use serde_json::json;

use super::probe::{settings_not_shown, width_not_shown};
use super::util::{Cfg, Compute, Computed, R, bad, dims, layer_rule, n, prod};
use super::{Dialect, LayerCfg, PrintedLayer, Probe, Shape};

pub struct ActivationWeightsRule;
layer_rule!(ActivationWeightsRule);

impl Compute for ActivationWeightsRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        if class != "PReLU" {
            return Err(settings_not_shown(class));
        }
        let out = row.output;
        let rank = out.len().saturating_sub(1);
        if rank == 0 || rank > 4 {
            return Err(width_not_shown(out));
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

    fn classes(&self) -> &'static [&'static str] {
        &["PReLU", "ParametricSoftplus", "SReLU"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let shared = c.int_list(&["shared_axes"])?.unwrap_or_default();
        let input = inputs.first().filter(|s| !s.is_empty());
        let shape: Option<Vec<u64>> = match input {
            None => None,
            Some(s) => {
                for &a in &shared {
                    if a < 1 || a as usize >= s.len() {
                        return Err(bad(
                            "shared_axes",
                            format!("axis {a} is not a non-batch axis of a {}-D input", s.len()),
                        ));
                    }
                }
                (1..s.len())
                    .map(|i| {
                        if shared.contains(&(i as i64)) {
                            Some(1)
                        } else {
                            s[i]
                        }
                    })
                    .collect()
            }
        };
        let names: &[&str] = match layer.class_name {
            "ParametricSoftplus" => &["alphas", "betas"],
            "SReLU" => &["t_left", "a_left", "t_right", "a_right"],
            _ if layer.dialect == Dialect::Keras1 => &["alphas"],
            _ => &["alpha"],
        };
        let mut out = Computed::new();
        for name in names {
            out.w(name, shape.clone(), true);
        }
        if let Some(s) = &shape {
            out.expr = Some(if names.len() == 1 {
                dims(s)
            } else {
                prod(vec![n(names.len() as u64), dims(s)])
            });
        }
        out.outputs = input.cloned().into_iter().collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::LayerRule;
    use serde_json::json;

    #[test]
    fn prelu_shared_axes() {
        // FORMULAS §2.19: (None, 8, 8, 3) → 192; shared_axes [1, 2] → (1, 1, 3) → 3.
        let input = vec![None, Some(8), Some(8), Some(3)];
        let apply = |config: serde_json::Value, class: &str, dialect: Dialect| {
            ActivationWeightsRule
                .apply(
                    LayerCfg {
                        class_name: class,
                        config: &config,
                        dialect,
                    },
                    std::slice::from_ref(&input),
                )
                .unwrap()
        };
        let o = apply(json!({"shared_axes": null}), "PReLU", Dialect::Keras3);
        assert_eq!(o.derivation.as_deref(), Some("8·8·3 = 192"));
        let o = apply(json!({"shared_axes": [1, 2]}), "PReLU", Dialect::Keras3);
        assert_eq!(o.weights[0].shape, Some(vec![1, 1, 3]));
        let o = apply(json!({}), "PReLU", Dialect::Keras1);
        assert_eq!(o.weights[0].name, "alphas");
        let o = apply(json!({"shared_axes": 3}), "SReLU", Dialect::Keras1);
        assert_eq!(o.derivation.as_deref(), Some("4·8·8·1 = 256"));
        let r = ActivationWeightsRule.apply(
            LayerCfg {
                class_name: "PReLU",
                config: &json!({"shared_axes": [0]}),
                dialect: Dialect::Keras3,
            },
            std::slice::from_ref(&input),
        );
        assert!(r.is_err());
    }
}
