//! Keras 1 config vocabulary → Keras 2 (FORMATS.md §3.4, from Keras 2's own legacy-argument
//! converter). Applied once, when the graph is built, at every nesting level: a wrapper's
//! layer (`TimeDistributed`, `Bidirectional`), an RNN's cells, a wrapped model's layers. The
//! layer rules read Keras 2 key names only.

use serde_json::{Value, json};

use crate::model::Shape;

/// One step of the translation, applied in [`STEPS`] order (the order keys are appended in).
enum Step {
    /// `from` renamed `to`, for the classes `applies` accepts.
    Rename {
        from: &'static str,
        to: &'static str,
        applies: fn(&str) -> bool,
    },
    /// Keys joined into one list under `to` (`nb_row`, `nb_col` → `kernel_size`).
    Join {
        from: &'static [&'static str],
        to: &'static str,
    },
    /// A key whose value maps onto another key (`dim_ordering: th` → `data_format:
    /// channels_first`), for the classes `applies` accepts.
    Map {
        from: &'static str,
        to: &'static str,
        applies: fn(&str) -> bool,
        value: fn(&Value) -> Value,
    },
}

const fn rename(from: &'static str, to: &'static str) -> Step {
    Step::Rename {
        from,
        to,
        applies: |_| true,
    }
}

/// Every Keras 1 key the translation knows, in the order it is applied.
const STEPS: &[Step] = &[
    // Keras 1 `output_dim` is `units` for these; Embedding (and layers such as
    // RandomFourierFeatures) keep their own `output_dim`.
    Step::Rename {
        from: "output_dim",
        to: "units",
        applies: |class| {
            matches!(
                class,
                "Dense" | "TimeDistributedDense" | "MaxoutDense" | "SimpleRNN" | "GRU" | "LSTM"
            )
        },
    },
    rename("nb_filter", "filters"),
    Step::Join {
        from: &["nb_row", "nb_col"],
        to: "kernel_size",
    },
    Step::Join {
        from: &["kernel_dim1", "kernel_dim2", "kernel_dim3"],
        to: "kernel_size",
    },
    rename("filter_length", "kernel_size"),
    rename("subsample_length", "strides"),
    rename("subsample", "strides"),
    rename("atrous_rate", "dilation_rate"),
    rename("border_mode", "padding"),
    rename("pool_length", "pool_size"),
    Step::Rename {
        from: "stride",
        to: "strides",
        applies: |class| class.contains("Pooling1D"),
    },
    Step::Rename {
        from: "length",
        to: "size",
        applies: |class| class == "UpSampling1D",
    },
    rename("bias", "use_bias"),
    rename("inner_activation", "recurrent_activation"),
    rename("dropout_W", "dropout"),
    rename("dropout_U", "recurrent_dropout"),
    rename("p", "rate"),
    rename("input_dtype", "dtype"),
    // Keras 1 1-D layers always read (batch, steps, channels): their `dim_ordering` says
    // nothing (it is dropped below).
    Step::Map {
        from: "dim_ordering",
        to: "data_format",
        applies: |class| !is_one_d(class),
        value: |ordering| match ordering.as_str() {
            Some("th") => json!("channels_first"),
            _ => json!("channels_last"),
        },
    },
    Step::Map {
        from: "consume_less",
        to: "implementation",
        applies: |_| true,
        value: |consume| match consume.as_str() {
            Some("mem") => json!(1),
            Some("gpu") => json!(2),
            _ => json!(0),
        },
    },
    Step::Rename {
        from: "concat_axis",
        to: "axis",
        applies: |class| class == "Merge",
    },
];

/// Keras 1 1-D classes (`Convolution1D`, `MaxPooling1D`, ...).
fn is_one_d(class_name: &str) -> bool {
    class_name.ends_with("1D")
}

/// Config keys that hold a serialized layer (`{"class_name", "config"}`) or a list of them.
const NESTED_KEYS: [&str; 4] = ["layer", "backward_layer", "cell", "cells"];

/// How deep serialized layers may nest before the translation stops descending (the rules
/// refuse deeper nesting anyway).
const MAX_DEPTH: u32 = 32;

/// Returns the config with Keras 1 keys renamed, at every nesting level. Keys already in
/// Keras 2 form are kept.
pub fn translate(class_name: &str, config: Value) -> Value {
    translate_at(class_name, config, 0)
}

fn translate_at(class_name: &str, config: Value, depth: u32) -> Value {
    let Value::Object(mut map) = config else {
        return config;
    };
    for step in STEPS {
        match step {
            Step::Rename { from, to, applies } => {
                if applies(class_name)
                    && let Some(value) = map.remove(*from)
                {
                    map.entry(to.to_string()).or_insert(value);
                }
            }
            Step::Join { from, to } => {
                let parts: Option<Vec<Value>> = from.iter().map(|k| map.get(*k).cloned()).collect();
                if let Some(parts) = parts {
                    for key in *from {
                        map.remove(*key);
                    }
                    map.entry(to.to_string()).or_insert(Value::Array(parts));
                }
            }
            Step::Map {
                from,
                to,
                applies,
                value,
            } => {
                if let Some(old) = map.remove(*from)
                    && applies(class_name)
                {
                    map.entry(to.to_string()).or_insert(value(&old));
                }
            }
        }
    }
    if depth < MAX_DEPTH {
        for key in NESTED_KEYS {
            if let Some(nested) = map.get_mut(key) {
                let taken = std::mem::take(nested);
                *nested = translate_nested(taken, depth + 1);
            }
        }
    }
    Value::Object(map)
}

/// A serialized layer, a list of them, or a model's layer list, translated.
fn translate_nested(value: Value, depth: u32) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| translate_nested(item, depth))
                .collect(),
        ),
        Value::Object(mut entry) => {
            let Some(class_name) = entry
                .get("class_name")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return Value::Object(entry);
            };
            if let Some(config) = entry.get_mut("config") {
                let taken = std::mem::take(config);
                *config = match taken {
                    // A wrapped Sequential: Keras 1 serializes its layers as the config.
                    list @ Value::Array(_) => translate_nested(list, depth + 1),
                    Value::Object(mut model)
                        if model.get("layers").is_some_and(Value::is_array) =>
                    {
                        if let Some(layers) = model.get_mut("layers") {
                            let taken = std::mem::take(layers);
                            *layers = translate_nested(taken, depth + 1);
                        }
                        Value::Object(model)
                    }
                    other => translate_at(&class_name, other, depth),
                };
            }
            Value::Object(entry)
        }
        other => other,
    }
}

/// Whether `key` is a Keras 1 spelling the translation replaces in a config of this class
/// (`output_dim` of a Dense, not of an Embedding).
pub fn is_keras1_key(class_name: &str, key: &str) -> bool {
    STEPS.iter().any(|step| match step {
        Step::Rename { from, applies, .. } => *from == key && applies(class_name),
        // Translated or, where it means nothing, dropped: never left for the rules.
        Step::Map { from, .. } => *from == key,
        Step::Join { from, .. } => from.contains(&key),
    })
}

/// The Keras 1 spellings of a Keras 2 key for a class (`units` → `output_dim`), in the
/// order the translation reads them; joined keys read `nb_row+nb_col`.
pub fn keras1_names(class_name: &str, key: &str) -> Vec<String> {
    STEPS
        .iter()
        .filter_map(|step| match step {
            Step::Rename { from, to, applies }
            | Step::Map {
                from, to, applies, ..
            } => (*to == key && applies(class_name)).then(|| from.to_string()),
            Step::Join { from, to } => (*to == key).then(|| from.join("+")),
        })
        .collect()
}

/// Keras 1 first layers may give `input_dim` / `input_length` instead of a
/// `batch_input_shape` (FORMULAS.md §1.2).
pub fn implied_input_shape(class_name: &str, config: &Value) -> Option<Shape> {
    let input_dim = config.get("input_dim").and_then(Value::as_u64);
    let input_length = config.get("input_length").and_then(Value::as_u64);
    match class_name {
        "Embedding" => input_length.map(|len| vec![None, Some(len)]),
        "Dense" | "Highway" | "MaxoutDense" => input_dim.map(|d| vec![None, Some(d)]),
        _ if input_dim.is_some() => Some(vec![None, input_length, input_dim]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_keras1_convolution_config_translates() {
        // From a real Keras 1.2.2 file (FORMATS.md §3.4).
        let config = json!({"nb_filter": 5, "nb_row": 3, "nb_col": 3, "border_mode": "valid",
            "subsample": [1, 1], "dim_ordering": "tf", "bias": true});
        let out = translate("Convolution2D", config);
        assert_eq!(
            out,
            json!({"filters": 5, "kernel_size": [3, 3], "padding": "valid", "strides": [1, 1],
                "data_format": "channels_last", "use_bias": true})
        );
    }

    #[test]
    fn embedding_keeps_output_dim_and_dense_renames_it() {
        assert_eq!(
            translate("Embedding", json!({"input_dim": 10, "output_dim": 4})),
            json!({"input_dim": 10, "output_dim": 4})
        );
        assert_eq!(
            translate("Dense", json!({"output_dim": 4})),
            json!({"units": 4})
        );
        assert_eq!(
            translate("LSTM", json!({"output_dim": 4, "consume_less": "gpu"})),
            json!({"units": 4, "implementation": 2})
        );
    }

    #[test]
    fn wrapped_layers_translate_at_every_level() {
        // Keras 1.2.2 serializes a wrapper's layer inside its config (FORMATS.md §3.5).
        let config = json!({"merge_mode": "concat", "layer": {"class_name": "TimeDistributed",
            "config": {"layer": {"class_name": "Convolution2D", "config": {"nb_filter": 5,
            "nb_row": 3, "nb_col": 3, "dim_ordering": "th", "bias": false}}}}});
        let out = translate("Bidirectional", config);
        assert_eq!(
            out["layer"]["config"]["layer"]["config"],
            json!({"filters": 5, "kernel_size": [3, 3], "data_format": "channels_first",
                "use_bias": false})
        );
        let model = json!({"layer": {"class_name": "Sequential",
            "config": [{"class_name": "Dense", "config": {"output_dim": 4}}]}});
        let out = translate("TimeDistributed", model);
        assert_eq!(out["layer"]["config"][0]["config"], json!({"units": 4}));
    }

    #[test]
    fn one_d_layers_drop_their_dim_ordering() {
        assert_eq!(
            translate(
                "Convolution1D",
                json!({"nb_filter": 8, "dim_ordering": "th"})
            ),
            json!({"filters": 8})
        );
        assert_eq!(
            keras1_names("Conv2D", "kernel_size"),
            [
                "nb_row+nb_col",
                "kernel_dim1+kernel_dim2+kernel_dim3",
                "filter_length"
            ]
        );
        assert_eq!(keras1_names("Dense", "units"), ["output_dim"]);
        assert!(is_keras1_key("Dense", "output_dim") && !is_keras1_key("Embedding", "output_dim"));
        assert!(is_keras1_key("Convolution1D", "dim_ordering"));
        assert!(keras1_names("Embedding", "units").is_empty());
    }
}
