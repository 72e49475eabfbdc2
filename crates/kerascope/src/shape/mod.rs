//! Shape inference through the graph (FORMULAS.md §1.3): each layer's input shape, then its
//! rule, whose output feeds the layers downstream. Keras 3 configs record every call's input
//! shapes, which are used as they are; older configs are propagated from the inputs.

use crate::Map as HashMap;

use crate::graph::{Layer, Model, ModelKind};
use crate::layers::{LayerCfg, RuleError, RuleOutput, rule_for};
use crate::model::{Dialect, Shape};

/// What the rules say about one layer (its first call: the one that creates the weights).
#[derive(Debug, Clone)]
pub struct LayerResult {
    /// The layer's name.
    pub name: String,
    /// The layer's class as serialized.
    pub class_name: String,
    /// The shapes fed to the layer's first call, one per input tensor (empty when unknown).
    pub input_shapes: Vec<Shape>,
    /// The shapes the first call produces (empty when unknown).
    pub output_shapes: Vec<Shape>,
    /// The weights the layer should own, or why they are not known.
    pub expected: Expected,
    /// The layer's `trainable` flag from the config.
    pub trainable: bool,
    /// The input shape was unknown from the config and was recovered from the layer's stored
    /// tensors (the one input that makes every expected shape fit them).
    pub input_recovered: bool,
}

/// The expected weights of a layer, or why they are not known.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Expected {
    /// What the layer's rule computed.
    Rule(RuleOutput),
    /// A nested model: its own layers.
    Nested(Box<ModelResult>),
    /// No rule knows this class (custom layer, unknown built-in).
    NoRule,
    /// The rule could not compute the weights (unknown input shape, bad config).
    Failed(RuleError),
}

/// The analysis of a model: every layer in config order.
#[derive(Debug, Clone, Default)]
pub struct ModelResult {
    /// Every layer, in config order.
    pub layers: Vec<LayerResult>,
    /// The model's output shapes (empty when unknown).
    pub output_shapes: Vec<Shape>,
}

/// Shapes of the tensors a file stores for a top-level layer, by layer name; used to recover
/// an input shape the config hides (after a Lambda, say).
pub type StoredShapes<'a> = &'a dyn Fn(&str) -> Vec<Vec<u64>>;

/// Infers shapes and applies the rules through a model. `inputs` are the shapes fed to it
/// (for a nested model, by the outer call); empty to use what the config declares.
pub fn analyze(
    model: &Model,
    dialect: Dialect,
    inputs: &[Shape],
    stored: StoredShapes,
) -> ModelResult {
    match model.kind {
        ModelKind::Sequential => analyze_sequential(model, dialect, inputs, stored),
        ModelKind::Functional => analyze_functional(model, dialect, inputs, stored),
        ModelKind::Subclassed => ModelResult::default(),
    }
}

/// No stored tensors known (nested models, tests).
pub fn nothing_stored(_: &str) -> Vec<Vec<u64>> {
    Vec::new()
}

fn analyze_sequential(
    model: &Model,
    dialect: Dialect,
    inputs: &[Shape],
    stored: StoredShapes,
) -> ModelResult {
    let mut current: Vec<Shape> = inputs.to_vec();
    if current.is_empty() {
        let declared = model
            .layers
            .first()
            .and_then(Layer::declared_input_shape)
            .or_else(|| model.build_input_shape.clone());
        current.extend(declared);
    }
    let mut result = ModelResult::default();
    for layer in &model.layers {
        if layer.is_input() {
            if current.is_empty() {
                current.extend(layer.declared_input_shape());
            }
            continue;
        }
        let inputs = if current.is_empty() {
            layer.build_input_shapes.clone()
        } else {
            current.clone()
        };
        let analysed = apply(layer, dialect, &inputs, stored);
        current = analysed.output_shapes.iter().take(1).cloned().collect();
        result.layers.push(analysed);
    }
    result.output_shapes = current;
    result
}

fn analyze_functional(
    model: &Model,
    dialect: Dialect,
    inputs: &[Shape],
    stored: StoredShapes,
) -> ModelResult {
    // (layer, call) → output shapes of that call.
    let mut produced: HashMap<(&str, usize), Vec<Shape>> = HashMap::default();
    for (i, input) in model.inputs.iter().enumerate() {
        if let Some(shape) = inputs.get(i) {
            produced.insert((input.layer.as_str(), input.node), vec![shape.clone()]);
        }
    }
    let mut result = ModelResult::default();
    for layer in &model.layers {
        if layer.is_input() {
            let key = (layer.name.as_str(), 0);
            produced
                .entry(key)
                .or_insert_with(|| layer.declared_input_shape().into_iter().collect());
            result.layers.push(LayerResult {
                name: layer.name.clone(),
                class_name: layer.class_name.clone(),
                input_shapes: Vec::new(),
                output_shapes: produced[&key].clone(),
                expected: Expected::Rule(RuleOutput {
                    weights: Vec::new(),
                    output_shapes: produced[&key].clone(),
                    derivation: None,
                    aliases: Vec::new(),
                    formula_drift: None,
                }),
                trainable: layer.trainable,
                input_recovered: false,
            });
            continue;
        }
        let mut first: Option<LayerResult> = None;
        let calls: Vec<_> = if layer.calls.is_empty() {
            vec![Vec::new()]
        } else {
            layer.calls.clone()
        };
        for (call, refs) in calls.iter().enumerate() {
            let shapes: Option<Vec<Shape>> = refs
                .iter()
                .map(|r| {
                    r.shape.clone().or_else(|| {
                        produced
                            .get(&(r.layer.as_str(), r.node))
                            .and_then(|outs| outs.get(r.tensor))
                            .cloned()
                    })
                })
                .collect();
            let mut shapes = shapes.unwrap_or_default();
            if shapes.is_empty() && call == 0 {
                shapes = layer.build_input_shapes.clone();
            }
            let analysed = apply(layer, dialect, &shapes, stored);
            produced.insert((layer.name.as_str(), call), analysed.output_shapes.clone());
            first.get_or_insert(analysed);
        }
        if let Some(first) = first {
            result.layers.push(first);
        }
    }
    result.output_shapes = model
        .outputs
        .iter()
        .filter_map(|r| {
            produced
                .get(&(r.layer.as_str(), r.node))?
                .get(r.tensor)
                .cloned()
        })
        .collect();
    result
}

/// One call of one layer.
fn apply(layer: &Layer, dialect: Dialect, inputs: &[Shape], stored: StoredShapes) -> LayerResult {
    let mut input_recovered = false;
    let (expected, output_shapes, inputs) = if let Some(nested) = &layer.nested {
        let inner = analyze(nested, dialect, inputs, &nothing_stored);
        let outputs = inner.output_shapes.clone();
        (Expected::Nested(Box::new(inner)), outputs, inputs.to_vec())
    } else if let Some(rule) = rule_for(&layer.class_name) {
        let cfg = LayerCfg {
            class_name: &layer.class_name,
            config: &layer.config,
            dialect,
        };
        let mut result = rule.apply(cfg, inputs);
        let mut used = inputs.to_vec();
        if needs_recovery(&result)
            && let Some((shape, output)) =
                recover_input(rule, cfg, &stored(&layer.name), single_input(inputs))
        {
            input_recovered = true;
            used = vec![shape];
            result = Ok(output);
        }
        match result {
            Ok(output) => {
                let outputs = output.output_shapes.clone();
                (Expected::Rule(output), outputs, used)
            }
            Err(e) => (Expected::Failed(e), Vec::new(), used),
        }
    } else {
        (Expected::NoRule, Vec::new(), inputs.to_vec())
    };
    LayerResult {
        name: layer.name.clone(),
        class_name: layer.class_name.clone(),
        input_shapes: inputs,
        output_shapes,
        expected,
        trainable: layer.trainable,
        input_recovered,
    }
}

/// The rule could not size every weight because the input shape is unknown.
fn needs_recovery(result: &Result<RuleOutput, RuleError>) -> bool {
    match result {
        Err(RuleError::UnknownInput(_)) => true,
        // Some weight unsized: no input at all, or one whose sizing dimension is hidden
        // (Flatten after a Lambda without output_shape gives `(None, None)`).
        Ok(output) => output.weights.iter().any(|w| w.shape.is_none()),
        Err(_) => false,
    }
}

/// The one input of a single-input call, when its rank is known.
fn single_input(inputs: &[Shape]) -> Option<&Shape> {
    match inputs {
        [one] if !one.is_empty() => Some(one),
        _ => None,
    }
}

/// A candidate input: `hint` (the input as far as the config tells, rank included) with `d`
/// on the channel axis, or, without a hint, a shape of `rank` holding only `d` there.
fn candidate(hint: Option<&Shape>, rank: usize, channel_axis: usize, d: u64) -> Option<Shape> {
    match hint {
        Some(known) if known.len() != rank => None,
        Some(known) => match known[channel_axis] {
            Some(k) if k != d => None,
            _ => {
                let mut shape = known.clone();
                shape[channel_axis] = Some(d);
                Some(shape)
            }
        },
        None => {
            let mut shape: Shape = vec![None; rank];
            shape[channel_axis] = Some(d);
            Some(shape)
        }
    }
}

/// Tries the inputs the stored tensors suggest — each stored dimension as the channel axis
/// (last, or first for channels_first), at each rank, or only at the rank of a known input
/// with its known dimensions kept — and keeps one only when it makes every expected shape
/// equal the stored ones, and every candidate that does agrees.
fn recover_input(
    rule: &dyn crate::layers::LayerRule,
    cfg: LayerCfg<'_>,
    stored: &[Vec<u64>],
    hint: Option<&Shape>,
) -> Option<(Shape, RuleOutput)> {
    if stored.is_empty() {
        return None;
    }
    let mut dims: Vec<u64> = stored.iter().flatten().copied().collect();
    dims.sort_unstable();
    dims.dedup();
    let mut sorted_stored = stored.to_vec();
    sorted_stored.sort();
    let mut found: Option<(Shape, RuleOutput)> = None;
    for &d in dims.iter().take(64) {
        for rank in 2..=5usize {
            for channel_axis in [rank - 1, 1] {
                let Some(shape) = candidate(hint, rank, channel_axis, d) else {
                    continue;
                };
                let Ok(output) = rule.apply(cfg, std::slice::from_ref(&shape)) else {
                    continue;
                };
                let Some(mut expected): Option<Vec<Vec<u64>>> =
                    output.weights.iter().map(|w| w.shape.clone()).collect()
                else {
                    continue;
                };
                expected.sort();
                if expected != sorted_stored {
                    continue;
                }
                match &found {
                    None => found = Some((shape, output)),
                    Some((_, first)) if first.weights == output.weights => {}
                    Some(_) => return None,
                }
            }
        }
    }
    found
}
