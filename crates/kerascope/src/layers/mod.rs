//! Layer rules: for every built-in Keras layer class that owns weights, the weights it creates
//! (name, shape, trainable), its output shape and the arithmetic behind its parameter count.
//!
//! One rule serves every use: the reader names Keras 3 `vars/N` datasets with the rule's weight
//! order, `check` compares the expected shapes with the stored tensors, and `summary --explain` /
//! `formula` print the derivation — all from the same [`RuleOutput`], so the number shown and
//! the arithmetic shown cannot disagree.
//!
//! Adding a layer class touches one file of this module (plus one line in [`registry`]),
//! `verify`'s probes for a printed summary row included ([`LayerRule::probes`]).

use serde_json::Value;

mod activation;
mod attention;
mod conv;
mod dense;
mod normalization;
mod preprocessing;
pub mod probe;
mod recurrent;
mod shaping;
#[cfg(test)]
mod testing;
mod util;

pub use util::{KeyRead, record_keys, snake_case};
mod wrappers;

pub use crate::model::{Dialect, Dim, Shape};
pub use probe::{PrintedLayer, Probe};

/// One layer's configuration as a rule sees it: the class name and the `config` object, with
/// Keras 1 key names already translated to Keras 2 ones by the graph module, in the layers a
/// wrapper or an RNN holds too (`crate::graph::keras1`): a rule reads Keras 2 names only.
#[derive(Debug, Clone, Copy)]
pub struct LayerCfg<'a> {
    /// The layer's `class_name` (`Dense`, `LSTM`, ...).
    pub class_name: &'a str,
    /// The layer's `config` object, keys translated to Keras 2 names.
    pub config: &'a Value,
    /// Which Keras wrote the file (weight names still differ per version).
    pub dialect: Dialect,
}

/// A weight a layer is expected to own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExpectedWeight {
    /// Object path of the sub-layer that owns the weight, relative to the layer, as Keras 3
    /// names it in `.weights.h5` files: `""` for the layer's own variables, `"cell"` for an RNN,
    /// `"forward_layer/cell"` for a Bidirectional, `"query_dense"` for MultiHeadAttention,
    /// `"layers/dense"` inside a nested model.
    pub owner: String,
    /// Short weight name: `kernel`, `recurrent_kernel`, `bias`, `gamma`, `moving_mean`, and in
    /// Keras 1 `W_i`, `running_std`, ...
    pub name: String,
    /// Expected shape, `None` where the input shape needed to know it is unknown.
    pub shape: Option<Vec<u64>>,
    /// Whether the weight is trainable (as Keras creates it; a frozen layer is handled by the
    /// caller).
    pub trainable: bool,
}

/// What a rule computes for one call of a layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleOutput {
    /// In the order Keras creates them (for Keras 3: the order of `vars/0`, `vars/1`, ... of
    /// each owner).
    pub weights: Vec<ExpectedWeight>,
    /// The layer's output shapes (several for `return_state`, Bidirectional `merge_mode=None`).
    /// Empty when the rule cannot know them.
    pub output_shapes: Vec<Shape>,
    /// The arithmetic with the numbers filled in, e.g. `4·((4096+1)·256 + 256²) = 4,457,472`.
    /// `None` when the count cannot be derived.
    pub derivation: Option<String>,
    /// Extra copies of counted weights that a Keras 3 `.weights.h5` file stores in some
    /// owner's `vars/N` but that `count_params()` counts once (and that `weights` therefore
    /// does not list): today only SpectralNormalization's own `vars/0`, a copy of the wrapped
    /// kernel (FORMATS §5.2). Empty for almost every layer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<StoredAlias>,
    /// The rule's formula when its value is not the total of the weights it declares (the
    /// derivation then shows the total alone). A rule bug: the tests fail on any
    /// (`tests/formulas.rs` over every fixture and corpus file, `tests/verified_cases.rs`).
    #[serde(skip)]
    pub formula_drift: Option<FormulaDrift>,
}

/// A formula that does not add up to its weights: what a rule rendered against what it
/// declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaDrift {
    /// The formula as rendered (`(784+1)·128`).
    pub formula: String,
    /// Its value.
    pub value: u64,
    /// The total of the declared weights' sizes.
    pub weights_total: u64,
}

impl std::fmt::Display for FormulaDrift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "formula {} = {} but the weights hold {}",
            self.formula, self.value, self.weights_total
        )
    }
}

/// A stored copy of a weight that is listed (and counted) once in [`RuleOutput::weights`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAlias {
    /// Owner path of the group holding the copy.
    pub owner: String,
    /// Its position among that owner's stored variables (`vars/<index>`), counting the
    /// owner's listed weights and its aliases together.
    pub index: usize,
    /// Short name the copy goes by (`kernel`).
    pub name: String,
    /// Owner and short name of the listed weight it copies (same shape).
    pub of_owner: String,
    /// The short name of the listed weight it copies.
    pub of_name: String,
}

/// Why a rule could not compute the weights of a layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A config key the rule needs is missing or has the wrong type.
    ///
    /// The key `key` (its current spelling); `problem` says what is wrong with it.
    #[allow(missing_docs)] // the fields are described above
    #[error("config key `{key}`: {problem}")]
    BadConfig { key: String, problem: String },
    /// The input shape needed is unknown (an upstream Lambda, custom layer...).
    #[error("input shape unknown: {0}")]
    UnknownInput(String),
}

/// A layer rule: one item per family of layer classes.
pub trait LayerRule: Sync {
    /// The `class_name`s this rule covers (every dialect's spelling).
    fn classes(&self) -> &'static [&'static str];

    /// Expected weights, output shapes and derivation for one call of the layer on inputs of
    /// the given shapes (one per input tensor; empty when unknown). Weight names must be
    /// produced even when the input shape is unknown (shapes then `None`): the reader relies
    /// on them to name Keras 3 `vars/N` datasets.
    fn apply(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> Result<RuleOutput, RuleError>;

    /// Whether a layer of this class never owns weights, whatever its config (`MaxPooling2D`,
    /// `Dropout`, `Concatenate`, ...). A printed summary's count for it can only be 0.
    fn weightless(&self, class_name: &str) -> bool;

    /// The configurations `verify` tries to re-derive a printed `model.summary()` row's count
    /// without the file (what the row cannot show tried both ways, or solved for), or why
    /// the row does not tell enough.
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String>;

    /// Classes of this rule Keras renamed between versions, `(old, new)`: the same layer
    /// either way (`Convolution2D`, `Conv2D`). `verify` and `diff` pair them.
    fn renamed_classes(&self) -> &'static [(&'static str, &'static str)];
}

/// Every `(old, new)` pair of class names Keras renamed between versions, from the rules.
pub fn renamed_classes() -> impl Iterator<Item = (&'static str, &'static str)> {
    registry()
        .iter()
        .flat_map(|rule| rule.renamed_classes().iter().copied())
}

/// The rule for a class name, if there is one.
pub fn rule_for(class_name: &str) -> Option<&'static dyn LayerRule> {
    registry()
        .iter()
        .copied()
        .find(|rule| rule.classes().contains(&class_name))
}

/// Every rule known, one list for the public trait and one for the internal computation
/// (wrappers and RNN cells call nested rules through it). Keep sorted by family.
macro_rules! rules {
    ($($rule:expr),* $(,)?) => {
        static REGISTRY: &[&dyn LayerRule] = &[$(&$rule),*];
        static COMPUTE: &[&dyn util::Compute] = &[$(&$rule),*];
    };
}

rules![
    dense::DenseRule,
    dense::EinsumDenseRule,
    dense::EmbeddingRule,
    dense::Keras1DenseRule,
    conv::ConvRule,
    conv::DepthwiseRule,
    conv::SeparableRule,
    conv::LocallyConnectedRule,
    recurrent::RnnRule,
    recurrent::ConvLstmRule,
    recurrent::GenericRnnRule,
    wrappers::BidirectionalRule,
    wrappers::TimeDistributedRule,
    wrappers::SpectralNormalizationRule,
    normalization::BatchNormalizationRule,
    normalization::AxisNormalizationRule,
    attention::MultiHeadAttentionRule,
    attention::AttentionRule,
    activation::ActivationWeightsRule,
    preprocessing::NormalizationRule,
    preprocessing::RandomFourierFeaturesRule,
    preprocessing::StftRule,
    preprocessing::WeightlessPreprocessingRule,
    shaping::InputRule,
    shaping::ReshapingRule,
    shaping::PoolingRule,
    shaping::SpatialRule,
    shaping::MergeRule,
    shaping::IdentityRule,
    shaping::OpaqueRule,
];

/// Every rule known. Keep sorted by family.
pub fn registry() -> &'static [&'static dyn LayerRule] {
    REGISTRY
}

/// The internal side of the rule for a class name.
pub(crate) fn compute_for(class_name: &str) -> Option<&'static dyn util::Compute> {
    COMPUTE
        .iter()
        .copied()
        .find(|rule| rule.classes().contains(&class_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_from_version_strings_seen_in_real_files() {
        assert_eq!(Dialect::from_keras_version(None), Dialect::Keras1);
        assert_eq!(Dialect::from_keras_version(Some("1.2.2")), Dialect::Keras1);
        assert_eq!(Dialect::from_keras_version(Some("2.0.6")), Dialect::Keras2);
        assert_eq!(Dialect::from_keras_version(Some("2.3.1")), Dialect::Keras2);
        assert_eq!(
            Dialect::from_keras_version(Some("2.2.4-tf")),
            Dialect::TfKeras
        );
        assert_eq!(Dialect::from_keras_version(Some("2.4.0")), Dialect::TfKeras);
        assert_eq!(
            Dialect::from_keras_version(Some("2.21.0")),
            Dialect::TfKeras
        );
        assert_eq!(Dialect::from_keras_version(Some("3.15.1")), Dialect::Keras3);
    }

    #[test]
    fn every_class_has_exactly_one_rule() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in registry() {
            assert!(!rule.classes().is_empty());
            for class in rule.classes() {
                assert!(seen.insert(*class), "{class} is claimed by two rules");
                assert!(rule_for(class).is_some());
                assert!(compute_for(class).is_some());
            }
        }
        assert!(rule_for("NoSuchLayer").is_none());
        // A renamed class is the same layer: one rule covers both names.
        for rule in registry() {
            for (old, new) in rule.renamed_classes() {
                assert!(rule.classes().contains(old) && rule.classes().contains(new));
            }
        }
        assert!(renamed_classes().any(|pair| pair == ("Convolution2D", "Conv2D")));
    }

    fn assert_formula_adds_up(output: Result<RuleOutput, RuleError>, class: &str) {
        if let Ok(RuleOutput {
            formula_drift: Some(drift),
            ..
        }) = output
        {
            panic!("{class}: {drift}");
        }
    }

    /// The graph translates Keras 1 keys at every level (`graph::keras1`): no rule reads one,
    /// whichever Keras wrote the file.
    #[test]
    fn rules_read_keras2_key_names_only() {
        let inputs = [vec![None, Some(4), Some(5), Some(3)]];
        for rule in registry() {
            for class in rule.classes() {
                for dialect in [Dialect::Keras1, Dialect::TfKeras, Dialect::Keras3] {
                    let config = base_config();
                    let (_, read) = record_keys(|| {
                        let layer = LayerCfg {
                            class_name: class,
                            config: &config,
                            dialect,
                        };
                        rule.apply(layer, &inputs)
                    });
                    for name in read.iter().flat_map(|k| &k.names) {
                        assert!(
                            !crate::graph::keras1::is_keras1_key(class, name),
                            "{class} reads the Keras 1 key `{name}`"
                        );
                    }
                }
            }
        }
    }

    /// A sane config for every rule, so that one hostile key at a time gets exercised.
    fn base_config() -> Value {
        serde_json::json!({
            "units": 3, "filters": 2, "kernel_size": 2, "input_dim": 5, "output_dim": 4,
            "num_heads": 2, "key_dim": 2, "equation": "ab,bc->ac", "output_shape": 4,
            "bias_axes": "c", "target_shape": [-1], "dims": [1], "n": 2, "axes": 1,
            "cell": {"class_name": "LSTMCell", "config": {"units": 2}},
            "layer": {"class_name": "Dense", "config": {"units": 2}},
        })
    }

    /// No JSON value in any key and no input shape makes a rule panic, or makes its formula
    /// drift from its weights.
    #[test]
    fn hostile_configs_and_shapes_never_panic() {
        let big = 1u64 << 40;
        let hostile = [
            Value::Null,
            serde_json::json!(-1),
            serde_json::json!(0),
            serde_json::json!(1),
            serde_json::json!(big),
            serde_json::json!(u64::MAX),
            serde_json::json!(i64::MIN),
            serde_json::json!(1.5),
            serde_json::json!("x"),
            serde_json::json!([]),
            serde_json::json!([2, 3, 4]),
            serde_json::json!([[1, 2], [3, 4]]),
            serde_json::json!([null, -1]),
            serde_json::json!({}),
            serde_json::json!(true),
            serde_json::json!({"class_name": "Bidirectional", "config": {"layer": "{'class_name': 'GRU'"}}),
            serde_json::json!({"class_name": "QuantizedDTypePolicy", "config": {"mode": "int4"}}),
        ];
        let keys = [
            "units",
            "filters",
            "kernel_size",
            "strides",
            "dilation_rate",
            "padding",
            "data_format",
            "groups",
            "use_bias",
            "input_dim",
            "output_dim",
            "axis",
            "center",
            "scale",
            "renorm",
            "num_heads",
            "key_dim",
            "value_dim",
            "output_shape",
            "use_gate",
            "equation",
            "bias_axes",
            "target_shape",
            "dims",
            "n",
            "size",
            "cropping",
            "pool_size",
            "keepdims",
            "axes",
            "mode",
            "cell",
            "layer",
            "backward_layer",
            "merge_mode",
            "shared_axes",
            "depth_multiplier",
            "implementation",
            "reset_after",
            "lora_rank",
            "dtype",
            "return_state",
            "return_sequences",
            "time_major",
            "batch_shape",
            "tie_weights",
            "mean",
            "frame_length",
            "fft_length",
            "virtual_batch_size",
            "output_padding",
            "consume_less",
            "nb_feature",
            "trainable",
            "concat_axis",
        ];
        let shapes: Vec<Vec<Shape>> = vec![
            vec![],
            vec![vec![]],
            vec![vec![None, Some(big), Some(big)]],
            vec![
                vec![None, Some(0), Some(3), Some(2)],
                vec![None, Some(7), Some(1), Some(2)],
            ],
            vec![vec![Some(u64::MAX); 6]],
        ];
        // tf.keras differs from Keras 3 only in names and broadcast shapes: Keras 1 and 3
        // cover every code path that reads the config.
        let dialects = [Dialect::Keras1, Dialect::Keras3];
        let mut calls = 0usize;
        for rule in registry() {
            for class in rule.classes() {
                for dialect in dialects {
                    for key in keys {
                        for value in &hostile {
                            let mut config = base_config();
                            config[key] = value.clone();
                            for inputs in &shapes {
                                let layer = LayerCfg {
                                    class_name: class,
                                    config: &config,
                                    dialect,
                                };
                                assert_formula_adds_up(rule.apply(layer, inputs), class);
                                calls += 1;
                            }
                        }
                    }
                    for config in [Value::Null, serde_json::json!([1]), serde_json::json!("s")] {
                        for inputs in [vec![], vec![vec![]], vec![vec![None; 6]]] {
                            let layer = LayerCfg {
                                class_name: class,
                                config: &config,
                                dialect,
                            };
                            assert_formula_adds_up(rule.apply(layer, &inputs), class);
                        }
                    }
                }
            }
        }
        assert!(calls > 100_000);
    }

    /// Several hostile keys at once, chosen by a fixed pseudo-random sequence.
    #[test]
    fn mixed_hostile_configs_never_panic() {
        let values = [
            serde_json::json!(0),
            serde_json::json!(1),
            serde_json::json!(2),
            serde_json::json!(7),
            serde_json::json!(1u64 << 33),
            serde_json::json!(-2),
            serde_json::json!([1, 2]),
            serde_json::json!([3]),
            serde_json::json!([]),
            serde_json::json!(null),
            serde_json::json!(false),
            serde_json::json!(true),
            serde_json::json!("same"),
            serde_json::json!("causal"),
            serde_json::json!("channels_first"),
            serde_json::json!("int4"),
            serde_json::json!("...b,bc->...c"),
            serde_json::json!("abc,cd->abd"),
        ];
        let keys = [
            "units",
            "filters",
            "kernel_size",
            "strides",
            "padding",
            "data_format",
            "groups",
            "use_bias",
            "axis",
            "num_heads",
            "key_dim",
            "value_dim",
            "output_shape",
            "equation",
            "bias_axes",
            "implementation",
            "reset_after",
            "lora_rank",
            "depth_multiplier",
            "output_padding",
            "return_state",
            "return_sequences",
            "merge_mode",
            "use_gate",
            "center",
            "scale",
            "shared_axes",
            "size",
            "pool_size",
            "keepdims",
            "block_size",
        ];
        let shapes: Vec<Vec<Shape>> = vec![
            vec![vec![None, Some(5), Some(6)]],
            vec![
                vec![None, Some(3), Some(4), Some(5), Some(6)],
                vec![None, Some(2), Some(3)],
            ],
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for rule in registry() {
            for class in rule.classes() {
                for _ in 0..150 {
                    let mut config = base_config();
                    for _ in 0..4 {
                        config[keys[next(keys.len())]] = values[next(values.len())].clone();
                    }
                    if next(4) == 0 {
                        let mode = ["int8", "int4", "float8"][next(3)];
                        config["dtype"] = serde_json::json!({"class_name": "QuantizedDTypePolicy",
                            "config": {"mode": mode}});
                    }
                    let dialect = [Dialect::Keras1, Dialect::TfKeras, Dialect::Keras3][next(3)];
                    for inputs in &shapes {
                        let layer = LayerCfg {
                            class_name: class,
                            config: &config,
                            dialect,
                        };
                        assert_formula_adds_up(rule.apply(layer, inputs), class);
                    }
                }
            }
        }
    }
}
