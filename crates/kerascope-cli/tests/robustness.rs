//! The hostile-input suite: pathological files (`fixtures/robustness/`, made by
//! `scripts/make_robustness.py`) and inputs built here in memory (configs nested 10,000 deep,
//! a Sequential of 1,000,000 layers, zips of 10,001 members). For each, kerascope's library
//! (`read_source`, then `analyze`) must end with Ok or a clean Err, within a time bound and a
//! memory bound, and never panic.
//!
//! Each case runs in a child process: this test binary re-executed on that one test, with
//! `KERASCOPE_ROBUSTNESS_CASE` set. In-process threads (a channel and `recv_timeout`) were the
//! first idea, but they cannot cover the failures that matter most here: a stack overflow or
//! an allocation failure aborts the whole process (every other case with it, and with no
//! verdict for the one that did it), a hung thread cannot be stopped and would keep one of the
//! two cores busy for the rest of the run, and `VmHWM` (peak RSS) cannot be reset, so in one
//! process a case's peak is hidden by an earlier case's. A child gives each case its own
//! verdict (exit status, panic message and backtrace), its own peak RSS, and a kill on time or
//! memory. The parent samples the child's `VmRSS` every few milliseconds and kills it past the
//! bound; the child reports its own `VmHWM` at the end, which catches short spikes.
//!
//! Inside the child the work runs on a thread with a 2 MiB stack: the stack `scan` worker
//! threads get, smaller than a main thread's, so deep recursion shows here first.
//!
//! Every case prints one line to stderr (`cargo test --test robustness -- --nocapture` shows
//! them): outcome, time, peak RSS. Cases that currently misbehave are `#[ignore]`d with the
//! reason; `cargo test --test robustness -- --ignored --nocapture` runs them.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kerascope::bind::read_source;
use kerascope::container::source::Source;
use kerascope::layers::Dialect;
use kerascope::{Limits, analyze, graph, shape};
use kerascope_cli::scan::{Outcome, ScanOptions, scan};
use serde_json::Value;

const CHILD_ENV: &str = "KERASCOPE_ROBUSTNESS_CASE";

const MIB: u64 = 1 << 20;

/// Time for one file: debug build, two shared cores, another case running beside it. Every
/// file here is read in well under a second when kerascope bounds its work.
const FILE_TIME: Duration = Duration::from_secs(10);

/// Peak RSS of the child for one file case. The child starts at ~10 MiB; the inputs are below
/// 2 MiB on disk, and the most kerascope may legitimately hold for one of them is a 16 MiB
/// inflated zip member plus its own metadata. 256 MiB is an order of magnitude above that and
/// two below what the declared sizes in these files would cost (100 MB attributes, 4 GiB zip
/// members, 10⁸ strings), so crossing it means an allocation followed a declared size.
const FILE_RSS: u64 = 256 * MIB;

fn robustness_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures/robustness")
}

/// Where the generator put the files too large to commit as they are.
const PACKED: &str = "packed_hdf5.zip";

/// A case's bounds.
#[derive(Clone, Copy)]
struct Bounds {
    time: Duration,
    rss: u64,
}

const FILE_BOUNDS: Bounds = Bounds {
    time: FILE_TIME,
    rss: FILE_RSS,
};

/// The bounds times `KERASCOPE_ROBUSTNESS_SCALE` (default 1): to measure an ignored case that
/// overruns them (`KERASCOPE_ROBUSTNESS_SCALE=20 cargo test --test robustness -- --ignored
/// --nocapture`), or for a much slower machine.
fn scaled(bounds: Bounds) -> Bounds {
    let scale: f64 = std::env::var("KERASCOPE_ROBUSTNESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0);
    Bounds {
        time: bounds.time.mul_f64(scale),
        rss: (bounds.rss as f64 * scale) as u64,
    }
}

/// `VmRSS` / `VmHWM` of a process, in bytes.
fn proc_status(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

/// One line, at most `max` characters (error messages may quote a 100 KB name).
fn clip(text: &str, max: usize) -> String {
    let line = text.replace('\n', " ⏎ ");
    if line.chars().count() <= max {
        line
    } else {
        format!("{}…", line.chars().take(max).collect::<String>())
    }
}

/// Runs `body` in a child process (see the module comment) and asserts that it succeeds within
/// `bounds`. In the child, runs it and reports. `name` must be the test function's name.
fn isolated(name: &str, bounds: Bounds, body: impl FnOnce() -> String + Send + 'static) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        return run_as_child(body);
    }
    let bounds = scaled(bounds);
    let exe = std::env::current_exe().expect("test binary path");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args([
            name,
            "--exact",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, name)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the child test process");
    let pid = child.id().to_string();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let mut sampled_peak = 0u64;
    let mut killed: Option<String> = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        let rss = proc_status(&pid, "VmRSS:").unwrap_or(0);
        sampled_peak = sampled_peak.max(rss);
        if rss > bounds.rss && killed.is_none() {
            killed = Some(format!(
                "killed: RSS {} over the {} bound",
                mib(rss),
                mib(bounds.rss)
            ));
            let _ = child.kill();
        } else if started.elapsed() > bounds.time && killed.is_none() {
            killed = Some(format!(
                "killed: still running after {:.1} s (bound {:.0} s)",
                started.elapsed().as_secs_f64(),
                bounds.time.as_secs_f64()
            ));
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    let wall = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let report = |key: &str| -> Option<String> {
        stdout
            .lines()
            .find_map(|l| l.split_once(&format!("@@robustness {key}=")))
            .map(|(_, value)| value.to_string())
    };
    let peak = report("vmhwm")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(sampled_peak)
        .max(sampled_peak);
    let work_ms = report("work_ms").unwrap_or_else(|| "?".into());
    let outcome = report("outcome").unwrap_or_else(|| "<none>".into());
    eprintln!(
        "robustness {name}: {} | work {work_ms} ms, child {:.0} ms | peak RSS {}",
        clip(&outcome, 160),
        wall.as_secs_f64() * 1000.0,
        mib(peak)
    );
    let tail = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        chars[chars.len().saturating_sub(6000)..]
            .iter()
            .collect::<String>()
    };
    if let Some(why) = killed {
        panic!(
            "{name}: {why}\n--- child stdout ---\n{}\n--- child stderr ---\n{}",
            tail(&stdout),
            tail(&stderr)
        );
    }
    assert!(
        status.success(),
        "{name}: the child failed ({status}): a panic, an abort or a stack overflow\n--- child stdout ---\n{}\n--- child stderr ---\n{}",
        tail(&stdout),
        tail(&stderr)
    );
    assert!(
        report("outcome").is_some(),
        "{name}: the child ran no case (is the test name right?)\n{}",
        tail(&stdout)
    );
    assert!(
        peak <= bounds.rss,
        "{name}: peak RSS {} over the {} bound",
        mib(peak),
        mib(bounds.rss)
    );
}

fn run_as_child(body: impl FnOnce() -> String + Send + 'static) {
    let started = Instant::now();
    let worker = std::thread::Builder::new()
        .name("robustness-case".into())
        .stack_size(2 << 20)
        .spawn(body)
        .expect("cannot start the case thread");
    let outcome = match worker.join() {
        Ok(outcome) => outcome,
        // The panic message and backtrace are already on stderr.
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let work = started.elapsed();
    println!("@@robustness outcome={}", clip(&outcome, 400));
    println!("@@robustness work_ms={}", work.as_millis());
    println!(
        "@@robustness vmhwm={}",
        proc_status("self", "VmHWM:").unwrap_or(0)
    );
}

// ---- file cases ---------------------------------------------------------------------------

/// What a file case must end with.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Ok or a clean Err.
    Any,
    /// A clean Err: reading it can only be refused (a 4 GiB member, an empty file...).
    Refused,
}

/// The bytes of a fixture: from the folder, or from the packed archive.
fn fixture_source(name: &str) -> Source {
    let path = robustness_dir().join(name);
    if path.exists() {
        return Source::open(&path).expect("fixture readable");
    }
    let packed = std::fs::read(robustness_dir().join(PACKED)).expect("packed fixtures");
    let mut archive = zip::ZipArchive::new(Cursor::new(packed)).expect("packed zip");
    let mut member = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} is neither in the folder nor in {PACKED}"));
    let mut bytes = Vec::new();
    member.read_to_end(&mut bytes).expect("inflate");
    Source::from_vec(bytes)
}

/// `read_source`, then `analyze` when the read succeeds; a one-line summary.
fn read_and_analyse(source: &Source, path: Option<&Path>) -> (bool, String) {
    match read_source(source, path, &Limits::default()) {
        Ok(file) => {
            let format = file.format;
            let tensors = file.tensors.len();
            let hazards = file.hdf5_hazards.len();
            let analysis = analyze(file);
            let mut codes: Vec<&str> = analysis.findings.iter().map(|f| f.code).collect();
            codes.sort_unstable();
            codes.dedup();
            (
                true,
                format!(
                    "Ok {format:?}: {tensors} tensors, {hazards} hazards, {} findings [{}]",
                    analysis.findings.len(),
                    codes.join(" ")
                ),
            )
        }
        Err(e) => (false, format!("Err {e}")),
    }
}

fn file_case(test: &str, file: &'static str, expect: Expect) {
    isolated(test, FILE_BOUNDS, move || {
        let source = fixture_source(file);
        let path = robustness_dir().join(file);
        let (ok, summary) = read_and_analyse(&source, Some(&path));
        if expect == Expect::Refused {
            assert!(!ok, "{file} must be refused, got {summary}");
        }
        summary
    });
}

macro_rules! file_cases {
    ($($(#[$meta:meta])* $test:ident: $file:literal, $expect:ident;)*) => {
        $(
            #[test]
            $(#[$meta])*
            fn $test() {
                file_case(stringify!($test), $file, Expect::$expect);
            }
        )*
        /// Every file case, for the check that no fixture is left untested.
        const FILE_CASES: &[&str] = &[$($file),*];
    };
}

file_cases! {
    // 1. cycles
    cycle_hardlink_model_weights: "cycle_hardlink_model_weights.h5", Any;
    cycle_hardlink_root: "cycle_hardlink_root.h5", Any;
    cycle_weight_name_path: "cycle_weight_name_path.h5", Any;
    cycle_softlinks: "cycle_softlinks.h5", Any;
    cycle_external_link_self: "cycle_external_link_self.h5", Any;
    // 2. depth
    deep_groups_300: "deep_groups_300.h5", Any;
    deep_groups_2000: "deep_groups_2000.h5", Any;
    deep_weight_name_60: "deep_weight_name_60.h5", Any;
    // 3. many attributes
    attrs_20000_root: "attrs_20000_root.h5", Any;
    attrs_16000_root: "attrs_16000_root.h5", Any;
    attrs_20000_layer_group: "attrs_20000_layer_group.h5", Any;
    attrs_20000_weight_names_chunks: "attrs_20000_weight_names_chunks.h5", Any;
    attrs_20000_layer_names_chunks: "attrs_20000_layer_names_chunks.h5", Any;
    attrs_7000_weight_names_chunks: "attrs_7000_weight_names_chunks.h5", Any;
    attrs_7000_layer_names_chunks: "attrs_7000_layer_names_chunks.h5", Any;
    // 4. huge attributes, declared
    attr_declares_100m_uint8: "attr_declares_100m_uint8.h5", Any;
    attr_model_config_declares_100m: "attr_model_config_declares_100m.h5", Any;
    attr_layer_names_vlen_declares_100m: "attr_layer_names_vlen_declares_100m.h5", Any;
    attr_string_size_4g: "attr_string_size_4g.h5", Any;
    attr_vlen_length_4g: "attr_vlen_length_4g.h5", Any;
    attr_model_config_100kb: "attr_model_config_100kb.h5", Any;
    // 5. nested configs
    config_nested_10000_h5: "config_nested_10000.h5", Refused;
    config_nested_10000_keras: "config_nested_10000.keras", Refused;
    config_nested_models_41: "config_nested_models_41.h5", Any;
    config_nested_models_43: "config_nested_models_43.h5", Refused;
    // hostile config values
    config_huge_dims: "config_huge_dims.h5", Any;
    // HDF5 structures that loop, lie about sizes, or nest datatypes
    hdf5_continuation_loop: "hdf5_continuation_loop.h5", Any;
    hdf5_btree_self_loop: "hdf5_btree_self_loop.h5", Any;
    hdf5_btree_entries_65535: "hdf5_btree_entries_65535.h5", Any;
    hdf5_symbol_node_count_65535: "hdf5_symbol_node_count_65535.h5", Any;
    hdf5_local_heap_2pow40: "hdf5_local_heap_2pow40.h5", Any;
    hdf5_global_heap_2pow40: "hdf5_global_heap_2pow40.h5", Any;
    hdf5_global_heap_2pow62: "hdf5_global_heap_2pow62.h5", Any;
    attr_datatype_nested_vlen_6000: "attr_datatype_nested_vlen_6000.h5", Any;
    attr_datatype_nested_array_2500: "attr_datatype_nested_array_2500.h5", Any;
    attr_datatype_array_dims_overflow: "attr_datatype_array_dims_overflow.h5", Any;
    attr_rank_255: "attr_rank_255.h5", Any;
    config_64mib_numbers: "config_64mib_numbers.keras", Any;
    // 7. zip bombs
    zip_declares_4g_config: "zip_declares_4g_config.keras", Refused;
    zip_declares_4g_weights: "zip_declares_4g_weights.keras", Refused;
    zip_ratio_64m_config: "zip_ratio_64m_config.keras", Refused;
    zip_understates_64m: "zip_understates_64m.keras", Refused;
    zip_ratio_16m_weights: "zip_ratio_16m_weights.keras", Refused;
    zip_overlapping_members: "zip_overlapping_members.keras", Any;
    zip64_declares_2pow60_entries: "zip64_declares_2pow60_entries.keras", Any;
    zip64_declares_2pow60_directory: "zip64_declares_2pow60_directory.keras", Refused;
    zip_eocd_only: "zip_eocd_only.keras", Refused;
    zip_eocd_claims_65535: "zip_eocd_claims_65535.keras", Refused;
    // 8, 9. huge shapes
    dims_overflow_u64: "dims_overflow_u64.h5", Any;
    dims_2pow60_contiguous: "dims_2pow60_contiguous.h5", Any;
    dims_2pow60_float64_bias: "dims_2pow60_float64_bias.h5", Any;
    dims_u64_max_patched: "dims_u64_max_patched.h5", Any;
    dims_rank_32: "dims_rank_32.h5", Any;
    dims_2pow60_keras3_weights: "dims_2pow60_keras3.weights.h5", Any;
    keras3_vars_4096: "keras3_vars_4096.weights.h5", Any;
    // 10. truncated and tiny
    empty_h5: "empty.h5", Refused;
    empty_keras: "empty.keras", Refused;
    hdf5_signature_only: "hdf5_signature_only.h5", Refused;
    hdf5_superblock_only: "hdf5_superblock_only.h5", Refused;
    hdf5_superblock_eof_2pow63: "hdf5_superblock_eof_2pow63.h5", Any;
    truncated_half_h5: "truncated_half.h5", Refused;
    truncated_at_2k_h5: "truncated_at_2k.h5", Refused;
    truncated_half_keras: "truncated_half.keras", Refused;
    keras_weights_member_truncated: "keras_weights_member_truncated.keras", Refused;
    // The archive of packed fixtures is itself an input: a zip without config.json.
    packed_archive_itself: "packed_hdf5.zip", Refused;
}

/// Every file the generator wrote has a case above (a new fixture cannot go untested).
#[test]
fn every_fixture_has_a_case() {
    let mut names: Vec<String> = std::fs::read_dir(robustness_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    let packed = std::fs::read(robustness_dir().join(PACKED)).unwrap();
    let archive = zip::ZipArchive::new(Cursor::new(packed)).unwrap();
    names.extend(archive.file_names().map(|n| n.unwrap().into_owned()));
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !FILE_CASES.contains(&n.as_str()))
        .collect();
    assert!(missing.is_empty(), "fixtures without a case: {missing:?}");
}

// ---- inputs built at test time ------------------------------------------------------------

/// A `.keras` archive in memory: `(name, bytes, deflated)` members.
fn keras_zip(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, deflated) in members {
        let method = if *deflated {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn metadata(keras_version: &str) -> Vec<u8> {
    format!(r#"{{"keras_version": "{keras_version}", "date_saved": "2024-01-01@00:00:00"}}"#)
        .into_bytes()
}

/// `{"class_name": "Sequential", "config": [[[[...]]]]}`, `depth` arrays deep.
fn nested_arrays(depth: usize) -> String {
    let mut text = String::with_capacity(2 * depth + 48);
    text.push_str(r#"{"class_name": "Sequential", "config": "#);
    text.extend(std::iter::repeat_n('[', depth));
    text.extend(std::iter::repeat_n(']', depth));
    text.push('}');
    text
}

/// A config nested 10,000 (and 100,000) deep, through serde_json, kerascope's JSON entry point,
/// the graph parser, and as the config.json of a `.keras` archive.
#[test]
fn config_nested_deep_built_in_memory() {
    isolated("config_nested_deep_built_in_memory", FILE_BOUNDS, || {
        let mut out = Vec::new();
        for depth in [10_000, 100_000] {
            let text = nested_arrays(depth);
            let parsed = serde_json::from_str::<Value>(&text);
            if let Ok(value) = &parsed {
                let _ = graph::parse_model(value, Dialect::TfKeras);
            }
            let via_kerascope =
                kerascope::format::parse_json(text.as_bytes(), "config", &Limits::default());
            let archive = keras_zip(&[
                ("metadata.json", &metadata("3.15.1"), true),
                ("config.json", text.as_bytes(), true),
            ]);
            let (_, summary) = read_and_analyse(&Source::from_vec(archive), None);
            out.push(format!(
                "{depth}: serde {}, parse_json {}, .keras {}",
                if parsed.is_ok() { "Ok" } else { "Err" },
                if via_kerascope.is_ok() { "Ok" } else { "Err" },
                clip(&summary, 80)
            ));
        }
        out.join("; ")
    });
}

/// `n` Dense layers after an InputLayer, as Keras 2 writes a Sequential config.
fn sequential_config(n: usize) -> String {
    let mut text = String::with_capacity(n * 64 + 256);
    text.push_str(r#"{"class_name": "Sequential", "config": {"name": "big", "layers": ["#);
    text.push_str(
        r#"{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "in"}}"#,
    );
    for i in 0..n {
        text.push_str(&format!(
            r#",{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}"#
        ));
    }
    text.push_str("]}}");
    text
}

/// Bounds of the million-layer cases: the config text is ~60 MB and its parsed JSON several
/// times that (every layer is two ordered maps); a parsed graph copies each layer's config.
const MILLION_BOUNDS: Bounds = Bounds {
    time: Duration::from_secs(20),
    rss: 3 << 30,
};

/// A Sequential of 1,000,000 Dense layers: parsed into a graph and run through shape inference
/// directly (the `max_layers` limit of `analyze` would refuse it). Must stay linear.
#[test]
#[ignore = "linear but ~20 s and 2.7 GiB in a debug build: over the suite budget (sequential_layers_scale_linearly checks the growth)"]
fn sequential_1m_layers_parse_and_shapes() {
    isolated(
        "sequential_1m_layers_parse_and_shapes",
        MILLION_BOUNDS,
        || {
            let t = Instant::now();
            let text = sequential_config(1_000_000);
            let built = t.elapsed();
            let value: Value = serde_json::from_str(&text).expect("valid JSON");
            drop(text);
            let parsed_json = t.elapsed();
            let model = graph::parse_model(&value, Dialect::TfKeras).expect("a model");
            let parsed_model = t.elapsed();
            let result = shape::analyze(&model, Dialect::TfKeras, &[], &shape::nothing_stored);
            let shapes = t.elapsed();
            assert_eq!(result.layers.len(), 1_000_000);
            format!(
                "{} layers, output {:?}; text {} ms, serde_json {} ms, parse_model {} ms, shape::analyze {} ms",
                model.layers.len(),
                result.output_shapes,
                built.as_millis(),
                (parsed_json - built).as_millis(),
                (parsed_model - parsed_json).as_millis(),
                (shapes - parsed_model).as_millis()
            )
        },
    );
}

/// Graph parsing and shape inference grow linearly with the number of layers: 4× the layers
/// must cost well under 16× the time (a quadratic step would cost 16×; the bound is 10×). Each
/// size is timed three times and the fastest run kept, against noise from the case running
/// beside it.
#[test]
fn sequential_layers_scale_linearly() {
    isolated(
        "sequential_layers_scale_linearly",
        Bounds {
            time: Duration::from_secs(30),
            rss: MIB << 10,
        },
        || {
            let time = |n: usize| -> Duration {
                let value: Value = serde_json::from_str(&sequential_config(n)).unwrap();
                (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        let model = graph::parse_model(&value, Dialect::TfKeras).unwrap();
                        let result =
                            shape::analyze(&model, Dialect::TfKeras, &[], &shape::nothing_stored);
                        assert_eq!(result.layers.len(), n);
                        t.elapsed()
                    })
                    .min()
                    .unwrap()
            };
            let small = time(20_000);
            let large = time(80_000);
            let ratio = large.as_secs_f64() / small.as_secs_f64();
            assert!(
                ratio < 10.0,
                "80,000 layers took {ratio:.1}× as long as 20,000 ({small:?} → {large:?})"
            );
            format!("20,000 layers {small:?}, 80,000 layers {large:?}: ×{ratio:.1}")
        },
    );
}

/// The same million layers as the `config.json` of a `.keras`: read, then refused by
/// `max_layers` in `analyze` (a finding), in bounded time and memory.
#[test]
fn keras_zip_1m_layers() {
    isolated("keras_zip_1m_layers", MILLION_BOUNDS, || {
        let archive = keras_zip(&[
            ("metadata.json", &metadata("2.15.0"), true),
            (
                "config.json",
                sequential_config(1_000_000).as_bytes(),
                false,
            ),
        ]);
        let size = archive.len();
        let t = Instant::now();
        let (_, summary) = read_and_analyse(&Source::from_vec(archive), None);
        format!(
            "{size} B archive: {summary} ({} ms)",
            t.elapsed().as_millis()
        )
    });
}

/// 100,000 layers (the `max_layers` default), through every step of `analyze`.
#[test]
fn keras_zip_100k_layers() {
    isolated(
        "keras_zip_100k_layers",
        Bounds {
            time: Duration::from_secs(15),
            rss: MIB << 10,
        },
        || {
            let archive = keras_zip(&[
                ("metadata.json", &metadata("2.15.0"), true),
                ("config.json", sequential_config(99_998).as_bytes(), false),
            ]);
            let t = Instant::now();
            let summary = read_and_analyse(&Source::from_vec(archive), None).1;
            format!("{summary} ({} ms)", t.elapsed().as_millis())
        },
    );
}

/// `n` Dense layers and no input shape anywhere: every layer's input is unknown, and the
/// analysis looks at the layer's stored tensors to recover it.
fn sequential_without_input(n: usize) -> String {
    let mut text = String::with_capacity(n * 64 + 256);
    text.push_str(r#"{"class_name":"Sequential","config":{"name":"big","layers":["#);
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}"#
        ));
    }
    text.push_str("]}}");
    text
}

/// 100,000 layers whose input shapes are unknown, beside 4,096 stored tensors: work per layer
/// must not be proportional to every tensor of the file.
#[test]
fn keras_zip_100k_layers_4096_tensors() {
    isolated(
        "keras_zip_100k_layers_4096_tensors",
        Bounds {
            time: Duration::from_secs(15),
            rss: MIB << 10,
        },
        || {
            let weights = fixture_source("keras3_vars_4096.weights.h5");
            let archive = keras_zip(&[
                ("metadata.json", &metadata("3.15.1"), true),
                (
                    "config.json",
                    sequential_without_input(99_998).as_bytes(),
                    false,
                ),
                ("model.weights.h5", &weights.contents().unwrap(), false),
            ]);
            let t = Instant::now();
            let summary = read_and_analyse(&Source::from_vec(archive), None).1;
            format!("{summary} ({} ms)", t.elapsed().as_millis())
        },
    );
}

/// A Functional (tf.keras dialect) of `n` nested Sequential models, each called on the
/// previous one: the node-index correction of Keras ≤ 2 configs looks every reference up among
/// the nested models.
fn functional_of_nested(n: usize) -> String {
    let mut text = String::with_capacity(n * 200 + 512);
    text.push_str(r#"{"class_name": "Functional", "config": {"name": "f", "layers": ["#);
    text.push_str(r#"{"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 4], "name": "in"}, "inbound_nodes": []}"#);
    let mut previous = "in".to_string();
    for i in 0..n {
        let name = format!("s{i}");
        text.push_str(&format!(
            r#", {{"class_name": "Sequential", "name": "{name}", "config": {{"name": "{name}", "layers": []}}, "inbound_nodes": [[["{previous}", 1, 0, {{}}]]]}}"#
        ));
        previous = name;
    }
    text.push_str(&format!(
        r#"], "input_layers": [["in", 0, 0]], "output_layers": [["{previous}", 1, 0]]}}}}"#
    ));
    text
}

#[test]
fn functional_50k_nested_models() {
    isolated(
        "functional_50k_nested_models",
        Bounds {
            time: Duration::from_secs(15),
            rss: MIB << 10,
        },
        || {
            let archive = keras_zip(&[
                ("metadata.json", &metadata("2.15.0"), true),
                (
                    "config.json",
                    functional_of_nested(50_000).as_bytes(),
                    false,
                ),
            ]);
            let t = Instant::now();
            let summary = read_and_analyse(&Source::from_vec(archive), None).1;
            format!("{summary} ({} ms)", t.elapsed().as_millis())
        },
    );
}

/// Zips at and over `max_zip_members`, and one whose members are all named config.json.
#[test]
fn zip_many_members() {
    isolated("zip_many_members", FILE_BOUNDS, || {
        let config = br#"{"class_name": "Sequential", "config": {"name": "s", "layers": []}}"#;
        let mut out = Vec::new();
        for (count, duplicate) in [(10_001usize, false), (10_000, false), (5_000, true)] {
            let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            writer.start_file("config.json", options).unwrap();
            writer.write_all(config).unwrap();
            for i in 1..count {
                // The zip crate refuses to write a duplicate name: the duplicates are made by
                // renaming afterwards (same length), below.
                let name = if duplicate {
                    format!("cOnfig.json{:05}", i)
                } else {
                    format!("m{i}")
                };
                writer.start_file(name, options).unwrap();
            }
            let mut bytes = writer.finish().unwrap().into_inner();
            if duplicate {
                let from = b"cOnfig.json";
                let mut at = 0;
                while let Some(p) = bytes[at..].windows(from.len()).position(|w| w == from) {
                    bytes[at + p..at + p + from.len()].copy_from_slice(b"config.json");
                    at += p + from.len();
                }
            }
            let (_, summary) = read_and_analyse(&Source::from_vec(bytes), None);
            out.push(format!(
                "{count}{}: {}",
                if duplicate { " dup" } else { "" },
                clip(&summary, 90)
            ));
        }
        out.join("; ")
    });
}

// ---- scan over the whole folder -------------------------------------------------------------

/// Fixtures whose case is `#[ignore]`d because kerascope currently overruns a bound on them:
/// left out of the scan too, until fixed (then remove them here).
const KNOWN_MISBEHAVING: &[&str] = &[];

/// `scan` over the folder (and over the packed files unpacked into a temporary folder), with a
/// per-file timeout: it returns, and every file has a result.
#[test]
fn scan_whole_folder() {
    isolated(
        "scan_whole_folder",
        Bounds {
            time: Duration::from_secs(45),
            rss: 512 * MIB,
        },
        || {
            let unpacked = Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness-unpacked");
            let _ = std::fs::remove_dir_all(&unpacked);
            std::fs::create_dir_all(&unpacked).unwrap();
            let packed = std::fs::read(robustness_dir().join(PACKED)).unwrap();
            zip::ZipArchive::new(Cursor::new(packed))
                .unwrap()
                .extract(&unpacked)
                .unwrap();
            let roots = [robustness_dir(), unpacked.clone()];
            let mut expected: Vec<PathBuf> = Vec::new();
            for root in &roots {
                for entry in std::fs::read_dir(root).unwrap() {
                    let path = entry.unwrap().path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    if !KNOWN_MISBEHAVING.contains(&name.as_str()) {
                        expected.push(path);
                    }
                }
            }
            expected.sort();
            let options = ScanOptions {
                timeout_per_file: Some(Duration::from_secs(10)),
                excludes: KNOWN_MISBEHAVING.iter().map(|f| f.to_string()).collect(),
                ..Default::default()
            };
            let t = Instant::now();
            let results = scan(&roots, &options, |_| {}, |_| {});
            let elapsed = t.elapsed();
            let mut seen: Vec<PathBuf> = results.iter().map(|r| r.path.clone()).collect();
            seen.sort();
            assert_eq!(seen, expected, "every file gets exactly one result");
            let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
            let internal: Vec<String> = results
                .iter()
                .filter_map(|r| match &r.outcome {
                    Outcome::Internal(why) => {
                        Some(format!("{}: {}", r.path.display(), clip(why, 100)))
                    }
                    _ => None,
                })
                .collect();
            let slowest = results.iter().max_by_key(|r| r.elapsed).unwrap();
            format!(
                "{} files in {} ms: {} analysed, {} failed, {} skipped, {} internal {:?}; slowest {} ({} ms)",
                results.len(),
                elapsed.as_millis(),
                count(|o| matches!(o, Outcome::Analysed(_))),
                count(|o| matches!(o, Outcome::Failed(_))),
                count(|o| matches!(o, Outcome::Skipped(_))),
                internal.len(),
                internal,
                slowest.path.file_name().unwrap().to_string_lossy(),
                slowest.elapsed.as_millis()
            )
        },
    );
}
