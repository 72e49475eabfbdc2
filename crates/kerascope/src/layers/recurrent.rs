//! Recurrent layers (FORMULAS §2.9–2.11, §2.14, §3): SimpleRNN, LSTM, GRU (`reset_after`
//! absent → false), their cells, CuDNNLSTM/CuDNNGRU, tf.keras PeepholeLSTMCell, Keras 1 split
//! gate tensors, ConvLSTM1D/2D/3D, and `RNN` around a cell or a `StackedRNNCells`.
//!
//! Owners (FORMATS §5.3): an RNN layer's weights belong to `cell` (Keras 2+; Keras 1 and the
//! CuDNN classes own them directly); `RNN` with a list of cells puts cell *i* under
//! `cell/cells/<snake class>` (`lstm_cell`, `gru_cell`, a repeated class gets `_1`, `_2`, …).

use serde_json::{Value, json};

use super::probe::{
    kernel, last, merge, rnn_variants, sequence_probe, settings_not_shown, spatial_rank,
    width_not_shown, with_channels,
};
use super::util::{
    Cfg, Compute, Computed, Expr, R, bad, conv_out, group, layer_rule, mul, n, nested, prod,
    snake_case, sq, sum,
};
use super::{Dialect, Dim, LayerCfg, PrintedLayer, Probe, Shape};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Lstm,
    Gru,
    CudnnLstm,
    CudnnGru,
    Peephole,
}

impl Kind {
    fn of(class: &str) -> Option<Kind> {
        Some(match class.trim_end_matches("Cell") {
            "SimpleRNN" => Kind::Simple,
            "LSTM" => Kind::Lstm,
            "GRU" => Kind::Gru,
            "CuDNNLSTM" => Kind::CudnnLstm,
            "CuDNNGRU" => Kind::CudnnGru,
            "PeepholeLSTM" => Kind::Peephole,
            _ => return None,
        })
    }
    fn gates(self) -> u64 {
        match self {
            Kind::Simple => 1,
            Kind::Gru | Kind::CudnnGru => 3,
            Kind::Lstm | Kind::CudnnLstm | Kind::Peephole => 4,
        }
    }
    /// Number of state tensors (`return_state` outputs beyond the output itself).
    fn states(self) -> usize {
        match self {
            Kind::Simple | Kind::Gru | Kind::CudnnGru => 1,
            Kind::Lstm | Kind::CudnnLstm | Kind::Peephole => 2,
        }
    }
}

/// The output shapes of a recurrent layer (FORMULAS §4): `return_sequences` keeps the time
/// axis, `return_state` appends `states` tensors shaped like one step's output.
fn rnn_outputs(c: &Cfg, input: Option<&Shape>, step: Vec<Dim>, states: usize) -> R<Vec<Shape>> {
    let Some(input) = input.filter(|s| s.len() >= 3) else {
        return Ok(vec![]);
    };
    let time_major = c.flag(&["time_major"], false)?;
    let (batch, time) = if time_major {
        (input[1], input[0])
    } else {
        (input[0], input[1])
    };
    let one_step: Shape = std::iter::once(batch).chain(step.iter().copied()).collect();
    let output = if c.flag(&["return_sequences"], false)? {
        if time_major {
            [time, batch]
                .into_iter()
                .chain(step.iter().copied())
                .collect()
        } else {
            [batch, time]
                .into_iter()
                .chain(step.iter().copied())
                .collect()
        }
    } else {
        one_step.clone()
    };
    let mut outputs = vec![output];
    if c.flag(&["return_state"], false)? {
        outputs.extend(std::iter::repeat_n(one_step, states));
    }
    Ok(outputs)
}

// ------------------------------------------------------------------------------------------------
// SimpleRNN, LSTM, GRU and their cells, CuDNN, Peephole

pub struct RnnRule;
layer_rule!(RnnRule);

impl Compute for RnnRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        if !matches!(
            class,
            "LSTM" | "GRU" | "SimpleRNN" | "CuDNNLSTM" | "CuDNNGRU"
        ) {
            return Err(settings_not_shown(class));
        }
        let units = last(row.output).ok_or_else(|| width_not_shown(row.output))?;
        Ok(rnn_variants(class)
            .into_iter()
            .map(|(label_extra, extra)| {
                let mut config = json!({"units": units});
                merge(&mut config, &extra);
                let label = format!("{class}({units}{label_extra})");
                sequence_probe(class, label, config, row.input)
            })
            .collect())
    }

    fn classes(&self) -> &'static [&'static str] {
        &[
            "SimpleRNN",
            "LSTM",
            "GRU",
            "SimpleRNNCell",
            "LSTMCell",
            "GRUCell",
            "PeepholeLSTMCell",
            "CuDNNLSTM",
            "CuDNNGRU",
        ]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let class = layer.class_name;
        let kind = Kind::of(class).ok_or_else(|| bad("class_name", class))?;
        let is_cell = class.ends_with("Cell");
        let c = Cfg::new(layer.config);
        let units = c.positive(&["units"])?;
        let keras1 = layer.dialect == Dialect::Keras1;
        let cudnn = matches!(kind, Kind::CudnnLstm | Kind::CudnnGru);
        let use_bias = cudnn || c.flag(&["use_bias"], true)?;
        let d = match inputs.first().and_then(|s| s.last().copied().flatten()) {
            Some(d) => Some(d),
            // The width the layer was built on, as a Keras 1 config records it.
            None => c.opt_count(&["input_dim"])?,
        };
        let owner = if keras1 || cudnn || is_cell {
            ""
        } else {
            "cell"
        };
        let g = kind.gates();
        let gu = mul(g, units, "units")?;
        let mut out = Computed::new();

        if keras1 && matches!(kind, Kind::Lstm | Kind::Gru) && !keras1_fused(&c)? {
            // FORMULAS §3: one W, U, b per gate; LSTM gate order i, c, f, o.
            let gates: &[&str] = if kind == Kind::Lstm {
                &["i", "c", "f", "o"]
            } else {
                &["z", "r", "h"]
            };
            for gate in gates {
                out.wo(owner, &format!("W_{gate}"), d.map(|d| vec![d, units]), true);
                out.wo(owner, &format!("U_{gate}"), Some(vec![units, units]), true);
                if use_bias {
                    out.wo(owner, &format!("b_{gate}"), Some(vec![units]), true);
                }
            }
        } else {
            let (k, rk, b) = if keras1 {
                ("W", "U", "b")
            } else {
                ("kernel", "recurrent_kernel", "bias")
            };
            let reset_after = kind == Kind::Gru && !keras1 && c.flag(&["reset_after"], false)?;
            out.wo(owner, k, d.map(|d| vec![d, gu]), true);
            out.wo(owner, rk, Some(vec![units, gu]), true);
            if use_bias {
                let bias = match kind {
                    Kind::CudnnLstm | Kind::CudnnGru => vec![mul(2, gu, "units")?],
                    Kind::Gru if reset_after => vec![2, gu],
                    _ => vec![gu],
                };
                out.wo(owner, b, Some(bias), true);
            }
            if kind == Kind::Peephole {
                for gate in ["input", "forget", "output"] {
                    out.wo(
                        owner,
                        &format!("{gate}_gate_peephole_weights"),
                        Some(vec![units]),
                        true,
                    );
                }
            }
            if let Some(d) = d {
                out.expr = Some(rnn_expr(kind, d, units, use_bias, reset_after));
            }
        }
        if out.expr.is_none()
            && let Some(d) = d
        {
            out.expr = Some(rnn_expr(kind, d, units, use_bias, false));
        }
        if !is_cell {
            out.outputs = rnn_outputs(&c, inputs.first(), vec![Some(units)], kind.states())?;
        }
        Ok(out)
    }
}

/// Keras 1 `consume_less: "gpu"` (`implementation: 2` once translated) stores W, U, b whole.
fn keras1_fused(c: &Cfg) -> R<bool> {
    Ok(c.opt_count(&["implementation"]).ok().flatten() == Some(2))
}

/// `g·((d+1)·u + u²)`, with the GRU `reset_after` and CuDNN double bias `g·(d·u + u² + 2·u)`.
fn rnn_expr(kind: Kind, d: u64, u: u64, use_bias: bool, reset_after: bool) -> Expr {
    // CuDNN layers always carry two biases; a GRU with reset_after only when it has biases.
    let double_bias = (reset_after && use_bias) || matches!(kind, Kind::CudnnLstm | Kind::CudnnGru);
    let inner = if double_bias {
        sum(vec![prod(vec![n(d), n(u)]), sq(u), prod(vec![n(2), n(u)])])
    } else if use_bias {
        sum(vec![prod(vec![sum(vec![n(d), n(1)]), n(u)]), sq(u)])
    } else {
        sum(vec![prod(vec![n(d), n(u)]), sq(u)])
    };
    let gates = kind.gates();
    let main = if gates == 1 {
        inner
    } else {
        prod(vec![n(gates), inner])
    };
    if kind == Kind::Peephole {
        sum(vec![main, prod(vec![n(3), n(u)])])
    } else {
        main
    }
}

// ------------------------------------------------------------------------------------------------
// ConvLSTM1D/2D/3D

pub struct ConvLstmRule;
layer_rule!(ConvLstmRule);

impl Compute for ConvLstmRule {
    fn probes(&self, row: &PrintedLayer<'_>) -> Result<Vec<Probe>, String> {
        let class = row.class_name;
        let rank = spatial_rank(class).ok_or("the rank is not in the class name")?;
        let filters = last(row.output).ok_or("the output shape does not give the filters")?;
        let channels = row
            .input
            .filter(|i| i.len() == rank + 3)
            .and_then(last)
            .ok_or("the input's channels are not shown")?;
        Ok([true, false]
            .into_iter()
            .map(|bias| {
                let label = format!(
                    "{class}({filters}{})",
                    if bias { "" } else { ", use_bias=False" }
                );
                Probe::solving(class, label, "a kernel of", move |x| {
                    let config = json!({
                        "filters": filters, "kernel_size": kernel(rank, x), "padding": "same",
                        "use_bias": bias, "return_sequences": true,
                    });
                    (config, with_channels(rank + 3, rank + 2, channels))
                })
            })
            .collect())
    }

    fn classes(&self) -> &'static [&'static str] {
        &["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let class = layer.class_name;
        let rank = if class.ends_with("3D") {
            3
        } else if class.ends_with("2D") {
            2
        } else {
            1
        };
        let c = Cfg::new(layer.config);
        let f = c.positive(&["filters"])?;
        let k = c
            .tuple(&["kernel_size"], rank)?
            .ok_or_else(|| bad("kernel_size", "missing"))?;
        let strides = c
            .tuple(&["strides"], rank)?
            .unwrap_or_else(|| vec![1; rank]);
        let dilation = c
            .tuple(&["dilation_rate"], rank)?
            .unwrap_or_else(|| vec![1; rank]);
        let padding = c.padding()?;
        let cf = c.channels_first()?;
        let use_bias = c.flag(&["use_bias"], true)?;
        let keras1 = layer.dialect == Dialect::Keras1;

        let input = inputs.first().filter(|s| s.len() == rank + 3);
        let (c_in, spatial): (Dim, Vec<Dim>) = match input {
            Some(s) if cf => (s[2], s[3..].to_vec()),
            Some(s) => (s[rank + 2], s[2..rank + 2].to_vec()),
            None => (None, vec![None; rank]),
        };
        let f4 = mul(4, f, "filters")?;
        let kk = |tail: &[u64]| -> Vec<u64> { k.iter().chain(tail).copied().collect() };
        let mut out = Computed::new();
        if keras1 {
            // FORMULAS §2.11: 12 tensors, `tf` (k…, C_in, f) / `th` (f, C_in, k…).
            for gate in ["i", "c", "f", "o"] {
                let w = c_in.map(|ci| {
                    if cf {
                        [f, ci].iter().chain(&k).copied().collect()
                    } else {
                        kk(&[ci, f])
                    }
                });
                let u = if cf {
                    [f, f].iter().chain(&k).copied().collect()
                } else {
                    kk(&[f, f])
                };
                out.w(&format!("W_{gate}"), w, true);
                out.w(&format!("U_{gate}"), Some(u), true);
                if use_bias {
                    out.w(&format!("b_{gate}"), Some(vec![f]), true);
                }
            }
        } else {
            out.wo("cell", "kernel", c_in.map(|ci| kk(&[ci, f4])), true);
            out.wo("cell", "recurrent_kernel", Some(kk(&[f, f4])), true);
            if use_bias {
                out.wo("cell", "bias", Some(vec![f4]), true);
            }
        }
        if let Some(ci) = c_in {
            let kx =
                |tail: Vec<Expr>| -> Expr { prod(k.iter().map(|&x| n(x)).chain(tail).collect()) };
            let mut terms = vec![kx(vec![n(ci), n(f)]), kx(vec![sq(f)])];
            if use_bias {
                terms.push(n(f));
            }
            out.expr = Some(prod(vec![n(4), sum(terms)]));
        }
        if let Some(s) = input {
            let step_spatial = (0..rank)
                .map(|i| conv_out(spatial[i], k[i], strides[i], dilation[i], padding))
                .collect::<R<Vec<_>>>()?;
            let step: Vec<Dim> = if cf {
                std::iter::once(Some(f)).chain(step_spatial).collect()
            } else {
                step_spatial.into_iter().chain([Some(f)]).collect()
            };
            out.outputs = rnn_outputs(&c, Some(s), step, 2)?;
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------------
// RNN(cell), RNN([cells]) / StackedRNNCells

pub struct GenericRnnRule;
layer_rule!(GenericRnnRule);

/// A cell's output size and number of states, from its serialized config.
fn cell_info(cell: &Value) -> (Option<u64>, usize) {
    let class = cell.get("class_name").and_then(Value::as_str).unwrap_or("");
    let units = cell
        .get("config")
        .and_then(|c| c.get("units"))
        .and_then(super::util::as_count);
    let states = Kind::of(class).map_or(1, Kind::states);
    (units, states)
}

/// The cells of a `cell` config: one serialized cell, a `StackedRNNCells`, or a plain list.
fn cells_of(cell: &Value) -> Option<Vec<&Value>> {
    if let Value::Array(items) = cell {
        return Some(items.iter().collect());
    }
    if cell.get("class_name").and_then(Value::as_str) == Some("StackedRNNCells") {
        return match cell.get("config").and_then(|c| c.get("cells")) {
            Some(Value::Array(items)) => Some(items.iter().collect()),
            _ => None,
        };
    }
    None
}

impl Compute for GenericRnnRule {
    fn classes(&self) -> &'static [&'static str] {
        &["RNN", "StackedRNNCells"]
    }

    fn compute(&self, layer: LayerCfg<'_>, inputs: &[Shape]) -> R<Computed> {
        let c = Cfg::new(layer.config);
        let input = inputs.first().filter(|s| !s.is_empty());
        let batch = input.and_then(|s| s.first().copied().flatten());
        let d: Dim = input.and_then(|s| s.last().copied().flatten());
        let stacked_self = layer.class_name == "StackedRNNCells";
        let (cells, stacked): (Vec<&Value>, bool) = if stacked_self {
            match layer.config.get("cells") {
                Some(Value::Array(items)) => (items.iter().collect(), true),
                _ => return Err(bad("cells", "missing")),
            }
        } else {
            let (_, cell) = c.get(&["cell"]).ok_or_else(|| bad("cell", "missing"))?;
            match cells_of(cell) {
                Some(list) => (list, true),
                None => (vec![cell], false),
            }
        };
        if cells.is_empty() {
            return Err(bad("cell", "no cells"));
        }
        let mut out = Computed::new();
        let mut exprs = Vec::new();
        let mut used: Vec<String> = Vec::new();
        let mut width = d;
        let mut states = 0usize;
        for cell in &cells {
            let cell_input: Vec<Shape> = vec![vec![batch, width]];
            let (class, mut computed) = nested(cell, layer.dialect, &cell_input, "cell")?;
            let prefix = if stacked {
                let base = snake_case(&class);
                let mut key = base.clone();
                let mut i = 0;
                while used.contains(&key) {
                    i += 1;
                    key = format!("{base}_{i}");
                }
                used.push(key.clone());
                let owner = format!("cells/{key}");
                if stacked_self {
                    owner
                } else {
                    format!("cell/{owner}")
                }
            } else {
                "cell".to_string()
            };
            computed.prefix_owners(&prefix);
            if computed.all_known() {
                exprs.push(group(computed.formula()));
            }
            out.weights.append(&mut computed.weights);
            let (units, n_states) = cell_info(cell);
            width = units;
            states += n_states;
        }
        if out.all_known() && exprs.len() == cells.len() {
            out.expr = Some(if exprs.len() == 1 {
                exprs.remove(0)
            } else {
                sum(exprs)
            });
        }
        if !stacked_self {
            out.outputs = rnn_outputs(&c, input, vec![width], states)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{apply, total};
    use crate::layers::{LayerRule, RuleOutput};
    use serde_json::json;

    fn run(
        rule: &dyn LayerRule,
        class: &str,
        dialect: Dialect,
        config: Value,
        input: Shape,
    ) -> RuleOutput {
        apply(rule, dialect, class, &config, &[input])
    }

    fn seq(t: u64, d: u64) -> Shape {
        vec![None, Some(t), Some(d)]
    }

    #[test]
    fn lstm_worked_example() {
        // FORMULAS §2.9 / the brief: LSTM(256) on 4096 → 4,457,472.
        let o = run(
            &RnnRule,
            "LSTM",
            Dialect::Keras3,
            json!({"units": 256}),
            seq(10, 4096),
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("4·((4096+1)·256 + 256²) = 4,457,472")
        );
        assert!(o.weights.iter().all(|w| w.owner == "cell"));
    }

    #[test]
    fn gru_without_bias_says_no_bias_whatever_reset_after_says() {
        // Found by `verify`: the arithmetic added a bias term that use_bias=false removes.
        let rule = super::super::rule_for("GRU").unwrap();
        let config = json!({"units": 5, "use_bias": false, "reset_after": true});
        let cfg = LayerCfg {
            class_name: "GRU",
            config: &config,
            dialect: Dialect::Keras3,
        };
        let out = rule.apply(cfg, &[vec![None, Some(10), Some(6)]]).unwrap();
        let total: u64 = out
            .weights
            .iter()
            .map(|w| w.shape.as_ref().unwrap().iter().product::<u64>())
            .sum();
        let derivation = out.derivation.unwrap();
        assert!(
            derivation.ends_with(&format!("= {total}")),
            "{derivation} vs {total}"
        );
        assert!(!derivation.contains("2·5"), "{derivation}");
    }

    #[test]
    fn gru_reset_after_absent_is_false() {
        // FORMULAS §2.9: GRU(16) on d=8 → 1,248 (reset_after true) vs 1,200 (false/absent).
        let o = run(
            &RnnRule,
            "GRU",
            Dialect::Keras2,
            json!({"units": 16}),
            seq(10, 8),
        );
        assert_eq!(total(&o), 1200);
        let o = run(
            &RnnRule,
            "GRU",
            Dialect::TfKeras,
            json!({"units": 16, "reset_after": true}),
            seq(10, 8),
        );
        assert_eq!(total(&o), 1248);
        assert_eq!(o.weights[2].shape, Some(vec![2, 48]));
        assert_eq!(
            o.derivation.as_deref(),
            Some("3·(8·16 + 16² + 2·16) = 1,248")
        );
    }

    #[test]
    fn cudnn_double_bias() {
        // FORMULAS §2.10: CuDNNLSTM(8) on 5 → 480; CuDNNGRU(8) → 360.
        let o = run(
            &RnnRule,
            "CuDNNLSTM",
            Dialect::Keras2,
            json!({"units": 8}),
            seq(10, 5),
        );
        assert_eq!(total(&o), 480);
        assert_eq!(o.weights[2].shape, Some(vec![64]));
        let o = run(
            &RnnRule,
            "CuDNNGRU",
            Dialect::Keras2,
            json!({"units": 8}),
            seq(10, 5),
        );
        assert_eq!(total(&o), 360);
    }

    #[test]
    fn keras1_split_gates() {
        // FORMULAS §3: LSTM(50) on (None, 1, 1) stores 12 tensors, 10,400 in all.
        let o = run(
            &RnnRule,
            "LSTM",
            Dialect::Keras1,
            json!({"units": 50}),
            seq(1, 1),
        );
        let names: Vec<_> = o.weights.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o"
            ]
        );
        assert_eq!(o.weights[0].shape, Some(vec![1, 50]));
        assert_eq!(total(&o), 10_400);
        let o = run(
            &RnnRule,
            "LSTM",
            Dialect::Keras1,
            json!({"units": 50, "implementation": 2}),
            seq(1, 1),
        );
        assert_eq!(o.weights.len(), 3);
        assert_eq!(o.weights[0].name, "W");
        assert_eq!(o.weights[0].shape, Some(vec![1, 200]));
        let o = run(
            &RnnRule,
            "GRU",
            Dialect::Keras1,
            json!({"output_dim": 4, "consume_less": "mem"}),
            seq(3, 2),
        );
        assert_eq!(o.weights.len(), 9);
        assert_eq!(o.weights[8].name, "b_h");
        assert_eq!(total(&o), 3 * (2 * 4 + 16 + 4));
    }

    #[test]
    fn return_state_and_sequences() {
        let o = run(
            &RnnRule,
            "LSTM",
            Dialect::Keras3,
            json!({"units": 5, "return_sequences": true, "return_state": true}),
            seq(12, 3),
        );
        assert_eq!(
            o.output_shapes,
            vec![
                vec![None, Some(12), Some(5)],
                vec![None, Some(5)],
                vec![None, Some(5)]
            ]
        );
    }

    #[test]
    fn conv_lstm_examples() {
        // FORMULAS §2.11: ConvLSTM2D(4, 3) on (None, 5, 10, 10, 2) → 880.
        let o = run(
            &ConvLstmRule,
            "ConvLSTM2D",
            Dialect::Keras3,
            json!({"filters": 4, "kernel_size": 3}),
            vec![None, Some(5), Some(10), Some(10), Some(2)],
        );
        assert_eq!(
            o.derivation.as_deref(),
            Some("4·(3·3·2·4 + 3·3·4² + 4) = 880")
        );
        assert_eq!(o.output_shapes, vec![vec![None, Some(8), Some(8), Some(4)]]);
        let o = run(
            &ConvLstmRule,
            "ConvLSTM2D",
            Dialect::Keras1,
            json!({"nb_filter": 4, "nb_row": 3, "nb_col": 3, "dim_ordering": "th"}),
            vec![None, Some(5), Some(2), Some(10), Some(10)],
        );
        assert_eq!(o.weights.len(), 12);
        assert_eq!(o.weights[0].shape, Some(vec![4, 2, 3, 3]));
        assert_eq!(o.weights[1].shape, Some(vec![4, 4, 3, 3]));
        assert_eq!(total(&o), 880);
    }

    #[test]
    fn stacked_cells() {
        // FORMULAS §2.14: RNN([LSTMCell(8), GRUCell(4), SimpleRNNCell(3)]) on d=5 → 640.
        let config = json!({"cell": {"class_name": "StackedRNNCells", "config": {"cells": [
            {"class_name": "LSTMCell", "config": {"units": 8}},
            {"class_name": "GRUCell", "config": {"units": 4, "reset_after": true}},
            {"class_name": "LSTMCell", "config": {"units": 3}}]}}});
        let o = run(&GenericRnnRule, "RNN", Dialect::Keras3, config, seq(10, 5));
        let owners: Vec<_> = o.weights.iter().map(|w| w.owner.as_str()).collect();
        assert_eq!(owners[0], "cell/cells/lstm_cell");
        assert_eq!(owners[3], "cell/cells/gru_cell");
        assert_eq!(owners[6], "cell/cells/lstm_cell_1");
        assert_eq!(o.weights[3].shape, Some(vec![8, 12]));
        assert_eq!(o.output_shapes, vec![vec![None, Some(3)]]);
        // Without an input shape the names are still there.
        let config = json!({"cell": {"class_name": "GRUCell", "config": {"units": 4}}});
        let o = GenericRnnRule
            .apply(
                LayerCfg {
                    class_name: "RNN",
                    config: &config,
                    dialect: Dialect::Keras3,
                },
                &[],
            )
            .unwrap();
        assert_eq!(o.weights.len(), 3);
        assert_eq!(o.weights[0].owner, "cell");
        assert_eq!(o.weights[0].shape, None);
    }

    #[test]
    fn unknown_cells_are_errors() {
        for config in [
            json!({}),
            json!({"cell": {"class_name": "MyCell", "config": {}}}),
            json!({"cell": 3}),
            json!({"cell": {"class_name": "StackedRNNCells", "config": {"cells": []}}}),
        ] {
            assert!(
                GenericRnnRule
                    .apply(
                        LayerCfg {
                            class_name: "RNN",
                            config: &config,
                            dialect: Dialect::Keras3,
                        },
                        &[seq(3, 3)],
                    )
                    .is_err(),
                "{config}"
            );
        }
    }
}
