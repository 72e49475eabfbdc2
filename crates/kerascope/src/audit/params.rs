//! The comparison at the heart of kerascope (P1xx): every layer's expected weights, from its
//! config through the layer rules, against the tensors the file stores, tensor by tensor.

use serde::Serialize;

use super::{Finding, RuleDoc, Severity};
use crate::format::naming::to_snake_case;
use crate::format::{Format, KerasFile, NoteKind, Tensor, TensorRole};
use crate::layers::ExpectedWeight;
use crate::shape::{Expected, LayerResult, ModelResult};
use crate::text::tuple;

super::findings! {
    /// P101 `shape-mismatch`: a stored tensor's shape differs from the one the config implies.
    SHAPE_MISMATCH = RuleDoc {
        code: "P101",
        name: "shape-mismatch",
        severity: Severity::Error,
        summary: "A stored tensor's shape differs from the shape the layer's config implies.",
        why: "Keras refuses to load the weights, or (with skip_mismatch) silently leaves the layer untrained; \
              a file whose tensors do not fit its config was edited, mixed up with another model, or crafted.",
        example: "lstm_1: kernel is (4095, 1024); the config implies (4096, 1024) — LSTM 4·((4096+1)·256 + 256²) = 4,457,472",
        cves: &[],
    };

    /// P102 `missing-tensor`: the config implies a weight the file does not store.
    MISSING_TENSOR = RuleDoc {
        code: "P102",
        name: "missing-tensor",
        severity: Severity::Error,
        summary: "The config implies a weight the file does not store.",
        why: "Loading fails, or the layer runs with freshly initialised values.",
        example: "dense_2: bias (10,) is implied by the config but not stored",
        cves: &[],
    };

    /// P103 `unexpected-tensor`: a stored tensor the layer's config does not create.
    UNEXPECTED_TENSOR = RuleDoc {
        code: "P103",
        name: "unexpected-tensor",
        severity: Severity::Error,
        summary: "The file stores a tensor that the layer's config does not create.",
        why: "Keras cannot place it: loading fails, or the extra bytes ride along unseen.",
        example: "dense_1: extra:0 (65536, 32768) is stored but the config creates no such weight",
        cves: &[],
    };

    /// P104 `count-mismatch`: a layer stores another parameter count than its config implies.
    COUNT_MISMATCH = RuleDoc {
        code: "P104",
        name: "count-mismatch",
        severity: Severity::Error,
        summary: "A layer stores a different number of parameters than its config implies.",
        why: "The stored tensors cannot be the weights of this layer.",
        example: "conv2d: stores 1,200 parameters; the config implies 896 — (3·3·3+1)·32 = 896",
        cves: &[],
    };

    /// P105 `no-rule`: a layer class kerascope has no rule for.
    NO_RULE = RuleDoc {
        code: "P105",
        name: "no-rule",
        severity: Severity::Info,
        summary: "A layer class kerascope has no rule for (a custom layer, or a built-in not yet covered).",
        why: "Its stored tensors are reported but cannot be checked against its config.",
        example: "attention_3: no rule for class AttentionWithContext; 3 stored tensors (4,224 parameters) not checked",
        cves: &[],
    };

    /// P106 `unverifiable`: a layer's expected shapes cannot be derived.
    UNVERIFIABLE = RuleDoc {
        code: "P106",
        name: "unverifiable",
        severity: Severity::Info,
        summary: "A layer's expected shapes cannot be derived: its input shape is hidden upstream (a Lambda, a TF op, a custom layer).",
        why: "The stored tensors are reported but only their names could be checked.",
        example: "dense_3: input shape unknown: upstream layer lambda_1 (Lambda) has no output_shape; 2 stored tensors (1,290 parameters) not checked",
        cves: &[],
    };

    /// P107 `no-config`: no layer list to check the tensors against.
    NO_CONFIG = RuleDoc {
        code: "P107",
        name: "no-config",
        severity: Severity::Info,
        summary: "A weights-only file (or a subclassed model): there is no layer list to check the tensors against.",
        why: "Only the stored tensors can be reported; give the architecture to check them.",
        example: "weights only: no model config stored; 12 tensors (51,601 parameters) not checked",
        cves: &[],
    };

    /// P108 `input-from-tensors`: an input shape recovered from the stored tensors.
    INPUT_FROM_TENSORS = RuleDoc {
        code: "P108",
        name: "input-from-tensors",
        severity: Severity::Info,
        summary: "A layer's input shape is hidden by the config (after a Lambda or a custom layer) and was recovered from its stored tensors.",
        why: "The only input that fits every stored shape is used; the tensors are then checked against each other and the config, not against an independently derived shape.",
        example: "dense_1: input shape unknown from the config; (None, 4) is the one input that fits the stored tensors",
        cves: &[],
    };
}

/// One expected weight of a top-level layer, with where it sits below the layer.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedTensor {
    /// Names of the nested-model layers on the way (`inner_seq` → `d1`), empty at top level.
    pub sublayers: Vec<String>,
    /// Keras 3 object path below the top-level layer: `layers/dense/cell`.
    pub object_path: String,
    /// The weight as the layer rule declares it (name, shape, trainable).
    pub weight: ExpectedWeight,
}

impl ExpectedTensor {
    /// The weight's path below the top-level layer, as printed: `d1/kernel`, `cell/bias`.
    pub fn label(&self) -> String {
        let mut parts: Vec<&str> = self.sublayers.iter().skip(1).map(String::as_str).collect();
        if !self.weight.owner.is_empty() {
            parts.push(&self.weight.owner);
        }
        parts.push(&self.weight.name);
        parts.join("/")
    }
}

/// A stored tensor paired with the weight it was matched to.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// The weight the config implies; `None` for a stored tensor no rule expects.
    pub expected: Option<ExpectedTensor>,
    /// The tensor found in the file; `None` for an expected weight that is missing.
    pub stored: Option<Tensor>,
    /// A second stored copy of a counted weight (Keras 3 SpectralNormalization's kernel):
    /// not a parameter of its own.
    pub alias: bool,
}

/// The comparison of one top-level layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerCheck {
    /// The layer's name.
    pub name: String,
    /// The layer's class (`Dense`, `LSTM`, ...).
    pub class_name: String,
    /// Every stored or expected weight of the layer, paired.
    pub pairs: Vec<Pair>,
    /// Σ stored elements.
    pub stored_params: u64,
    /// Σ expected elements, `None` when some shape (or the rule) is unknown.
    pub expected_params: Option<u64>,
    /// Σ expected trainable elements, `None` when some shape (or the rule) is unknown.
    pub expected_trainable: Option<u64>,
    /// Derivation text of the layer (the nested layers' texts joined for a nested model).
    pub derivation: Option<String>,
}

/// Compares a whole model. `result` is `None` for files without a usable config.
pub fn check(file: &KerasFile, result: Option<&ModelResult>) -> (Vec<LayerCheck>, Vec<Finding>) {
    let mut findings = Vec::new();
    let stored: Vec<&Tensor> = file.tensors_of(TensorRole::Layer).collect();
    let Some(result) = result else {
        let total: u64 = stored.iter().filter_map(|t| t.elements()).sum();
        if !stored.is_empty() {
            findings.push(Finding::new(
                &NO_CONFIG,
                None,
                format!(
                    "{}: {} tensors ({} parameters) not checked",
                    if file.model_config.is_some() {
                        "subclassed model: no layer list in the config"
                    } else {
                        "weights only: no model config stored"
                    },
                    stored.len(),
                    crate::text::thousands(total)
                ),
            ));
        }
        return (Vec::new(), findings);
    };
    let weights_unread = file
        .notes
        .iter()
        .any(|n| matches!(n.kind, NoteKind::WeightsNotRead | NoteKind::NoWeights));
    if weights_unread {
        // F104/F105 already say so; comparing would report every weight as missing.
        return (Vec::new(), findings);
    }
    let keras3_paths = matches!(
        file.format,
        Format::KerasZip | Format::Keras3WeightsH5 | Format::Keras3WeightsSharded
    );
    // Legacy HDF5 weights load by their order in `weight_names` (Keras 1 and 2 alike).
    let by_position = !keras3_paths;
    let mut checks = Vec::new();
    let mut by_layer: crate::Map<&str, Vec<&Tensor>> = Default::default();
    for t in &stored {
        if let Some(layer) = t.layer.as_deref() {
            by_layer.entry(layer).or_default().push(t);
        }
    }
    let mut seen_layers = crate::Set::default();
    for (layer, key) in result.layers.iter().zip(keras3_keys(&result.layers)) {
        seen_layers.insert(layer.name.as_str());
        let mine: Vec<&Tensor> = by_layer
            .get(layer.name.as_str())
            .cloned()
            .unwrap_or_default();
        let check = check_layer(layer, &key, &mine, keras3_paths, by_position, &mut findings);
        checks.push(check);
    }
    // Stored layer groups the config does not know.
    let mut orphans: Vec<&Tensor> = stored
        .iter()
        .copied()
        .filter(|t| !t.layer.as_deref().is_some_and(|l| seen_layers.contains(&l)))
        .collect();
    orphans.sort_by(|a, b| a.path.cmp(&b.path));
    for t in orphans {
        findings.push(Finding::new(
            &UNEXPECTED_TENSOR,
            t.layer.as_deref(),
            format!(
                "{} {} is stored for a layer the config does not have",
                t.path,
                tuple(&t.shape)
            ),
        ));
    }
    (checks, findings)
}

/// The Keras 3 keys of a model's layers (snake-cased class, made unique in order).
fn keras3_keys(layers: &[LayerResult]) -> Vec<String> {
    let mut used: crate::Map<String, usize> = Default::default();
    layers
        .iter()
        .map(|l| {
            let base = to_snake_case(&l.class_name);
            let n = used.entry(base.clone()).or_insert(0);
            let key = if *n == 0 {
                base.clone()
            } else {
                format!("{base}_{n}")
            };
            *n += 1;
            key
        })
        .collect()
}

/// A stored copy of a weight, at its Keras 3 object path.
struct AliasAt {
    object_path: String,
    name: String,
}

fn flatten(
    layer: &LayerResult,
    sublayers: &[String],
    object: &str,
    out: &mut Vec<ExpectedTensor>,
    aliases: &mut Vec<AliasAt>,
    unknown: &mut Vec<String>,
) {
    let join = |a: &str, b: &str| -> String {
        [a, b]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut path = sublayers.to_vec();
    path.push(layer.name.clone());
    match &layer.expected {
        Expected::Rule(output) => {
            for w in &output.weights {
                out.push(ExpectedTensor {
                    sublayers: path.clone(),
                    object_path: join(object, &w.owner),
                    weight: w.clone(),
                });
            }
            aliases.extend(output.aliases.iter().map(|a| AliasAt {
                object_path: join(object, &a.owner),
                name: a.name.clone(),
            }));
        }
        Expected::Nested(model) => {
            for (sub, key) in model.layers.iter().zip(keras3_keys(&model.layers)) {
                let object = [object, "layers", &key]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("/");
                flatten(sub, &path, &object, out, aliases, unknown);
            }
        }
        Expected::NoRule => unknown.push(format!(
            "no rule for class {} ({})",
            layer.class_name, layer.name
        )),
        Expected::Failed(e) => unknown.push(format!("{} ({}): {e}", layer.name, layer.class_name)),
    }
}

/// The stored tensors, in their `weight_names` order, fit the expected weights one by one.
fn fits_by_position(stored: &[&Tensor], expected: &[ExpectedTensor]) -> bool {
    stored.len() == expected.len()
        && stored.iter().zip(expected).all(|(t, e)| {
            e.weight
                .shape
                .as_ref()
                .is_none_or(|shape| *shape == t.shape)
        })
}

fn check_layer(
    layer: &LayerResult,
    key: &str,
    stored: &[&Tensor],
    keras3_paths: bool,
    by_position: bool,
    findings: &mut Vec<Finding>,
) -> LayerCheck {
    let name = layer.name.as_str();
    let mut expected = Vec::new();
    let mut aliases = Vec::new();
    let mut unknown = Vec::new();
    flatten(layer, &[], "", &mut expected, &mut aliases, &mut unknown);
    let _ = key;

    // Pair each expected weight with a stored tensor.
    let mut used = vec![false; stored.len()];
    let owner_segments: Vec<Vec<&str>> = if keras3_paths {
        Vec::new()
    } else {
        stored
            .iter()
            .map(|t| t.owner.split('/').collect())
            .collect()
    };
    let mut pairs = Vec::new();
    for exp in &expected {
        let pick = if keras3_paths {
            stored.iter().enumerate().position(|(i, t)| {
                !used[i] && t.name == exp.weight.name && same_object(&t.owner, &exp.object_path)
            })
        } else {
            best_legacy_match(stored, &owner_segments, &used, exp)
        };
        if let Some(i) = pick {
            used[i] = true;
        }
        pairs.push(Pair {
            expected: Some(exp.clone()),
            stored: pick.map(|i| stored[i].clone()),
            alias: false,
        });
    }
    // Keras 1 and 2 load a legacy layer's weights by their order in `weight_names`, whatever
    // their names (Keras 1 TF variable scopes make them `global/shared/dense_1_W:0`): when the
    // names leave some weight unpaired, pair by position as Keras does, if every shape fits.
    let unpaired = pairs.iter().any(|p| p.stored.is_none()) || used.iter().any(|u| !u);
    if by_position && unpaired && fits_by_position(stored, &expected) {
        used.iter_mut().for_each(|u| *u = true);
        for (pair, t) in pairs.iter_mut().zip(stored) {
            pair.stored = Some((*t).clone());
        }
    }
    // Stored copies of counted weights are neither extra parameters nor unexpected.
    let (copies, leftovers): (Vec<&Tensor>, Vec<&Tensor>) = stored
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(t, _)| *t)
        .partition(|t| {
            t.copy_of.is_some()
                || keras3_paths
                    && aliases
                        .iter()
                        .any(|a| a.name == t.name && same_object(&t.owner, &a.object_path))
        });
    pairs.extend(copies.iter().map(|t| Pair {
        expected: None,
        stored: Some((*t).clone()),
        alias: true,
    }));
    let stored_params: u64 = pairs
        .iter()
        .filter(|p| !p.alias)
        .filter_map(|p| p.stored.as_ref()?.elements())
        .sum::<u64>()
        + leftovers.iter().filter_map(|t| t.elements()).sum::<u64>();

    let derivation = derivation_of(layer);
    if layer.input_recovered {
        findings.push(Finding::new(
            &INPUT_FROM_TENSORS,
            Some(name),
            format!(
                "input shape unknown from the config; {} is the one input that fits the stored tensors",
                crate::text::shape_text(&layer.input_shapes)
            ),
        ));
    }
    let mut errors = 0;
    let mut unverified = false;
    for pair in &pairs {
        let Some(exp) = pair.expected.as_ref() else {
            continue;
        };
        match (&pair.stored, &exp.weight.shape) {
            (Some(t), Some(shape)) if &t.shape != shape => {
                errors += 1;
                findings.push(Finding::new(
                    &SHAPE_MISMATCH,
                    Some(name),
                    format!(
                        "{} is {}; the config implies {}{}",
                        exp.label(),
                        tuple(&t.shape),
                        tuple(shape),
                        derivation
                            .as_deref()
                            .map(|d| format!(" — {} {d}", layer.class_name))
                            .unwrap_or_default()
                    ),
                ));
            }
            (Some(_), None) => unverified = true,
            (Some(_), Some(_)) => {}
            (None, _) if exp.weight.name.starts_with("lora_") => {}
            (None, shape) => {
                errors += 1;
                findings.push(Finding::new(
                    &MISSING_TENSOR,
                    Some(name),
                    format!(
                        "{}{} is implied by the config but not stored",
                        exp.label(),
                        shape
                            .as_ref()
                            .map(|s| format!(" {}", tuple(s)))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
    }
    let has_rules = unknown.is_empty();
    for t in &leftovers {
        if !has_rules {
            break;
        }
        errors += 1;
        let label = if t.owner.is_empty() {
            t.name.clone()
        } else {
            format!("{}/{}", t.owner, t.name)
        };
        findings.push(Finding::new(
            &UNEXPECTED_TENSOR,
            Some(name),
            format!(
                "{label} {} is stored but the config creates no such weight",
                tuple(&t.shape)
            ),
        ));
    }
    pairs.extend(leftovers.iter().map(|t| Pair {
        expected: None,
        stored: Some((*t).clone()),
        alias: false,
    }));

    // LoRA factors are counted by Keras but never stored: the file is checked without them.
    let stored_kind = |e: &&ExpectedTensor| !e.weight.name.starts_with("lora_");
    let expected_params = unknown
        .is_empty()
        .then(|| total_elements(expected.iter().filter(stored_kind)))
        .flatten();
    let expected_trainable = unknown
        .is_empty()
        .then(|| {
            total_elements(
                expected
                    .iter()
                    .filter(stored_kind)
                    .filter(|e| e.weight.trainable),
            )
        })
        .flatten();
    if errors == 0 {
        if let Some(exp) = expected_params
            && exp != stored_params
        {
            findings.push(Finding::new(
                &COUNT_MISMATCH,
                Some(name),
                format!(
                    "stores {} parameters; the config implies {}{}",
                    crate::text::thousands(stored_params),
                    crate::text::thousands(exp),
                    derivation
                        .as_deref()
                        .map(|d| format!(" — {d}"))
                        .unwrap_or_default()
                ),
            ));
        }
        if !unknown.is_empty() && !stored.is_empty() {
            let doc = if unknown.iter().all(|u| u.starts_with("no rule")) {
                &NO_RULE
            } else {
                &UNVERIFIABLE
            };
            findings.push(Finding::new(
                doc,
                Some(name),
                format!(
                    "{}; {} stored tensors ({} parameters) not checked",
                    unknown.join("; "),
                    stored.len(),
                    crate::text::thousands(stored_params)
                ),
            ));
        } else if unverified {
            findings.push(Finding::new(
                &UNVERIFIABLE,
                Some(name),
                format!(
                    "input shape unknown; {} stored tensors ({} parameters) checked by name only",
                    stored.len(),
                    crate::text::thousands(stored_params)
                ),
            ));
        }
    }
    LayerCheck {
        name: layer.name.clone(),
        class_name: layer.class_name.clone(),
        pairs,
        stored_params,
        expected_params,
        expected_trainable,
        derivation,
    }
}

/// Σ elements of expected weights; `None` when a shape is unknown or the sum overflows.
fn total_elements<'a>(weights: impl Iterator<Item = &'a ExpectedTensor>) -> Option<u64> {
    weights.into_iter().try_fold(0u64, |acc, e| {
        let n = e
            .weight
            .shape
            .as_ref()?
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))?;
        acc.checked_add(n)
    })
}

/// The derivation text of a layer: its rule's, or its nested layers' joined.
pub(crate) fn derivation_of(layer: &LayerResult) -> Option<String> {
    match &layer.expected {
        Expected::Rule(output) => output.derivation.clone(),
        Expected::Nested(model) => {
            let parts: Vec<String> = model
                .layers
                .iter()
                .filter_map(|l| derivation_of(l).map(|d| format!("{}: {d}", l.name)))
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

/// Keras 3 object paths compared segment by segment; tf.keras writes private names
/// (`_query_dense`) and `_layer_checkpoint_dependencies` where Keras 3 has `query_dense` and
/// `layers`.
fn same_object(stored: &str, expected: &str) -> bool {
    let norm = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p == "_layer_checkpoint_dependencies" {
                    "layers".to_string()
                } else {
                    p.trim_start_matches('_').to_string()
                }
            })
            .collect()
    };
    norm(stored) == norm(expected)
}

/// Legacy files name weights by scope (`bidirectional/forward_lstm/lstm_cell/kernel:0`,
/// `inner_seq/d1/kernel`, Keras 1 `forward_lstm_1_W_i`): among the stored tensors with the
/// expected short name, take the one whose scope mentions the most of the expected path
/// (sub-layer names, forward/backward, query/key/value), the first one on a tie.
fn best_legacy_match(
    stored: &[&Tensor],
    owner_segments: &[Vec<&str>],
    used: &[bool],
    exp: &ExpectedTensor,
) -> Option<usize> {
    let candidates: Vec<usize> = (0..stored.len())
        .filter(|&i| !used[i] && stored[i].name == exp.weight.name)
        .collect();
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    let mut hints: Vec<&str> = exp.sublayers.iter().skip(1).map(String::as_str).collect();
    for segment in exp.weight.owner.split('/') {
        let hint = match segment {
            "" | "cell" | "layer" | "cells" | "layers" => continue,
            "forward_layer" => "forward",
            "backward_layer" => "backward",
            "output_dense" => "attention_output",
            other => other.trim_start_matches('_').trim_end_matches("_dense"),
        };
        hints.push(hint);
    }
    // A segment matches a hint when it is the hint, or the hint followed by `_` (`dense_1`).
    let matches = |segment: &str, hint: &str| {
        segment
            .strip_prefix(hint)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('_'))
    };
    let score = |segments: &[&str]| -> usize {
        hints
            .iter()
            .filter(|h| segments.iter().any(|s| matches(s, h)))
            .count()
    };
    let mut best: Option<(usize, usize)> = None;
    for i in candidates {
        let s = score(&owner_segments[i]);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}
