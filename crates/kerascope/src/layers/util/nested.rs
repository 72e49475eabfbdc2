//! Nested layers: wrappers, RNN cells and layers serialized inside a config.

use super::*;

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

/// Keras 3 snake case of a class name, as used for `.weights.h5` keys (FORMATS §5.1) —
/// Keras' `naming.to_snake_case`: drop non-word characters, `_` before a capital that starts
/// a lower-case run, `_` between a lower-case letter and a capital, lower-case everything.
pub fn snake_case(name: &str) -> String {
    let word: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // Pass 1: (.)([A-Z][a-z]+) → \1_\2, non-overlapping, left to right.
    let mut pass1: Vec<char> = Vec::with_capacity(word.len() + 4);
    let mut i = 0;
    while i < word.len() {
        let starts_run = i + 1 < word.len()
            && word[i + 1].is_ascii_uppercase()
            && word.get(i + 2).is_some_and(|c| c.is_ascii_lowercase());
        if starts_run {
            pass1.push(word[i]);
            pass1.push('_');
            let mut j = i + 1;
            pass1.push(word[j]);
            j += 1;
            while j < word.len() && word[j].is_ascii_lowercase() {
                pass1.push(word[j]);
                j += 1;
            }
            i = j;
        } else {
            pass1.push(word[i]);
            i += 1;
        }
    }
    // Pass 2: ([a-z])([A-Z]) → \1_\2.
    let mut out = String::with_capacity(pass1.len() + 4);
    let mut i = 0;
    while i < pass1.len() {
        out.push(pass1[i]);
        if pass1[i].is_ascii_lowercase() && pass1.get(i + 1).is_some_and(|c| c.is_ascii_uppercase())
        {
            out.push('_');
            out.push(pass1[i + 1]);
            i += 2;
        } else {
            i += 1;
        }
    }
    out.to_lowercase()
}
