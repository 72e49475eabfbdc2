//! `upgrade`: a copy of a Keras 2 / tf.keras legacy `.h5` model that Keras 3 loads with
//! `safe_mode=True`, where [`crate::compat`] finds only fixable blockers: the config rewritten
//! as Keras 3 expects it, every weight byte left where it was.
//!
//! The copy is Keras 3's own `.keras` archive ([`keras_zip`]: the rewritten config, every
//! weight's bytes at its Keras 3 place), or on request a legacy HDF5 model written with a
//! pure-Rust HDF5 writer: the rewritten `model_config`, the input's `layer_names`,
//! `weight_names` and every weight's bytes as stored. A `.keras` input stays a `.keras`
//! archive. `training_config` and optimizer state are left out: Keras 2 losses and optimizers
//! do not compile in Keras 3.

mod checkpoint;
mod cudnn;
pub mod keras_zip;
pub(crate) mod rewrite;

use std::path::Path;

use serde::Serialize;

use crate::analysis::analyze_with_limits;
use crate::audit::Severity;
use crate::bind::read_path;
use crate::compat::{Target, Verdict, assess};
use crate::container::hdf5::DataLocation;
use crate::container::source::Source;
use crate::format::{Format, KerasFile, Tensor, TensorRole};
use crate::limits::Limits;
use hdf5_pure::AttrValue;

/// What `upgrade` did, or why it would not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upgrade {
    /// The config changes made, one line each.
    pub changes: Vec<String>,
}

/// Why a file is not upgraded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The input could not be read.
    #[error("{0}")]
    Read(#[from] crate::Error),
    /// The input's layout is not upgraded (yet); the text describes it.
    #[error("only legacy .h5 full models are upgraded so far (this file is: {0})")]
    Format(&'static str),
    /// The input has security findings of severity error (their codes, comma-separated).
    #[error("the file has security findings ({0}): not upgraded unless --allow-findings")]
    Findings(String),
    /// Keras 3 refuses the file for reasons no rewrite fixes without changing what it computes (one
    /// line per blocker).
    #[error("Keras 3 would still refuse it, and rewriting would change what it computes:\n{0}")]
    NotFixable(String),
    /// The rewritten config would still be refused (the first blocker's message).
    #[error("the rewritten config still does not load: {0}")]
    StillFails(String),
    /// The copy could not be written (or its weights converted): why.
    #[error("{0}")]
    Write(String),
    #[error(
        "name the copy .keras for a Keras 3 archive or .h5 for a legacy HDF5 model (or give the output format)"
    )]
    /// The output's name says no format (`.keras`, `.h5`, `.hdf5`) and none was given.
    OutputName,
    /// The output's name and the format asked for disagree.
    #[error("the copy is named {0} but the format asked for is {1}")]
    NameAndFormat(String, &'static str),
    /// A `.keras` archive is only upgraded to a `.keras` archive.
    #[error("a .keras archive is upgraded to a .keras archive, not to a legacy .h5 file")]
    ArchiveToLegacy,
    /// A layer whose weights have no verified place in Keras 3's `.keras` layout: which.
    #[error("not written as .keras: the Keras 3 weight layout of {0} is not verified")]
    Layout(String),
}

/// The file format of the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OutputFormat {
    /// Keras 3's own `.keras` archive (config, metadata, `model.weights.h5`).
    Keras,
    /// A legacy HDF5 model (`.h5`), as Keras 2 wrote them.
    LegacyH5,
}

impl OutputFormat {
    /// The format a file name asks for: `.keras`, or `.h5` / `.hdf5`; `None` for any other.
    pub fn from_name(path: &Path) -> Option<OutputFormat> {
        let name = path.to_string_lossy();
        if name.ends_with(".keras") {
            Some(OutputFormat::Keras)
        } else if name.ends_with(".h5") || name.ends_with(".hdf5") {
            Some(OutputFormat::LegacyH5)
        } else {
            None
        }
    }

    /// How people call it (`.keras`, `legacy .h5`).
    pub fn describe(self) -> &'static str {
        match self {
            OutputFormat::Keras => ".keras",
            OutputFormat::LegacyH5 => "legacy .h5",
        }
    }
}

/// The name of the copy when none is given: the input's, ending in `.keras` (`model.h5` →
/// `model.keras`, `model.keras` → `model.upgraded.keras`); for a legacy copy,
/// `model.upgraded.h5`.
pub fn default_output(input: &Path, format: OutputFormat) -> std::path::PathBuf {
    match format {
        OutputFormat::Keras if OutputFormat::from_name(input) != Some(OutputFormat::Keras) => {
            input.with_extension("keras")
        }
        OutputFormat::Keras => input.with_extension("upgraded.keras"),
        OutputFormat::LegacyH5 => input.with_extension("upgraded.h5"),
    }
}

/// Writes `output`, a copy of `input` that Keras 3 loads, in the format its name says
/// (`.keras`: Keras 3's archive; `.h5`/`.hdf5`: a legacy HDF5 model).
pub fn upgrade(input: &Path, output: &Path, allow_findings: bool) -> Result<Upgrade, Refusal> {
    let format = OutputFormat::from_name(output).ok_or(Refusal::OutputName)?;
    upgrade_to(input, output, format, allow_findings)
}

/// Writes `output`, a copy of `input` that Keras 3 loads, in `format` (whatever its name; a
/// name saying another format is refused).
pub fn upgrade_to(
    input: &Path,
    output: &Path,
    format: OutputFormat,
    allow_findings: bool,
) -> Result<Upgrade, Refusal> {
    if let Some(named) = OutputFormat::from_name(output)
        && named != format
    {
        return Err(Refusal::NameAndFormat(
            named.describe().to_string(),
            format.describe(),
        ));
    }
    let limits = Limits::default();
    let file = read_path(input, &limits)?;
    match (file.format, format) {
        (Format::LegacyH5Full, _) | (Format::KerasZip, OutputFormat::Keras) => {}
        (Format::KerasZip, _) => return Err(Refusal::ArchiveToLegacy),
        (other, _) => return Err(Refusal::Format(other.describe())),
    }
    // Keras 3 picks its loader by the name: a legacy model's config is checked here as the
    // legacy file it still is (the `.keras` copy is checked once written, in `keras_zip`), a
    // copy whose name says no format under the name of its format.
    let checked_as = match (file.format, format) {
        (Format::LegacyH5Full, OutputFormat::Keras) => output.with_extension("h5"),
        _ if OutputFormat::from_name(output).is_some() => output.to_path_buf(),
        (_, OutputFormat::Keras) => output.with_extension("keras"),
        (_, OutputFormat::LegacyH5) => output.with_extension("h5"),
    };
    let analysis = analyze_with_limits(file, &limits);
    let security: Vec<&str> = analysis
        .findings
        .iter()
        .filter(|f| f.code.starts_with('S') && f.severity >= Severity::Error)
        .map(|f| f.code)
        .collect();
    if !security.is_empty() && !allow_findings {
        return Err(Refusal::Findings(security.join(", ")));
    }
    // The shapes each top-level call was inferred with, for calls rewritten in Keras 3's form.
    let mut shapes = rewrite::CallShapes::default();
    for layer in analysis.result.iter().flat_map(|r| &r.layers) {
        let name = layer.name.clone();
        shapes
            .inputs
            .insert(name.clone(), layer.input_shapes.clone());
        shapes.outputs.insert(name, layer.output_shapes.clone());
    }
    let mut file = analysis.file;
    let before = assess(&file, &checked_as, Target::Keras3);
    let blocking: Vec<String> = before
        .blockers
        .iter()
        .filter(|b| !b.fixable)
        .map(|b| {
            format!(
                "  {} {}: {} ({})",
                b.code.as_str(),
                b.layer.as_deref().unwrap_or("-"),
                b.message,
                b.fix
            )
        })
        .collect();
    if !blocking.is_empty() {
        return Err(Refusal::NotFixable(blocking.join("\n")));
    }
    let Some(config) = file.model_config.as_mut() else {
        return Err(Refusal::Format("a file without a model config"));
    };
    let rewrite::Rewrite { mut changes, cudnn } = rewrite::for_keras3(config);
    changes.extend(rewrite::keras3_calls(config, &mut shapes));
    changes.extend(rewrite::thresholded_relu_ops(config, &shapes));
    if !cudnn.is_empty() && file.format == Format::KerasZip {
        return Err(Refusal::Write(
            "CuDNN weights inside a .keras archive are not converted yet".into(),
        ));
    }
    let weights = if file.format == Format::KerasZip {
        checkpoint::regroup(input, &mut file, &mut changes)?
    } else {
        None
    };
    loads_in_keras3(&file, &checked_as)?;
    let json = serde_json::to_string(
        file.model_config
            .as_ref()
            .unwrap_or(&serde_json::Value::Null),
    )
    .map_err(|e| Refusal::Write(e.to_string()))?;
    match (file.format, format) {
        (Format::KerasZip, _) => write_archive_copy(input, output, &json, weights.as_deref())?,
        (_, OutputFormat::Keras) => keras_zip::write(input, output, &file, &cudnn, &limits)?,
        _ => write_copy(input, output, &file, json, &cudnn)?,
    }
    Ok(Upgrade { changes })
}

/// A legacy HDF5 model written afresh: the root attributes Keras reads, `model_weights` with
/// `layer_names`, each layer's `weight_names` and datasets holding the input's bytes.
/// (Editing the input in place was tried first: HDF5 1.8-era object headers, which most Keras 2
/// files have, cannot always be rewritten in place.)
fn write_copy(
    input: &Path,
    output: &Path,
    file: &KerasFile,
    config: String,
    conversions: &[(String, rewrite::Cudnn)],
) -> Result<(), Refusal> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Refusal::Write(format!("{}: {what}: {e}", output.display()))
    };
    let source = Source::open(input).map_err(|e| failed("reading the input", &e))?;
    let mut builder = hdf5_pure::FileBuilder::new();
    builder.set_attr("model_config", AttrValue::String(config));
    let version = file.keras_version.clone().unwrap_or_default();
    let backend = file.backend.clone().unwrap_or_else(|| "tensorflow".into());
    builder.set_attr("keras_version", AttrValue::String(version.clone()));
    builder.set_attr("backend", AttrValue::String(backend.clone()));
    let mut weights = builder.create_group("model_weights");
    weights.set_attr("layer_names", string_array(&file.layer_names));
    weights.set_attr("keras_version", AttrValue::String(version));
    weights.set_attr("backend", AttrValue::String(backend));
    for layer in &file.layer_names {
        let prefix = format!("model_weights/{layer}/");
        let tensors: Vec<&Tensor> = file
            .tensors_of(TensorRole::Layer)
            .filter(|t| t.layer.as_deref() == Some(layer.as_str()) && t.path.starts_with(&prefix))
            .collect();
        let mut stored = Vec::with_capacity(tensors.len());
        for t in tensors {
            let data = tensor_data(&source, t).map_err(|e| failed(&t.path, &e))?;
            stored.push((
                t.path[prefix.len()..].to_string(),
                t.shape.clone(),
                t.dtype.clone(),
                data,
            ));
        }
        if let Some((_, kind)) = conversions.iter().find(|(l, _)| l == layer) {
            stored = cudnn::convert(stored, *kind).map_err(|e| failed(layer, &e))?;
        }
        let mut tree = Tree::default();
        let mut names = Vec::with_capacity(stored.len());
        for (name, shape, dtype, data) in stored {
            names.push(name.clone());
            tree.insert(&name, shape, dtype, data);
        }
        let mut group = weights.create_group(layer);
        group.set_attr("weight_names", string_array(&names));
        tree.write(&mut group).map_err(|e| failed(layer, &e))?;
        weights.add_group(group.finish());
    }
    builder.add_group(weights.finish());
    builder
        .write(output)
        .map_err(|e| failed("writing the copy", &e))
}

/// A `.keras` archive copied member by member, byte for byte, but for `config.json` (and the
/// weights member, when `weights` replaces it).
fn write_archive_copy(
    input: &Path,
    output: &Path,
    config: &str,
    weights: Option<&[u8]>,
) -> Result<(), Refusal> {
    use std::io::Write;
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Refusal::Write(format!("{}: {what}: {e}", output.display()))
    };
    let source = std::fs::File::open(input).map_err(|e| failed("reading the input", &e))?;
    let mut archive = zip::ZipArchive::new(source).map_err(|e| failed("reading the input", &e))?;
    let target = std::fs::File::create(output).map_err(|e| failed("creating the copy", &e))?;
    let mut writer = zip::ZipWriter::new(target);
    let copy = || -> zip::result::ZipResult<()> {
        for i in 0..archive.len() {
            let member = archive.by_index_raw(i)?;
            if member.name()? == "config.json" {
                drop(member);
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                writer.start_file("config.json", options)?;
                writer.write_all(config.as_bytes())?;
            } else if let Some(bytes) = weights
                && member.name()? == checkpoint::WEIGHTS_MEMBER
            {
                drop(member);
                // Stored, as Keras writes it (and reads it in place).
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                writer.start_file(checkpoint::WEIGHTS_MEMBER, options)?;
                writer.write_all(bytes)?;
            } else {
                writer.raw_copy_file(member)?;
            }
        }
        writer.finish().map(|_| ())
    };
    copy().map_err(|e| {
        let _ = std::fs::remove_file(output);
        failed("writing the copy", &e)
    })
}

/// Keras stores name lists as arrays of strings; an empty one as an empty float array.
fn string_array(names: &[String]) -> AttrValue {
    if names.is_empty() {
        AttrValue::F64Array(Vec::new())
    } else {
        AttrValue::StringArray(names.to_vec())
    }
}

/// The largest never-written tensor copied as zeros (a file stores nothing for it, so its
/// declared size alone would otherwise decide the allocation).
const MAX_UNWRITTEN_BYTES: usize = 256 << 20;

fn tensor_data(source: &Source, t: &Tensor) -> Result<Vec<u8>, String> {
    match &t.location {
        DataLocation::Compact(bytes) => Ok(bytes.clone()),
        DataLocation::Contiguous { offset, size } => {
            // A declared range past the end of the file is refused before anything is
            // allocated: the copy holds at most what the input really stores.
            if offset
                .checked_add(*size)
                .is_none_or(|end| end > source.len())
            {
                return Err("the tensor's data lies past the end of the file".into());
            }
            let len = usize::try_from(*size).map_err(|_| "too large".to_string())?;
            let data = source.read_at(*offset, len).map_err(|e| e.to_string())?;
            if data.len() != len {
                return Err("the file ends inside the tensor's data".into());
            }
            Ok(data.into_owned())
        }
        DataLocation::Unwritten => {
            let n = t.elements().ok_or("size overflows")?;
            let size = crate::container::hdf5::dtype_size(&t.dtype).ok_or("unknown dtype")?;
            let len = n
                .checked_mul(size)
                .and_then(|l| usize::try_from(l).ok())
                .ok_or("too large")?;
            // Never-written data reads as zeros; a declared size is not trusted past a bound.
            if len > MAX_UNWRITTEN_BYTES {
                return Err(format!(
                    "declares {len} bytes never written (over {MAX_UNWRITTEN_BYTES}): not copied"
                ));
            }
            Ok(vec![0u8; len])
        }
        DataLocation::Chunked | DataLocation::Unknown => {
            Err("chunked or unlocated data is not copied".into())
        }
    }
}

/// Refuses, with the first blocker's message, a file Keras 3 would still not load when given
/// the name `as_path`.
fn loads_in_keras3(file: &KerasFile, as_path: &Path) -> Result<(), Refusal> {
    let verdict = assess(file, as_path, Target::Keras3);
    if verdict.verdict == Verdict::Loads {
        return Ok(());
    }
    let first = verdict
        .blockers
        .first()
        .map(|b| b.message.clone())
        .unwrap_or_default();
    Err(Refusal::StillFails(first))
}

fn datatype(dtype: &str) -> Option<hdf5_pure::Datatype> {
    Some(match dtype {
        "float32" => hdf5_pure::make_f32_type(),
        "float64" => hdf5_pure::make_f64_type(),
        "int8" => hdf5_pure::make_i8_type(),
        "int16" => hdf5_pure::make_i16_type(),
        "int32" => hdf5_pure::make_i32_type(),
        "int64" => hdf5_pure::make_i64_type(),
        "uint8" => hdf5_pure::make_u8_type(),
        "uint16" => hdf5_pure::make_u16_type(),
        "uint32" => hdf5_pure::make_u32_type(),
        "uint64" => hdf5_pure::make_u64_type(),
        _ => return None,
    })
}

/// HDF5 groups being written: a layer's weight names (`lstm/lstm_cell/kernel:0`) in a legacy
/// copy, the `layers/<key>/vars` tree of a `.keras` copy's weights.
#[derive(Default)]
struct Tree {
    /// The `name` attribute of the group (Keras 3 writes the layer's name on its `vars`).
    name: Option<String>,
    groups: std::collections::BTreeMap<String, Tree>,
    datasets: Vec<(String, Vec<u64>, String, Vec<u8>)>,
}

impl Tree {
    /// The group at `path` below this one, made on the way.
    fn child(&mut self, path: &str) -> &mut Tree {
        let mut node = self;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            node = node.groups.entry(segment.to_string()).or_default();
        }
        node
    }

    /// A dataset at `path` (groups before its last `/`).
    fn insert(&mut self, path: &str, shape: Vec<u64>, dtype: String, data: Vec<u8>) {
        let (group, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.child(group)
            .datasets
            .push((name.to_string(), shape, dtype, data));
    }

    fn write(self, group: &mut hdf5_pure::GroupBuilder) -> Result<(), String> {
        if let Some(name) = self.name {
            group.set_attr("name", hdf5_pure::AttrValue::String(name));
        }
        for (name, shape, dtype, data) in self.datasets {
            let kind =
                datatype(&dtype).ok_or_else(|| format!("{name}: dtype {dtype} not written"))?;
            let elements = shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .ok_or("size overflows")?;
            group
                .create_dataset(&name)
                .with_raw_data(kind, data, elements)
                .with_shape(&shape);
        }
        for (name, tree) in self.groups {
            let mut child = group.create_group(&name);
            tree.write(&mut child)?;
            group.add_group(child.finish());
        }
        Ok(())
    }
}
