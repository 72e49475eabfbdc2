//! Which printed row is which layer of the file: rows lined up by name in model order (a
//! longest common subsequence, so that one removed or added row does not shift the rest), the
//! same layer under another name, and what makes a printed class or shape fit the file's.

use super::parse::{PrintedRow, PrintedShape, PrintedSummary};
use crate::model::Shape;
use crate::summary::Row;
use crate::text::shape_text;

/// Class names Keras renamed between versions, the same layer either way: the model class,
/// then the layer classes their rules list ([`crate::layers::LayerRule::renamed_classes`]).
fn renamed() -> impl Iterator<Item = (&'static str, &'static str)> {
    std::iter::once(("Model", "Functional")).chain(crate::layers::renamed_classes())
}

/// Whether two class names are the same layer: equal, or renamed between Keras versions.
pub fn same_layer_class(a: &str, b: &str) -> bool {
    a == b || renamed().any(|(x, y)| (a == x && b == y) || (a == y && b == x))
}

pub(super) fn same_class(printed: &PrintedRow, file: &str) -> bool {
    if printed.class_may_be(file) != Some(false) {
        return true;
    }
    renamed().any(|(a, b)| {
        (file == a && printed.class_may_be(b) == Some(true))
            || (file == b && printed.class_may_be(a) == Some(true))
    })
}

/// A row of the file's summary, flattened with its nesting depth.
pub(super) struct FileRow<'a> {
    pub(super) row: &'a Row,
    pub(super) depth: usize,
}

pub(super) fn flatten<'a>(rows: &'a [Row], depth: usize, expand: bool, out: &mut Vec<FileRow<'a>>) {
    for row in rows {
        out.push(FileRow { row, depth });
        if expand {
            flatten(&row.children, depth + 1, expand, out);
        }
    }
}

/// Lines up printed rows with file rows: matched pairs in order, by longest common
/// subsequence of compatible names (same depth; a cut name matches by its beginning).
pub(super) fn align(printed: &[PrintedRow], file: &[FileRow]) -> Vec<(usize, usize)> {
    crate::align::longest_common_subsequence(printed.len(), file.len(), |i, j| {
        printed[i].depth == file[j].depth && printed[i].may_be(&file[j].row.name)
    })
}

pub(super) fn mark(len: usize, indices: impl Iterator<Item = usize>) -> Vec<bool> {
    let mut marks = vec![false; len];
    for i in indices {
        marks[i] = true;
    }
    marks
}

/// Unmatched rows between the same two matched rows, with the same type and count: the same
/// layer under another name.
pub(super) fn pair_renamed(
    printed: &PrintedSummary,
    file_rows: &[FileRow],
    pairs: &[(usize, usize)],
    matched_printed: &[bool],
    matched_file: &[bool],
) -> Vec<(usize, usize)> {
    let gap_of = |index: usize, side: fn(&(usize, usize)) -> usize| {
        pairs.iter().filter(|p| side(p) < index).count()
    };
    let mut used = vec![false; file_rows.len()];
    let mut renamed = Vec::new();
    for (i, p) in printed.rows.iter().enumerate() {
        if matched_printed[i] {
            continue;
        }
        let gap = gap_of(i, |p| p.0);
        let candidate = (0..file_rows.len()).find(|&j| {
            let f = file_rows[j].row;
            !matched_file[j]
                && !used[j]
                && gap_of(j, |p| p.1) == gap
                && file_rows[j].depth == p.depth
                && (f.class_name == "?" || same_class(p, &f.class_name))
                && f.params == p.params
                && shapes_agree(&p.output_shape, &f.output_shapes) != Some(false)
        });
        if let Some(j) = candidate {
            used[j] = true;
            renamed.push((i, j));
        }
    }
    renamed
}

/// Whether a printed shape can be the file's; `None` when one side does not tell.
pub(super) fn shapes_agree(printed: &PrintedShape, file: &[Shape]) -> Option<bool> {
    if file.is_empty() {
        return None;
    }
    match printed {
        PrintedShape::Unknown(_) => None,
        PrintedShape::Known(shapes) => Some(
            shapes.len() == file.len()
                && shapes.iter().zip(file).all(|(p, f)| {
                    p.len() == f.len() && p.iter().zip(f).all(|(p, f)| f.is_none() || p == f)
                }),
        ),
        PrintedShape::Truncated(prefix) => {
            let ours: String = shape_text(file)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let strip = |s: &str| s.trim_start_matches('[').to_string();
            Some(strip(&ours).starts_with(&strip(prefix)))
        }
    }
}
