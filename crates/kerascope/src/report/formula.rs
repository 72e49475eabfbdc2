//! `kerascope formula`: the calculator. A layer class and its arguments in, each weight with
//! its shape and the count's arithmetic out — from the same rule `check` uses.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::thousands;
use crate::graph::keras1;
use crate::layers::{LayerCfg, registry, rule_for};
use crate::model::{Dialect, Shape};

/// Arguments as typed on the command line: `units=256`, `kernel_size=3,3`,
/// `input_shape=16,4096`, `padding=same`. `input_shape` (without the batch axis) or
/// `batch_input_shape` may be given once per input (MultiHeadAttention: query, value, key).
pub struct FormulaArgs {
    /// The layer config built from the other arguments, Keras 1 keys translated.
    pub config: Value,
    /// The input shapes, batch axis included: one per `input_shape`, `batch_input_shape` or
    /// `batch_shape` argument, else the one `input_dim`/`input_length` imply (none when unknown).
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
        let key = key.trim();
        let value = parse_value(raw);
        match key {
            "input_shape" => {
                let mut shape: Shape = vec![None];
                shape.extend(sizes(key, raw, &value)?);
                inputs.push(shape);
            }
            "batch_input_shape" | "batch_shape" => inputs.push(sizes(key, raw, &value)?),
            "input_dim" | "input_length" => {
                sizes(key, raw, &value)?;
                if map.insert(key.to_string(), value).is_some() {
                    return Err(format!("{key} is given twice"));
                }
            }
            _ => {
                if map.insert(key.to_string(), value).is_some() {
                    return Err(format!("{key} is given twice"));
                }
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

/// A shape typed on the command line, strictly: positive whole numbers (or `None` for an
/// unknown axis), comma-separated.
fn sizes(key: &str, raw: &str, value: &Value) -> Result<Shape, String> {
    let expected = || {
        let hint = if raw.contains(['x', 'X', '*']) {
            format!(" (write {})", raw.replace(['x', 'X', '*'], ","))
        } else {
            String::new()
        };
        format!("{key}={raw}: expected sizes as positive whole numbers separated by commas{hint}")
    };
    let list = as_list(value);
    // `[]` is a valid shape: one scalar per sample.
    let items = list.as_array().ok_or_else(expected)?;
    items
        .iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            d => d.as_u64().filter(|n| *n > 0).map(Some).ok_or_else(expected),
        })
        .collect()
}

fn as_list(value: &Value) -> Value {
    match value {
        Value::Array(_) => value.clone(),
        other => Value::Array(vec![other.clone()]),
    }
}

/// Version of the `formula --format json` document.
pub const SCHEMA: &str = "kerascope.formula/1";

/// One weight of the answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WeightLine {
    /// The weight with its owner below the layer (`kernel`, `cell/bias`).
    pub name: String,
    /// The expected shape; `None` when the input shape needed is unknown.
    pub shape: Option<Vec<u64>>,
    /// `None` when the shape is unknown or its product overflows.
    pub count: Option<u64>,
    /// Whether the weight is trainable.
    pub trainable: bool,
}

/// The calculator's answer: a count with its arithmetic, or a class's keys.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormulaAnswer {
    /// The layer class asked about (`class` in JSON).
    #[serde(rename = "class")]
    pub class_name: String,
    /// The input shapes the weights were computed for, batch axis included.
    pub input_shapes: Vec<Shape>,
    /// Every weight the layer creates, in creation order.
    pub weights: Vec<WeightLine>,
    /// The parameter count; `None` when some shape is unknown or the sum overflows.
    pub total: Option<u64>,
    /// The arithmetic with the numbers filled in (`(784+1)·256 = 200,960`), when known.
    pub derivation: Option<String>,
    /// The layer's output shapes (empty when the rule cannot know them).
    pub output_shapes: Vec<Shape>,
    /// `--keys`: the keys the rule reads, and their defaults where the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<KeyLine>>,
    /// Keys given that the rule does not read: they do not change the weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

/// One config key a rule reads (`--keys`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyLine {
    /// The key's current name (`units`).
    pub key: String,
    /// Other spellings accepted for it (the Keras 1 `output_dim`).
    pub aliases: Vec<String>,
    /// The default the rule uses in its absence, when it says.
    pub default: Option<String>,
}

impl FormulaAnswer {
    /// The `kerascope.formula/1` document: the answer with its `schema`.
    pub fn to_json(&self) -> Value {
        let mut document = Map::new();
        document.insert("schema".into(), Value::from(SCHEMA));
        if let Ok(Value::Object(fields)) = serde_json::to_value(self) {
            document.extend(fields);
        }
        Value::Object(document)
    }

    /// The answer for people: the weights, the total and its arithmetic (or the keys).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(keys) = &self.keys {
            let _ = writeln!(out, "{} reads these keys:", self.class_name);
            let width = keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
            for k in keys {
                let default = k
                    .default
                    .as_deref()
                    .map(|d| format!("default {d}"))
                    .unwrap_or_else(|| "no default (required or derived)".into());
                let aliases = if k.aliases.is_empty() {
                    String::new()
                } else {
                    format!("  (also {})", k.aliases.join(", "))
                };
                let _ = writeln!(out, "  {:width$}  {default}{aliases}", k.key);
            }
            let _ = writeln!(
                out,
                "and the input: input_shape=... (without the batch axis), batch_input_shape=..., or input_dim=..."
            );
            return out;
        }
        let input_text = if self.input_shapes.is_empty() {
            "unknown".to_string()
        } else {
            crate::text::shape_text(&self.input_shapes)
        };
        let _ = writeln!(out, "{} on input {input_text}", self.class_name);
        let width = self.weights.iter().map(|w| w.name.len()).max().unwrap_or(0);
        for w in &self.weights {
            let shape = w
                .shape
                .as_deref()
                .map(super::tuple)
                .unwrap_or_else(|| "?".into());
            let count = match (&w.shape, w.count) {
                (_, Some(n)) => thousands(n),
                (Some(_), None) => "overflow".into(),
                (None, None) => "?".into(),
            };
            let _ = writeln!(
                out,
                "  {:width$}  {shape:16} {count:>14}{}",
                w.name,
                if w.trainable { "" } else { "  (non-trainable)" }
            );
        }
        match &self.derivation {
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
        if !self.output_shapes.is_empty() {
            let _ = writeln!(
                out,
                "output {}",
                crate::text::shape_text(&self.output_shapes)
            );
        }
        if !self.ignored.is_empty() {
            let _ = writeln!(
                out,
                "ignored (they do not change the weights): {}",
                self.ignored.join(", ")
            );
        }
        out
    }
}

/// The rule for a class, or an error that suggests the nearest class names.
fn rule_or_suggest(class_name: &str) -> Result<&'static dyn crate::layers::LayerRule, String> {
    if let Some(rule) = rule_for(class_name) {
        return Ok(rule);
    }
    let wanted = class_name.to_ascii_lowercase();
    let mut near: Vec<(usize, &str)> = classes()
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&wanted, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 4))
        .collect();
    near.sort();
    let hint = match near.as_slice() {
        [] => String::new(),
        [(_, one)] => format!("; did you mean {one}?"),
        many => format!(
            "; did you mean {}?",
            many.iter()
                .take(3)
                .map(|(_, c)| *c)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(format!(
        "no rule for class {class_name:?}{hint} (`kerascope formula --list` lists the classes known)"
    ))
}

/// Keys that name the input, read by the calculator itself rather than by a rule.
const INPUT_KEYS: &[&str] = &[
    "input_shape",
    "batch_input_shape",
    "batch_shape",
    "input_dim",
    "input_length",
];

/// The calculator: a class and `key=value` arguments in, weights and arithmetic out. A
/// key the class's rule never reads is an error (a typo would otherwise change nothing).
pub fn compute(
    class_name: &str,
    args: &[String],
    dialect: Dialect,
) -> Result<FormulaAnswer, String> {
    let rule = rule_or_suggest(class_name)?;
    let parsed = parse_args(class_name, args)?;
    let inputs = parsed.inputs.clone();
    let (output, read) = crate::layers::record_keys(|| {
        rule.apply(
            LayerCfg {
                class_name,
                config: &parsed.config,
                dialect,
            },
            &inputs,
        )
    });
    let output = output.map_err(|e| format!("{class_name}: {e}"))?;
    // A key the rule never reads changes nothing: near a key it reads, it is a typo (an
    // error); otherwise a config key that does not shape the weights (`activation`), shown
    // as ignored.
    let mut ignored = Vec::new();
    if let Value::Object(given) = &parsed.config {
        for key in given.keys().map(String::as_str) {
            if INPUT_KEYS.contains(&key) || read.iter().any(|r| r.names.contains(&key)) {
                continue;
            }
            let near = read
                .iter()
                .flat_map(|r| r.names.iter())
                .find(|name| strsim::damerau_levenshtein(key, name) <= 2 && key.len() > 3);
            if let Some(name) = near {
                return Err(format!(
                    "{class_name} reads no key {key}; did you mean {name}? (`kerascope formula {class_name} --keys` lists them)"
                ));
            }
            ignored.push(key.to_string());
        }
    }
    let weights: Vec<WeightLine> = output
        .weights
        .iter()
        .map(|w| WeightLine {
            name: label(w),
            count: w
                .shape
                .as_ref()
                .and_then(|s| s.iter().try_fold(1u64, |a, &d| a.checked_mul(d))),
            shape: w.shape.clone(),
            trainable: w.trainable,
        })
        .collect();
    let total = weights
        .iter()
        .try_fold(0u64, |acc, w| acc.checked_add(w.count?));
    Ok(FormulaAnswer {
        class_name: class_name.to_string(),
        input_shapes: inputs,
        weights,
        total,
        derivation: output.derivation.clone(),
        output_shapes: output.output_shapes.clone(),
        keys: None,
        ignored,
    })
}

/// The keys a class's rule reads, with their defaults (`formula CLASS --keys`). The rule is
/// applied to an empty config; a key it requires is filled in and the rule applied again,
/// so that the keys read after it are listed too.
pub fn keys(class_name: &str, dialect: Dialect) -> Result<FormulaAnswer, String> {
    let rule = rule_or_suggest(class_name)?;
    let mut config = Map::new();
    let mut all: Vec<crate::layers::KeyRead> = Vec::new();
    let inputs: Vec<Shape> = vec![vec![None, Some(8), Some(8), Some(8), Some(8)]];
    for _ in 0..16 {
        let value = Value::Object(config.clone());
        let (result, read) = crate::layers::record_keys(|| {
            rule.apply(
                LayerCfg {
                    class_name,
                    config: &value,
                    dialect,
                },
                &inputs,
            )
        });
        for key in read {
            if !all.iter().any(|k| k.names.first() == key.names.first()) {
                all.push(key);
            }
        }
        // A required key missing: give it a size and look again.
        let Err(e) = result else { break };
        let message = e.to_string();
        let missing = all
            .iter()
            .filter_map(|k| k.names.first())
            .find(|k| !config.contains_key(**k) && message.contains(&format!("`{k}`")));
        match missing {
            Some(key) => {
                config.insert(key.to_string(), Value::from(2));
            }
            None => break,
        }
    }
    Ok(FormulaAnswer {
        class_name: class_name.to_string(),
        input_shapes: Vec::new(),
        weights: Vec::new(),
        total: None,
        derivation: None,
        output_shapes: Vec::new(),
        ignored: Vec::new(),
        keys: Some(
            all.into_iter()
                .filter_map(|k| {
                    let (first, rest) = k.names.split_first()?;
                    // The rules read Keras 2 names; the Keras 1 ones come from the translation.
                    let mut aliases: Vec<String> = rest.iter().map(|a| a.to_string()).collect();
                    aliases.extend(keras1::keras1_names(class_name, first));
                    Some(KeyLine {
                        key: first.to_string(),
                        aliases,
                        default: k.default,
                    })
                })
                .collect(),
        ),
    })
}

/// The calculator's answer, as text.
pub fn explain(class_name: &str, args: &[String], dialect: Dialect) -> Result<String, String> {
    compute(class_name, args, dialect).map(|answer| answer.to_text())
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
