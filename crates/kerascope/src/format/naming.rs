//! How Keras 3 names objects in `.weights.h5` files (FORMATS.md §5.1–5.3): top-level keys are
//! the snake-cased class names made unique in `model.layers` order, and datasets are `vars/N`.
//! What N names (the position in the layer rule's weight order for that owner) is known only
//! with the rules: [`crate::bind`] names it after the read.

use serde_json::Value;

/// Keras' `naming.to_snake_case` (one implementation, shared with the layer rules that also
/// name sub-objects by it).
pub use crate::text::snake_case as to_snake_case;

/// The layer entries of a model config (`{"class_name", "config"}`): `config.layers`, or the
/// config itself when it is a list (Keras 1 / early Keras 2 Sequential).
pub fn layer_entries(model: &Value) -> Vec<&Value> {
    let config = model.get("config");
    let list = match config {
        Some(Value::Array(list)) => Some(list),
        Some(config) => config.get("layers").and_then(Value::as_array),
        None => None,
    };
    list.map(|l| l.iter().collect()).unwrap_or_default()
}

pub fn class_name(entry: &Value) -> &str {
    entry
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A layer entry's name (`config.name`, or the entry's own `name`).
pub fn layer_name(entry: &Value) -> Option<&str> {
    entry
        .get("config")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .or_else(|| entry.get("name").and_then(Value::as_str))
}

/// Whether an entry is itself a model with a layer list (a nested Sequential / Functional).
pub fn is_model(entry: &Value) -> bool {
    matches!(class_name(entry), "Sequential" | "Functional" | "Model")
        || entry
            .get("config")
            .and_then(|c| c.get("layers"))
            .is_some_and(Value::is_array)
}

/// The Keras 3 object keys of a model's layers, paired with their entries, in `model.layers`
/// order (a Sequential's InputLayer is not in `model.layers`).
pub fn keras3_keys(model: &Value) -> Vec<(String, &Value)> {
    let sequential = class_name(model) == "Sequential";
    let mut used: crate::Map<String, usize> = crate::Map::default();
    let mut keys = Vec::new();
    for entry in layer_entries(model) {
        if sequential && class_name(entry) == "InputLayer" {
            continue;
        }
        let base = to_snake_case(class_name(entry));
        let key = match used.get_mut(&base) {
            Some(count) => {
                *count += 1;
                format!("{base}_{count}")
            }
            None => {
                used.insert(base.clone(), 0);
                base
            }
        };
        keys.push((key, entry));
    }
    keys
}

/// tf.keras 2.13 numbered the keys of `_layer_checkpoint_dependencies` over that dict's
/// values, where a layer with weights appears twice (`layer_with_weights-k` and `layer-i`,
/// `Functional._layer_checkpoint_dependencies`), and 2.14 stopped counting the repeat: stored
/// keys go `conv2d`, `conv2d_2`, `conv2d_4` where 2.14+ (and [`keras3_keys`]) give `conv2d`,
/// `conv2d_1`, `conv2d_2`. Returns, for the layer paths that differ, the 2.13 stored path and
/// the path 2.14 would have written, when the 2.13 numbering places more of the `stored`
/// object paths than the 2.14 one; else nothing. A layer has weights, as when the file was
/// written, when something is stored below its key.
pub fn tfk213_renames(model: &Value, stored: &[String]) -> crate::Map<String, String> {
    let occupied: crate::Set<&str> = stored.iter().flat_map(|p| layer_prefixes(p)).collect();
    let mut renames = Vec::new();
    let mut doubled_tops = crate::Set::default();
    doubled_keys(model, "", "", &occupied, &mut renames, &mut doubled_tops);
    let distinct_tops: crate::Set<String> = keras3_keys(model)
        .into_iter()
        .map(|(key, _)| format!("{CHECKPOINT_LAYERS}/{key}"))
        .collect();
    let placed = |tops: &crate::Set<String>| {
        stored
            .iter()
            .filter(|p| {
                layer_prefixes(p)
                    .next()
                    .is_some_and(|top| tops.contains(top))
            })
            .count()
    };
    if placed(&doubled_tops) <= placed(&distinct_tops) {
        return crate::Map::default();
    }
    renames
        .into_iter()
        .filter(|(from, to)| from != to)
        .collect()
}

/// The group tf.keras 2.13–2.15 keep a model's layers under.
const CHECKPOINT_LAYERS: &str = "_layer_checkpoint_dependencies";

/// The prefixes of an object path that end at a layer key (the segment after each
/// `_layer_checkpoint_dependencies`), outermost first.
pub fn layer_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let mut end = 0;
    let mut after_layers = false;
    path.split('/').filter_map(move |segment| {
        let start = end;
        end = start + segment.len() + 1;
        let is_key = after_layers;
        after_layers = segment == CHECKPOINT_LAYERS;
        is_key.then(|| &path[..(start + segment.len()).min(path.len())])
    })
}

fn doubled_keys(
    model: &Value,
    stored_at: &str,
    canonical_at: &str,
    occupied: &crate::Set<&str>,
    renames: &mut Vec<(String, String)>,
    tops: &mut crate::Set<String>,
) {
    let join = |at: &str, key: &str| {
        if at.is_empty() {
            format!("{CHECKPOINT_LAYERS}/{key}")
        } else {
            format!("{at}/{CHECKPOINT_LAYERS}/{key}")
        }
    };
    let mut seen: crate::Map<String, usize> = crate::Map::default();
    for (canonical_key, entry) in keras3_keys(model) {
        let base = to_snake_case(class_name(entry));
        let count = seen.entry(base.clone()).or_insert(0);
        let key = if *count == 0 {
            base
        } else {
            format!("{base}_{count}")
        };
        let from = join(stored_at, &key);
        let to = join(canonical_at, &canonical_key);
        let has_weights = occupied.contains(from.as_str());
        *count += if has_weights { 2 } else { 1 };
        if is_model(entry) {
            doubled_keys(entry, &from, &to, occupied, renames, tops);
        }
        if stored_at.is_empty() {
            tops.insert(from.clone());
        }
        renames.push((from, to));
    }
}

/// Segments that mean "the layers of this model" in object paths (Keras 3; tf.keras 2.13–2.15).
pub fn is_layers_segment(segment: &str) -> bool {
    segment == "layers" || segment == CHECKPOINT_LAYERS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_in_layer_order_and_sequential_skips_its_input() {
        let model: Value = serde_json::json!({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "InputLayer", "config": {"name": "in"}},
            {"class_name": "Dense", "config": {"name": "a"}},
            {"class_name": "Dense", "config": {"name": "b"}},
            {"class_name": "Dropout", "config": {"name": "c"}},
            {"class_name": "Dense", "config": {"name": "d"}},
        ]}});
        let keys: Vec<String> = keras3_keys(&model).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["dense", "dense_1", "dropout", "dense_2"]);
    }

    fn functional(layers: &[(&str, &str)]) -> Value {
        let layers: Vec<Value> = layers
            .iter()
            .map(|(class, name)| serde_json::json!({"class_name": class, "config": {"name": name}}))
            .collect();
        serde_json::json!({"class_name": "Functional", "config": {"layers": layers}})
    }

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter()
            .map(|p| format!("{CHECKPOINT_LAYERS}/{p}"))
            .collect()
    }

    #[test]
    fn tf_keras_2_13_keys_count_a_layer_with_weights_twice() {
        // As tfk213_mixed.keras stores them: conv2d, conv2d_2, conv2d_4 (fixtures/real).
        let model = functional(&[
            ("InputLayer", "image"),
            ("Conv2D", "stem"),
            ("Dropout", "d"),
            ("Conv2D", "c2"),
            ("Dropout", "d2"),
            ("Conv2D", "c3"),
        ]);
        let stored = paths(&["conv2d", "conv2d_2", "conv2d_4"]);
        let mut renames: Vec<(String, String)> =
            tfk213_renames(&model, &stored).into_iter().collect();
        renames.sort();
        let expected: Vec<(String, String)> = [("conv2d_2", "conv2d_1"), ("conv2d_4", "conv2d_2")]
            .iter()
            .map(|(a, b)| (paths(&[a])[0].clone(), paths(&[b])[0].clone()))
            .collect();
        assert_eq!(renames, expected);
    }

    #[test]
    fn layer_prefixes_end_at_each_key() {
        let path = "_layer_checkpoint_dependencies/seq/_layer_checkpoint_dependencies/dense_2/cell";
        let prefixes: Vec<&str> = layer_prefixes(path).collect();
        assert_eq!(
            prefixes,
            [
                "_layer_checkpoint_dependencies/seq",
                "_layer_checkpoint_dependencies/seq/_layer_checkpoint_dependencies/dense_2",
            ]
        );
        assert_eq!(layer_prefixes("layers/dense").count(), 0);
    }

    #[test]
    fn tf_keras_2_14_keys_are_left_alone() {
        let model = functional(&[("Conv2D", "a"), ("Conv2D", "b"), ("Conv2D", "c")]);
        let stored = paths(&["conv2d", "conv2d_1", "conv2d_2"]);
        assert!(tfk213_renames(&model, &stored).is_empty());
        // One layer per class: both numberings agree, nothing to rename.
        let model = functional(&[("Conv2D", "a"), ("Dense", "b")]);
        assert!(tfk213_renames(&model, &paths(&["conv2d", "dense"])).is_empty());
    }
}
