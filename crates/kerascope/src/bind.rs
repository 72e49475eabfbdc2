//! The binding step: Keras 3 datasets are stored as `vars/N`, and what N names (`kernel`,
//! `bias`, `moving_mean`...) is the position in the layer rule's weight order for that owner
//! (FORMATS.md §5.2). [`crate::format`] records what the file stores (layer key, owner path,
//! N); once the [`crate::layers`] rules are known, [`bind`] names each stored variable.
//!
//! Every entry point that describes a file binds: the `analyze_*` functions (through
//! [`crate::analysis::analyze_with_limits`]), and the readers here, which are
//! [`crate::format`]'s with the names bound.

use std::path::Path;

use serde_json::Value;

use crate::container::source::Source;
use crate::error::Result;
use crate::format::naming::{class_name, is_layers_segment, is_model, keras3_keys};
use crate::format::{self, KerasFile};
use crate::layers::{LayerCfg, rule_for};
use crate::limits::Limits;
use crate::model::Dialect;

/// Names the Keras 3 `vars/N` the reader recorded (in the file and in its polyglot view);
/// a variable no rule knows keeps its stored `vars/N`. Binding twice changes nothing.
pub fn bind(file: &mut KerasFile) {
    let stored = std::mem::take(&mut file.stored_vars);
    if !stored.is_empty()
        && let Some(model) = &file.model_config
    {
        let keys: crate::Map<String, &Value> = keras3_keys(model).into_iter().collect();
        for var in stored {
            let Some(entry) = keys.get(&var.key) else {
                continue;
            };
            let owner: Vec<&str> = var.owner.iter().map(String::as_str).collect();
            if let Some(name) = var_name(entry, &owner, var.index, file.dialect)
                && let Some(tensor) = file.tensors.get_mut(var.tensor)
            {
                tensor.name = name;
            }
        }
    }
    if let Some(view) = file.polyglot.as_deref_mut() {
        bind(view);
    }
}

fn bound(file: Result<KerasFile>) -> Result<KerasFile> {
    file.map(|mut file| {
        bind(&mut file);
        file
    })
}

/// [`format::read_path`], Keras 3 `vars/N` named.
pub fn read_path(path: &Path, limits: &Limits) -> Result<KerasFile> {
    bound(format::read_path(path, limits))
}

/// [`format::read_path_with_config`], Keras 3 `vars/N` named (by the given config when the
/// file stores none).
pub fn read_path_with_config(
    path: &Path,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    bound(format::read_path_with_config(path, limits, config))
}

/// [`format::read_source`], Keras 3 `vars/N` named.
pub fn read_source(source: &Source, path: Option<&Path>, limits: &Limits) -> Result<KerasFile> {
    bound(format::read_source(source, path, limits))
}

/// [`format::read_source_with_config`], Keras 3 `vars/N` named (by the given config when the
/// file stores none).
pub fn read_source_with_config(
    source: &Source,
    path: Option<&Path>,
    limits: &Limits,
    config: Option<Value>,
) -> Result<KerasFile> {
    bound(format::read_source_with_config(
        source, path, limits, config,
    ))
}

/// tf.keras writes private attribute names (`_query_dense`) where Keras 3 has public ones.
fn same_segment(a: &str, b: &str) -> bool {
    a.trim_start_matches('_') == b.trim_start_matches('_')
}

/// The short name of dataset `vars/<index>` of the object at `owner` (path segments below a
/// layer entry), by the layer rule's weight order; `None` when no rule knows it.
pub(crate) fn var_name(
    entry: &Value,
    owner: &[&str],
    index: usize,
    dialect: Dialect,
) -> Option<String> {
    if is_model(entry) {
        let (first, rest) = owner.split_first()?;
        if !is_layers_segment(first) {
            return None;
        }
        let (key, rest) = rest.split_first()?;
        let (_, sub) = keras3_keys(entry).into_iter().find(|(k, _)| k == key)?;
        return var_name(sub, rest, index, dialect);
    }
    let class = class_name(entry);
    let config = entry.get("config")?;
    let rule = rule_for(class)?;
    let output = rule
        .apply(
            LayerCfg {
                class_name: class,
                config,
                dialect,
            },
            &[],
        )
        .ok()?;
    let same_owner = |candidate: &str| {
        let segments: Vec<&str> = candidate.split('/').filter(|s| !s.is_empty()).collect();
        segments.len() == owner.len() && segments.iter().zip(owner).all(|(a, b)| same_segment(a, b))
    };
    // The owner's stored variables: its listed weights, with the stored copies (aliases)
    // inserted at their positions.
    let mut stored: Vec<String> = output
        .weights
        .iter()
        .filter(|w| same_owner(&w.owner))
        .map(|w| w.name.clone())
        .collect();
    let mut aliases: Vec<_> = output
        .aliases
        .iter()
        .filter(|a| same_owner(&a.owner))
        .collect();
    aliases.sort_by_key(|a| a.index);
    for alias in aliases {
        stored.insert(alias.index.min(stored.len()), alias.name.clone());
    }
    stored.into_iter().nth(index)
}
