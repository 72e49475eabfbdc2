//! When to colour: `--color auto|always|never`, with the conventions of ripgrep and ruff.

use clap::ValueEnum;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE or FORCE_COLOR force it.
    Auto,
    /// Always, even when piped.
    Always,
    /// Never.
    Never,
}

fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

impl ColorChoice {
    /// Whether to colour a stream that is (or not) a terminal. NO_COLOR wins over the
    /// variables that force colour (no-color.org); `--color` wins over both.
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE") || set("FORCE_COLOR") => true,
            ColorChoice::Auto => terminal,
        }
    }
}
