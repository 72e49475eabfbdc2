//! kerascope in the browser. The page hands each picked `File` to a Web Worker (`web/worker.js`),
//! which calls [`Session::analyze`]: the library reads the file by ranges through
//! [`BlobReader`], whose reads the worker serves synchronously (`Blob.slice` and
//! `FileReaderSync`), so that a file is never loaded whole, nothing leaves the machine and the
//! page stays responsive. What the page shows is computed here, from the library's reports, and
//! handed over as JSON text.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use kerascope::audit::{Finding, Severity};
use kerascope::registry;
use kerascope::report::check::{self, Totals, Verdict};
use kerascope::report::summary::{self, Row, Style, Summary};
use kerascope::scan::{FileReport, FileResult, Outcome};
use kerascope::{Analysis, Options, RangeRead};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Fills `buf` with the bytes at `offset` of the file being analysed (defined by the
    /// worker); throws when the browser cannot read them.
    #[wasm_bindgen(catch, js_name = kerascopeReadRange)]
    fn read_range(offset: f64, buf: &mut [u8]) -> Result<(), JsValue>;

    /// Milliseconds, for each file's time in the report.
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;

    /// Receives a panic's message before the module traps: an uncaught error inside a worker
    /// never reaches the page, so the worker forwards it.
    #[wasm_bindgen(js_name = kerascopePanic)]
    fn report_panic(message: &str);
}

/// The file the worker is reading: its reads go to the worker's `kerascopeReadRange`.
struct BlobReader {
    len: u64,
    name: String,
}

impl RangeRead for BlobReader {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} bytes at {offset} lie past the end of the file",
                    buf.len()
                ),
            ));
        }
        read_range(offset as f64, buf).map_err(|e| {
            io::Error::other(
                e.as_string()
                    .unwrap_or_else(|| "the browser could not read the file".into()),
            )
        })
    }

    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

/// The files analysed since the last [`Session::clear`]: one pick or drop of the page.
#[wasm_bindgen]
#[derive(Default)]
pub struct Session {
    results: Vec<FileResult>,
}

#[wasm_bindgen]
impl Session {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Session {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| std::panic::set_hook(Box::new(|info| report_panic(&info.to_string()))));
        Session::default()
    }

    /// Analyses the file the worker serves reads from (`name` for messages, `size` its
    /// length in bytes) and returns what the page shows of it, as JSON.
    pub fn analyze(&mut self, name: &str, size: f64) -> String {
        let started = now();
        let reader = BlobReader {
            len: size as u64,
            name: name.to_string(),
        };
        let analysis = kerascope::analyze_reader(reader, &Options::default());
        let elapsed = Duration::from_secs_f64(((now() - started) / 1000.0).max(0.0));
        self.record(name, size as u64, elapsed, analysis)
            .to_string()
    }

    /// The `kerascope check --format json` document (`kerascope.check/1`) of the session.
    pub fn report(&self) -> String {
        check::document(&self.results)
    }

    /// The session's totals and its verdict, as `kerascope check` closes a scan (JSON).
    pub fn totals(&self) -> String {
        let verdict = Verdict::of(&self.results, Some(Severity::Error), false);
        let mut totals = Totals::of(&self.results).to_json();
        totals["exit"] = json!(verdict.exit);
        totals["verdict"] = json!(verdict.reason);
        totals.to_string()
    }

    pub fn clear(&mut self) {
        self.results.clear();
    }
}

impl Session {
    /// Keeps a file's result for the report and returns its view.
    fn record(
        &mut self,
        name: &str,
        size: u64,
        elapsed: Duration,
        analysis: kerascope::Result<Analysis>,
    ) -> Value {
        let (view, outcome) = match analysis {
            Ok(analysis) => (
                file_view(name, &analysis),
                Outcome::Analysed(Box::new(FileReport::of(&analysis))),
            ),
            Err(e) => {
                let message = e.to_string();
                (unreadable_view(name, &message), Outcome::Failed(message))
            }
        };
        self.results.push(FileResult {
            path: PathBuf::from(name),
            outcome,
            elapsed,
            size,
            fetched: None,
        });
        let mut view = view;
        view["size"] = json!(size);
        view["seconds"] = json!(elapsed.as_secs_f64());
        view
    }
}

/// How a file fares, worst first: the page's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Not read: not a Keras file, damaged, or a limit reached.
    Unreadable,
    /// A security finding of severity error: loading it in Keras is an attack.
    Dangerous,
    /// A warning or an error that is not a security hazard (parameters, structure).
    Findings,
    Clean,
}

impl Status {
    fn of(findings: &[Finding]) -> Status {
        let security_error =
            |f: &&Finding| f.code.starts_with('S') && f.severity == Severity::Error;
        if findings.iter().any(|f| security_error(&f)) {
            Status::Dangerous
        } else if findings.iter().any(|f| f.severity >= Severity::Warning) {
            Status::Findings
        } else {
            Status::Clean
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Unreadable => "unreadable",
            Status::Dangerous => "dangerous",
            Status::Findings => "findings",
            Status::Clean => "clean",
        }
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The one line that answers "can I load this?".
fn verdict_line(status: Status, findings: &[Finding]) -> String {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let codes = |wanted: &dyn Fn(&Finding) -> bool| {
        let mut codes: Vec<&str> = findings
            .iter()
            .filter(|f| wanted(f))
            .map(|f| f.code)
            .collect();
        codes.dedup();
        codes.join(", ")
    };
    match status {
        Status::Dangerous => format!(
            "Dangerous: do not load this file in Keras ({})",
            codes(&|f| f.code.starts_with('S') && f.severity == Severity::Error)
        ),
        Status::Findings => format!(
            "Findings: {} and {} to review ({})",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
            codes(&|f| f.severity >= Severity::Warning)
        ),
        Status::Clean if findings.is_empty() => {
            "Clean: every stored tensor matches the config, nothing hazardous found".into()
        }
        Status::Clean => format!(
            "Clean: no warning or error ({} for information)",
            plural(findings.len(), "note")
        ),
        Status::Unreadable => "Unreadable".into(),
    }
}

fn unreadable_view(name: &str, message: &str) -> Value {
    json!({
        "file": name,
        "status": Status::Unreadable.as_str(),
        "verdict": "Unreadable: kerascope could not read this file as a Keras model",
        "error": message,
    })
}

fn file_view(name: &str, analysis: &Analysis) -> Value {
    let file = &analysis.file;
    let built = summary::build(analysis);
    let status = Status::of(&analysis.findings);
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| {
            let mut value = json!(f);
            if let Some(doc) = registry::doc(f.code) {
                value["rule"] = json!({"name": doc.name, "summary": doc.summary, "why": doc.why});
            }
            value
        })
        .collect();
    json!({
        "file": name,
        "status": status.as_str(),
        "verdict": verdict_line(status, &analysis.findings),
        "format": file.format.describe(),
        "keras_version": file.keras_version,
        "backend": file.backend,
        "summary": summary_view(&built),
        "findings": findings,
        "document": summary::to_json(name, analysis, &built),
    })
}

/// The table of `model.summary()`, cell by cell, each row with its arithmetic (`--explain`).
fn summary_view(built: &Summary) -> Value {
    let mut columns = vec!["Layer (type)", "Output Shape", "Param #"];
    if built.graph_like {
        columns.push("Connected to");
    }
    let rows: Vec<Value> = built.rows.iter().map(|row| row_view(row, built)).collect();
    let mut text = summary::render(
        built,
        &summary::RenderOptions {
            style: Style::Keras3,
            width: 100,
            explain: true,
            expand_nested: false,
            color: false,
        },
    );
    if text.ends_with('\n') {
        text.pop();
    }
    json!({
        "model": built.model_name,
        "class": built.model_class,
        "columns": columns,
        "rows": rows,
        "footer": summary::footer(built, Style::Keras3, "").lines().collect::<Vec<_>>(),
        "shapes_known": built.shapes_known,
        "text": text,
    })
}

fn row_view(row: &Row, built: &Summary) -> Value {
    let params = match row.expected_params {
        _ if built.weights_unknown => "?".to_string(),
        Some(expected) if row.mismatch => format!(
            "{} ≠ {}",
            kerascope::report::thousands(row.params),
            kerascope::report::thousands(expected)
        ),
        _ => kerascope::report::thousands(row.params),
    };
    // The same line `summary --explain` prints under the row.
    let arithmetic = match (&row.derivation, row.expected_params) {
        _ if row.params == 0 => None,
        (Some(derivation), _) => Some(format!("{} = {derivation}", row.name)),
        (None, None) => Some(format!(
            "{}: {} stored (expected count unknown)",
            row.name,
            kerascope::report::thousands(row.params)
        )),
        (None, Some(_)) => None,
    };
    json!({
        "layer": format!("{} ({})", row.name, row.class_name),
        "shape": kerascope::text::shape_text(&row.output_shapes),
        "params": params,
        "mismatch": row.mismatch,
        "connected_to": if row.connected_to.is_empty() { "-".to_string() } else { row.connected_to.join(", ") },
        "arithmetic": arithmetic,
    })
}

#[cfg(test)]
mod tests {
    //! The views the page draws, from committed fixtures; the numbers are Keras' own (each
    //! fixture's truth JSON).

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/");
        std::fs::read(format!("{path}{name}")).expect(name)
    }

    fn view_of(session: &mut Session, name: &str) -> Value {
        let bytes = fixture(name);
        let analysis = kerascope::analyze_bytes(&bytes, &Options::default());
        session.record(name, bytes.len() as u64, Duration::ZERO, analysis)
    }

    #[test]
    fn the_seed_model_shows_its_count_and_arithmetic() {
        let view = view_of(&mut Session::default(), "seed_lstm_4096.h5");
        assert_eq!(view["status"], "clean");
        assert_eq!(view["keras_version"], "2.21.0");
        let row = &view["summary"]["rows"][0];
        // model.count_params() of tf_keras 2.21.0 (fixtures/truth/seed_lstm_4096.h5.json)
        assert_eq!(row["params"], "4,457,472");
        assert_eq!(row["layer"], "lstm (LSTM)");
        assert_eq!(row["shape"], "(None, 256)");
        assert_eq!(
            row["arithmetic"],
            "lstm = 4·((4096+1)·256 + 256²) = 4,457,472"
        );
        assert_eq!(
            view["summary"]["footer"][0],
            "Total params: 4,457,472 (17.00 MB)"
        );
        assert_eq!(view["document"]["schema"], summary::SCHEMA);
    }

    #[test]
    fn a_hostile_file_is_dangerous_with_its_code_and_cve() {
        let view = view_of(&mut Session::default(), "hostile/k3_s101_lambda_top.keras");
        assert_eq!(view["status"], "dangerous");
        let finding = view["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "S101")
            .expect("S101 (fixtures/hostile/expected.json)");
        assert_eq!(finding["layer"], "evil_lambda");
        assert_eq!(finding["cve"], json!(["CVE-2024-3660", "CVE-2025-9905"]));
        assert_eq!(finding["rule"]["name"], "lambda-bytecode");
        assert!(view["verdict"].as_str().unwrap().contains("S101"));
    }

    #[test]
    fn several_files_make_one_check_document() {
        let mut session = Session::default();
        view_of(&mut session, "seed_lstm_4096.h5");
        let bad = view_of(&mut session, "bad/random_bytes.h5");
        assert_eq!(bad["status"], "unreadable");
        assert!(!bad["error"].as_str().unwrap().is_empty());
        let report: Value = serde_json::from_str(&session.report()).unwrap();
        assert_eq!(report["schema"], check::SCHEMA);
        assert_eq!(report["files"].as_array().unwrap().len(), 2);
        assert_eq!(report["files"][0]["total_params"], 4_457_472);
        assert_eq!(report["files"][1]["status"], "error");
        let totals: Value = serde_json::from_str(&session.totals()).unwrap();
        assert_eq!(totals["exit"], 2);
        session.clear();
        assert!(
            serde_json::from_str::<Value>(&session.report()).unwrap()["files"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}
