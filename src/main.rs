//! The `kerascope` command: argument parsing and dispatch only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use kerascope::Limits;
use kerascope::format::read_path;
use kerascope::report::inspect;

#[derive(Parser)]
#[command(
    name = "kerascope",
    version,
    about = "Open Keras model files and tell the truth about them"
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
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// Exit statuses: 0 clean, 1 findings, 2 a file could not be read.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { files, format } => inspect_files(&files, format),
    }
}

fn inspect_files(files: &[PathBuf], format: OutputFormat) -> ExitCode {
    let limits = Limits::default();
    let mut failed = false;
    let mut documents = Vec::new();
    for path in files {
        let label = path.display().to_string();
        match read_path(path, &limits) {
            Ok(file) => match format {
                OutputFormat::Text => print!("{}", inspect::to_text(&label, &file)),
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
