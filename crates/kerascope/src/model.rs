//! The types every stage shares: tensor shapes with unknown dimensions, and which Keras wrote
//! a file. Nothing here depends on any other module.

/// One dimension: `None` when unknown (the batch axis, a variable sequence length, or a shape
/// hidden behind a layer whose output cannot be derived).
pub type Dim = Option<u64>;

/// A tensor shape including the batch axis, e.g. `[None, 32, 32, 3]`.
pub type Shape = Vec<Dim>;

/// Which Keras wrote the config. Rules only ask this where Keras itself stores different
/// tensors (Keras 1 split RNN gates, Keras 1 `th` kernel layouts, GRU `reset_after` default...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dialect {
    /// Keras 0.x / 1.x (`output_dim`, `nb_filter`, `border_mode`, ...).
    Keras1,
    /// Standalone Keras 2.0 – 2.3.
    Keras2,
    /// tf.keras 2.x and tf_keras.
    TfKeras,
    /// Keras 3.
    Keras3,
}

impl Dialect {
    /// The dialect a stored `keras_version` string implies (FORMATS.md §0): missing → Keras 1,
    /// `-tf` suffix or ≥ 2.4 → tf.keras.
    pub fn from_keras_version(version: Option<&str>) -> Dialect {
        let Some(version) = version else {
            return Dialect::Keras1;
        };
        let mut parts = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1);
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        match major {
            0 | 1 => Dialect::Keras1,
            2 if version.contains("-tf") || minor >= 4 => Dialect::TfKeras,
            2 => Dialect::Keras2,
            _ => Dialect::Keras3,
        }
    }
}
