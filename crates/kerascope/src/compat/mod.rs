//! Will it load? Whether a target Keras loads a file, and every blocker: the class, key or
//! module at fault, the error Keras raises for it (worded as Keras words it), and whether it
//! can be fixed without changing what the model computes.
//!
//! The facts about each target (signatures, registries, modules) are data read from Keras by
//! `scripts/make_compat.py` ([`knowledge`]); the code here follows the two loading paths of
//! Keras 3 as its source does:
//! - entries without a `"module"` key (legacy `.h5`, Keras ≤ 2.12 configs) go through
//!   `keras/src/legacy/saving/saving_utils.model_from_config`: the class is looked up by name
//!   in `keras.layers`, `batch_input_shape` and one-item `axis` lists are converted, Keras 2
//!   Lambda keys dropped;
//! - entries with a `"module"` (`.keras` archives, tf.keras ≥ 2.13 configs) and every layer a
//!   wrapper holds go through `keras/src/saving/serialization_lib.deserialize_keras_object`:
//!   the class is found through its module, nothing is converted.
//!
//! Either way the config then meets the class's `__init__`, which refuses unknown keywords.

pub mod knowledge;

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::audit::{Finding, RuleDoc, Severity};
use crate::format::{Format, KerasFile, TensorRole};
use knowledge::{Index, for_target, keras2_default};

/// The Keras that is to load the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Target {
    /// Keras 3 (the facts are from Keras 3.15.1).
    #[serde(rename = "keras3")]
    Keras3,
    /// tf_keras, the Keras 2 line kept for TensorFlow (facts from tf_keras 2.21).
    #[serde(rename = "tf-keras")]
    TfKeras,
}

impl Target {
    /// The target with its version, for people (`Keras 3.15.1`, `tf_keras 2.21.0`).
    pub fn describe(self) -> String {
        let version = &for_target(self).facts.version;
        match self {
            Target::Keras3 => format!("Keras {version}"),
            Target::TfKeras => format!("tf_keras {version}"),
        }
    }
}

/// Whether the target loads the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// The target loads the file.
    Loads,
    /// The target refuses the file: see the blockers.
    Fails,
    /// Weights without an architecture: `load_model` refuses every such file ("No model
    /// config found"); `load_weights` into a model built in code is the way.
    NotAModel,
}

/// Why a file will not load. Each code is one registered finding ([`Code::doc`]); it
/// serializes as its text (`"C101"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// C101: a class the target does not have (removed, renamed, or custom).
    UnknownClass,
    /// C102: a config key the class's `__init__` no longer (or not yet) accepts.
    UnrecognizedArgument,
    /// C103: a `module` path the target cannot import (`keras.src.engine.functional`).
    ModuleNotFound,
    /// C104: a layer inside a wrapper saved without a `module`, which Keras 3 needs to find it.
    NestedWithoutModule,
    /// C105: a Lambda holding Python bytecode, refused in safe mode.
    LambdaSafeMode,
    /// C106: an argument the class requires is missing (Keras 1 names).
    MissingArgument,
    /// C107: an `axis` saved as a list where the class wants an int (`.keras` path).
    AxisList,
    /// C108: a call of a nested model numbered the Keras 2 way (its first call is node 1).
    NestedModelNode,
    /// C109: an RNN given its initial state as extra input tensors of the same call.
    RnnExtraInputs,
    /// C110: weights stored under group names the target does not look for.
    WeightsLayout,
    /// C111: the file name's extension routes it to the wrong loader.
    FileName,
    /// C112: a Keras 2.0 Sequential config (a bare list of layers), which Keras 3's legacy
    /// loader treats as a dict.
    SequentialList,
    /// C113: a Keras <= 2.3 Sequential without an InputLayer: Keras 3 reads the first layer's
    /// `batch_input_shape` as `input_shape`, one dimension too many.
    ExtraDimension,
    /// C114: a layer with an integer dtype whose initializer draws floats (tf_keras).
    IntegerDtype,
    /// C115: an initializer, regularizer, constraint or activation the target cannot rebuild
    /// (an unknown name, a key its class no longer takes such as an initializer's `dtype`).
    ObjectNotDeserializable,
    /// C116: a layer `dtype` saved as a policy object the target does not read (tf.keras
    /// mixed precision `Policy`).
    DtypePolicy,
}

impl Code {
    /// The code's registered documentation.
    pub fn doc(self) -> &'static RuleDoc {
        match self {
            Code::UnknownClass => &UNKNOWN_CLASS,
            Code::UnrecognizedArgument => &UNRECOGNIZED_ARGUMENT,
            Code::ModuleNotFound => &MODULE_NOT_FOUND,
            Code::NestedWithoutModule => &NESTED_WITHOUT_MODULE,
            Code::LambdaSafeMode => &LAMBDA_SAFE_MODE,
            Code::MissingArgument => &MISSING_ARGUMENT,
            Code::AxisList => &AXIS_LIST,
            Code::NestedModelNode => &NESTED_MODEL_NODE,
            Code::RnnExtraInputs => &RNN_EXTRA_INPUTS,
            Code::WeightsLayout => &WEIGHTS_LAYOUT,
            Code::FileName => &FILE_NAME,
            Code::SequentialList => &SEQUENTIAL_LIST,
            Code::ExtraDimension => &EXTRA_DIMENSION,
            Code::IntegerDtype => &INTEGER_DTYPE,
            Code::ObjectNotDeserializable => &OBJECT_NOT_DESERIALIZABLE,
            Code::DtypePolicy => &DTYPE_POLICY,
        }
    }

    /// The code's text (`C101`).
    pub fn as_str(self) -> &'static str {
        self.doc().code
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

// The blockers as finding codes (`check --target`): errors, since the target refuses the file.
// The examples are messages kerascope gives on fixtures/compat and the shared corpus (long
// ones abridged).
crate::audit::findings! {
    /// C101: see [`Code::UnknownClass`].
    UNKNOWN_CLASS = RuleDoc {
        code: "C101",
        name: "unknown-class",
        severity: Severity::Error,
        summary: "A layer class the target Keras does not have (removed, renamed, or custom).",
        why: "The target cannot find the class by name or module: loading stops with its error.",
        example: "Keras 3.15.1 will not load it: Unknown layer: 'CuDNNLSTM'. Please ensure you are using a `keras.utils.custom_object_scope` and that this object is included in the scope. [...] (fixable: map to LSTM / GRU (reset_after) with the weights converted as Keras 2 did when loading CuDNN weights)",
        cves: &[],
    };

    /// C102: see [`Code::UnrecognizedArgument`].
    UNRECOGNIZED_ARGUMENT = RuleDoc {
        code: "C102",
        name: "unrecognized-argument",
        severity: Severity::Error,
        summary: "A config key the class's __init__ in the target no longer (or not yet) accepts.",
        why: "The target passes every saved key to the class, which refuses unknown keywords.",
        example: "Keras 3.15.1 will not load it: Unrecognized keyword arguments passed to LSTM: {'time_major': False} (fixable: remove time_major (False is what Keras 3 does))",
        cves: &[],
    };

    /// C103: see [`Code::ModuleNotFound`].
    MODULE_NOT_FOUND = RuleDoc {
        code: "C103",
        name: "module-not-found",
        severity: Severity::Error,
        summary: "A serialized object names a module the target cannot import (keras.src.engine.functional).",
        why: "Keras 3 finds a class through its saved module; a module of another Keras version does not exist there.",
        example: "Keras 3.15.1 will not load it: Could not deserialize class 'Functional' because its parent module keras.src.engine.functional cannot be imported. (fixable: point the module at the target's own (e.g. keras.src.models.functional))",
        cves: &[],
    };

    /// C104: see [`Code::NestedWithoutModule`].
    NESTED_WITHOUT_MODULE = RuleDoc {
        code: "C104",
        name: "nested-without-module",
        severity: Severity::Error,
        summary: "A layer inside a wrapper (Bidirectional, TimeDistributed) saved without the module Keras 3 needs to find it.",
        why: "Keras 3 deserializes wrapped layers by module, even in a legacy .h5 file: without one it cannot locate the class.",
        example: "Keras 3.15.1 will not load it: Could not locate class 'Dense'. Make sure custom classes and functions are decorated with `@keras.saving.register_keras_serializable()`. [...] (fixable: add the module Keras 3 expects (\"keras.layers\") to the wrapped layer's config)",
        cves: &[],
    };

    /// C105: see [`Code::LambdaSafeMode`].
    LAMBDA_SAFE_MODE = RuleDoc {
        code: "C105",
        name: "lambda-safe-mode",
        severity: Severity::Error,
        summary: "A Lambda layer holding Python bytecode, which the target refuses in safe mode (the default).",
        why: "Loading runs code stored in the file; Keras 3 loads it only with safe_mode=False.",
        example: "Keras 3.15.1 will not load it: Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. [...] (not fixable: a Lambda runs code stored in the file: rewrite it as a built-in or registered layer, or load with safe_mode=False if you trust the file)",
        cves: &[],
    };

    /// C106: see [`Code::MissingArgument`].
    MISSING_ARGUMENT = RuleDoc {
        code: "C106",
        name: "missing-argument",
        severity: Severity::Error,
        summary: "An argument the class requires is missing from the config (a Keras 1 config names it otherwise).",
        why: "The class's __init__ cannot be called without it.",
        example: "Keras 3.15.1 will not load it: Dense.__init__() missing 1 required positional argument: 'units' (not fixable: a Keras 1 config: its arguments have other names (output_dim, nb_filter, init...) and must be translated)",
        cves: &[],
    };

    /// C107: see [`Code::AxisList`].
    AXIS_LIST = RuleDoc {
        code: "C107",
        name: "axis-list",
        severity: Severity::Error,
        summary: "An axis saved as a one-item list where the class wants an int, on the .keras path.",
        why: "Only the legacy .h5 loader converts the list; a .keras archive passes it to the class as saved.",
        example: "Keras 3.15.1 will not load it: int() argument must be a string, a bytes-like object or a real number, not 'list' (axis=[3]) (fixable: store the one axis as an int, as the legacy loader does)",
        cves: &[],
    };

    /// C108: see [`Code::NestedModelNode`].
    NESTED_MODEL_NODE = RuleDoc {
        code: "C108",
        name: "nested-model-node",
        severity: Severity::Error,
        summary: "A call of a nested model numbered the Keras 2 way (its first call is node 1).",
        why: "Keras 3 numbers a model's calls from 0: the node is never found and the graph cannot be rebuilt.",
        example: "Keras 3.15.1 will not load it: Invalid Functional model configuration. The graph of the Functional model either has loops or disconnected nodes. [...] (fixable: renumber the calls of the nested model from 0 (Keras 2 counted the model's own input node first))",
        cves: &[],
    };

    /// C109: see [`Code::RnnExtraInputs`].
    RNN_EXTRA_INPUTS = RuleDoc {
        code: "C109",
        name: "rnn-extra-inputs",
        severity: Severity::Error,
        summary: "A recurrent layer given its initial state as extra input tensors of the same call.",
        why: "Keras 3 takes the state only as the initial_state keyword: the layer receives more inputs than it expects.",
        example: "Keras 3.15.1 will not load it: Layer \"lstm_3\" expects 1 input(s), but it received 3 input tensors. (not fixable: the call would have to be rewritten in Keras 3's node form with the state tensors as the initial_state keyword (with their shapes); upgrade does not do it)",
        cves: &[],
    };

    /// C110: see [`Code::WeightsLayout`].
    WEIGHTS_LAYOUT = RuleDoc {
        code: "C110",
        name: "weights-layout",
        severity: Severity::Error,
        summary: "Weights stored under group names the target does not look for (tf.keras 2.13/2.14 _layer_checkpoint_dependencies).",
        why: "The target finds no variables for the layer: loading fails, or the layer keeps its initial values.",
        example: "Keras 3.15.1 will not load it: Layer 'dense_10' expected its variables under _layer_checkpoint_dependencies/dense_1, which the file does not have: it received 0 variables during loading. (not fixable: the weight groups would have to be renamed as Keras 3 names them (class, then rank); upgrade does not do it)",
        cves: &[],
    };

    /// C111: see [`Code::FileName`].
    FILE_NAME = RuleDoc {
        code: "C111",
        name: "file-name",
        severity: Severity::Error,
        summary: "The file name's extension sends the file to the wrong loader (an HDF5 file named .keras, no extension).",
        why: "Keras 3 picks the loader by extension, not by content.",
        example: "Keras 3.15.1 will not load it: File not found: filepath=model.keras. Please ensure the file is an accessible `.keras` zip file. (fixable: rename the file to end in .h5 (it is a legacy HDF5 model))",
        cves: &[],
    };

    /// C112: see [`Code::SequentialList`].
    SEQUENTIAL_LIST = RuleDoc {
        code: "C112",
        name: "sequential-list",
        severity: Severity::Error,
        summary: "A Keras 2.0 Sequential config: a bare list of layers.",
        why: "Keras 3's legacy loader treats the config as a dict and fails on the list.",
        example: "Keras 3.15.1 will not load it: pop expected at most 1 argument, got 2 (fixable: wrap the list of layers as {\"name\": ..., \"layers\": [...]}, the form Keras 2.1+ wrote)",
        cves: &[],
    };

    /// C113: see [`Code::ExtraDimension`].
    EXTRA_DIMENSION = RuleDoc {
        code: "C113",
        name: "extra-dimension",
        severity: Severity::Error,
        summary: "A Keras <= 2.3 Sequential without an InputLayer: Keras 3 reads the first layer's batch_input_shape as input_shape.",
        why: "The input gets one dimension too many and the first layer refuses it.",
        example: "Keras 3.15.1 will not load it: Input 0 of layer 'lstm_1' is incompatible with the layer: batch_input_shape [None, 40, 23] is read as input_shape, so the input gets one dimension too many (None, None, 40, 23) (fixable: put an InputLayer with batch_shape first, as Keras 2.4+ wrote it)",
        cves: &[],
    };

    /// C114: see [`Code::IntegerDtype`].
    INTEGER_DTYPE = RuleDoc {
        code: "C114",
        name: "integer-dtype",
        severity: Severity::Error,
        summary: "A layer with an integer dtype whose initializer draws floats (tf_keras).",
        why: "tf_keras builds the variables in the layer's dtype and cannot convert the initial floats.",
        example: "tf_keras 2.21.0 will not load it: Cannot convert -0.05 to EagerTensor of dtype int32 (fixable: set the layer's dtype to float32 (the inputs stay integers))",
        cves: &[],
    };

    /// C115: see [`Code::ObjectNotDeserializable`].
    OBJECT_NOT_DESERIALIZABLE = RuleDoc {
        code: "C115",
        name: "object-not-deserializable",
        severity: Severity::Error,
        summary: "An initializer, regularizer, constraint or activation the target cannot rebuild (an unknown name, a key its class no longer takes).",
        why: "The layer's config cannot be deserialized, so the layer cannot be built.",
        example: "Keras 3.15.1 will not load it: <class 'keras.src.initializers.random_initializers.GlorotUniform'> could not be deserialized properly. [...] (fixable: remove dtype from the initializer's config)",
        cves: &[],
    };

    /// C116: see [`Code::DtypePolicy`].
    DTYPE_POLICY = RuleDoc {
        code: "C116",
        name: "dtype-policy",
        severity: Severity::Error,
        summary: "A layer dtype saved as a policy object the target does not read (tf.keras mixed-precision Policy).",
        why: "The target takes the object for a dtype name and fails on it.",
        example: "Keras 3.15.1 will not load it: 'str' object has no attribute 'quantization_mode' (fixable: save the policy's name (e.g. \"mixed_float16\") as the dtype, or as a DTypePolicy object)",
        cves: &[],
    };
}

/// One reason the target refuses the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocker {
    /// What kind of blocker it is.
    pub code: Code,
    /// The layer (its name in the config), when one is at fault.
    pub layer: Option<String>,
    /// The config key, class or module at fault.
    pub key: Option<String>,
    /// The error the target raises for it, worded as it words it.
    pub message: String,
    /// Whether the file can be rewritten so that the target loads it and computes the same.
    pub fixable: bool,
    /// How (or why not).
    pub fix: String,
}

/// The answer for one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Whether the target loads the file.
    pub verdict: Verdict,
    /// In the order the target's loader meets them: the first is the error it raises.
    pub blockers: Vec<Blocker>,
}

/// The blockers as `check` findings (`check --target`), errors: the file will not load.
pub fn findings(file: &KerasFile, path: &Path, target: Target) -> Vec<Finding> {
    assess(file, path, target)
        .blockers
        .into_iter()
        .map(|b| {
            Finding::new(
                b.code.doc(),
                b.layer.as_deref(),
                format!(
                    "{} will not load it: {} ({}: {})",
                    target.describe(),
                    b.message,
                    if b.fixable { "fixable" } else { "not fixable" },
                    b.fix
                ),
            )
        })
        .collect()
}

/// How the target reaches a config entry (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// By class name, with the legacy loader's conversions.
    Legacy,
    /// Through `serialization_lib`: by module, as saved.
    Serialized,
}

/// Whether `target` loads `file` (read from `path`, whose name `load_model` dispatches on).
pub fn assess(file: &KerasFile, path: &Path, target: Target) -> Assessment {
    let mut checker = Checker {
        target,
        index: for_target(target),
        archive: file.format == Format::KerasZip,
        blockers: Vec::new(),
    };
    let Some(config) = file.model_config.as_ref() else {
        let verdict = match file.format {
            Format::KerasZip | Format::LegacyH5Full => Verdict::Fails,
            _ => Verdict::NotAModel,
        };
        if verdict == Verdict::NotAModel {
            return Assessment {
                verdict,
                blockers: Vec::new(),
            };
        }
        checker.push(
            Code::UnknownClass,
            None,
            None,
            "No model config found in the file.".into(),
            false,
            "the file holds no architecture: build the model in code and load the weights",
        );
        return checker.finish();
    };
    checker.file_name(path);
    let route = if checker.archive {
        Route::Serialized
    } else {
        // load_model_from_hdf5 → model_from_config: the top level by class name.
        Route::Legacy
    };
    checker.entry(config, route, None);
    if target == Target::TfKeras && checker.archive {
        checker.weights_layout(file);
    }
    if target == Target::Keras3 && checker.archive {
        checker.checkpoint_names(file);
    }
    checker.finish()
}

struct Checker {
    target: Target,
    index: &'static Index,
    archive: bool,
    blockers: Vec<Blocker>,
}

const MODEL_CLASSES: [&str; 3] = ["Sequential", "Functional", "Model"];

/// Layers whose `call` takes one input tensor and the initial state as a keyword.
const RNN_CLASSES: [&str; 9] = [
    "RNN",
    "SimpleRNN",
    "GRU",
    "LSTM",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "CuDNNGRU",
    "CuDNNLSTM",
];

impl Checker {
    fn push(
        &mut self,
        code: Code,
        layer: Option<&str>,
        key: Option<&str>,
        message: String,
        fixable: bool,
        fix: &str,
    ) {
        self.blockers.push(Blocker {
            code,
            layer: layer.map(str::to_string),
            key: key.map(str::to_string),
            message,
            fixable,
            fix: fix.to_string(),
        });
    }

    fn finish(self) -> Assessment {
        let verdict = if self.blockers.is_empty() {
            Verdict::Loads
        } else {
            Verdict::Fails
        };
        Assessment {
            verdict,
            blockers: self.blockers,
        }
    }

    /// `load_model` picks the loader by the name (Keras 3: `.keras` + zip, `.h5`/`.hdf5`);
    /// tf_keras by the content for HDF5.
    fn file_name(&mut self, path: &Path) {
        let name = path.to_string_lossy();
        let zip = self.archive;
        let message = match self.target {
            Target::Keras3 if name.ends_with(".keras") && !zip => format!(
                "File not found: filepath={name}. Please ensure the file is an accessible `.keras` zip file."
            ),
            Target::Keras3 if zip && name.ends_with(".keras") => return,
            Target::Keras3 if !zip && (name.ends_with(".h5") || name.ends_with(".hdf5")) => return,
            Target::Keras3 => format!(
                "File format not supported: filepath={name}. Keras 3 only supports V3 `.keras` files, legacy H5 format files (`.h5` extension)."
            ),
            Target::TfKeras if !zip || name.ends_with(".keras") => return,
            Target::TfKeras => format!("Unable to load a zip archive not named `.keras`: {name}"),
        };
        let fix = if zip {
            "rename the file to end in .keras"
        } else {
            "rename the file to end in .h5 (it is a legacy HDF5 model)"
        };
        self.push(Code::FileName, None, None, message, true, fix);
    }

    /// One serialized object `{"class_name", "config", "module"?}` standing for a layer or model.
    fn entry(&mut self, entry: &Value, route: Route, name_hint: Option<&str>) {
        let Some(class) = entry.get("class_name").and_then(Value::as_str) else {
            return;
        };
        let config = entry.get("config");
        let name = config
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .or_else(|| entry.get("name").and_then(Value::as_str))
            .or(name_hint)
            .map(str::to_string);
        let name = name.as_deref();
        if !self.resolve(entry, class, route, name) {
            self.tf_op(entry, class);
            return;
        }
        if MODEL_CLASSES.contains(&class) {
            self.model(class, config, route, name);
            return;
        }
        let Some(config) = config.and_then(Value::as_object) else {
            return;
        };
        self.lambda(class, config, route, name);
        self.integer_dtype(config, name);
        self.dtype_policy(config, name);
        self.objects(config, route, name);
        self.arguments(class, config, route, name);
        self.wrapped(class, config, name);
    }

    /// Whether the target finds the class; a blocker when not.
    fn resolve(&mut self, entry: &Value, class: &str, route: Route, layer: Option<&str>) -> bool {
        if route == Route::Legacy {
            if self.index.layer(class).is_some() {
                return true;
            }
            let message = format!(
                "Unknown layer: '{class}'. Please ensure you are using a `keras.utils.custom_object_scope` and that this object is included in the scope. See https://www.tensorflow.org/guide/keras/save_and_serialize#registering_the_custom_object for details."
            );
            let (fixable, fix) = removed_class_fix(class);
            self.push(
                Code::UnknownClass,
                layer,
                Some(class),
                message,
                fixable,
                fix,
            );
            return false;
        }
        let locate = format!(
            "Could not locate class '{class}'. Make sure custom classes and functions are decorated with `@keras.saving.register_keras_serializable()`. If they are already decorated, make sure they are all imported so that the decorator is run before trying to load them."
        );
        let module = match entry.get("module") {
            None => {
                // A module-less layer the legacy loader would find, inside a wrapper.
                let known = self.index.layer(class).is_some();
                let fix = if known {
                    "add the module Keras 3 expects (\"keras.layers\") to the wrapped layer's config"
                } else {
                    "a custom class: load it with custom_objects"
                };
                self.push(
                    Code::NestedWithoutModule,
                    layer,
                    Some(class),
                    locate,
                    known,
                    fix,
                );
                return false;
            }
            Some(Value::String(m)) => m.as_str(),
            Some(_) => {
                self.push(
                    Code::UnknownClass,
                    layer,
                    Some(class),
                    locate,
                    false,
                    "a custom class: load it with custom_objects",
                );
                return false;
            }
        };
        // tf_keras reads a config's `keras.X` module as `tf_keras.X`.
        let (package, rest) = module.split_once('.').unwrap_or((module, ""));
        if package == "keras"
            && (self.index.has_api(&format!("{module}.{class}"))
                || self.index.has_op(&format!("{module}.{class}")))
        {
            return true;
        }
        let keras_owned = matches!(package, "keras" | "keras_hub" | "keras_cv" | "keras_nlp");
        if !keras_owned {
            self.push(
                Code::UnknownClass,
                layer,
                Some(class),
                locate,
                false,
                "a custom class: load it with custom_objects",
            );
            return false;
        }
        let imported = match self.target {
            Target::TfKeras if package == "keras" => {
                if rest.is_empty() {
                    "tf_keras".to_string()
                } else {
                    format!("tf_keras.{rest}")
                }
            }
            _ => module.to_string(),
        };
        if !self.index.has_module(&imported) {
            let message = format!(
                "Could not deserialize class '{class}' because its parent module {imported} cannot be imported."
            );
            let fixable = self.index.knows_class(class);
            let fix = if fixable {
                "point the module at the target's own (e.g. keras.src.models.functional)"
            } else {
                "the class is not part of the target Keras"
            };
            self.push(
                Code::ModuleNotFound,
                layer,
                Some(module),
                message,
                fixable,
                fix,
            );
            return false;
        }
        if self.index.knows_class(class) {
            return true;
        }
        let message = format!(
            "Could not deserialize '{module}.{class}' because it is not a KerasSaveable subclass"
        );
        let (fixable, fix) = removed_class_fix(class);
        self.push(
            Code::UnknownClass,
            layer,
            Some(class),
            message,
            fixable,
            fix,
        );
        false
    }

    /// A `TFOpLambda` whose TensorFlow function is exactly one Keras 3 op: the blocker its
    /// class raised is fixable (`upgrade` writes the op).
    fn tf_op(&mut self, entry: &Value, class: &str) {
        let function = entry
            .get("config")
            .and_then(|c| c.get("function"))
            .and_then(Value::as_str);
        let maps = function.and_then(tf_op_equivalent).is_some();
        if self.target != Target::Keras3 || class != "TFOpLambda" || !maps {
            return;
        }
        if let Some(blocker) = self.blockers.last_mut() {
            blocker.fixable = true;
            blocker.fix = format!(
                "write tf.{} as the Keras 3 op that calls the same TensorFlow function (a single call on one tensor, number arguments)",
                function.unwrap_or("?")
            );
        }
    }

    /// A Sequential or Functional config: its layers, each reached by its own route.
    fn model(&mut self, class: &str, config: Option<&Value>, route: Route, name: Option<&str>) {
        let layers = match config {
            // Keras 2.0 Sequential: the config is the list of layers.
            Some(Value::Array(items)) => {
                if self.target == Target::Keras3 && route == Route::Legacy {
                    // model_from_config: config["config"].pop("batch_input_shape", None).
                    self.push(Code::SequentialList, name, Some(class),
                        "pop expected at most 1 argument, got 2".into(), true,
                        "wrap the list of layers as {\"name\": ..., \"layers\": [...]}, the form Keras 2.1+ wrote");
                }
                items
            }
            Some(Value::Object(c)) => match c.get("layers") {
                Some(Value::Array(items)) => items,
                _ => return,
            },
            _ => return,
        };
        if self.target == Target::Keras3 && class == "Sequential" {
            self.first_layer_shape(layers);
        }
        for layer in layers {
            let route = self.route_of(layer);
            self.entry(layer, route, None);
        }
        if self.target == Target::Keras3 {
            self.nodes(layers);
        }
    }

    /// A Sequential whose first layer carries `batch_input_shape` (no InputLayer entry).
    fn first_layer_shape(&mut self, layers: &[Value]) {
        let Some(first) = layers.first() else { return };
        if self.route_of(first) != Route::Legacy {
            return;
        }
        let Some(class) = first.get("class_name").and_then(Value::as_str) else {
            return;
        };
        let config = first.get("config");
        let Some(shape) = config.and_then(|c| c.get("batch_input_shape")) else {
            return;
        };
        if class == "InputLayer" || !self.index.facts.extra_dim_fails.iter().any(|c| c == class) {
            return;
        }
        let name = config.and_then(|c| c.get("name")).and_then(Value::as_str);
        let message = format!(
            "Input 0 of layer '{}' is incompatible with the layer: batch_input_shape {} is read as input_shape, so the input gets one dimension too many (None, {})",
            name.unwrap_or("?"),
            py_repr(shape),
            match shape {
                Value::Array(dims) => dims.iter().map(py_repr).collect::<Vec<_>>().join(", "),
                other => py_repr(other),
            }
        );
        self.push(
            Code::ExtraDimension,
            name,
            Some("batch_input_shape"),
            message,
            true,
            "put an InputLayer with batch_shape first, as Keras 2.4+ wrote it",
        );
    }

    /// tf_keras builds the weights of a layer in its dtype: a float initializer cannot fill
    /// an integer one (Keras 2.0 saved Embedding(dtype="int32") this way).
    fn integer_dtype(&mut self, config: &Map<String, Value>, layer: Option<&str>) {
        if self.target != Target::TfKeras {
            return;
        }
        let Some(dtype) = config.get("dtype").and_then(Value::as_str) else {
            return;
        };
        if !(dtype.starts_with("int") || dtype.starts_with("uint")) {
            return;
        }
        let Some(init) = config
            .iter()
            .find(|(k, v)| k.ends_with("_initializer") && v.is_object())
            .map(|(_, v)| v)
        else {
            return;
        };
        let value = init
            .get("config")
            .and_then(|c| c.get("minval").or_else(|| c.get("mean")))
            .map(py_repr)
            .unwrap_or_else(|| "the initial values".into());
        let message = format!("Cannot convert {value} to EagerTensor of dtype {dtype}");
        self.push(
            Code::IntegerDtype,
            layer,
            Some("dtype"),
            message,
            true,
            "set the layer's dtype to float32 (the inputs stay integers)",
        );
    }

    /// tf.keras mixed precision saved each layer's dtype as a `Policy` object.
    fn dtype_policy(&mut self, config: &Map<String, Value>, layer: Option<&str>) {
        let Some(class) = config
            .get("dtype")
            .and_then(|d| d.get("class_name"))
            .and_then(Value::as_str)
        else {
            return;
        };
        if !self
            .index
            .facts
            .dtype_policy_fails
            .iter()
            .any(|c| c == class)
        {
            return;
        }
        self.push(Code::DtypePolicy, layer, Some(class),
            "'str' object has no attribute 'quantization_mode'".into(), true,
            "save the policy's name (e.g. \"mixed_float16\") as the dtype, or as a DTypePolicy object");
    }

    /// The objects a layer config holds: `kernel_initializer`, `bias_regularizer`,
    /// `kernel_constraint`, `activation`...
    fn objects(&mut self, config: &Map<String, Value>, route: Route, layer: Option<&str>) {
        for (key, value) in config {
            let kind = if key.ends_with("_initializer") {
                "initializer"
            } else if key.ends_with("_regularizer") {
                "regularizer"
            } else if key.ends_with("_constraint") {
                "constraint"
            } else if key == "activation" || key == "recurrent_activation" {
                "activation"
            } else {
                continue;
            };
            // tf_keras reads the Keras 2 forms: only names it lacks are checked there.
            if self.target == Target::TfKeras && kind != "activation" {
                continue;
            }
            let Some(known) = self.index.facts.objects.get(kind) else {
                continue;
            };
            match value {
                Value::String(name) if !known.contains_key(name.as_str()) => {
                    let what = if kind == "activation" {
                        "activation function"
                    } else {
                        kind
                    };
                    let message = format!("Could not interpret {what} identifier: {name}");
                    self.push(
                        Code::ObjectNotDeserializable,
                        layer,
                        Some(key),
                        message,
                        false,
                        "a custom or removed function: register it (custom_objects) or replace it",
                    );
                }
                Value::Object(object) if self.target == Target::Keras3 => {
                    self.object(kind, key, object, route, layer);
                }
                _ => {}
            }
        }
    }

    fn object(
        &mut self,
        kind: &str,
        key: &str,
        object: &Map<String, Value>,
        route: Route,
        layer: Option<&str>,
    ) {
        let Some(class) = object.get("class_name").and_then(Value::as_str) else {
            return;
        };
        let Some(known) = self.index.facts.objects.get(kind) else {
            return;
        };
        let facts = known.get(class);
        let has_module = object.contains_key("module");
        if facts.is_none() {
            if kind == "activation" || (route == Route::Legacy && !has_module) {
                let message = if kind == "activation" {
                    format!(
                        "Could not locate class '{class}'. Make sure custom classes and functions are decorated with `@keras.saving.register_keras_serializable()`."
                    )
                } else {
                    format!(
                        "Could not interpret {kind} identifier: {}",
                        py_repr(&Value::Object(object.clone()))
                    )
                };
                self.push(
                    Code::ObjectNotDeserializable,
                    layer,
                    Some(key),
                    message,
                    false,
                    "a custom or removed class: register it (custom_objects) or replace it",
                );
            }
            return;
        }
        let (Some(facts), Some(Value::Object(inner))) = (facts, object.get("config")) else {
            return;
        };
        let Some(accepts) = facts.accepts.as_ref() else {
            return;
        };
        let unknown: Vec<&str> = inner
            .keys()
            .map(String::as_str)
            .filter(|k| !accepts.iter().any(|a| a == k))
            .collect();
        if unknown.is_empty() {
            return;
        }
        let qualname = facts.qualname.as_deref().unwrap_or(class);
        let message = format!(
            "<class '{qualname}'> could not be deserialized properly. Please ensure that components that are Python object instances (layers, models, etc.) returned by `get_config()` are explicitly deserialized in the model's `from_config()` method."
        );
        let fix = format!("remove {} from the {kind}'s config", unknown.join(", "));
        self.push(
            Code::ObjectNotDeserializable,
            layer,
            Some(key),
            message,
            true,
            &fix,
        );
    }

    fn route_of(&self, entry: &Value) -> Route {
        if entry.get("module").is_some() {
            Route::Serialized
        } else {
            Route::Legacy
        }
    }

    /// The calls recorded in a Functional config, as Keras 3's legacy loader replays them.
    fn nodes(&mut self, layers: &[Value]) {
        let models: Vec<&str> = layers
            .iter()
            .filter(|l| {
                l.get("class_name")
                    .and_then(Value::as_str)
                    .is_some_and(|c| MODEL_CLASSES.contains(&c))
            })
            .filter_map(|l| l.get("name").and_then(Value::as_str))
            .collect();
        for layer in layers {
            let name = layer.get("name").and_then(Value::as_str);
            let class = layer
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(Value::Array(nodes)) = layer.get("inbound_nodes") else {
                continue;
            };
            for node in nodes {
                // Keras 2 form: [[layer, node_index, tensor_index, kwargs], ...].
                let Value::Array(tensors) = node else {
                    continue;
                };
                let refs: Vec<(&str, u64)> = tensors
                    .iter()
                    .filter_map(|t| match t {
                        Value::Array(r) => Some((r.first()?.as_str()?, r.get(1)?.as_u64()?)),
                        _ => None,
                    })
                    .collect();
                if refs.len() != tensors.len() || refs.is_empty() {
                    continue;
                }
                if let Some((model, index)) =
                    refs.iter().find(|(n, i)| *i > 0 && models.contains(n))
                {
                    let message = format!(
                        "Invalid Functional model configuration. The graph of the Functional model either has loops or disconnected nodes. The following nodes failed to be resolved: {{<{class} name={}>: [[['{model}', {index}, 0, {{}}]]]}}",
                        name.unwrap_or("?")
                    );
                    self.push(Code::NestedModelNode, name, Some(model), message, true,
                        "renumber the calls of the nested model from 0 (Keras 2 counted the model's own input node first)");
                }
                if RNN_CLASSES.contains(&class) && refs.len() > 1 {
                    let message = format!(
                        "Layer \"{}\" expects 1 input(s), but it received {} input tensors.",
                        name.unwrap_or("?"),
                        refs.len()
                    );
                    // One sequence and the states, h (and c for LSTM), each (batch, units):
                    // what upgrade writes as the initial_state keyword.
                    let states = match class {
                        "LSTM" | "CuDNNLSTM" => Some(2),
                        "GRU" | "CuDNNGRU" | "SimpleRNN" => Some(1),
                        _ => None,
                    };
                    let (fixable, fix) = if states == Some(refs.len() - 1) && nodes.len() == 1 {
                        (
                            true,
                            "write the call in Keras 3's node form: the sequence as argument, the state tensors as the initial_state keyword",
                        )
                    } else {
                        (
                            false,
                            "the call would have to be rewritten in Keras 3's node form with the state tensors as the initial_state keyword (with their shapes); upgrade does it only for an LSTM, GRU or SimpleRNN called once with all its states",
                        )
                    };
                    self.push(
                        Code::RnnExtraInputs,
                        name,
                        Some("initial_state"),
                        message,
                        fixable,
                        fix,
                    );
                }
            }
        }
    }

    /// Lambda layers: Keras 3 refuses Python bytecode in safe mode; tf_keras does in `.keras`.
    fn lambda(
        &mut self,
        class: &str,
        config: &Map<String, Value>,
        route: Route,
        layer: Option<&str>,
    ) {
        if class != "Lambda" {
            return;
        }
        let bytecode = match config.get("function") {
            Some(Value::Array(_)) => {
                // Keras 2 form [code, defaults, closure]; a "function" type names a module
                // function instead (the legacy loader converts either way).
                route == Route::Legacy || self.target == Target::TfKeras
            }
            Some(Value::Object(f)) => {
                f.get("class_name").and_then(Value::as_str) == Some("__lambda__")
            }
            _ => false,
        };
        if !bytecode {
            return;
        }
        let message = match self.target {
            Target::Keras3 => {
                "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. This carries a potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the source of the artifact, you can override this error by passing `safe_mode=False` to the loading function, or calling `keras.config.enable_unsafe_deserialization()."
            }
            Target::TfKeras if self.archive => {
                "Requested the deserialization of a Lambda layer with a Python `lambda` inside it. This carries a potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the source of the saved model, you can pass `safe_mode=False` to the loading function in order to allow Lambda layer loading."
            }
            Target::TfKeras => return,
        };
        self.push(Code::LambdaSafeMode, layer, Some("function"), message.to_string(), false,
            "a Lambda runs code stored in the file: rewrite it as a built-in or registered layer, or load with safe_mode=False if you trust the file");
    }

    /// The config keys against the class's signature, after the route's conversions.
    fn arguments(
        &mut self,
        class: &str,
        config: &Map<String, Value>,
        route: Route,
        layer: Option<&str>,
    ) {
        let Some(facts) = self.index.layer(class) else {
            return;
        };
        let Some(accepts) = facts.accepts.as_ref() else {
            return;
        };
        let legacy = route == Route::Legacy && self.target == Target::Keras3;
        let mut keys: Vec<(&str, &Value)> = Vec::with_capacity(config.len());
        for (key, value) in config {
            let key = key.as_str();
            if legacy {
                match key {
                    "batch_input_shape" if class == "InputLayer" => {
                        keys.push(("batch_shape", value));
                        continue;
                    }
                    "batch_input_shape" => {
                        keys.push(("input_shape", value));
                        continue;
                    }
                    _ if class == "Lambda"
                        && self
                            .index
                            .facts
                            .legacy_dropped_lambda_keys
                            .iter()
                            .any(|k| k == key) =>
                    {
                        continue;
                    }
                    _ => {}
                }
            }
            keys.push((key, value));
        }
        if self.target == Target::Keras3
            && !legacy
            && self.index.facts.int_axis.iter().any(|c| c == class)
            && let Some(axis @ Value::Array(_)) = config.get("axis")
        {
            let message = format!(
                "int() argument must be a string, a bytes-like object or a real number, not 'list' (axis={})",
                py_repr(axis)
            );
            self.push(
                Code::AxisList,
                layer,
                Some("axis"),
                message,
                true,
                "store the one axis as an int, as the legacy loader does",
            );
        }
        let unknown: Vec<(&str, &Value)> = keys
            .iter()
            .filter(|(k, _)| !accepts.iter().any(|a| a == k))
            .copied()
            .collect();
        if !unknown.is_empty() {
            let message = match self.target {
                Target::Keras3 => format!(
                    "Unrecognized keyword arguments passed to {class}: {{{}}}",
                    unknown
                        .iter()
                        .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Target::TfKeras => {
                    format!("('Keyword argument not understood:', '{}')", unknown[0].0)
                }
            };
            for (key, value) in &unknown {
                let (fixable, fix) = self.argument_fix(class, key, value);
                self.push(
                    Code::UnrecognizedArgument,
                    layer,
                    Some(key),
                    message.clone(),
                    fixable,
                    &fix,
                );
            }
        }
        for required in &facts.required {
            if keys.iter().any(|(k, _)| k == required) {
                continue;
            }
            let message =
                format!("{class}.__init__() missing 1 required positional argument: '{required}'");
            self.push(Code::MissingArgument, layer, Some(required), message, false,
                "a Keras 1 config: its arguments have other names (output_dim, nb_filter, init...) and must be translated");
        }
    }

    fn argument_fix(&self, class: &str, key: &str, value: &Value) -> (bool, String) {
        match (self.target, key) {
            (Target::Keras3, "batch_input_shape") => {
                (true, "move the shape to an InputLayer (batch_shape)".into())
            }
            (Target::TfKeras, "batch_shape") => (true, "rename to batch_input_shape".into()),
            (Target::Keras3, "query_shape" | "key_shape" | "value_shape")
                if class == "MultiHeadAttention" =>
            {
                (
                    true,
                    format!(
                        "remove {key} (tf.keras's recorded build shape) and write the call in Keras 3's node form, value and key as keyword tensors (a layer called once, with no other tensor argument)"
                    ),
                )
            }
            (Target::Keras3, _) => match keras2_default(class, key) {
                Some(default) if default == value || (value.is_null() && default.is_null()) => (
                    true,
                    format!("remove {key} ({} is what Keras 3 does)", py_repr(value)),
                ),
                Some(default) => (
                    false,
                    format!(
                        "{key}={} differs from the Keras 2 default {}: Keras 3 has no equivalent, the layer would compute something else",
                        py_repr(value),
                        py_repr(default)
                    ),
                ),
                None => (
                    false,
                    format!("{key} is not an argument of {class} in Keras 3"),
                ),
            },
            (Target::TfKeras, _) => (
                false,
                format!("{key} is not an argument of {class} in tf_keras"),
            ),
        }
    }

    /// Layers held by a wrapper (Bidirectional, TimeDistributed, RNN cells).
    fn wrapped(&mut self, class: &str, config: &Map<String, Value>, layer: Option<&str>) {
        let keys: Vec<&str> = match self.target {
            Target::Keras3 => match self.index.facts.wrappers_needing_module.get(class) {
                Some(keys) => keys.iter().map(String::as_str).collect(),
                None => return,
            },
            Target::TfKeras => vec!["layer", "backward_layer", "cell", "cells"],
        };
        for key in keys {
            let items: Vec<&Value> = match config.get(key) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(v @ Value::Object(_)) => vec![v],
                _ => continue,
            };
            for item in items {
                let route = match self.target {
                    Target::Keras3 => Route::Serialized,
                    Target::TfKeras => self.route_of(item),
                };
                self.entry(item, route, layer);
            }
        }
    }

    /// tf.keras 2.13/2.14 archives keep each layer's weights under
    /// `_layer_checkpoint_dependencies/<name>`, which Keras 3 reads in place of
    /// `layers/<name>` — but names a layer by its class and its rank among the model's layers
    /// of that class (`dense`, `dense_1`, ...), which tf.keras did not always do.
    fn checkpoint_names(&mut self, file: &KerasFile) {
        const PREFIX: &str = "_layer_checkpoint_dependencies/";
        let stored: Vec<&str> = file
            .tensors_of(TensorRole::Layer)
            .filter_map(|t| t.path.strip_prefix(PREFIX)?.split('/').next())
            .collect();
        if stored.is_empty() {
            return;
        }
        let Some(layers) = file
            .model_config
            .as_ref()
            .and_then(|c| c.get("config")?.get("layers")?.as_array())
        else {
            return;
        };
        let mut used: crate::Map<String, u64> = Default::default();
        for layer in layers {
            let Some(class) = layer.get("class_name").and_then(Value::as_str) else {
                continue;
            };
            let base = snake_case(class);
            let expected = match used.get_mut(&base) {
                Some(count) => {
                    *count += 1;
                    format!("{base}_{count}")
                }
                None => {
                    used.insert(base.clone(), 0);
                    base.clone()
                }
            };
            if stored.contains(&expected.as_str()) {
                continue;
            }
            // A stored group of this class under another name: Keras 3 will not find it.
            let orphan = stored.iter().any(|s| {
                (*s == base || s.starts_with(&format!("{base}_")))
                    && !self.expected_somewhere(layers, s)
            });
            if !orphan {
                continue;
            }
            let name = layer
                .get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str);
            let message = format!(
                "Layer '{}' expected its variables under {PREFIX}{expected}, which the file does not have: it received 0 variables during loading.",
                name.unwrap_or("?")
            );
            let (fixable, fix) = if tfk213_numbered(file) {
                (
                    true,
                    "rename the weight groups as Keras 3 names them (tf.keras 2.13 counted a layer with weights twice)",
                )
            } else {
                (
                    false,
                    "the weight groups would have to be renamed as Keras 3 names them (class, then rank); upgrade does not do it",
                )
            };
            self.push(
                Code::WeightsLayout,
                name,
                Some(PREFIX.trim_end_matches('/')),
                message,
                fixable,
                fix,
            );
            return;
        }
    }

    /// Whether Keras 3 looks for `group` (one of the names it gives the model's layers).
    fn expected_somewhere(&self, layers: &[Value], group: &str) -> bool {
        let mut used: crate::Map<String, u64> = Default::default();
        layers.iter().any(|layer| {
            let Some(class) = layer.get("class_name").and_then(Value::as_str) else {
                return false;
            };
            let base = snake_case(class);
            let name = match used.get_mut(&base) {
                Some(count) => {
                    *count += 1;
                    format!("{base}_{count}")
                }
                None => {
                    used.insert(base.clone(), 0);
                    base
                }
            };
            name == group
        })
    }

    /// tf_keras reads a `.keras` archive's weights from `layers/<name>/vars`; tf.keras 2.13
    /// and 2.14 wrote `_layer_checkpoint_dependencies/<name>`, Windows `layers\<name>`.
    fn weights_layout(&mut self, file: &KerasFile) {
        let misplaced = |t: &&crate::format::Tensor| {
            t.path.contains("_layer_checkpoint_dependencies") || t.path.contains('\\')
        };
        let Some(tensor) = file.tensors_of(TensorRole::Layer).find(misplaced) else {
            return;
        };
        // The loader meets the layers in the model's order: the first one with weights fails.
        let in_config_order: Vec<&str> = file
            .model_config
            .as_ref()
            .and_then(|c| c.get("config")?.get("layers")?.as_array())
            .map(|layers| {
                layers
                    .iter()
                    .filter_map(|l| l.get("config")?.get("name")?.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let layer = in_config_order
            .into_iter()
            .find(|name| {
                file.tensors_of(TensorRole::Layer)
                    .any(|t| t.layer.as_deref() == Some(*name))
            })
            .or(tensor.layer.as_deref());
        let count = file
            .tensors_of(TensorRole::Layer)
            .filter(|t| t.layer.as_deref() == layer)
            .count();
        let message = format!(
            "Layer '{}' expected {count} variables, but received 0 variables during loading.",
            layer.unwrap_or("?")
        );
        let key = if tensor.path.contains('\\') {
            "layers\\"
        } else {
            "_layer_checkpoint_dependencies"
        };
        self.push(
            Code::WeightsLayout,
            layer,
            Some(key),
            message,
            true,
            "store the weights under layers/<name>/vars, as tf.keras 2.15 and Keras 3 do",
        );
    }
}

/// Whether the archive's weight groups follow tf.keras 2.13's numbering (a layer with weights
/// counted twice), which the reader knows how to undo, and `upgrade` too.
fn tfk213_numbered(file: &KerasFile) -> bool {
    let Some(config) = file.model_config.as_ref() else {
        return false;
    };
    let objects: Vec<String> = file
        .tensors
        .iter()
        .map(|t| {
            let path = t.path.replace('\\', "/");
            path.rsplit_once("/vars/")
                .map_or(path.as_str(), |(object, _)| object)
                .to_string()
        })
        .collect();
    !crate::format::naming::tfk213_renames(config, &objects).is_empty()
}

/// Whether `key` of a Keras 2 config can go without changing what the layer computes: it holds
/// the Keras 2 default, which is what Keras 3 does. (MultiHeadAttention's recorded build
/// shapes go only with its call rewritten: `upgrade::rewrite::keras3_calls`.)
pub fn droppable(class: &str, key: &str, value: &Value) -> bool {
    keras2_default(class, key).is_some_and(|d| d == value)
}

/// `naming.to_snake_case` of Keras 3: `ThresholdedReLU` → `thresholded_re_lu`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // (.)([A-Z][a-z]+) → \1_\2
    let mut step: Vec<char> = Vec::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let word_start =
            c.is_ascii_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
        if i > 0 && word_start {
            step.push('_');
        }
        step.push(c);
    }
    // ([a-z])([A-Z]) → \1_\2
    let mut out = String::with_capacity(step.len() + 4);
    for (i, &c) in step.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() && step[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// TensorFlow functions tf.keras recorded as `TFOpLambda` layers that are exactly one Keras 3
/// op under the TensorFlow backend: `keras.ops.relu` calls `tf.nn.relu`; `keras.ops.multiply`
/// calls `tf.multiply` after resolving a Python number to the tensor's dtype, as TensorFlow
/// does. Each with the keyword arguments tf.keras saved that become the op's positional
/// arguments after the tensor (numbers only). Other functions stay refused.
const TF_OPS: [(&str, &str, &str, &[&str]); 2] = [
    ("nn.relu", "keras.src.ops.nn", "Relu", &[]),
    ("math.multiply", "keras.src.ops.numpy", "Multiply", &["y"]),
];

/// The Keras 3 op (module, class, keyword arguments that become positional) that computes
/// exactly what the `TFOpLambda` of `function` does, if one does.
pub fn tf_op_equivalent(
    function: &str,
) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    TF_OPS
        .iter()
        .find(|(f, ..)| *f == function)
        .map(|(_, module, class, positional)| (*module, *class, *positional))
}

/// Classes Keras 3 dropped that have a standard equivalent.
fn removed_class_fix(class: &str) -> (bool, &'static str) {
    match class {
        "CuDNNLSTM" | "CuDNNGRU" => (
            true,
            "map to LSTM / GRU (reset_after) with the weights converted as Keras 2 did when loading CuDNN weights",
        ),
        "ThresholdedReLU" => (
            true,
            "write it as Keras 3's greater, cast and multiply ops, x * cast(x > theta) as tf_keras computes it (not ReLU(threshold): that gives 0 for -inf and NaN, where tf_keras gives NaN, and +0.0 for negative x, where it gives -0.0)",
        ),
        "TFOpLambda" | "TensorFlowOpLayer" | "SlicingOpLambda" => (
            false,
            "a TensorFlow op recorded as a layer: Keras 3 has no equivalent class, and upgrade writes only tf.nn.relu and tf.math.multiply by a number (exactly Keras 3's relu / multiply ops); rewrite the op as a Keras layer",
        ),
        _ => (
            false,
            "the class is custom or gone from the target Keras: register it (custom_objects) or replace it",
        ),
    }
}

/// A JSON value as Python prints it (`{'time_major': False}`), for messages worded as Keras's.
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            let text = n.to_string();
            if n.is_f64() && !text.contains(['.', 'e', 'E']) {
                format!("{text}.0")
            } else {
                text
            }
        }
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn class_names_become_keras_snake_case() {
        // As in the group names Keras writes (fixtures/compat/*.keras).
        assert_eq!(snake_case("ThresholdedReLU"), "thresholded_re_lu");
        assert_eq!(snake_case("Conv1D"), "conv1d");
        assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
        assert_eq!(snake_case("LSTM"), "lstm");
        assert_eq!(
            snake_case("GlobalAveragePooling1D"),
            "global_average_pooling1d"
        );
    }

    #[test]
    fn values_print_as_python_prints_them() {
        // As in Keras 3.15.1's "Unrecognized keyword arguments passed to LSTM: {'time_major': False}".
        assert_eq!(
            py_repr(&json!({"time_major": false})),
            "{'time_major': False}"
        );
        assert_eq!(py_repr(&json!([null, 4, 2.0])), "[None, 4, 2.0]");
        assert_eq!(py_repr(&json!("it's")), "'it\\'s'");
    }

    #[test]
    fn knowledge_is_embedded_for_both_targets() {
        assert!(for_target(Target::Keras3).layer("Dense").is_some());
        assert!(for_target(Target::TfKeras).layer("Dense").is_some());
        // tf_keras 2.21's LSTM default, which Keras 3 dropped.
        assert_eq!(keras2_default("LSTM", "time_major"), Some(&json!(false)));
    }
}
