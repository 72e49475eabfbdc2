//! Nested layers: wrappers, RNN cells and layers serialized inside a config.

use super::*;

pub use crate::text::snake_case;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// How deep wrappers may nest (Bidirectional(TimeDistributed(...)) ...) before the config is
/// refused: deep enough for every real model, shallow enough for any stack.
const MAX_NESTING: u32 = 16;

/// A nested serialized layer (`{"class_name": ..., "config": ...}`, or the same as a JSON or
/// Python-repr string) computed on `inputs`. Returns the class name and the computation.
pub(crate) fn nested(
    value: &Value,
    dialect: Dialect,
    inputs: &[Shape],
    key: &str,
) -> R<(String, Computed)> {
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object)
                .or_else(|| parse_python_literal(s))
                .ok_or_else(|| bad(key, "a string that is not a serialized layer"))?;
            &parsed
        }
        other => other,
    };
    let class = value
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(key, "nested layer without a `class_name`"))?;
    let empty = Value::Object(Default::default());
    let config = value
        .get("config")
        .filter(|c| c.is_object())
        .unwrap_or(&empty);
    let rule = crate::layers::compute_for(class)
        .ok_or_else(|| bad(key, format!("nested layer of unknown class `{class}`")))?;
    let depth = DEPTH.with(|d| d.get());
    if depth >= MAX_NESTING {
        return Err(bad(key, "layers nested too deeply"));
    }
    DEPTH.with(|d| d.set(depth + 1));
    let layer = LayerCfg {
        class_name: class,
        config,
        dialect,
    };
    let result = run(rule, layer, inputs);
    DEPTH.with(|d| d.set(depth));
    Ok((class.to_string(), result?))
}
