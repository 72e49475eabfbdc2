//! What every rule shares, one concern per module: checked arithmetic, the derivation
//! expression, the computation a rule returns, nested layers (wrappers, RNN cells), tolerant
//! config access, shape helpers and Python literals.
//!
//! Nothing here panics on any JSON value: a missing key takes its Keras default, a wrong type
//! or an overflowing count is a [`RuleError::BadConfig`].

use std::cell::Cell;

use serde_json::Value;

use super::{
    Dialect, Dim, ExpectedWeight, FormulaDrift, LayerCfg, RuleError, RuleOutput, Shape, StoredAlias,
};
use crate::text::thousands;

pub(crate) type R<T> = Result<T, RuleError>;

mod arith;
mod compute;
mod config;
mod expr;
mod nested;
mod pyliteral;
mod shapes;

pub(crate) use arith::*;
pub(crate) use compute::*;
pub use config::*;
pub(crate) use expr::*;
pub use nested::*;
pub(crate) use pyliteral::*;
pub(crate) use shapes::*;

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
