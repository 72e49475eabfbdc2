//! Attention layers (FORMULAS §2.16): MultiHeadAttention (four EinsumDense projections, plus
//! the Keras ≥ 3.14 gate), Attention (Luong) and AdditiveAttention (Bahdanau).
//!
//! Inputs are `[query, value]` or `[query, value, key]` (key defaults to value). The
//! MultiHeadAttention projections are computed by the EinsumDense rule on the equations Keras
//! builds (`_build_proj_equation`), so a quantized dtype policy on the layer reaches them too.

use serde_json::Value;

use super::dense::{einsum_config, einsum_dense, quantization};
use super::util::{Cfg, Compute, Computed, R, bad, dims, group, layer_rule, n, prod, sum};
use super::{Dialect, Dim, LayerCfg, Shape};

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Keras' `_build_proj_equation(free_dims, bound_dims, output_dims)`: the equation, the bias
/// axes and the output rank.
fn proj_equation(free: usize, bound: usize, output: usize) -> R<(String, String, usize)> {
    if free + bound + output > LETTERS.len() {
        return Err(bad(
            "input shape",
            "too many axes for an attention projection",
        ));
    }
    let letter = |i: usize| LETTERS[i] as char;
    let free_s: String = (0..free).map(letter).collect();
    let bound_s: String = (free..free + bound).map(letter).collect();
    let out_s: String = (free + bound..free + bound + output).map(letter).collect();
    Ok((
        format!("{free_s}{bound_s},{bound_s}{out_s}->{free_s}{out_s}"),
        out_s.clone(),
        free + output,
    ))
}

/// `[None] * (rank - 1 - len(dims)) + dims` (Keras `_get_output_shape(rank - 1, dims)`).
fn partial_shape(output_rank: usize, dims: &[u64]) -> Vec<Dim> {
    let pad = output_rank.saturating_sub(1 + dims.len());
    std::iter::repeat_n(None, pad)
        .chain(dims.iter().map(|&d| Some(d)))
        .collect()
}

/// A tf.keras shape string such as `"(None, 10, 512)"`.
fn parse_shape_string(text: &str) -> Option<Shape> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p == "None" {
                Some(None)
            } else {
                p.parse::<u64>().ok().map(Some)
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// MultiHeadAttention

pub struct MultiHeadAttentionRule;
layer_rule!(MultiHeadAttentionRule);

impl Compute for MultiHeadAttentionRule {
    fn classes(&self) -> &'static [&'static str] {
        &["MultiHeadAttention"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let heads = c.positive(&["num_heads"])?;
        let key_dim = c.positive(&["key_dim"])?;
        let value_dim = c.positive_or(&["value_dim"], key_dim)?;
        let use_bias = c.flag(&["use_bias"], true)?;
        let use_gate = c.flag(&["use_gate"], false)?;
        let output_dims: Option<Vec<u64>> = match c.get(&["output_shape"]) {
            Some((_, Value::Array(items))) if items.is_empty() => {
                return Err(bad("output_shape", "empty"));
            }
            None => None,
            Some((_, Value::Array(items))) => Some(
                items
                    .iter()
                    .map(|v| {
                        super::util::as_count(v)
                            .ok_or_else(|| bad("output_shape", "expected integers"))
                    })
                    .collect::<R<_>>()?,
            ),
            Some((_, v)) => Some(vec![
                super::util::as_count(v)
                    .ok_or_else(|| bad("output_shape", "expected an integer"))?,
            ]),
        };
        let dtype = layer
            .config
            .get("dtype")
            .filter(|d| d.is_object() || d.is_string());

        // Shapes: the call's inputs, else the tf.keras `query_shape`/`value_shape`/`key_shape`.
        let from_config = |key: &'static str| -> Option<Shape> {
            c.text(&[key]).ok().flatten().and_then(parse_shape_string)
        };
        let query = inputs
            .first()
            .cloned()
            .or_else(|| from_config("query_shape"));
        let value = inputs
            .get(1)
            .cloned()
            .or_else(|| from_config("value_shape"))
            .or_else(|| query.clone());
        let key = inputs
            .get(2)
            .cloned()
            .or_else(|| from_config("key_shape"))
            .or_else(|| value.clone());
        let q_rank = query.as_ref().map_or(3, Vec::len).max(2);
        let q_last = query.as_ref().and_then(|q| q.last().copied().flatten());
        let out_dims: Option<Vec<u64>> = match &output_dims {
            Some(d) => Some(d.clone()),
            None => q_last.map(|q| vec![q]),
        };

        let bias_of = |axes: &str| {
            if use_bias {
                Some(axes.to_string())
            } else {
                None
            }
        };
        // One projection: its EinsumDense computation on `input`.
        let project = |input: &Option<Shape>, dims: &[u64]| -> R<Computed> {
            let rank = input.as_ref().map_or(3, Vec::len).max(2);
            let (equation, axes, out_rank) = proj_equation(rank - 1, 1, 2)?;
            let config = einsum_config(
                &equation,
                partial_shape(out_rank, dims),
                bias_of(&axes).as_deref(),
                dtype,
            );
            einsum_dense(&config, input.as_ref())
        };
        let mut parts: Vec<(&str, Computed)> = vec![
            ("query_dense", project(&query, &[heads, key_dim])?),
            ("key_dense", project(&key, &[heads, key_dim])?),
        ];
        if use_gate {
            parts.push(("_gate_dense", project(&query, &[heads, value_dim])?));
        }
        parts.push(("value_dense", project(&value, &[heads, value_dim])?));
        // attention_output: (H, vd) + O.
        let output_part = match &out_dims {
            Some(o) => {
                let (equation, axes, out_rank) = proj_equation(q_rank - 1, 2, o.len())?;
                let config = einsum_config(
                    &equation,
                    partial_shape(out_rank, o),
                    bias_of(&axes).as_deref(),
                    dtype,
                );
                // The output projection reads the attention result (query[:-1] + (H, vd)).
                let attended: Option<Shape> = query.as_ref().map(|q| {
                    q[..q.len().saturating_sub(1)]
                        .iter()
                        .copied()
                        .chain([Some(heads), Some(value_dim)])
                        .collect()
                });
                einsum_dense(&config, attended.as_ref())?
            }
            None => {
                let mut unknown = Computed::new();
                unknown.w("kernel", None, true);
                if use_bias {
                    unknown.w("bias", None, true);
                }
                unknown
            }
        };
        parts.push(("output_dense", output_part));

        let mut out = Computed::new();
        let mut exprs = Vec::new();
        for (owner, mut part) in parts {
            if part.all_known() {
                exprs.push(group(part.formula()));
            }
            part.prefix_owners(owner);
            out.weights.append(&mut part.weights);
        }
        if out.all_known() {
            // Unquantized: each projection as `(d+1)·H·k`, the output as `(H·vd+1)·O`.
            let last = |s: &Option<Shape>| s.as_ref().and_then(|s| s.last().copied().flatten());
            let dims_in = (last(&query), last(&key), last(&value), &out_dims);
            out.expr = match dims_in {
                (Some(q), Some(k), Some(v), Some(o)) if quantization(&c)?.is_none() => {
                    let proj = |d: u64, width: u64| {
                        let d = if use_bias {
                            sum(vec![n(d), n(1)])
                        } else {
                            n(d)
                        };
                        prod(vec![d, n(heads), n(width)])
                    };
                    let hv = prod(vec![n(heads), n(value_dim)]);
                    let rows = if use_bias { sum(vec![hv, n(1)]) } else { hv };
                    let mut terms = vec![proj(q, key_dim), proj(k, key_dim)];
                    if use_gate {
                        terms.push(proj(q, value_dim));
                    }
                    terms.push(proj(v, value_dim));
                    terms.push(prod(vec![rows, dims(o)]));
                    Some(sum(terms))
                }
                _ => Some(sum(exprs)),
            };
        }
        if let (Some(q), Some(o)) = (&query, &out_dims)
            && !q.is_empty()
        {
            let shape: Shape = q[..q.len() - 1]
                .iter()
                .copied()
                .chain(o.iter().map(|&d| Some(d)))
                .collect();
            out.outputs.push(shape);
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Attention, AdditiveAttention

pub struct AttentionRule;
layer_rule!(AttentionRule);

impl Compute for AttentionRule {
    fn classes(&self) -> &'static [&'static str] {
        &["Attention", "AdditiveAttention"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let query = inputs.first().filter(|s| !s.is_empty());
        let value = inputs.get(1).filter(|s| !s.is_empty()).or(query);
        let q_last = query.and_then(|s| s.last().copied().flatten());
        let v_last = value.and_then(|s| s.last().copied().flatten());
        let mut out = Computed::new();
        if layer.class_name == "AdditiveAttention" {
            if c.flag(&["use_scale"], true)? {
                // Keras 3 sizes it on the query, tf.keras on the value (equal in a valid model).
                let dim = if layer.dialect == Dialect::Keras3 {
                    q_last.or(v_last)
                } else {
                    v_last.or(q_last)
                };
                out.w("scale", dim.map(|d| vec![d]), true);
            }
        } else {
            if c.flag(&["use_scale"], false)? {
                out.w("scale", Some(vec![]), true);
            }
            if c.text(&["score_mode"])? == Some("concat") {
                out.w("concat_score_weight", Some(vec![]), true);
            }
        }
        if let Some(q) = query {
            let mut shape = q.clone();
            if let Some(last) = shape.last_mut() {
                *last = v_last;
            }
            out.outputs.push(shape);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, s, total};
    use crate::layers::{LayerRule, RuleOutput};
    use serde_json::json;

    fn run(rule: &dyn LayerRule, config: Value, inputs: &[Shape]) -> RuleOutput {
        apply(rule, Dialect::Keras3, "MultiHeadAttention", &config, inputs)
    }

    #[test]
    fn projection_equations_match_keras() {
        assert_eq!(
            proj_equation(2, 1, 2).unwrap(),
            ("abc,cde->abde".to_string(), "de".to_string(), 4)
        );
        assert_eq!(
            proj_equation(2, 2, 1).unwrap(),
            ("abcd,cde->abe".to_string(), "e".to_string(), 3)
        );
        assert!(proj_equation(30, 1, 2).is_err());
    }

    #[test]
    fn mha_examples() {
        // FORMULAS §2.16.
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 8, "key_dim": 64}),
            &[s(&[10, 512]), s(&[12, 512])],
        );
        assert_eq!(total(&o), 1_050_624);
        assert_eq!(o.output_shapes, vec![s(&[10, 512])]);
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 2, "key_dim": 4, "value_dim": 6, "output_shape": 10, "use_bias": false}),
            &[s(&[5, 7]), s(&[6, 3])],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("7·2·4 + 3·2·4 + 3·2·6 + 2·6·10 = 236")
        );
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 2, "key_dim": 4}),
            &[s(&[5, 7]), s(&[6, 3]), s(&[6, 9])],
        );
        assert_eq!(total(&o), 239);
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 3, "key_dim": 4, "attention_axes": [1, 2]}),
            &[s(&[4, 4, 6]), s(&[4, 4, 6])],
        );
        assert_eq!(total(&o), 330);
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 2, "key_dim": 4, "use_gate": true}),
            &[s(&[5, 7]), s(&[6, 3])],
        );
        assert_eq!(total(&o), 255);
        let owners: Vec<_> = o.weights.iter().map(|w| w.owner.as_str()).collect();
        assert_eq!(
            owners,
            [
                "query_dense",
                "query_dense",
                "key_dense",
                "key_dense",
                "_gate_dense",
                "_gate_dense",
                "value_dense",
                "value_dense",
                "output_dense",
                "output_dense"
            ]
        );
    }

    #[test]
    fn mha_shapes_from_tf_keras_config_strings() {
        let config = json!({"num_heads": 8, "key_dim": 64, "query_shape": "(None, 10, 512)", "value_shape": "(None, 12, 512)", "key_shape": "(None, 12, 512)"});
        let o = run(&MultiHeadAttentionRule, config, &[]);
        assert_eq!(total(&o), 1_050_624);
        let o = run(
            &MultiHeadAttentionRule,
            json!({"num_heads": 8, "key_dim": 64}),
            &[],
        );
        assert_eq!(o.weights.len(), 8);
        assert!(
            o.weights
                .iter()
                .all(|w| w.shape.is_none() || w.name == "bias")
        );
    }

    #[test]
    fn attention_and_additive() {
        // FORMULAS §2.16: 0, 1 or 2 parameters; AdditiveAttention scale (4,) by default.
        let both = AttentionRule
            .apply(
                LayerCfg {
                    class_name: "Attention",
                    config: &json!({"use_scale": true, "score_mode": "concat"}),
                    dialect: Dialect::Keras3,
                },
                &[s(&[5, 4]), s(&[6, 4])],
            )
            .unwrap();
        assert_eq!(both.weights.len(), 2);
        assert_eq!(both.output_shapes, vec![s(&[5, 4])]);
        let additive = AttentionRule
            .apply(
                LayerCfg {
                    class_name: "AdditiveAttention",
                    config: &json!({}),
                    dialect: Dialect::TfKeras,
                },
                &[s(&[5, 4]), s(&[6, 4])],
            )
            .unwrap();
        assert_eq!(additive.weights[0].shape, Some(vec![4]));
    }
}
