//! What each target Keras accepts, read from Keras itself by `scripts/make_compat.py` and
//! embedded: layer signatures, class and module registries, the loaders' conversions.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::Target;

#[derive(Deserialize)]
struct Knowledge {
    targets: Targets,
}

#[derive(Deserialize)]
struct Targets {
    keras3: TargetFacts,
    #[serde(rename = "tf-keras")]
    tf_keras: TargetFacts,
}

/// One Keras version's facts.
#[derive(Deserialize)]
pub struct TargetFacts {
    /// The version the facts were read from (`3.15.1`).
    pub version: String,
    /// Classes the module-less (legacy H5) path resolves by name, with their signatures.
    pub layers: BTreeMap<String, LayerFacts>,
    /// Wrappers whose `from_config` deserializes the wrapped layer(s) with `serialization_lib`,
    /// which finds a built-in class only through its `module`: the config keys holding them.
    #[serde(default)]
    pub wrappers_needing_module: BTreeMap<String, Vec<String>>,
    /// Importable modules (`keras.src.layers.core.dense`, `tf_keras.src.engine.functional`).
    modules: Vec<String>,
    /// Public names a config's `module` + `class_name` resolve through (`keras.layers.Dense`;
    /// tf_keras' named as the `keras.` it maps to `tf_keras.`).
    api: Vec<String>,
    /// Classes whose `__init__` turns `axis` into an int (the legacy loader converts a one-item
    /// list first; the `.keras` loader does not).
    #[serde(default)]
    pub int_axis: Vec<String>,
    /// Layers that fail when a Keras <= 2.3 Sequential's `batch_input_shape` reaches them as
    /// `input_shape` (one dimension too many), probed in Keras 3.
    #[serde(default)]
    pub extra_dim_fails: Vec<String>,
    /// Initializers, regularizers, constraints, activations: the names each kind's `get()`
    /// resolves, with the class's accepted config keys.
    #[serde(default)]
    pub objects: BTreeMap<String, BTreeMap<String, ObjectFacts>>,
    /// `dtype` objects whose class name the target cannot turn into a dtype policy (tf.keras
    /// mixed precision saved `{"class_name": "Policy"}`), probed in Keras 3.
    #[serde(default)]
    pub dtype_policy_fails: Vec<String>,
    /// Lambda keys of Keras 2 the legacy loader drops before building the layer.
    #[serde(default)]
    pub legacy_dropped_lambda_keys: Vec<String>,
    /// The operations (`keras.src.ops.nn.Relu`) a functional config can hold.
    #[serde(default)]
    ops: Vec<String>,
}

/// A layer class's `from_config` → `__init__` chain.
#[derive(Deserialize)]
pub struct LayerFacts {
    /// Config keys accepted; `None` when `**kwargs` leave Keras (anything goes).
    pub accepts: Option<Vec<String>>,
    /// Arguments without a default.
    #[serde(default)]
    pub required: Vec<String>,
    /// Defaults of the arguments (JSON-able ones; others `"<object>"`).
    #[serde(default)]
    pub defaults: BTreeMap<String, Value>,
}

/// One initializer, regularizer, constraint or activation name.
#[derive(Deserialize)]
pub struct ObjectFacts {
    /// Config keys the class accepts; `None` for functions and open signatures.
    pub accepts: Option<Vec<String>>,
    /// `keras.src.initializers.random_initializers.GlorotUniform`, as Keras names the class.
    pub qualname: Option<String>,
}

/// Lookups built once from [`TargetFacts`].
pub struct Index {
    /// The facts the lookups are built from.
    pub facts: TargetFacts,
    modules: HashSet<String>,
    api: HashSet<String>,
    /// Class names found anywhere in the public API (`Dense` of `keras.layers.Dense`).
    api_classes: HashSet<String>,
}

impl Index {
    fn new(facts: TargetFacts) -> Index {
        let api: HashSet<String> = facts.api.iter().cloned().collect();
        let mut modules: HashSet<String> = facts.modules.iter().cloned().collect();
        // The public namespaces (`keras.layers`) are importable too.
        for name in &facts.api {
            if let Some((module, _)) = name.rsplit_once('.') {
                modules.insert(module.to_string());
            }
        }
        let api_classes = facts
            .api
            .iter()
            .filter_map(|n| n.rsplit_once('.').map(|(_, c)| c.to_string()))
            .collect();
        Index {
            facts,
            modules,
            api,
            api_classes,
        }
    }

    /// The signature facts of a class the module-less path resolves by name, if it does.
    pub fn layer(&self, class: &str) -> Option<&LayerFacts> {
        self.facts.layers.get(class)
    }

    /// Whether a public name (`keras.layers.Dense`) resolves in the target.
    pub fn has_api(&self, name: &str) -> bool {
        self.api.contains(name)
    }

    /// Whether the target can import this module (`keras.src.layers.core.dense`, `keras.layers`).
    pub fn has_module(&self, module: &str) -> bool {
        self.modules.contains(module)
    }

    /// A module the target imports `class` from: its public namespace, else the source module
    /// named after it (`Functional` → `keras.src.models.functional`).
    pub fn module_for(&self, class: &str) -> Option<String> {
        for namespace in ["keras.layers", "keras.models", "keras"] {
            if self.api.contains(&format!("{namespace}.{class}")) {
                return Some(namespace.to_string());
            }
        }
        let mut snake = String::new();
        for (i, c) in class.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        let suffix = format!(".{snake}");
        let mut found: Vec<&String> = self
            .facts
            .modules
            .iter()
            .filter(|m| m.ends_with(&suffix))
            .collect();
        found.sort();
        found.first().map(|m| m.to_string())
    }

    /// Whether `name` (`module.Class`) is an operation the target deserializes.
    pub fn has_op(&self, name: &str) -> bool {
        self.facts.ops.iter().any(|o| o == name)
    }

    /// A class some importable Keras module defines (approximated by the public names and
    /// the layer registry: a module's own classes are exported under their class name).
    pub fn knows_class(&self, class: &str) -> bool {
        self.api_classes.contains(class) || self.facts.layers.contains_key(class)
    }
}

static KNOWLEDGE: OnceLock<(Index, Index)> = OnceLock::new();

fn load() -> &'static (Index, Index) {
    KNOWLEDGE.get_or_init(|| {
        // The file is generated and embedded: a parse failure is a build defect, caught by
        // the tests, never something an input file can cause.
        let k: Knowledge = serde_json::from_str(include_str!("knowledge.json"))
            .expect("src/compat/knowledge.json is valid (generated by scripts/make_compat.py)");
        (Index::new(k.targets.keras3), Index::new(k.targets.tf_keras))
    })
}

/// The facts of one target.
pub fn for_target(target: Target) -> &'static Index {
    let (keras3, tf_keras) = load();
    match target {
        Target::Keras3 => keras3,
        Target::TfKeras => tf_keras,
    }
}

/// What Keras 2 (tf_keras 2.21) assumed for an argument it accepted: the value a dropped
/// argument can hold and still mean what Keras 3 does.
pub fn keras2_default(class: &str, key: &str) -> Option<&'static Value> {
    for_target(Target::TfKeras).layer(class)?.defaults.get(key)
}
