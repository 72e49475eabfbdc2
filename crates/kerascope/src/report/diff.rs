//! `kerascope diff` output: one line per change as text, or the `kerascope.diff/1` document.

use serde::Serialize;
use serde_json::Value;

use super::thousands;
use crate::diff::{Change, ChangeKind, ModelDiff, SCHEMA, Side};

fn side_text(label: &str, path: &str, s: &Side) -> String {
    let version = s
        .keras_version
        .as_deref()
        .map(|v| format!(", Keras {v}"))
        .unwrap_or_default();
    let model = match (&s.model_name, &s.model_class) {
        (Some(n), Some(c)) => format!(", model \"{n}\" ({c})"),
        (None, Some(c)) => format!(", a {c}"),
        _ => String::new(),
    };
    format!(
        "{label}: {path} ({}{version}{model}), {} parameters\n",
        s.format.describe(),
        thousands(s.total_params)
    )
}

fn sign(kind: ChangeKind) -> char {
    match kind {
        ChangeKind::LayerAdded | ChangeKind::WeightAdded => '+',
        ChangeKind::LayerRemoved | ChangeKind::WeightRemoved => '-',
        _ => '~',
    }
}

/// The report for people.
pub fn to_text(path_a: &str, path_b: &str, d: &ModelDiff) -> String {
    let mut out = side_text("A", path_a, &d.a);
    out.push_str(&side_text("B", path_b, &d.b));
    out.push('\n');
    for c in &d.changes {
        let layer = match (&c.layer, &c.class_name) {
            (Some(l), Some(k)) => format!("{l} ({k})"),
            (Some(l), None) => l.clone(),
            (None, _) => "model".into(),
        };
        let what = match c.kind {
            ChangeKind::LayerAdded => format!("layer added, {}", c.b.as_deref().unwrap_or("")),
            ChangeKind::LayerRemoved => format!("layer removed, {}", c.a.as_deref().unwrap_or("")),
            ChangeKind::LayerRenamed => format!(
                "renamed from {} (same class and weights)",
                c.a.as_deref().unwrap_or("?")
            ),
            ChangeKind::LayerMoved => "moved to another place in the layer order".to_string(),
            _ => {
                let item = c.item.as_ref().map(|i| format!(" {i}")).unwrap_or_default();
                let label = match c.kind {
                    ChangeKind::ClassChanged => "class".to_string(),
                    ChangeKind::ConfigChanged => format!("config{item}"),
                    ChangeKind::OutputShapeChanged => "output shape".to_string(),
                    ChangeKind::TrainableChanged => "trainable".to_string(),
                    ChangeKind::WeightAdded => format!("weight{item} added"),
                    ChangeKind::WeightRemoved => format!("weight{item} removed"),
                    ChangeKind::WeightShapeChanged => format!("weight{item} shape"),
                    ChangeKind::WeightDtypeChanged => format!("weight{item} dtype"),
                    ChangeKind::ParamsChanged => "parameters".to_string(),
                    ChangeKind::TotalParamsChanged => "total parameters".to_string(),
                    ChangeKind::TrainableParamsChanged => "trainable parameters".to_string(),
                    ChangeKind::NonTrainableParamsChanged => "non-trainable parameters".to_string(),
                    ChangeKind::LayerAdded
                    | ChangeKind::LayerRemoved
                    | ChangeKind::LayerRenamed
                    | ChangeKind::LayerMoved => unreachable!("handled above"),
                };
                let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
                format!("{label}: {} → {}", value(&c.a), value(&c.b))
            }
        };
        out.push_str(&format!("{} {layer}: {what}\n", sign(c.kind)));
    }
    if !d.changes.is_empty() && !d.notes.is_empty() {
        out.push('\n');
    }
    for n in &d.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    out.push_str(&if d.equivalent() {
        "EQUIVALENT: same layers, configs, weight shapes and dtypes, and totals.\n".to_string()
    } else {
        format!("DIFFERENT: {} change(s).\n", d.changes.len())
    });
    out
}

/// The `diff --format json` document (`kerascope.diff/1`).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DiffDocument<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The first file.
    pub a: SideEntry<'a>,
    /// The second file.
    pub b: SideEntry<'a>,
    /// Same layers, configs, weights and totals (the notes may still list differences of format or
    /// versions).
    pub equivalent: bool,
    /// What differs from A to B.
    pub changes: &'a [Change],
    /// Differences that do not make the models different (format, versions, optimizer state).
    pub notes: &'a [String],
}

/// One side of a comparison, and the input it was read from.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SideEntry<'a> {
    /// What the file is (its fields are flattened into this object).
    #[serde(flatten)]
    pub side: &'a Side,
    /// The input, as the caller names it.
    pub path: &'a str,
}

/// The typed document of a comparison.
pub fn document<'a>(path_a: &'a str, path_b: &'a str, d: &'a ModelDiff) -> DiffDocument<'a> {
    DiffDocument {
        schema: SCHEMA,
        a: SideEntry {
            side: &d.a,
            path: path_a,
        },
        b: SideEntry {
            side: &d.b,
            path: path_b,
        },
        equivalent: d.equivalent(),
        changes: &d.changes,
        notes: &d.notes,
    }
}

/// The document as a JSON value.
pub fn to_json(path_a: &str, path_b: &str, d: &ModelDiff) -> Value {
    serde_json::to_value(document(path_a, path_b, d)).unwrap_or_default()
}
