//! One file, analysed: read, config normalized into a graph, shapes inferred, rules applied,
//! tensors compared, findings gathered. Every command starts here.

use std::path::Path;

use crate::audit::params::{self, LayerCheck};
use crate::audit::{Finding, read, security};
use serde_json::Value;

use crate::container::sniff::{Container, sniff_source};
use crate::container::source::{RangeRead, Source};
use crate::error::{Error, KerasProblem, Result};
use crate::format::{KerasFile, TensorRole, parse_json_source, read_path, read_path_with_config};
use crate::graph::{Model, ModelKind, parse_model};
use crate::limits::Limits;
use crate::shape::{ModelResult, analyze as infer};

/// Everything kerascope knows about one file.
#[derive(Debug)]
pub struct Analysis {
    /// What the file holds: format, versions, config, tensors, container hazards.
    pub file: KerasFile,
    /// The normalized model graph, when the file has a usable config.
    pub model: Option<Model>,
    /// Shapes and rule outputs through the graph.
    pub result: Option<ModelResult>,
    /// Per top-level layer: expected against stored.
    pub layers: Vec<LayerCheck>,
    /// Every finding about the file (unfiltered): security first, then structure, then
    /// parameters.
    pub findings: Vec<Finding>,
}

/// How to analyse one input.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Bounds on the work done (hitting one is an error for this input, never a crash).
    pub limits: Limits,
    /// An architecture for a weights-only file (see [`load_config`]); ignored when the file
    /// stores its own.
    pub config: Option<Value>,
}

impl Options {
    /// The default limits, no architecture given apart.
    pub fn new() -> Options {
        Options::default()
    }

    /// These limits instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }

    /// An architecture for a weights-only file.
    pub fn config(mut self, config: Option<Value>) -> Options {
        self.config = config;
        self
    }
}

/// Analyses a model held in memory (the bytes are copied once; see [`analyze_vec`] to hand
/// them over instead).
///
/// ```
/// let bytes = include_bytes!("../../../fixtures/tfk_sequential_basic.h5");
/// let analysis = kerascope::analyze_bytes(bytes, &kerascope::Options::default()).unwrap();
/// let summary = kerascope::summary::build(&analysis);
/// // model.count_params() of tf_keras 2.21.0 (fixtures/truth/tfk_sequential_basic.h5.json)
/// assert_eq!(summary.total_params, 276);
/// assert_eq!(summary.trainable_params, 244);
/// ```
pub fn analyze_bytes(bytes: &[u8], options: &Options) -> Result<Analysis> {
    analyze_vec(bytes.to_vec(), options)
}

/// Analyses a model held in memory, taking its bytes.
pub fn analyze_vec(bytes: Vec<u8>, options: &Options) -> Result<Analysis> {
    analyze_source(&Source::from_vec(bytes), options)
}

/// Analyses a model read by ranges from any [`RangeRead`] (a remote object, a browser
/// `Blob`): only the parts a parse needs are asked for, through a block cache.
pub fn analyze_reader(reader: impl RangeRead + 'static, options: &Options) -> Result<Analysis> {
    analyze_source(&Source::from_reader(reader), options)
}

/// Analyses a model from a [`Source`] (bytes, a file or a range reader, shared cheaply).
/// Sharded weights (`.weights.json`) name their shards by path: only [`analyze_path`] finds
/// them.
pub fn analyze_source(source: &Source, options: &Options) -> Result<Analysis> {
    Ok(analyze_with_limits(
        crate::format::read_source_with_config(
            source,
            None,
            &options.limits,
            options.config.clone(),
        )?,
        &options.limits,
    ))
}

/// Reads and analyses a file (small files in one read, large ones by ranges).
pub fn analyze_path(path: &Path, options: &Options) -> Result<Analysis> {
    Ok(analyze_with_limits(
        read_path_with_config(path, &options.limits, options.config.clone())?,
        &options.limits,
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
        return Err(Error::keras(KerasProblem::ArchitectureWithoutClassName));
    }
    read_path(path, limits)?
        .model_config
        .ok_or_else(|| Error::keras(KerasProblem::ArchitectureFileWithoutConfig))
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

/// Analyses a file already read (its Keras 3 `vars/N` named, see [`crate::bind`]).
pub fn analyze_with_limits(mut file: KerasFile, limits: &Limits) -> Analysis {
    crate::bind::bind(&mut file);
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
