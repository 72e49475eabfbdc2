//! The config rewritten as Keras 3 expects it: only changes that keep what the model computes
//! (an argument dropped only when it holds the value Keras 2 defaulted to, which is what
//! Keras 3 does). What needs more is left for [`crate::compat`] to refuse.

use serde_json::{Map, Value, json};

use crate::compat::Target;
use crate::compat::knowledge::{Index, for_target};

const MODEL_CLASSES: [&str; 3] = ["Sequential", "Functional", "Model"];

/// Rewrites `config` (a model's `{"class_name", "config"}`) in place; returns the changes.
pub fn for_keras3(config: &mut Value) -> Rewrite {
    let mut rewriter = Rewriter {
        index: for_target(Target::Keras3),
        changes: Vec::new(),
        cudnn: Vec::new(),
        depth: 0,
        top: None,
    };
    rewriter.entry(config, false);
    Rewrite {
        changes: rewriter.changes,
        cudnn: rewriter.cudnn,
    }
}

/// The config changes, and the weights that must change with them.
pub struct Rewrite {
    pub changes: Vec<String>,
    /// Top-level layers whose weights are in a CuDNN layout, to convert as Keras 2 did when it
    /// loaded them into the standard layer.
    pub cudnn: Vec<(String, Cudnn)>,
}

/// The CuDNN layers Keras 3 dropped, and the standard layer each maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cudnn {
    /// CuDNNLSTM → LSTM.
    Lstm,
    /// CuDNNGRU → GRU(reset_after=True).
    Gru,
}

struct Rewriter {
    index: &'static Index,
    changes: Vec<String>,
    cudnn: Vec<(String, Cudnn)>,
    /// Nesting of models: 1 inside the top-level model.
    depth: usize,
    /// The top-level layer being rewritten (whose group holds the weights).
    top: Option<String>,
}

fn name_of(entry: &Value) -> String {
    entry
        .get("config")
        .and_then(|c| c.get("name"))
        .or_else(|| entry.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

impl Rewriter {
    fn entry(&mut self, entry: &mut Value, wrapped: bool) {
        let Some(class) = entry
            .get("class_name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        let name = name_of(entry);
        let Some(object) = entry.as_object_mut() else {
            return;
        };
        let class = self.cudnn(object, class, &name);
        self.module(object, &class, &name);
        if wrapped && !object.contains_key("module") && self.index.layer(&class).is_some() {
            // Wrappers deserialize what they hold through serialization_lib, which finds a
            // built-in class only by its module.
            object.insert("module".into(), json!("keras.layers"));
            object.insert("registered_name".into(), Value::Null);
            // That path does not turn `batch_input_shape` into an input shape; the wrapper
            // (or the InputLayer before it) carries the model's input.
            if let Some(Value::Object(config)) = object.get_mut("config")
                && config.remove("batch_input_shape").is_some()
            {
                self.changes.push(format!(
                    "{name}: batch_input_shape of the wrapped {class} removed"
                ));
            }
            self.changes.push(format!(
                "{name}: module keras.layers added to the wrapped {class}"
            ));
        }
        if MODEL_CLASSES.contains(&class.as_str()) {
            self.model(object, &class, &name);
            return;
        }
        // serialization_lib (a module, or inside a wrapper) converts nothing on the way.
        let serialized = wrapped || object.contains_key("module");
        let Some(Value::Object(config)) = object.get_mut("config") else {
            return;
        };
        if serialized {
            self.serialized_forms(config, &class, &name);
        }
        self.arguments(config, &class, &name);
        self.objects(config, &name);
        self.dtype(config, &name);
        let keys: Vec<String> = self
            .index
            .facts
            .wrappers_needing_module
            .get(&class)
            .cloned()
            .unwrap_or_default();
        for key in keys {
            match config.get_mut(&key) {
                Some(Value::Array(items)) => items.iter_mut().for_each(|i| self.entry(i, true)),
                Some(item @ Value::Object(_)) => self.entry(item, true),
                _ => {}
            }
        }
    }

    fn model(&mut self, object: &mut Map<String, Value>, class: &str, name: &str) {
        if let Some(Value::Array(items)) = object.get("config") {
            // Keras 2.0 Sequential: a bare list of layers.
            let layers = Value::Array(items.clone());
            let name = if name == "?" { "sequential" } else { name };
            object.insert("config".into(), json!({"name": name, "layers": layers}));
            self.changes.push(format!(
                "{name}: Keras 2.0 list-form {class} config wrapped as {{name, layers}}"
            ));
        }
        let Some(Value::Object(config)) = object.get_mut("config") else {
            return;
        };
        let Some(Value::Array(layers)) = config.get_mut("layers") else {
            return;
        };
        if class == "Sequential" {
            self.input_layer(layers);
        }
        self.depth += 1;
        for layer in layers.iter_mut() {
            if self.depth == 1 {
                self.top = Some(name_of(layer));
            }
            self.entry(layer, false);
        }
        self.depth -= 1;
        self.renumber_nested_calls(layers);
    }

    /// CuDNNLSTM / CuDNNGRU become LSTM / GRU(reset_after=True): the same cell with the same
    /// defaults (tanh, sigmoid, biases), its weights converted by the writer.
    fn cudnn(&mut self, object: &mut Map<String, Value>, class: String, name: &str) -> String {
        let (kind, standard) = match class.as_str() {
            "CuDNNLSTM" => (Cudnn::Lstm, "LSTM"),
            "CuDNNGRU" => (Cudnn::Gru, "GRU"),
            _ => return class,
        };
        object.insert("class_name".into(), json!(standard));
        if kind == Cudnn::Gru
            && let Some(Value::Object(config)) = object.get_mut("config")
        {
            config.insert("reset_after".into(), json!(true));
        }
        let owner = self.top.clone().unwrap_or_else(|| name.to_string());
        if !self.cudnn.iter().any(|(l, _)| *l == owner) {
            self.cudnn.push((owner, kind));
        }
        self.changes.push(format!(
            "{name}: {class} → {standard}, weights converted from the CuDNN layout"
        ));
        standard.to_string()
    }

    /// A `module` the target cannot import (`keras.src.engine.functional`, tf.keras 2.13-2.15)
    /// pointed at the one that defines the class now.
    fn module(&mut self, object: &mut Map<String, Value>, class: &str, name: &str) {
        let Some(module) = object.get("module").and_then(Value::as_str) else {
            return;
        };
        let resolves = self.index.has_api(&format!("{module}.{class}"))
            || (self.index.has_module(module) && self.index.knows_class(class));
        if resolves || !(module == "keras" || module.starts_with("keras.")) {
            return;
        }
        let Some(target) = self.index.module_for(class) else {
            return;
        };
        self.changes
            .push(format!("{name}: module {module} → {target}"));
        object.insert("module".into(), json!(target));
    }

    /// What the legacy loader would have converted, converted here for the path that does not:
    /// a layer's own `batch_input_shape` (the InputLayer carries the input) and a one-item
    /// `axis` list where the class wants an int.
    fn serialized_forms(&mut self, config: &mut Map<String, Value>, class: &str, name: &str) {
        if class != "InputLayer" && config.remove("batch_input_shape").is_some() {
            self.changes.push(format!(
                "{name}: batch_input_shape removed (the InputLayer carries it)"
            ));
        }
        if self.index.facts.int_axis.iter().any(|c| c == class)
            && let Some(Value::Array(axes)) = config.get("axis")
            && let [axis] = axes.as_slice()
            && axis.is_i64()
        {
            let axis = axis.clone();
            self.changes.push(format!("{name}: axis [{axis}] → {axis}"));
            config.insert("axis".into(), axis);
        }
    }

    /// A Keras <= 2.3 Sequential keeps its input shape on the first layer; Keras 3 reads it
    /// as `input_shape` (one dimension too many): an InputLayer says it as Keras 2.4+ did.
    fn input_layer(&mut self, layers: &mut Vec<Value>) {
        let Some(first) = layers.first_mut() else {
            return;
        };
        if first.get("class_name").and_then(Value::as_str) == Some("InputLayer") {
            return;
        }
        let serialized = first.get("module").is_some();
        let Some(config) = first.get_mut("config").and_then(Value::as_object_mut) else {
            return;
        };
        let Some(shape) = config.remove("batch_input_shape") else {
            return;
        };
        let dtype = config.get("dtype").cloned().unwrap_or(json!("float32"));
        let layer_name = config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("input")
            .to_string();
        let mut input = json!({
            "class_name": "InputLayer",
            "config": {"batch_input_shape": shape, "dtype": dtype, "sparse": false,
                       "name": format!("{layer_name}_input")},
        });
        if serialized {
            input["module"] = json!("keras.layers");
            input["registered_name"] = Value::Null;
        }
        layers.insert(0, input);
        self.changes.push(format!(
            "{layer_name}: batch_input_shape moved to an InputLayer put first (as Keras 2.4+ wrote it)"
        ));
    }

    /// Keras 2 counted a nested model's own input node as its node 0, so its first call is
    /// node 1; Keras 3 counts calls from 0.
    fn renumber_nested_calls(&mut self, layers: &mut [Value]) {
        let models: Vec<String> = layers
            .iter()
            .filter(|l| {
                l.get("class_name")
                    .and_then(Value::as_str)
                    .is_some_and(|c| MODEL_CLASSES.contains(&c))
            })
            .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        if models.is_empty() {
            return;
        }
        for layer in layers.iter_mut() {
            let Some(Value::Array(nodes)) = layer.get_mut("inbound_nodes") else {
                continue;
            };
            for node in nodes.iter_mut() {
                let Value::Array(tensors) = node else {
                    continue;
                };
                for tensor in tensors.iter_mut() {
                    let Value::Array(reference) = tensor else {
                        continue;
                    };
                    let is_model = reference
                        .first()
                        .and_then(Value::as_str)
                        .is_some_and(|n| models.iter().any(|m| m == n));
                    if !is_model {
                        continue;
                    }
                    if let Some(index) = reference.get(1).and_then(Value::as_u64).filter(|i| *i > 0)
                    {
                        reference[1] = json!(index - 1);
                        let model = reference[0].as_str().unwrap_or("?").to_string();
                        self.changes.push(format!(
                            "call of nested model {model}: node {index} renumbered {}",
                            index - 1
                        ));
                    }
                }
            }
        }
    }

    /// Arguments Keras 3 dropped, removed when they hold the Keras 2 default.
    fn arguments(&mut self, config: &mut Map<String, Value>, class: &str, name: &str) {
        let Some(accepts) = self.index.layer(class).and_then(|f| f.accepts.as_ref()) else {
            return;
        };
        let dropped: Vec<String> = config
            .iter()
            .filter(|(k, _)| k.as_str() != "batch_input_shape" && !accepts.iter().any(|a| a == *k))
            .filter(|(k, v)| crate::compat::droppable(class, k, v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in dropped {
            if let Some(value) = config.remove(&key) {
                self.changes.push(format!(
                    "{name}: {key}={value} removed ({class} in Keras 3 has no {key})"
                ));
            }
        }
    }

    /// Initializer, regularizer and constraint configs: keys their Keras 3 class does not take
    /// (tf.keras 1.x wrote an initializer's `dtype`) removed.
    fn objects(&mut self, config: &mut Map<String, Value>, name: &str) {
        for (key, value) in config.iter_mut() {
            let kind = if key.ends_with("_initializer") {
                "initializer"
            } else if key.ends_with("_regularizer") {
                "regularizer"
            } else if key.ends_with("_constraint") {
                "constraint"
            } else {
                continue;
            };
            let Some(class) = value
                .get("class_name")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            let Some(accepts) = self
                .index
                .facts
                .objects
                .get(kind)
                .and_then(|k| k.get(&class))
                .and_then(|o| o.accepts.clone())
            else {
                continue;
            };
            let Some(Value::Object(inner)) = value.get_mut("config") else {
                continue;
            };
            let extra: Vec<String> = inner
                .keys()
                .filter(|k| !accepts.iter().any(|a| a == *k))
                .cloned()
                .collect();
            for k in extra {
                inner.remove(&k);
                self.changes
                    .push(format!("{name}: {key} {class}: {k} removed"));
            }
        }
    }

    /// A tf.keras mixed-precision `Policy` object: its name, which Keras 3 reads as a policy.
    fn dtype(&mut self, config: &mut Map<String, Value>, name: &str) {
        let Some(dtype) = config.get("dtype") else {
            return;
        };
        let Some(class) = dtype
            .get("class_name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        if !self.index.facts.dtype_policy_fails.contains(&class) {
            return;
        }
        let Some(policy) = dtype
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        config.insert("dtype".into(), json!(policy));
        self.changes.push(format!(
            "{name}: dtype {class} object replaced by its name {policy:?}"
        ));
    }
}

/// The shapes of each top-level layer's first call, by layer name (empty when unknown).
#[derive(Default)]
pub struct CallShapes {
    /// The shapes fed to it, one per input tensor.
    pub inputs: crate::Map<String, Vec<crate::model::Shape>>,
    /// The shapes it produces, one per output tensor.
    pub outputs: crate::Map<String, Vec<crate::model::Shape>>,
}

/// Keras 2 calls that Keras 3 replays otherwise, written in Keras 3's node form
/// (`{"args", "kwargs"}`, tensors as `__keras_tensor__`): Keras 3's legacy node form passes a
/// call's keyword arguments on as saved (`functional.deserialize_node`), so a tensor in them
/// stays a `[layer, node, tensor]` list, and takes every listed tensor as one positional
/// argument. Only the top-level model's layers called once; returns the changes.
pub fn keras3_calls(config: &mut Value, shapes: &mut CallShapes) -> Vec<String> {
    let mut changes = Vec::new();
    let Some(Value::Array(layers)) = config.get_mut("config").and_then(|c| c.get_mut("layers"))
    else {
        return changes;
    };
    for layer in layers.iter_mut() {
        let Some(layer) = layer.as_object_mut() else {
            continue;
        };
        let class = layer
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = layer
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let change = match class.as_str() {
            "MultiHeadAttention" => attention_call(layer),
            "LSTM" | "GRU" | "SimpleRNN" => {
                initial_state_call(layer, &class, shapes.inputs.get(&name))
            }
            "TFOpLambda" => tf_op_call(layer, &name, shapes),
            _ => None,
        };
        if let Some(change) = change {
            changes.push(format!("{name}: {change}"));
        }
    }
    changes
}

/// A tensor reference of a Keras 2 node, `[layer, node, tensor]` or with the call's kwargs
/// fourth (what tf_keras' `convert_inner_node_data` takes for one).
fn tensor_ref(value: &Value) -> Option<(&str, u64, u64)> {
    let Value::Array(items) = value else {
        return None;
    };
    match items.as_slice() {
        [layer, node, tensor] | [layer, node, tensor, Value::Object(_)] => {
            Some((layer.as_str()?, node.as_u64()?, tensor.as_u64()?))
        }
        _ => None,
    }
}

/// A serialized Keras 3 tensor standing for `reference` (the loader swaps in the tensor the
/// referenced call produced; the shape and dtype are those it was called with).
fn keras_tensor(reference: &Value, shape: &Value, dtype: &Value) -> Option<Value> {
    let (layer, node, tensor) = tensor_ref(reference)?;
    if !shape.is_array() {
        return None;
    }
    Some(json!({
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "dtype": dtype, "keras_history": [layer, node, tensor]},
    }))
}

/// Whether a kwargs value holds a tensor reference (at any depth).
fn holds_tensor(value: &Value) -> bool {
    tensor_ref(value).is_some()
        || match value {
            Value::Array(items) => items.iter().any(holds_tensor),
            Value::Object(map) => map.values().any(holds_tensor),
            _ => false,
        }
}

/// The one call of a layer saved the Keras 2 way: its listed tensors and the kwargs (the
/// last tensor's, which both loaders use).
fn single_legacy_call(layer: &Map<String, Value>) -> Option<(Vec<Value>, Map<String, Value>)> {
    let Some(Value::Array(nodes)) = layer.get("inbound_nodes") else {
        return None;
    };
    let [Value::Array(tensors)] = nodes.as_slice() else {
        return None;
    };
    if tensors.is_empty() || !tensors.iter().all(|t| tensor_ref(t).is_some()) {
        return None;
    }
    let kwargs = tensors
        .last()
        .and_then(|t| t.get(3))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Some((tensors.clone(), kwargs))
}

fn dtype_of(layer: &Map<String, Value>) -> Value {
    match layer.get("config").and_then(|c| c.get("dtype")) {
        Some(dtype @ Value::String(_)) => dtype.clone(),
        _ => json!("float32"),
    }
}

/// tf.keras MultiHeadAttention recorded its build shapes in its config (`query_shape`,
/// `key_shape`, `value_shape`), which Keras 3's `__init__` refuses, and was called with
/// `value` (and `key`) as keyword tensors. The shapes move to the call's tensors and to the
/// `build_config` Keras 3 builds from; the layer computes the same.
fn attention_call(layer: &mut Map<String, Value>) -> Option<String> {
    let config = layer.get("config")?.as_object()?;
    let query_shape = config.get("query_shape")?.clone();
    let value_shape = config.get("value_shape")?.clone();
    let key_shape = config.get("key_shape").cloned().unwrap_or(Value::Null);
    let (tensors, kwargs) = single_legacy_call(layer)?;
    let [query] = tensors.as_slice() else {
        return None;
    };
    let dtype = dtype_of(layer);
    let mut new_kwargs = Map::new();
    for (key, value) in kwargs {
        let tensor = match key.as_str() {
            "value" => keras_tensor(&value, &value_shape, &dtype)?,
            "key" => keras_tensor(&value, &key_shape, &dtype)?,
            // Another tensor (a mask) has no recorded shape: left for compat to refuse.
            _ if holds_tensor(&value) => return None,
            _ => value,
        };
        new_kwargs.insert(key, tensor);
    }
    if !new_kwargs.contains_key("value") {
        return None;
    }
    let query = keras_tensor(query, &query_shape, &dtype)?;
    layer.insert(
        "inbound_nodes".into(),
        json!([{"args": [query], "kwargs": new_kwargs}]),
    );
    if layer.contains_key("build_config") {
        layer.insert(
            "build_config".into(),
            json!({"shapes_dict": {"query_shape": query_shape, "value_shape": value_shape,
                                   "key_shape": key_shape}}),
        );
    }
    if let Some(Value::Object(config)) = layer.get_mut("config") {
        for key in ["query_shape", "key_shape", "value_shape"] {
            config.remove(key);
        }
    }
    Some(
        "query_shape, key_shape, value_shape removed; the call written in Keras 3's node form (value, key as keyword tensors)"
            .into(),
    )
}

/// Keras 2 let an RNN take its initial state as extra input tensors of the same call
/// (`RNN._standardize_args` split them off); Keras 3 takes one sequence and the state as the
/// `initial_state` keyword. Each state of LSTM (h, c), GRU and SimpleRNN (h) is
/// `(batch, units)`; the sequence's shape is the one the call was inferred with.
fn initial_state_call(
    layer: &mut Map<String, Value>,
    class: &str,
    input_shapes: Option<&Vec<crate::model::Shape>>,
) -> Option<String> {
    let states = if class == "LSTM" { 2 } else { 1 };
    let (tensors, kwargs) = single_legacy_call(layer)?;
    if tensors.len() != 1 + states || kwargs.values().any(holds_tensor) {
        return None;
    }
    let units = layer.get("config")?.get("units")?.as_u64()?;
    let sequence_shape = serde_json::to_value(input_shapes?.first()?).ok()?;
    let state_shape = json!([null, units]);
    let dtype = dtype_of(layer);
    let sequence = keras_tensor(&tensors[0], &sequence_shape, &dtype)?;
    let initial_state = tensors[1..]
        .iter()
        .map(|t| keras_tensor(t, &state_shape, &dtype))
        .collect::<Option<Vec<Value>>>()?;
    let mut new_kwargs = kwargs;
    new_kwargs.insert("initial_state".into(), Value::Array(initial_state));
    layer.insert(
        "inbound_nodes".into(),
        json!([{"args": [sequence], "kwargs": new_kwargs}]),
    );
    if layer.contains_key("build_config") {
        let state_shapes = vec![state_shape; states];
        layer.insert(
            "build_config".into(),
            json!({"shapes_dict": {"sequences_shape": sequence_shape,
                                   "initial_state_shape": state_shapes}}),
        );
    }
    Some(
        "the state tensors given as extra inputs passed as initial_state, in Keras 3's node form"
            .into(),
    )
}

/// A `TFOpLambda` called once on one tensor (tf.keras's flat node `[layer, node, tensor,
/// kwargs]`), written as the Keras 3 op Keras 3 itself saves (`module`, `registered_name`,
/// node form). Both ops keep the shape of their tensor, which the op's output gets.
fn tf_op_call(
    layer: &mut Map<String, Value>,
    name: &str,
    shapes: &mut CallShapes,
) -> Option<String> {
    let function = layer.get("config")?.get("function")?.as_str()?.to_string();
    let (module, class, positional) = crate::compat::tf_op_equivalent(&function)?;
    let Some(Value::Array(nodes)) = layer.get("inbound_nodes") else {
        return None;
    };
    let [node] = nodes.as_slice() else {
        return None;
    };
    let (producer, _, tensor) = tensor_ref(node)?;
    let kwargs = node
        .get(3)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut args = Vec::with_capacity(1 + positional.len());
    let shape = shapes
        .outputs
        .get(producer)
        .and_then(|o| o.get(usize::try_from(tensor).ok()?))
        .cloned()?;
    args.push(keras_tensor(
        node,
        &serde_json::to_value(&shape).ok()?,
        &dtype_of(layer),
    )?);
    for key in positional {
        args.push(kwargs.get(*key).filter(|v| v.is_number())?.clone());
    }
    if kwargs
        .keys()
        .any(|k| k != "name" && !positional.contains(&k.as_str()))
    {
        return None;
    }
    *layer = json!({
        "module": module, "class_name": class, "registered_name": class,
        "config": {"name": name}, "name": name,
        "inbound_nodes": [{"args": args, "kwargs": {}}],
    })
    .as_object()?
    .clone();
    shapes.outputs.insert(name.to_string(), vec![shape]);
    Some(format!(
        "TFOpLambda tf.{function} → the Keras 3 op {module}.{class}"
    ))
}

/// tf_keras's ThresholdedReLU computes `x * cast(x > theta, dtype)`. Keras 3's
/// `ReLU(threshold=theta)` is not that: it computes `where(x > theta, x, 0)`, which agrees at
/// `x == theta` (both strict) but gives 0 where tf_keras gives NaN (`x` = -inf or NaN) and
/// +0.0 where it gives -0.0 (negative `x`), as both Keras run on those inputs. The same three
/// TensorFlow ops are Keras 3's `greater`, `cast` and `multiply` operations: the layer becomes
/// those (float32 only, called once, in a model given as a Functional: a Sequential holding
/// one is written as the Functional it is, its layers called in a chain). The multiply keeps
/// the layer's name, so its consumers still find it. Returns the changes.
pub fn thresholded_relu_ops(config: &mut Value, shapes: &CallShapes) -> Vec<String> {
    let mut changes = Vec::new();
    let convertible = |layer: &Value| {
        layer.get("class_name").and_then(Value::as_str) == Some("ThresholdedReLU")
            && threshold_of(layer, shapes).is_some()
    };
    let layers_of = |config: &Value| {
        config
            .get("config")
            .and_then(|c| c.get("layers"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    if !layers_of(config).iter().any(convertible) {
        return changes;
    }
    if config.get("class_name").and_then(Value::as_str) == Some("Sequential") {
        match sequential_as_functional(config) {
            Some(change) => changes.push(change),
            None => return changes,
        }
    }
    let mut names: crate::Set<String> = layers_of(config)
        .iter()
        .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let Some(Value::Array(layers)) = config.get_mut("config").and_then(|c| c.get_mut("layers"))
    else {
        return changes;
    };
    let mut i = 0;
    while i < layers.len() {
        let ops = if convertible(&layers[i]) {
            threshold_as_ops(&layers[i], shapes, &mut names)
        } else {
            None
        };
        match ops {
            Some(ops) => {
                let name = layers[i].get("name").and_then(Value::as_str).unwrap_or("?");
                changes.push(format!(
                    "{name}: ThresholdedReLU → Keras 3 ops greater, cast, multiply (x * cast(x > theta), as tf_keras computes it)"
                ));
                let count = ops.len();
                layers.splice(i..=i, ops);
                i += count;
            }
            None => i += 1,
        }
    }
    changes
}

/// A ThresholdedReLU's theta and input shape, when it can be written as ops: float32, one
/// call on one tensor with no keyword arguments, its input shape known.
fn threshold_of(layer: &Value, shapes: &CallShapes) -> Option<(Value, Value)> {
    let config = layer.get("config")?;
    let theta = config.get("theta").filter(|t| t.is_number())?.clone();
    match config.get("dtype") {
        None => {}
        Some(Value::String(d)) if d == "float32" => {}
        Some(_) => return None,
    }
    let name = config.get("name")?.as_str()?;
    let shape = shapes.inputs.get(name)?.first()?;
    Some((theta, serde_json::to_value(shape).ok()?))
}

fn unique_name(base: String, names: &mut crate::Set<String>) -> String {
    let mut name = base.clone();
    let mut n = 1u64;
    while names.contains(&name) {
        name = format!("{base}_{n}");
        n = n.saturating_add(1);
    }
    names.insert(name.clone());
    name
}

/// The three Keras 3 operation entries standing for one ThresholdedReLU of a Functional.
fn threshold_as_ops(
    layer: &Value,
    shapes: &CallShapes,
    names: &mut crate::Set<String>,
) -> Option<Vec<Value>> {
    let (theta, shape) = threshold_of(layer, shapes)?;
    let name = layer.get("name")?.as_str()?.to_string();
    let (tensors, kwargs) = single_legacy_call(layer.as_object()?)?;
    let [input] = tensors.as_slice() else {
        return None;
    };
    if !kwargs.is_empty() {
        return None;
    }
    let float = json!("float32");
    let greater = unique_name(format!("{name}_greater"), names);
    let cast = unique_name(format!("{name}_cast"), names);
    let op = |module: &str, class: &str, name: &str, config: Value, args: Vec<Value>| {
        json!({"module": module, "class_name": class, "registered_name": class, "config": config,
               "name": name, "inbound_nodes": [{"args": args, "kwargs": {}}]})
    };
    Some(vec![
        op(
            "keras.src.ops.numpy",
            "Greater",
            &greater,
            json!({"name": greater}),
            vec![keras_tensor(input, &shape, &float)?, theta],
        ),
        op(
            "keras.src.ops.core",
            "Cast",
            &cast,
            json!({"name": cast, "dtype": "float32"}),
            vec![keras_tensor(
                &json!([greater, 0, 0]),
                &shape,
                &json!("bool"),
            )?],
        ),
        op(
            "keras.src.ops.numpy",
            "Multiply",
            &name,
            json!({"name": name}),
            vec![
                keras_tensor(input, &shape, &float)?,
                keras_tensor(&json!([cast, 0, 0]), &shape, &float)?,
            ],
        ),
    ])
}

/// A Sequential (InputLayer first, no nested model) as the Functional it is: each layer
/// called once on the one before, Keras 2's node form.
fn sequential_as_functional(model: &mut Value) -> Option<String> {
    let object = model.as_object_mut()?;
    let inner = object.get_mut("config")?.as_object_mut()?;
    let model_name = inner
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("sequential")
        .to_string();
    let layers = inner.get_mut("layers")?.as_array_mut()?;
    let mut names: Vec<String> = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let class = layer.get("class_name").and_then(Value::as_str)?;
        if (i == 0) != (class == "InputLayer") || MODEL_CLASSES.contains(&class) {
            return None;
        }
        let name = layer.get("config")?.get("name")?.as_str()?.to_string();
        if names.contains(&name) {
            return None;
        }
        names.push(name);
    }
    let (first, last) = (names.first()?.clone(), names.last()?.clone());
    for (i, layer) in layers.iter_mut().enumerate() {
        let layer = layer.as_object_mut()?;
        layer.insert("name".into(), json!(names[i]));
        let nodes = match i.checked_sub(1) {
            None => json!([]),
            Some(previous) => json!([[[names[previous], 0, 0, {}]]]),
        };
        layer.insert("inbound_nodes".into(), nodes);
    }
    inner.insert("input_layers".into(), json!([[first, 0, 0]]));
    inner.insert("output_layers".into(), json!([[last, 0, 0]]));
    object.insert("class_name".into(), json!("Functional"));
    if object.contains_key("module") {
        object.insert("module".into(), json!("keras.src.models.functional"));
        object.insert("registered_name".into(), json!("Functional"));
    }
    object.remove("build_config");
    Some(format!(
        "{model_name}: Sequential written as the Functional it is (for the ops below)"
    ))
}
