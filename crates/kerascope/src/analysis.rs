//! One file, analysed: read, config normalized into a graph, shapes inferred, rules applied,
//! tensors compared, findings gathered. Every command starts here.

use std::path::Path;

use crate::audit::params::{self, LayerCheck};
use crate::audit::{Finding, read, security};
use serde_json::Value;

use crate::container::sniff::{Container, sniff_source};
use crate::container::source::Source;
use crate::error::{Error, Result};
use crate::format::{KerasFile, TensorRole, parse_json_source, read_path, read_path_with_config};
use crate::graph::{Model, ModelKind, parse_model};
use crate::limits::Limits;
use crate::shape::{ModelResult, analyze as infer};

/// Everything kerascope knows about one file.
#[derive(Debug)]
pub struct Analysis {
    pub file: KerasFile,
    /// The normalized model graph, when the file has a usable config.
    pub model: Option<Model>,
    /// Shapes and rule outputs through the graph.
    pub result: Option<ModelResult>,
    /// Per top-level layer: expected against stored.
    pub layers: Vec<LayerCheck>,
    pub findings: Vec<Finding>,
}

/// Reads and analyses a file.
pub fn analyze_path(path: &Path, limits: &Limits) -> Result<Analysis> {
    Ok(analyze_with_limits(read_path(path, limits)?, limits))
}

/// Reads and analyses a weights-only file with an architecture given apart (see
/// [`load_config`]).
pub fn analyze_path_with_config(
    path: &Path,
    limits: &Limits,
    config: Option<Value>,
) -> Result<Analysis> {
    Ok(analyze_with_limits(
        read_path_with_config(path, limits, config)?,
        limits,
    ))
}

/// Reads and analyses bytes already in memory (standard input), with an architecture for a
/// weights-only file.
pub fn analyze_source_with_config(
    source: &Source,
    limits: &Limits,
    config: Option<Value>,
) -> Result<Analysis> {
    Ok(analyze_with_limits(
        crate::format::read_source_with_config(source, None, limits, config)?,
        limits,
    ))
}

/// An architecture for a weights-only file: a JSON file (`model.to_json()`, a `.keras`
/// `config.json`), or any Keras file that stores a config (its config is taken).
pub fn load_config(path: &Path, limits: &Limits) -> Result<Value> {
    let source = Source::open(path)?;
    if sniff_source(&source)? == Container::Json {
        let value = parse_json_source(&source, "architecture JSON", limits)?;
        if value.get("class_name").is_some() {
            return Ok(value);
        }
        return Err(Error::Keras(
            "the architecture JSON has no class_name (expected model.to_json() or config.json)"
                .into(),
        ));
    }
    read_path(path, limits)?
        .model_config
        .ok_or_else(|| Error::Keras("the file given as --config stores no model config".into()))
}

/// Analyses a file already read, with the default limits.
pub fn analyze(file: KerasFile) -> Analysis {
    analyze_with_limits(file, &Limits::default())
}

/// Counts layer entries (objects with `class_name` and `config`) in a config, up to `max`.
fn count_layers(value: &Value, max: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if map.contains_key("class_name") && map.contains_key("config") {
                    count += 1;
                    if count > max {
                        return count;
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    count
}

/// Analyses a file already read.
pub fn analyze_with_limits(file: KerasFile, limits: &Limits) -> Analysis {
    let mut findings = security::check(&file);
    findings.extend(read::check(&file));
    let too_many = file
        .model_config
        .as_ref()
        .is_some_and(|c| count_layers(c, limits.max_layers) > limits.max_layers);
    if too_many {
        findings.push(Finding::new(
            &read::BAD_CONFIG,
            None,
            format!(
                "the config has more than {} layer entries (--max-layers): not analysed",
                limits.max_layers
            ),
        ));
    }
    let config = file.model_config.as_ref().filter(|_| !too_many);
    let model = match config.map(|c| parse_model(c, file.dialect)) {
        Some(Ok(model)) => Some(model),
        Some(Err(e)) => {
            findings.push(Finding::new(&read::BAD_CONFIG, None, e.to_string()));
            None
        }
        None => None,
    };
    let mut by_layer: crate::Map<&str, Vec<Vec<u64>>> = Default::default();
    for t in file.tensors_of(TensorRole::Layer) {
        if let Some(layer) = t.layer.as_deref() {
            by_layer.entry(layer).or_default().push(t.shape.clone());
        }
    }
    let stored_shapes =
        |layer: &str| -> Vec<Vec<u64>> { by_layer.get(layer).cloned().unwrap_or_default() };
    let result = model
        .as_ref()
        .filter(|m| m.kind != ModelKind::Subclassed)
        .map(|m| infer(m, file.dialect, &[], &stored_shapes));
    let (layers, param_findings) = params::check(&file, result.as_ref());
    findings.extend(param_findings);
    Analysis {
        file,
        model,
        result,
        layers,
        findings,
    }
}
