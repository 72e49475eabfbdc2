//! What every rule shares: tolerant config access, checked arithmetic, the derivation
//! expression, shape helpers and the dispatch to nested layers (wrappers, RNN cells).
//!
//! Nothing here panics on any JSON value: a missing key takes its Keras default, a wrong type
//! or an overflowing count is a [`RuleError::BadConfig`].

use std::cell::Cell;

use serde_json::Value;

use super::{Dialect, Dim, ExpectedWeight, LayerCfg, RuleError, RuleOutput, Shape, StoredAlias};
use crate::text::thousands;

pub(crate) type R<T> = Result<T, RuleError>;

// ------------------------------------------------------------------------------------------------
// Errors and checked arithmetic

pub(crate) fn bad(key: &str, problem: impl Into<String>) -> RuleError {
    RuleError::BadConfig {
        key: key.to_string(),
        problem: problem.into(),
    }
}

fn overflow(what: &str) -> RuleError {
    bad(what, "the size overflows 64 bits")
}

/// `a·b`, an error instead of wrapping.
pub(crate) fn mul(a: u64, b: u64, what: &str) -> R<u64> {
    a.checked_mul(b).ok_or_else(|| overflow(what))
}

/// `a+b`, an error instead of wrapping.
pub(crate) fn add(a: u64, b: u64, what: &str) -> R<u64> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}

/// Product of all dims (1 for a scalar); any zero makes it zero without looking further.
pub(crate) fn product(dims: &[u64], what: &str) -> R<u64> {
    if dims.contains(&0) {
        return Ok(0);
    }
    dims.iter().try_fold(1u64, |acc, &d| mul(acc, d, what))
}

// ------------------------------------------------------------------------------------------------
// The derivation expression: rendered for people, evaluated to check it against the weights.

/// A parameter-count formula with the numbers filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    N(u64),
    /// `x²`
    Sq(u64),
    Sum(Vec<Expr>),
    Prod(Vec<Expr>),
    /// The same value, in parentheses when it is a sum: one part of a larger sum.
    Group(Box<Expr>),
}

pub(crate) fn n(x: u64) -> Expr {
    Expr::N(x)
}
pub(crate) fn sq(x: u64) -> Expr {
    Expr::Sq(x)
}
pub(crate) fn sum(terms: Vec<Expr>) -> Expr {
    Expr::Sum(terms)
}
pub(crate) fn prod(factors: Vec<Expr>) -> Expr {
    Expr::Prod(factors)
}
/// The product of a shape's dims, e.g. `3·3·2·4`.
pub(crate) fn dims(shape: &[u64]) -> Expr {
    match shape {
        [single] => n(*single),
        _ if shape.is_empty() => n(1),
        _ => prod(shape.iter().map(|&d| n(d)).collect()),
    }
}

impl Expr {
    /// The value, `None` on overflow.
    pub(crate) fn eval(&self) -> Option<u64> {
        match self {
            Expr::N(x) => Some(*x),
            Expr::Sq(x) => x.checked_mul(*x),
            Expr::Sum(terms) => terms
                .iter()
                .try_fold(0u64, |acc, t| acc.checked_add(t.eval()?)),
            Expr::Prod(factors) => {
                let values: Option<Vec<u64>> = factors.iter().map(Expr::eval).collect();
                let values = values?;
                if values.contains(&0) {
                    return Some(0);
                }
                values.iter().try_fold(1u64, |acc, &v| acc.checked_mul(v))
            }
            Expr::Group(inner) => inner.eval(),
        }
    }

    fn is_atom(&self) -> bool {
        match self {
            Expr::N(_) | Expr::Sq(_) => true,
            Expr::Sum(t) | Expr::Prod(t) => t.len() == 1 && t[0].is_atom(),
            Expr::Group(inner) => inner.is_atom(),
        }
    }

    /// `4·((4096+1)·256 + 256²)`: a sum of plain numbers is written tight, other sums spaced;
    /// a sum inside a product gets parentheses.
    pub(crate) fn render(&self) -> String {
        match self {
            Expr::N(x) => x.to_string(),
            Expr::Sq(x) => format!("{x}²"),
            Expr::Sum(terms) => match terms.len() {
                0 => "0".to_string(),
                1 => terms[0].render(),
                _ => {
                    let sep = if terms.iter().all(Expr::is_atom) {
                        "+"
                    } else {
                        " + "
                    };
                    terms.iter().map(Expr::render).collect::<Vec<_>>().join(sep)
                }
            },
            Expr::Group(inner) => match inner.as_ref() {
                Expr::Sum(t) if t.len() > 1 => format!("({})", inner.render()),
                _ => inner.render(),
            },
            Expr::Prod(factors) => match factors.len() {
                0 => "1".to_string(),
                1 => factors[0].render(),
                _ => factors
                    .iter()
                    .map(|f| match f {
                        Expr::Sum(t) if t.len() > 1 => format!("({})", f.render()),
                        _ => f.render(),
                    })
                    .collect::<Vec<_>>()
                    .join("·"),
            },
        }
    }
}

/// A part of a larger sum, kept visible: `(…) + (…)`.
pub(crate) fn group(e: Expr) -> Expr {
    Expr::Group(Box::new(e))
}

/// `Prod([2, e])` when both halves are equal, else `(a) + (b)` (Bidirectional, ...).
pub(crate) fn twice_or_sum(a: Expr, b: Expr) -> Expr {
    if a == b {
        prod(vec![n(2), a])
    } else {
        sum(vec![group(a), group(b)])
    }
}

// ------------------------------------------------------------------------------------------------
// What a rule computes before it becomes a RuleOutput.

/// A rule's result before the derivation text is made: the weights, the output shapes and the
/// formula (built from the same numbers as the weight shapes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Computed {
    pub weights: Vec<ExpectedWeight>,
    pub outputs: Vec<Shape>,
    /// `None`: use the plain sum of the weight shapes as the formula.
    pub expr: Option<Expr>,
    pub aliases: Vec<StoredAlias>,
}

impl Computed {
    pub(crate) fn new() -> Self {
        Self::default()
    }
    /// Add a weight owned by the layer itself.
    pub(crate) fn w(&mut self, name: &str, shape: Option<Vec<u64>>, trainable: bool) {
        self.wo("", name, shape, trainable);
    }
    /// Add a weight owned by a sub-layer.
    pub(crate) fn wo(&mut self, owner: &str, name: &str, shape: Option<Vec<u64>>, trainable: bool) {
        self.weights.push(ExpectedWeight {
            owner: owner.to_string(),
            name: name.to_string(),
            shape,
            trainable,
        });
    }
    pub(crate) fn all_known(&self) -> bool {
        self.weights.iter().all(|w| w.shape.is_some())
    }
    /// The formula: the rule's own, or the sum of the weight shapes.
    pub(crate) fn formula(&self) -> Expr {
        match &self.expr {
            Some(e) => e.clone(),
            None => sum(self
                .weights
                .iter()
                .map(|w| dims(w.shape.as_deref().unwrap_or(&[])))
                .collect()),
        }
    }
    /// Put `prefix` in front of every owner path (wrappers, RNN cells).
    pub(crate) fn prefix_owners(&mut self, prefix: &str) {
        for w in &mut self.weights {
            w.owner = join_owner(prefix, &w.owner);
        }
        for a in &mut self.aliases {
            a.owner = join_owner(prefix, &a.owner);
            a.of_owner = join_owner(prefix, &a.of_owner);
        }
    }
}

pub(crate) fn join_owner(prefix: &str, owner: &str) -> String {
    match (prefix.is_empty(), owner.is_empty()) {
        (true, _) => owner.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{owner}"),
    }
}

/// The internal side of a rule: the same computation as [`super::LayerRule::apply`], but
/// returning the formula as a tree so that wrappers can combine it.
pub(crate) trait Compute: Sync {
    fn classes(&self) -> &'static [&'static str];
    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed>;
    /// Whether the layer's weights are trainable when the config has no `trainable` key.
    fn trainable_by_default(&self, _class_name: &str) -> bool {
        true
    }
    /// See [`super::LayerRule::weightless`].
    fn weightless(&self, _class_name: &str) -> bool {
        false
    }
}

/// Implement the public [`super::LayerRule`] for a type implementing [`Compute`].
macro_rules! layer_rule {
    ($($t:ty),* $(,)?) => {$(
        impl crate::layers::LayerRule for $t {
            fn classes(&self) -> &'static [&'static str] {
                crate::layers::util::Compute::classes(self)
            }
            fn apply(
                &self,
                layer: crate::layers::LayerCfg<'_>,
                inputs: &[crate::layers::Shape],
            ) -> Result<crate::layers::RuleOutput, crate::layers::RuleError> {
                crate::layers::util::finish(crate::layers::util::run(self, layer, inputs)?)
            }
            fn weightless(&self, class_name: &str) -> bool {
                crate::layers::util::Compute::weightless(self, class_name)
            }
        }
    )*};
}
pub(crate) use layer_rule;

/// Compute, then apply the layer-level `trainable` flag (a frozen layer's weights all count as
/// non-trainable; the total is unchanged).
pub(crate) fn run(rule: &dyn Compute, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
    let mut c = rule.compute(layer, inputs)?;
    let trainable =
        Cfg::new(layer.config).flag(&["trainable"], rule.trainable_by_default(layer.class_name))?;
    if !trainable {
        for w in &mut c.weights {
            w.trainable = false;
        }
    }
    Ok(c)
}

/// Turn a computation into the public output, with the derivation text.
pub(crate) fn finish(c: Computed) -> R<RuleOutput> {
    let derivation = if c.weights.is_empty() {
        Some("0 (no weights)".to_string())
    } else if !c.all_known() {
        None
    } else {
        let mut total = 0u64;
        let mut frozen = 0u64;
        for w in &c.weights {
            let size = product(w.shape.as_deref().unwrap_or(&[]), &w.name)?;
            total = add(total, size, &w.name)?;
            if !w.trainable {
                frozen = add(frozen, size, &w.name)?;
            }
        }
        let formula = c.formula();
        let value = formula.eval();
        debug_assert!(
            value.is_none() || value == Some(total),
            "formula {} = {:?} but the weights hold {}",
            formula.render(),
            value,
            total
        );
        let rendered = formula.render();
        let mut text = if value == Some(total) && rendered != total.to_string() {
            format!("{rendered} = {}", thousands(total))
        } else {
            thousands(total)
        };
        if frozen > 0 {
            text.push_str(&format!(" ({} non-trainable)", thousands(frozen)));
        }
        Some(text)
    };
    Ok(RuleOutput {
        weights: c.weights,
        output_shapes: c.outputs,
        derivation,
        aliases: c.aliases,
    })
}

// ------------------------------------------------------------------------------------------------
// Nested layers

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// How deep wrappers may nest (Bidirectional(TimeDistributed(...)) ...) before the config is
/// refused: deep enough for every real model, shallow enough for any stack.
const MAX_NESTING: u32 = 16;

/// A nested serialized layer (`{"class_name": ..., "config": ...}`, or the same as a JSON or
/// Python-repr string) computed on `inputs`. Returns the class name and the computation.
pub(crate) fn nested(
    value: &Value,
    dialect: Dialect,
    inputs: &[Shape],
    key: &str,
) -> R<(String, Computed)> {
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object)
                .or_else(|| parse_python_literal(s))
                .ok_or_else(|| bad(key, "a string that is not a serialized layer"))?;
            &parsed
        }
        other => other,
    };
    let class = value
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(key, "nested layer without a `class_name`"))?;
    let empty = Value::Object(Default::default());
    let config = value
        .get("config")
        .filter(|c| c.is_object())
        .unwrap_or(&empty);
    let rule = super::compute_for(class)
        .ok_or_else(|| bad(key, format!("nested layer of unknown class `{class}`")))?;
    let depth = DEPTH.with(|d| d.get());
    if depth >= MAX_NESTING {
        return Err(bad(key, "layers nested too deeply"));
    }
    DEPTH.with(|d| d.set(depth + 1));
    let layer = LayerCfg {
        class_name: class,
        config,
        dialect,
    };
    let result = run(rule, layer, inputs);
    DEPTH.with(|d| d.set(depth));
    Ok((class.to_string(), result?))
}

/// Keras 3 snake case of a class name, as used for `.weights.h5` keys (FORMATS §5.1) —
/// Keras' `naming.to_snake_case`: drop non-word characters, `_` before a capital that starts
/// a lower-case run, `_` between a lower-case letter and a capital, lower-case everything.
pub fn snake_case(name: &str) -> String {
    let word: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // Pass 1: (.)([A-Z][a-z]+) → \1_\2, non-overlapping, left to right.
    let mut pass1: Vec<char> = Vec::with_capacity(word.len() + 4);
    let mut i = 0;
    while i < word.len() {
        let starts_run = i + 1 < word.len()
            && word[i + 1].is_ascii_uppercase()
            && word.get(i + 2).is_some_and(|c| c.is_ascii_lowercase());
        if starts_run {
            pass1.push(word[i]);
            pass1.push('_');
            let mut j = i + 1;
            pass1.push(word[j]);
            j += 1;
            while j < word.len() && word[j].is_ascii_lowercase() {
                pass1.push(word[j]);
                j += 1;
            }
            i = j;
        } else {
            pass1.push(word[i]);
            i += 1;
        }
    }
    // Pass 2: ([a-z])([A-Z]) → \1_\2.
    let mut out = String::with_capacity(pass1.len() + 4);
    let mut i = 0;
    while i < pass1.len() {
        out.push(pass1[i]);
        if pass1[i].is_ascii_lowercase() && pass1.get(i + 1).is_some_and(|c| c.is_ascii_uppercase())
        {
            out.push('_');
            out.push(pass1[i + 1]);
            i += 2;
        } else {
            i += 1;
        }
    }
    out.to_lowercase()
}

// ------------------------------------------------------------------------------------------------
// Tolerant config access

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// A non-negative integer: `3`, `3.0`, `[3]`.
pub(crate) fn as_count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(num) => num.as_u64().or_else(|| {
            let f = num.as_f64()?;
            (f >= 0.0 && f.fract() == 0.0 && f < 1.8e19).then_some(f as u64)
        }),
        Value::Array(a) if a.len() == 1 => as_count(&a[0]),
        _ => None,
    }
}

/// A signed integer: `-1`, `2.0`, `[-1]`.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(num) => num.as_i64().or_else(|| {
            let f = num.as_f64()?;
            (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
        }),
        Value::Array(a) if a.len() == 1 => as_int(&a[0]),
        _ => None,
    }
}

/// A config key a rule asked for, and the default it used in its absence (when it said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRead {
    /// Every spelling asked for, the current one first (`units`, `output_dim`).
    pub names: Vec<&'static str>,
    pub default: Option<String>,
}

thread_local! {
    /// Keys read by the rules while [`record_keys`] runs (`formula` checks the keys typed
    /// against it); `None` otherwise, so that a scan pays one branch per read.
    static KEYS_READ: std::cell::RefCell<Option<Vec<KeyRead>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` and returns the config keys the rules read meanwhile, in order, once each.
pub fn record_keys<T>(f: impl FnOnce() -> T) -> (T, Vec<KeyRead>) {
    KEYS_READ.with(|k| *k.borrow_mut() = Some(Vec::new()));
    let out = f();
    let keys = KEYS_READ
        .with(|k| k.borrow_mut().take())
        .unwrap_or_default();
    (out, keys)
}

fn note_key(keys: &[&'static str], default: Option<String>) {
    KEYS_READ.with(|k| {
        if let Some(read) = k.borrow_mut().as_mut() {
            match read.iter_mut().find(|r| r.names.first() == keys.first()) {
                Some(known) => {
                    if known.default.is_none() {
                        known.default = default;
                    }
                }
                None => read.push(KeyRead {
                    names: keys.to_vec(),
                    default,
                }),
            }
        }
    });
}

/// Read access to a layer config that never panics: missing keys and `null` read as absent.
#[derive(Clone, Copy)]
pub(crate) struct Cfg<'a> {
    v: &'a Value,
}

impl<'a> Cfg<'a> {
    pub(crate) fn new(v: &'a Value) -> Self {
        Cfg { v }
    }

    /// The first of `keys` present with a non-null value.
    pub(crate) fn get(&self, keys: &[&'static str]) -> Option<(&'static str, &'a Value)> {
        note_key(keys, None);
        keys.iter()
            .find_map(|&k| self.v.get(k).filter(|v| !v.is_null()).map(|v| (k, v)))
    }

    pub(crate) fn has(&self, keys: &[&'static str]) -> bool {
        self.get(keys).is_some()
    }

    pub(crate) fn opt_count(&self, keys: &[&'static str]) -> R<Option<u64>> {
        match self.get(keys) {
            None => Ok(None),
            Some((k, v)) => as_count(v).map(Some).ok_or_else(|| {
                bad(
                    k,
                    format!("expected a non-negative integer, got {}", short(v)),
                )
            }),
        }
    }

    pub(crate) fn count(&self, keys: &[&'static str]) -> R<u64> {
        self.opt_count(keys)?.ok_or_else(|| bad(keys[0], "missing"))
    }

    pub(crate) fn count_or(&self, keys: &[&'static str], default: u64) -> R<u64> {
        note_key(keys, Some(default.to_string()));
        Ok(self.opt_count(keys)?.unwrap_or(default))
    }

    /// A count that must be at least 1 (units, filters, heads...).
    pub(crate) fn positive(&self, keys: &[&'static str]) -> R<u64> {
        let value = self.count(keys)?;
        if value == 0 {
            return Err(bad(keys[0], "must be at least 1"));
        }
        Ok(value)
    }

    pub(crate) fn positive_or(&self, keys: &[&'static str], default: u64) -> R<u64> {
        note_key(keys, Some(default.to_string()));
        match self.opt_count(keys)? {
            None => Ok(default),
            Some(0) => Err(bad(keys[0], "must be at least 1")),
            Some(v) => Ok(v),
        }
    }

    pub(crate) fn opt_int(&self, keys: &[&'static str]) -> R<Option<i64>> {
        match self.get(keys) {
            None => Ok(None),
            Some((k, v)) => as_int(v)
                .map(Some)
                .ok_or_else(|| bad(k, format!("expected an integer, got {}", short(v)))),
        }
    }

    /// A boolean; `0`/`1` and `"true"`/`"false"` are accepted too.
    pub(crate) fn flag(&self, keys: &[&'static str], default: bool) -> R<bool> {
        note_key(keys, Some(default.to_string()));
        match self.get(keys) {
            None => Ok(default),
            Some((_, Value::Bool(b))) => Ok(*b),
            Some((k, v)) => match (v.as_u64(), v.as_str()) {
                (Some(0), _) => Ok(false),
                (Some(1), _) => Ok(true),
                (_, Some(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
                (_, Some(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
                _ => Err(bad(k, format!("expected true or false, got {}", short(v)))),
            },
        }
    }

    pub(crate) fn text(&self, keys: &[&'static str]) -> R<Option<&'a str>> {
        match self.get(keys) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.as_str())),
            Some((k, v)) => Err(bad(k, format!("expected a string, got {}", short(v)))),
        }
    }

    /// `rank` non-negative integers from an int (repeated) or a list of `rank` (or 1) ints.
    pub(crate) fn tuple(&self, keys: &[&'static str], rank: usize) -> R<Option<Vec<u64>>> {
        let Some((k, v)) = self.get(keys) else {
            return Ok(None);
        };
        let wrong = || {
            bad(
                k,
                format!(
                    "expected an integer or a list of {rank} integers, got {}",
                    short(v)
                ),
            )
        };
        match v {
            Value::Array(items) if items.len() == rank => items
                .iter()
                .map(|i| as_count(i).ok_or_else(wrong))
                .collect::<R<Vec<_>>>()
                .map(Some),
            Value::Array(items) if items.len() == 1 => {
                let x = as_count(&items[0]).ok_or_else(wrong)?;
                Ok(Some(vec![x; rank]))
            }
            _ => {
                let x = as_count(v).ok_or_else(wrong)?;
                Ok(Some(vec![x; rank]))
            }
        }
    }

    /// Integers from an int or a list of ints (axes).
    pub(crate) fn int_list(&self, keys: &[&'static str]) -> R<Option<Vec<i64>>> {
        let Some((k, v)) = self.get(keys) else {
            return Ok(None);
        };
        let wrong = || {
            bad(
                k,
                format!(
                    "expected an integer or a list of integers, got {}",
                    short(v)
                ),
            )
        };
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| as_int(i).ok_or_else(wrong))
                .collect::<R<Vec<_>>>()
                .map(Some),
            _ => as_int(v).map(|x| Some(vec![x])).ok_or_else(wrong),
        }
    }

    /// `data_format: channels_first` (or the Keras 1 `dim_ordering: th`).
    pub(crate) fn channels_first(&self) -> R<bool> {
        if let Some(format) = self.text(&["data_format"])? {
            return match format.to_ascii_lowercase().as_str() {
                "channels_first" | "th" => Ok(true),
                "channels_last" | "tf" => Ok(false),
                other => Err(bad("data_format", format!("unknown value `{other}`"))),
            };
        }
        Ok(matches!(self.text(&["dim_ordering"])?, Some("th")))
    }

    /// Conv/pooling padding (`padding`, Keras 1 `border_mode`).
    pub(crate) fn padding(&self) -> R<Padding> {
        match self.text(&["padding", "border_mode"])? {
            None => Ok(Padding::Valid),
            Some(p) => match p.to_ascii_lowercase().as_str() {
                "valid" => Ok(Padding::Valid),
                "same" => Ok(Padding::Same),
                "causal" => Ok(Padding::Causal),
                "full" => Ok(Padding::Full),
                other => Err(bad("padding", format!("unknown padding `{other}`"))),
            },
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Shapes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Padding {
    Valid,
    Same,
    Causal,
    Full,
}

/// The last axis of the first input.
pub(crate) fn last_dim(inputs: &[Shape]) -> Dim {
    inputs.first().and_then(|s| s.last().copied().flatten())
}

/// A Keras axis (negative from the end) as an index into a shape of `rank` axes.
pub(crate) fn norm_axis(axis: i64, rank: usize) -> Option<usize> {
    let rank = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis + rank } else { axis };
    (0..rank).contains(&a).then_some(a as usize)
}

/// The spatial output size of a convolution or pooling window (FORMULAS §4).
pub(crate) fn conv_out(n: Dim, k: u64, stride: u64, dilation: u64, pad: Padding) -> R<Dim> {
    let Some(n) = n else { return Ok(None) };
    if stride == 0 {
        return Err(bad("strides", "must be at least 1"));
    }
    let k_eff = add(
        mul(k.saturating_sub(1), dilation.max(1), "kernel_size")?,
        1,
        "kernel_size",
    )?;
    let len = match pad {
        Padding::Valid => n.saturating_add(1).saturating_sub(k_eff),
        Padding::Same | Padding::Causal => n,
        Padding::Full => add(n, k_eff - 1, "input length")?,
    };
    Ok(Some(len.div_ceil(stride)))
}

/// The spatial output size of a transposed convolution (FORMULAS §4).
pub(crate) fn deconv_out(
    n: Dim,
    k: u64,
    stride: u64,
    dilation: u64,
    pad: Padding,
    output_padding: Option<u64>,
) -> R<Dim> {
    let Some(n) = n else { return Ok(None) };
    if stride == 0 {
        return Err(bad("strides", "must be at least 1"));
    }
    let k_eff = add(
        mul(k.saturating_sub(1), dilation.max(1), "kernel_size")?,
        1,
        "kernel_size",
    )?;
    let what = "output length";
    match output_padding {
        None => {
            let ns = mul(n, stride, what)?;
            Ok(Some(match pad {
                Padding::Valid => add(ns, k_eff.saturating_sub(stride), what)?,
                Padding::Same | Padding::Causal => ns,
                Padding::Full => ns.saturating_sub(stride.saturating_add(k_eff) - 2),
            }))
        }
        Some(p) => {
            let pad_amount = match pad {
                Padding::Valid => 0,
                Padding::Same | Padding::Causal => k_eff / 2,
                Padding::Full => k_eff - 1,
            };
            let base = add(mul(n.saturating_sub(1), stride, what)?, k_eff, what)?;
            Ok(Some(
                add(base, p, what)?.saturating_sub(mul(2, pad_amount, what)?),
            ))
        }
    }
}

/// A known shape (every dim known), as weight dims.
pub(crate) fn known(dims: &[Dim]) -> Option<Vec<u64>> {
    dims.iter().copied().collect()
}

// ------------------------------------------------------------------------------------------------
// Python literals: tf_keras 2.21 writes a custom Bidirectional `backward_layer` as the repr of a
// Python dict (`{'class_name': 'SimpleRNN', 'config': DictWrapper({...})}`).

/// Parse a Python literal (dicts, lists, tuples, strings, numbers, `True`/`False`/`None`, and
/// wrapper calls like `DictWrapper({...})`, read as their single argument) into JSON.
pub(crate) fn parse_python_literal(s: &str) -> Option<Value> {
    let mut p = PyParser {
        s: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u32,
}

impl PyParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let v = self.value_inner();
        self.depth -= 1;
        v
    }
    fn value_inner(&mut self) -> Option<Value> {
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut map = serde_json::Map::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    let key = match self.value()? {
                        Value::String(k) => k,
                        other => other.to_string(),
                    };
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value()?;
                    map.insert(key, v);
                    if !self.eat(b',') {
                        if !self.eat(b'}') {
                            return None;
                        }
                        break;
                    }
                }
                Some(Value::Object(map))
            }
            open @ (b'[' | b'(') => {
                self.i += 1;
                let close = if open == b'[' { b']' } else { b')' };
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value()?);
                    if !self.eat(b',') {
                        if !self.eat(close) {
                            return None;
                        }
                        break;
                    }
                }
                Some(Value::Array(items))
            }
            q @ (b'\'' | b'"') => {
                self.i += 1;
                let mut out = Vec::new();
                while self.i < self.s.len() && self.s[self.i] != q {
                    if self.s[self.i] == b'\\' && self.i + 1 < self.s.len() {
                        self.i += 1;
                    }
                    out.push(self.s[self.i]);
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return None;
                }
                self.i += 1;
                Some(Value::String(String::from_utf8_lossy(&out).into_owned()))
            }
            c if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                if let Ok(i) = text.parse::<i64>() {
                    Some(Value::from(i))
                } else {
                    text.parse::<f64>()
                        .ok()
                        .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric()
                        || matches!(self.s[self.i], b'_' | b'.'))
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                if self.peek() == Some(b'(') {
                    // A wrapper call: `DictWrapper({...})`, `ListWrapper([...])`.
                    self.i += 1;
                    if self.eat(b')') {
                        return Some(Value::Null);
                    }
                    let inner = self.value()?;
                    if !self.eat(b')') {
                        return None;
                    }
                    return Some(inner);
                }
                Some(match word {
                    "True" | "true" => Value::Bool(true),
                    "False" | "false" => Value::Bool(false),
                    "None" | "null" => Value::Null,
                    other => Value::String(other.to_string()),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(4_457_472), "4,457,472");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn formulas_render_like_the_brief() {
        // LSTM(256) on 4096 inputs (FORMULAS §2.9).
        let lstm = prod(vec![
            n(4),
            sum(vec![prod(vec![sum(vec![n(4096), n(1)]), n(256)]), sq(256)]),
        ]);
        assert_eq!(lstm.render(), "4·((4096+1)·256 + 256²)");
        assert_eq!(lstm.eval(), Some(4_457_472));
        let dense = prod(vec![sum(vec![n(784), n(1)]), n(128)]);
        assert_eq!(dense.render(), "(784+1)·128");
        assert_eq!(dense.eval(), Some(100_480));
        assert_eq!(prod(vec![n(u64::MAX), n(2)]).eval(), None);
        assert_eq!(prod(vec![n(u64::MAX), n(2), n(0)]).eval(), Some(0));
    }

    #[test]
    fn snake_case_matches_formats_examples() {
        // FORMATS §5.1 examples.
        for (class, key) in [
            ("Dense", "dense"),
            ("Conv2D", "conv2d"),
            ("Conv2DTranspose", "conv2d_transpose"),
            ("BatchNormalization", "batch_normalization"),
            ("LSTM", "lstm"),
            ("PReLU", "p_re_lu"),
            ("ReLU", "re_lu"),
            ("ConvLSTM2D", "conv_lstm2d"),
            ("SimpleRNN", "simple_rnn"),
            ("GlobalAveragePooling1D", "global_average_pooling1d"),
            ("MultiHeadAttention", "multi_head_attention"),
            ("UpSampling2D", "up_sampling2d"),
            ("CuDNNLSTM", "cu_dnnlstm"),
            ("LSTMCell", "lstm_cell"),
            ("GRUCell", "gru_cell"),
            ("InputLayer", "input_layer"),
            ("SimpleRNNCell", "simple_rnn_cell"),
        ] {
            assert_eq!(snake_case(class), key, "{class}");
        }
    }

    #[test]
    fn tolerant_config_reads() {
        let v = json!({"a": [3], "b": 3.0, "c": -1, "d": "x", "e": null, "f": [2, 3], "g": 1e300});
        let c = Cfg::new(&v);
        assert_eq!(c.count(&["a"]).unwrap(), 3);
        assert_eq!(c.count(&["b"]).unwrap(), 3);
        assert!(c.count(&["c"]).is_err());
        assert!(c.count(&["d"]).is_err());
        assert!(c.count(&["e"]).is_err());
        assert_eq!(c.count_or(&["e"], 7).unwrap(), 7);
        assert_eq!(c.tuple(&["f"], 2).unwrap(), Some(vec![2, 3]));
        assert_eq!(c.tuple(&["a"], 2).unwrap(), Some(vec![3, 3]));
        assert!(c.tuple(&["f"], 3).is_err());
        assert!(c.count(&["g"]).is_err());
        // Not an object at all: every key is absent.
        let s = json!("nonsense");
        assert_eq!(Cfg::new(&s).count_or(&["units"], 5).unwrap(), 5);
    }

    #[test]
    fn conv_and_deconv_lengths() {
        // FORMULAS §4 examples.
        assert_eq!(
            conv_out(Some(20), 5, 3, 1, Padding::Valid).unwrap(),
            Some(6)
        );
        assert_eq!(conv_out(Some(20), 5, 3, 1, Padding::Same).unwrap(), Some(7));
        assert_eq!(conv_out(Some(15), 3, 2, 1, Padding::Same).unwrap(), Some(8));
        assert_eq!(conv_out(Some(2), 5, 1, 1, Padding::Valid).unwrap(), Some(0));
        assert!(conv_out(Some(2), 5, 0, 1, Padding::Valid).is_err());
        assert!(conv_out(Some(2), u64::MAX, 1, 3, Padding::Valid).is_err());
        assert_eq!(
            deconv_out(Some(7), 3, 2, 1, Padding::Valid, None).unwrap(),
            Some(15)
        );
        assert_eq!(
            deconv_out(Some(7), 3, 2, 1, Padding::Same, None).unwrap(),
            Some(14)
        );
        assert_eq!(
            deconv_out(Some(7), 4, 2, 1, Padding::Same, Some(1)).unwrap(),
            Some(13)
        );
        assert_eq!(
            deconv_out(Some(8), 4, 2, 1, Padding::Same, Some(1)).unwrap(),
            Some(15)
        );
    }

    #[test]
    fn python_repr_of_a_layer() {
        // The shape of what tf_keras 2.21 writes for a custom Bidirectional backward layer.
        let s = "{'module': 'keras.layers', 'class_name': 'SimpleRNN', 'config': DictWrapper({'name': 'simple_rnn_1', 'trainable': True, 'units': 8, 'use_bias': True, 'x': None, 'l': ListWrapper([1, 2.5, -3]), 't': (1,)}), 'registered_name': None}";
        let v = parse_python_literal(s).unwrap();
        assert_eq!(v["class_name"], "SimpleRNN");
        assert_eq!(v["config"]["units"], 8);
        assert_eq!(v["config"]["trainable"], true);
        assert_eq!(v["config"]["x"], Value::Null);
        assert_eq!(v["config"]["l"], json!([1, 2.5, -3]));
        assert_eq!(v["config"]["t"], json!([1]));
        assert!(parse_python_literal("{'a': ").is_none());
        assert!(parse_python_literal(&"[".repeat(10_000)).is_none());
    }
}
