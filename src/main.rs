//! The `kerascope` command: argument parsing and dispatch only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use kerascope::audit::{self, Severity};
use kerascope::format::read_path;
use kerascope::layers::Dialect;
use kerascope::report::formula as report_formula;
use kerascope::report::{check, inspect, sarif, summary};
use kerascope::scan::{self, FileResult, Outcome, ScanOptions};
use kerascope::{Limits, analyze_path_with_config, load_config};

#[derive(Parser)]
#[command(
    name = "kerascope",
    version,
    about = "Open Keras model files and tell the truth about them",
    after_help = "Exit status: 0 clean, 1 findings at or above --fail-on, 2 a file could not be read, 3 nothing was scanned."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what a file holds: format, versions, config, every stored tensor by layer.
    Inspect {
        /// Keras files (.h5, .hdf5, .keras, .weights.h5, .weights.json), any extension.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Check files and folders: stored tensors against each layer's config, the file's
    /// structure, and everything that makes it dangerous to load.
    Check(CheckArgs),
    /// The `model.summary()` table, from the file alone: layers, output shapes, parameters.
    Summary {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Mimic the look of Keras 3 (box table) or Keras 2 / tf.keras (underscores).
        #[arg(long, value_enum, default_value_t = SummaryStyle::Keras3)]
        style: SummaryStyle,
        /// Show each layer's arithmetic under its row.
        #[arg(long)]
        explain: bool,
        /// Show the layers of nested models as indented rows.
        #[arg(long)]
        expand_nested: bool,
        /// Maximum width (default: the terminal's, 80 when piped).
        #[arg(long)]
        width: Option<usize>,
        /// Architecture for a weights-only file (see `check --config`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// The calculator: a layer's weights and the arithmetic of its count, no file needed.
    ///
    /// Example: kerascope formula LSTM units=256 input_dim=4096
    Formula {
        /// Layer class (Keras 1 and Keras 3 names: Convolution2D, Conv2D, ...).
        #[arg(required_unless_present = "list")]
        class: Option<String>,
        /// Arguments as key=value (units=256, kernel_size=3,3, input_shape=16,4096).
        args: Vec<String>,
        /// List the classes known.
        #[arg(long)]
        list: bool,
        /// Whose tensors to show (Keras 1 stores split gates, for instance).
        #[arg(long, value_enum, default_value_t = DialectArg::Keras3)]
        dialect: DialectArg,
    },
    /// Explain finding codes: every code, or one in full.
    Rule { code: Option<String> },
    /// Check a pasted `model.summary()` (Keras 1, 2, tf.keras or 3) against a model file, row
    /// by row; without a file, re-derive each row's count from its type and shapes.
    ///
    /// Exit status: 0 it matches, 1 differences, 2 a file or the summary could not be read.
    Verify {
        /// The model file (any format); omit to check the summary on its own.
        file: Option<PathBuf>,
        /// The summary text, `-` for standard input.
        #[arg(long, value_name = "SUMMARY")]
        summary: PathBuf,
        /// Architecture for a weights-only file (see `check --config`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Compare two model files (any formats): layers added, removed or renamed, config and
    /// weight changes, totals.
    ///
    /// Exit status: 0 equivalent, 1 different, 2 a file could not be read.
    Diff {
        /// The model file compared from.
        a: PathBuf,
        /// The model file compared with it.
        b: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Will it load? Whether a Keras version loads each file, and every blocker: the layer,
    /// the key or class at fault, the error Keras raises, whether it can be fixed and how.
    ///
    /// Exit status: 0 every file loads, 1 some fail (or hold weights only), 2 a file could not be read.
    Compat {
        /// Keras files (any extension: load_model's choice of loader by name is checked too).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The Keras that is to load them.
        #[arg(long, value_enum, default_value_t = TargetArg::Keras3)]
        target: TargetArg,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Write a copy Keras 3 loads (safe_mode=True): the config rewritten as Keras 3 expects
    /// it, the weights as stored (CuDNN ones converted as Keras 2 did); refused, with the
    /// reason, where the meaning would change.
    ///
    /// .h5 in, .h5 out; .keras in, .keras out. Exit status: 0 written, 1 refused, 2 unreadable.
    Upgrade {
        input: PathBuf,
        /// Where to write the copy (.h5 or .keras, as the input).
        #[arg(short, long)]
        output: PathBuf,
        /// Upgrade even a file with security findings.
        #[arg(long)]
        allow_findings: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetArg {
    /// Keras 3 (facts from 3.15.1).
    Keras3,
    /// tf_keras, the Keras 2 line (facts from 2.21).
    TfKeras,
}

impl TargetArg {
    fn target(self) -> kerascope::compat::Target {
        match self {
            TargetArg::Keras3 => kerascope::compat::Target::Keras3,
            TargetArg::TfKeras => kerascope::compat::Target::TfKeras,
        }
    }
}

/// Resource limits (hitting one is an error for that file, never a crash; see the README).
#[derive(Args, Clone)]
struct LimitArgs {
    /// Most HDF5 objects (groups + datasets) walked in one file.
    #[arg(long, default_value_t = Limits::default().max_hdf5_objects, help_heading = "Limits")]
    max_objects: usize,
    /// Deepest HDF5 group nesting.
    #[arg(long, default_value_t = Limits::default().max_hdf5_depth, help_heading = "Limits")]
    max_depth: usize,
    /// Most attributes on one HDF5 object.
    #[arg(long, default_value_t = Limits::default().max_attributes, help_heading = "Limits")]
    max_attributes: u64,
    /// Largest HDF5 object header (where attributes live), in bytes.
    #[arg(long, default_value_t = Limits::default().max_object_header_bytes, help_heading = "Limits")]
    max_header_bytes: usize,
    /// Largest config JSON, in bytes.
    #[arg(long, default_value_t = Limits::default().max_config_bytes, help_heading = "Limits")]
    max_config_bytes: usize,
    /// Most values (numbers, strings, objects...) in a config JSON.
    #[arg(long, default_value_t = Limits::default().max_config_values, help_heading = "Limits")]
    max_config_values: usize,
    /// Most layer entries in a config (nested models included).
    #[arg(long, default_value_t = Limits::default().max_layers, help_heading = "Limits")]
    max_layers: usize,
    /// Most members in a zip archive.
    #[arg(long, default_value_t = Limits::default().max_zip_members, help_heading = "Limits")]
    max_zip_members: usize,
    /// Largest zip member inflated into memory, in bytes.
    #[arg(long, default_value_t = Limits::default().max_zip_inflate_bytes, help_heading = "Limits")]
    max_zip_inflate: u64,
    /// Highest compression ratio of a zip member.
    #[arg(long, default_value_t = Limits::default().max_zip_ratio, help_heading = "Limits")]
    max_zip_ratio: u64,
    /// Most dimensions of one tensor.
    #[arg(long, default_value_t = Limits::default().max_rank, help_heading = "Limits")]
    max_rank: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_hdf5_objects: self.max_objects,
            max_hdf5_depth: self.max_depth,
            max_attributes: self.max_attributes,
            max_object_header_bytes: self.max_header_bytes,
            max_config_bytes: self.max_config_bytes,
            max_config_values: self.max_config_values,
            max_zip_members: self.max_zip_members,
            max_zip_inflate_bytes: self.max_zip_inflate,
            max_zip_ratio: self.max_zip_ratio,
            max_rank: self.max_rank,
            max_layers: self.max_layers,
        }
    }
}

#[derive(Args)]
struct CheckArgs {
    /// Files and folders (walked recursively; Keras files are found by content).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Exit 1 when a finding at or above this severity is found.
    #[arg(long, default_value = "error")]
    fail_on: Severity,
    /// Show findings at or above this severity in text and Markdown output (default: info
    /// for a single file, warning for several).
    #[arg(long)]
    show: Option<Severity>,
    /// Architecture for weights-only files: a model.to_json() / config.json file, or a
    /// Keras file that stores a config.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, default_value_t = 0)]
    jobs: usize,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    glob: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
    /// Follow symbolic links (loops are detected).
    #[arg(long)]
    follow_links: bool,
    /// Skip what .gitignore / .ignore files exclude.
    #[arg(long)]
    respect_gitignore: bool,
    /// Skip hidden files and folders.
    #[arg(long)]
    skip_hidden: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Give up on a file after this many seconds (it is reported; the scan goes on).
    #[arg(long, value_name = "SECONDS")]
    timeout_per_file: Option<f64>,
    /// Also read the tensor values: NaN, infinities, all-zero kernels, odd dtypes (streamed
    /// block by block; memory stays flat).
    #[arg(long)]
    deep: bool,
    /// Also report, as errors, what keeps this Keras from loading each file (see `compat`).
    #[arg(long, value_enum)]
    target: Option<TargetArg>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    /// One JSON object per file, as soon as it is done.
    Ndjson,
    Sarif,
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SummaryStyle {
    Keras3,
    Keras2,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DialectArg {
    Keras1,
    Keras2,
    TfKeras,
    Keras3,
}

/// Many small allocations per file (parsed headers, JSON, findings): mimalloc handles them
/// faster than the system allocator, across threads. Measured in scripts/bench.py.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit statuses: 0 clean, 1 findings at or above `--fail-on`, 2 a file could not be read,
/// 3 nothing was scanned.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;
const EXIT_NOTHING: u8 = 3;

fn main() -> ExitCode {
    // Piped into `head`, stop quietly like other Unix tools instead of failing on EPIPE.
    // SAFETY: restoring the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The heap is small and short-lived. With transparent huge pages, each new allocator
    // arena chunk made the kernel zero 2 MiB on first touch: a third of a scan's CPU time
    // (scripts/bench.py). Pages are then faulted in 4 KiB at a time, as they are used.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Freed memory stays with the allocator for the next file instead of going back to the
    // kernel 10 ms later and faulting in again (and being purged at exit). The heap stays at
    // the size of the largest file's analysis per thread: flat, whatever the number of files.
    // `mi_option_purge_delay` is option 15 of mimalloc's `mi_option_e` (v2 and v3).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one allocator option; no allocation is in flight.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            files,
            format,
            limits,
        } => inspect_files(&files, format, &limits.limits()),
        Command::Check(args) => match architecture(args.config.as_deref()) {
            Ok(config) => check_paths(&args, config),
            Err(code) => code,
        },
        Command::Summary {
            file,
            format,
            style,
            explain,
            expand_nested,
            width,
            config,
            limits,
        } => match architecture(config.as_deref()) {
            Ok(config) => summarize(
                &file,
                format,
                SummaryOptions {
                    style,
                    explain,
                    expand_nested,
                    width,
                },
                config,
                &limits.limits(),
            ),
            Err(code) => code,
        },
        Command::Formula {
            class,
            args,
            list,
            dialect,
        } => formula(class.as_deref(), &args, list, dialect),
        Command::Rule { code } => explain_rule(code.as_deref()),
        Command::Verify {
            file,
            summary,
            config,
            format,
        } => match architecture(config.as_deref()) {
            Ok(config) => verify_summary(file.as_deref(), &summary, config, format),
            Err(code) => code,
        },
        Command::Diff { a, b, format } => diff_files(&a, &b, format),
        Command::Compat {
            files,
            target,
            format,
        } => compat_files(&files, target.target(), format),
        Command::Upgrade {
            input,
            output,
            allow_findings,
        } => upgrade_file(&input, &output, allow_findings),
    }
}

/// Loads `--config`, or says why not.
fn architecture(path: Option<&std::path::Path>) -> Result<Option<serde_json::Value>, ExitCode> {
    let Some(path) = path else { return Ok(None) };
    load_config(path, &Limits::default())
        .map(Some)
        .map_err(|e| {
            eprintln!("kerascope: {}: {e}", path.display());
            ExitCode::from(EXIT_ERROR)
        })
}

fn check_paths(args: &CheckArgs, config: Option<serde_json::Value>) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let options = ScanOptions {
        threads: args.jobs,
        follow_links: args.follow_links,
        respect_ignore_files: args.respect_gitignore,
        skip_hidden: args.skip_hidden,
        globs: args.glob.clone(),
        excludes: args.exclude.clone(),
        limits: args.limits.limits(),
        config,
        timeout_per_file: args
            .timeout_per_file
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64),
        deep: args.deep,
        compat_target: args.target.map(TargetArg::target),
    };
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let single_file = args.paths.len() == 1 && args.paths[0].is_file();
    let show = args.show.unwrap_or(if single_file {
        Severity::Info
    } else {
        Severity::Warning
    });
    let progress = indicatif::ProgressBar::hidden();
    let stdout = Mutex::new(std::io::stdout());
    let results = scan::scan(
        &args.paths,
        &options,
        |count| {
            if show_progress && count > 1 {
                progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                progress.set_length(count as u64);
                progress.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} {elapsed} {wide_msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
            }
        },
        |result: &FileResult| {
            progress.inc(1);
            progress.set_message(result.path.display().to_string());
            if let Outcome::Failed(e) | Outcome::Internal(e) = &result.outcome {
                progress.suspend(|| eprintln!("kerascope: {}: {e}", result.path.display()));
            }
            // NDJSON streams each file as soon as it is done; the other formats wait for the
            // whole scan so that their order is the walk's.
            if args.format == CheckFormat::Ndjson {
                let line = check::FileEntry::line(result);
                if let Ok(mut out) = stdout.lock() {
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }
            }
        },
    );
    progress.finish_and_clear();
    match args.format {
        CheckFormat::Json => println!("{}", check::document(&results)),
        CheckFormat::Sarif => println!("{}", pretty(&sarif::log(&results))),
        CheckFormat::Markdown => print!("{}", check::markdown(&results, show)),
        CheckFormat::Text => {
            for result in &results {
                print!("{}", check::file_text(result, show));
            }
            if results.len() > 1 {
                print!("\n{}", check::summary_table(&results));
            }
        }
        CheckFormat::Ndjson => {
            if results.len() > 1 {
                eprint!("{}", check::summary_table(&results));
            }
        }
    }
    exit_status(&results, args.fail_on)
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// 2 when a file could not be read, else 1 on findings at or above `fail_on`, else 3 when
/// no Keras file was analysed, else 0.
fn exit_status(results: &[FileResult], fail_on: Severity) -> ExitCode {
    let totals = check::Totals::of(results);
    let failing = results.iter().any(|r| match &r.outcome {
        Outcome::Analysed(a) => a.findings.iter().any(|f| f.severity >= fail_on),
        _ => false,
    });
    if totals.errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else if totals.analysed() == 0 {
        ExitCode::from(EXIT_NOTHING)
    } else {
        ExitCode::SUCCESS
    }
}

/// How `summary` draws its table.
struct SummaryOptions {
    style: SummaryStyle,
    explain: bool,
    expand_nested: bool,
    width: Option<usize>,
}

fn summarize(
    path: &std::path::Path,
    format: OutputFormat,
    options: SummaryOptions,
    config: Option<serde_json::Value>,
    limits: &Limits,
) -> ExitCode {
    use std::io::IsTerminal;
    let SummaryOptions {
        style,
        explain,
        expand_nested,
        width,
    } = options;
    let label = path.display().to_string();
    let analysis = match analyze_path_with_config(path, limits, config) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kerascope: {label}: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let built = summary::build(&analysis);
    let tty = std::io::stdout().is_terminal();
    match format {
        OutputFormat::Json => {
            let doc = summary::to_json(&label, &analysis, &built);
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        OutputFormat::Text | OutputFormat::Markdown => {
            let options = summary::RenderOptions {
                style: match (format, style) {
                    (OutputFormat::Markdown, _) => summary::Style::Markdown,
                    (_, SummaryStyle::Keras2) => summary::Style::Keras2,
                    _ => summary::Style::Keras3,
                },
                width: width.unwrap_or_else(|| terminal_width(tty)),
                explain,
                expand_nested,
                color: tty && std::env::var_os("NO_COLOR").is_none(),
            };
            print!("{}", summary::render(&built, &options));
            let problems: Vec<_> = analysis
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .collect();
            for f in problems {
                let layer = f
                    .layer
                    .as_deref()
                    .map(|l| format!("{l}: "))
                    .unwrap_or_default();
                println!(" {} {} {layer}{}", f.code, f.severity.as_str(), f.message);
            }
        }
    }
    ExitCode::SUCCESS
}

fn formula(class: Option<&str>, args: &[String], list: bool, dialect: DialectArg) -> ExitCode {
    if list {
        for class in report_formula::classes() {
            println!("{class}");
        }
        return ExitCode::SUCCESS;
    }
    let dialect = match dialect {
        DialectArg::Keras1 => Dialect::Keras1,
        DialectArg::Keras2 => Dialect::Keras2,
        DialectArg::TfKeras => Dialect::TfKeras,
        DialectArg::Keras3 => Dialect::Keras3,
    };
    match report_formula::explain(class.unwrap_or_default(), args, dialect) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kerascope: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
fn explain_rule(code: Option<&str>) -> ExitCode {
    let Some(code) = code else {
        for d in audit::docs() {
            println!(
                "{}  {:8} {:24} {}",
                d.code,
                d.severity.as_str(),
                d.name,
                d.summary
            );
        }
        return ExitCode::SUCCESS;
    };
    match audit::doc(code) {
        Some(d) => {
            println!("{} {} ({})\n", d.code, d.name, d.severity.as_str());
            println!("What it finds: {}\n", d.summary);
            println!("Why it matters: {}\n", d.why);
            println!("Example: {}", d.example);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("kerascope: no finding code {code:?} (`kerascope rule` lists them)");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
fn terminal_width(tty: bool) -> usize {
    if !tty {
        return 80;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}
fn inspect_files(files: &[PathBuf], format: OutputFormat, limits: &Limits) -> ExitCode {
    let mut failed = false;
    let mut documents = Vec::new();
    for path in files {
        let label = path.display().to_string();
        match read_path(path, limits) {
            Ok(file) => match format {
                OutputFormat::Text | OutputFormat::Markdown => {
                    print!("{}", inspect::to_text(&label, &file))
                }
                OutputFormat::Json => documents.push(inspect::to_json(&label, &file)),
            },
            Err(e) => {
                eprintln!("kerascope: {label}: {e}");
                failed = true;
                if format == OutputFormat::Json {
                    documents.push(serde_json::json!({
                        "schema": inspect::SCHEMA, "file": label, "error": e.to_string(),
                    }));
                }
            }
        }
    }
    if format == OutputFormat::Json {
        let out = match <[serde_json::Value; 1]>::try_from(documents) {
            Ok([one]) => one,
            Err(many) => serde_json::json!({"schema": inspect::SCHEMA, "files": many}),
        };
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    if failed {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// `verify`: 0 the summary matches (or, without a file, every number can be right), 1 it
/// does not, 2 a file or the summary could not be read.
fn verify_summary(
    file: Option<&std::path::Path>,
    summary_path: &std::path::Path,
    config: Option<serde_json::Value>,
    format: OutputFormat,
) -> ExitCode {
    use kerascope::report::verify::{FileLabel, to_json, to_text};
    use std::io::Read;
    let summary_label = summary_path.display().to_string();
    let mut text = String::new();
    let read = if summary_label == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read(summary_path).map(|bytes| text = String::from_utf8_lossy(&bytes).into_owned())
    };
    if let Err(e) = read {
        eprintln!("kerascope: {summary_label}: {e}");
        return ExitCode::from(EXIT_ERROR);
    }
    let printed = match kerascope::verify::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kerascope: {summary_label}: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let (verification, analysis, file_label) = match file {
        Some(path) => match analyze_path_with_config(path, &Limits::default(), config) {
            Ok(analysis) => (
                kerascope::verify::against_file(&printed, &analysis),
                Some(analysis),
                path.display().to_string(),
            ),
            Err(e) => {
                eprintln!("kerascope: {}: {e}", path.display());
                return ExitCode::from(EXIT_ERROR);
            }
        },
        None => (
            kerascope::verify::without_file(&printed),
            None,
            String::new(),
        ),
    };
    let label = analysis.as_ref().map(|analysis| FileLabel {
        path: &file_label,
        analysis,
    });
    match format {
        OutputFormat::Json => println!(
            "{}",
            pretty(&to_json(&summary_label, label.as_ref(), &verification))
        ),
        OutputFormat::Text | OutputFormat::Markdown => {
            print!("{}", to_text(&summary_label, label.as_ref(), &verification))
        }
    }
    if verification.matches() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// `diff`: 0 equivalent, 1 different, 2 a file could not be read.
fn diff_files(a: &std::path::Path, b: &std::path::Path, format: OutputFormat) -> ExitCode {
    use kerascope::report::diff::{to_json, to_text};
    let limits = Limits::default();
    let mut analyses = Vec::new();
    for path in [a, b] {
        match analyze_path_with_config(path, &limits, None) {
            Ok(analysis) => analyses.push(analysis),
            Err(e) => {
                eprintln!("kerascope: {}: {e}", path.display());
                return ExitCode::from(EXIT_ERROR);
            }
        }
    }
    let compared = kerascope::diff::diff(&analyses[0], &analyses[1]);
    let (label_a, label_b) = (a.display().to_string(), b.display().to_string());
    match format {
        OutputFormat::Json => println!("{}", pretty(&to_json(&label_a, &label_b, &compared))),
        OutputFormat::Text | OutputFormat::Markdown => {
            print!("{}", to_text(&label_a, &label_b, &compared))
        }
    }
    if compared.equivalent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

fn compat_files(
    files: &[PathBuf],
    target: kerascope::compat::Target,
    format: OutputFormat,
) -> ExitCode {
    use kerascope::compat::{Verdict, assess};
    use kerascope::report::compat::{CompatEntry, to_json, to_text};
    let entries: Vec<CompatEntry> = files
        .iter()
        .map(|path| CompatEntry {
            file: path.display().to_string(),
            outcome: read_path(path, &Limits::default())
                .map(|file| assess(&file, path, target))
                .map_err(|e| e.to_string()),
        })
        .collect();
    match format {
        OutputFormat::Json => println!("{}", pretty(&to_json(target, &entries))),
        OutputFormat::Text | OutputFormat::Markdown => print!("{}", to_text(target, &entries)),
    }
    if entries.iter().any(|e| e.outcome.is_err()) {
        ExitCode::from(EXIT_ERROR)
    } else if entries.iter().any(|e| {
        e.outcome
            .as_ref()
            .is_ok_and(|a| a.verdict != Verdict::Loads)
    }) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn upgrade_file(
    input: &std::path::Path,
    output: &std::path::Path,
    allow_findings: bool,
) -> ExitCode {
    use kerascope::upgrade::{Refusal, upgrade};
    if input == output {
        eprintln!("kerascope: upgrade writes a copy: give another output path");
        return ExitCode::from(EXIT_ERROR);
    }
    match upgrade(input, output, allow_findings) {
        Ok(done) => {
            println!("{}: written {}", input.display(), output.display());
            for change in &done.changes {
                println!("  {change}");
            }
            ExitCode::SUCCESS
        }
        Err(Refusal::Read(e)) => {
            eprintln!("kerascope: {}: {e}", input.display());
            ExitCode::from(EXIT_ERROR)
        }
        Err(refusal) => {
            eprintln!("kerascope: {}: not upgraded: {refusal}", input.display());
            ExitCode::from(EXIT_FINDINGS)
        }
    }
}
