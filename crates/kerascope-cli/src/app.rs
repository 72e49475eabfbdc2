//! The `kerascope` command: argument parsing and dispatch only; the work is in the library.
//! [`run`] is the whole command, so that the binary and the Python wheel's console script
//! are the same program.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::cli;
use crate::cli::color::ColorChoice;
use crate::cli::size::{parse_size, parse_size_usize};
use crate::remote;
use crate::scan::{self, FileResult, ScanOptions, Shard};
use kerascope::audit::Severity;
use kerascope::bind::{read_path, read_source};
use kerascope::container::source::Source;
use kerascope::filter::{Baseline, FindingFilter};
use kerascope::layers::Dialect;
use kerascope::registry;
use kerascope::report::check::{EXIT_ERROR, EXIT_FINDINGS, EXIT_NOTHING, Verdict};
use kerascope::report::formula as report_formula;
use kerascope::report::{check, inspect, sarif, summary};
use kerascope::{Analysis, Limits, Options, analyze_path, analyze_source, load_config};

#[derive(Parser)]
#[command(
    name = "kerascope",
    version,
    propagate_version = true,
    about = "Open Keras model files and tell the truth about them",
    after_help = "Exit status (check): 0 clean, 1 findings at or above --fail-on, 2 a file could not be read, 3 nothing was scanned."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: GlobalArgs,
}

/// Options every subcommand takes.
#[derive(Args)]
struct GlobalArgs {
    /// When to colour the output.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Print the report only: no progress bar, notes or closing table (`check` shows only
    /// files with findings or errors).
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Show what a file holds: format, versions, config, every stored tensor by layer.
    Inspect {
        /// Keras files (.h5, .hdf5, .keras, .weights.h5, .weights.json), any extension; `-`
        /// reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
        format: InspectFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Check files and folders: stored tensors against each layer's config, the file's
    /// structure, and everything that makes it dangerous to load.
    Check(CheckArgs),
    /// The `model.summary()` table, from the file alone: layers, output shapes, parameters.
    Summary {
        /// The model file (any format); `-` reads standard input.
        file: PathBuf,
        /// Output format.
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
        #[arg(value_name = "KEY=VALUE")]
        args: Vec<String>,
        /// List the classes known.
        #[arg(long)]
        list: bool,
        /// List the keys the class's rule reads, with their defaults.
        #[arg(long)]
        keys: bool,
        /// Whose tensors to show (Keras 1 stores split gates, for instance).
        #[arg(long, value_enum, default_value_t = DialectArg::Keras3)]
        dialect: DialectArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
        format: PlainFormat,
    },
    /// Explain finding codes: every code, or one in full.
    Rule {
        /// A finding code (S101, P101, ...); omit to list every code.
        code: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
        format: PlainFormat,
    },
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
        /// Largest summary text read (units: KiB, MiB, ...).
        #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
        max_summary_bytes: u64,
        /// Architecture for a weights-only file (see `check --config`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
        format: PlainFormat,
        #[command(flatten)]
        limits: LimitArgs,
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
        format: PlainFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print a shell completion script (e.g. `kerascope completions bash > kerascope.bash`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: ShellArg,
    },
    /// Print the manual page, in roff (e.g. `kerascope man > kerascope.1`).
    Man,
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
    /// The copy is Keras 3's own .keras archive by default (a legacy .h5 on request: name it
    /// .h5 or give --output-format h5); a .keras input stays a .keras archive. Exit status:
    /// 0 written, 1 refused, 2 unreadable.
    Upgrade {
        input: PathBuf,
        /// Where to write the copy: .keras (Keras 3 archive) or .h5/.hdf5 (legacy HDF5).
        /// Default: the input's name ending in .keras (model.h5 → model.keras), never
        /// overwriting a file.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The copy's format, when the output's name does not say it.
        #[arg(long, value_enum)]
        output_format: Option<CopyFormatArg>,
        /// Upgrade even a file with security findings.
        #[arg(long)]
        allow_findings: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CopyFormatArg {
    /// Keras 3's own .keras archive.
    Keras,
    /// A legacy HDF5 model, as Keras 2 wrote them.
    H5,
}

impl CopyFormatArg {
    fn format(self) -> kerascope::upgrade::OutputFormat {
        match self {
            CopyFormatArg::Keras => kerascope::upgrade::OutputFormat::Keras,
            CopyFormatArg::H5 => kerascope::upgrade::OutputFormat::LegacyH5,
        }
    }
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
/// Sizes take units: 64MiB, 2GiB, 100KB.
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
    /// Largest HDF5 object header (where attributes live).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size_usize, help_heading = "Limits")]
    max_header_bytes: usize,
    /// Largest config JSON.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size_usize, help_heading = "Limits")]
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
    /// Largest zip member inflated into memory.
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = parse_size, help_heading = "Limits")]
    max_zip_inflate: u64,
    /// Highest compression ratio of a zip member.
    #[arg(long, default_value_t = Limits::default().max_zip_ratio, help_heading = "Limits")]
    max_zip_ratio: u64,
    /// Most dimensions of one tensor.
    #[arg(long, default_value_t = Limits::default().max_rank, help_heading = "Limits")]
    max_rank: usize,
    /// Largest model read from standard input (`-`), which is held in memory.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size, help_heading = "Limits")]
    max_stdin_bytes: u64,
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

    /// Standard input, whole, under `--max-stdin-bytes`.
    fn stdin(&self) -> Result<Source, String> {
        cli::input::stdin(self.max_stdin_bytes, "--max-stdin-bytes").map(Source::from_vec)
    }
}

#[derive(Args)]
struct CheckArgs {
    /// Files and folders (walked recursively; Keras files are found by content); `-` reads
    /// standard input. Default: the current folder.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Exit 1 when a finding at or above this severity is found.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Exit 0 even when findings are found (an unreadable file still exits 2).
    #[arg(long)]
    exit_zero: bool,
    /// Show findings at or above this severity in text and Markdown output (default: info
    /// for a single file, warning for several).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    show: Option<SeverityArg>,
    /// Report only these finding codes or code prefixes (S1, P101, ALL; comma-separated or
    /// repeated).
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    select: Vec<String>,
    /// Never report these finding codes or code prefixes.
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Do not report the findings accepted in this baseline (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the findings of this scan to FILE as a baseline of accepted findings, keyed by
    /// path as given, code and layer; the scan then exits 0 unless a file could not be read.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
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
    /// Give up on a file after this many seconds (reported as timed out; the scan goes on).
    #[arg(long, value_name = "SECONDS")]
    timeout_per_file: Option<f64>,
    /// Also read the tensor values: NaN, infinities, all-zero kernels, odd dtypes (streamed
    /// block by block; memory stays flat).
    #[arg(long)]
    deep: bool,
    /// Also report, as errors, what keeps this Keras from loading each file (see `compat`).
    #[arg(long, value_enum)]
    target: Option<TargetArg>,
    /// Scan only share I of N of the files found (0 <= I < N), split by a stable hash of
    /// each path: N jobs given the same paths scan every file exactly once.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    #[command(flatten)]
    remote: RemoteArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

/// How remote objects are fetched (credentials, region and endpoint come from the
/// environment: AWS_*, GOOGLE_*, AZURE_*).
#[derive(Args)]
struct RemoteArgs {
    /// Remote objects (s3://, gs://, az://, https://) read at once.
    #[arg(long, value_name = "N", default_value_t = 32, help_heading = "Remote")]
    remote_concurrency: usize,
    /// Time limit of one request to a remote store, in seconds (timed-out requests are
    /// retried).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        help_heading = "Remote"
    )]
    request_timeout: f64,
    /// Retries of a request that failed with a 5xx, a timeout or a broken connection.
    #[arg(long, value_name = "N", default_value_t = 5, help_heading = "Remote")]
    max_retries: usize,
}

impl RemoteArgs {
    fn settings(&self) -> remote::Settings {
        remote::Settings {
            request_timeout: Duration::try_from_secs_f64(self.request_timeout)
                .ok()
                .filter(|d| !d.is_zero())
                .unwrap_or(Duration::from_secs(30)),
            max_retries: self.max_retries,
            ..remote::Settings::default()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// A table for people.
    Text,
    /// One JSON document (its `schema` names its version).
    Json,
    /// A Markdown table.
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlainFormat {
    /// Text for people.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InspectFormat {
    /// Text for people.
    Text,
    /// One JSON document, `{"schema", "files": [...]}` for one file or many.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// Findings per file, then a closing table.
    Text,
    /// One JSON document (`kerascope.check/1`).
    Json,
    /// One JSON object per file, as soon as it is done.
    Ndjson,
    /// A SARIF 2.1.0 log, for code-scanning tools.
    Sarif,
    /// A Markdown table of findings.
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeverityArg {
    /// Everything, notes included.
    Info,
    /// Warnings and errors.
    Warning,
    /// Errors only.
    Error,
}

impl SeverityArg {
    fn severity(self) -> Severity {
        match self {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Any finding.
    Info,
    /// A warning or an error.
    Warning,
    /// An error.
    Error,
    /// Findings never fail the run.
    Never,
}

impl FailOn {
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SummaryStyle {
    /// Box table, byte sizes (Keras 3).
    Keras3,
    /// Underscore rules (Keras 2 / tf.keras).
    Keras2,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShellArg {
    /// Bash (source it, or put it in bash-completion's folder).
    Bash,
    /// Zsh (put it in a folder of $fpath as `_kerascope`).
    Zsh,
    /// Fish (put it in ~/.config/fish/completions/).
    Fish,
    /// PowerShell (dot-source it from $PROFILE).
    Powershell,
    /// Elvish (eval it from rc.elv).
    Elvish,
}

impl ShellArg {
    fn shell(self) -> clap_complete::Shell {
        match self {
            ShellArg::Bash => clap_complete::Shell::Bash,
            ShellArg::Zsh => clap_complete::Shell::Zsh,
            ShellArg::Fish => clap_complete::Shell::Fish,
            ShellArg::Powershell => clap_complete::Shell::PowerShell,
            ShellArg::Elvish => clap_complete::Shell::Elvish,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DialectArg {
    /// Keras 1 (split gate tensors, Keras 1 key names).
    Keras1,
    /// Keras 2 (multi-backend).
    Keras2,
    /// tf.keras (TensorFlow 2).
    TfKeras,
    /// Keras 3.
    Keras3,
}

/// The command's exit status as a number (`std::process::ExitCode` hides it), so that a front
/// end other than the binary, the Python console script, can return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode(pub u8);

impl ExitCode {
    pub const SUCCESS: ExitCode = ExitCode(0);
}

impl From<u8> for ExitCode {
    fn from(code: u8) -> ExitCode {
        ExitCode(code)
    }
}

/// Runs the command on these arguments (the first is the program's name), printing to
/// stdout and stderr, and returns its exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    // Help and usage errors are printed while parsing: `--color` is looked up first so that
    // they follow it too (clap itself honours NO_COLOR and CLICOLOR_FORCE).
    let parsed = Cli::command()
        .color(early_color_choice(&args))
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are "errors" that go to stdout with status 0.
            let _ = e.print();
            return ExitCode(u8::try_from(e.exit_code()).unwrap_or(EXIT_ERROR));
        }
    };
    let global = cli.global;
    match cli.command {
        Command::Inspect {
            files,
            format,
            limits,
        } => inspect_files(&files, format, &limits),
        Command::Check(args) => match architecture(args.config.as_deref()) {
            Ok(config) => check_paths(&args, config, &global),
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
                &limits,
                &global,
            ),
            Err(code) => code,
        },
        Command::Formula {
            class,
            args,
            list,
            keys,
            dialect,
            format,
        } => formula(class.as_deref(), &args, list, keys, dialect, format),
        Command::Rule { code, format } => explain_rule(code.as_deref(), format),
        Command::Verify {
            file,
            summary,
            max_summary_bytes,
            config,
            format,
            limits,
        } => match architecture(config.as_deref()) {
            Ok(config) => verify_summary(
                file.as_deref(),
                (&summary, max_summary_bytes),
                config,
                format,
                &limits,
            ),
            Err(code) => code,
        },
        Command::Diff {
            a,
            b,
            format,
            limits,
        } => diff_files(&a, &b, format, &limits),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell.shell(),
                &mut Cli::command(),
                "kerascope",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("kerascope: {e}");
                    ExitCode::from(EXIT_ERROR)
                }
            }
        }
        Command::Compat {
            files,
            target,
            format,
        } => compat_files(&files, target.target(), format),
        Command::Upgrade {
            input,
            output,
            output_format,
            allow_findings,
        } => upgrade_file(
            &input,
            output.as_deref(),
            output_format.map(CopyFormatArg::format),
            allow_findings,
        ),
    }
}

/// `--color WHEN` / `--color=WHEN` as typed, before clap has parsed anything.
fn early_color_choice(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    // Lossy: a path that is not UTF-8 is an argument like any other, never a panic.
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let when = args
        .iter()
        .enumerate()
        .find_map(|(i, arg)| match arg.strip_prefix("--color") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        });
    match when {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// Loads `--config`, or says why not.
fn architecture(path: Option<&Path>) -> Result<Option<Value>, ExitCode> {
    let Some(path) = path else { return Ok(None) };
    load_config(path, &Limits::default())
        .map(Some)
        .map_err(|e| {
            eprintln!("kerascope: {}: {e}", path.display());
            ExitCode::from(EXIT_ERROR)
        })
}

/// Reads and analyses a model file, or standard input for `-`.
fn analyse(path: &Path, limits: &LimitArgs, config: Option<Value>) -> Result<Analysis, String> {
    let options = Options::new().limits(limits.limits()).config(config);
    if path.as_os_str() == "-" {
        let source = limits.stdin()?;
        return analyze_source(&source, &options).map_err(|e| e.to_string());
    }
    if remote::is_remote_path(path) {
        let source = remote::open(&path.to_string_lossy(), remote::Settings::default())?;
        return analyze_source(&source, &options).map_err(|e| e.to_string());
    }
    analyze_path(path, &options).map_err(|e| e.to_string())
}

/// An input that could not be read: a message on stderr and, for JSON output, a document
/// of the command's schema on stdout, so that a consumer always gets one document.
fn failure(json: bool, schema: &str, label: &str, message: &str) -> ExitCode {
    eprintln!("kerascope: {label}: {message}");
    if json {
        println!(
            "{}",
            pretty(&kerascope::report::ErrorDocument::new(
                schema, label, message
            ))
        );
    }
    ExitCode::from(EXIT_ERROR)
}

fn check_paths(args: &CheckArgs, config: Option<Value>, global: &GlobalArgs) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            match cli::input::file_or_stdin(path, 256 << 20, "a baseline is at most 256 MiB")
                .and_then(|bytes| Baseline::parse(&String::from_utf8_lossy(&bytes)))
            {
                Ok(baseline) => Some(baseline),
                Err(e) => {
                    eprintln!("kerascope: {}: {e}", path.display());
                    return ExitCode::from(EXIT_ERROR);
                }
            }
        }
    };
    let stdin = if args.paths.iter().any(|p| p.as_os_str() == "-") {
        match args.limits.stdin() {
            Ok(source) => Some(source),
            Err(e) => {
                eprintln!("kerascope: -: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
    } else {
        None
    };
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
        filter: Arc::new(FindingFilter {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            baseline,
        }),
        stdin,
        compat_target: args.target.map(TargetArg::target),
        shard: args.shard,
    };
    let (remote_paths, local_paths): (Vec<PathBuf>, Vec<PathBuf>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| remote::is_remote_path(p));
    if args.deep && !remote_paths.is_empty() {
        eprintln!("kerascope: --deep reads tensor values: it scans local files only");
        return ExitCode::from(EXIT_ERROR);
    }
    let show_progress = !args.no_progress && !global.quiet && std::io::stderr().is_terminal();
    let single_file = args.paths.len() == 1
        && !args.paths[0].is_dir()
        && !remote::is_remote_prefix(&args.paths[0]);
    let show = args
        .show
        .map(SeverityArg::severity)
        .unwrap_or(if single_file {
            Severity::Info
        } else {
            Severity::Warning
        });
    let color = global.color.enabled(std::io::stdout().is_terminal());
    let progress = indicatif::ProgressBar::hidden();
    let stdout = Mutex::new(std::io::stdout());
    let on_discovered = |count: usize| {
        // Local and remote files are discovered apart: the bar counts them all.
        let count = progress.length().unwrap_or(0) + count as u64;
        progress.set_length(count);
        if show_progress && count > 1 {
            progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            progress.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        }
    };
    let on_result = |result: &FileResult| {
        progress.inc(1);
        match result.fetched {
            // Remote scans count bytes too: they are what costs.
            Some(_) => progress.set_message(format!(
                "{} fetched · {}",
                summary::keras_bytes(remote::fetched_total().bytes, summary::Style::Keras3),
                result.path.display()
            )),
            None => progress.set_message(result.path.display().to_string()),
        }
        // Text and Markdown reports carry each unreadable file themselves; machine
        // formats get one line on stderr for the people watching.
        let in_report = matches!(args.format, CheckFormat::Text | CheckFormat::Markdown);
        if let (false, false, Some(problem)) = (in_report, global.quiet, result.outcome.problem()) {
            progress.suspend(|| eprintln!("kerascope: {}: {problem}", result.path.display()));
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
    };
    let mut results = Vec::new();
    if !local_paths.is_empty() {
        results = scan::scan(&local_paths, &options, on_discovered, on_result);
    }
    if !remote_paths.is_empty() {
        results.extend(remote::scan(
            &remote_paths,
            &options,
            args.remote.settings(),
            args.remote.remote_concurrency,
            on_discovered,
            on_result,
        ));
    }
    progress.finish_and_clear();
    if let Some(path) = &args.write_baseline {
        let mut baseline = Baseline::new();
        for result in &results {
            if let scan::Outcome::Analysed(report) = &result.outcome {
                for finding in &report.findings {
                    baseline.add(&result.path.display().to_string(), finding);
                }
            }
        }
        if let Err(e) = std::fs::write(path, baseline.to_json() + "\n") {
            eprintln!("kerascope: {}: {e}", path.display());
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let fail_on = match args.write_baseline {
        Some(_) => None,
        None => args.fail_on.severity(),
    };
    let verdict = Verdict::of(&results, fail_on, args.exit_zero);
    let table = results.len() > 1 && !global.quiet;
    match args.format {
        CheckFormat::Json => println!("{}", check::document(&results)),
        CheckFormat::Sarif => println!("{}", pretty(&sarif::log(&results))),
        CheckFormat::Markdown => print!("{}", check::markdown(&results, show)),
        CheckFormat::Text => print!(
            "{}",
            check_text(&results, show, color, global.quiet, &verdict)
        ),
        CheckFormat::Ndjson => {
            if table {
                eprint!("{}", check::summary_table(&results));
                eprintln!("exit {}: {}", verdict.exit, verdict.reason);
            }
        }
    }
    // An empty scan is said on stderr whatever the format: silence reads as "all clean".
    if verdict.exit == EXIT_NOTHING && !(table && args.format == CheckFormat::Text) {
        let roots: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        let totals = check::Totals::of(&results);
        eprintln!(
            "kerascope: no Keras files found in {}: {} looked at, {} skipped",
            roots.join(", "),
            totals.files,
            totals.skipped
        );
    }
    ExitCode::from(verdict.exit)
}

/// `check`'s text report: each file (clean ones left out when quiet), then the closing
/// table and the exit line when more than one file was scanned.
pub fn check_text(
    results: &[FileResult],
    show: Severity,
    color: bool,
    quiet: bool,
    verdict: &Verdict,
) -> String {
    let mut out = String::new();
    for result in results {
        if quiet && check::Status::of(result) == check::Status::Clean {
            continue;
        }
        out += &check::file_text(result, show, color);
    }
    if results.len() > 1 && !quiet {
        out += &format!("\n{}", check::summary_table(results));
        out += &format!("exit {}: {}\n", verdict.exit, verdict.reason);
    }
    out
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// How `summary` draws its table.
struct SummaryOptions {
    style: SummaryStyle,
    explain: bool,
    expand_nested: bool,
    width: Option<usize>,
}

fn summarize(
    path: &Path,
    format: OutputFormat,
    options: SummaryOptions,
    config: Option<Value>,
    limits: &LimitArgs,
    global: &GlobalArgs,
) -> ExitCode {
    use std::io::IsTerminal;
    let SummaryOptions {
        style,
        explain,
        expand_nested,
        width,
    } = options;
    let label = path.display().to_string();
    let analysis = match analyse(path, limits, config) {
        Ok(a) => a,
        Err(e) => return failure(format == OutputFormat::Json, summary::SCHEMA, &label, &e),
    };
    let built = summary::build(&analysis);
    let tty = std::io::stdout().is_terminal();
    match format {
        OutputFormat::Json => {
            let doc = summary::document(&label, &analysis, &built);
            println!("{}", pretty(&doc));
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
                color: global.color.enabled(tty),
            };
            print!("{}", summary::render(&built, &options));
            print!("{}", summary_findings(&analysis));
        }
    }
    ExitCode::SUCCESS
}

/// The warnings and errors printed under the summary table, one line each.
pub fn summary_findings(analysis: &Analysis) -> String {
    let mut out = String::new();
    let problems = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning);
    for f in problems {
        let layer = f
            .layer
            .as_deref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        out += &format!(" {} {} {layer}{}\n", f.code, f.severity.as_str(), f.message);
    }
    out
}

fn formula(
    class: Option<&str>,
    args: &[String],
    list: bool,
    keys: bool,
    dialect: DialectArg,
    format: PlainFormat,
) -> ExitCode {
    let json = format == PlainFormat::Json;
    if list {
        let classes = report_formula::classes();
        if json {
            println!(
                "{}",
                pretty(&json!({"schema": report_formula::SCHEMA, "classes": classes}))
            );
        } else {
            for class in classes {
                println!("{class}");
            }
        }
        return ExitCode::SUCCESS;
    }
    let dialect = match dialect {
        DialectArg::Keras1 => Dialect::Keras1,
        DialectArg::Keras2 => Dialect::Keras2,
        DialectArg::TfKeras => Dialect::TfKeras,
        DialectArg::Keras3 => Dialect::Keras3,
    };
    let class = class.unwrap_or_default();
    let answer = if keys {
        report_formula::keys(class, dialect)
    } else {
        report_formula::compute(class, args, dialect)
    };
    match answer {
        Ok(answer) if json => {
            println!("{}", pretty(&answer.to_json()));
            ExitCode::SUCCESS
        }
        Ok(answer) => {
            print!("{}", answer.to_text());
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    pretty(&json!({"schema": report_formula::SCHEMA, "error": {"message": e}}))
                );
            }
            eprintln!("kerascope: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn explain_rule(code: Option<&str>, format: PlainFormat) -> ExitCode {
    let json = format == PlainFormat::Json;
    match (rule_json(code), json) {
        (Ok(doc), true) => println!("{}", pretty(&doc)),
        (Ok(_), false) => print!("{}", rule_text(code).unwrap_or_default()),
        (Err(message), _) => {
            if json {
                println!(
                    "{}",
                    pretty(&json!({"schema": RULE_SCHEMA, "error": {"message": message}}))
                );
            }
            eprintln!("kerascope: {message}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    ExitCode::SUCCESS
}

/// `rule --format json`: every code, or one; an unknown code is an error message.
pub fn rule_json(code: Option<&str>) -> Result<Value, String> {
    match code {
        None => Ok(json!({"schema": RULE_SCHEMA, "rules": registry::docs()})),
        Some(code) => registry::doc(code)
            .map(|d| json!({"schema": RULE_SCHEMA, "rules": [d]}))
            .ok_or_else(|| unknown_rule(code)),
    }
}

/// `rule` as text: one line per code, or one code in full.
pub fn rule_text(code: Option<&str>) -> Result<String, String> {
    let Some(code) = code else {
        let lines = registry::docs().into_iter().map(|d| {
            format!(
                "{}  {:8} {:24} {}\n",
                d.code,
                d.severity.as_str(),
                d.name,
                d.summary
            )
        });
        return Ok(lines.collect());
    };
    let d = registry::doc(code).ok_or_else(|| unknown_rule(code))?;
    Ok(format!(
        "{} {} ({})\n\nWhat it finds: {}\n\nWhy it matters: {}\n\nExample: {}\n",
        d.code,
        d.name,
        d.severity.as_str(),
        d.summary,
        d.why,
        d.example
    ))
}

fn unknown_rule(code: &str) -> String {
    format!("no finding code {code:?} (`kerascope rule` lists them)")
}

/// Version of the `rule --format json` document.
pub const RULE_SCHEMA: &str = "kerascope.rule/1";

fn terminal_width(tty: bool) -> usize {
    if !tty {
        return 80;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

fn inspect_files(files: &[PathBuf], format: InspectFormat, limits: &LimitArgs) -> ExitCode {
    let mut failed = false;
    let mut read_files = Vec::new();
    for path in files {
        let label = path.display().to_string();
        let read = if path.as_os_str() == "-" {
            limits.stdin().and_then(|source| {
                read_source(&source, None, &limits.limits()).map_err(|e| e.to_string())
            })
        } else if remote::is_remote_path(path) {
            remote::open(&path.to_string_lossy(), remote::Settings::default()).and_then(|source| {
                read_source(&source, None, &limits.limits()).map_err(|e| e.to_string())
            })
        } else {
            read_path(path, &limits.limits()).map_err(|e| e.to_string())
        };
        if let Err(e) = &read {
            eprintln!("kerascope: {label}: {e}");
            failed = true;
        }
        match (format, read) {
            (InspectFormat::Text, Ok(file)) => print!("{}", inspect::to_text(&label, &file)),
            (InspectFormat::Text, Err(_)) => {}
            (InspectFormat::Json, read) => read_files.push((label, read)),
        }
    }
    if format == InspectFormat::Json {
        let entries = read_files
            .iter()
            .map(|(label, read)| match read {
                Ok(file) => inspect::InspectEntry::Read(Box::new(inspect::file_entry(label, file))),
                Err(error) => inspect::InspectEntry::Failed { file: label, error },
            })
            .collect();
        println!("{}", pretty(&inspect::InspectDocument::new(entries)));
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
    file: Option<&Path>,
    (summary_path, max_summary_bytes): (&Path, u64),
    config: Option<Value>,
    format: PlainFormat,
    limits: &LimitArgs,
) -> ExitCode {
    use kerascope::report::verify::{FileLabel, document, to_text};
    use kerascope::verify::SCHEMA;
    let json = format == PlainFormat::Json;
    let summary_label = summary_path.display().to_string();
    let text =
        match cli::input::file_or_stdin(summary_path, max_summary_bytes, "--max-summary-bytes") {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => return failure(json, SCHEMA, &summary_label, &e),
        };
    let printed = match kerascope::verify::parse(&text) {
        Ok(p) => p,
        Err(e) => return failure(json, SCHEMA, &summary_label, &e.to_string()),
    };
    let (verification, analysis, file_label) = match file {
        Some(path) => match analyse(path, limits, config) {
            Ok(analysis) => (
                kerascope::verify::against_file(&printed, &analysis),
                Some(analysis),
                path.display().to_string(),
            ),
            Err(e) => return failure(json, SCHEMA, &path.display().to_string(), &e),
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
    if json {
        println!(
            "{}",
            pretty(&document(&summary_label, label.as_ref(), &verification))
        );
    } else {
        print!("{}", to_text(&summary_label, label.as_ref(), &verification));
    }
    if verification.matches() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// `diff`: 0 equivalent, 1 different, 2 a file could not be read.
fn diff_files(a: &Path, b: &Path, format: PlainFormat, limits: &LimitArgs) -> ExitCode {
    use kerascope::diff::SCHEMA;
    use kerascope::report::diff::{document, to_text};
    let json = format == PlainFormat::Json;
    let mut analyses = Vec::new();
    for path in [a, b] {
        match analyse(path, limits, None) {
            Ok(analysis) => analyses.push(analysis),
            Err(e) => return failure(json, SCHEMA, &path.display().to_string(), &e),
        }
    }
    let compared = kerascope::diff::diff(&analyses[0], &analyses[1]);
    let (label_a, label_b) = (a.display().to_string(), b.display().to_string());
    if json {
        println!("{}", pretty(&document(&label_a, &label_b, &compared)));
    } else {
        print!("{}", to_text(&label_a, &label_b, &compared));
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
    output: Option<&std::path::Path>,
    format: Option<kerascope::upgrade::OutputFormat>,
    allow_findings: bool,
) -> ExitCode {
    use kerascope::upgrade::{OutputFormat, Refusal, default_output, upgrade_to};
    let (output, format) = match (output, format) {
        (Some(output), Some(format)) => (output.to_path_buf(), format),
        (Some(output), None) => match OutputFormat::from_name(output) {
            Some(format) => (output.to_path_buf(), format),
            None => {
                eprintln!(
                    "kerascope: {}: the name says no format: end it in .keras or .h5, or give --output-format",
                    output.display()
                );
                return ExitCode::from(EXIT_ERROR);
            }
        },
        (None, format) => {
            let format = format.unwrap_or(OutputFormat::Keras);
            let output = default_output(input, format);
            if output.exists() {
                eprintln!(
                    "kerascope: {} exists: not overwritten (give -o to choose the copy's name)",
                    output.display()
                );
                return ExitCode::from(EXIT_ERROR);
            }
            (output, format)
        }
    };
    let output = output.as_path();
    if input == output {
        eprintln!("kerascope: upgrade writes a copy: give another output path");
        return ExitCode::from(EXIT_ERROR);
    }
    match upgrade_to(input, output, format, allow_findings) {
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
