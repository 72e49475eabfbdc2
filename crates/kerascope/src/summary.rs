//! The summary of a file, as data: the rows `model.summary()` prints (layers, output shapes,
//! parameters, nested models), computed from the analysis, with the optimizer state kept out
//! of the totals. Rendering it is [`crate::report::summary`]'s.

use crate::analysis::Analysis;
use crate::audit::params::{LayerCheck, Pair};
use crate::container::hdf5::dtype_size;
use crate::format::{Tensor, TensorRole};
use crate::graph::{Model, ModelKind};
use crate::model::Shape;
use crate::shape::{Expected, LayerResult};

/// One row of the table: a top-level layer, or (expanded) a layer of a nested model.
#[derive(Debug, Clone)]
pub struct Row {
    /// The layer's name.
    pub name: String,
    /// The layer's class (`Dense`, `LSTM`, ...).
    pub class_name: String,
    /// The inferred output shapes, one per output (empty when unknown).
    pub output_shapes: Vec<Shape>,
    /// Stored elements (or, with nothing stored, the expected count).
    pub params: u64,
    /// The count the config implies; `None` when some shape (or the rule) is unknown.
    pub expected_params: Option<u64>,
    /// Of `params`, the trainable elements.
    pub trainable_params: u64,
    /// Of `params`, the non-trainable elements.
    pub non_trainable_params: u64,
    /// Stored elements whose trainability no rule or config tells (custom layers,
    /// weights-only files).
    pub unknown_trainability: u64,
    /// The layer (or an enclosing model) is frozen: everything in it is non-trainable.
    pub frozen: bool,
    /// `layer[node][tensor]` of each input of each call.
    pub connected_to: Vec<String>,
    /// The arithmetic of the expected count (`--explain`), when a rule gives one.
    pub derivation: Option<String>,
    /// The stored count differs from `expected_params`.
    pub mismatch: bool,
    /// The rows of the layers of a nested model, in order (shown when expanded).
    pub children: Vec<Row>,
    /// The stored tensors, paired with what the config implies.
    pub pairs: Vec<Pair>,
}

/// The whole summary of one file.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The model's name from the config; `None` without a config.
    pub model_name: Option<String>,
    /// The model's class (`Sequential`, `Functional`, ...); `None` without a config.
    pub model_class: Option<String>,
    /// One row per top-level layer, in the model's order.
    pub rows: Vec<Row>,
    /// Whether Keras would draw the "Connected to" column.
    pub graph_like: bool,
    /// Every stored parameter element (optimizer state excluded): `model.count_params()`.
    pub total_params: u64,
    /// The trainable elements of the total.
    pub trainable_params: u64,
    /// The non-trainable elements of the total.
    pub non_trainable_params: u64,
    /// The stored bytes of every parameter tensor.
    pub total_bytes: u64,
    /// The stored bytes of the trainable elements.
    pub trainable_bytes: u64,
    /// The stored bytes of the non-trainable elements.
    pub non_trainable_bytes: u64,
    /// Elements (and bytes) whose trainability is unknown: counted in the total only.
    pub unknown_trainability: u64,
    /// The stored bytes of the elements whose trainability is unknown.
    pub unknown_trainability_bytes: u64,
    /// Elements of the stored optimizer state; `None` when the file holds none.
    pub optimizer_params: Option<u64>,
    /// Stored bytes of the optimizer state (0 when there is none).
    pub optimizer_bytes: u64,
    /// Shapes are unknown (weights-only file): the table shows stored tensors only.
    pub shapes_known: bool,
    /// The weights are stored in a form not read (`model.weights.npz`): every stored count
    /// is unknown, printed `?`, never 0.
    pub weights_unknown: bool,
    /// Written by Keras 3 (whose own summary adds optimizer state into Total).
    pub keras3: bool,
}

fn elements(t: &Tensor) -> u64 {
    t.elements().unwrap_or(u64::MAX)
}

fn bytes_of(t: &Tensor) -> u64 {
    dtype_size(&t.dtype)
        .and_then(|size| t.elements()?.checked_mul(size))
        .unwrap_or(0)
}

/// Builds the summary of an analysed file.
pub fn build(analysis: &Analysis) -> Summary {
    let file = &analysis.file;
    let model = analysis.model.as_ref();
    let mut rows = Vec::new();
    match (model, &analysis.result) {
        (Some(model), Some(result)) if model.kind != ModelKind::Subclassed => {
            let checks: std::collections::HashMap<&str, &LayerCheck> = analysis
                .layers
                .iter()
                .map(|c| (c.name.as_str(), c))
                .collect();
            let sequential = model.kind == ModelKind::Sequential;
            for layer in &result.layers {
                if sequential && layer.class_name == "InputLayer" {
                    continue;
                }
                let check = checks.get(layer.name.as_str()).copied();
                rows.push(row(model, layer, check, model.trainable));
            }
        }
        _ => {
            // No usable config: one row per stored layer group.
            for name in &file.layer_names {
                let tensors: Vec<&Tensor> = file
                    .tensors_of(TensorRole::Layer)
                    .filter(|t| t.layer.as_deref() == Some(name))
                    .collect();
                let params = tensors
                    .iter()
                    .filter(|t| t.copy_of.is_none())
                    .map(|t| elements(t))
                    .fold(0, u64::saturating_add);
                rows.push(Row {
                    name: name.clone(),
                    class_name: "?".into(),
                    output_shapes: Vec::new(),
                    params,
                    expected_params: None,
                    trainable_params: 0,
                    non_trainable_params: 0,
                    unknown_trainability: params,
                    frozen: false,
                    connected_to: Vec::new(),
                    derivation: None,
                    mismatch: false,
                    children: Vec::new(),
                    pairs: tensors
                        .into_iter()
                        .map(|t| Pair {
                            expected: None,
                            stored: Some(t.clone()),
                            alias: t.copy_of.is_some(),
                        })
                        .collect(),
                });
            }
        }
    }
    let graph_like = model.is_some_and(is_graph_like);
    let mut s = Summary {
        model_name: file.model_name().map(str::to_string),
        model_class: file.model_class().map(str::to_string),
        rows,
        graph_like,
        total_params: 0,
        trainable_params: 0,
        non_trainable_params: 0,
        total_bytes: 0,
        trainable_bytes: 0,
        non_trainable_bytes: 0,
        unknown_trainability: 0,
        unknown_trainability_bytes: 0,
        optimizer_params: None,
        optimizer_bytes: 0,
        shapes_known: analysis.result.is_some(),
        weights_unknown: file.weights_unread(),
        keras3: file
            .keras_version
            .as_deref()
            .is_some_and(|v| v.split('.').next() == Some("3")),
    };
    // The total is the file's one parameter count (the same `check` prints); the rows only
    // split it by trainability, and what no row places has an unknown trainability.
    s.total_params = file.stored_params().unwrap_or(u64::MAX);
    s.total_bytes = file
        .parameter_tensors()
        .map(bytes_of)
        .fold(0, u64::saturating_add);
    for row in &s.rows {
        for pair in all_pairs(row) {
            let Some(t) = &pair.stored else { continue };
            if t.copy_of.is_some() {
                continue;
            }
            let (n, b) = (elements(t), bytes_of(t));
            match trainability(row, pair) {
                Some(true) => {
                    s.trainable_params = s.trainable_params.saturating_add(n);
                    s.trainable_bytes = s.trainable_bytes.saturating_add(b);
                }
                Some(false) => {
                    s.non_trainable_params = s.non_trainable_params.saturating_add(n);
                    s.non_trainable_bytes = s.non_trainable_bytes.saturating_add(b);
                }
                None => {
                    s.unknown_trainability = s.unknown_trainability.saturating_add(n);
                    s.unknown_trainability_bytes = s.unknown_trainability_bytes.saturating_add(b);
                }
            }
        }
    }
    let placed = s
        .trainable_params
        .saturating_add(s.non_trainable_params)
        .saturating_add(s.unknown_trainability);
    if s.total_params > placed {
        s.unknown_trainability = s
            .unknown_trainability
            .saturating_add(s.total_params - placed);
    }
    let placed_bytes = s
        .trainable_bytes
        .saturating_add(s.non_trainable_bytes)
        .saturating_add(s.unknown_trainability_bytes);
    if s.total_bytes > placed_bytes {
        s.unknown_trainability_bytes = s
            .unknown_trainability_bytes
            .saturating_add(s.total_bytes - placed_bytes);
    }
    let optimizer: Vec<&Tensor> = file.tensors_of(TensorRole::Optimizer).collect();
    if !optimizer.is_empty() {
        s.optimizer_params = Some(
            optimizer
                .iter()
                .map(|t| elements(t))
                .fold(0, u64::saturating_add),
        );
        s.optimizer_bytes = optimizer
            .iter()
            .map(|t| bytes_of(t))
            .fold(0, u64::saturating_add);
    }
    s
}

/// The pairs whose stored tensor is a parameter (stored copies excluded).
fn all_pairs(row: &Row) -> Vec<&Pair> {
    row.pairs.iter().filter(|p| !p.alias).collect()
}

/// A stored tensor is trainable when its rule says so and its layer (and every enclosing
/// model) is not frozen; `None` when no rule names it in a layer that is not frozen.
fn trainability(row: &Row, pair: &Pair) -> Option<bool> {
    if row.frozen {
        return Some(false);
    }
    pair.expected.as_ref().map(|e| e.weight.trainable)
}

fn row(
    model: &Model,
    layer: &LayerResult,
    check: Option<&LayerCheck>,
    parent_trainable: bool,
) -> Row {
    let graph_layer = model.layer(&layer.name);
    let trainable = parent_trainable && layer.trainable;
    let mut pairs: Vec<Pair> = check.map(|c| c.pairs.clone()).unwrap_or_default();
    if !trainable {
        for pair in &mut pairs {
            if let Some(e) = &mut pair.expected {
                e.weight.trainable = false;
            }
        }
    }
    let stored: u64 = pairs
        .iter()
        .filter(|p| !p.alias)
        .filter_map(|p| p.stored.as_ref())
        .filter(|t| t.copy_of.is_none())
        .map(elements)
        .fold(0, u64::saturating_add);
    let expected_params = check.and_then(|c| c.expected_params);
    let has_stored = pairs.iter().any(|p| p.stored.is_some());
    let params = if has_stored {
        stored
    } else {
        expected_params.unwrap_or(0)
    };
    let (mut trainable_params, mut non_trainable_params, mut unknown) = (0u64, 0u64, 0u64);
    for pair in pairs.iter().filter(|p| !p.alias) {
        let n = match (&pair.stored, &pair.expected) {
            (Some(t), _) => elements(t),
            (None, Some(e)) if !has_stored => e
                .weight
                .shape
                .as_ref()
                .and_then(|s| s.iter().try_fold(1u64, |a, &d| a.checked_mul(d)))
                .unwrap_or(0),
            _ => 0,
        };
        let known = if trainable {
            pair.expected.as_ref().map(|e| e.weight.trainable)
        } else {
            Some(false)
        };
        match known {
            Some(true) => trainable_params = trainable_params.saturating_add(n),
            Some(false) => non_trainable_params = non_trainable_params.saturating_add(n),
            None => unknown = unknown.saturating_add(n),
        }
    }
    let children = match (
        &layer.expected,
        graph_layer.and_then(|l| l.nested.as_deref()),
    ) {
        (Expected::Nested(inner), Some(nested_model)) => inner
            .layers
            .iter()
            .filter(|l| {
                !(nested_model.kind == ModelKind::Sequential && l.class_name == "InputLayer")
            })
            .map(|sub| {
                let sub_pairs: Vec<Pair> = pairs
                    .iter()
                    .filter(|p| {
                        p.expected
                            .as_ref()
                            .is_some_and(|e| e.sublayers.get(1) == Some(&sub.name))
                    })
                    .cloned()
                    .collect();
                let sub_check = LayerCheck {
                    name: sub.name.clone(),
                    class_name: sub.class_name.clone(),
                    stored_params: sub_pairs
                        .iter()
                        .filter_map(|p| p.stored.as_ref())
                        .map(elements)
                        .sum(),
                    expected_params: None,
                    expected_trainable: None,
                    derivation: crate::audit::params::derivation_of(sub),
                    pairs: sub_pairs,
                };
                let mut child = row(nested_model, sub, Some(&sub_check), trainable);
                child.expected_params = expected_of(sub);
                child
            })
            .collect(),
        _ => Vec::new(),
    };
    let connected_to = graph_layer
        .map(|l| {
            l.calls
                .iter()
                .flatten()
                .map(|r| format!("{}[{}][{}]", r.layer, r.node, r.tensor))
                .collect()
        })
        .unwrap_or_default();
    Row {
        name: layer.name.clone(),
        class_name: layer.class_name.clone(),
        output_shapes: layer.output_shapes.clone(),
        params,
        expected_params,
        trainable_params,
        non_trainable_params,
        unknown_trainability: unknown,
        frozen: !trainable,
        connected_to,
        derivation: check.and_then(|c| c.derivation.clone()),
        mismatch: expected_params.is_some_and(|e| has_stored && e != stored),
        children,
        pairs,
    }
}

/// The expected count of a (nested) layer from its rule output alone.
fn expected_of(layer: &LayerResult) -> Option<u64> {
    match &layer.expected {
        Expected::Rule(out) => out.weights.iter().try_fold(0u64, |acc, w| {
            let n = w
                .shape
                .as_ref()?
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))?;
            acc.checked_add(n)
        }),
        Expected::Nested(model) => model
            .layers
            .iter()
            .try_fold(0u64, |acc, l| acc.checked_add(expected_of(l)?)),
        _ => None,
    }
}

/// Keras draws "Connected to" unless the model is a plain chain (its `sequential_like`).
fn is_graph_like(model: &Model) -> bool {
    if model.kind != ModelKind::Functional {
        return false;
    }
    let inputs = model.layers.iter().filter(|l| l.is_input()).count();
    if inputs > 1 {
        return true;
    }
    let mut consumers: std::collections::HashMap<&str, usize> = Default::default();
    for layer in &model.layers {
        if layer.calls.len() > 1 || layer.calls.iter().any(|c| c.len() > 1) {
            return true;
        }
        for r in layer.calls.iter().flatten() {
            *consumers.entry(r.layer.as_str()).or_default() += 1;
        }
    }
    consumers.values().any(|&n| n > 1)
}
