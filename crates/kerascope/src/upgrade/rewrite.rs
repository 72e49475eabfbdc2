//! The config rewritten as Keras 3 expects it: only changes that keep what the model computes
//! (an argument dropped only when it holds the value Keras 2 defaulted to, which is what
//! Keras 3 does). What needs more is left for [`crate::compat`] to refuse.

use serde_json::{Map, Value, json};

use crate::compat::Target;
use crate::compat::knowledge::{Index, for_target, keras2_default};

const MODEL_CLASSES: [&str; 3] = ["Sequential", "Functional", "Model"];

/// Rewrites `config` (a model's `{"class_name", "config"}`) in place; returns the changes.
pub fn for_keras3(config: &mut Value) -> Vec<String> {
    let mut rewriter = Rewriter {
        index: for_target(Target::Keras3),
        changes: Vec::new(),
    };
    rewriter.entry(config, false);
    rewriter.changes
}

struct Rewriter {
    index: &'static Index,
    changes: Vec<String>,
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
        let Some(Value::Object(config)) = object.get_mut("config") else {
            return;
        };
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
        for layer in layers.iter_mut() {
            self.entry(layer, false);
        }
        self.renumber_nested_calls(layers);
    }

    /// A Keras <= 2.3 Sequential keeps its input shape on the first layer; Keras 3 reads it
    /// as `input_shape` (one dimension too many): an InputLayer says it as Keras 2.4+ did.
    fn input_layer(&mut self, layers: &mut Vec<Value>) {
        let Some(first) = layers.first_mut() else {
            return;
        };
        if first.get("module").is_some()
            || first.get("class_name").and_then(Value::as_str) == Some("InputLayer")
        {
            return;
        }
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
        let input = json!({
            "class_name": "InputLayer",
            "config": {"batch_input_shape": shape, "dtype": dtype, "sparse": false,
                       "name": format!("{layer_name}_input")},
        });
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
            .filter(|(k, v)| keras2_default(class, k).is_some_and(|d| d == *v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in dropped {
            if let Some(value) = config.remove(&key) {
                self.changes.push(format!(
                    "{name}: {key}={value} removed ({class} in Keras 3 has no {key}; it behaves as with {value})"
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
