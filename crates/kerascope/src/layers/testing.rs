//! What the layer rules' unit tests share: running a rule, writing a batched shape, adding up
//! the weights. (The expected numbers stay in each test, from FORMULAS.md and Keras.)

use serde_json::Value;

use super::{Dialect, LayerCfg, LayerRule, RuleOutput, Shape};

/// The rule's output for one layer, which must not be an error. A Keras 1 config is
/// translated first, as the graph hands it to the rules.
pub(crate) fn apply(
    rule: &dyn LayerRule,
    dialect: Dialect,
    class: &str,
    config: &Value,
    inputs: &[Shape],
) -> RuleOutput {
    let translated;
    let config = if dialect == Dialect::Keras1 {
        translated = crate::graph::keras1::translate(class, config.clone());
        &translated
    } else {
        config
    };
    rule.apply(
        LayerCfg {
            class_name: class,
            config,
            dialect,
        },
        inputs,
    )
    .unwrap_or_else(|e| panic!("{class} {config}: {e}"))
}

/// `(None, d0, d1, ...)`: a shape with its batch axis.
pub(crate) fn s(dims: &[u64]) -> Shape {
    std::iter::once(None)
        .chain(dims.iter().map(|&d| Some(d)))
        .collect()
}

/// Every weight's element count added up (all shapes must be known).
pub(crate) fn total(o: &RuleOutput) -> u64 {
    o.weights
        .iter()
        .map(|w| w.shape.as_ref().unwrap().iter().product::<u64>())
        .sum()
}
