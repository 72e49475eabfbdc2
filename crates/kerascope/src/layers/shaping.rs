//! Layers without weights whose output shape matters for the layers after them (FORMULAS
//! §2.21, §4): InputLayer, Flatten, Reshape, Permute, RepeatVector, pooling and global
//! pooling, UpSampling, ZeroPadding, Cropping, the merge layers (Concatenate, Add, …, Dot,
//! Keras 1 `Merge`), the identity-shaped layers (Dropout family, activations, Masking, noise,
//! Rescaling…), and Lambda / TF op layers, whose output is unknown unless Lambda states it.

use serde_json::Value;

use super::util::{
    Cfg, Compute, Computed, R, as_count, as_int, bad, conv_out, layer_rule, mul, norm_axis,
};
use super::{Dialect, Dim, LayerCfg, Shape};

/// A shape from a config list (`null` → unknown dim).
fn shape_from(v: &Value, key: &str) -> R<Shape> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|d| match d {
                Value::Null => Ok(None),
                other => as_count(other)
                    .map(Some)
                    .ok_or_else(|| bad(key, "expected integers or nulls")),
            })
            .collect(),
        _ => Err(bad(key, "expected a list")),
    }
}

fn rank_suffix(class: &str) -> usize {
    if class.ends_with("3D") {
        3
    } else if class.ends_with("2D") {
        2
    } else {
        1
    }
}

// ------------------------------------------------------------------------------------------------
// InputLayer

pub struct InputRule;
layer_rule!(InputRule);

impl Compute for InputRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &["InputLayer"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        if let Some((key, v)) = c.get(&["batch_shape", "batch_input_shape"]) {
            out.outputs.push(shape_from(v, key)?);
        } else if let Some((key, v)) = c.get(&["shape", "input_shape"]) {
            let mut s = vec![None];
            s.extend(shape_from(v, key)?);
            out.outputs.push(s);
        } else if let Some(s) = inputs.first() {
            out.outputs.push(s.clone());
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Flatten, Reshape, Permute, RepeatVector

pub struct ReshapingRule;
layer_rule!(ReshapingRule);

fn known_product(dims: &[Dim]) -> Option<u64> {
    dims.iter()
        .try_fold(1u64, |acc, d| d.and_then(|d| acc.checked_mul(d)))
}

impl Compute for ReshapingRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &["Flatten", "Reshape", "Permute", "RepeatVector"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        let input = inputs.first().filter(|s| !s.is_empty());
        match layer.class_name {
            "Flatten" => {
                if let Some(s) = input {
                    let flat = if s.len() == 1 {
                        Some(1)
                    } else {
                        known_product(&s[1..])
                    };
                    out.outputs.push(vec![s[0], flat]);
                }
            }
            "Reshape" => {
                let (_, target) = c
                    .get(&["target_shape", "dims"])
                    .ok_or_else(|| bad("target_shape", "missing"))?;
                let Value::Array(items) = target else {
                    return Err(bad("target_shape", "expected a list"));
                };
                let mut dims: Vec<Option<i64>> = Vec::new();
                for v in items {
                    dims.push(match v {
                        Value::Null => None,
                        other => Some(
                            as_int(other)
                                .ok_or_else(|| bad("target_shape", "expected integers"))?,
                        ),
                    });
                }
                if dims.iter().filter(|d| **d == Some(-1)).count() > 1 {
                    return Err(bad("target_shape", "more than one -1"));
                }
                if dims.iter().any(|d| matches!(d, Some(x) if *x < -1)) {
                    return Err(bad("target_shape", "negative dimension"));
                }
                let fixed: Vec<Dim> = dims
                    .iter()
                    .map(|d| d.filter(|&x| x >= 0).map(|x| x as u64))
                    .collect();
                let total = input.and_then(|s| known_product(&s[1..]));
                let rest = known_product(
                    &fixed
                        .iter()
                        .zip(&dims)
                        .filter(|(_, d)| **d != Some(-1))
                        .map(|(f, _)| *f)
                        .collect::<Vec<_>>(),
                );
                let fill = match (total, rest) {
                    (Some(t), Some(r)) if r > 0 && t % r == 0 => Some(t / r),
                    _ => None,
                };
                let batch = input.and_then(|s| s[0]);
                let shape: Shape = std::iter::once(batch)
                    .chain(dims.iter().zip(&fixed).map(
                        |(d, f)| {
                            if *d == Some(-1) { fill } else { *f }
                        },
                    ))
                    .collect();
                out.outputs.push(shape);
            }
            "Permute" => {
                let dims = c
                    .int_list(&["dims"])?
                    .ok_or_else(|| bad("dims", "missing"))?;
                if let Some(s) = input {
                    let mut o = vec![s[0]];
                    for &d in &dims {
                        if d < 1 || d as usize >= s.len() {
                            return Err(bad("dims", format!("{d} is not a non-batch axis")));
                        }
                        o.push(s[d as usize]);
                    }
                    out.outputs.push(o);
                }
            }
            _ => {
                let times = c.count(&["n"])?;
                if let Some(s) = input {
                    out.outputs
                        .push(vec![s[0], Some(times), s.last().copied().flatten()]);
                }
            }
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Pooling and global pooling

pub struct PoolingRule;
layer_rule!(PoolingRule);

impl Compute for PoolingRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "MaxPooling1D",
            "MaxPooling2D",
            "MaxPooling3D",
            "AveragePooling1D",
            "AveragePooling2D",
            "AveragePooling3D",
            "MaxPool1D",
            "MaxPool2D",
            "MaxPool3D",
            "AvgPool1D",
            "AvgPool2D",
            "AvgPool3D",
            "GlobalMaxPooling1D",
            "GlobalMaxPooling2D",
            "GlobalMaxPooling3D",
            "GlobalAveragePooling1D",
            "GlobalAveragePooling2D",
            "GlobalAveragePooling3D",
            "GlobalMaxPool1D",
            "GlobalMaxPool2D",
            "GlobalMaxPool3D",
            "GlobalAvgPool1D",
            "GlobalAvgPool2D",
            "GlobalAvgPool3D",
            "AdaptiveAveragePooling1D",
            "AdaptiveAveragePooling2D",
            "AdaptiveAveragePooling3D",
            "AdaptiveMaxPooling1D",
            "AdaptiveMaxPooling2D",
            "AdaptiveMaxPooling3D",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let rank = rank_suffix(layer.class_name);
        let cf = c.channels_first()?;
        let mut out = Computed::new();
        let input = inputs.first().filter(|s| s.len() >= 3);
        if layer.class_name.starts_with("Adaptive") {
            // Keras 3: the spatial axes become `output_size`.
            let size = c
                .tuple(&["output_size"], rank)?
                .ok_or_else(|| bad("output_size", "missing"))?;
            if let Some(s) = input.filter(|s| s.len() == rank + 2) {
                let first = if cf { 2 } else { 1 };
                let mut o = s.clone();
                for (i, &d) in size.iter().enumerate() {
                    o[first + i] = Some(d);
                }
                out.outputs.push(o);
            }
            return Ok(out);
        }
        if layer.class_name.starts_with("Global") {
            let keepdims = c.flag(&["keepdims"], false)?;
            if let Some(s) = input {
                let channels = if cf { s[1] } else { s[s.len() - 1] };
                let o = if keepdims {
                    let ones = std::iter::repeat_n(Some(1), s.len() - 2);
                    if cf {
                        [s[0], channels].into_iter().chain(ones).collect()
                    } else {
                        std::iter::once(s[0])
                            .chain(ones)
                            .chain([channels])
                            .collect()
                    }
                } else {
                    vec![s[0], channels]
                };
                out.outputs.push(o);
            }
            return Ok(out);
        }
        let pool = c
            .tuple(&["pool_size"], rank)?
            .unwrap_or_else(|| vec![2; rank]);
        let strides = c.tuple(&["strides"], rank)?.unwrap_or_else(|| pool.clone());
        let padding = c.padding()?;
        if let Some(s) = input.filter(|s| s.len() == rank + 2) {
            let first = if cf { 2 } else { 1 };
            let mut o = s.clone();
            for i in 0..rank {
                o[first + i] = conv_out(s[first + i], pool[i], strides[i], 1, padding)?;
            }
            out.outputs.push(o);
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// UpSampling, ZeroPadding, Cropping

pub struct SpatialRule;
layer_rule!(SpatialRule);

/// Per-axis (before, after) amounts: an int for every side; for 1-D a pair is (left, right);
/// for 2-D/3-D a flat list gives each axis symmetric amounts, a list of pairs each side.
fn side_pairs(c: &Cfg, key: &'static str, rank: usize) -> R<Vec<(u64, u64)>> {
    let Some((_, v)) = c.get(&[key]) else {
        return Ok(vec![(1, 1); rank]);
    };
    let wrong = || bad(key, "expected an integer, pairs or a list of pairs");
    if let Some(p) = as_count(v) {
        return Ok(vec![(p, p); rank]);
    }
    let Value::Array(items) = v else {
        return Err(wrong());
    };
    let pair = |v: &Value| -> R<(u64, u64)> {
        match v {
            Value::Array(p) if p.len() == 2 => Ok((
                as_count(&p[0]).ok_or_else(wrong)?,
                as_count(&p[1]).ok_or_else(wrong)?,
            )),
            other => {
                let x = as_count(other).ok_or_else(wrong)?;
                Ok((x, x))
            }
        }
    };
    if rank == 1 && items.len() == 2 && items.iter().all(|i| as_count(i).is_some()) {
        return Ok(vec![pair(v)?]);
    }
    if items.len() != rank {
        return Err(wrong());
    }
    items.iter().map(pair).collect()
}

impl Compute for SpatialRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "UpSampling1D",
            "UpSampling2D",
            "UpSampling3D",
            "ZeroPadding1D",
            "ZeroPadding2D",
            "ZeroPadding3D",
            "Cropping1D",
            "Cropping2D",
            "Cropping3D",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let class = layer.class_name;
        let c = Cfg::new(layer.config);
        let rank = rank_suffix(class);
        // 1-D layers act on axis 1 whatever the data format.
        let cf = rank > 1 && c.channels_first()?;
        let mut out = Computed::new();
        let input = inputs.first().filter(|s| s.len() == rank + 2);
        let first = if cf { 2 } else { 1 };
        if class.starts_with("UpSampling") {
            let size = c.tuple(&["size"], rank)?.unwrap_or_else(|| vec![2; rank]);
            if let Some(s) = input {
                let mut o = s.clone();
                for i in 0..rank {
                    o[first + i] = s[first + i].map(|d| mul(d, size[i], "size")).transpose()?;
                }
                out.outputs.push(o);
            }
        } else {
            let padding = class.starts_with("ZeroPadding");
            let pairs = side_pairs(&c, if padding { "padding" } else { "cropping" }, rank)?;
            if let Some(s) = input {
                let mut o = s.clone();
                for (i, &(a, b)) in pairs.iter().enumerate() {
                    let both = a
                        .checked_add(b)
                        .ok_or_else(|| bad("padding", "too large"))?;
                    o[first + i] = match s[first + i] {
                        None => None,
                        Some(d) if padding => Some(
                            d.checked_add(both)
                                .ok_or_else(|| bad("padding", "too large"))?,
                        ),
                        Some(d) => Some(d.checked_sub(both).ok_or_else(|| {
                            bad("cropping", format!("crops {both} from an axis of {d}"))
                        })?),
                    };
                }
                out.outputs.push(o);
            }
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Merge layers

pub struct MergeRule;
layer_rule!(MergeRule);

/// Keras `_compute_elemwise_op_output_shape` over the non-batch axes.
fn broadcast(a: &[Dim], b: &[Dim]) -> R<Vec<Dim>> {
    if a.len() < b.len() {
        return broadcast(b, a);
    }
    let split = a.len() - b.len();
    let mut out: Vec<Dim> = a[..split].to_vec();
    for (&i, &j) in a[split..].iter().zip(b) {
        out.push(match (i, j) {
            (None, _) | (_, None) => None,
            (Some(1), _) => j,
            (_, Some(1)) => i,
            (Some(x), Some(y)) if x == y => i,
            (Some(x), Some(y)) => {
                return Err(bad(
                    "inputs",
                    format!("shapes with {x} and {y} cannot be merged"),
                ));
            }
        });
    }
    Ok(out)
}

fn elementwise(inputs: &[Shape]) -> R<Vec<Shape>> {
    if inputs.is_empty() || inputs.iter().any(|s| s.is_empty()) {
        return Ok(vec![]);
    }
    let mut rest: Vec<Dim> = inputs[0][1..].to_vec();
    for s in &inputs[1..] {
        rest = broadcast(&rest, &s[1..])?;
    }
    let mut batches: Vec<u64> = inputs.iter().filter_map(|s| s[0]).collect();
    batches.dedup();
    let batch = if batches.len() == 1 {
        Some(batches[0])
    } else {
        None
    };
    Ok(vec![std::iter::once(batch).chain(rest).collect()])
}

fn concatenate(inputs: &[Shape], axis: i64) -> R<Vec<Shape>> {
    if inputs.is_empty() || inputs.iter().any(|s| s.is_empty()) {
        return Ok(vec![]);
    }
    let rank = inputs[0].len();
    if inputs.iter().any(|s| s.len() != rank) {
        return Err(bad("inputs", "inputs of different ranks"));
    }
    let a =
        norm_axis(axis, rank).ok_or_else(|| bad("axis", format!("{axis} for {rank}-D inputs")))?;
    let mut o: Shape = (0..rank)
        .map(|i| inputs.iter().find_map(|s| s[i]))
        .collect();
    o[a] = inputs
        .iter()
        .try_fold(0u64, |acc, s| s[a].and_then(|d| acc.checked_add(d)));
    Ok(vec![o])
}

/// Keras `Dot` / Keras 1 `Merge(mode="dot")`: both inputs lose their dot axis, the second its
/// batch axis; a lone batch axis gets a 1.
fn dot(inputs: &[Shape], axes: &[i64]) -> R<Vec<Shape>> {
    if inputs.len() != 2 || inputs.iter().any(|s| s.is_empty()) {
        return Ok(vec![]);
    }
    let (a, b) = (&inputs[0], &inputs[1]);
    let (xa, xb) = match axes {
        [x] => (*x, *x),
        [x, y] => (*x, *y),
        _ => return Err(bad("axes", "expected one or two axes")),
    };
    let ia = norm_axis(xa, a.len()).ok_or_else(|| bad("axes", "outside the first input"))?;
    let ib = norm_axis(xb, b.len()).ok_or_else(|| bad("axes", "outside the second input"))?;
    let mut o: Shape = a.clone();
    o.remove(ia);
    let mut rest = b.clone();
    rest.remove(ib);
    if !rest.is_empty() {
        rest.remove(0);
    }
    o.extend(rest);
    if o.len() == 1 {
        o.push(Some(1));
    }
    Ok(vec![o])
}

impl Compute for MergeRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "Concatenate",
            "Add",
            "Subtract",
            "Multiply",
            "Average",
            "Maximum",
            "Minimum",
            "Dot",
            "Merge",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        out.outputs = match layer.class_name {
            "Concatenate" => concatenate(inputs, c.opt_int(&["axis"])?.unwrap_or(-1))?,
            "Dot" => dot(
                inputs,
                &c.int_list(&["axes"])?
                    .ok_or_else(|| bad("axes", "missing"))?,
            )?,
            "Merge" => {
                let mode = match layer.config.get("mode") {
                    Some(Value::String(m)) => Some(m.as_str()),
                    _ => None,
                };
                match mode {
                    Some("concat") => concatenate(inputs, c.opt_int(&["axis"])?.unwrap_or(-1))?,
                    Some("dot") | Some("cos") => {
                        let axes = c.int_list(&["dot_axes"])?.unwrap_or_else(|| vec![-1]);
                        dot(inputs, &axes)?
                    }
                    Some("sum") | Some("mul") | Some("ave") | Some("max") => elementwise(inputs)?,
                    // A Python function: only an explicit output shape tells.
                    _ => match c.get(&["output_shape"]) {
                        Some((k, v @ Value::Array(_)))
                            if c.text(&["output_shape_type"])? != Some("function") =>
                        {
                            let batch = inputs.first().and_then(|s| s.first().copied().flatten());
                            vec![std::iter::once(batch).chain(shape_from(v, k)?).collect()]
                        }
                        _ => vec![],
                    },
                }
            }
            _ => elementwise(inputs)?,
        };
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Identity-shaped layers

pub struct IdentityRule;
layer_rule!(IdentityRule);

impl Compute for IdentityRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "Dropout",
            "SpatialDropout1D",
            "SpatialDropout2D",
            "SpatialDropout3D",
            "GaussianNoise",
            "GaussianDropout",
            "AlphaDropout",
            "ActivityRegularization",
            "Masking",
            "Activation",
            "ReLU",
            "ELU",
            "LeakyReLU",
            "Softmax",
            "ThresholdedReLU",
            "Identity",
            "Rescaling",
        ]
    }

    fn compute(&self, _layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let mut out = Computed::new();
        out.outputs = inputs
            .first()
            .filter(|s| !s.is_empty())
            .cloned()
            .into_iter()
            .collect();
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// Lambda and TF op layers

pub struct OpaqueRule;
layer_rule!(OpaqueRule);

impl Compute for OpaqueRule {
    fn weightless(&self, _class_name: &str) -> bool {
        true
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "Lambda",
            "TFOpLambda",
            "TensorFlowOpLayer",
            "SlicingOpLambda",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let mut out = Computed::new();
        if layer.class_name != "Lambda" {
            return Ok(out);
        }
        // An explicit output shape (without the batch axis) is the only thing that tells.
        let raw = matches!(c.text(&["output_shape_type"]), Ok(None) | Ok(Some("raw")));
        if let (true, Some((key, v @ Value::Array(_)))) = (raw, c.get(&["output_shape"]))
            && let Ok(rest) = shape_from(v, key)
        {
            let batch = inputs.first().and_then(|s| s.first().copied().flatten());
            out.outputs
                .push(std::iter::once(batch).chain(rest).collect());
        } else if layer.dialect == Dialect::Keras1
            && c.get(&["output_shape"]).is_none_or(|(_, v)| v.is_null())
            && let [input] = inputs
        {
            // Keras 1 takes a Lambda without output_shape to keep its input's shape (its
            // get_output_shape_for returns the input shape); later Keras infers it by running
            // the function, which kerascope never does.
            out.outputs.push(input.clone());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, s};
    use crate::layers::{Dialect, LayerRule};
    use serde_json::json;

    fn shape_of(rule: &dyn LayerRule, class: &str, config: Value, inputs: &[Shape]) -> Vec<Shape> {
        let o = apply(rule, Dialect::Keras3, class, &config, inputs);
        assert!(o.weights.is_empty());
        o.output_shapes
    }

    #[test]
    fn formulas_section_4_examples() {
        // MaxPooling2D(3, s 2, same) on 15×16 → 8×8.
        assert_eq!(
            shape_of(
                &PoolingRule,
                "MaxPooling2D",
                json!({"pool_size": 3, "strides": 2, "padding": "same"}),
                &[s(&[15, 16, 3])]
            ),
            vec![s(&[8, 8, 3])]
        );
        // strides null = pool_size.
        assert_eq!(
            shape_of(
                &PoolingRule,
                "MaxPooling1D",
                json!({"pool_size": [3], "strides": null}),
                &[s(&[20, 2])]
            ),
            vec![s(&[6, 2])]
        );
        assert_eq!(
            shape_of(
                &ReshapingRule,
                "Reshape",
                json!({"target_shape": [-1, 6]}),
                &[s(&[5, 12])]
            ),
            vec![s(&[10, 6])]
        );
        assert_eq!(
            shape_of(
                &SpatialRule,
                "ZeroPadding2D",
                json!({"padding": [[1, 2], [3, 4]]}),
                &[s(&[5, 6, 2])]
            ),
            vec![s(&[8, 13, 2])]
        );
        assert_eq!(
            shape_of(
                &SpatialRule,
                "ZeroPadding2D",
                json!({"padding": [1, 2]}),
                &[s(&[5, 6, 2])]
            ),
            vec![s(&[7, 10, 2])]
        );
        assert_eq!(
            shape_of(&MergeRule, "Dot", json!({"axes": 1}), &[s(&[4]), s(&[4])]),
            vec![s(&[1])]
        );
        // Keras 1 Merge(mode="concat", concat_axis=1), translated as the graph does.
        let merged = apply(
            &MergeRule,
            Dialect::Keras1,
            "Merge",
            &json!({"mode": "concat", "concat_axis": 1}),
            &[s(&[4, 3]), s(&[2, 3])],
        );
        assert_eq!(merged.output_shapes, vec![s(&[6, 3])]);
        assert_eq!(
            shape_of(&MergeRule, "Add", json!({}), &[s(&[4, 3]), s(&[1, 3])]),
            vec![s(&[4, 3])]
        );
        assert_eq!(
            shape_of(
                &InputRule,
                "InputLayer",
                json!({"batch_shape": [null, 28, 28, 1]}),
                &[]
            ),
            vec![s(&[28, 28, 1])]
        );
        assert_eq!(
            shape_of(
                &OpaqueRule,
                "Lambda",
                json!({"output_shape": [7], "output_shape_type": "raw"}),
                &[s(&[3])]
            ),
            vec![s(&[7])]
        );
        assert!(shape_of(&OpaqueRule, "TFOpLambda", json!({}), &[s(&[3])]).is_empty());
        let keras1 = OpaqueRule
            .apply(
                LayerCfg {
                    class_name: "Lambda",
                    config: &json!({"output_shape": null}),
                    dialect: Dialect::Keras1,
                },
                &[s(&[60, 320, 3])],
            )
            .unwrap();
        assert_eq!(keras1.output_shapes, vec![s(&[60, 320, 3])]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        for (rule, class, config, inputs) in [
            (
                &ReshapingRule as &dyn LayerRule,
                "Reshape",
                json!({"target_shape": [-1, -1]}),
                vec![s(&[4])],
            ),
            (
                &ReshapingRule,
                "Permute",
                json!({"dims": [3, 1]}),
                vec![s(&[4, 5])],
            ),
            (
                &SpatialRule,
                "Cropping1D",
                json!({"cropping": [5, 5]}),
                vec![s(&[4, 5])],
            ),
            (&MergeRule, "Add", json!({}), vec![s(&[4]), s(&[5])]),
            (
                &MergeRule,
                "Concatenate",
                json!({"axis": 7}),
                vec![s(&[4]), s(&[5])],
            ),
            (
                &PoolingRule,
                "MaxPooling1D",
                json!({"pool_size": 0}),
                vec![s(&[4, 5])],
            ),
        ] {
            let r = rule.apply(
                LayerCfg {
                    class_name: class,
                    config: &config,
                    dialect: Dialect::Keras3,
                },
                &inputs,
            );
            assert!(r.is_err(), "{class} {config}");
        }
    }
}
