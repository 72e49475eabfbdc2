//! Tolerant config access: a missing key takes its Keras default, a wrong type is an error.

use super::*;

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
    /// The default the rule used in the key's absence, as text, when the rule says.
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

    /// `data_format: channels_first`.
    pub(crate) fn channels_first(&self) -> R<bool> {
        match self.text(&["data_format"])? {
            None => Ok(false),
            Some(format) => match format.to_ascii_lowercase().as_str() {
                "channels_first" | "th" => Ok(true),
                "channels_last" | "tf" => Ok(false),
                other => Err(bad("data_format", format!("unknown value `{other}`"))),
            },
        }
    }

    /// Conv/pooling padding.
    pub(crate) fn padding(&self) -> R<Padding> {
        match self.text(&["padding"])? {
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
