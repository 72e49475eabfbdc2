//! `kerascope._native`: the Python package's engine. Each function does one command's work
//! with the GIL released and returns the CLI's JSON document (as text) and the CLI's text
//! output; `python/kerascope/__init__.py` turns them into result objects. Inputs are already
//! normalized there (a path as `str`, or the bytes), so the types here are narrow.

use std::any::Any;
use std::ffi::OsString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kerascope::audit::Severity;
use kerascope::bind::{read_path, read_source};
use kerascope::container::source::Source;
use kerascope::filter::FindingFilter;
use kerascope::layers::Dialect;
use kerascope::report::check::{self as check_report, Verdict};
use kerascope::report::{
    formula as formula_report, inspect as inspect_report, summary as summary_report,
};
use kerascope::{Analysis, Limits, Options, analyze_bytes, analyze_path, load_config};
use kerascope_cli::scan::{self, ScanOptions};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use serde_json::Value;

create_exception!(
    kerascope,
    KerascopeError,
    PyValueError,
    "A model file, summary or argument kerascope could not use; the message names it."
);

/// A model to read: a path (shards of a `.weights.json` are found beside it) or its bytes.
#[derive(FromPyObject)]
enum Input {
    Bytes(PyBackedBytes),
    Path(PathBuf),
}

/// The JSON document (as text) and the text the CLI prints.
type Rendered = (String, String);

/// Runs `work` without the GIL, so that other Python threads go on; a panic (a bug) becomes
/// `KerascopeError` instead of `PanicException`, which `except Exception` would not catch.
fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, String> + Send,
) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work)))
        .unwrap_or_else(|panic| {
            Err(format!(
                "internal error (a bug in kerascope): {}",
                panic_text(&panic)
            ))
        })
        .map_err(KerascopeError::new_err)
}

fn panic_text(panic: &Box<dyn Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The architecture for a weights-only file: a file like `--config`, or a config as JSON
/// text (`model.to_json()`, or a dict dumped by the caller).
fn architecture(path: Option<&Path>, json_text: Option<&str>) -> Result<Option<Value>, String> {
    if let Some(path) = path {
        return load_config(path, &Limits::default())
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    let Some(text) = json_text else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(text).map_err(|e| format!("config: not JSON: {e}"))?;
    if value.get("class_name").is_none() {
        return Err("config: no class_name (expected model.to_json() or config.json)".into());
    }
    Ok(Some(value))
}

fn analyse(input: &Input, label: &str, config: Option<Value>) -> Result<Analysis, String> {
    let options = Options::new().config(config);
    match input {
        Input::Path(path) => analyze_path(path, &options),
        Input::Bytes(bytes) => analyze_bytes(bytes, &options),
    }
    .map_err(|e| format!("{label}: {e}"))
}

/// `kerascope summary` (JSON document, and the text as printed to a pipe: 80 columns, no
/// colour).
#[pyfunction]
#[pyo3(signature = (src, label, config_path=None, config_json=None))]
fn summary(
    py: Python<'_>,
    src: Input,
    label: &str,
    config_path: Option<PathBuf>,
    config_json: Option<&str>,
) -> PyResult<Rendered> {
    detached(py, || {
        let config = architecture(config_path.as_deref(), config_json)?;
        let analysis = analyse(&src, label, config)?;
        let built = summary_report::build(&analysis);
        let doc = summary_report::to_json(label, &analysis, &built);
        let options = summary_report::RenderOptions {
            style: summary_report::Style::Keras3,
            width: 80,
            explain: false,
            expand_nested: false,
            color: false,
        };
        let text =
            summary_report::render(&built, &options) + &kerascope_cli::summary_findings(&analysis);
        Ok((pretty(&doc), text))
    })
}

/// `kerascope inspect` of one input.
#[pyfunction]
fn inspect(py: Python<'_>, src: Input, label: &str) -> PyResult<Rendered> {
    detached(py, || {
        let limits = Limits::default();
        let file = match &src {
            Input::Path(path) => read_path(path, &limits),
            Input::Bytes(bytes) => read_source(&Source::from_vec(bytes.to_vec()), None, &limits),
        }
        .map_err(|e| format!("{label}: {e}"))?;
        let doc = inspect_report::InspectDocument::new(vec![inspect_report::InspectEntry::Read(
            Box::new(inspect_report::file_entry(label, &file)),
        )]);
        Ok((pretty(&doc), inspect_report::to_text(label, &file)))
    })
}

/// `kerascope check` over files and folders: the JSON document, the text report and the exit
/// status.
#[pyfunction]
#[pyo3(signature = (paths, deep=false, jobs=0, fail_on="error"))]
fn check(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    deep: bool,
    jobs: usize,
    fail_on: &str,
) -> PyResult<(String, String, u8)> {
    let fail_on = match fail_on {
        "info" => Some(Severity::Info),
        "warning" => Some(Severity::Warning),
        "error" => Some(Severity::Error),
        "never" => None,
        other => {
            return Err(KerascopeError::new_err(format!(
                "fail_on: {other:?} is not one of 'info', 'warning', 'error', 'never'"
            )));
        }
    };
    detached(py, || {
        let options = ScanOptions {
            threads: jobs,
            deep,
            filter: Arc::new(FindingFilter::default()),
            ..ScanOptions::default()
        };
        let results = scan::scan(&paths, &options, |_| {}, |_| {});
        let verdict = Verdict::of(&results, fail_on, false);
        // As the CLI: every finding for one named file, warnings and up for a folder.
        let show = if paths.len() == 1 && !paths[0].is_dir() {
            Severity::Info
        } else {
            Severity::Warning
        };
        let text = kerascope_cli::check_text(&results, show, false, false, &verdict);
        Ok((check_report::document(&results), text, verdict.exit))
    })
}

/// `kerascope formula CLASS KEY=VALUE...`.
#[pyfunction]
fn formula(py: Python<'_>, class_name: &str, args: Vec<String>) -> PyResult<Rendered> {
    detached(py, || {
        let answer = formula_report::compute(class_name, &args, Dialect::Keras3)?;
        Ok((pretty(&answer.to_json()), answer.to_text()))
    })
}

/// `kerascope verify [FILE] --summary S`: the document, the text and whether it matches.
#[pyfunction]
#[pyo3(signature = (src, label, summary_text, summary_label))]
fn verify(
    py: Python<'_>,
    src: Option<Input>,
    label: &str,
    summary_text: &str,
    summary_label: &str,
) -> PyResult<(String, String, bool)> {
    use kerascope::report::verify::{FileLabel, to_json, to_text};
    detached(py, || {
        let printed =
            kerascope::verify::parse(summary_text).map_err(|e| format!("{summary_label}: {e}"))?;
        let analysis = src
            .as_ref()
            .map(|src| analyse(src, label, None))
            .transpose()?;
        let verification = match &analysis {
            Some(analysis) => kerascope::verify::against_file(&printed, analysis),
            None => kerascope::verify::without_file(&printed),
        };
        let file = analysis.as_ref().map(|analysis| FileLabel {
            path: label,
            analysis,
        });
        Ok((
            pretty(&to_json(summary_label, file.as_ref(), &verification)),
            to_text(summary_label, file.as_ref(), &verification),
            verification.matches(),
        ))
    })
}

/// `kerascope diff A B` (the document says whether they are equivalent).
#[pyfunction]
fn diff(py: Python<'_>, a: Input, label_a: &str, b: Input, label_b: &str) -> PyResult<Rendered> {
    use kerascope::report::diff::{to_json, to_text};
    detached(py, || {
        let from = analyse(&a, label_a, None)?;
        let to = analyse(&b, label_b, None)?;
        let compared = kerascope::diff::diff(&from, &to);
        Ok((
            pretty(&to_json(label_a, label_b, &compared)),
            to_text(label_a, label_b, &compared),
        ))
    })
}

/// `kerascope rule [CODE]`.
#[pyfunction]
#[pyo3(signature = (code=None))]
fn rule(py: Python<'_>, code: Option<&str>) -> PyResult<Rendered> {
    detached(py, || {
        let doc = kerascope_cli::rule_json(code)?;
        Ok((pretty(&doc), kerascope_cli::rule_text(code)?))
    })
}

/// The `kerascope` console command: the CLI on these arguments (`sys.argv`), printing to
/// the process's stdout and stderr; returns the exit status.
#[pyfunction]
fn run(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    use std::io::Write;
    let code = py.detach(|| catch_unwind(|| kerascope_cli::run(argv)));
    // Rust's stdout is flushed at exit only when Rust's runtime started the process.
    let _ = std::io::stdout().flush();
    // 101: a panic's status in the binary.
    code.map_or(101, |code| code.0)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("KerascopeError", m.py().get_type::<KerascopeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(summary, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(formula, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(rule, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    Ok(())
}
