//! Reading a `model.summary()` text as someone pasted it: one parser per table style, chosen
//! from the text itself.
//!
//! - Keras 3: a box-drawing table (`┃ Layer (type) ┃ ...`), cells wrapped at spaces and cut
//!   with `…`, counts with thousands separators, `Optimizer params` after `fit()`.
//! - Keras 2 / tf.keras and Keras 1: fixed-width columns under a header line, `_` and `=`
//!   rules. Standalone Keras 1 and 2 cut each cell at its column (`batch_normalization_1
//!   (Batch`), one `Connected to` entry per line; tf.keras ≥ 2.9 continues a cut cell on the
//!   next line and prints `Connected to` as a Python list. Keras 1 has no `Model:` line and
//!   always draws `Connected to` (100 columns wide).
//!
//! A row is the block of lines between two separators; each column's pieces are joined back
//! together before the cell is read, so a name, a shape or a list cut over several lines reads
//! as one value. What a column cut off for good is kept as a prefix (`truncated`), to be
//! compared as one.

use serde::Serialize;

use crate::model::Shape;

/// Which Keras printed the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Style {
    /// Standalone Keras 1.x: fixed width, 100 columns, `Connected to` even for a Sequential,
    /// no `Model:` line (Keras 2.0 printed its functional models the same way).
    Keras1,
    /// Standalone Keras 2.x and tf.keras / tf_keras 2.x: fixed width, `_` and `=` rules.
    Keras2,
    /// Keras 3: box-drawing table.
    Keras3,
}

impl Style {
    /// The name of the style for people (`Keras 2 / tf.keras`).
    pub fn describe(self) -> &'static str {
        match self {
            Style::Keras1 => "Keras 1 (or early Keras 2)",
            Style::Keras2 => "Keras 2 / tf.keras",
            Style::Keras3 => "Keras 3",
        }
    }
}

/// A row's `Output Shape` cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum PrintedShape {
    /// One shape per output (`(None, 6)`, `[(None, 6)]`, `[(None, 4), (None, 3)]`).
    Known(Vec<Shape>),
    /// Cut by its column: the printed beginning, spaces removed (`(None,30,30,`).
    Truncated(String),
    /// Keras could not tell (`multiple`, `?`), or the text is not a shape.
    Unknown(String),
}

/// One entry of the `Connected to` column: `layer[node][tensor]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// The layer's name (its printed beginning when `truncated`).
    pub layer: String,
    /// The node index in brackets, if printed.
    pub node: Option<usize>,
    /// The tensor index in brackets, if printed.
    pub tensor: Option<usize>,
    /// The entry was cut: `layer` is only the beginning of the name.
    pub truncated: bool,
}

/// One layer row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintedRow {
    /// 1-based line of the text where the row starts.
    pub line: usize,
    /// Nesting level of an expanded nested model (`expand_nested=True`), 0 at top level.
    pub depth: usize,
    /// The layer's name as printed (its beginning when `name_truncated`).
    pub name: String,
    /// The name was cut: `name` is its beginning.
    pub name_truncated: bool,
    /// `None` when the column cut it off entirely.
    pub class_name: Option<String>,
    /// The class was cut: `class_name` is its beginning.
    pub class_truncated: bool,
    /// The `Output Shape` cell, parsed.
    pub output_shape: PrintedShape,
    /// The shape cell as printed (its pieces joined).
    pub shape_text: String,
    /// The `Param #` cell.
    pub params: u64,
    /// What Keras printed after the count: `unbuilt` (Keras 3), `unused` (tf.keras).
    pub params_note: Option<String>,
    /// `None` when the table has no `Connected to` column.
    pub connected_to: Option<Vec<Connection>>,
    /// The `Trainable` column (`show_trainable=True`): `Y`/`N`; `None` for `-` or no column.
    pub trainable: Option<bool>,
}

impl PrintedRow {
    /// `dense_1 (Dense)`, as the row reads.
    pub fn label(&self) -> String {
        let name = if self.name_truncated {
            format!("{}…", self.name)
        } else {
            self.name.clone()
        };
        match &self.class_name {
            Some(c) if self.class_truncated => format!("{name} ({c}…"),
            Some(c) => format!("{name} ({c})"),
            None => name,
        }
    }

    /// Whether this row can be the layer `name` (the whole name, or its printed beginning).
    pub(crate) fn may_be(&self, name: &str) -> bool {
        if self.name_truncated {
            name.starts_with(&self.name)
        } else {
            self.name == name
        }
    }

    /// Whether the printed class can be `class_name`.
    pub(crate) fn class_may_be(&self, class_name: &str) -> Option<bool> {
        let printed = self.class_name.as_deref()?;
        Some(if self.class_truncated {
            class_name.starts_with(printed)
        } else {
            printed == class_name
        })
    }
}

/// The lines under the table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrintedTotals {
    /// `Total params`, if printed.
    pub total: Option<u64>,
    /// `Trainable params`, if printed.
    pub trainable: Option<u64>,
    /// `Non-trainable params`, if printed.
    pub non_trainable: Option<u64>,
    /// Keras 3 once the optimizer is built; included in `total`.
    pub optimizer: Option<u64>,
}

/// A parsed `model.summary()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintedSummary {
    /// Which Keras printed it, from the table's look.
    pub style: Style,
    /// The name on the `Model:` line (none in Keras 1 tables).
    pub model_name: Option<String>,
    /// The layer rows, top to bottom.
    pub rows: Vec<PrintedRow>,
    /// The lines under the table.
    pub totals: PrintedTotals,
    /// The table has a `Connected to` column (functional models).
    pub has_connections: bool,
    /// The table has a `Trainable` column (`show_trainable=True`).
    pub has_trainable_column: bool,
}

/// Why a text could not be read as a summary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// No line has the `Layer (type)`, `Output Shape` and `Param #` headers.
    #[error("no summary table: no line has `Layer (type)`, `Output Shape` and `Param #`")]
    NoTable,
    /// The table holds no layer row.
    #[error("the summary table has no layer rows")]
    NoRows,
    /// The row at 1-based `line` cannot be read; `problem` says why.
    #[allow(missing_docs)] // the fields are described above
    #[error("line {line}: {problem}")]
    BadRow { line: usize, problem: String },
}

/// Reads a summary text; the style is recognised from the table.
pub fn parse(text: &str) -> Result<PrintedSummary, ParseError> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let header = lines
        .iter()
        .position(|l| {
            l.contains("Layer (type)") && l.contains("Output Shape") && l.contains("Param #")
        })
        .ok_or(ParseError::NoTable)?;
    let model_name = lines[..header].iter().rev().find_map(|l| model_name(l));
    let (style, mut rows, end) = if lines[header].contains('┃') {
        let (rows, end) = box_table(&lines, header)?;
        (Style::Keras3, rows, end)
    } else {
        let style = fixed_width_style(&lines, header, model_name.is_some());
        let (rows, end) = fixed_width_table(&lines, header)?;
        (style, rows, end)
    };
    if rows.is_empty() {
        return Err(ParseError::NoRows);
    }
    // Keras 2.0.0 drew the `Connected to` column and left it empty
    // (https://github.com/keras-team/keras/issues/5822): nothing was shown.
    if rows
        .iter()
        .all(|r| r.connected_to.as_ref().is_some_and(Vec::is_empty))
        && rows.len() > 1
    {
        for row in &mut rows {
            row.connected_to = None;
        }
    }
    let header_text = lines[header];
    Ok(PrintedSummary {
        style,
        model_name,
        totals: totals(&lines[end..]),
        has_connections: header_text.contains("Connected to"),
        has_trainable_column: header_text.contains("Trainable"),
        rows,
    })
}

/// `Model: "name"` → `name`.
fn model_name(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("Model:")?.trim();
    let unquoted = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(rest);
    Some(unquoted.to_string())
}

/// The cells of one row, each column's pieces (one per printed line) in order.
struct RawRow {
    line: usize,
    depth: usize,
    columns: Vec<Vec<String>>,
}

/// Column roles, from the header labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Layer,
    Shape,
    Params,
    Connections,
    Trainable,
    Other,
}

fn column_of(label: &str) -> Column {
    match label.trim() {
        "Layer (type)" => Column::Layer,
        "Output Shape" => Column::Shape,
        "Param #" => Column::Params,
        "Connected to" => Column::Connections,
        "Trainable" => Column::Trainable,
        _ => Column::Other,
    }
}

// ---- Keras 3 -------------------------------------------------------------------------------

fn box_table(lines: &[&str], header: usize) -> Result<(Vec<PrintedRow>, usize), ParseError> {
    let columns: Vec<Column> = inner_cells(lines[header], '┃')
        .iter()
        .map(|c| column_of(c))
        .collect();
    let mut raw: Vec<RawRow> = Vec::new();
    let mut current: Option<RawRow> = None;
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        let line = line.trim_start();
        if line.starts_with('│') {
            let cells = inner_cells(line, '│');
            let row = current.get_or_insert_with(|| RawRow {
                line: i + 1,
                depth: cells.first().map(|c| nesting_of_box_cell(c)).unwrap_or(0),
                columns: vec![Vec::new(); columns.len()],
            });
            for (pieces, cell) in row.columns.iter_mut().zip(cells) {
                pieces.push(cell.trim().to_string());
            }
        } else {
            raw.extend(current.take());
            if line.starts_with('└') {
                end = i + 1;
                break;
            }
        }
    }
    raw.extend(current.take());
    let rows = raw
        .into_iter()
        .map(|r| read_row(r, &columns, Joins::KERAS3))
        .collect::<Result<_, _>>()?;
    Ok((rows, end))
}

/// The cells between the outer borders of a box-table line.
fn inner_cells(line: &str, bar: char) -> Vec<String> {
    let trimmed = line.trim();
    let inner = trimmed
        .strip_prefix(bar)
        .unwrap_or(trimmed)
        .strip_suffix(bar)
        .unwrap_or(trimmed);
    inner.split(bar).map(str::to_string).collect()
}

/// Keras 3 prefixes the layers of an expanded nested model with `"   " * level + "└ "`.
fn nesting_of_box_cell(cell: &str) -> usize {
    let content = cell.strip_prefix(' ').unwrap_or(cell);
    let spaces = content.chars().take_while(|&c| c == ' ').count();
    if content[spaces..].starts_with('└') {
        spaces / 3
    } else {
        0
    }
}

// ---- Keras 1 / 2 / tf.keras -----------------------------------------------------------------

fn fixed_width_style(lines: &[&str], header: usize, has_model_line: bool) -> Style {
    let rule = lines.get(header + 1).map(|l| l.trim_end().chars().count());
    if !has_model_line && lines[header].contains("Connected to") && rule == Some(100) {
        Style::Keras1
    } else {
        Style::Keras2
    }
}

/// A separator between rows: blank, `_` or `¯` rules, tf.keras's `|   |` nesting margins.
fn is_separator(line: &str) -> bool {
    line.chars().all(|c| matches!(c, ' ' | '_' | '¯' | '|'))
}

fn is_end_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| c == '=')
}

fn fixed_width_table(
    lines: &[&str],
    header: usize,
) -> Result<(Vec<PrintedRow>, usize), ParseError> {
    let header_chars: Vec<char> = lines[header].chars().collect();
    let labels = ["Output Shape", "Param #", "Connected to", "Trainable"];
    let mut starts: Vec<(usize, Column)> = vec![(0, Column::Layer)];
    for label in labels {
        if let Some(at) = char_index(&header_chars, label) {
            starts.push((at, column_of(label)));
        }
    }
    starts.sort_by_key(|s| s.0);
    let columns: Vec<Column> = starts.iter().map(|(_, c)| *c).collect();
    let mut raw: Vec<RawRow> = Vec::new();
    let mut current: Option<RawRow> = None;
    let mut end = lines.len();
    // Skip the `=` rule under the header.
    let first = header + 1 + usize::from(lines.get(header + 1).is_some_and(|l| is_end_rule(l)));
    for (i, line) in lines.iter().enumerate().skip(first) {
        if is_end_rule(line) {
            end = i + 1;
            break;
        }
        if is_separator(line) {
            raw.extend(current.take());
            continue;
        }
        // tf.keras marks expanded nested layers with `|` at both ends of the line.
        let mut chars: Vec<char> = line.chars().collect();
        let depth = chars.iter().take_while(|&&c| c == '|').count();
        for c in chars.iter_mut().take(depth) {
            *c = ' ';
        }
        for c in chars.iter_mut().rev().take(depth) {
            if *c == '|' {
                *c = ' ';
            }
        }
        let row = current.get_or_insert_with(|| RawRow {
            line: i + 1,
            depth,
            columns: vec![Vec::new(); columns.len()],
        });
        for (k, pieces) in row.columns.iter_mut().enumerate() {
            let from = starts[k].0.min(chars.len());
            let to = starts
                .get(k + 1)
                .map_or(chars.len(), |s| s.0.min(chars.len()));
            let cell: String = chars[from..to].iter().collect();
            pieces.push(cell.trim().to_string());
        }
    }
    raw.extend(current.take());
    let rows = raw
        .into_iter()
        .map(|r| read_row(r, &columns, Joins::FIXED_WIDTH))
        .collect::<Result<_, _>>()?;
    Ok((rows, end))
}

fn char_index(haystack: &[char], needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---- cells ---------------------------------------------------------------------------------

/// How a cell's pieces go back together: Keras 3 wraps at spaces (so a connection list
/// continues after `, `); standalone Keras 1 and 2 print one connection per line; a tf.keras
/// list is cut anywhere (its pieces join as they are).
#[derive(Debug, Clone, Copy)]
struct Joins {
    connections: &'static str,
}

impl Joins {
    const KERAS3: Joins = Joins { connections: " " };
    const FIXED_WIDTH: Joins = Joins { connections: ", " };
}

fn joined(pieces: &[String], separator: &str) -> String {
    pieces
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(separator)
}

fn read_row(raw: RawRow, columns: &[Column], joins: Joins) -> Result<PrintedRow, ParseError> {
    let cell = |role: Column| -> Option<&Vec<String>> {
        columns
            .iter()
            .position(|&c| c == role)
            .and_then(|k| raw.columns.get(k))
    };
    let layer = cell(Column::Layer)
        .map(|p| joined(p, ""))
        .unwrap_or_default();
    let layer = layer.trim_start_matches('└').trim();
    if layer.is_empty() {
        return Err(ParseError::BadRow {
            line: raw.line,
            problem: "a row without a layer name".into(),
        });
    }
    let (name, name_truncated, class_name, class_truncated) = name_and_class(layer);
    let shape_text = cell(Column::Shape)
        .map(|p| joined(p, ""))
        .unwrap_or_default();
    let params_text = cell(Column::Params)
        .map(|p| joined(p, " "))
        .unwrap_or_default();
    let (params, params_note) = count_and_note(&params_text).ok_or_else(|| ParseError::BadRow {
        line: raw.line,
        problem: format!("Param # {params_text:?} is not a count"),
    })?;
    // A tf.keras list (`[...]`) is one value cut anywhere.
    let connected_to = cell(Column::Connections).map(|pieces| {
        let list = pieces.first().is_some_and(|p| p.starts_with('['));
        connections(&joined(pieces, if list { "" } else { joins.connections }))
    });
    let trainable = cell(Column::Trainable).and_then(|p| match joined(p, "").as_str() {
        "Y" => Some(true),
        "N" => Some(false),
        _ => None,
    });
    Ok(PrintedRow {
        line: raw.line,
        depth: raw.depth,
        name,
        name_truncated,
        class_name,
        class_truncated,
        output_shape: shape(&shape_text),
        shape_text,
        params,
        params_note,
        connected_to,
        trainable,
    })
}

/// `dense_1 (Dense)` → name and class; a cut cell keeps what is left of either.
fn name_and_class(cell: &str) -> (String, bool, Option<String>, bool) {
    let cut = |s: &str| -> (String, bool) {
        match s.strip_suffix('…') {
            Some(rest) => (rest.trim_end().to_string(), true),
            None => (s.trim_end().to_string(), false),
        }
    };
    let Some(open) = cell.rfind('(') else {
        // Keras 2 cut the cell inside the name: what is left is its beginning.
        let (name, _) = cut(cell);
        return (name, true, None, false);
    };
    let (name, name_truncated) = cut(&cell[..open]);
    let inside = &cell[open + 1..];
    let (class, class_truncated) = match inside.strip_suffix(')') {
        Some(whole) => (whole.to_string(), false),
        None => {
            let (c, _) = cut(inside);
            (c, true)
        }
    };
    let class = (!class.is_empty()).then_some(class);
    let class_truncated = class_truncated && class.is_some();
    (name, name_truncated, class, class_truncated)
}

/// `1,632` → 1632; `0 (unbuilt)` → 0 with a note.
fn count_and_note(text: &str) -> Option<(u64, Option<String>)> {
    let text = text.trim();
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    let count: u64 = digits.replace(',', "").parse().ok()?;
    let rest = text[digits.len()..].trim();
    let note = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(str::to_string);
    (rest.is_empty() || note.is_some()).then_some((count, note))
}

/// Reads an `Output Shape` cell.
pub fn shape(text: &str) -> PrintedShape {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() || compact == "multiple" || compact == "?" {
        return PrintedShape::Unknown(text.trim().to_string());
    }
    let balanced = compact.matches('(').count() == compact.matches(')').count()
        && compact.matches('[').count() == compact.matches(']').count();
    if compact.ends_with('…') || !balanced {
        return PrintedShape::Truncated(compact.trim_end_matches('…').to_string());
    }
    let mut shapes = Vec::new();
    let mut current: Option<String> = None;
    for c in compact.chars() {
        match c {
            '(' => current = Some(String::new()),
            ')' => {
                let Some(inside) = current.take() else {
                    return PrintedShape::Unknown(text.trim().to_string());
                };
                let dims: Option<Shape> = inside
                    .split(',')
                    .filter(|d| !d.is_empty())
                    .map(|d| match d {
                        "None" => Some(None),
                        n => n.parse().ok().map(Some),
                    })
                    .collect();
                match dims {
                    Some(d) => shapes.push(d),
                    None => return PrintedShape::Unknown(text.trim().to_string()),
                }
            }
            other => {
                if let Some(buf) = current.as_mut() {
                    buf.push(other);
                }
            }
        }
    }
    if shapes.is_empty() {
        PrintedShape::Unknown(text.trim().to_string())
    } else {
        PrintedShape::Known(shapes)
    }
}

/// Reads a `Connected to` cell: `in_a[0][0], in_b[0][0]`, `['in_a[0][0]', 'in_b[0][0]']`,
/// `-`, `[]`; a cut entry keeps the beginning of its layer name.
pub(crate) fn connections(text: &str) -> Vec<Connection> {
    let spaced: String = text
        .chars()
        .map(|c| {
            if matches!(c, ',' | '\'' | '"') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out = Vec::new();
    for token in spaced.split_whitespace() {
        // A list's brackets stick to its first and last entries.
        let mut rest = token.trim_start_matches('[');
        while let Some((start, end, node, tensor)) = index_pair(rest) {
            out.push(Connection {
                layer: rest[..start].to_string(),
                node: Some(node),
                tensor: Some(tensor),
                truncated: false,
            });
            rest = &rest[end..];
        }
        let leftover = rest.trim_matches(['[', ']']);
        if leftover.is_empty() || leftover == "-" {
            continue;
        }
        let name = leftover.split(['[', '…']).next().unwrap_or_default();
        if !name.is_empty() {
            out.push(Connection {
                layer: name.to_string(),
                node: None,
                tensor: None,
                truncated: true,
            });
        }
    }
    out
}

/// The first `[node][tensor]` after a non-empty name: its byte range and numbers.
fn index_pair(text: &str) -> Option<(usize, usize, usize, usize)> {
    let number = |s: &str| -> Option<(usize, usize)> {
        let digits = s.chars().take_while(char::is_ascii_digit).count();
        (digits > 0)
            .then(|| Some((s[..digits].parse().ok()?, digits)))
            .flatten()
    };
    for (start, _) in text.match_indices('[').filter(|(i, _)| *i > 0) {
        let after = &text[start + 1..];
        let Some((node, n)) = number(after) else {
            continue;
        };
        let Some(after) = after[n..].strip_prefix("][") else {
            continue;
        };
        let Some((tensor, t)) = number(after) else {
            continue;
        };
        if after[t..].starts_with(']') {
            let end = start + 1 + n + 2 + t + 1;
            return Some((start, end, node, tensor));
        }
    }
    None
}

/// `Total params: 1,671 (6.53 KB)` and its siblings.
fn totals(lines: &[&str]) -> PrintedTotals {
    let mut totals = PrintedTotals::default();
    for line in lines {
        let line = line.trim();
        let Some((label, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match label.trim() {
            "Total params" => &mut totals.total,
            "Trainable params" => &mut totals.trainable,
            "Non-trainable params" => &mut totals.non_trainable,
            "Optimizer params" => &mut totals.optimizer,
            _ => continue,
        };
        let number: String = rest
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .collect();
        if let Ok(n) = number.replace(',', "").parse() {
            slot.get_or_insert(n);
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed by Keras 3.15.1 (fixtures/truth/k3_functional_fit.keras.json): a graph table
    /// with a wrapped class name and optimizer state in the total.
    const KERAS3_AFTER_FIT: &str = "\
Model: \"func_fit\"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ in_a (InputLayer)             │ (None, 4)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ concatenate (Concatenate)     │ (None, 7)                 │               0 │ dense[0][0], in_b[0][0]    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ batch_normalization           │ (None, 7)                 │              28 │ concatenate[0][0]          │
│ (BatchNormalization)          │                           │                 │                            │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 190 (764.00 B)
 Trainable params: 58 (232.00 B)
 Non-trainable params: 14 (56.00 B)
 Optimizer params: 118 (476.00 B)
";

    #[test]
    fn keras3_box_table_with_wrapped_class_and_optimizer_params() {
        let s = parse(KERAS3_AFTER_FIT).unwrap();
        assert_eq!(s.style, Style::Keras3);
        assert_eq!(s.model_name.as_deref(), Some("func_fit"));
        assert!(s.has_connections);
        let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["in_a", "concatenate", "batch_normalization"]);
        let bn = &s.rows[2];
        assert_eq!(bn.class_name.as_deref(), Some("BatchNormalization"));
        assert_eq!(bn.line, 9);
        assert_eq!(bn.params, 28);
        assert_eq!(
            bn.output_shape,
            PrintedShape::Known(vec![vec![None, Some(7)]])
        );
        let inputs: Vec<&str> = s.rows[1]
            .connected_to
            .iter()
            .flatten()
            .map(|c| c.layer.as_str())
            .collect();
        assert_eq!(inputs, ["dense", "in_b"]);
        assert_eq!(s.rows[0].connected_to, Some(vec![]));
        assert_eq!(
            s.totals,
            PrintedTotals {
                total: Some(190),
                trainable: Some(58),
                non_trainable: Some(14),
                optimizer: Some(118),
            }
        );
    }

    /// Printed by tf_keras 2.21 (fixtures/truth/tfk_functional_nested.h5.json).
    const TF_KERAS_GRAPH: &str = "\
Model: \"branches_nested\"
__________________________________________________________________________________________________
 Layer (type)                Output Shape                 Param #   Connected to                  
==================================================================================================
 in_a (InputLayer)           [(None, 6)]                  0         []                            
                                                                                                  
 shared (Dense)              (None, 5)                    35        ['in_a[0][0]',                
                                                                     'in_b[0][0]']                
                                                                                                  
==================================================================================================
Total params: 202 (808.00 Byte)
Trainable params: 190 (760.00 Byte)
Non-trainable params: 12 (48.00 Byte)
__________________________________________________________________________________________________
";

    #[test]
    fn tf_keras_lists_continue_over_lines() {
        let s = parse(TF_KERAS_GRAPH).unwrap();
        assert_eq!(s.style, Style::Keras2);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(
            s.rows[0].output_shape,
            PrintedShape::Known(vec![vec![None, Some(6)]])
        );
        let shared = &s.rows[1];
        assert_eq!(shared.params, 35);
        let inputs: Vec<(&str, Option<usize>)> = shared
            .connected_to
            .iter()
            .flatten()
            .map(|c| (c.layer.as_str(), c.node))
            .collect();
        assert_eq!(inputs, [("in_a", Some(0)), ("in_b", Some(0))]);
        assert_eq!(s.totals.total, Some(202));
        assert_eq!(s.totals.optimizer, None);
    }

    /// Printed by standalone Keras 2.3.1 (fixtures/summaries/k2_sequential.h5.keras2.txt):
    /// cells cut at their column, for good.
    const KERAS2_CUT: &str = "\
Model: \"k2_sequential\"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
batch_normalization (BatchNo (None, 16)                64        
_________________________________________________________________
a_rather_long_layer_name_for (None, 4)                 68        
=================================================================
Total params: 276
Trainable params: 244
Non-trainable params: 32
_________________________________________________________________
";

    #[test]
    fn keras2_cut_cells_keep_their_beginning() {
        let s = parse(KERAS2_CUT).unwrap();
        let bn = &s.rows[0];
        assert_eq!(bn.name, "batch_normalization");
        assert!(!bn.name_truncated);
        assert_eq!(bn.class_name.as_deref(), Some("BatchNo"));
        assert_eq!(bn.class_may_be("BatchNormalization"), Some(true));
        let head = &s.rows[1];
        assert!(head.name_truncated);
        assert!(head.may_be("a_rather_long_layer_name_for_the_head"));
        assert_eq!(head.class_name, None);
        assert_eq!(s.totals.total, Some(276));
    }

    /// Printed by standalone Keras 1.2.2 (fixtures/summaries/k1_functional.h5.keras1.txt).
    const KERAS1: &str = "\
____________________________________________________________________________________________________
Layer (type)                     Output Shape          Param #     Connected to                     
====================================================================================================
in_a (InputLayer)                (None, 6)             0                                            
____________________________________________________________________________________________________
shared (Dense)                   (None, 5)             35          in_a[0][0]                       
                                                                   in_b[0][0]                       
====================================================================================================
Total params: 102
Trainable params: 102
Non-trainable params: 0
____________________________________________________________________________________________________
";

    #[test]
    fn keras1_connections_one_per_line() {
        let s = parse(KERAS1).unwrap();
        assert_eq!(s.style, Style::Keras1);
        assert_eq!(s.model_name, None);
        let inputs: Vec<&str> = s.rows[1]
            .connected_to
            .iter()
            .flatten()
            .map(|c| c.layer.as_str())
            .collect();
        assert_eq!(inputs, ["in_a", "in_b"]);
        assert_eq!(s.rows[0].connected_to, Some(vec![]));
    }

    /// Printed by Keras 2.0.0 for ResNet50, quoted in
    /// https://github.com/keras-team/keras/issues/5822 (the first rows): its `Connected to`
    /// column stayed empty.
    const KERAS2_0_EMPTY_CONNECTIONS: &str = "\
____________________________________________________________________________________________________
Layer (type)                     Output Shape          Param #     Connected to                     
====================================================================================================
input_2 (InputLayer)             (None, 224, 224, 3)   0                                            
____________________________________________________________________________________________________
zero_padding2d_1 (ZeroPadding2D) (None, 230, 230, 3)   0                                            
____________________________________________________________________________________________________
conv1 (Conv2D)                   (None, 112, 112, 64)  9472                                         
____________________________________________________________________________________________________
bn_conv1 (BatchNormalization)    (None, 112, 112, 64)  256                                          
____________________________________________________________________________________________________
";

    #[test]
    fn an_empty_connected_to_column_shows_nothing() {
        let s = parse(KERAS2_0_EMPTY_CONNECTIONS).unwrap();
        assert_eq!(s.rows.len(), 4);
        assert!(s.rows.iter().all(|r| r.connected_to.is_none()));
        assert_eq!(s.rows[2].params, 9472);
        assert_eq!(
            s.rows[2].output_shape,
            PrintedShape::Known(vec![vec![None, Some(112), Some(112), Some(64)]])
        );
        assert_eq!(s.totals, PrintedTotals::default());
    }

    #[test]
    fn keras3_ellipses_mark_cut_cells() {
        // Keras 3.15.1 in a narrow terminal (/work/shared/corpus, tiny_XCEPTION_KDEF).
        assert_eq!(
            name_and_class("batch_normalizatio…(BatchNormalizatio…"),
            (
                "batch_normalizatio".to_string(),
                true,
                Some("BatchNormalizatio".to_string()),
                true
            )
        );
        let c = connections("max_pooling2d_1[… batch_normalizat…");
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|c| c.truncated));
        assert_eq!(c[0].layer, "max_pooling2d_1");
        assert_eq!(
            shape("(None, 30, 30,16)"),
            PrintedShape::Known(vec![vec![None, Some(30), Some(30), Some(16)]])
        );
        assert_eq!(
            shape("(None, 30, 30,"),
            PrintedShape::Truncated("(None,30,30,".into())
        );
    }

    #[test]
    fn shapes_of_every_form() {
        assert_eq!(shape("(None,)"), PrintedShape::Known(vec![vec![None]]));
        assert_eq!(
            shape("[(None, 4), (None, 3)]"),
            PrintedShape::Known(vec![vec![None, Some(4)], vec![None, Some(3)]])
        );
        assert_eq!(shape("multiple"), PrintedShape::Unknown("multiple".into()));
        assert_eq!(shape("?"), PrintedShape::Unknown("?".into()));
    }

    #[test]
    fn counts_with_separators_and_notes() {
        assert_eq!(count_and_note("1,632"), Some((1632, None)));
        assert_eq!(
            count_and_note("0 (unbuilt)"),
            Some((0, Some("unbuilt".into())))
        );
        assert_eq!(count_and_note("abc"), None);
    }

    #[test]
    fn text_without_a_table_is_an_error() {
        assert_eq!(parse("hello"), Err(ParseError::NoTable));
        let header_only = "Layer (type)   Output Shape   Param #\n====\n====\n";
        assert_eq!(parse(header_only), Err(ParseError::NoRows));
    }

    #[test]
    fn expanded_nested_rows_carry_their_depth() {
        assert_eq!(nesting_of_box_cell("    └ dense (Dense)  "), 1);
        assert_eq!(nesting_of_box_cell("       └ dense (Dense)"), 2);
        assert_eq!(nesting_of_box_cell(" dense (Dense)"), 0);
    }
}
