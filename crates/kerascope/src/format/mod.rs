//! Keras file formats: from a container to one description of the file — what wrote it, the
//! model config, and every stored tensor attributed to the layer that owns it.
//!
//! Dialect-specific layouts live in [`legacy`] (Keras 0.x/1/2/tf.keras/Keras 3 legacy `.h5`)
//! and [`keras3`] (`.keras`, `.weights.h5`, sharded `.weights.json`). Downstream code only sees
//! [`KerasFile`].

pub mod keras3;
pub mod legacy;
pub(crate) mod naming;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::container::hdf5::{DataLocation, DatasetInfo, H5File, Hdf5Hazard};
use crate::container::sniff::{Container, sniff_source};
use crate::container::source::Source;
use crate::container::zip::ZipMember;
use crate::error::{Error, KerasProblem, LimitExceeded, NotKerasReason, Result};
use crate::limits::Limits;
use crate::model::Dialect;

/// The file formats kerascope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Format {
    /// `model.save("x.h5")` from Keras 1, 2, tf.keras or Keras 3: config + weights.
    #[serde(rename = "legacy-h5-full-model")]
    LegacyH5Full,
    /// `save_weights("x.h5")` from Keras 1, 2 or tf.keras: weights with layer names, no config.
    #[serde(rename = "legacy-h5-weights-only")]
    LegacyH5WeightsOnly,
    /// Keras 0.x weights: `layer_N/param_M`, no names.
    #[serde(rename = "keras0-weights-h5")]
    Keras0Weights,
    /// Keras 3 (or tf.keras ≥ 2.12) `.keras` zip archive.
    #[serde(rename = "keras-v3-zip")]
    KerasZip,
    /// Keras 3 `.weights.h5` (H5IOStore), no config.
    #[serde(rename = "keras3-weights-h5")]
    Keras3WeightsH5,
    /// Keras 3 sharded weights: a `.weights.json` index and its `.weights.h5` shards.
    #[serde(rename = "keras3-weights-sharded")]
    Keras3WeightsSharded,
    /// A Python pickle stream where a Keras file is expected: read, never unpickled.
    #[serde(rename = "python-pickle")]
    Pickle,
    /// HDF5 without Keras structure, read only for its container hazards.
    #[serde(rename = "hdf5-not-keras")]
    Hdf5NotKeras,
}

impl Format {
    /// The format's name for people (`legacy HDF5 full model`).
    pub fn describe(self) -> &'static str {
        match self {
            Format::LegacyH5Full => "legacy HDF5 full model",
            Format::LegacyH5WeightsOnly => "legacy HDF5 weights only",
            Format::Keras0Weights => "Keras 0.x HDF5 weights",
            Format::KerasZip => ".keras zip archive",
            Format::Keras3WeightsH5 => "Keras 3 .weights.h5",
            Format::Keras3WeightsSharded => "Keras 3 sharded weights",
            Format::Pickle => "Python pickle stream",
            Format::Hdf5NotKeras => "HDF5 without Keras structure",
        }
    }
}

/// What a stored tensor is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TensorRole {
    /// A weight of a layer: counted in the model's parameters.
    Layer,
    /// Optimizer state (`optimizer_weights/`, `optimizer/`): never counted as parameters.
    Optimizer,
    /// Metric state (`metrics/`) of a Keras 3 archive.
    Metric,
    /// Variables owned by the model object itself (`top_level_model_weights`, root `vars/`).
    Model,
}

/// One stored tensor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tensor {
    /// What the tensor is for (its role decides whether it counts as a parameter).
    pub role: TensorRole,
    /// The top-level layer (an entry of `model.layers`) the tensor belongs to.
    pub layer: Option<String>,
    /// Path of the owning sub-object below the layer: `forward_lstm/lstm_cell` (legacy weight
    /// name), `forward_layer/cell` (Keras 3 object path); empty for the layer's own weights.
    pub owner: String,
    /// Short weight name: `kernel`, `bias`, `moving_mean`, `W_i`...; for a Keras 3 `vars/N`
    /// that no rule names, `vars/N`.
    pub name: String,
    /// Where it is stored: the HDF5 path from the root, without a leading `/` (prefixed with
    /// `<member or shard>:` when not in the top-level file).
    pub path: String,
    /// The stored shape, outermost dimension first.
    pub shape: Vec<u64>,
    /// The stored element type, NumPy-style (`float32`, `int64`, `|S5`).
    pub dtype: String,
    /// Bytes used in the file, when known without reading the data.
    pub stored_bytes: Option<u64>,
    /// Where the data is (for `check --deep`; never read otherwise).
    #[serde(skip)]
    pub location: DataLocation,
    /// The path of the tensor this one is a stored copy of (Keras 3 SpectralNormalization
    /// stores the wrapped kernel again as its own `vars/0`): not a parameter of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<String>,
}

impl Tensor {
    /// Element count; `None` when it overflows u64 (a hostile shape).
    pub fn elements(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }
}

/// A structural problem that does not stop the read (it becomes a finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadNote {
    /// What kind of problem it is.
    pub kind: NoteKind,
    /// The top-level layer it concerns, if any.
    pub layer: Option<String>,
    /// What was found, in one line.
    pub message: String,
}

/// What kind of problem a [`ReadNote`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoteKind {
    /// A `weight_names` entry with no dataset.
    WeightWithoutDataset,
    /// A dataset no `weight_names` entry lists.
    UnlistedDataset,
    /// `training_config` / `metadata.json` unreadable.
    BadMetadata,
    /// Weights stored in a form kerascope does not read (`model.weights.npz`).
    WeightsNotRead,
    /// An archive with no weights member.
    NoWeights,
}

/// A pickle stream found in the file (the file itself, or an `.npy` member of an `.npz`):
/// what it imports, read without unpickling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PickleStream {
    /// Where it is: empty for the whole file, else `<member>:<npy member>`.
    pub location: String,
    /// `module.name` of every global imported, with the opcode, in stream order.
    pub imports: Vec<(String, &'static str)>,
    /// Why the read stopped before `STOP`, when it did.
    pub error: Option<String>,
}

/// Everything kerascope knows about one file after reading its metadata.
#[derive(Debug, Clone, Serialize)]
pub struct KerasFile {
    /// The layout the file was recognised as.
    pub format: Format,
    /// The version string stored in the file (never trusted for security decisions).
    pub keras_version: Option<String>,
    /// The backend recorded in the file (`tensorflow`, `jax`, `torch`), if any.
    pub backend: Option<String>,
    /// The config dialect, from the stored version (FORMATS.md §0).
    pub dialect: Dialect,
    /// The model config: `{"class_name", "config", ...}`.
    pub model_config: Option<Value>,
    /// The `training_config` (`model.compile()` arguments), if stored.
    pub training_config: Option<Value>,
    /// `metadata.json` of a `.keras` archive.
    pub metadata: Option<Value>,
    /// Top-level layer names in stored order (legacy `layer_names`; Keras 3 object keys).
    pub layer_names: Vec<String>,
    /// Every stored tensor, with its role, layer and owner, in stored order.
    pub tensors: Vec<Tensor>,
    /// Links, external storage and aliases found in the HDF5 container(s).
    pub hdf5_hazards: Vec<Hdf5Hazard>,
    /// Members of a `.keras` archive.
    pub zip_members: Vec<ZipMember>,
    /// Member names a `.keras` archive holds more than once.
    pub zip_duplicate_names: Vec<String>,
    /// Pickle streams read statically (the file itself, or `model.weights.npz` members).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pickles: Vec<PickleStream>,
    /// Set when the bytes are two containers at once (HDF5 with a zip appended): what the
    /// other view holds, as its own description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polyglot: Option<Box<KerasFile>>,
    /// Shard files of sharded weights.
    pub shards: Vec<String>,
    /// Structural problems that did not stop the read (each becomes a finding).
    pub notes: Vec<ReadNote>,
    /// Bytes of HDF5 containers read to describe the file (metadata only: tensor data is
    /// never read), overlapping reads counted each time.
    pub hdf5_bytes_read: u64,
    /// The Keras 3 `vars/N` of layers the config knows, as stored, until [`crate::bind`]
    /// names them.
    #[serde(skip)]
    pub(crate) stored_vars: Vec<StoredVar>,
}

/// A Keras 3 dataset `vars/N` of a layer the config knows: where the reader put it and what
/// the file says of it. What N names is the layer rule's to say ([`crate::bind`]).
#[derive(Debug, Clone)]
pub(crate) struct StoredVar {
    /// Its position in [`KerasFile::tensors`].
    pub(crate) tensor: usize,
    /// The layer's object key (`dense_1`; tf.keras 2.13 numbering undone).
    pub(crate) key: String,
    /// The object path below the layer (`cell`, `forward_layer/cell`), one segment each.
    pub(crate) owner: Vec<String>,
    /// N.
    pub(crate) index: usize,
}

impl KerasFile {
    pub(crate) fn new(format: Format) -> KerasFile {
        KerasFile {
            format,
            keras_version: None,
            backend: None,
            dialect: Dialect::Keras1,
            model_config: None,
            training_config: None,
            metadata: None,
            layer_names: Vec::new(),
            tensors: Vec::new(),
            hdf5_hazards: Vec::new(),
            zip_members: Vec::new(),
            zip_duplicate_names: Vec::new(),
            pickles: Vec::new(),
            polyglot: None,
            shards: Vec::new(),
            notes: Vec::new(),
            hdf5_bytes_read: 0,
            stored_vars: Vec::new(),
        }
    }

    /// Tensors of one role.
    pub fn tensors_of(&self, role: TensorRole) -> impl Iterator<Item = &Tensor> {
        self.tensors.iter().filter(move |t| t.role == role)
    }

    /// Whether the weights are stored in a form not read (`model.weights.npz`): stored
    /// counts are then unknown, not 0.
    pub fn weights_unread(&self) -> bool {
        self.notes
            .iter()
            .any(|n| n.kind == NoteKind::WeightsNotRead)
    }

    /// The tensors that are the model's parameters: layer tensors, stored copies excluded.
    pub fn parameter_tensors(&self) -> impl Iterator<Item = &Tensor> {
        self.tensors_of(TensorRole::Layer)
            .filter(|t| t.copy_of.is_none())
    }

    /// Stored parameter count: the elements of every [parameter tensor](Self::parameter_tensors)
    /// (optimizer state and stored copies excluded). The one total every report prints.
    pub fn stored_params(&self) -> Option<u64> {
        self.parameter_tensors()
            .try_fold(0u64, |acc, t| acc.checked_add(t.elements()?))
    }

    /// The model config's `class_name` (`Sequential`, `Functional`, ...); `None` without a config.
    pub fn model_class(&self) -> Option<&str> {
        self.model_config.as_ref()?.get("class_name")?.as_str()
    }

    /// The model config's `name`; `None` without a config or name.
    pub fn model_name(&self) -> Option<&str> {
        let config = self.model_config.as_ref()?.get("config")?;
        config.get("name")?.as_str()
    }
}

/// Reads a file's metadata. The format is decided by content; sharded weights need the
/// path to find their shards beside the index. Keras 3 `vars/N` keep their stored names
/// until [`crate::bind`] names them ([`crate::bind::read_path`] reads and binds).
pub fn read_path(path: &Path, limits: &Limits) -> Result<KerasFile> {
    let source = Source::open(path)?;
    read_source(&source, Some(path), limits)
}

/// Reads a weights-only file with its architecture given apart (`model.to_json()`, or the
/// `config.json` of a `.keras`): the config names Keras 3 `vars/N` and lets every tensor be
/// checked. A file that stores its own config keeps it.
pub fn read_path_with_config(
    path: &Path,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    let source = Source::open(path)?;
    read_with_config(&source, Some(path), limits, config)
}

/// Reads bytes already in memory (`path` only locates shard files); Keras 3 `vars/N` are
/// named by [`crate::bind`] ([`crate::bind::read_source`] reads and binds).
pub fn read_source(source: &Source, path: Option<&Path>, limits: &Limits) -> Result<KerasFile> {
    read_with_config(source, path, limits, None)
}

/// [`read_source`] with an architecture for a weights-only file (see
/// [`read_path_with_config`]).
pub fn read_source_with_config(
    source: &Source,
    path: Option<&Path>,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    read_with_config(source, path, limits, config)
}

fn read_with_config(
    source: &Source,
    path: Option<&Path>,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    let mut file = match sniff_source(source)? {
        Container::Hdf5 { offset } => {
            let bytes = source
                .slice(offset, source.len() - offset)
                .ok_or_else(|| Error::not_keras(NotKerasReason::Hdf5SignaturePastEnd))?;
            let h5 = H5File::open(bytes, limits)?;
            let polyglot = zip_view(source, limits)?;
            let mut file = match read_hdf5(&h5, config.clone()) {
                // Not Keras as HDF5, but Keras loads the zip it also is.
                Err(Error::NotKeras { .. }) if polyglot.is_some() => {
                    KerasFile::new(Format::Hdf5NotKeras)
                }
                other => other?,
            };
            file.hdf5_bytes_read = h5.bytes_read();
            file.polyglot = polyglot;
            Ok(file)
        }
        Container::Zip => keras3::read_zip(source, limits),
        Container::Json => keras3::read_sharded_index(source, path, limits, config.clone()),
        Container::Pickle => read_pickle(source, limits),
        Container::Unknown => {
            let head = source.read_at(0, source.len().min(PICKLE_SNIFF_BYTES) as usize)?;
            if crate::container::pickle::looks_like_pickle(&head) {
                read_pickle(source, limits)
            } else {
                Err(Error::not_keras(NotKerasReason::UnrecognisedSignature))
            }
        }
    }?;
    if file.model_config.is_none()
        && let Some(config) = config
    {
        // `to_json()` puts keras_version/backend beside class_name: they name the dialect.
        if file.keras_version.is_none() {
            file.keras_version = config
                .get("keras_version")
                .and_then(Value::as_str)
                .map(str::to_string);
            file.dialect = Dialect::from_keras_version(file.keras_version.as_deref());
        }
        file.model_config = Some(config);
    }
    Ok(file)
}

/// How much of a file without a recognised signature is tried as a pickle of protocol 0 or 1.
const PICKLE_SNIFF_BYTES: u64 = 1 << 20;

/// A whole file that is a pickle stream: its imports, never unpickled. Only the first `--max-config-bytes` of a larger one are read (a torch checkpoint can be
/// gigabytes): its imports so far are judged, and the cut is recorded as the stream's error.
fn read_pickle(source: &Source, limits: &Limits) -> Result<KerasFile> {
    let read = source.len().min(limits.max_config_bytes as u64);
    let mut file = KerasFile::new(Format::Pickle);
    file.pickles.push(pickle_stream(
        String::new(),
        &source.read_at(0, read as usize)?,
    ));
    file.polyglot = zip_view(source, limits)?;
    Ok(file)
}

/// The zip a file of another kind also is, when one is appended: h5py or pickle read the
/// front, Keras (`zipfile.is_zipfile`) the zip, so both are audited. A record signature that
/// tensor bytes happen to hold is not a zip that opens.
fn zip_view(source: &Source, limits: &Limits) -> Result<Option<Box<KerasFile>>> {
    if !ends_like_zip(source)? || crate::container::zip::ZipFile::open(source, limits).is_err() {
        return Ok(None);
    }
    let zip =
        keras3::read_zip(source, limits).unwrap_or_else(|e| unreadable_view(Format::KerasZip, e));
    Ok(Some(Box::new(zip)))
}

/// The imports of one pickle stream.
pub(crate) fn pickle_stream(location: String, bytes: &[u8]) -> PickleStream {
    let scan = crate::container::pickle::scan(bytes);
    PickleStream {
        location,
        imports: scan
            .imports
            .iter()
            .map(|i| (i.qualified(), i.opcode))
            .collect(),
        error: scan.error.map(|e| e.to_string()),
    }
}

/// Whether a zip end-of-central-directory record sits in the last 64 KiB (where zipfile
/// looks for it from the end).
fn ends_like_zip(source: &Source) -> Result<bool> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let tail_len = source.len().min(65_557);
    let tail = source.read_at(source.len() - tail_len, tail_len as usize)?;
    // Every HDF5 file of a scan is searched whole (an absence is the common answer): a
    // vectorised search, not a window per byte.
    Ok(memchr::memmem::find(&tail, EOCD).is_some())
}

/// The zip view of a polyglot that could not be read: described by its error alone.
fn unreadable_view(format: Format, error: Error) -> KerasFile {
    let mut file = KerasFile::new(format);
    file.notes.push(ReadNote {
        kind: NoteKind::BadMetadata,
        layer: None,
        message: format!("the zip view could not be read: {error}"),
    });
    file
}

/// Decides which HDF5 flavour a container holds (FORMATS.md §0) and reads it. `config` is
/// an architecture given apart, used to name Keras 3 `vars/N`.
pub(crate) fn read_hdf5(h5: &H5File, config: Option<Value>) -> Result<KerasFile> {
    let root = h5.root()?;
    if root.has_attribute("model_config")? {
        return legacy::read(h5, Format::LegacyH5Full);
    }
    if root.has_attribute("layer_names")? || root.has_attribute("layer_names0")? {
        return legacy::read(h5, Format::LegacyH5WeightsOnly);
    }
    if root.has_attribute("nb_layers")? {
        return legacy::read_keras0(h5);
    }
    let (groups, _) = root.member_names()?;
    if groups.iter().any(|g| is_h5io_root_group(g)) {
        return keras3::read_h5io(h5, Format::Keras3WeightsH5, config);
    }
    // Not Keras-shaped, but links and external storage are hazards whatever the structure.
    let walk = h5.walk("")?;
    if !walk.hazards.is_empty() {
        let mut file = KerasFile::new(Format::Hdf5NotKeras);
        file.hdf5_hazards = walk.hazards;
        return Ok(file);
    }
    Err(Error::not_keras(
        NotKerasReason::Hdf5WithoutKerasStructure {
            top_level_groups: groups,
        },
    ))
}

/// Root groups that mark a Keras 3 H5IOStore file (`layers\x` on Windows; tf.keras
/// 2.13–2.15 `_layer_checkpoint_dependencies\x`).
fn is_h5io_root_group(name: &str) -> bool {
    name == "layers"
        || name == "vars"
        || name == "_layer_checkpoint_dependencies"
        || name.starts_with("layers\\")
        || name.starts_with("_layer_checkpoint_dependencies\\")
}

/// A whole file parsed as JSON (see [`parse_json`]); its size is checked before it is read.
pub(crate) fn parse_json_source(source: &Source, what: &str, limits: &Limits) -> Result<Value> {
    within_config_bytes(source.len(), what, limits)?;
    parse_json(&source.contents()?, what, limits)
}

/// A config text of `len` bytes is within `--max-config-bytes`.
fn within_config_bytes(len: u64, what: &str, limits: &Limits) -> Result<()> {
    if len > limits.max_config_bytes as u64 {
        return Err(Error::limit(LimitExceeded::ConfigBytes {
            what: what.to_string(),
            bytes: len,
            limit: limits.max_config_bytes,
        }));
    }
    Ok(())
}

/// Parses JSON text under the size and value-count limits. serde_json bounds nesting depth
/// itself (128); the value count bounds the memory of the parsed tree, which can be ~40× the
/// text for a list of small numbers.
pub fn parse_json(text: &[u8], what: &str, limits: &Limits) -> Result<Value> {
    within_config_bytes(text.len() as u64, what, limits)?;
    // Each value counted below is one byte of text, so short texts need no count.
    if text.len() >= limits.max_config_values
        && json_value_count(text, limits.max_config_values) > limits.max_config_values
    {
        return Err(Error::limit(LimitExceeded::ConfigValues {
            what: what.to_string(),
            limit: limits.max_config_values,
        }));
    }
    // Only a text serde_json rejects is searched for Python's literals: the common path
    // costs nothing more.
    serde_json::from_slice(text)
        .or_else(|e| match python_literals_as_strings(text) {
            Some(rewritten) => serde_json::from_slice(&rewritten),
            None => Err(e),
        })
        .map_err(|source| {
            Error::keras(KerasProblem::InvalidJson {
                what: what.to_string(),
                source,
            })
        })
}

/// Python's `json` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats (Keras 3
/// stores `"max_value": Infinity` for `ReLU(max_value=float("inf"))`), and reads them back;
/// JSON has no such literals and `serde_json::Value` no such numbers. Outside strings they
/// become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`: no weight shape depends on them,
/// and every other number keeps its text. `None` when the text has none.
fn python_literals_as_strings(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut i, mut found) = (false, false, 0, false);
    while i < text.len() {
        let byte = text[i];
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        } else if let Some(literal) = [&b"NaN"[..], b"Infinity", b"-Infinity"]
            .into_iter()
            .find(|l| text[i..].starts_with(l))
        {
            out.push(b'"');
            out.extend_from_slice(literal);
            out.push(b'"');
            i += literal.len();
            found = true;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    found.then_some(out)
}

/// Counts JSON values cheaply (separators and openers outside strings), stopping past `max`.
fn json_value_count(text: &[u8], max: usize) -> usize {
    let mut count = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => {
                count += 1;
                if count > max {
                    return count;
                }
            }
            _ => {}
        }
    }
    count
}

/// The `:N` suffix TensorFlow appends to variable names, removed.
pub(crate) fn strip_tf_suffix(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

pub(crate) fn tensor(role: TensorRole, layer: Option<String>, info: DatasetInfo) -> Tensor {
    Tensor {
        role,
        layer,
        owner: String::new(),
        name: String::new(),
        path: info.path,
        shape: info.shape,
        dtype: info.dtype,
        stored_bytes: info.stored_bytes,
        location: info.location,
        copy_of: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Value {
        parse_json(text.as_bytes(), "test", &Limits::default()).unwrap()
    }

    #[test]
    fn python_non_finite_literals_read_outside_strings_only() {
        let v = parsed(
            r#"{"max_value": Infinity, "a": [NaN, -Infinity, 1e-7], "s": "NaN \" Infinity"}"#,
        );
        assert_eq!(v["max_value"], "Infinity");
        assert_eq!(v["a"][0], "NaN");
        assert_eq!(v["a"][1], "-Infinity");
        // Other numbers keep their text exactly.
        assert_eq!(v["a"][2].to_string(), "1e-7");
        assert_eq!(v["s"], "NaN \" Infinity");
        assert!(python_literals_as_strings(br#"{"a": 1.5, "b": "x"}"#).is_none());
    }

    #[test]
    fn a_bare_word_that_is_not_a_python_literal_stays_invalid() {
        assert!(parse_json(br#"{"a": Nan}"#, "test", &Limits::default()).is_err());
        assert!(parse_json(br#"{"a": NaNx}"#, "test", &Limits::default()).is_err());
    }
}
