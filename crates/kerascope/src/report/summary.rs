//! `kerascope summary` output: the table users know from `model.summary()` (Keras 3 boxes,
//! Keras 2 underscores, Markdown), with the arithmetic one flag away, and the
//! `kerascope.summary/1` document. The numbers come from [`crate::summary`].

use serde::Serialize;
use serde_json::Value;

use super::{ModelLabel, thousands};
use crate::analysis::Analysis;
use crate::audit::Finding;
use crate::format::Format;
use crate::model::Shape;
pub use crate::summary::{Row, Summary, build};
use crate::text::{self, shape_text};

/// Version of the `summary --format json` document.
pub const SCHEMA: &str = "kerascope.summary/1";

/// The `summary --format json` document (`kerascope.summary/1`, documented in the README).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SummaryDocument<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The input, as the caller names it.
    pub file: &'a str,
    /// The file layout it was read from.
    pub format: Format,
    /// The Keras version recorded in the file, if any.
    pub keras_version: Option<&'a str>,
    /// The model's class and name, when the file stores a config.
    pub model: Option<ModelLabel<'a>>,
    /// One entry per top-level layer, in the model's order.
    pub layers: Vec<LayerEntry<'a>>,
    /// `None` when the weights are stored in a form not read.
    pub total_params: Option<u64>,
    /// `None` when some stored weight's trainability is unknown.
    pub trainable_params: Option<u64>,
    /// `None` when some stored weight's trainability is unknown, or the weights are not read.
    pub non_trainable_params: Option<u64>,
    /// Elements of the stored optimizer state (not in `total_params`); `None` when there is none.
    pub optimizer_params: Option<u64>,
    /// Every finding about the file.
    pub findings: &'a [Finding],
}

/// One row of the summary: a top-level layer, and its nested layers when expanded.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct LayerEntry<'a> {
    /// The layer's name.
    pub name: &'a str,
    /// The layer's class.
    pub class: &'a str,
    /// Stored elements (or, with nothing stored, the expected count); `None` when the weights are
    /// stored in a form not read.
    pub params: Option<u64>,
    /// The count the config implies; `None` when some shape (or the rule) is unknown.
    pub expected_params: Option<u64>,
    /// Trainable elements; `None` when the trainability of some weight is unknown, or the
    /// weights are not read.
    pub trainable_params: Option<u64>,
    /// Non-trainable elements; `None` when the trainability of some weight is unknown, or the
    /// weights are not read.
    pub non_trainable_params: Option<u64>,
    /// The inferred output shape(s); `None` when unknown.
    pub output_shape: Option<OutputShape<'a>>,
    /// The layer's weights, stored or expected.
    pub weights: Vec<WeightEntry<'a>>,
    /// The layers of a nested model (present only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerEntry<'a>>,
}

/// A layer's output: one shape, or several (`return_state`, `merge_mode=None`).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum OutputShape<'a> {
    /// A single output: one shape (`[null, 10]`).
    One(&'a Shape),
    /// Several outputs: a list of shapes.
    Many(&'a [Shape]),
}

/// One weight of a layer: stored, expected, or both.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct WeightEntry<'a> {
    /// The weight's name below the layer (`kernel`, `cell/bias`): the expected name, else the
    /// stored one.
    pub name: Option<String>,
    /// Where the tensor is stored in the file; `None` when it is missing.
    pub path: Option<&'a str>,
    /// The stored shape; `None` when the tensor is missing.
    pub shape: Option<&'a [u64]>,
    /// The shape the config implies; `None` when unknown or not expected.
    pub expected_shape: Option<&'a [u64]>,
    /// The stored dtype (`float32`); `None` when the tensor is missing.
    pub dtype: Option<&'a str>,
    /// Whether the weight is trainable, per its layer rule; `None` when no rule expects it.
    pub trainable: Option<bool>,
}

/// The typed `kerascope.summary/1` document of an analysed file.
pub fn document<'a>(
    path: &'a str,
    analysis: &'a Analysis,
    summary: &'a Summary,
) -> SummaryDocument<'a> {
    let trainability_known = summary.unknown_trainability == 0 && !summary.weights_unknown;
    SummaryDocument {
        schema: SCHEMA,
        file: path,
        format: analysis.file.format,
        keras_version: analysis.file.keras_version.as_deref(),
        model: summary.model_class.as_deref().map(|class| ModelLabel {
            class,
            name: summary.model_name.as_deref(),
        }),
        layers: summary
            .rows
            .iter()
            .map(|r| layer_entry(r, summary.weights_unknown))
            .collect(),
        // The count `check` prints: null when it overflows u64 (a hostile shape) or when the
        // weights are stored in a form not read.
        total_params: analysis
            .file
            .stored_params()
            .filter(|_| !summary.weights_unknown),
        trainable_params: trainability_known.then_some(summary.trainable_params),
        non_trainable_params: trainability_known.then_some(summary.non_trainable_params),
        optimizer_params: summary.optimizer_params,
        findings: &analysis.findings,
    }
}

/// The document as a JSON value.
pub fn to_json(path: &str, analysis: &Analysis, summary: &Summary) -> Value {
    serde_json::to_value(document(path, analysis, summary)).unwrap_or_default()
}

fn layer_entry(row: &Row, weights_unknown: bool) -> LayerEntry<'_> {
    let weights = row
        .pairs
        .iter()
        .map(|p| {
            let e = p.expected.as_ref();
            let t = p.stored.as_ref();
            WeightEntry {
                name: e.map(|e| e.label()).or_else(|| t.map(|t| t.name.clone())),
                path: t.map(|t| t.path.as_str()),
                shape: t.map(|t| t.shape.as_slice()),
                expected_shape: e.and_then(|e| e.weight.shape.as_deref()),
                dtype: t.map(|t| t.dtype.as_str()),
                trainable: e.map(|e| e.weight.trainable),
            }
        })
        .collect();
    let trainability_known = row.unknown_trainability == 0 && !weights_unknown;
    LayerEntry {
        name: &row.name,
        class: &row.class_name,
        params: (!weights_unknown).then_some(row.params),
        expected_params: row.expected_params,
        trainable_params: trainability_known.then_some(row.trainable_params),
        non_trainable_params: trainability_known.then_some(row.non_trainable_params),
        output_shape: match row.output_shapes.as_slice() {
            [] => None,
            [one] => Some(OutputShape::One(one)),
            many => Some(OutputShape::Many(many)),
        },
        weights,
        layers: row
            .children
            .iter()
            .map(|r| layer_entry(r, weights_unknown))
            .collect(),
    }
}

/// How to draw the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// Keras 3: box-drawing table, byte sizes in `B`/`KB`.
    Keras3,
    /// Keras 2 / tf.keras: underscores and `=` rules, byte sizes in `Byte`/`KB`.
    Keras2,
    /// A Markdown table, for issues and pull requests.
    Markdown,
}

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Which table to draw.
    pub style: Style,
    /// Maximum line width; cells wrap to fit.
    pub width: usize,
    /// Show the arithmetic of each count under its row.
    pub explain: bool,
    /// Also show the layers of nested models (`expand_nested=True`).
    pub expand_nested: bool,
    /// Mark mismatching counts in red (ANSI escapes).
    pub color: bool,
}

struct Line {
    cells: Vec<String>,
    /// A full-width line under the row (`--explain`).
    note: Option<String>,
    mismatch: bool,
}

fn table_lines(summary: &Summary, options: &RenderOptions) -> Vec<Line> {
    let mut lines = Vec::new();
    fn push(
        rows: &[Row],
        depth: usize,
        summary: &Summary,
        options: &RenderOptions,
        lines: &mut Vec<Line>,
    ) {
        for row in rows {
            let indent = "  ".repeat(depth);
            // Markdown drops leading spaces: nested rows get an arrow per level there.
            let marker = match options.style {
                Style::Markdown => "↳ ".repeat(depth),
                _ => indent.clone(),
            };
            let name = format!("{marker}{} ({})", row.name, row.class_name);
            let count = |n: u64| number(n, options.style);
            let params = match row.expected_params {
                _ if summary.weights_unknown => "?".to_string(),
                Some(e) if row.mismatch => format!("{} ≠ {}", count(row.params), count(e)),
                _ => count(row.params),
            };
            let mut cells = vec![name, shape_text(&row.output_shapes), params];
            if summary.graph_like {
                cells.push(if row.connected_to.is_empty() {
                    "-".into()
                } else {
                    row.connected_to.join(", ")
                });
            }
            let note = (options.explain && row.params > 0)
                .then(|| row.derivation.clone())
                .flatten()
                .map(|d| format!("{indent}{} = {d}", row.name))
                .or_else(|| {
                    (options.explain && row.params > 0 && row.expected_params.is_none()).then(
                        || {
                            format!(
                                "{indent}{}: {} stored (expected count unknown)",
                                row.name,
                                thousands(row.params)
                            )
                        },
                    )
                });
            lines.push(Line {
                cells,
                note,
                mismatch: row.mismatch,
            });
            if options.expand_nested {
                push(&row.children, depth + 1, summary, options, lines);
            }
        }
    }
    push(&summary.rows, 0, summary, options, &mut lines);
    lines
}

fn headers(summary: &Summary) -> Vec<&'static str> {
    let mut h = vec!["Layer (type)", "Output Shape", "Param #"];
    if summary.graph_like {
        h.push("Connected to");
    }
    h
}

/// Wraps text to `width` columns, at spaces when possible; every line keeps the text's
/// indentation (nested rows of `--expand-nested`).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    if indent.is_empty() || indent.len() >= width {
        return wrap_words(text, width);
    }
    wrap_words(body, width - indent.len())
        .into_iter()
        .map(|line| format!("{indent}{line}"))
        .collect()
}

fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if candidate.chars().count() <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while rest.len() > width {
            out.push(rest[..width].iter().collect());
            rest = rest[width..].to_vec();
        }
        line = rest.into_iter().collect();
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// Keras' readable sizes: `764.00 B` (Keras 3) / `808.00 Byte` (Keras 2).
pub fn keras_bytes(bytes: u64, style: Style) -> String {
    match style {
        Style::Keras2 => text::keras2_bytes(bytes),
        _ => text::keras_bytes(bytes),
    }
}

/// Renders the summary as text.
pub fn render(summary: &Summary, options: &RenderOptions) -> String {
    let lines = table_lines(summary, options);
    let mut out = match options.style {
        Style::Keras3 => render_keras3(summary, &lines, options),
        Style::Keras2 => render_keras2(summary, &lines, options),
        Style::Markdown => render_markdown(summary, &lines),
    };
    if !summary.shapes_known {
        out.push_str(" (no model config in this file: layers and counts are the stored tensors; output shapes unknown)\n");
    }
    out
}

fn column_widths(total: usize, fractions: &[f64]) -> Vec<usize> {
    // `fractions` are cumulative positions, as Keras' `positions`.
    let borders = fractions.len() + 1;
    let inner = total.saturating_sub(borders + 2 * fractions.len());
    let mut widths = Vec::new();
    let mut previous = 0usize;
    for (i, f) in fractions.iter().enumerate() {
        let end = if i + 1 == fractions.len() {
            inner
        } else {
            (inner as f64 * f).round() as usize
        };
        widths.push(end.saturating_sub(previous).max(6));
        previous = end;
    }
    widths
}

fn paint(text: &str, red: bool, color: bool) -> String {
    if red && color {
        format!("\x1b[31m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn render_keras3(summary: &Summary, lines: &[Line], options: &RenderOptions) -> String {
    let fractions: &[f64] = if summary.graph_like {
        &[0.3, 0.56, 0.72, 1.0]
    } else {
        &[0.45, 0.79, 1.0]
    };
    let natural = if summary.graph_like { 108 } else { 88 };
    let widths = column_widths(natural.min(options.width), fractions);
    let mut out = String::new();
    out.push_str(&format!(
        "Model: \"{}\"\n",
        summary.model_name.as_deref().unwrap_or("?")
    ));
    let rule = |l: &str, m: &str, r: &str, fill: &str| -> String {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{l}{}{r}\n", parts.join(m))
    };
    let right_aligned = 2;
    let cells_line = |cells: &[String], bar: &str, out: &mut String, red: bool| {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(c, *w))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            out.push_str(bar);
            for (col, (lines, w)) in wrapped.iter().zip(&widths).enumerate() {
                let text = lines.get(i).map(String::as_str).unwrap_or("");
                let cell = if col == right_aligned {
                    format!("{text:>w$}")
                } else {
                    format!("{text:<w$}")
                };
                out.push(' ');
                out.push_str(&paint(&cell, red && col == right_aligned, options.color));
                out.push(' ');
                out.push_str(bar);
            }
            out.push('\n');
        }
    };
    out.push_str(&rule("┏", "┳", "┓", "━"));
    let header: Vec<String> = headers(summary).iter().map(|h| h.to_string()).collect();
    cells_line(&header, "┃", &mut out, false);
    out.push_str(&rule("┡", "╇", "┩", "━"));
    let inner_width: usize = widths.iter().sum::<usize>() + 3 * (widths.len() - 1);
    for (i, line) in lines.iter().enumerate() {
        cells_line(&line.cells, "│", &mut out, line.mismatch);
        if let Some(note) = &line.note {
            for part in wrap(note, inner_width) {
                out.push_str(&format!("│ {part:<inner_width$} │\n"));
            }
        }
        if i + 1 < lines.len() {
            out.push_str(&rule("├", "┼", "┤", "─"));
        }
    }
    out.push_str(&rule("└", "┴", "┘", "─"));
    out.push_str(&totals(summary, Style::Keras3, " ", options.width));
    out
}

fn render_keras2(summary: &Summary, lines: &[Line], options: &RenderOptions) -> String {
    let (natural, positions): (usize, &[f64]) = if summary.graph_like {
        (98, &[0.3, 0.6, 0.7, 1.0])
    } else {
        (65, &[0.45, 0.85, 1.0])
    };
    let total = natural.min(options.width);
    let ends: Vec<usize> = positions
        .iter()
        .map(|p| (p * total as f64) as usize)
        .collect();
    let widths: Vec<usize> = ends
        .iter()
        .enumerate()
        .map(|(i, e)| e - if i == 0 { 0 } else { ends[i - 1] })
        .collect();
    let mut out = String::new();
    out.push_str(&format!(
        "Model: \"{}\"\n",
        summary.model_name.as_deref().unwrap_or("?")
    ));
    out.push_str(&"_".repeat(total));
    out.push('\n');
    let print_cells = |cells: &[String], out: &mut String, red: bool| {
        // tf.keras cuts each cell at its column width (minus one space of margin).
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let chars: Vec<char> = c.chars().collect();
                let w = w.saturating_sub(1).max(1);
                chars.chunks(w).map(|ch| ch.iter().collect()).collect()
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let mut line = String::new();
            for (col, (parts, w)) in wrapped.iter().zip(&widths).enumerate() {
                let text = parts.get(i).map(String::as_str).unwrap_or("");
                let cell = format!(" {text:<width$}", width = w.saturating_sub(1));
                line.push_str(&paint(&cell, red && col == 2, options.color));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    };
    let header: Vec<String> = headers(summary).iter().map(|h| h.to_string()).collect();
    print_cells(&header, &mut out, false);
    out.push_str(&"=".repeat(total));
    out.push('\n');
    for (i, line) in lines.iter().enumerate() {
        print_cells(&line.cells, &mut out, line.mismatch);
        if let Some(note) = &line.note {
            for part in wrap(note, total.saturating_sub(1)) {
                out.push_str(&format!(" {part}\n"));
            }
        }
        if i + 1 < lines.len() {
            if summary.graph_like {
                out.push('\n');
            } else {
                out.push_str(&"_".repeat(total));
                out.push('\n');
            }
        }
    }
    out.push_str(&"=".repeat(total));
    out.push('\n');
    out.push_str(&totals(summary, Style::Keras2, "", options.width));
    out.push_str(&"_".repeat(total));
    out.push('\n');
    out
}

fn render_markdown(summary: &Summary, lines: &[Line]) -> String {
    let mut out = format!(
        "**Model: `{}`**\n\n| {} |\n|{}\n",
        summary.model_name.as_deref().unwrap_or("?"),
        headers(summary).join(" | "),
        headers(summary)
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 2 { "---:|" } else { "---|" })
            .collect::<String>()
    );
    let escape = |s: &str| s.replace('|', "\\|");
    for line in lines {
        let cells: Vec<String> = line.cells.iter().map(|c| escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if let Some(note) = &line.note {
            let blanks = " |".repeat(line.cells.len() - 1);
            out.push_str(&format!("| ↳ `{}` |{blanks}\n", note.trim()));
        }
    }
    out.push('\n');
    for l in footer(summary, Style::Markdown, "").lines() {
        out.push_str(&format!("- {l}\n"));
    }
    out
}

/// Counts as each Keras prints them: `4,457,472` (Keras 3), `4457472` (tf.keras 2.x).
fn number(n: u64, style: Style) -> String {
    match style {
        Style::Keras2 => n.to_string(),
        _ => thousands(n),
    }
}

/// The footer lines, each wrapped to `width` like the table (continuations indented).
fn totals(summary: &Summary, style: Style, lead: &str, width: usize) -> String {
    let mut out = String::new();
    for line in footer(summary, style, lead).lines() {
        let mut parts = wrap_words(
            line.trim_start(),
            width.saturating_sub(lead.len() + 2).max(20),
        );
        let first = parts.remove(0);
        out.push_str(&format!("{lead}{first}\n"));
        for part in parts {
            out.push_str(&format!("{lead}  {part}\n"));
        }
    }
    out
}

/// The totals under the table (`Total params: …`, optimizer state apart), one per line,
/// each starting with `lead`; unwrapped, for front ends that lay the text out themselves.
pub fn footer(summary: &Summary, style: Style, lead: &str) -> String {
    let size = |b: u64| keras_bytes(b, style);
    let thousands = |n: u64| number(n, style);
    if summary.weights_unknown {
        return format!(
            "{lead}Total params: ? (weights not read)\n{lead}Trainable params: ?\n{lead}Non-trainable params: ?\n"
        );
    }
    let mut out = format!(
        "{lead}Total params: {} ({})\n{lead}Trainable params: {} ({})\n{lead}Non-trainable params: {} ({})\n",
        thousands(summary.total_params),
        size(summary.total_bytes),
        thousands(summary.trainable_params),
        size(summary.trainable_bytes),
        thousands(summary.non_trainable_params),
        size(summary.non_trainable_bytes),
    );
    if summary.unknown_trainability > 0 {
        out.push_str(&format!(
            "{lead}Of unknown trainability: {} ({}) — no rule or no config tells\n",
            thousands(summary.unknown_trainability),
            size(summary.unknown_trainability_bytes),
        ));
    }
    if let Some(optimizer) = summary.optimizer_params {
        let keras3 = if summary.keras3 {
            format!(
                " (Keras 3 would print Total params: {})",
                thousands(summary.total_params.saturating_add(optimizer))
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{lead}Optimizer params: {} ({}) — optimizer state, not in Total{keras3}\n",
            thousands(optimizer),
            size(summary.optimizer_bytes),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_print_as_each_keras_prints_them() {
        // From fixture summaries: Keras 3.15 "764.00 B", "1.08 KB"; tf_keras "808.00 Byte".
        assert_eq!(keras_bytes(764, Style::Keras3), "764.00 B");
        assert_eq!(keras_bytes(1104, Style::Keras3), "1.08 KB");
        assert_eq!(keras_bytes(808, Style::Keras2), "808.00 Byte");
    }

    #[test]
    fn wrapping_breaks_at_spaces_then_inside_long_words() {
        assert_eq!(
            wrap("batch_normalization (BatchNormalization)", 36),
            ["batch_normalization", "(BatchNormalization)"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn shapes_print_as_python_tuples() {
        assert_eq!(shape_text(&[vec![None, Some(4)]]), "(None, 4)");
        assert_eq!(shape_text(&[vec![None]]), "(None,)");
        assert_eq!(shape_text(&[]), "?");
    }
}
