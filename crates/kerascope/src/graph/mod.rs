//! Config JSON of every dialect → one normalized model graph (FORMATS.md §3).
//!
//! Dialects are translated here, once: Keras 1 key names ([`keras1`]), list vs dict
//! Sequential configs, the three `inbound_nodes` forms, Keras 3 flat `input_layers` triples,
//! and the off-by-one node index of nested models in Keras ≤ 2 configs. Keras 1 keys are
//! translated at every level: a nested model's layers here, a wrapper's layer and an RNN's
//! cells inside [`keras1::translate`]. Nothing downstream asks which Keras wrote the config
//! except the layer rules, for how each Keras names and lays out the tensors it stores.

pub mod keras1;

use serde_json::Value;

use crate::model::{Dialect, Dim, Shape};

/// How the model was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelKind {
    /// A `Sequential` model: each layer feeds the next.
    Sequential,
    /// A functional model (`Model`/`Functional`): layers wired by their inbound nodes.
    Functional,
    /// A subclassed model: only constructor arguments are serialized, no layer list.
    Subclassed,
}

/// A reference to one output tensor of one call of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorRef {
    /// The producing layer's name.
    pub layer: String,
    /// Index of the call (inbound node) of `layer` that produced it, already corrected for
    /// the hidden first node of nested models in Keras ≤ 2 configs.
    pub node: usize,
    /// Index of the tensor among that call's outputs.
    pub tensor: usize,
    /// The shape Keras 3 records with every tensor of a call.
    pub shape: Option<Shape>,
}

/// One layer entry of a model config.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The layer's name (unique within its model).
    pub name: String,
    /// As serialized (Keras 1 names such as `Convolution2D` are kept: they are what the user
    /// saw, and rules accept them).
    pub class_name: String,
    /// The layer's `config`, with Keras 1 keys translated to Keras 2 ones (in the layers it
    /// wraps too).
    pub config: Value,
    /// The serialized `module` (Keras 3 / new-style JSON), if any.
    pub module: Option<String>,
    /// Inputs of each call, in call order (Functional models; empty for Sequential ones).
    pub calls: Vec<Vec<TensorRef>>,
    /// The input shape Keras 3 recorded when building the layer (`build_config`).
    pub build_input_shapes: Vec<Shape>,
    /// A nested model used as a layer.
    pub nested: Option<Box<Model>>,
    /// The layer's `trainable` flag (`true` when the config does not say).
    pub trainable: bool,
}

impl Layer {
    /// Whether this is an `InputLayer`.
    pub fn is_input(&self) -> bool {
        self.class_name == "InputLayer"
    }

    /// The input shape an `InputLayer` (or the first layer of a Sequential) declares.
    pub fn declared_input_shape(&self) -> Option<Shape> {
        for key in ["batch_shape", "batch_input_shape"] {
            if let Some(shape) = self.config.get(key).and_then(parse_shape) {
                return Some(shape);
            }
        }
        keras1::implied_input_shape(&self.class_name, &self.config)
    }
}

/// A model config, normalized.
#[derive(Debug, Clone)]
pub struct Model {
    /// The model's class as serialized (`Sequential`, `Functional`, `Model`, or a subclass).
    pub class_name: String,
    /// The model's name, if the config has one.
    pub name: Option<String>,
    /// How the model was built.
    pub kind: ModelKind,
    /// In config order: `model.layers` order, plus the InputLayer of a Sequential when the
    /// config lists one (see [`Model::keras_layers`]).
    pub layers: Vec<Layer>,
    /// The model's `input_layers` (empty when the config lists none, as for a Sequential).
    pub inputs: Vec<TensorRef>,
    /// The model's `output_layers` (empty when the config lists none).
    pub outputs: Vec<TensorRef>,
    /// `build_input_shape` of a Sequential, or the shape a subclassed model was built on.
    pub build_input_shape: Option<Shape>,
    /// The model's `trainable` flag (`true` when the config does not say).
    pub trainable: bool,
}

impl Model {
    /// The layers as Keras lists them in `model.layers`: a Sequential's InputLayer is not one.
    pub fn keras_layers(&self) -> impl Iterator<Item = &Layer> {
        let sequential = self.kind == ModelKind::Sequential;
        self.layers
            .iter()
            .filter(move |l| !(sequential && l.is_input()))
    }

    /// The layer of this name (InputLayers included), if any.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }
}

/// Why a config could not be turned into a graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model config: {0}")]
pub struct GraphError(pub String);

/// Classes that are models (a layer entry of one of these holds its own layer list).
pub fn is_model_class(class_name: &str) -> bool {
    matches!(class_name, "Sequential" | "Functional" | "Model")
}

/// Parses a model entry `{"class_name", "config", ...}` (the root of `model_config` /
/// `config.json`, or a nested model's layer entry).
pub fn parse_model(entry: &Value, dialect: Dialect) -> Result<Model, GraphError> {
    let class_name = entry
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError("no class_name".into()))?
        .to_string();
    let config = entry.get("config").unwrap_or(&Value::Null);
    let (layer_list, name) = match config {
        Value::Array(list) => (Some(list), None),
        Value::Object(map) => (
            map.get("layers").and_then(Value::as_array),
            map.get("name").and_then(Value::as_str).map(str::to_string),
        ),
        _ => (None, None),
    };
    let build_input_shape = config
        .get("build_input_shape")
        .and_then(parse_shape)
        .or_else(|| {
            entry
                .get("build_config")
                .and_then(|b| b.get("input_shape"))
                .and_then(parse_shape)
        });
    let trainable = config
        .get("trainable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let Some(layer_list) = layer_list else {
        return Ok(Model {
            class_name,
            name,
            kind: ModelKind::Subclassed,
            layers: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            build_input_shape,
            trainable,
        });
    };
    let kind = if class_name == "Sequential" {
        ModelKind::Sequential
    } else {
        ModelKind::Functional
    };
    let mut layers = Vec::with_capacity(layer_list.len());
    for (index, layer_entry) in layer_list.iter().enumerate() {
        layers.push(parse_layer(layer_entry, index, dialect)?);
    }
    // Keras ≤ 2: references to a nested model's calls are one higher than its serialized
    // node list (FORMATS.md §3.3).
    if dialect != Dialect::Keras3 {
        let nested: std::collections::HashSet<String> = layers
            .iter()
            .filter(|l| l.nested.is_some())
            .map(|l| l.name.clone())
            .collect();
        let fix = |r: &mut TensorRef| {
            if nested.contains(&r.layer) && r.node > 0 {
                r.node -= 1;
            }
        };
        for layer in &mut layers {
            layer.calls.iter_mut().flatten().for_each(fix);
        }
        let mut inputs = tensor_list(config.get("input_layers"));
        let mut outputs = tensor_list(config.get("output_layers"));
        inputs.iter_mut().chain(outputs.iter_mut()).for_each(fix);
        return Ok(Model {
            class_name,
            name,
            kind,
            layers,
            inputs,
            outputs,
            build_input_shape,
            trainable,
        });
    }
    Ok(Model {
        class_name,
        name,
        kind,
        layers,
        inputs: tensor_list(config.get("input_layers")),
        outputs: tensor_list(config.get("output_layers")),
        build_input_shape,
        trainable,
    })
}

fn parse_layer(entry: &Value, index: usize, dialect: Dialect) -> Result<Layer, GraphError> {
    let class_name = entry
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError(format!("layer #{index} has no class_name")))?
        .to_string();
    let raw_config = entry.get("config").cloned().unwrap_or(Value::Null);
    let name = raw_config
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| entry.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| format!("layer_{index}"));
    let nested =
        if is_model_class(&class_name) || raw_config.get("layers").is_some_and(Value::is_array) {
            Some(Box::new(parse_model(entry, dialect)?))
        } else {
            None
        };
    let config = if dialect == Dialect::Keras1 {
        keras1::translate(&class_name, raw_config)
    } else {
        raw_config
    };
    let trainable = config
        .get("trainable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let calls = entry
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .map(|nodes| nodes.iter().map(call_inputs).collect())
        .unwrap_or_default();
    let build_input_shapes = entry
        .get("build_config")
        .and_then(|b| b.get("input_shape"))
        .map(shape_list)
        .unwrap_or_default();
    Ok(Layer {
        name,
        class_name,
        module: entry
            .get("module")
            .and_then(Value::as_str)
            .map(str::to_string),
        config,
        calls,
        build_input_shapes,
        nested,
        trainable,
    })
}

/// The tensor references of one inbound node, in argument order, whatever the dialect:
/// Keras 1 `[[name, node, tensor], ...]`, Keras 2 `[[name, node, tensor, {kwargs}], ...]`
/// (kwargs may hold more references), Keras 3 `{"args": [...], "kwargs": {...}}`.
fn call_inputs(node: &Value) -> Vec<TensorRef> {
    let mut refs = Vec::new();
    match node {
        Value::Object(_) => {
            collect_keras3(node.get("args").unwrap_or(&Value::Null), &mut refs);
            collect_keras3(node.get("kwargs").unwrap_or(&Value::Null), &mut refs);
        }
        // A node that is itself one reference (tf.keras TF-op layers write
        // `["dropout", 0, 0, {"y": ["input_1", 0, 0]}]`): the tensor, then its kwargs.
        Value::Array(_) if triple(node).is_some() => {
            refs.extend(triple(node));
            if let Some(kwargs) = node.get(3) {
                collect_triples(kwargs, &mut refs);
            }
        }
        Value::Array(items) => {
            for item in items {
                if let Some(r) = triple(item) {
                    refs.push(r);
                    if let Some(kwargs) = item.get(3) {
                        collect_triples(kwargs, &mut refs);
                    }
                } else {
                    collect_triples(item, &mut refs);
                }
            }
        }
        _ => {}
    }
    refs
}

/// `[name, node, tensor, ...]` with a string first: a legacy tensor reference.
fn triple(value: &Value) -> Option<TensorRef> {
    let list = value.as_array()?;
    let layer = list.first()?.as_str()?;
    let node = list.get(1)?.as_u64()?;
    let tensor = list.get(2).and_then(Value::as_u64).unwrap_or(0);
    Some(TensorRef {
        layer: layer.to_string(),
        node: usize::try_from(node).ok()?,
        tensor: usize::try_from(tensor).ok()?,
        shape: None,
    })
}

fn collect_triples(value: &Value, refs: &mut Vec<TensorRef>) {
    if let Some(r) = triple(value) {
        refs.push(r);
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|i| collect_triples(i, refs)),
        Value::Object(map) => kwargs_in_call_order(map).for_each(|v| collect_triples(v, refs)),
        _ => {}
    }
}

/// Keyword tensors in the order of the call's signature where Keras has one with several
/// tensors (attention: query, value, key), then the rest as stored.
fn kwargs_in_call_order(map: &serde_json::Map<String, Value>) -> impl Iterator<Item = &Value> {
    const ORDER: [&str; 3] = ["query", "value", "key"];
    let known = ORDER.iter().filter_map(|k| map.get(*k));
    let rest = map
        .iter()
        .filter(|(k, _)| !ORDER.contains(&k.as_str()))
        .map(|(_, v)| v);
    known.chain(rest)
}

fn collect_keras3(value: &Value, refs: &mut Vec<TensorRef>) {
    match value {
        Value::Object(map)
            if map.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            let config = map.get("config").unwrap_or(&Value::Null);
            if let Some(mut r) = config.get("keras_history").and_then(triple) {
                r.shape = config.get("shape").and_then(parse_shape);
                refs.push(r);
            }
        }
        Value::Object(map) => kwargs_in_call_order(map).for_each(|v| collect_keras3(v, refs)),
        Value::Array(items) => items.iter().for_each(|i| collect_keras3(i, refs)),
        _ => {}
    }
}

/// `input_layers` / `output_layers`: a list of triples, or (Keras 3) a flat triple, or a dict.
fn tensor_list(value: Option<&Value>) -> Vec<TensorRef> {
    let Some(value) = value else {
        return Vec::new();
    };
    if let Some(r) = triple(value) {
        return vec![r];
    }
    let mut refs = Vec::new();
    collect_triples(value, &mut refs);
    refs
}

/// A shape list such as `[null, 32, 3]`. Non-integer entries become unknown dimensions.
pub fn parse_shape(value: &Value) -> Option<Shape> {
    let list = value.as_array()?;
    if list.iter().any(Value::is_array) {
        return None;
    }
    Some(
        list.iter()
            .map(|d| {
                d.as_u64().or_else(|| {
                    d.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
            })
            .collect::<Vec<Dim>>(),
    )
}

/// One shape or a list of shapes (multi-input layers); a `shapes_dict` gives its values.
fn shape_list(value: &Value) -> Vec<Shape> {
    if let Some(shape) = parse_shape(value) {
        return vec![shape];
    }
    match value {
        Value::Array(items) => items.iter().filter_map(parse_shape).collect(),
        Value::Object(map) => map.values().flat_map(shape_list).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_inbound_node_dialects_give_the_same_references() {
        let keras1 = json!([["dense_1", 0, 0], ["dense_2", 0, 0]]);
        let keras2 = json!([["in2", 0, 0, {"value": ["in2", 0, 0]}]]);
        let keras3 = json!({"args": [[
            {"class_name": "__keras_tensor__", "config": {"shape": [null, 5], "keras_history": ["a", 0, 0]}},
            {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "keras_history": ["b", 1, 0]}}
        ]], "kwargs": {"mask": null}});
        let names = |refs: Vec<TensorRef>| {
            refs.into_iter()
                .map(|r| (r.layer, r.node))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(call_inputs(&keras1)),
            [("dense_1".into(), 0), ("dense_2".into(), 0)]
        );
        assert_eq!(
            names(call_inputs(&keras2)),
            [("in2".into(), 0), ("in2".into(), 0)]
        );
        let refs = call_inputs(&keras3);
        assert_eq!(refs[1].shape, Some(vec![None, Some(3)]));
        assert_eq!(names(refs), [("a".into(), 0), ("b".into(), 1)]);
    }

    #[test]
    fn a_node_that_is_one_reference_keeps_it_and_its_keyword_tensors() {
        // tf.keras TFOpLambda, as in a real corpus file (KrolSzymon...transformerClasification.h5).
        let node = json!(["dropout", 0, 0, {"y": ["input_1", 0, 0], "name": null}]);
        let names: Vec<String> = call_inputs(&node).into_iter().map(|r| r.layer).collect();
        assert_eq!(names, ["dropout", "input_1"]);
    }

    #[test]
    fn nested_model_references_lose_the_hidden_node_in_keras2_configs() {
        // tf_keras 2.21 writes ["inner_seq", 1, 0, {}] for the first call (FORMATS.md §3.3).
        let config = json!({"class_name": "Functional", "config": {"name": "m", "layers": [
            {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 4]}, "inbound_nodes": []},
            {"class_name": "Sequential", "name": "inner_seq", "config": {"name": "inner_seq", "layers": []}, "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["inner_seq", 1, 0, {}]]]}
        ], "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}});
        let model = parse_model(&config, Dialect::TfKeras).unwrap();
        assert_eq!(model.layers[2].calls[0][0].node, 0);
        assert_eq!(
            model.layers[0].declared_input_shape(),
            Some(vec![None, Some(4)])
        );
        let keras3 = parse_model(&config, Dialect::Keras3).unwrap();
        assert_eq!(keras3.layers[2].calls[0][0].node, 1);
    }
}
