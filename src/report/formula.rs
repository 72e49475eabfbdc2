//! `kerascope formula`: the calculator. A layer class and its arguments in, each weight with
//! its shape and the count's arithmetic out — from the same rule `check` uses.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::thousands;
use crate::graph::{keras1, parse_shape};
use crate::layers::{Dialect, LayerCfg, Shape, registry, rule_for};

/// Arguments as typed on the command line: `units=256`, `kernel_size=3,3`,
/// `input_shape=16,4096`, `padding=same`. `input_shape` (without the batch axis) or
/// `batch_input_shape` may be given once per input (MultiHeadAttention: query, value, key).
pub struct FormulaArgs {
    pub config: Value,
    pub inputs: Vec<Shape>,
}

/// Parses `key=value` arguments. Values are read as JSON when they parse (`3`, `true`,
/// `[3,3]`, `null`), as a list of numbers when comma-separated, else as a string.
pub fn parse_args(class_name: &str, args: &[String]) -> Result<FormulaArgs, String> {
    let mut map = Map::new();
    let mut inputs: Vec<Shape> = Vec::new();
    for arg in args {
        let (key, raw) = arg
            .split_once('=')
            .ok_or_else(|| format!("argument {arg:?} is not key=value"))?;
        let value = parse_value(raw);
        match key {
            "input_shape" => {
                let dims = as_list(&value);
                let mut shape: Shape = vec![None];
                shape.extend(
                    parse_shape(&dims)
                        .ok_or_else(|| format!("input_shape {raw:?} is not a list of sizes"))?,
                );
                inputs.push(shape);
            }
            "batch_input_shape" | "batch_shape" => {
                inputs.push(
                    parse_shape(&as_list(&value))
                        .ok_or_else(|| format!("{key} {raw:?} is not a list of sizes"))?,
                );
            }
            _ => {
                map.insert(key.to_string(), value);
            }
        }
    }
    let config = keras1::translate(class_name, Value::Object(map));
    if inputs.is_empty() {
        inputs.extend(keras1::implied_input_shape(class_name, &config));
    }
    Ok(FormulaArgs { config, inputs })
}

fn parse_value(raw: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        return v;
    }
    if raw.contains(',') {
        let parts: Vec<&str> = raw
            .trim_matches(['(', ')', '[', ']'])
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .collect();
        let numbers: Option<Vec<Value>> = parts
            .iter()
            .map(|p| match p.trim() {
                "None" | "null" => Some(Value::Null),
                n => n.parse::<u64>().ok().map(Value::from),
            })
            .collect();
        if let Some(numbers) = numbers {
            return Value::Array(numbers);
        }
    }
    match raw {
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        "None" => Value::Null,
        _ => Value::String(raw.to_string()),
    }
}

fn as_list(value: &Value) -> Value {
    match value {
        Value::Array(_) => value.clone(),
        other => Value::Array(vec![other.clone()]),
    }
}

/// The calculator's answer, as text.
pub fn explain(class_name: &str, args: &[String], dialect: Dialect) -> Result<String, String> {
    let rule = rule_for(class_name).ok_or_else(|| {
        format!(
            "no rule for class {class_name:?} (`kerascope formula --list` lists the classes known)"
        )
    })?;
    let parsed = parse_args(class_name, args)?;
    let inputs = parsed.inputs.clone();
    let output = rule
        .apply(
            LayerCfg {
                class_name,
                config: &parsed.config,
                dialect,
            },
            &inputs,
        )
        .map_err(|e| format!("{class_name}: {e}"))?;
    let mut out = String::new();
    let input_text = if inputs.is_empty() {
        "unknown".to_string()
    } else {
        super::summary::shape_text(&inputs)
    };
    let _ = writeln!(out, "{class_name} on input {input_text}");
    let width = output
        .weights
        .iter()
        .map(|w| label(w).len())
        .max()
        .unwrap_or(0);
    for w in &output.weights {
        let (shape, count) = match &w.shape {
            Some(s) => (
                super::tuple(s),
                s.iter()
                    .try_fold(1u64, |a, &d| a.checked_mul(d))
                    .map(thousands)
                    .unwrap_or_else(|| "overflow".into()),
            ),
            None => ("?".into(), "?".into()),
        };
        let _ = writeln!(
            out,
            "  {:width$}  {shape:16} {count:>14}{}",
            label(w),
            if w.trainable { "" } else { "  (non-trainable)" }
        );
    }
    match &output.derivation {
        Some(d) => {
            let _ = writeln!(out, "{d}");
        }
        None => {
            let _ = writeln!(
                out,
                "count unknown: give the input shape (input_shape=... or input_dim=...)"
            );
        }
    }
    if !output.output_shapes.is_empty() {
        let _ = writeln!(
            out,
            "output {}",
            super::summary::shape_text(&output.output_shapes)
        );
    }
    Ok(out)
}

fn label(w: &crate::layers::ExpectedWeight) -> String {
    if w.owner.is_empty() {
        w.name.clone()
    } else {
        format!("{}/{}", w.owner, w.name)
    }
}

/// Every class a rule covers, sorted.
pub fn classes() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = registry()
        .iter()
        .flat_map(|r| r.classes().iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}
