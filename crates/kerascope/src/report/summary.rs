//! `kerascope summary`: the table users know from `model.summary()`, computed from the file,
//! with the optimizer state kept out of the totals and the arithmetic one flag away.

use serde_json::{Value, json};

use super::thousands;
use crate::analysis::Analysis;
use crate::audit::params::{LayerCheck, Pair};
use crate::container::hdf5::dtype_size;
use crate::format::{Tensor, TensorRole};
use crate::graph::{Model, ModelKind};
use crate::layers::Shape;
use crate::shape::{Expected, LayerResult};

/// Version of the `summary --format json` document.
pub const SCHEMA: &str = "kerascope.summary/1";

/// One row of the table: a top-level layer, or (expanded) a layer of a nested model.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub class_name: String,
    pub output_shapes: Vec<Shape>,
    /// Stored elements (or, with nothing stored, the expected count).
    pub params: u64,
    pub expected_params: Option<u64>,
    pub trainable_params: u64,
    pub non_trainable_params: u64,
    /// Stored elements whose trainability no rule or config tells (custom layers,
    /// weights-only files).
    pub unknown_trainability: u64,
    /// The layer (or an enclosing model) is frozen: everything in it is non-trainable.
    pub frozen: bool,
    /// `layer[node][tensor]` of each input of each call.
    pub connected_to: Vec<String>,
    pub derivation: Option<String>,
    pub mismatch: bool,
    pub children: Vec<Row>,
    /// The stored tensors, paired with what the config implies.
    pub pairs: Vec<Pair>,
}

/// The whole summary of one file.
#[derive(Debug, Clone)]
pub struct Summary {
    pub model_name: Option<String>,
    pub model_class: Option<String>,
    pub rows: Vec<Row>,
    /// Whether Keras would draw the "Connected to" column.
    pub graph_like: bool,
    pub total_params: u64,
    pub trainable_params: u64,
    pub non_trainable_params: u64,
    pub total_bytes: u64,
    pub trainable_bytes: u64,
    pub non_trainable_bytes: u64,
    /// Elements (and bytes) whose trainability is unknown: counted in the total only.
    pub unknown_trainability: u64,
    pub unknown_trainability_bytes: u64,
    pub optimizer_params: Option<u64>,
    pub optimizer_bytes: u64,
    /// Shapes are unknown (weights-only file): the table shows stored tensors only.
    pub shapes_known: bool,
    /// The weights are stored in a form not read (`model.weights.npz`): every stored count
    /// is unknown, printed `?`, never 0.
    pub weights_unknown: bool,
    /// Written by Keras 3 (whose own summary adds optimizer state into Total).
    pub keras3: bool,
}

fn elements(t: &Tensor) -> u64 {
    t.elements().unwrap_or(u64::MAX)
}

fn bytes_of(t: &Tensor) -> u64 {
    dtype_size(&t.dtype)
        .and_then(|size| t.elements()?.checked_mul(size))
        .unwrap_or(0)
}

/// Builds the summary of an analysed file.
pub fn build(analysis: &Analysis) -> Summary {
    let file = &analysis.file;
    let model = analysis.model.as_ref();
    let mut rows = Vec::new();
    match (model, &analysis.result) {
        (Some(model), Some(result)) if model.kind != ModelKind::Subclassed => {
            let checks: std::collections::HashMap<&str, &LayerCheck> = analysis
                .layers
                .iter()
                .map(|c| (c.name.as_str(), c))
                .collect();
            let sequential = model.kind == ModelKind::Sequential;
            for layer in &result.layers {
                if sequential && layer.class_name == "InputLayer" {
                    continue;
                }
                let check = checks.get(layer.name.as_str()).copied();
                rows.push(row(model, layer, check, model.trainable));
            }
        }
        _ => {
            // No usable config: one row per stored layer group.
            for name in &file.layer_names {
                let tensors: Vec<&Tensor> = file
                    .tensors_of(TensorRole::Layer)
                    .filter(|t| t.layer.as_deref() == Some(name))
                    .collect();
                let params = tensors
                    .iter()
                    .map(|t| elements(t))
                    .fold(0, u64::saturating_add);
                rows.push(Row {
                    name: name.clone(),
                    class_name: "?".into(),
                    output_shapes: Vec::new(),
                    params,
                    expected_params: None,
                    trainable_params: 0,
                    non_trainable_params: 0,
                    unknown_trainability: params,
                    frozen: false,
                    connected_to: Vec::new(),
                    derivation: None,
                    mismatch: false,
                    children: Vec::new(),
                    pairs: tensors
                        .into_iter()
                        .map(|t| Pair {
                            expected: None,
                            stored: Some(t.clone()),
                            alias: false,
                        })
                        .collect(),
                });
            }
        }
    }
    let graph_like = model.is_some_and(is_graph_like);
    let mut s = Summary {
        model_name: file.model_name().map(str::to_string),
        model_class: file.model_class().map(str::to_string),
        rows,
        graph_like,
        total_params: 0,
        trainable_params: 0,
        non_trainable_params: 0,
        total_bytes: 0,
        trainable_bytes: 0,
        non_trainable_bytes: 0,
        unknown_trainability: 0,
        unknown_trainability_bytes: 0,
        optimizer_params: None,
        optimizer_bytes: 0,
        shapes_known: analysis.result.is_some(),
        weights_unknown: file.weights_unread(),
        keras3: file
            .keras_version
            .as_deref()
            .is_some_and(|v| v.split('.').next() == Some("3")),
    };
    for row in &s.rows {
        for pair in all_pairs(row) {
            let Some(t) = &pair.stored else { continue };
            let (n, b) = (elements(t), bytes_of(t));
            s.total_params = s.total_params.saturating_add(n);
            s.total_bytes = s.total_bytes.saturating_add(b);
            match trainability(row, pair) {
                Some(true) => {
                    s.trainable_params = s.trainable_params.saturating_add(n);
                    s.trainable_bytes = s.trainable_bytes.saturating_add(b);
                }
                Some(false) => {
                    s.non_trainable_params = s.non_trainable_params.saturating_add(n);
                    s.non_trainable_bytes = s.non_trainable_bytes.saturating_add(b);
                }
                None => {
                    s.unknown_trainability = s.unknown_trainability.saturating_add(n);
                    s.unknown_trainability_bytes = s.unknown_trainability_bytes.saturating_add(b);
                }
            }
        }
    }
    let optimizer: Vec<&Tensor> = file.tensors_of(TensorRole::Optimizer).collect();
    if !optimizer.is_empty() {
        s.optimizer_params = Some(
            optimizer
                .iter()
                .map(|t| elements(t))
                .fold(0, u64::saturating_add),
        );
        s.optimizer_bytes = optimizer
            .iter()
            .map(|t| bytes_of(t))
            .fold(0, u64::saturating_add);
    }
    s
}

/// The pairs whose stored tensor is a parameter (stored copies excluded).
fn all_pairs(row: &Row) -> Vec<&Pair> {
    row.pairs.iter().filter(|p| !p.alias).collect()
}

/// A stored tensor is trainable when its rule says so and its layer (and every enclosing
/// model) is not frozen; `None` when no rule names it in a layer that is not frozen.
fn trainability(row: &Row, pair: &Pair) -> Option<bool> {
    if row.frozen {
        return Some(false);
    }
    pair.expected.as_ref().map(|e| e.weight.trainable)
}

fn row(
    model: &Model,
    layer: &LayerResult,
    check: Option<&LayerCheck>,
    parent_trainable: bool,
) -> Row {
    let graph_layer = model.layer(&layer.name);
    let trainable = parent_trainable && layer.trainable;
    let mut pairs: Vec<Pair> = check.map(|c| c.pairs.clone()).unwrap_or_default();
    if !trainable {
        for pair in &mut pairs {
            if let Some(e) = &mut pair.expected {
                e.weight.trainable = false;
            }
        }
    }
    let stored: u64 = pairs
        .iter()
        .filter(|p| !p.alias)
        .filter_map(|p| p.stored.as_ref())
        .map(elements)
        .fold(0, u64::saturating_add);
    let expected_params = check.and_then(|c| c.expected_params);
    let has_stored = pairs.iter().any(|p| p.stored.is_some());
    let params = if has_stored {
        stored
    } else {
        expected_params.unwrap_or(0)
    };
    let (mut trainable_params, mut non_trainable_params, mut unknown) = (0u64, 0u64, 0u64);
    for pair in pairs.iter().filter(|p| !p.alias) {
        let n = match (&pair.stored, &pair.expected) {
            (Some(t), _) => elements(t),
            (None, Some(e)) if !has_stored => e
                .weight
                .shape
                .as_ref()
                .and_then(|s| s.iter().try_fold(1u64, |a, &d| a.checked_mul(d)))
                .unwrap_or(0),
            _ => 0,
        };
        let known = if trainable {
            pair.expected.as_ref().map(|e| e.weight.trainable)
        } else {
            Some(false)
        };
        match known {
            Some(true) => trainable_params = trainable_params.saturating_add(n),
            Some(false) => non_trainable_params = non_trainable_params.saturating_add(n),
            None => unknown = unknown.saturating_add(n),
        }
    }
    let children = match (
        &layer.expected,
        graph_layer.and_then(|l| l.nested.as_deref()),
    ) {
        (Expected::Nested(inner), Some(nested_model)) => inner
            .layers
            .iter()
            .filter(|l| {
                !(nested_model.kind == ModelKind::Sequential && l.class_name == "InputLayer")
            })
            .map(|sub| {
                let sub_pairs: Vec<Pair> = pairs
                    .iter()
                    .filter(|p| {
                        p.expected
                            .as_ref()
                            .is_some_and(|e| e.sublayers.get(1) == Some(&sub.name))
                    })
                    .cloned()
                    .collect();
                let sub_check = LayerCheck {
                    name: sub.name.clone(),
                    class_name: sub.class_name.clone(),
                    stored_params: sub_pairs
                        .iter()
                        .filter_map(|p| p.stored.as_ref())
                        .map(elements)
                        .sum(),
                    expected_params: None,
                    expected_trainable: None,
                    derivation: crate::audit::params::derivation_of(sub),
                    pairs: sub_pairs,
                };
                let mut child = row(nested_model, sub, Some(&sub_check), trainable);
                child.expected_params = expected_of(sub);
                child
            })
            .collect(),
        _ => Vec::new(),
    };
    let connected_to = graph_layer
        .map(|l| {
            l.calls
                .iter()
                .flatten()
                .map(|r| format!("{}[{}][{}]", r.layer, r.node, r.tensor))
                .collect()
        })
        .unwrap_or_default();
    Row {
        name: layer.name.clone(),
        class_name: layer.class_name.clone(),
        output_shapes: layer.output_shapes.clone(),
        params,
        expected_params,
        trainable_params,
        non_trainable_params,
        unknown_trainability: unknown,
        frozen: !trainable,
        connected_to,
        derivation: check.and_then(|c| c.derivation.clone()),
        mismatch: expected_params.is_some_and(|e| has_stored && e != stored),
        children,
        pairs,
    }
}

/// The expected count of a (nested) layer from its rule output alone.
fn expected_of(layer: &LayerResult) -> Option<u64> {
    match &layer.expected {
        Expected::Rule(out) => out.weights.iter().try_fold(0u64, |acc, w| {
            let n = w
                .shape
                .as_ref()?
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))?;
            acc.checked_add(n)
        }),
        Expected::Nested(model) => model
            .layers
            .iter()
            .try_fold(0u64, |acc, l| acc.checked_add(expected_of(l)?)),
        _ => None,
    }
}

/// Keras draws "Connected to" unless the model is a plain chain (its `sequential_like`).
fn is_graph_like(model: &Model) -> bool {
    if model.kind != ModelKind::Functional {
        return false;
    }
    let inputs = model.layers.iter().filter(|l| l.is_input()).count();
    if inputs > 1 {
        return true;
    }
    let mut consumers: std::collections::HashMap<&str, usize> = Default::default();
    for layer in &model.layers {
        if layer.calls.len() > 1 || layer.calls.iter().any(|c| c.len() > 1) {
            return true;
        }
        for r in layer.calls.iter().flatten() {
            *consumers.entry(r.layer.as_str()).or_default() += 1;
        }
    }
    consumers.values().any(|&n| n > 1)
}

/// `(None, 32, 3)`, several outputs as a list.
pub fn shape_text(shapes: &[Shape]) -> String {
    let one = |s: &Shape| -> String {
        let dims: Vec<String> = s
            .iter()
            .map(|d| d.map(|n| n.to_string()).unwrap_or_else(|| "None".into()))
            .collect();
        if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        }
    };
    match shapes {
        [] => "?".into(),
        [s] => one(s),
        many => format!("[{}]", many.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// The JSON contract (`kerascope.summary/1`), documented in the README.
pub fn to_json(path: &str, analysis: &Analysis, summary: &Summary) -> Value {
    json!({
        "schema": SCHEMA,
        "file": path,
        "format": analysis.file.format,
        "keras_version": analysis.file.keras_version,
        "model": summary.model_class.as_ref().map(|c| json!({"class": c, "name": summary.model_name})),
        "layers": summary.rows.iter().map(|r| row_json(r, summary.weights_unknown)).collect::<Vec<_>>(),
        "total_params": (!summary.weights_unknown).then_some(summary.total_params),
        "trainable_params": (summary.unknown_trainability == 0 && !summary.weights_unknown).then_some(summary.trainable_params),
        "non_trainable_params": (summary.unknown_trainability == 0 && !summary.weights_unknown).then_some(summary.non_trainable_params),
        "optimizer_params": summary.optimizer_params,
        "findings": analysis.findings,
    })
}

fn row_json(row: &Row, weights_unknown: bool) -> Value {
    let weights: Vec<Value> = row
        .pairs
        .iter()
        .map(|p| {
            let e = p.expected.as_ref();
            let t = p.stored.as_ref();
            json!({
                "name": e.map(|e| e.label()).or_else(|| t.map(|t| t.name.clone())),
                "path": t.map(|t| t.path.clone()),
                "shape": t.map(|t| t.shape.clone()),
                "expected_shape": e.and_then(|e| e.weight.shape.clone()),
                "dtype": t.map(|t| t.dtype.clone()),
                "trainable": e.map(|e| e.weight.trainable),
            })
        })
        .collect();
    let mut value = json!({
        "name": row.name,
        "class": row.class_name,
        "params": (!weights_unknown).then_some(row.params),
        "expected_params": row.expected_params,
        "trainable_params": (row.unknown_trainability == 0 && !weights_unknown).then_some(row.trainable_params),
        "non_trainable_params": (row.unknown_trainability == 0 && !weights_unknown).then_some(row.non_trainable_params),
        "output_shape": match row.output_shapes.as_slice() {
            [] => Value::Null,
            [one] => json!(one),
            many => json!(many),
        },
        "weights": weights,
    });
    if !row.children.is_empty() {
        value["layers"] = Value::Array(
            row.children
                .iter()
                .map(|r| row_json(r, weights_unknown))
                .collect(),
        );
    }
    value
}

/// How to draw the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub style: Style,
    /// Maximum line width; cells wrap to fit.
    pub width: usize,
    pub explain: bool,
    pub expand_nested: bool,
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
    let units: [&str; 6] = match style {
        Style::Keras2 => ["Byte", "KB", "MB", "GB", "TB", "PB"],
        _ => ["B", "KB", "MB", "GB", "TB", "PB"],
    };
    let mut value = bytes as f64;
    for unit in &units[..units.len() - 1] {
        if value / 1024.0 < 1.0 {
            return format!("{value:.2} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.2} {}", units[units.len() - 1])
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
