//! A summary with no file: each row's count re-derived from what the table shows — its layer
//! type, its output shape and its input's (the previous row, or the rows `Connected to`
//! names) — through the same layer rules `check` uses.
//!
//! What a row does not show is tried both ways (`use_bias`, GRU's `reset_after`,
//! BatchNormalization's `center`/`scale`, `data_format`, ...). What it cannot show at all —
//! a kernel size, a vocabulary, the input size of the first layer — is solved for: these
//! counts grow by the same step with each unit of the unknown, so two evaluations of the rule
//! give the one value that fits, and the rule's own arithmetic at that value is shown. A count
//! that no configuration and no value gives cannot be right.

use super::parse::{PrintedRow, PrintedShape, PrintedSummary, Style};
use super::{Difference, Kind, Note, RowOutcome, RowStatus, Verification};
use crate::layers::{PrintedLayer, Probe, registry, rule_for};
use crate::model::Shape;
use crate::text::{shape_text, thousands};

/// A class whose rule says it never owns weights (`MaxPooling2D`, `Dropout`, ...).
fn weightless(class: &str) -> bool {
    rule_for(class).is_some_and(|rule| rule.weightless(class))
}

/// What the table lets us say about one row.
enum Verdict {
    Fits(String),
    Cannot(String),
    Impossible(Vec<String>),
}

/// The configurations to try for a row of class `class` with output `out` and input
/// `input`: the class's rule lists them ([`crate::layers::LayerRule::probes`]).
fn probes(
    class: &str,
    out: &Shape,
    input: Option<&Shape>,
    keras3: bool,
) -> Result<Vec<Probe>, String> {
    if matches!(class, "Sequential" | "Functional" | "Model") {
        return Err(
            "a nested model: its count is the sum of its own layers, which the table does not show"
                .into(),
        );
    }
    let rule =
        rule_for(class).ok_or_else(|| format!("no rule for class {class} (a custom layer?)"))?;
    rule.probes(&PrintedLayer {
        class_name: class,
        output: out,
        input,
        keras3,
    })
}

/// The classes a cut class name can be.
fn classes_for(row: &PrintedRow) -> Vec<String> {
    match (&row.class_name, row.class_truncated) {
        (None, _) => Vec::new(),
        (Some(c), false) => vec![c.clone()],
        (Some(prefix), true) => {
            let mut all: Vec<String> = registry()
                .iter()
                .flat_map(|r| r.classes().iter())
                .filter(|c| c.starts_with(prefix.as_str()))
                .map(|c| c.to_string())
                .collect();
            all.sort();
            all.dedup();
            all
        }
    }
}

fn verdict(row: &PrintedRow, out: Option<&Shape>, input: Option<&Shape>, keras3: bool) -> Verdict {
    if let Some(note) = &row.params_note {
        return Verdict::Cannot(format!("Keras printed the layer {note}"));
    }
    let classes = classes_for(row);
    if classes.is_empty() {
        return Verdict::Cannot("the layer type was cut off".into());
    }
    if classes.iter().all(|c| weightless(c)) {
        return if row.params == 0 {
            Verdict::Fits("no weights".into())
        } else {
            Verdict::Impossible(vec![format!("{} owns no weights", classes[0])])
        };
    }
    let Some(out) = out else {
        return Verdict::Cannot("the output shape is not shown in full".into());
    };
    let mut all = Vec::new();
    let mut reasons = Vec::new();
    for class in &classes {
        match probes(class, out, input, keras3) {
            Ok(list) => all.extend(list),
            Err(reason) => reasons.push(reason),
        }
    }
    // Usual configurations first; rare ones (groups, a different backward layer, quantized)
    // only when no usual one fits. Of several fits: one that also gives the printed output
    // shape, then the smallest unknown, then the first listed.
    let (usual, rare): (Vec<Probe>, Vec<Probe>) = all.into_iter().partition(|p| !p.rare);
    let mut tried = Vec::new();
    let mut best: Option<((bool, u64), String)> = None;
    for tier in [usual, rare] {
        for probe in &tier {
            if let Some((x, how)) = probe.fit(row.params) {
                let shape_fits = input.is_some_and(|i| probe.reproduces(x, i, out));
                let rank = (!shape_fits, x);
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, how));
                }
                continue;
            }
            tried.push(match probe.unknown {
                Some(u) => format!("{} with {u} any size", probe.label),
                None => probe
                    .count(0)
                    .map(|(n, _)| format!("{}: {}", probe.label, thousands(n)))
                    .unwrap_or_else(|| probe.label.clone()),
            });
        }
        if best.is_some() {
            break;
        }
    }
    if let Some((_, how)) = best {
        return Verdict::Fits(how);
    }
    if tried.is_empty() {
        return Verdict::Cannot(reasons.join("; "));
    }
    const SHOWN: usize = 6;
    if tried.len() > SHOWN {
        let more = tried.len() - SHOWN;
        tried.truncate(SHOWN);
        tried.push(format!("… {more} more configurations"));
    }
    Verdict::Impossible(tried)
}

/// How a row's count comes about when its input is not known: `Dense(16) with an input of
/// size 12: (12+1)·16 = 208`.
pub(crate) fn fit_on_any_input(row: &PrintedRow, keras3: bool) -> Option<String> {
    match verdict(row, first_shape(row), None, keras3) {
        Verdict::Fits(how) if how != "no weights" => Some(how),
        _ => None,
    }
}

/// The first output shape a row shows, when it shows it in full.
fn first_shape(row: &PrintedRow) -> Option<&Shape> {
    match &row.output_shape {
        PrintedShape::Known(shapes) => shapes.first(),
        _ => None,
    }
}

/// The input of row `i`: the row its first `Connected to` entry names, or (no such column)
/// the row above at the same depth.
pub(crate) fn input_of(printed: &PrintedSummary, i: usize) -> Option<&Shape> {
    let row = &printed.rows[i];
    if let Some(connections) = &row.connected_to {
        let first = connections.first()?;
        let source = printed.rows[..i].iter().rev().find(|r| {
            if first.truncated {
                r.name.starts_with(&first.layer)
            } else {
                r.may_be(&first.layer)
            }
        })?;
        return match &source.output_shape {
            PrintedShape::Known(shapes) => shapes.get(first.tensor.unwrap_or(0)).or(shapes.first()),
            _ => None,
        };
    }
    let previous = printed.rows[..i].last()?;
    (previous.depth == row.depth)
        .then(|| first_shape(previous))
        .flatten()
}

/// Verifies a summary on its own: each row's count against what its type and shapes allow,
/// and the totals against the rows.
pub fn without_file(printed: &PrintedSummary) -> Verification {
    let mut differences = Vec::new();
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for (i, row) in printed.rows.iter().enumerate() {
        let keras3 = printed.style == Style::Keras3;
        let (status, detail) = match verdict(row, first_shape(row), input_of(printed, i), keras3) {
            Verdict::Fits(how) => (RowStatus::Recomputed, Some(how)),
            Verdict::Cannot(why) => (RowStatus::CannotRecompute, Some(why)),
            Verdict::Impossible(tried) => {
                let input = input_of(printed, i)
                    .map(|s| format!(" on input {}", shape_text(std::slice::from_ref(s))))
                    .unwrap_or_default();
                let why = format!(
                    "no {} with output {}{input} has {} parameters (tried {})",
                    row.class_name.as_deref().unwrap_or("layer"),
                    row.shape_text,
                    thousands(row.params),
                    tried.join("; ")
                );
                differences.push(Difference {
                    kind: Kind::ImpossibleParams,
                    row: Some(row.name.clone()),
                    line: Some(row.line),
                    summary: Some(thousands(row.params)),
                    file: None,
                    explanation: Some(why.clone()),
                });
                (RowStatus::Impossible, Some(why))
            }
        };
        rows.push(RowOutcome {
            line: Some(row.line),
            depth: row.depth,
            name: row.name.clone(),
            class_name: row.class_name.clone(),
            summary_params: Some(row.params),
            file_params: None,
            status,
            detail,
        });
    }
    let t = &printed.totals;
    differences.extend(super::totals::own_arithmetic(printed));
    if let Some(total) = t.total {
        let model_total = total.saturating_sub(t.optimizer.unwrap_or(0));
        let rows_sum: u64 = printed
            .rows
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| r.params)
            .sum();
        if rows_sum != model_total {
            differences.push(Difference {
                kind: Kind::InconsistentTotals,
                row: None,
                line: None,
                summary: Some(format!(
                    "the rows add up to {}, the total{} says {}",
                    thousands(rows_sum),
                    if t.optimizer.is_some() { " less the optimizer parameters" } else { "" },
                    thousands(model_total)
                )),
                file: None,
                explanation: Some(
                    "a row or a total was edited, a row is missing — or layers share weights (Keras counts a shared weight once in the total)"
                        .into(),
                ),
            });
        }
        if let Some(optimizer) = t.optimizer {
            notes.push(Note {
                row: None,
                line: None,
                message: format!(
                    "Total params {} includes {} optimizer parameters: Keras 3 counts the optimizer state once it is built (after fit())",
                    thousands(total),
                    thousands(optimizer)
                ),
            });
        }
    }
    Verification {
        style: printed.style,
        summary_model: printed.model_name.clone(),
        file_model: None,
        rows,
        differences,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::parse::parse;

    fn row(class: &str, out: Shape, params: u64) -> PrintedRow {
        PrintedRow {
            line: 1,
            depth: 0,
            name: "x".into(),
            name_truncated: false,
            class_name: Some(class.into()),
            class_truncated: false,
            shape_text: shape_text(std::slice::from_ref(&out)),
            output_shape: PrintedShape::Known(vec![out]),
            params,
            params_note: None,
            connected_to: None,
            trainable: None,
        }
    }

    fn fits(class: &str, out: Shape, input: Option<Shape>, params: u64) -> Option<String> {
        let r = row(class, out, params);
        match verdict(&r, first_shape(&r), input.as_ref(), true) {
            Verdict::Fits(how) => Some(how),
            _ => None,
        }
    }

    // Counts below are those Keras printed in fixtures/summaries (writer in each comment).

    #[test]
    fn dense_with_and_without_its_input() {
        // tf_keras 2.21, tfk_sequential_basic: dense_1 (Dense) (None, 4) 68 after (None, 16).
        assert!(fits("Dense", vec![None, Some(4)], Some(vec![None, Some(16)]), 68).is_some());
        assert!(fits("Dense", vec![None, Some(4)], Some(vec![None, Some(16)]), 69).is_none());
        // The first row of a Sequential: the input size is solved for (8 → 144 = (8+1)·16).
        let how = fits("Dense", vec![None, Some(16)], None, 144).unwrap();
        assert!(how.contains("an input of size 8"), "{how}");
    }

    #[test]
    fn gru_says_which_layout() {
        // Keras 3.15.1, k3_recurrent: gru (GRU) (None, 10, 5) 195 after (None, 10, 6).
        let how = fits(
            "GRU",
            vec![None, Some(10), Some(5)],
            Some(vec![None, Some(10), Some(6)]),
            195,
        )
        .unwrap();
        assert!(how.contains("reset_after=True"), "{how}");
        // Keras 2.3.1, k2_recurrent: gru (GRU) (None, 10, 5) 180 after (None, 10, 6).
        let how = fits(
            "GRU",
            vec![None, Some(10), Some(5)],
            Some(vec![None, Some(10), Some(6)]),
            180,
        )
        .unwrap();
        assert!(how.contains("reset_after=False"), "{how}");
    }

    #[test]
    fn convolution_kernels_are_solved_for() {
        // Keras 3.15.1, k3_conv: conv2d (Conv2D) (None, 14, 14, 8) 152 on (None, 16, 16, 4):
        // a grouped convolution.
        let how = fits(
            "Conv2D",
            vec![None, Some(14), Some(14), Some(8)],
            Some(vec![None, Some(16), Some(16), Some(4)]),
            152,
        )
        .unwrap();
        assert!(how.contains("groups=2"), "{how}");
        // Keras 1.2.2, k1_conv: conv_a (Convolution2D) (None, 8, 14, 14) 224, channels first.
        let how = fits(
            "Convolution2D",
            vec![None, Some(8), Some(14), Some(14)],
            Some(vec![None, Some(3), Some(16), Some(16)]),
            224,
        )
        .unwrap();
        assert!(how.contains("a kernel of 9"), "{how}");
    }

    #[test]
    fn resnet50_stem_as_keras_2_0_printed_it() {
        // https://github.com/keras-team/keras/issues/5822: conv1 (Conv2D) (None, 112, 112, 64)
        // 9472 after (None, 230, 230, 3); bn_conv1 (BatchNormalization) 256.
        let how = fits(
            "Conv2D",
            vec![None, Some(112), Some(112), Some(64)],
            Some(vec![None, Some(230), Some(230), Some(3)]),
            9472,
        )
        .unwrap();
        assert!(how.contains("7·7·3·64 + 64"), "{how}");
        assert!(
            fits(
                "BatchNormalization",
                vec![None, Some(112), Some(112), Some(64)],
                None,
                256
            )
            .is_some()
        );
    }

    #[test]
    fn weightless_layers_hold_nothing() {
        assert!(fits("Dropout", vec![None, Some(16)], None, 0).is_some());
        assert!(
            fits(
                "MaxPooling2D",
                vec![None, Some(5), Some(5), Some(4)],
                None,
                0
            )
            .is_some()
        );
        assert!(fits("Flatten", vec![None, Some(30)], None, 3).is_none());
    }

    #[test]
    fn a_summary_that_does_not_add_up() {
        let text = "\
Model: \"m\"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 16)                144       
                                                                 
 dense_1 (Dense)             (None, 4)                 68        
                                                                 
=================================================================
Total params: 213 (1.08 KB)
Trainable params: 212 (976.00 Byte)
Non-trainable params: 0 (128.00 Byte)
_________________________________________________________________
";
        let v = without_file(&parse(text).unwrap());
        let kinds: Vec<Kind> = v.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [Kind::InconsistentTotals, Kind::InconsistentTotals]);
        assert!(v.rows.iter().all(|r| r.status == RowStatus::Recomputed));
    }
}
