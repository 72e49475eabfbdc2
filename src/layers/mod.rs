//! Layer rules: for every built-in Keras layer class that owns weights, the weights it creates
//! (name, shape, trainable), its output shape and the arithmetic behind its parameter count.
//!
//! One rule serves every use: the reader names Keras 3 `vars/N` datasets with the rule's weight
//! order, `check` compares the expected shapes with the stored tensors, and `summary --explain` /
//! `formula` print the derivation — all from the same [`RuleOutput`], so the number shown and
//! the arithmetic shown cannot disagree.
//!
//! Adding a layer class touches one file of this module (plus one line in [`registry`]).

use serde_json::Value;

/// One dimension: `None` when unknown (the batch axis, a variable sequence length, or a shape
/// hidden behind a layer whose output cannot be derived).
pub type Dim = Option<u64>;

/// A tensor shape including the batch axis, e.g. `[None, 32, 32, 3]`.
pub type Shape = Vec<Dim>;

/// Which Keras wrote the config. Rules only ask this where Keras itself stores different
/// tensors (Keras 1 split RNN gates, Keras 1 `th` kernel layouts, GRU `reset_after` default...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Keras 0.x / 1.x (`output_dim`, `nb_filter`, `border_mode`, ...).
    Keras1,
    /// Standalone Keras 2.0 – 2.3.
    Keras2,
    /// tf.keras 2.x and tf_keras.
    TfKeras,
    /// Keras 3.
    Keras3,
}

impl Dialect {
    /// The dialect a stored `keras_version` string implies (FORMATS.md §0): missing → Keras 1,
    /// `-tf` suffix or ≥ 2.4 → tf.keras.
    pub fn from_keras_version(version: Option<&str>) -> Dialect {
        let Some(version) = version else {
            return Dialect::Keras1;
        };
        let mut parts = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1);
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        match major {
            0 | 1 => Dialect::Keras1,
            2 if version.contains("-tf") || minor >= 4 => Dialect::TfKeras,
            2 => Dialect::Keras2,
            _ => Dialect::Keras3,
        }
    }
}

/// One layer's configuration as a rule sees it: the class name and the `config` object, with
/// Keras 1 key names already translated to Keras 2 ones by the graph module.
#[derive(Debug, Clone, Copy)]
pub struct LayerCfg<'a> {
    pub class_name: &'a str,
    pub config: &'a Value,
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
}

/// Why a rule could not compute the weights of a layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A config key the rule needs is missing or has the wrong type.
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
}

/// The rule for a class name, if there is one.
pub fn rule_for(class_name: &str) -> Option<&'static dyn LayerRule> {
    registry().iter().copied().find(|rule| rule.classes().contains(&class_name))
}

/// Every rule known. Keep sorted by family.
pub fn registry() -> &'static [&'static dyn LayerRule] {
    &[]
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
        assert_eq!(Dialect::from_keras_version(Some("2.2.4-tf")), Dialect::TfKeras);
        assert_eq!(Dialect::from_keras_version(Some("2.4.0")), Dialect::TfKeras);
        assert_eq!(Dialect::from_keras_version(Some("2.21.0")), Dialect::TfKeras);
        assert_eq!(Dialect::from_keras_version(Some("3.15.1")), Dialect::Keras3);
    }
}
