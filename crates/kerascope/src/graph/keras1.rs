//! Keras 1 config vocabulary → Keras 2 (FORMATS.md §3.4, from Keras 2's own legacy-argument
//! converter). Applied once, when the graph is built.

use serde_json::{Map, Value, json};

use crate::model::Shape;

/// Returns the config with Keras 1 keys renamed. Keys already in Keras 2 form are kept.
pub fn translate(class_name: &str, config: Value) -> Value {
    let Value::Object(mut map) = config else {
        return config;
    };
    // Keras 1 `output_dim` is `units` for these; Embedding (and layers such as
    // RandomFourierFeatures) keep their own `output_dim`.
    if matches!(
        class_name,
        "Dense" | "TimeDistributedDense" | "MaxoutDense" | "SimpleRNN" | "GRU" | "LSTM"
    ) {
        rename(&mut map, "output_dim", "units");
    }
    rename(&mut map, "nb_filter", "filters");
    if let (Some(rows), Some(cols)) = (map.get("nb_row").cloned(), map.get("nb_col").cloned()) {
        map.remove("nb_row");
        map.remove("nb_col");
        map.entry("kernel_size").or_insert(json!([rows, cols]));
    }
    if let (Some(a), Some(b), Some(c)) = (
        map.get("kernel_dim1").cloned(),
        map.get("kernel_dim2").cloned(),
        map.get("kernel_dim3").cloned(),
    ) {
        for key in ["kernel_dim1", "kernel_dim2", "kernel_dim3"] {
            map.remove(key);
        }
        map.entry("kernel_size").or_insert(json!([a, b, c]));
    }
    rename(&mut map, "filter_length", "kernel_size");
    rename(&mut map, "subsample_length", "strides");
    rename(&mut map, "subsample", "strides");
    rename(&mut map, "atrous_rate", "dilation_rate");
    rename(&mut map, "border_mode", "padding");
    rename(&mut map, "pool_length", "pool_size");
    if class_name.contains("Pooling1D") {
        rename(&mut map, "stride", "strides");
    }
    if class_name == "UpSampling1D" {
        rename(&mut map, "length", "size");
    }
    rename(&mut map, "bias", "use_bias");
    rename(&mut map, "inner_activation", "recurrent_activation");
    rename(&mut map, "dropout_W", "dropout");
    rename(&mut map, "dropout_U", "recurrent_dropout");
    rename(&mut map, "p", "rate");
    rename(&mut map, "input_dtype", "dtype");
    if let Some(ordering) = map.remove("dim_ordering") {
        let format = match ordering.as_str() {
            Some("th") => "channels_first",
            _ => "channels_last",
        };
        map.entry("data_format").or_insert(json!(format));
    }
    if let Some(consume) = map.remove("consume_less") {
        let implementation = match consume.as_str() {
            Some("mem") => 1,
            Some("gpu") => 2,
            _ => 0,
        };
        map.entry("implementation").or_insert(json!(implementation));
    }
    if class_name == "Merge" {
        rename(&mut map, "concat_axis", "axis");
    }
    Value::Object(map)
}

fn rename(map: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = map.remove(from) {
        map.entry(to.to_string()).or_insert(value);
    }
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
}
