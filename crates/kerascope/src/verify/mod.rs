//! `kerascope verify`: is this pasted `model.summary()` the summary of this file?
//!
//! The printed rows ([`mod@parse`]) are lined up with the file's own summary rows
//! ([`crate::summary::build`]) by name, in order — a longest common subsequence, so
//! that a removed, added or renamed row does not shift every row after it — and compared row by
//! row: name, type, output shape, parameter count, inputs (`Connected to`), `Trainable`; then
//! the totals. Every difference is reported with the row and the line it is on; the well-known
//! ones carry their explanation (Keras 3 adds optimizer state into `Total params` after
//! `fit()`; trainable flags changed; a different input shape; LoRA factors that are never
//! saved).
//!
//! Without a file, [`recompute`] re-derives each row's count from its type and the shapes
//! around it, through the same layer rules.

mod align;
pub mod parse;
pub mod recompute;
mod totals;

use serde::Serialize;

pub use align::same_layer_class;
pub use parse::{ParseError, PrintedRow, PrintedShape, PrintedSummary, Style, parse};
pub use recompute::without_file;

use align::{FileRow, align, flatten, mark, pair_renamed, same_class, shapes_agree};
use totals::{compare_totals, unsaved_lora};

use crate::analysis::Analysis;
use crate::model::Shape;
use crate::summary::{self, Row, Summary};
use crate::text::shape_text;
use crate::text::thousands;

/// Version of the `verify --format json` document.
pub const SCHEMA: &str = "kerascope.verify/1";

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// A layer of the file has no row in the summary.
    MissingRow,
    /// A row of the summary names no layer of the file.
    ExtraRow,
    /// A row and a layer at the same place, with the same type and count, named differently.
    Renamed,
    /// A row at another place than its layer in the file's model.
    Order,
    /// A row names another layer class than the file's layer.
    Class,
    /// A row's output shape differs from the one inferred from the file.
    OutputShape,
    /// A row's parameter count differs from the file's.
    Params,
    /// A row's `Connected to` entries differ from the file's graph.
    ConnectedTo,
    /// A row's `Trainable` column differs from the file's layer.
    Trainable,
    /// The `Total params` line differs from the file.
    TotalParams,
    /// The `Trainable params` line differs from the file.
    TrainableParams,
    /// The `Non-trainable params` line differs from the file.
    NonTrainableParams,
    /// The `Optimizer params` line (Keras 3) differs from the file's optimizer state.
    OptimizerParams,
    /// The summary's own numbers do not add up.
    InconsistentTotals,
    /// No file: a row's count fits no configuration of its layer type.
    ImpossibleParams,
}

impl Kind {
    /// The `kind` text of the JSON difference (`missing_row`, `params`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MissingRow => "missing_row",
            Kind::ExtraRow => "extra_row",
            Kind::Renamed => "renamed",
            Kind::Order => "order",
            Kind::Class => "class",
            Kind::OutputShape => "output_shape",
            Kind::Params => "params",
            Kind::ConnectedTo => "connected_to",
            Kind::Trainable => "trainable",
            Kind::TotalParams => "total_params",
            Kind::TrainableParams => "trainable_params",
            Kind::NonTrainableParams => "non_trainable_params",
            Kind::OptimizerParams => "optimizer_params",
            Kind::InconsistentTotals => "inconsistent_totals",
            Kind::ImpossibleParams => "impossible_params",
        }
    }
}

/// One difference between the summary and the file (or, without a file, a number of the
/// summary that cannot be right).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What differs.
    pub kind: Kind,
    /// The layer (the file's name when the row was matched).
    pub row: Option<String>,
    /// 1-based line of the summary text.
    pub line: Option<usize>,
    /// What the summary says.
    pub summary: Option<String>,
    /// What the file says.
    pub file: Option<String>,
    /// Why, when it is one of the well-known differences.
    pub explanation: Option<String>,
}

/// Something worth saying that is not a difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The layer it concerns, if any (the file's name when the row was matched).
    pub row: Option<String>,
    /// 1-based line of the summary text it concerns, if any.
    pub line: Option<usize>,
    /// The note, in one line.
    pub message: String,
}

/// How one row fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowStatus {
    /// The row agrees with the file's layer.
    Matches,
    /// The row disagrees with the file's layer (see the differences).
    Differs,
    /// In the file, not in the summary.
    MissingFromSummary,
    /// In the summary, not in the file.
    NotInFile,
    /// No file: the count was re-derived and fits.
    Recomputed,
    /// No file: the count depends on what the summary does not show.
    CannotRecompute,
    /// No file: the count fits no configuration.
    Impossible,
}

/// One row of the report, in summary order (rows missing from the summary at their place).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    /// 1-based line of the summary text; `None` for a row missing from the summary.
    pub line: Option<usize>,
    /// Nesting level inside expanded nested models, 0 at top level.
    pub depth: usize,
    /// The layer's name (the file's name when the row was matched).
    pub name: String,
    /// The layer's class (`class` in JSON), when known.
    #[serde(rename = "class")]
    pub class_name: Option<String>,
    /// The count the summary prints; `None` for a row missing from the summary.
    pub summary_params: Option<u64>,
    /// The count from the file; `None` without a file or for a row not in the file.
    pub file_params: Option<u64>,
    /// How the row fared.
    pub status: RowStatus,
    /// The arithmetic (recomputed rows) or why not.
    pub detail: Option<String>,
}

/// The whole verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Which Keras printed the summary.
    pub style: Style,
    /// The model name on the summary's `Model:` line, if any.
    pub summary_model: Option<String>,
    /// The model name in the file's config; `None` without a file or config.
    pub file_model: Option<String>,
    /// Every row, in summary order (rows missing from the summary at their place).
    pub rows: Vec<RowOutcome>,
    /// Every difference; empty when the summary matches.
    pub differences: Vec<Difference>,
    /// What is worth saying without being a difference.
    pub notes: Vec<Note>,
}

impl Verification {
    /// No difference at all.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Whether two shapes differ in an axis other than the last: what a different input does to a
/// first layer (a Dense's or a Conv's last axis is its own units or filters).
fn differs_before_last_axis(printed: &PrintedShape, file: &[Shape]) -> bool {
    let (PrintedShape::Known(p), Some(f)) = (printed, file.first()) else {
        return false;
    };
    let Some(p) = p.first() else { return false };
    p.len() != f.len() || p[..p.len().saturating_sub(1)] != f[..f.len().saturating_sub(1)]
}

/// The layer names a file row's `Connected to` lists.
fn file_inputs(row: &Row) -> Vec<String> {
    parse::connections(&row.connected_to.join(", "))
        .into_iter()
        .map(|c| c.layer)
        .collect()
}

/// Printed inputs that no file input matches, and file inputs no printed input matches.
fn input_differences(printed: &[parse::Connection], file: &[String]) -> (Vec<String>, Vec<String>) {
    let mut unused: Vec<Option<&String>> = file.iter().map(Some).collect();
    let mut extra = Vec::new();
    for c in printed {
        let fits = |name: &String| {
            if c.truncated {
                name.starts_with(&c.layer)
            } else {
                *name == c.layer
            }
        };
        match unused.iter_mut().find(|u| u.is_some_and(fits)) {
            Some(slot) => *slot = None,
            None => extra.push(c.layer.clone()),
        }
    }
    let missing = unused.into_iter().flatten().cloned().collect();
    (extra, missing)
}

/// Collects differences and notes while walking the rows.
struct Findings {
    differences: Vec<Difference>,
    notes: Vec<Note>,
}

impl Findings {
    fn differ(
        &mut self,
        kind: Kind,
        row: Option<&str>,
        line: Option<usize>,
        summary: Option<String>,
        file: Option<String>,
        explanation: Option<String>,
    ) {
        self.differences.push(Difference {
            kind,
            row: row.map(str::to_string),
            line,
            summary,
            file,
            explanation,
        });
    }

    fn note(&mut self, row: Option<&str>, line: Option<usize>, message: impl Into<String>) {
        self.notes.push(Note {
            row: row.map(str::to_string),
            line,
            message: message.into(),
        });
    }
}

/// Where the model's input shape first differs, for the rows downstream.
struct InputShapeRoot {
    row: String,
}

/// Compares a printed summary with an analysed file.
pub fn against_file(printed: &PrintedSummary, analysis: &Analysis) -> Verification {
    let ours = summary::build(analysis);
    let expand = printed.rows.iter().any(|r| r.depth > 0);
    let mut file_rows = Vec::new();
    flatten(&ours.rows, 0, expand, &mut file_rows);
    let mut found = Findings {
        differences: Vec::new(),
        notes: Vec::new(),
    };
    if let (Some(a), Some(b)) = (&printed.model_name, &ours.model_name)
        && a != b
    {
        found.note(
            None,
            None,
            format!("the summary is of model \"{a}\", the file's model is named \"{b}\""),
        );
    }
    if !ours.shapes_known {
        found.note(
            None,
            None,
            "the file stores no model config: layer types, output shapes and inputs are not compared, only names and counts",
        );
    }

    let mut pairs = align(&printed.rows, &file_rows);
    let matched_printed: Vec<bool> = mark(printed.rows.len(), pairs.iter().map(|p| p.0));
    let matched_file: Vec<bool> = mark(file_rows.len(), pairs.iter().map(|p| p.1));
    // Rows printed in another order (a file without config lists layers as stored).
    let mut reordered = Vec::new();
    for (i, row) in printed.rows.iter().enumerate() {
        if matched_printed[i] || row.name_truncated {
            continue;
        }
        let candidates: Vec<usize> = (0..file_rows.len())
            .filter(|&j| !matched_file[j] && file_rows[j].row.name == row.name)
            .collect();
        if let [j] = candidates[..]
            && !reordered.iter().any(|&(_, k)| k == j)
        {
            reordered.push((i, j));
        }
    }
    // A file without config lists its layers as stored: no order to compare with.
    if ours.shapes_known {
        for &(i, _) in &reordered {
            let row = &printed.rows[i];
            found.differ(
                Kind::Order,
                Some(&row.name),
                Some(row.line),
                None,
                None,
                Some("the row is at another place than the layer in the file's model".into()),
            );
        }
    } else if !reordered.is_empty() {
        found.note(
            None,
            None,
            format!(
                "{} row(s) are in another order than the file stores its layers ({}): compared by name",
                reordered.len(),
                reordered
                    .iter()
                    .map(|&(i, _)| printed.rows[i].name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    pairs.extend(&reordered);
    let matched_printed = mark(printed.rows.len(), pairs.iter().map(|p| p.0));
    let matched_file = mark(file_rows.len(), pairs.iter().map(|p| p.1));
    let renamed = pair_renamed(printed, &file_rows, &pairs, &matched_printed, &matched_file);
    pairs.extend(renamed.iter().copied());
    pairs.sort();
    let by_printed: std::collections::HashMap<usize, usize> = pairs.iter().copied().collect();
    let by_file: std::collections::HashMap<usize, usize> =
        pairs.iter().map(|&(i, j)| (j, i)).collect();

    let mut outcomes = Vec::new();
    let mut root: Option<InputShapeRoot> = None;
    let mut next_file = 0usize;
    for (i, p) in printed.rows.iter().enumerate() {
        // File rows missing from the summary, at their place.
        if let Some(&j) = by_printed.get(&i) {
            while next_file < j {
                missing_row(
                    &file_rows[next_file],
                    next_file,
                    &by_file,
                    printed,
                    &mut found,
                    &mut outcomes,
                );
                next_file += 1;
            }
            next_file = next_file.max(j + 1);
            let renamed_pair = renamed.contains(&(i, j));
            outcomes.push(compare_row(
                p,
                &file_rows[j],
                i,
                renamed_pair,
                printed,
                &ours,
                &mut root,
                &mut found,
            ));
        } else {
            // Keras prints no InputLayer row for a Sequential; kerascope lists none for it.
            let input_layer = p.class_name.as_deref() == Some("InputLayer")
                && p.params == 0
                && !file_rows.iter().any(|f| f.row.class_name == "InputLayer");
            if input_layer {
                found.note(
                    Some(&p.name),
                    Some(p.line),
                    "an InputLayer row: the file's model lists no input layer (a Sequential), nothing to compare",
                );
            } else {
                found.differ(
                    Kind::ExtraRow,
                    Some(&p.name),
                    Some(p.line),
                    Some(format!("{} {}", p.label(), thousands(p.params))),
                    None,
                    Some("no layer of the file has this name".into()),
                );
            }
            outcomes.push(RowOutcome {
                line: Some(p.line),
                depth: p.depth,
                name: p.name.clone(),
                class_name: p.class_name.clone(),
                summary_params: Some(p.params),
                file_params: None,
                status: if input_layer {
                    RowStatus::Matches
                } else {
                    RowStatus::NotInFile
                },
                detail: None,
            });
        }
    }
    while next_file < file_rows.len() {
        missing_row(
            &file_rows[next_file],
            next_file,
            &by_file,
            printed,
            &mut found,
            &mut outcomes,
        );
        next_file += 1;
    }
    compare_totals(printed, &ours, &file_rows, &mut found);
    // A row with a difference found outside its own comparison (its place in the order).
    for outcome in &mut outcomes {
        if outcome.status == RowStatus::Matches
            && found
                .differences
                .iter()
                .any(|d| d.line.is_some() && d.line == outcome.line)
        {
            outcome.status = RowStatus::Differs;
        }
    }
    Verification {
        style: printed.style,
        summary_model: printed.model_name.clone(),
        file_model: ours.model_name.clone(),
        rows: outcomes,
        differences: found.differences,
        notes: found.notes,
    }
}

fn missing_row(
    file: &FileRow,
    index: usize,
    by_file: &std::collections::HashMap<usize, usize>,
    printed: &PrintedSummary,
    found: &mut Findings,
    outcomes: &mut Vec<RowOutcome>,
) {
    if by_file.contains_key(&index) {
        return;
    }
    let row = file.row;
    let printed_inputs = printed
        .rows
        .iter()
        .any(|r| r.class_name.as_deref() == Some("InputLayer"));
    if row.class_name == "InputLayer" && !printed_inputs {
        found.note(
            Some(&row.name),
            None,
            "the file's InputLayer has no row: Keras does not print it for this kind of model",
        );
        return;
    }
    found.differ(
        Kind::MissingRow,
        Some(&row.name),
        None,
        None,
        Some(format!(
            "{} ({}) {} {}",
            row.name,
            row.class_name,
            shape_text(&row.output_shapes),
            thousands(row.params)
        )),
        Some(if row.params > 0 {
            format!(
                "the file's layer `{}` ({} parameters) has no row in the summary",
                row.name,
                thousands(row.params)
            )
        } else {
            format!("the file's layer `{}` has no row in the summary", row.name)
        }),
    );
    outcomes.push(RowOutcome {
        line: None,
        depth: file.depth,
        name: row.name.clone(),
        class_name: Some(row.class_name.clone()),
        summary_params: None,
        file_params: Some(row.params),
        status: RowStatus::MissingFromSummary,
        detail: None,
    });
}

#[allow(clippy::too_many_arguments)]
fn compare_row(
    p: &PrintedRow,
    file: &FileRow,
    index: usize,
    renamed: bool,
    printed: &PrintedSummary,
    ours: &Summary,
    root: &mut Option<InputShapeRoot>,
    found: &mut Findings,
) -> RowOutcome {
    let f = file.row;
    let name = f.name.as_str();
    let before = found.differences.len();
    let line = Some(p.line);
    if renamed {
        found.differ(
            Kind::Renamed,
            Some(name),
            line,
            Some(p.name.clone()),
            Some(f.name.clone()),
            Some(
                "same place, type and count under another name: Keras numbers default names per session (dense_3 in one, dense in another), or the layer was renamed"
                    .into(),
            ),
        );
    }
    if f.class_name != "?" && !same_class(p, &f.class_name) {
        found.differ(
            Kind::Class,
            Some(name),
            line,
            p.class_name.clone(),
            Some(f.class_name.clone()),
            None,
        );
    }
    let shape_differs = shapes_agree(&p.output_shape, &f.output_shapes) == Some(false);
    let first_row = index == 0 || printed.rows[..index].iter().all(|r| r.depth > 0);
    if shape_differs {
        let explanation = match root {
            Some(r) => Some(format!("follows from the different input shape at `{}`", r.row)),
            None if f.class_name == "InputLayer"
                || (first_row && p.depth == 0 && differs_before_last_axis(&p.output_shape, &f.output_shapes)) =>
            {
                *root = Some(InputShapeRoot {
                    row: f.name.clone(),
                });
                Some(format!(
                    "a different input shape: the summary's model was built for {}, the file's for {}; every shape (and count) downstream follows",
                    p.shape_text,
                    shape_text(&f.output_shapes)
                ))
            }
            None if f.mismatch => Some(
                "the file does not agree with itself: its stored tensors do not fit its own config (see `kerascope check`)"
                    .into(),
            ),
            None => None,
        };
        found.differ(
            Kind::OutputShape,
            Some(name),
            line,
            Some(p.shape_text.clone()),
            Some(shape_text(&f.output_shapes)),
            explanation,
        );
    }
    let lora = unsaved_lora(f);
    if p.params != f.params {
        if lora > 0 && p.params == f.params + lora {
            found.note(
                Some(name),
                line,
                format!(
                    "LoRA is enabled: Keras counts {} LoRA parameters (lora_kernel_a/b) that a saved file never stores — they are merged into the kernel on save and created again when the layer is built",
                    thousands(lora)
                ),
            );
        } else {
            // The summary shows nothing upstream of the row (a Sequential's first layer).
            let input_hidden = recompute::input_of(printed, index).is_none();
            let explanation = params_explanation(p, f, shape_differs, input_hidden, root.as_ref());
            found.differ(
                Kind::Params,
                Some(name),
                line,
                Some(thousands(p.params)),
                Some(thousands(f.params)),
                explanation,
            );
        }
    }
    if let (Some(printed_inputs), false) = (&p.connected_to, f.connected_to.is_empty()) {
        let (extra, missing) = input_differences(printed_inputs, &file_inputs(f));
        if !extra.is_empty() || !missing.is_empty() {
            found.differ(
                Kind::ConnectedTo,
                Some(name),
                line,
                Some(
                    printed_inputs
                        .iter()
                        .map(|c| c.layer.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Some(file_inputs(f).join(", ")),
                Some(format!(
                    "the layer's inputs differ{}{}",
                    if extra.is_empty() {
                        String::new()
                    } else {
                        format!("; only the summary has {}", extra.join(", "))
                    },
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!("; only the file has {}", missing.join(", "))
                    }
                )),
            );
        }
    }
    if let Some(trainable) = p.trainable
        && f.params > 0
        && ours.unknown_trainability == 0
        && trainable == f.frozen
    {
        found.differ(
            Kind::Trainable,
            Some(name),
            line,
            Some(if trainable { "Y" } else { "N" }.into()),
            Some(if f.frozen { "N" } else { "Y" }.into()),
            Some("layer.trainable was changed between printing and saving".into()),
        );
    }
    let status = if found.differences.len() > before {
        RowStatus::Differs
    } else {
        RowStatus::Matches
    };
    RowOutcome {
        line,
        depth: p.depth,
        name: f.name.clone(),
        class_name: Some(f.class_name.clone()).filter(|c| c != "?"),
        summary_params: Some(p.params),
        file_params: Some(f.params),
        status,
        detail: f.derivation.clone(),
    }
}

fn params_explanation(
    p: &PrintedRow,
    f: &Row,
    shape_differs: bool,
    input_hidden: bool,
    root: Option<&InputShapeRoot>,
) -> Option<String> {
    if p.params_note.as_deref() == Some("unbuilt") {
        return Some(
            "Keras 3 printed the layer unbuilt (no weights yet); the file's layer holds weights"
                .into(),
        );
    }
    if let Some(r) = root {
        return Some(format!(
            "follows from the different input shape at `{}`",
            r.row
        ));
    }
    if f.mismatch && f.expected_params == Some(p.params) {
        return Some(format!(
            "the file's config implies {} parameters, as the summary says, but its stored tensors hold {}: the weights in the file do not fit its config (see `kerascope check`)",
            thousands(p.params),
            thousands(f.params)
        ));
    }
    if shape_differs {
        return Some(
            "the output shape differs too: the layer's config differs (units, filters, ...)".into(),
        );
    }
    let file_side = f
        .derivation
        .as_ref()
        .map(|d| format!("the file's layer: {d}"));
    // The same layer on another input (a first layer whose input the summary does not show).
    let other_input = input_hidden
        .then(|| recompute::fit_on_any_input(p, false))
        .flatten();
    match (other_input, &file_side) {
        (Some(how), Some(file)) => Some(format!(
            "the summary's count fits {how}; {file} — the same layer built on a different input shape?"
        )),
        (_, file) => file.clone(),
    }
}
