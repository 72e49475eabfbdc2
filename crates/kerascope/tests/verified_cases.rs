//! Every test vector of `shared/reference/verified_cases.json` (produced by building each
//! layer in keras 3.15.1 / tf_keras 2.21.0 and calling `count_params()`) against the layer
//! rules: total and trainable counts, every weight's shape, every output shape, and the
//! formula shown adding up to the weights declared.
//!
//! The expected numbers come only from the JSON. A case that cannot be supported is listed in
//! [`KNOWN_UNSUPPORTED`] with the reason; the test fails when a listed case starts passing or
//! an unlisted case fails.

use std::collections::BTreeMap;

use kerascope::layers::{Dialect, LayerCfg, Shape, rule_for};
use serde_json::{Value, json};

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/reference/verified_cases.json"
);

/// `(section, index, layer_class, reason)`.
const KNOWN_UNSUPPORTED: &[(&str, usize, &str, &str)] = &[(
    "layer_cases",
    154,
    "Functional(model)",
    "a whole model (a Dense shared by two inputs, counted once): model-level counting \
     belongs to the graph module, not to a layer rule",
)];

fn load() -> Value {
    let text = std::fs::read_to_string(CASES).unwrap_or_else(|e| panic!("{CASES}: {e}"));
    serde_json::from_str(&text).expect("verified_cases.json is JSON")
}

fn dialect(framework: &str) -> Dialect {
    if framework.starts_with("keras 3") || framework == "k3" {
        Dialect::Keras3
    } else if framework.starts_with("tf_keras") || framework == "tfk" {
        Dialect::TfKeras
    } else {
        panic!("unknown framework {framework:?}")
    }
}

fn shape(v: &Value) -> Shape {
    v.as_array()
        .expect("a shape is a list")
        .iter()
        .map(|d| d.as_u64())
        .collect()
}

/// `[null, 10, 5]` is one input; `[[null, 5, 7], [null, 6, 3]]` several.
fn input_shapes(v: &Value) -> Vec<Shape> {
    let items = v.as_array().expect("input_shape is a list");
    if items.first().is_some_and(Value::is_array) {
        items.iter().map(shape).collect()
    } else {
        vec![shape(v)]
    }
}

/// The cases built through the Python API have no serialized config, only the constructor
/// arguments. Turn those into the config Keras would serialize: `quantize` is a dtype policy
/// (`QuantizedDTypePolicy` / `QuantizedFloat8DTypePolicy` with `mode`), and a wrapped layer
/// written `"Dense(5)"` is `{"class_name": "Dense", "config": {"units": 5}}`.
fn config_from_ctor(ctor: &Value) -> Value {
    let mut config = ctor.as_object().cloned().unwrap_or_default();
    if let Some(Value::String(mode)) = config.remove("quantize") {
        let class = if mode == "float8" {
            "QuantizedFloat8DTypePolicy"
        } else {
            "QuantizedDTypePolicy"
        };
        config.insert(
            "dtype".into(),
            json!({"module": "keras", "class_name": class,
                   "config": {"mode": mode, "source_name": "float32"}}),
        );
    }
    if let Some(Value::String(call)) = config.get("layer").cloned() {
        let (class, args) = call
            .strip_suffix(')')
            .and_then(|c| c.split_once('('))
            .unwrap_or_else(|| panic!("cannot read layer {call:?}"));
        // The only positional argument used in the vectors: Dense's `units`.
        assert_eq!(
            class, "Dense",
            "positional arguments of {class} are not mapped"
        );
        let units: u64 = args.trim().parse().expect("Dense(units)");
        config.insert(
            "layer".into(),
            json!({"class_name": class, "config": {"units": units}}),
        );
    }
    Value::Object(config)
}

fn prod(shape: &[u64]) -> u64 {
    shape.iter().product()
}

/// The short name of a Keras weight: last path component, without `:0`.
fn short_name(full: &str) -> &str {
    let last = full.rsplit('/').next().unwrap_or(full);
    last.split(':').next().unwrap_or(last)
}

/// Check one layer case; `Err` says what differs.
fn check_layer_case(case: &Value) -> Result<(), String> {
    let class = case["layer_class"].as_str().unwrap();
    let framework = case["framework"].as_str().unwrap();
    let config = match case.get("config") {
        Some(c) => c.clone(),
        None => config_from_ctor(&case["ctor_kwargs"]),
    };
    let rule = rule_for(class).ok_or_else(|| format!("no rule for class {class}"))?;
    let inputs = input_shapes(&case["input_shape"]);
    let out = rule
        .apply(
            LayerCfg {
                class_name: class,
                config: &config,
                dialect: dialect(framework),
            },
            &inputs,
        )
        .map_err(|e| format!("rule error: {e}"))?;
    let mut total = 0u64;
    let mut trainable = 0u64;
    for w in &out.weights {
        let s = w
            .shape
            .as_ref()
            .ok_or_else(|| format!("shape of {} unknown", w.name))?;
        total += prod(s);
        if w.trainable {
            trainable += prod(s);
        }
    }
    let expected_total = case["expected_count_params"].as_u64().unwrap();
    if total != expected_total {
        return Err(format!("count {total}, Keras {expected_total}"));
    }
    if let Some(expected) = case["trainable_params"].as_u64()
        && trainable != expected
    {
        return Err(format!("trainable {trainable}, Keras {expected}"));
    }
    if out.derivation.is_none() {
        return Err("no derivation although every shape is known".into());
    }
    if let Some(drift) = &out.formula_drift {
        return Err(drift.to_string());
    }
    let keras: Vec<(&str, Vec<u64>)> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let s: Vec<u64> = w["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect();
            (short_name(w["name"].as_str().unwrap()), s)
        })
        .collect();
    if keras.len() != out.weights.len() {
        let ours: Vec<_> = out.weights.iter().map(|w| w.name.as_str()).collect();
        let theirs: Vec<_> = keras.iter().map(|(n, _)| *n).collect();
        return Err(format!("weights {ours:?}, Keras {theirs:?}"));
    }
    // Match by short name, the k-th Keras `kernel` with our k-th `kernel`.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, keras_shape) in &keras {
        let k = seen.entry(name).or_insert(0);
        let ours = out
            .weights
            .iter()
            .filter(|w| w.name == *name)
            .nth(*k)
            .ok_or_else(|| format!("no weight #{k} named {name}"))?;
        *k += 1;
        if ours.shape.as_ref() != Some(keras_shape) {
            return Err(format!(
                "{name}: shape {:?}, Keras {keras_shape:?}",
                ours.shape
            ));
        }
    }
    Ok(())
}

fn check_shape_case(case: &Value) -> Result<(), String> {
    let class = case["layer_class"].as_str().unwrap();
    let framework = case["framework"].as_str().unwrap();
    let rule = rule_for(class).ok_or_else(|| format!("no rule for class {class}"))?;
    let inputs = input_shapes(&case["input_shape"]);
    let out = rule
        .apply(
            LayerCfg {
                class_name: class,
                config: &case["ctor_kwargs"],
                dialect: dialect(framework),
            },
            &inputs,
        )
        .map_err(|e| format!("rule error: {e}"))?;
    if let Some(drift) = &out.formula_drift {
        return Err(drift.to_string());
    }
    let expected = shape(&case["output_shape"]);
    match out.output_shapes.first() {
        Some(s) if *s == expected => Ok(()),
        other => Err(format!("output {other:?}, Keras {expected:?}")),
    }
}

fn run_section(data: &Value, section: &str, check: fn(&Value) -> Result<(), String>) -> usize {
    let cases = data[section].as_array().expect("a list of cases");
    assert!(!cases.is_empty(), "{section} is empty");
    let mut unexpected = Vec::new();
    let mut passed = 0;
    for (i, case) in cases.iter().enumerate() {
        let class = case["layer_class"].as_str().unwrap_or("?");
        let label = format!(
            "{section}[{i}] {class} ({})",
            case["framework"].as_str().unwrap_or("?")
        );
        let listed = KNOWN_UNSUPPORTED
            .iter()
            .find(|(s, idx, _, _)| *s == section && *idx == i);
        if let Some((_, _, listed_class, _)) = listed {
            assert_eq!(
                *listed_class, class,
                "KNOWN_UNSUPPORTED entry for {section}[{i}]"
            );
        }
        // A rule that panics is a failure of its own kind, never a skip.
        let result = std::panic::catch_unwind(|| check(case))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        match (result, listed) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => unexpected.push(format!(
                "{label}: listed as unsupported but passes; remove it from KNOWN_UNSUPPORTED"
            )),
            (Err(_), Some(_)) => {}
            (Err(e), None) => unexpected.push(format!("{label}: {e}")),
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected result(s):\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    passed
}

#[test]
fn layer_cases_match_keras() {
    let data = load();
    let passed = run_section(&data, "layer_cases", check_layer_case);
    let total = data["layer_cases"].as_array().unwrap().len();
    let listed = KNOWN_UNSUPPORTED
        .iter()
        .filter(|(s, ..)| *s == "layer_cases")
        .count();
    assert_eq!(passed + listed, total);
    println!("layer cases: {passed} passed, {listed} known unsupported, of {total}");
}

#[test]
fn shape_cases_match_keras() {
    let data = load();
    let passed = run_section(&data, "shape_cases", check_shape_case);
    let total = data["shape_cases"].as_array().unwrap().len();
    let listed = KNOWN_UNSUPPORTED
        .iter()
        .filter(|(s, ..)| *s == "shape_cases")
        .count();
    assert_eq!(passed + listed, total);
    println!("shape cases: {passed} passed, {listed} known unsupported, of {total}");
}

/// The weight names come out even with no input shape (the reader names Keras 3 `vars/N`
/// from them), for every layer case.
#[test]
fn weight_names_without_input_shape() {
    let data = load();
    for (i, case) in data["layer_cases"].as_array().unwrap().iter().enumerate() {
        if KNOWN_UNSUPPORTED
            .iter()
            .any(|(s, idx, ..)| *s == "layer_cases" && *idx == i)
        {
            continue;
        }
        let class = case["layer_class"].as_str().unwrap();
        let config = match case.get("config") {
            Some(c) => c.clone(),
            None => config_from_ctor(&case["ctor_kwargs"]),
        };
        let out = rule_for(class)
            .unwrap()
            .apply(
                LayerCfg {
                    class_name: class,
                    config: &config,
                    dialect: dialect(case["framework"].as_str().unwrap()),
                },
                &[],
            )
            .unwrap_or_else(|e| panic!("layer_cases[{i}] {class}: {e}"));
        let mut ours: Vec<&str> = out.weights.iter().map(|w| w.name.as_str()).collect();
        let mut keras: Vec<&str> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| short_name(w["name"].as_str().unwrap()))
            .collect();
        ours.sort_unstable();
        keras.sort_unstable();
        assert_eq!(ours, keras, "layer_cases[{i}] {class}");
    }
}

/// `kerascope formula` prints Keras's count for every case, given the case's own arguments
/// as `key=value` on the command line (values as JSON) and its input shapes.
#[test]
fn formula_prints_keras_count_for_every_case() {
    let cases = load();
    let mut checked = 0;
    for (index, case) in cases["layer_cases"].as_array().unwrap().iter().enumerate() {
        let class = case["layer_class"].as_str().unwrap();
        if KNOWN_UNSUPPORTED
            .iter()
            .any(|(s, i, _, _)| *s == "layer_cases" && *i == index)
        {
            continue;
        }
        let config = match case.get("config") {
            Some(c) if c.is_object() => c.clone(),
            _ => config_from_ctor(&case["ctor_kwargs"]),
        };
        let mut args: Vec<String> = config
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "input_shape" | "batch_input_shape" | "batch_shape"
                )
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for input in input_shapes(&case["input_shape"]) {
            let dims: Vec<Value> = input[1..].iter().map(|d| json!(d)).collect();
            args.push(format!("input_shape={}", Value::Array(dims)));
        }
        let text = kerascope::report::formula::explain(
            class,
            &args,
            dialect(case["framework"].as_str().unwrap()),
        )
        .unwrap_or_else(|e| panic!("case {index} {class}: {e}"));
        let keras = kerascope::report::thousands(case["expected_count_params"].as_u64().unwrap());
        // The arithmetic line ends in the count (`… = 4,457,472`, or just `12` when there is
        // nothing to add up), possibly followed by the non-trainable part.
        assert!(
            text.lines().any(|l| l.contains(&format!("= {keras}"))
                || l == keras
                || l.starts_with(&format!("{keras} ("))),
            "case {index} {class}: Keras counts {keras}; formula printed\n{text}"
        );
        checked += 1;
    }
    assert!(checked >= 150, "{checked} cases");
}

/// A class whose rule says it never owns weights (`LayerRule::weightless`, which lets a
/// printed summary's row be judged without probing configs) counts 0 parameters wherever Keras
/// built it: in the verified cases and in every layer of the fixtures' Keras truth.
#[test]
fn weightless_classes_count_nothing_in_keras() {
    let is_weightless = |class: &str| rule_for(class).is_some_and(|r| r.weightless(class));
    let mut seen = std::collections::BTreeSet::new();
    for case in load()["layer_cases"].as_array().unwrap() {
        let class = case["layer_class"].as_str().unwrap();
        if is_weightless(class) {
            assert_eq!(case["expected_count_params"], 0, "verified case {class}");
            seen.insert(class.to_string());
        }
    }
    let truth = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/truth");
    for entry in std::fs::read_dir(truth).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        for layer in file["layers"].as_array().into_iter().flatten() {
            let class = layer["class"].as_str().unwrap_or_default();
            if is_weightless(class) {
                assert_eq!(layer["count_params"], 0, "{}: {class}", path.display());
                seen.insert(class.to_string());
            }
        }
    }
    // Pooling, merging, reshaping, dropout and preprocessing classes all met.
    assert!(seen.len() >= 8, "only {seen:?}");
}
