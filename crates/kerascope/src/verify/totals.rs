//! The lines under the table: the summary's own arithmetic, then its totals against the
//! file's — with Keras 3's optimizer state, LoRA factors and changed trainable flags explained.

use super::align::FileRow;
use super::parse::PrintedSummary;
use super::{Difference, Findings, Kind};
use crate::summary::{Row, Summary};
use crate::text::thousands;

/// Parameters Keras counts that a file never stores: LoRA factors (`lora_kernel_a`, ...),
/// merged into the kernel on save and created again when the layer is built.
pub(super) fn unsaved_lora(row: &Row) -> u64 {
    row.pairs
        .iter()
        .filter(|p| p.stored.is_none())
        .filter_map(|p| p.expected.as_ref())
        .filter(|e| e.weight.name.starts_with("lora_"))
        .filter_map(|e| e.weight.shape.as_ref())
        .map(|s| s.iter().product::<u64>())
        .sum()
}

/// The summary's own arithmetic: `Total params` is the trainable, non-trainable (and Keras 3
/// optimizer) counts added up.
pub(super) fn own_arithmetic(printed: &PrintedSummary) -> Option<Difference> {
    let t = &printed.totals;
    let (total, tr, non) = (t.total?, t.trainable?, t.non_trainable?);
    let sum = tr + non + t.optimizer.unwrap_or(0);
    (sum != total).then(|| Difference {
        kind: Kind::InconsistentTotals,
        row: None,
        line: None,
        summary: Some(format!(
            "Total params {} ≠ {} trainable + {} non-trainable{}",
            thousands(total),
            thousands(tr),
            thousands(non),
            t.optimizer
                .map(|o| format!(" + {} optimizer", thousands(o)))
                .unwrap_or_default()
        )),
        file: None,
        explanation: Some(
            "the summary's own totals do not add up: a number was edited or mistyped".into(),
        ),
    })
}

pub(super) fn compare_totals(
    printed: &PrintedSummary,
    ours: &Summary,
    file_rows: &[FileRow],
    found: &mut Findings,
) {
    let t = &printed.totals;
    let lora: u64 = file_rows
        .iter()
        .filter(|r| r.depth == 0)
        .map(|r| unsaved_lora(r.row))
        .sum();
    let rows_differ = found.differences.iter().any(|d| {
        matches!(
            d.kind,
            Kind::Params | Kind::MissingRow | Kind::ExtraRow | Kind::Renamed
        )
    });
    found.differences.extend(own_arithmetic(printed));
    let file_total = ours.total_params + lora;
    if let Some(total) = t.total {
        let printed_optimizer = t.optimizer.unwrap_or(0);
        let model_total = total.saturating_sub(printed_optimizer);
        if model_total != file_total || total < printed_optimizer {
            let explanation = if t.optimizer.is_none()
                && ours
                    .optimizer_params
                    .is_some_and(|o| total == file_total + o)
            {
                Some(format!(
                    "the total includes the file's {} optimizer parameters: Keras 3 counts the optimizer state in Total params once the optimizer is built (after fit()); its `Optimizer params` line is missing from the text",
                    thousands(ours.optimizer_params.unwrap_or(0))
                ))
            } else if rows_differ {
                Some("follows from the rows that differ".into())
            } else {
                None
            };
            found.differ(
                Kind::TotalParams,
                None,
                None,
                Some(thousands(total)),
                Some(thousands(file_total)),
                explanation,
            );
        } else if let Some(optimizer) = t.optimizer {
            match ours.optimizer_params {
                Some(o) if o == optimizer => found.note(
                    None,
                    None,
                    format!(
                        "Total params {} = {} model parameters + {} optimizer parameters: Keras 3 counts the optimizer state in the total once the optimizer is built (after fit()); the file stores the same optimizer state",
                        thousands(total),
                        thousands(file_total),
                        thousands(optimizer)
                    ),
                ),
                Some(o) => found.differ(
                    Kind::OptimizerParams,
                    None,
                    None,
                    Some(thousands(optimizer)),
                    Some(thousands(o)),
                    Some("the same model with another optimizer state: a different optimizer (Adam keeps two slots per trainable weight, SGD with momentum one), or state for other trainable weights".into()),
                ),
                None => found.note(
                    None,
                    None,
                    format!(
                        "Total params {} = {} model parameters + {} optimizer parameters (Keras 3 after fit()); the file stores no optimizer state (saved without it, or weights only)",
                        thousands(total),
                        thousands(file_total),
                        thousands(optimizer)
                    ),
                ),
            }
        }
    }
    if lora > 0 {
        found.note(
            None,
            None,
            format!(
                "the totals count {} LoRA parameters that the file does not store",
                thousands(lora)
            ),
        );
    }
    if ours.unknown_trainability > 0 {
        if t.trainable.is_some() {
            found.note(
                None,
                None,
                "the file does not tell which weights are trainable: the trainable split is not compared",
            );
        }
        return;
    }
    let (file_tr, file_non) = (ours.trainable_params + lora, ours.non_trainable_params);
    let (Some(tr), Some(non)) = (t.trainable, t.non_trainable) else {
        return;
    };
    if tr == file_tr && non == file_non {
        return;
    }
    let same_weights = tr + non == file_tr + file_non;
    let explanation = if same_weights {
        let moved = tr.abs_diff(file_tr);
        let frozen_in_summary = tr < file_tr;
        let rows: Vec<&str> = file_rows
            .iter()
            .filter(|r| r.depth == 0)
            .filter(|r| {
                if frozen_in_summary {
                    r.row.trainable_params == moved
                } else {
                    r.row.non_trainable_params == moved && r.row.frozen
                }
            })
            .map(|r| r.row.name.as_str())
            .collect();
        let which = match rows.as_slice() {
            [one] => format!(" — exactly the parameters of `{one}`"),
            _ => String::new(),
        };
        Some(format!(
            "same weights, different trainable flags: {} parameters are {} in the summary but {} in the file{which}. layer.trainable was changed between printing and saving, or the file does not keep the flag (Keras 2 does not save a nested model's `trainable`)",
            thousands(moved),
            if frozen_in_summary {
                "non-trainable"
            } else {
                "trainable"
            },
            if frozen_in_summary {
                "trainable"
            } else {
                "non-trainable"
            },
        ))
    } else if rows_differ {
        Some("follows from the rows that differ".into())
    } else {
        None
    };
    if tr != file_tr {
        found.differ(
            Kind::TrainableParams,
            None,
            None,
            Some(thousands(tr)),
            Some(thousands(file_tr)),
            explanation.clone(),
        );
    }
    if non != file_non {
        found.differ(
            Kind::NonTrainableParams,
            None,
            None,
            Some(thousands(non)),
            Some(thousands(file_non)),
            explanation,
        );
    }
}
