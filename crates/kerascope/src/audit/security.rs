//! Is this file safe to load? (S1xx config, S2xx HDF5, S3xx zip.) Every known way a Keras
//! file turns `load_model` into code execution, file disclosure or memory exhaustion, found
//! statically: nothing is executed, unpickled, imported or followed.
//!
//! The config is walked everywhere — top level, nested models, wrappers, cells, activations,
//! initializers, function references — and each finding names the layer path it sits in. The
//! Keras version a file claims is reported but never lowers a severity: it is attacker-chosen.

use serde_json::Value;

use super::dangerous::{TfSymbol, is_dangerous_import, is_expected_pickle_global, tf_symbol};
use super::marshal;
use super::{Finding, RuleDoc, Severity};
use crate::container::hdf5::{Hdf5Hazard, dtype_size};
use crate::container::zip::ZipMember;
use crate::format::{Format, KerasFile};
use crate::layers::rule_for;

super::findings! {
    LAMBDA_BYTECODE = RuleDoc {
        code: "S101",
        name: "lambda-bytecode",
        severity: Severity::Error,
        summary: "A Lambda layer (or a serialized Python lambda in any slot) carries marshalled Python bytecode that references dangerous names (os, system, eval, open, ...) \
                  or that cannot be decoded (CVE-2024-3660; CVE-2025-9905 for .h5 under Keras 3 < 3.11.3).",
        why: "Loading the model runs that code: tf.keras and Keras 2 always, Keras 3 from .h5 before 3.11.3, and any Keras with safe_mode=False. \
              kerascope decodes the bytecode statically and shows its file name, function name and the names it references.",
        example: "lambda_1: Lambda bytecode from <ipython-input-3>, function <lambda>, references os, system (dangerous: os, system)",
        cves: &["CVE-2024-3660", "CVE-2025-9905"],
    };

    LAMBDA_CODE = RuleDoc {
        code: "S109",
        name: "lambda-code",
        severity: Severity::Warning,
        summary: "A Lambda layer (or a serialized Python lambda in any slot) carries marshalled Python bytecode whose decoded names look harmless (CVE-2024-3660).",
        why: "Loading the model still runs that code (tf.keras, Keras 2, Keras 3 from .h5 before 3.11.3, or safe_mode=False). \
              The decoded file name, function name and referenced names are shown so that a person can judge it.",
        example: "times_two: Lambda bytecode from <ipython-input-3>, function <lambda> (Python 3.11+)",
        cves: &["CVE-2024-3660"],
    };

    MODULE_FUNCTION = RuleDoc {
        code: "S102",
        name: "module-function",
        severity: Severity::Error,
        summary: "A Lambda (or function reference) names a module-level function to call when the model is built (CVE-2025-9906).",
        why: "Keras imports the module and calls the function on load: keras.config.enable_unsafe_deserialization \
              turns safe mode off for everything that follows, and any importable function can be named.",
        example: "lambda: calls keras.config.enable_unsafe_deserialization on load",
        cves: &["CVE-2025-9906"],
    };

    FOREIGN_MODULE = RuleDoc {
        code: "S103",
        name: "foreign-module",
        severity: Severity::Error,
        summary: "A serialized object names a module outside Keras, TensorFlow and its own package (CVE-2025-1550), \
                  or a Keras layer module that does not exist.",
        why: "Keras 3 imports the module a config names before it builds the object: importing runs the module's code.",
        example: "dense_1: kernel_initializer references module os (class system)",
        cves: &["CVE-2025-1550"],
    };

    GET_FILE = RuleDoc {
        code: "S104",
        name: "fetches-or-loads",
        severity: Severity::Error,
        summary: "The config references keras.utils.get_file or load_model (CVE-2025-8747, CVE-2025-12060).",
        why: "Loading then downloads files or loads another model: network access, file writes, and whatever that model holds.",
        example: "vocab: references keras.utils.get_file",
        cves: &["CVE-2025-8747", "CVE-2025-12060"],
    };

    TFSM_LAYER = RuleDoc {
        code: "S105",
        name: "tfsm-layer",
        severity: Severity::Error,
        summary: "A TFSMLayer loads a TensorFlow SavedModel from a path when the model is loaded (CVE-2026-1462).",
        why: "The SavedModel at that path is loaded, with its own graph and functions: a file outside the model decides what runs.",
        example: "tfsm: TFSMLayer loads /tmp/exported_model",
        cves: &["CVE-2026-1462"],
    };

    TORCH_MODULE = RuleDoc {
        code: "S106",
        name: "torch-module",
        severity: Severity::Error,
        summary: "A TorchModuleWrapper holds a pickled PyTorch module (CVE-2025-49655).",
        why: "Loading unpickles it: unpickling runs arbitrary code.",
        example: "torch_wrapper: TorchModuleWrapper (a pickled torch module)",
        cves: &["CVE-2025-49655"],
    };

    FILE_VOCABULARY = RuleDoc {
        code: "S107",
        name: "file-vocabulary",
        severity: Severity::Error,
        summary: "A StringLookup / IntegerLookup / TextVectorization takes its vocabulary from a file path or URL (CVE-2025-12058).",
        why: "Loading reads that file (or fetches the URL): a model can read files of the machine that loads it.",
        example: "lookup: vocabulary read from /etc/passwd",
        cves: &["CVE-2025-12058"],
    };

    CUSTOM_CLASS = RuleDoc {
        code: "S108",
        name: "custom-class",
        severity: Severity::Warning,
        summary: "A layer or model class that is not built into Keras.",
        why: "Loading needs its Python code (custom_objects): whoever supplies that code decides what runs.",
        example: "attention_1: custom class AttentionWithContext (needs custom code to load)",
        cves: &[],
    };

    EXTERNAL_STORAGE = RuleDoc {
        code: "S201",
        name: "hdf5-external-storage",
        severity: Severity::Error,
        summary: "An HDF5 dataset keeps its data in external files (CVE-2026-1669).",
        why: "h5py, libhdf5 and Keras read those files as tensor data: a model can carry /etc/passwd or a key file into its weights. \
              kerascope records the names and never opens them.",
        example: "/model_weights/dense/dense/kernel:0 stores its data in external file /etc/hostname",
        cves: &["CVE-2026-1669"],
    };

    EXTERNAL_LINK = RuleDoc {
        code: "S202",
        name: "hdf5-external-link",
        severity: Severity::Error,
        summary: "An HDF5 external link points into another file.",
        why: "Readers that follow it open files outside the model (and may be led to any path).",
        example: "/model_weights/dense links to /secret:/data in file ../../etc/keys.h5",
        cves: &[],
    };

    SOFT_LINK = RuleDoc {
        code: "S203",
        name: "hdf5-soft-link",
        severity: Severity::Warning,
        summary: "An HDF5 soft link: Keras never writes one.",
        why: "Links make one object appear under several names, or loop; the file was crafted or edited.",
        example: "/model_weights/dense_1 is a soft link to /model_weights/dense",
        cves: &[],
    };

    VIRTUAL_DATASET = RuleDoc {
        code: "S204",
        name: "hdf5-virtual-dataset",
        severity: Severity::Error,
        summary: "An HDF5 virtual dataset maps data from other datasets or files.",
        why: "Readers that resolve it read other files; Keras never writes one.",
        example: "/model_weights/dense/dense/kernel:0 is a virtual dataset",
        cves: &[],
    };

    ALIASED_OBJECT = RuleDoc {
        code: "S205",
        name: "hdf5-alias",
        severity: Severity::Warning,
        summary: "An HDF5 object reachable by two paths (a hard link, a link to an ancestor: a cycle).",
        why: "Keras never writes one; naive walkers loop forever on a cycle.",
        example: "/model_weights/loop is the object first seen at /model_weights",
        cves: &[],
    };

    SIZE_BOMB = RuleDoc {
        code: "S206",
        name: "declared-size-bomb",
        severity: Severity::Error,
        summary: "A dataset declares far more data than the file stores (over 4 GiB, or over 1000× its stored bytes) (CVE-2026-0897).",
        why: "Loaders allocate the declared size: a few kilobytes of file exhaust the memory of the machine that loads it. \
              Keras 3.15 refuses such datasets; older versions allocate.",
        example: "/model_weights/dense/dense/kernel:0 declares (65536, 65536) float32 = 16.00 GB in 0 stored bytes",
        cves: &["CVE-2026-0897"],
    };

    ZIP_TRAVERSAL = RuleDoc {
        code: "S301",
        name: "zip-path-traversal",
        severity: Severity::Error,
        summary: "A zip member name with `..`, an absolute path or a drive letter.",
        why: "Extracting the archive (as Keras does with assets) writes outside the target folder.",
        example: "member ../../.bashrc escapes the archive",
        cves: &[],
    };

    ZIP_BOMB = RuleDoc {
        code: "S302",
        name: "zip-bomb",
        severity: Severity::Error,
        summary: "A zip member that declares a huge size or an extreme compression ratio.",
        why: "Extracting it exhausts memory or disk.",
        example: "member model.weights.h5 expands 52,000× to 40.00 GB",
        cves: &[],
    };

    ZIP_DUPLICATE = RuleDoc {
        code: "S303",
        name: "zip-duplicate-member",
        severity: Severity::Error,
        summary: "The zip names one member twice.",
        why: "Tools disagree about which copy they read: a scanner sees one, Keras loads the other \
              (a known proof of concept hides a pickle as the second model.weights.npz).",
        example: "member model.weights.npz appears 2 times",
        cves: &[],
    };

    ZIP_UNEXPECTED = RuleDoc {
        code: "S304",
        name: "zip-unexpected-member",
        severity: Severity::Warning,
        summary: "A member a .keras archive does not hold: code, executables, pickles, or files outside assets/.",
        why: "Keras ignores it, other tools may not; pickles and executables have no business in a model.",
        example: "member assets/payload.pkl is a pickle",
        cves: &[],
    };

    ZIP_METADATA = RuleDoc {
        code: "S305",
        name: "keras-metadata",
        severity: Severity::Warning,
        summary: "A .keras archive whose metadata.json is missing or names no Keras version.",
        why: "Keras writes it in every archive: without it the file was not written by Keras as it claims.",
        example: "metadata.json is missing",
        cves: &[],
    };

    TF_OP_FILE_OR_CODE = RuleDoc {
        code: "S110",
        name: "tf-op-file-or-code",
        severity: Severity::Error,
        summary: "A tf.keras TFOpLambda / SlicingOpLambda / ClassMethod layer names a TensorFlow symbol that touches files, \
                  runs Python or changes the runtime (io.gfile.rmtree, io.write_file, py_function, numpy_function, compat.v1.py_func, raw_ops, ...).",
        why: "tf.keras looks the symbol up by name and calls it while it rebuilds the graph on load: the model deletes or writes \
              files, or runs Python, before any prediction is made.",
        example: "tf.math.add: TFOpLambda calls tf.io.gfile.rmtree on load",
        cves: &[],
    };

    TF_OP_UNLISTED = RuleDoc {
        code: "S111",
        name: "tf-op-unlisted",
        severity: Severity::Warning,
        summary: "A tf.keras TFOpLambda / SlicingOpLambda / ClassMethod layer names a TensorFlow symbol outside the pure tensor ops \
                  (math, array, nn, linalg, signal, image, strings, ...).",
        why: "tf.keras calls it on load; kerascope knows it neither as a pure tensor op nor as a file or code hazard: a person should look.",
        example: "tf.random.shuffle: TFOpLambda calls tf.random.shuffle on load (not a known pure tensor op)",
        cves: &[],
    };

    PICKLE_GLOBAL = RuleDoc {
        code: "S401",
        name: "pickle-global",
        severity: Severity::Error,
        summary: "A pickle stream (a file, or a model.weights.npz member) imports a callable other than NumPy's array \
                  reconstruction (posix.system, builtins.exec, subprocess.*, ...), or cannot be read to its end.",
        why: "Unpickling imports and calls what the stream names: loading runs that code. kerascope reads the opcodes \
              (GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE) without unpickling and names every import.",
        example: "pickle stream imports posix.system (STACK_GLOBAL)",
        cves: &[],
    };

    PICKLE_FILE = RuleDoc {
        code: "S402",
        name: "pickle-file",
        severity: Severity::Warning,
        summary: "The file is a Python pickle stream, not a Keras file (whatever its extension says).",
        why: "Keras never writes a bare pickle; tools that load it (pickle, joblib, Keras' old pickle support) unpickle it.",
        example: "a Python pickle stream (protocol 4) importing only numpy.ndarray",
        cves: &[],
    };

    POLYGLOT = RuleDoc {
        code: "S306",
        name: "polyglot",
        severity: Severity::Error,
        summary: "The bytes are an HDF5 file (or a pickle) and a zip archive at once (a .keras appended to an .h5).",
        why: "h5py and HDF5-based scanners see the HDF5 model; Keras' load_model asks zipfile.is_zipfile and loads the zip \
              (a .keras name, or a remote path): a scanner and the loader read two different models. Both views are audited.",
        example: "HDF5 file with a zip archive appended (3 members): Keras may load the zip view",
        cves: &[],
    };
}

/// Every security finding of a file.
pub fn check(file: &KerasFile) -> Vec<Finding> {
    let mut out = Vec::new();
    // Keras compiles a legacy HDF5 model from its `training_config` on load (the default),
    // deserializing its loss, metrics and optimizer: the same objects, the same checks. (In a
    // `.keras` archive the compile config is part of `config.json`.)
    let training = file
        .training_config
        .as_ref()
        .filter(|_| file.format == Format::LegacyH5Full);
    for (config, root) in file
        .model_config
        .iter()
        .map(|c| (c, None))
        .chain(training.map(|c| (c, Some("training_config"))))
    {
        let mut walker = ConfigWalk {
            path: Vec::new(),
            keys: root.into_iter().collect(),
            layer_keys: Vec::new(),
            code: vec![Vec::new()],
            out: &mut out,
        };
        walker.visit(config, 0);
        walker.flush_code();
    }
    hdf5_findings(file, &mut out);
    size_findings(file, &mut out);
    zip_findings(file, &mut out);
    pickle_findings(file, &mut out);
    if let Some(other) = &file.polyglot {
        out.push(Finding::new(
            &POLYGLOT,
            None,
            format!(
                "{} with a zip archive appended ({} members): Keras loads the zip view from a .keras name",
                file.format.describe(),
                other.zip_members.len()
            ),
        ));
        for mut finding in check(other) {
            finding.message = format!("zip view: {}", finding.message);
            out.push(finding);
        }
    }
    out
}

fn pickle_findings(file: &KerasFile, out: &mut Vec<Finding>) {
    for stream in &file.pickles {
        let in_npz = !stream.location.is_empty();
        let mut foreign: Vec<String> = Vec::new();
        for (name, opcode) in &stream.imports {
            let allowed = is_expected_pickle_global(name, in_npz);
            let text = format!("{name} ({opcode})");
            if !allowed && !foreign.contains(&text) {
                foreign.push(text);
            }
        }
        let place = if in_npz {
            format!("pickle in {}", stream.location)
        } else {
            "pickle stream".to_string()
        };
        if !foreign.is_empty() {
            out.push(Finding::new(
                &PICKLE_GLOBAL,
                None,
                format!("{place} imports {}", foreign.join(", ")),
            ));
        } else if let Some(error) = stream.error.as_ref().filter(|_| in_npz) {
            out.push(Finding::new(
                &PICKLE_GLOBAL,
                None,
                format!("{place} cannot be read to its end ({error}): what follows is not checked"),
            ));
        }
        if !in_npz && foreign.is_empty() {
            out.push(Finding::new(
                &PICKLE_FILE,
                None,
                format!(
                    "a Python pickle stream, not a Keras file (imports: {})",
                    if stream.imports.is_empty() {
                        "none".to_string()
                    } else {
                        stream
                            .imports
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
    }
}

/// Modules a serialized object may name without being foreign.
fn is_keras_module(module: &str) -> bool {
    ["keras", "tf_keras", "tensorflow", "tensorflow_addons"]
        .iter()
        .any(|root| {
            module == *root
                || module
                    .strip_prefix(root)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Model and layer classes Keras itself provides (beyond those a rule covers).
fn is_builtin_class(class: &str) -> bool {
    rule_for(class).is_some()
        || matches!(
            class,
            "Sequential"
                | "Functional"
                | "Model"
                | "InputLayer"
                | "TFSMLayer"
                | "TorchModuleWrapper"
        )
}

/// Functions that fetch files or load other models when named in a config.
const FETCHING_FUNCTIONS: &[&str] = &["get_file", "load_model", "load_weights"];

/// Layers whose config can point at a vocabulary file.
const LOOKUP_CLASSES: &[&str] = &["StringLookup", "IntegerLookup", "TextVectorization"];

/// Bound on the config walk's depth (serde_json already refuses nesting beyond 128).
const MAX_DEPTH: usize = 200;

struct ConfigWalk<'a, 'v> {
    /// Names of the layers (and nested models) enclosing the current object.
    path: Vec<String>,
    /// Keys from the root to the current object, and where the innermost layer entry began
    /// in them: what names the slot a code object sits in (`activation`, `compile_config.loss`).
    keys: Vec<&'v str>,
    layer_keys: Vec<usize>,
    /// Verdicts on the code objects of the root and of each enclosing layer entry: one
    /// finding per entry, the worst verdict deciding it, when the entry is left.
    code: Vec<Vec<(&'static RuleDoc, String)>>,
    out: &'a mut Vec<Finding>,
}

/// Keys of the layer-level slots that hold a Lambda layer's code.
const LAMBDA_SLOTS: &[&str] = &["function", "output_shape", "mask"];

/// Where an object sits, which decides whether it is a layer entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The root of the config: the model itself (not part of any layer path).
    Root,
    /// An element of a model's `layers` list, or a wrapper's `layer` / `backward_layer`, an
    /// RNN's `cell` / `cells`: a layer entry.
    Layer,
    /// Anything else: initializers, activations, dtype policies, compile config, values.
    Value,
}

/// Keys whose object value is a layer entry.
const LAYER_KEYS: &[&str] = &["layer", "backward_layer", "forward_layer", "cell"];
/// Keys whose list elements are layer entries.
const LAYER_LIST_KEYS: &[&str] = &["layers", "cells"];

impl<'v> ConfigWalk<'_, 'v> {
    fn layer(&self) -> Option<String> {
        (!self.path.is_empty()).then(|| self.path.join("/"))
    }

    fn push(&mut self, doc: &RuleDoc, message: String) {
        let layer = self.layer();
        self.out.push(Finding::new(doc, layer.as_deref(), message));
    }

    /// Records a verdict on one code object of the current entry.
    fn judge(&mut self, doc: &'static RuleDoc, text: String) {
        if let Some(bucket) = self.code.last_mut() {
            bucket.push((doc, text));
        }
    }

    /// The current entry's code verdicts as one finding: the worst decides, all are named.
    fn flush_code(&mut self) {
        let judged = self.code.pop().unwrap_or_default();
        let Some(worst) = judged
            .iter()
            .map(|(d, _)| *d)
            .max_by_key(|d| severity_rank(d))
        else {
            return;
        };
        let text: Vec<String> = judged.into_iter().map(|(_, t)| t).collect();
        self.push(worst, text.join("; "));
    }

    fn visit(&mut self, value: &'v Value, depth: usize) {
        self.visit_in(value, Slot::Root, depth);
    }

    fn visit_in(&mut self, value: &'v Value, slot: Slot, depth: usize) {
        if depth > MAX_DEPTH {
            return; // serde_json already bounds nesting (128); this only guards the walk.
        }
        match value {
            Value::Object(map) => {
                let class = map.get("class_name").and_then(Value::as_str);
                let config = map.get("config");
                let name = config
                    .and_then(|c| c.get("name"))
                    .and_then(Value::as_str)
                    .or_else(|| map.get("name").and_then(Value::as_str));
                let is_layer = slot == Slot::Layer && class.is_some();
                if is_layer {
                    self.path.push(name.unwrap_or("?").to_string());
                    self.layer_keys.push(self.keys.len());
                    self.code.push(Vec::new());
                }
                if let Some(class) = class {
                    self.check_object(class, map, is_layer || slot == Slot::Root);
                }
                for (key, child) in map {
                    if key == "config" && class == Some("Lambda") {
                        // Its code slots are judged together by check_lambda; the rest is
                        // walked (function references in output_shape or mask included).
                        if let Value::Object(config) = child {
                            self.keys.push(key);
                            for (k, v) in config {
                                let judged = k == "function"
                                    || (LAMBDA_SLOTS.contains(&k.as_str())
                                        && lambda_code_in(config, k).is_some());
                                if !judged {
                                    self.visit_child(k, v, depth + 1);
                                }
                            }
                            self.keys.pop();
                        }
                        continue;
                    }
                    self.visit_child(key, child, depth + 1);
                }
                if is_layer {
                    self.flush_code();
                    self.path.pop();
                    self.layer_keys.pop();
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.visit_in(v, slot, depth + 1)),
            Value::String(s) => self.check_string(s),
            _ => {}
        }
    }

    /// A member of an object: layer lists and wrapper slots hold layer entries; a model's
    /// `config` carries its `layers` through.
    fn visit_child(&mut self, key: &'v str, child: &'v Value, depth: usize) {
        // Keras 1 / early Keras 2 Sequential configs are the layer list itself.
        let sequential_list = key == "config" && child.is_array();
        let slot = if LAYER_LIST_KEYS.contains(&key) || LAYER_KEYS.contains(&key) || sequential_list
        {
            Slot::Layer
        } else {
            Slot::Value
        };
        self.keys.push(key);
        self.visit_in(child, slot, depth);
        self.keys.pop();
    }

    /// The slot the current object fills, relative to its layer (or to the root).
    fn slot(&self) -> String {
        let start = self.layer_keys.last().copied().unwrap_or(0);
        let parts: Vec<&str> = self.keys[start.min(self.keys.len())..]
            .iter()
            .copied()
            .filter(|k| !matches!(*k, "config" | "layers"))
            .collect();
        if parts.is_empty() {
            "value".into()
        } else {
            parts.join(".")
        }
    }

    /// A string anywhere in the config that names a fetching function.
    fn check_string(&mut self, s: &str) {
        let tail = match s.bytes().rposition(|b| b == b'.' || b == b'>') {
            Some(i) => &s[i + 1..],
            None => s,
        };
        if FETCHING_FUNCTIONS.contains(&tail) && (s.contains("keras") || s == tail) {
            self.push(&GET_FILE, format!("references {s}"));
        }
    }

    fn check_object(&mut self, class: &str, map: &serde_json::Map<String, Value>, is_layer: bool) {
        let config = map.get("config").unwrap_or(&Value::Null);
        let module = map.get("module").and_then(Value::as_str);
        match class {
            "Lambda" => self.check_lambda(config),
            "TFSMLayer" => {
                let path = config
                    .get("filepath")
                    .and_then(Value::as_str)
                    .unwrap_or("(no filepath)");
                self.push(
                    &TFSM_LAYER,
                    format!("TFSMLayer loads the SavedModel at {path}"),
                );
            }
            "TorchModuleWrapper" => self.push(
                &TORCH_MODULE,
                "TorchModuleWrapper: loading unpickles a torch module".into(),
            ),
            "__lambda__" => {
                // serialize_keras_object of a Python lambda: {"value": [code, defaults,
                // closure]}, or the Lambda layer's {"code": ...} form, in any slot Keras
                // deserializes a function from.
                let code = config
                    .get("code")
                    .or_else(|| config.get("value").and_then(|v| v.get(0)))
                    .and_then(Value::as_str);
                let slot = self.slot();
                let (doc, text) = match code {
                    Some(code) => judge_bytecode(code),
                    None => (
                        &LAMBDA_BYTECODE,
                        "a serialized Python lambda whose code could not be located".to_string(),
                    ),
                };
                self.judge(doc, format!("{slot}: Python lambda — {text}"));
                return;
            }
            "TFOpLambda" | "SlicingOpLambda" | "ClassMethod" => {
                let symbol = match class {
                    "ClassMethod" => format!(
                        "{}.{}",
                        config
                            .get("cls_symbol")
                            .and_then(Value::as_str)
                            .unwrap_or("?"),
                        config
                            .get("method_name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    ),
                    _ => config
                        .get("function")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                };
                match tf_symbol(&symbol) {
                    TfSymbol::Pure => {}
                    TfSymbol::FileOrCode => self.push(
                        &TF_OP_FILE_OR_CODE,
                        format!("{class} calls tf.{symbol} on load (files, processes or Python)"),
                    ),
                    TfSymbol::Unlisted => self.push(
                        &TF_OP_UNLISTED,
                        format!("{class} calls tf.{symbol} on load (not a known pure tensor op)"),
                    ),
                }
            }
            c if LOOKUP_CLASSES.contains(&c) => {
                for key in ["vocabulary", "idf_weights"] {
                    if let Some(path) = config.get(key).and_then(Value::as_str) {
                        self.push(&FILE_VOCABULARY, format!("{c} {key} read from {path}"));
                    }
                }
            }
            _ => {}
        }
        if class == "function" || class == "__function__" {
            let function = config.as_str().unwrap_or("?");
            match module {
                Some(m)
                    if is_keras_module(m)
                        && (m.ends_with(".config") || function.contains("unsafe")) =>
                {
                    self.push(&MODULE_FUNCTION, format!("calls {m}.{function} on load"));
                }
                Some(m) if is_keras_module(m) => {}
                Some(m) if is_dangerous_import(m, function) => self.push(
                    &FOREIGN_MODULE,
                    format!("function reference {m}.{function} (module outside Keras)"),
                ),
                Some(m) => self.push(
                    &CUSTOM_CLASS,
                    format!("custom function {function} from {m} (needs custom code to load)"),
                ),
                None => {}
            }
            return;
        }
        if let Some(module) = module.filter(|m| !is_keras_module(m)) {
            // Keras imports the module a config names. Objects Keras wrote for custom code
            // carry a registered_name; one without it, or any dangerous module, is the attack.
            let registered = map
                .get("registered_name")
                .and_then(Value::as_str)
                .is_some_and(|r| !r.is_empty());
            if is_dangerous_import(module, class) || !registered {
                self.push(
                    &FOREIGN_MODULE,
                    format!("{class} references module {module} (outside Keras)"),
                );
                if is_layer && !is_builtin_class(class) {
                    self.push(
                        &CUSTOM_CLASS,
                        format!("custom class {class} (needs custom code to load)"),
                    );
                }
            } else {
                self.push(
                    &CUSTOM_CLASS,
                    format!("custom class {class} from {module} (needs custom code to load)"),
                );
            }
            return;
        }
        if let Some(module) = module
            && is_layer
            && module.contains(".layers")
            && !is_builtin_class(class)
        {
            self.push(
                &FOREIGN_MODULE,
                format!("{class} claims Keras module {module}, which has no such layer"),
            );
            return;
        }
        if is_layer && !is_builtin_class(class) {
            self.push(
                &CUSTOM_CLASS,
                format!("custom class {class} (needs custom code to load)"),
            );
        }
    }

    /// Every code object a Lambda carries (function, output_shape, mask) is judged, with
    /// the layer's other code objects (see [`Self::flush_code`]).
    fn check_lambda(&mut self, config: &Value) {
        if let Some((doc, text)) = judge_function(config) {
            self.judge(doc, text);
        }
        for slot in ["output_shape", "mask"] {
            if let Some(code) = config.as_object().and_then(|c| lambda_code_in(c, slot)) {
                let (doc, text) = judge_bytecode(code);
                self.judge(doc, format!("{slot}: {text}"));
            }
        }
    }
}

/// Orders S101 (dangerous or undecodable) over S102 (module function) over S109.
fn severity_rank(doc: &RuleDoc) -> (Severity, bool) {
    (doc.severity, doc.code == LAMBDA_BYTECODE.code)
}

/// The base64 (or Keras 1 raw) bytecode a Lambda slot holds, in any Keras form: Keras 3
/// `{"class_name": "__lambda__", "config": {"code" | "value"}}`, or Keras 1/2 `[code,
/// defaults, closure]` / a string with `<slot>_type` "lambda" (`function_type` for the
/// function).
fn lambda_code_in<'a>(config: &'a serde_json::Map<String, Value>, slot: &str) -> Option<&'a str> {
    let value = config.get(slot)?;
    if value.get("class_name").and_then(Value::as_str) == Some("__lambda__") {
        let inner = value.get("config")?;
        return inner
            .get("code")
            .or_else(|| inner.get("value").and_then(|v| v.get(0)))
            .and_then(Value::as_str);
    }
    let kind = config.get(&format!("{slot}_type")).and_then(Value::as_str);
    if kind != Some("lambda") {
        return None;
    }
    match value {
        Value::Array(parts) => parts.first().and_then(Value::as_str),
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// The Lambda's `function` slot.
fn judge_function(config: &Value) -> Option<(&'static RuleDoc, String)> {
    let function = config.get("function").unwrap_or(&Value::Null);
    let function_type = config.get("function_type").and_then(Value::as_str);
    if let Some(code) = config
        .as_object()
        .and_then(|c| lambda_code_in(c, "function"))
    {
        let (doc, text) = judge_bytecode(code);
        return Some((doc, format!("function: {text}")));
    }
    // Keras 3 module function: {"module", "class_name": "function", "config": "name"}.
    if function.get("class_name").and_then(Value::as_str) == Some("function") {
        let module = function
            .get("module")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let name = function
            .get("config")
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Some((
            &MODULE_FUNCTION,
            format!("Lambda calls {module}.{name} on load"),
        ));
    }
    match (function_type, function) {
        (Some("function"), Value::String(name)) => {
            let module = config.get("module").and_then(Value::as_str).unwrap_or("?");
            Some((
                &MODULE_FUNCTION,
                format!("Lambda calls {module}.{name} on load"),
            ))
        }
        // Keras 1/2 without function_type: the code itself.
        (_, Value::Array(parts)) => parts.first().and_then(Value::as_str).map(|code| {
            let (doc, text) = judge_bytecode(code);
            (doc, format!("function: {text}"))
        }),
        (_, Value::String(code)) => {
            let (doc, text) = judge_bytecode(code);
            Some((doc, format!("function: {text}")))
        }
        _ => Some((
            &LAMBDA_BYTECODE,
            "Lambda layer (its function could not be located in the config)".into(),
        )),
    }
}

/// Decodes marshalled bytecode and judges it: dangerous names or undecodable → S101.
fn judge_bytecode(code: &str) -> (&'static RuleDoc, String) {
    match decode_lambda_text(code) {
        Ok(summary) => {
            let dangerous = marshal::dangerous_names(&summary);
            let mut text = format!(
                "Lambda bytecode from {}, function {}",
                summary.filename.as_deref().unwrap_or("?"),
                summary
                    .qualname
                    .as_deref()
                    .or(summary.name.as_deref())
                    .unwrap_or("?")
            );
            if !summary.names.is_empty() {
                text.push_str(&format!(", references {}", summary.names.join(", ")));
            }
            let strings: Vec<&String> = summary.string_constants.iter().take(5).collect();
            if !strings.is_empty() {
                text.push_str(&format!(", strings {strings:?}"));
            }
            if let Some(python) = &summary.python {
                text.push_str(&format!(" (Python {python})"));
            }
            if dangerous.is_empty() {
                (&LAMBDA_CODE, text)
            } else {
                text.push_str(&format!(" — dangerous: {}", dangerous.join(", ")));
                (&LAMBDA_BYTECODE, text)
            }
        }
        Err(e) => (
            &LAMBDA_BYTECODE,
            format!(
                "Lambda bytecode ({} bytes) that could not be decoded: {e}",
                code.len()
            ),
        ),
    }
}

/// Keras 2/3 store `base64(marshal)`; Keras 1 stored the raw marshal bytes as a string whose
/// characters are the bytes (`raw_unicode_escape`).
fn decode_lambda_text(code: &str) -> Result<marshal::CodeSummary, marshal::MarshalError> {
    let looks_base64 = code.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r' | b' ')
    });
    if looks_base64 {
        return marshal::decode_keras_lambda(code);
    }
    let raw: Option<Vec<u8>> = code
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    match raw {
        Some(bytes) => marshal::decode_code(&bytes),
        None => marshal::decode_keras_lambda(code),
    }
}

fn hdf5_findings(file: &KerasFile, out: &mut Vec<Finding>) {
    for hazard in &file.hdf5_hazards {
        let (doc, message) = match hazard {
            Hdf5Hazard::ExternalStorage { path, files } => (
                &EXTERNAL_STORAGE,
                format!(
                    "/{path} stores its data in external file(s) {} (never opened)",
                    files.join(", ")
                ),
            ),
            Hdf5Hazard::ExternalLink { path, file, target } => (
                &EXTERNAL_LINK,
                format!("/{path} links to {target} in file {file} (never followed)"),
            ),
            Hdf5Hazard::SoftLink { path, target } => {
                (&SOFT_LINK, format!("/{path} is a soft link to {target}"))
            }
            Hdf5Hazard::VirtualDataset { path } => (
                &VIRTUAL_DATASET,
                format!("/{path} is a virtual dataset (never resolved)"),
            ),
            Hdf5Hazard::Alias {
                path,
                first_seen_at,
            } => (
                &ALIASED_OBJECT,
                format!("/{path} is the object first seen at /{first_seen_at}"),
            ),
        };
        out.push(Finding::new(doc, None, message));
    }
}

/// Keras 3.15 refuses datasets over 4 GiB, or over 1000× the bytes the file stores for them.
const MAX_DECLARED_BYTES: u64 = 4 << 30;
const MAX_DECLARED_RATIO: u64 = 1000;

fn size_findings(file: &KerasFile, out: &mut Vec<Finding>) {
    for t in &file.tensors {
        let Some(element) = dtype_size(&t.dtype) else {
            continue;
        };
        let declared = t.elements().and_then(|n| n.checked_mul(element));
        let stored = t.stored_bytes;
        let bomb = match (declared, stored) {
            (None, _) => true,
            (Some(d), _) if d > MAX_DECLARED_BYTES => true,
            (Some(d), Some(s)) => d > 1 << 20 && d > s.saturating_mul(MAX_DECLARED_RATIO),
            (Some(_), None) => false,
        };
        if bomb {
            let declared_text = declared
                .map(crate::text::keras_bytes)
                .unwrap_or_else(|| "more than 2^64 bytes".into());
            let ratio = match (declared, stored) {
                (Some(d), Some(s)) if s > 0 => format!(" ({}× the stored bytes)", d / s),
                _ => String::new(),
            };
            out.push(Finding::new(
                &SIZE_BOMB,
                t.layer.as_deref(),
                format!(
                    "/{} declares {} {} = {declared_text} in {} stored bytes{ratio}",
                    t.path,
                    crate::text::tuple(&t.shape),
                    t.dtype,
                    stored.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                ),
            ));
        }
    }
}

/// Members a `.keras` archive holds.
fn expected_member(name: &str) -> bool {
    matches!(
        name,
        "config.json" | "metadata.json" | "model.weights.h5" | "model.weights.npz"
    ) || name.starts_with("assets/")
        || name.starts_with("assets\\")
        || name == "assets"
}

/// Extensions of code, executables and pickles.
const SUSPICIOUS_EXTENSIONS: &[&str] = &[
    ".pkl", ".pickle", ".joblib", ".py", ".pyc", ".so", ".dll", ".dylib", ".exe", ".sh", ".bat",
    ".ps1", ".jar", ".pt", ".pth",
];

const ZIP_MAX_DECLARED: u64 = 4 << 30;
const ZIP_MAX_RATIO: u64 = 1000;

fn zip_findings(file: &KerasFile, out: &mut Vec<Finding>) {
    if file.zip_members.is_empty() {
        return;
    }
    for m in &file.zip_members {
        if escapes(&m.name) {
            out.push(Finding::new(
                &ZIP_TRAVERSAL,
                None,
                format!("member {} escapes the archive", m.name),
            ));
        }
        if let Some(message) = bomb(m) {
            out.push(Finding::new(&ZIP_BOMB, None, message));
        }
        let lower = m.name.to_lowercase();
        if SUSPICIOUS_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
            out.push(Finding::new(
                &ZIP_UNEXPECTED,
                None,
                format!("member {} is code, an executable or a pickle", m.name),
            ));
        } else if !expected_member(&m.name) {
            out.push(Finding::new(
                &ZIP_UNEXPECTED,
                None,
                format!("member {} is not part of a .keras archive", m.name),
            ));
        }
    }
    for name in &file.zip_duplicate_names {
        out.push(Finding::new(
            &ZIP_DUPLICATE,
            None,
            format!(
                "member {name} appears more than once: tools disagree about which copy they read"
            ),
        ));
    }
    let version = file
        .metadata
        .as_ref()
        .and_then(|m| m.get("keras_version"))
        .and_then(Value::as_str);
    if file.metadata.is_none() {
        out.push(Finding::new(
            &ZIP_METADATA,
            None,
            "metadata.json is missing",
        ));
    } else if version.is_none() {
        out.push(Finding::new(
            &ZIP_METADATA,
            None,
            "metadata.json names no keras_version",
        ));
    }
}

fn escapes(name: &str) -> bool {
    let normalized = name.replace('\\', "/");
    normalized.starts_with('/')
        || normalized.split('/').any(|part| part == "..")
        || normalized.as_bytes().get(1) == Some(&b':')
}

fn bomb(m: &ZipMember) -> Option<String> {
    let ratio = m.size / m.compressed_size.max(1);
    if m.size > ZIP_MAX_DECLARED {
        return Some(format!(
            "member {} declares {}",
            m.name,
            crate::text::keras_bytes(m.size)
        ));
    }
    if !m.is_stored() && m.size > 1 << 20 && ratio > ZIP_MAX_RATIO {
        return Some(format!(
            "member {} expands {ratio}× to {} bytes",
            m.name, m.size
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_roots_are_matched_whole() {
        assert!(is_keras_module("keras.src.layers.core.dense"));
        assert!(is_keras_module("tf_keras"));
        assert!(!is_keras_module("kerasx"));
        assert!(!is_keras_module("os"));
        assert!(!is_keras_module("builtins"));
    }

    #[test]
    fn legacy_training_config_is_audited_like_the_model_config() {
        let loss = serde_json::json!({
            "loss": {"module": "os", "class_name": "function", "config": "system",
                     "registered_name": "system"},
            "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}}
        });
        let mut file = KerasFile::new(Format::LegacyH5Full);
        file.training_config = Some(loss.clone());
        let codes: Vec<&str> = check(&file).iter().map(|f| f.code).collect();
        assert!(codes.contains(&"S103"), "{codes:?}");
        // A `.keras` archive's compile config lives in config.json, walked once there.
        let mut archive = KerasFile::new(Format::KerasZip);
        archive.training_config = Some(loss);
        assert!(check(&archive).is_empty());
    }

    #[test]
    fn traversal_names() {
        for bad in ["../x", "a/../../b", "/etc/passwd", "C:\\\\x", "..\\\\x"] {
            assert!(escapes(bad), "{bad}");
        }
        for good in [
            "config.json",
            "assets/layers/string_lookup/vocabulary.txt",
            "a..b",
        ] {
            assert!(!escapes(good), "{good}");
        }
    }
}
