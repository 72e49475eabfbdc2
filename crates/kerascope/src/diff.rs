//! `kerascope diff A B`: two model files — any formats, any Keras — compared as models: the
//! layers added, removed or renamed; for the layers in both, the class, the config values that
//! change what the layer computes, the output shape, the trainable flag and every stored
//! weight's shape and dtype; then the parameter totals.
//!
//! Layers are lined up by name in model order (a longest common subsequence, as
//! [`crate::verify`] does), so one inserted layer does not shift the rest; an unmatched pair at
//! the same place with the same class and the same weights is a rename. Config values are
//! compared where both files state them, ignoring what does not change the trained model
//! (names, initializers, regularizers, constraints, seeds) and representation (a dtype string
//! or a Keras 3 dtype policy): a `.h5` and a `.keras` of one model are equivalent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::analysis::Analysis;
use crate::format::Format;
use crate::graph::Model;
use crate::summary::{self, Row};
use crate::text::{shape_text, thousands, tuple};
use crate::verify::same_layer_class;

/// Version of the `diff --format json` document.
pub const SCHEMA: &str = "kerascope.diff/1";

/// What changed from A to B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A layer only B has.
    LayerAdded,
    /// A layer only A has.
    LayerRemoved,
    /// The same layer (class, config and weights) under another name.
    LayerRenamed,
    /// The same layer at another place in the model's layer order.
    LayerMoved,
    /// The same layer with another class.
    ClassChanged,
    /// A config key with another value, or present on one side only.
    ConfigChanged,
    /// The inferred output shape differs.
    OutputShapeChanged,
    /// The layer's `trainable` flag differs.
    TrainableChanged,
    /// A weight only B's layer has.
    WeightAdded,
    /// A weight only A's layer has.
    WeightRemoved,
    /// The same weight with another shape.
    WeightShapeChanged,
    /// The same weight stored in another dtype.
    WeightDtypeChanged,
    /// The layer's parameter count differs.
    ParamsChanged,
    /// The model's total parameter count differs.
    TotalParamsChanged,
    /// The model's trainable parameter count differs.
    TrainableParamsChanged,
    /// The model's non-trainable parameter count differs.
    NonTrainableParamsChanged,
}

impl ChangeKind {
    /// The `kind` text of the JSON change (`layer_added`, `weight_shape_changed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::LayerAdded => "layer_added",
            ChangeKind::LayerRemoved => "layer_removed",
            ChangeKind::LayerRenamed => "layer_renamed",
            ChangeKind::LayerMoved => "layer_moved",
            ChangeKind::ClassChanged => "class_changed",
            ChangeKind::ConfigChanged => "config_changed",
            ChangeKind::OutputShapeChanged => "output_shape_changed",
            ChangeKind::TrainableChanged => "trainable_changed",
            ChangeKind::WeightAdded => "weight_added",
            ChangeKind::WeightRemoved => "weight_removed",
            ChangeKind::WeightShapeChanged => "weight_shape_changed",
            ChangeKind::WeightDtypeChanged => "weight_dtype_changed",
            ChangeKind::ParamsChanged => "params_changed",
            ChangeKind::TotalParamsChanged => "total_params_changed",
            ChangeKind::TrainableParamsChanged => "trainable_params_changed",
            ChangeKind::NonTrainableParamsChanged => "non_trainable_params_changed",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The layer, `outer/inner` inside a nested model (B's name for a rename).
    pub layer: Option<String>,
    /// The layer's class (`class` in JSON); `None` for model-level changes or an unknown class.
    #[serde(rename = "class")]
    pub class_name: Option<String>,
    /// The config key (`units`, `layer.config.units`) or the weight (`kernel`, `cell/bias`).
    pub item: Option<String>,
    /// The value on side A as text (a count, a shape, a config value); `None` when A has none.
    pub a: Option<String>,
    /// The value on side B as text; `None` when B has none.
    pub b: Option<String>,
}

/// What one side is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The file layout the side was read from.
    pub format: Format,
    /// The Keras version recorded in the file, if any.
    pub keras_version: Option<String>,
    /// The model's class (`class` in JSON: `Sequential`, `Functional`, ...), if the file has a
    /// config.
    #[serde(rename = "class")]
    pub model_class: Option<String>,
    /// The model's name, if the file has a config.
    pub model_name: Option<String>,
    /// Whether the file holds a usable model config (a weights-only file does not).
    pub has_config: bool,
    /// The total parameter count, as `model.count_params()`.
    pub total_params: u64,
    /// Trainable parameters; `None` when the trainability of some weight is unknown.
    pub trainable_params: Option<u64>,
    /// Non-trainable parameters; `None` when the trainability of some weight is unknown.
    pub non_trainable_params: Option<u64>,
    /// Values of the stored optimizer state; `None` when the file holds none.
    pub optimizer_params: Option<u64>,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelDiff {
    /// The first file.
    pub a: Side,
    /// The second file.
    pub b: Side,
    /// What differs from A to B, layer by layer and then the totals.
    pub changes: Vec<Change>,
    /// Differences that do not make the models different (format, versions, optimizer state).
    pub notes: Vec<String>,
}

impl ModelDiff {
    /// Same layers, configs, weights and totals.
    pub fn equivalent(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Config keys that never change what a trained layer computes, at any depth.
fn ignored(key: &str) -> bool {
    matches!(
        key,
        "name"
            | "trainable"
            | "seed"
            | "layers"
            | "input_layers"
            | "output_layers"
            | "build_config"
            | "batch_input_shape"
            | "batch_shape"
            | "input_shape"
            | "sparse"
            | "ragged"
            | "module"
            | "registered_name"
            | "shared_object_id"
    ) || key.ends_with("_initializer")
        || key.ends_with("_regularizer")
        || key.ends_with("_constraint")
}

/// Keys that matter even when only one file states them.
const MATTERS: &[&str] = &[
    "units",
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "activation",
    "use_bias",
    "dilation_rate",
    "groups",
    "depth_multiplier",
    "return_sequences",
    "return_state",
    "go_backwards",
    "merge_mode",
    "input_dim",
    "output_dim",
    "num_heads",
    "key_dim",
    "value_dim",
    "axis",
    "pool_size",
    "target_shape",
    "dims",
    "n",
    "size",
    "cropping",
    "rate",
    "reset_after",
    "data_format",
    "lora_rank",
];

/// A config as `path → leaf`, ignored keys dropped; a dtype policy reads as its name.
fn leaves(value: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if ignored(key) {
                    continue;
                }
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if key == "dtype"
                    && let Some(name) = v.pointer("/config/name").filter(|n| n.is_string())
                {
                    out.insert(here, name.clone());
                    continue;
                }
                leaves(v, &here, out);
            }
        }
        other => {
            out.insert(path.to_string(), other.clone());
        }
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `axis` as tf.keras stores it after building (`[1]`) and as written (`-1`) are the same
/// axis of a rank-`rank` tensor: both read as a list of non-negative axes.
fn normalize_axis(value: &Value, rank: Option<usize>) -> Value {
    let Some(rank) = rank else {
        return value.clone();
    };
    let one = |v: &Value| -> Option<i64> {
        let a = v.as_i64()?;
        Some(if a < 0 { a + rank as i64 } else { a })
    };
    let axes: Option<Vec<i64>> = match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|a| vec![a]),
    };
    match axes {
        Some(mut axes) => {
            axes.sort_unstable();
            serde_json::json!(axes)
        }
        None => value.clone(),
    }
}

/// Config values that differ: `(path, A's value, B's value)`. `rank` is the layer's output
/// rank, to read `axis` values alike.
fn config_changes(
    a: &Value,
    b: &Value,
    rank: Option<usize>,
    same_dialect: bool,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let (mut la, mut lb) = (BTreeMap::new(), BTreeMap::new());
    leaves(a, "", &mut la);
    leaves(b, "", &mut lb);
    for leaves in [&mut la, &mut lb] {
        if let Some(axis) = leaves.get_mut("axis") {
            *axis = normalize_axis(axis, rank);
        }
    }
    let matters = |path: &str| MATTERS.contains(&path.rsplit('.').next().unwrap_or(path));
    let mut changes = Vec::new();
    // A key only one file states counts when it matters, both files speak one dialect
    // (Keras 1 writes a Dense's `input_dim`, Keras 2 its input shape) and its parent is in
    // both (Keras 3 writes a Bidirectional's `backward_layer` out, tf.keras leaves it implied).
    let stated = |other: &BTreeMap<String, Value>, path: &str| {
        same_dialect
            && match path.rsplit_once('.') {
                None => true,
                Some((parent, _)) => other.keys().any(|k| k.starts_with(&format!("{parent}."))),
            }
    };
    for (path, va) in &la {
        match lb.get(path) {
            Some(vb) if !same_value(va, vb) => {
                changes.push((path.clone(), Some(va.clone()), Some(vb.clone())))
            }
            None if !va.is_null() && matters(path) && stated(&lb, path) => {
                changes.push((path.clone(), Some(va.clone()), None))
            }
            _ => {}
        }
    }
    for (path, vb) in &lb {
        if !la.contains_key(path) && !vb.is_null() && matters(path) && stated(&la, path) {
            changes.push((path.clone(), None, Some(vb.clone())));
        }
    }
    changes
}

/// Lines up two layer lists by name: matched index pairs, in order.
fn align(a: &[Row], b: &[Row]) -> Vec<(usize, usize)> {
    crate::align::longest_common_subsequence(a.len(), b.len(), |i, j| a[i].name == b[j].name)
}

/// A row's stored weights in order: label, shape, dtype; the label is the rule's name for the
/// weight (`kernel`, `cell/bias`) when the file has a config, else the stored name.
fn weights(row: &Row) -> Vec<(String, Vec<u64>, String)> {
    row.pairs
        .iter()
        .filter(|p| !p.alias)
        .filter_map(|p| {
            let t = p.stored.as_ref()?;
            let label = p.expected.as_ref().map(|e| e.label()).unwrap_or_else(|| {
                if t.owner.is_empty() {
                    t.name.clone()
                } else {
                    format!("{}/{}", t.owner, t.name)
                }
            });
            Some((label, t.shape.clone(), t.dtype.clone()))
        })
        .collect()
}

/// Whether a row's weights carry the rule's names (its file has a config).
fn named(row: &Row) -> bool {
    row.pairs.iter().any(|p| p.expected.is_some())
}

/// Pairs two weight lists: by name when both files name them; else (a weights-only file
/// stores `vars/0` or `dense/kernel:0` where the other says `kernel`) by equal shape and dtype.
#[allow(clippy::type_complexity)]
fn pair_weights<'a>(
    a: &'a [(String, Vec<u64>, String)],
    b: &'a [(String, Vec<u64>, String)],
    by_name: bool,
) -> Vec<(
    Option<&'a (String, Vec<u64>, String)>,
    Option<&'a (String, Vec<u64>, String)>,
)> {
    let same = |wa: &(String, Vec<u64>, String), wb: &(String, Vec<u64>, String)| {
        if by_name {
            wa.0 == wb.0
        } else {
            wa.1 == wb.1 && wa.2 == wb.2
        }
    };
    let mut used = vec![false; b.len()];
    let mut pairs = Vec::new();
    for wa in a {
        let found = (0..b.len()).find(|&j| !used[j] && same(wa, &b[j]));
        if let Some(j) = found {
            used[j] = true;
        }
        pairs.push((Some(wa), found.map(|j| &b[j])));
    }
    pairs.extend(
        (0..b.len())
            .filter(|&j| !used[j])
            .map(|j| (None, Some(&b[j]))),
    );
    pairs
}

/// The same stored shapes and dtypes, in order.
fn same_weights(a: &Row, b: &Row) -> bool {
    let strip = |w: Vec<(String, Vec<u64>, String)>| -> Vec<(Vec<u64>, String)> {
        w.into_iter().map(|(_, s, d)| (s, d)).collect()
    };
    strip(weights(a)) == strip(weights(b))
}

fn known(class: &str) -> bool {
    class != "?"
}

/// The two sides' layer lists and their graphs, at one nesting level.
struct Level<'a> {
    prefix: String,
    /// Both files speak one dialect: their weights and config keys have the same names.
    same_dialect: bool,
    a: &'a [Row],
    b: &'a [Row],
    model_a: Option<&'a Model>,
    model_b: Option<&'a Model>,
}

fn push(
    changes: &mut Vec<Change>,
    kind: ChangeKind,
    layer: Option<String>,
    class_name: Option<&str>,
    item: Option<String>,
    a: Option<String>,
    b: Option<String>,
) {
    changes.push(Change {
        kind,
        layer,
        class_name: class_name.filter(|c| known(c)).map(str::to_string),
        item,
        a,
        b,
    });
}

fn diff_level(level: Level, changes: &mut Vec<Change>) {
    let Level {
        prefix,
        same_dialect,
        a,
        b,
        model_a,
        model_b,
    } = level;
    let path = |name: &str| format!("{prefix}{name}");
    let mut pairs = align(a, b);
    // The same name at another place: a moved layer (or a file without config, which lists
    // its layers as stored).
    let mut moved = Vec::new();
    for (i, row) in a.iter().enumerate() {
        if pairs.iter().any(|p| p.0 == i) {
            continue;
        }
        let same: Vec<usize> = (0..b.len())
            .filter(|&j| b[j].name == row.name && !pairs.iter().any(|p| p.1 == j))
            .collect();
        if let [j] = same[..] {
            moved.push((i, j));
        }
    }
    let both_configs = model_a.is_some() && model_b.is_some();
    if both_configs {
        for &(_, j) in &moved {
            push(
                changes,
                ChangeKind::LayerMoved,
                Some(path(&b[j].name)),
                Some(&b[j].class_name),
                None,
                None,
                None,
            );
        }
    }
    pairs.extend(&moved);
    let matched_a: Vec<bool> = (0..a.len())
        .map(|i| pairs.iter().any(|p| p.0 == i))
        .collect();
    let matched_b: Vec<bool> = (0..b.len())
        .map(|j| pairs.iter().any(|p| p.1 == j))
        .collect();
    // A pair left over at the same place, same class and same weights: renamed.
    let gap = |index: usize, side: fn(&(usize, usize)) -> usize, pairs: &[(usize, usize)]| {
        pairs.iter().filter(|p| side(p) < index).count()
    };
    let mut renamed = Vec::new();
    for i in (0..a.len()).filter(|&i| !matched_a[i]) {
        let g = gap(i, |p| p.0, &pairs);
        if let Some(j) = (0..b.len()).find(|&j| {
            !matched_b[j]
                && !renamed.iter().any(|&(_, k)| k == j)
                && gap(j, |p| p.1, &pairs) == g
                && (!known(&a[i].class_name)
                    || !known(&b[j].class_name)
                    || same_layer_class(&a[i].class_name, &b[j].class_name))
                && same_weights(&a[i], &b[j])
                && (a[i].output_shapes.is_empty()
                    || b[j].output_shapes.is_empty()
                    || a[i].output_shapes == b[j].output_shapes)
        }) {
            renamed.push((i, j));
        }
    }
    for &(i, j) in &renamed {
        push(
            changes,
            ChangeKind::LayerRenamed,
            Some(path(&b[j].name)),
            Some(&b[j].class_name),
            None,
            Some(a[i].name.clone()),
            Some(b[j].name.clone()),
        );
    }
    pairs.extend(&renamed);
    // A file without config lists only the layers that own weights.
    let unseen = |row: &Row, other: Option<&Model>| other.is_none() && row.params == 0;
    for (i, row) in a.iter().enumerate() {
        if !pairs.iter().any(|p| p.0 == i) && !unseen(row, model_b) {
            push(
                changes,
                ChangeKind::LayerRemoved,
                Some(path(&row.name)),
                Some(&row.class_name),
                None,
                Some(format!("{} parameters", thousands(row.params))),
                None,
            );
        }
    }
    for (j, row) in b.iter().enumerate() {
        if !pairs.iter().any(|p| p.1 == j) && !unseen(row, model_a) {
            push(
                changes,
                ChangeKind::LayerAdded,
                Some(path(&row.name)),
                Some(&row.class_name),
                None,
                None,
                Some(format!("{} parameters", thousands(row.params))),
            );
        }
    }
    pairs.sort_by_key(|p| p.1);
    for (i, j) in pairs {
        let (ra, rb) = (&a[i], &b[j]);
        let layer = path(&rb.name);
        let class = Some(rb.class_name.as_str());
        if known(&ra.class_name)
            && known(&rb.class_name)
            && !same_layer_class(&ra.class_name, &rb.class_name)
        {
            push(
                changes,
                ChangeKind::ClassChanged,
                Some(layer.clone()),
                class,
                None,
                Some(ra.class_name.clone()),
                Some(rb.class_name.clone()),
            );
        }
        let ga = model_a.and_then(|m| m.layer(&ra.name));
        let gb = model_b.and_then(|m| m.layer(&rb.name));
        if let (Some(ga), Some(gb)) = (ga, gb) {
            let rank = rb.output_shapes.first().map(Vec::len);
            for (key, va, vb) in config_changes(&ga.config, &gb.config, rank, same_dialect) {
                push(
                    changes,
                    ChangeKind::ConfigChanged,
                    Some(layer.clone()),
                    class,
                    Some(key),
                    va.as_ref().map(value_text),
                    vb.as_ref().map(value_text),
                );
            }
            if ra.frozen != rb.frozen {
                push(
                    changes,
                    ChangeKind::TrainableChanged,
                    Some(layer.clone()),
                    class,
                    None,
                    Some((!ra.frozen).to_string()),
                    Some((!rb.frozen).to_string()),
                );
            }
        }
        if !ra.output_shapes.is_empty()
            && !rb.output_shapes.is_empty()
            && ra.output_shapes != rb.output_shapes
        {
            push(
                changes,
                ChangeKind::OutputShapeChanged,
                Some(layer.clone()),
                class,
                None,
                Some(shape_text(&ra.output_shapes)),
                Some(shape_text(&rb.output_shapes)),
            );
        }
        // Nested models layer by layer when both files describe them; else as one layer.
        if !ra.children.is_empty() && !rb.children.is_empty() {
            diff_level(
                Level {
                    prefix: format!("{layer}/"),
                    same_dialect,
                    a: &ra.children,
                    b: &rb.children,
                    model_a: ga.and_then(|l| l.nested.as_deref()),
                    model_b: gb.and_then(|l| l.nested.as_deref()),
                },
                changes,
            );
            continue;
        }
        let (wa, wb) = (weights(ra), weights(rb));
        let pairs = pair_weights(&wa, &wb, same_dialect && named(ra) && named(rb));
        // Keras 1 stores some layers in another layout (an LSTM's twelve gate tensors, Keras
        // 2's three): the same count in other tensors is the same layer.
        let relaid = !same_dialect
            && ra.params == rb.params
            && pairs.iter().any(|p| p.0.is_none() || p.1.is_none());
        for pair in pairs.into_iter().filter(|_| !relaid) {
            match pair {
                (Some((name, shape, dtype)), None) => push(
                    changes,
                    ChangeKind::WeightRemoved,
                    Some(layer.clone()),
                    class,
                    Some(name.clone()),
                    Some(format!("{} {dtype}", tuple(shape))),
                    None,
                ),
                (None, Some((name, shape, dtype))) => push(
                    changes,
                    ChangeKind::WeightAdded,
                    Some(layer.clone()),
                    class,
                    Some(name.clone()),
                    None,
                    Some(format!("{} {dtype}", tuple(shape))),
                ),
                (Some((name, shape, dtype)), Some((_, shape_b, dtype_b))) => {
                    if shape != shape_b {
                        push(
                            changes,
                            ChangeKind::WeightShapeChanged,
                            Some(layer.clone()),
                            class,
                            Some(name.clone()),
                            Some(tuple(shape)),
                            Some(tuple(shape_b)),
                        );
                    }
                    if dtype != dtype_b {
                        push(
                            changes,
                            ChangeKind::WeightDtypeChanged,
                            Some(layer.clone()),
                            class,
                            Some(name.clone()),
                            Some(dtype.clone()),
                            Some(dtype_b.clone()),
                        );
                    }
                }
                (None, None) => {}
            }
        }
        if ra.params != rb.params {
            push(
                changes,
                ChangeKind::ParamsChanged,
                Some(layer),
                class,
                None,
                Some(thousands(ra.params)),
                Some(thousands(rb.params)),
            );
        }
    }
}

fn side(analysis: &Analysis, s: &summary::Summary) -> Side {
    let split_known = s.unknown_trainability == 0;
    Side {
        format: analysis.file.format,
        keras_version: analysis.file.keras_version.clone(),
        model_class: s.model_class.clone(),
        model_name: s.model_name.clone(),
        has_config: analysis.model.is_some(),
        total_params: s.total_params,
        trainable_params: split_known.then_some(s.trainable_params),
        non_trainable_params: split_known.then_some(s.non_trainable_params),
        optimizer_params: s.optimizer_params,
    }
}

/// Compares two analysed files.
pub fn diff(a: &Analysis, b: &Analysis) -> ModelDiff {
    let (sa, sb) = (summary::build(a), summary::build(b));
    let mut changes = Vec::new();
    diff_level(
        Level {
            prefix: String::new(),
            same_dialect: a.file.dialect == b.file.dialect,
            a: &sa.rows,
            b: &sb.rows,
            model_a: a.model.as_ref(),
            model_b: b.model.as_ref(),
        },
        &mut changes,
    );
    let (side_a, side_b) = (side(a, &sa), side(b, &sb));
    let mut total = |kind, x: Option<u64>, y: Option<u64>| {
        if let (Some(x), Some(y)) = (x, y)
            && x != y
        {
            push(
                &mut changes,
                kind,
                None,
                None,
                None,
                Some(thousands(x)),
                Some(thousands(y)),
            );
        }
    };
    total(
        ChangeKind::TotalParamsChanged,
        Some(side_a.total_params),
        Some(side_b.total_params),
    );
    total(
        ChangeKind::TrainableParamsChanged,
        side_a.trainable_params,
        side_b.trainable_params,
    );
    total(
        ChangeKind::NonTrainableParamsChanged,
        side_a.non_trainable_params,
        side_b.non_trainable_params,
    );
    let mut notes = Vec::new();
    if side_a.format != side_b.format || side_a.keras_version != side_b.keras_version {
        let describe = |s: &Side| {
            format!(
                "{}{}",
                s.format.describe(),
                s.keras_version
                    .as_deref()
                    .map(|v| format!(" (Keras {v})"))
                    .unwrap_or_default()
            )
        };
        notes.push(format!(
            "written differently: A is {}, B is {}",
            describe(&side_a),
            describe(&side_b)
        ));
    }
    if side_a.model_class != side_b.model_class || side_a.model_name != side_b.model_name {
        let describe = |s: &Side| {
            format!(
                "\"{}\" ({})",
                s.model_name.as_deref().unwrap_or("?"),
                s.model_class.as_deref().unwrap_or("?")
            )
        };
        notes.push(format!(
            "model: A is {}, B is {}",
            describe(&side_a),
            describe(&side_b)
        ));
    }
    for (label, s) in [("A", &side_a), ("B", &side_b)] {
        if !s.has_config {
            notes.push(format!(
                "{label} stores no model config: classes, configs and output shapes are compared only where both files have them"
            ));
        }
    }
    if side_a.optimizer_params != side_b.optimizer_params {
        let describe = |o: Option<u64>| {
            o.map(|n| format!("{} optimizer parameters", thousands(n)))
                .unwrap_or_else(|| "no optimizer state".into())
        };
        notes.push(format!(
            "optimizer state (not part of the model): A has {}, B has {}",
            describe(side_a.optimizer_params),
            describe(side_b.optimizer_params)
        ));
    }
    ModelDiff {
        a: side_a,
        b: side_b,
        changes,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configs_compare_what_changes_the_model() {
        let a = json!({"name": "d", "units": 4, "activation": "linear",
                       "kernel_initializer": {"class_name": "GlorotUniform"},
                       "dtype": "float32", "time_major": false});
        let b = json!({"name": "dense_9", "units": 5, "activation": "linear",
                       "kernel_initializer": {"class_name": "HeNormal"},
                       "dtype": {"class_name": "DTypePolicy", "config": {"name": "float32"}},
                       "lora_rank": null});
        let changes = config_changes(&a, &b, Some(2), true);
        assert_eq!(
            changes,
            [("units".to_string(), Some(json!(4)), Some(json!(5)))]
        );
    }

    #[test]
    fn an_axis_reads_the_same_however_it_is_written() {
        // tf_keras 2.21 stores BatchNormalization's axis built, `[1]`; Keras 3 as given, `-1`.
        let a = json!({"axis": [1]});
        let b = json!({"axis": -1});
        assert!(config_changes(&a, &b, Some(2), true).is_empty());
        assert_eq!(config_changes(&a, &b, Some(4), true).len(), 1);
    }

    #[test]
    fn wrapped_layers_compare_by_path() {
        let a = json!({"layer": {"class_name": "LSTM", "config": {"units": 4}}, "merge_mode": "concat"});
        let b = json!({"layer": {"class_name": "GRU", "config": {"units": 4.0}}, "merge_mode": "concat"});
        let changes = config_changes(&a, &b, Some(3), true);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, "layer.class_name");
    }
}
