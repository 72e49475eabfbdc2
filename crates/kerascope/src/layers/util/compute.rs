//! What a rule computes before it becomes a [`RuleOutput`]: weights, output shapes and the
//! formula built from the same numbers.

use super::*;

/// A rule's result before the derivation text is made: the weights, the output shapes and the
/// formula (built from the same numbers as the weight shapes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Computed {
    pub weights: Vec<ExpectedWeight>,
    pub outputs: Vec<Shape>,
    /// `None`: use the plain sum of the weight shapes as the formula.
    pub expr: Option<Expr>,
    pub aliases: Vec<StoredAlias>,
}

impl Computed {
    pub(crate) fn new() -> Self {
        Self::default()
    }
    /// Add a weight owned by the layer itself.
    pub(crate) fn w(&mut self, name: &str, shape: Option<Vec<u64>>, trainable: bool) {
        self.wo("", name, shape, trainable);
    }
    /// Add a weight owned by a sub-layer.
    pub(crate) fn wo(&mut self, owner: &str, name: &str, shape: Option<Vec<u64>>, trainable: bool) {
        self.weights.push(ExpectedWeight {
            owner: owner.to_string(),
            name: name.to_string(),
            shape,
            trainable,
        });
    }
    pub(crate) fn all_known(&self) -> bool {
        self.weights.iter().all(|w| w.shape.is_some())
    }
    /// The formula: the rule's own, or the sum of the weight shapes.
    pub(crate) fn formula(&self) -> Expr {
        match &self.expr {
            Some(e) => e.clone(),
            None => sum(self
                .weights
                .iter()
                .map(|w| dims(w.shape.as_deref().unwrap_or(&[])))
                .collect()),
        }
    }
    /// Put `prefix` in front of every owner path (wrappers, RNN cells).
    pub(crate) fn prefix_owners(&mut self, prefix: &str) {
        for w in &mut self.weights {
            w.owner = join_owner(prefix, &w.owner);
        }
        for a in &mut self.aliases {
            a.owner = join_owner(prefix, &a.owner);
            a.of_owner = join_owner(prefix, &a.of_owner);
        }
    }
}

pub(crate) fn join_owner(prefix: &str, owner: &str) -> String {
    match (prefix.is_empty(), owner.is_empty()) {
        (true, _) => owner.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{owner}"),
    }
}

/// The internal side of a rule: the same computation as [`crate::layers::LayerRule::apply`], but
/// returning the formula as a tree so that wrappers can combine it.
pub(crate) trait Compute: Sync {
    fn classes(&self) -> &'static [&'static str];
    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed>;
    /// Whether the layer's weights are trainable when the config has no `trainable` key.
    fn trainable_by_default(&self, _class_name: &str) -> bool {
        true
    }
    /// See [`crate::layers::LayerRule::weightless`].
    fn weightless(&self, _class_name: &str) -> bool {
        false
    }
    /// See [`crate::layers::LayerRule::probes`]: none unless the rule lists some.
    fn probes(
        &self,
        row: &crate::layers::PrintedLayer<'_>,
    ) -> Result<Vec<crate::layers::Probe>, String> {
        Err(crate::layers::probe::settings_not_shown(row.class_name))
    }
    /// See [`crate::layers::LayerRule::renamed_classes`].
    fn renamed_classes(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// Implement the public [`crate::layers::LayerRule`] for a type implementing [`Compute`].
macro_rules! layer_rule {
    ($($t:ty),* $(,)?) => {$(
        impl crate::layers::LayerRule for $t {
            fn classes(&self) -> &'static [&'static str] {
                crate::layers::util::Compute::classes(self)
            }
            fn apply(
                &self,
                layer: crate::layers::LayerCfg<'_>,
                inputs: &[crate::layers::Shape],
            ) -> Result<crate::layers::RuleOutput, crate::layers::RuleError> {
                crate::layers::util::finish(crate::layers::util::run(self, layer, inputs)?)
            }
            fn weightless(&self, class_name: &str) -> bool {
                crate::layers::util::Compute::weightless(self, class_name)
            }
            fn probes(
                &self,
                row: &crate::layers::PrintedLayer<'_>,
            ) -> Result<Vec<crate::layers::Probe>, String> {
                crate::layers::util::Compute::probes(self, row)
            }
            fn renamed_classes(&self) -> &'static [(&'static str, &'static str)] {
                crate::layers::util::Compute::renamed_classes(self)
            }
        }
    )*};
}
pub(crate) use layer_rule;

/// Compute, then apply the layer-level `trainable` flag (a frozen layer's weights all count as
/// non-trainable; the total is unchanged).
pub(crate) fn run(rule: &dyn Compute, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
    let mut c = rule.compute(layer, inputs)?;
    let trainable =
        Cfg::new(layer.config).flag(&["trainable"], rule.trainable_by_default(layer.class_name))?;
    if !trainable {
        for w in &mut c.weights {
            w.trainable = false;
        }
    }
    Ok(c)
}

/// Turn a computation into the public output, with the derivation text. A formula whose
/// value is not the weights' total is not shown; it is kept as the output's `formula_drift`,
/// which the tests check over every fixture, corpus file and verified case.
pub(crate) fn finish(c: Computed) -> R<RuleOutput> {
    let mut formula_drift = None;
    let derivation = if c.weights.is_empty() {
        Some("0 (no weights)".to_string())
    } else if !c.all_known() {
        None
    } else {
        let mut total = 0u64;
        let mut frozen = 0u64;
        for w in &c.weights {
            let size = product(w.shape.as_deref().unwrap_or(&[]), &w.name)?;
            total = add(total, size, &w.name)?;
            if !w.trainable {
                frozen = add(frozen, size, &w.name)?;
            }
        }
        let formula = c.formula();
        let value = formula.eval();
        let rendered = formula.render();
        if let Some(value) = value.filter(|v| *v != total) {
            formula_drift = Some(FormulaDrift {
                formula: rendered.clone(),
                value,
                weights_total: total,
            });
        }
        let mut text = if value == Some(total) && rendered != total.to_string() {
            format!("{rendered} = {}", thousands(total))
        } else {
            thousands(total)
        };
        if frozen > 0 {
            text.push_str(&format!(" ({} non-trainable)", thousands(frozen)));
        }
        Some(text)
    };
    Ok(RuleOutput {
        weights: c.weights,
        output_shapes: c.outputs,
        derivation,
        aliases: c.aliases,
        formula_drift,
    })
}
