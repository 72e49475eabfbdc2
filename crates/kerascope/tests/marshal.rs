//! The static marshal decoder against code objects marshalled by real CPython 2.7 and
//! 3.6–3.13 (`fixtures/lambda/`, written by `scripts/make_lambda_samples.py`), and against
//! truncated, mutated and hostile input.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use kerascope::audit::marshal::{
    CodeSummary, MarshalError, dangerous_names, decode_code, decode_keras_lambda,
};
use serde_json::Value as Json;

const VERSIONS: [&str; 9] = [
    "py27", "py36", "py37", "py38", "py39", "py310", "py311", "py312", "py313",
];
const CASES: [&str; 7] = [
    "double",
    "import_os",
    "eval_default",
    "keras_backend",
    "nested",
    "read_passwd",
    "constants",
];

struct Sample {
    stem: String,
    case: String,
    text: String,
    raw: Vec<u8>,
    truth: Json,
}

fn lambda_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures/lambda")
}

fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(lambda_dir())
        .expect("fixtures/lambda")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "b64"))
        .collect();
    paths.sort();
    for p in paths {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&p).unwrap();
        let truth: Json =
            serde_json::from_str(&std::fs::read_to_string(p.with_extension("json")).unwrap())
                .unwrap();
        let compact: String = text.split_whitespace().collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap();
        assert_eq!(
            raw.len() as u64,
            truth["raw_len"].as_u64().unwrap(),
            "{stem}"
        );
        let case = truth["case"].as_str().unwrap().to_string();
        out.push(Sample {
            stem,
            case,
            text,
            raw,
            truth,
        });
    }
    out
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn opt(v: &Json) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Compares a summary with the interpreter's truth, recursively.
fn check(stem: &str, path: &str, got: &CodeSummary, truth: &Json) {
    let at = format!("{stem} {path}");
    assert_eq!(got.filename, opt(&truth["filename"]), "{at} filename");
    assert_eq!(got.name, opt(&truth["name"]), "{at} name");
    assert_eq!(got.qualname, opt(&truth["qualname"]), "{at} qualname");
    assert_eq!(got.names, strings(&truth["names"]), "{at} names");
    assert_eq!(got.varnames, strings(&truth["varnames"]), "{at} varnames");
    assert_eq!(got.freevars, strings(&truth["freevars"]), "{at} freevars");
    assert_eq!(got.cellvars, strings(&truth["cellvars"]), "{at} cellvars");
    assert_eq!(
        got.string_constants,
        strings(&truth["string_constants"]),
        "{at} string constants"
    );
    let nested = truth["nested"].as_array().unwrap();
    let got_names: Vec<_> = got.nested.iter().map(|n| n.name.clone()).collect();
    let want_names: Vec<_> = nested.iter().map(|n| opt(&n["name"])).collect();
    assert_eq!(got_names, want_names, "{at} nested code names");
    for (i, (g, t)) in got.nested.iter().zip(nested).enumerate() {
        check(stem, &format!("{path}/nested[{i}]"), g, t);
    }
}

#[test]
fn every_version_and_case_is_present() {
    let all = samples();
    for v in VERSIONS {
        for c in CASES {
            let stem = format!("{v}_{c}");
            assert!(
                all.iter().any(|s| s.stem == stem),
                "missing fixtures/lambda/{stem}.b64 (run scripts/make_lambda_samples.sh)"
            );
        }
    }
}

#[test]
fn samples_match_the_interpreters_truth() {
    let all = samples();
    assert!(all.len() >= VERSIONS.len() * CASES.len());
    for s in &all {
        let got = decode_keras_lambda(&s.text).unwrap_or_else(|e| panic!("{}: {e}", s.stem));
        check(&s.stem, "code", &got, &s.truth["code"]);
        assert_eq!(
            got.python.as_deref(),
            s.truth["family"].as_str(),
            "{} version family",
            s.stem
        );
        // The same bytes without base64, and as plain base64 without newlines (Keras 3).
        assert_eq!(decode_code(&s.raw).as_ref(), Ok(&got), "{}", s.stem);
        let plain = base64::engine::general_purpose::STANDARD.encode(&s.raw);
        assert_eq!(decode_keras_lambda(&plain).as_ref(), Ok(&got), "{}", s.stem);
    }
}

#[test]
fn keras_before_2_1_2_raw_unicode_escape_text() {
    // Keras < 2.1.2 stored `marshal.dumps(code).decode('raw_unicode_escape')`: for these
    // samples (no backslash-u in the bytes) that is the bytes read as Latin-1.
    for s in samples() {
        if s.raw.windows(2).any(|w| w == b"\\u" || w == b"\\U") {
            continue;
        }
        let text: String = s.raw.iter().map(|&b| char::from(b)).collect();
        assert_eq!(
            decode_keras_lambda(&text),
            decode_code(&s.raw),
            "{}",
            s.stem
        );
    }
}

#[test]
fn dangerous_names_are_flagged_and_benign_lambdas_are_not() {
    for s in samples() {
        let got = decode_keras_lambda(&s.text).unwrap();
        let bad = dangerous_names(&got);
        let has = |n: &str| bad.iter().any(|b| b == n);
        match s.case.as_str() {
            "import_os" => {
                assert!(
                    has("__import__") && has("os") && has("system"),
                    "{}: {bad:?}",
                    s.stem
                )
            }
            "eval_default" => assert!(has("eval"), "{}: {bad:?}", s.stem),
            "read_passwd" => assert!(has("open"), "{}: {bad:?}", s.stem),
            _ => assert!(bad.is_empty(), "{}: {bad:?}", s.stem),
        }
        if s.case == "read_passwd" {
            assert!(got.string_constants.iter().any(|c| c == "/etc/passwd"));
        }
    }
}

#[test]
fn real_keras3_lambda_config() {
    // fixtures/k3_lambda.keras was written by Keras 3.15.1: Lambda(lambda x: x * 2).
    let file = std::fs::File::open(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures/k3_lambda.keras"),
    )
    .unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut config = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("config.json").unwrap(), &mut config).unwrap();
    let config: Json = serde_json::from_str(&config).unwrap();
    let layers = config["config"]["layers"].as_array().unwrap();
    let lambda = layers
        .iter()
        .find(|l| l["class_name"] == "Lambda")
        .expect("a Lambda layer");
    let code = lambda["config"]["function"]["config"]["code"]
        .as_str()
        .unwrap();
    let got = decode_keras_lambda(code).unwrap();
    assert_eq!(got.name.as_deref(), Some("<lambda>"));
    assert_eq!(got.qualname.as_deref(), Some("<lambda>"));
    assert_eq!(got.varnames, ["x"]);
    assert!(got.names.is_empty());
    assert!(dangerous_names(&got).is_empty());
    assert_eq!(got.python.as_deref(), Some("3.11+"));
}

#[test]
fn every_truncation_is_an_error() {
    let start = Instant::now();
    for s in samples() {
        for n in 0..s.raw.len() {
            assert!(
                decode_code(&s.raw[..n]).is_err(),
                "{}: a {n}-byte prefix decoded",
                s.stem
            );
        }
        for n in 0..s.text.len() {
            let _ = decode_keras_lambda(&s.text[..n]);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: [u8; 12] = [
    0x00, 0xff, 0x7f, 0x80, b'r', b'(', b')', b'c', b'l', b'0', 0xe3, 0xda,
];

fn mutate(rng: &mut Rng, raw: &[u8]) -> Vec<u8> {
    let mut b = raw.to_vec();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(b.len());
        match rng.below(6) {
            0 => {
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
            1 => {
                if let Some(x) = b.get_mut(i) {
                    *x = INTERESTING[rng.below(INTERESTING.len())];
                }
            }
            2 => {
                if let Some(x) = b.get_mut(i) {
                    *x = rng.next() as u8;
                }
            }
            3 => {
                if i < b.len() {
                    b.remove(i);
                }
            }
            4 => b.insert(i.min(b.len()), rng.next() as u8),
            _ => {
                // Overwrite 4 bytes with a large or negative length.
                let v: [i32; 4] = [-1, i32::MAX, i32::MIN, 0x0100_0000];
                let v = v[rng.below(4)].to_le_bytes();
                for (k, x) in v.iter().enumerate() {
                    if let Some(y) = b.get_mut(i + k) {
                        *y = *x;
                    }
                }
            }
        }
    }
    b
}

#[test]
fn seeded_mutations_never_panic() {
    let all = samples();
    let mut rng = Rng(0x6b65_7261_7363_6f70);
    let start = Instant::now();
    let mut ok = 0usize;
    let mut err = 0usize;
    let mut slowest = Duration::ZERO;
    for round in 0..80 {
        for s in &all {
            let b = mutate(&mut rng, &s.raw);
            let t = Instant::now();
            match decode_code(&b) {
                Ok(summary) => {
                    ok += 1;
                    let _ = dangerous_names(&summary);
                }
                Err(_) => err += 1,
            }
            slowest = slowest.max(t.elapsed());
            if round % 8 == 0 {
                let text = base64::engine::general_purpose::STANDARD.encode(&b);
                let _ = decode_keras_lambda(&text);
            }
        }
    }
    eprintln!("mutations: {ok} decoded, {err} rejected, slowest {slowest:?}");
    assert!(ok + err >= 5000);
    assert!(err > 0);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest decode took {slowest:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(60));
}

/// A 3.11+ code object with the given consts and names (already marshalled) and one
/// local `x`; uses no references, so callers control the reference table.
fn code311(consts: &[u8], names: &[u8]) -> Vec<u8> {
    let mut b = vec![b'c'];
    for n in [1i32, 0, 0, 2, 3] {
        b.extend_from_slice(&n.to_le_bytes());
    }
    b.extend_from_slice(b"s\x02\x00\x00\x00\x97\x00");
    b.extend_from_slice(consts);
    b.extend_from_slice(names);
    b.extend_from_slice(b")\x01z\x01x");
    b.extend_from_slice(b"s\x01\x00\x00\x00\x26");
    b.extend_from_slice(b"z\x04f.py");
    b.extend_from_slice(b"z\x08<lambda>");
    b.extend_from_slice(b"z\x08<lambda>");
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(b"s\x00\x00\x00\x00");
    b.extend_from_slice(b"s\x00\x00\x00\x00");
    b
}

fn small_tuple(items: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![b')', items.len() as u8];
    for i in items {
        b.extend_from_slice(i);
    }
    b
}

fn ref_to(i: u32) -> Vec<u8> {
    let mut b = vec![b'r'];
    b.extend_from_slice(&i.to_le_bytes());
    b
}

#[test]
fn hand_built_code_object_decodes() {
    let consts = small_tuple(&[b"N".to_vec(), b"z\x02os".to_vec()]);
    let names = small_tuple(&[b"z\x06system".to_vec()]);
    let s = decode_code(&code311(&consts, &names)).unwrap();
    assert_eq!(s.names, ["system"]);
    assert_eq!(s.string_constants, ["os"]);
    assert_eq!(s.varnames, ["x"]);
    assert_eq!(dangerous_names(&s), ["system", "os"]);
}

#[test]
fn shared_references_do_not_blow_up() {
    // consts = (t0, t1, ..., t60) where t0 = ('a', 'a') and each t(k+1) = (tk, tk) by
    // reference: 2^60 paths through 62 objects. Reference indices: t0 = 0, 'a' = 1, tk = k+1.
    let mut t0 = vec![b')' | 0x80, 2, b'z' | 0x80, 1, b'a'];
    t0.extend_from_slice(&ref_to(1));
    let mut items = vec![t0];
    let mut prev = 0u32;
    for k in 1..=60u32 {
        let mut t = vec![b')' | 0x80, 2];
        t.extend_from_slice(&ref_to(prev));
        t.extend_from_slice(&ref_to(prev));
        items.push(t);
        prev = k + 1;
    }
    let consts = small_tuple(&items);
    let start = Instant::now();
    let s = decode_code(&code311(&consts, b")\x00")).unwrap();
    assert_eq!(s.string_constants, ["a"]);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn many_references_to_a_big_string_hit_the_text_budget() {
    // names = (s, r, r, ..., r) with a 1 MiB string: 200 MiB of names if copied.
    let mut names = vec![b'(', 0, 0, 0, 0];
    let count: u32 = 200;
    names[1..5].copy_from_slice(&count.to_le_bytes());
    names.push(b'a' | 0x80);
    names.extend_from_slice(&(1u32 << 20).to_le_bytes());
    names.extend(std::iter::repeat_n(b'n', 1 << 20));
    for _ in 1..count {
        names.extend_from_slice(&ref_to(0));
    }
    let start = Instant::now();
    let r = decode_code(&code311(b")\x00", &names));
    assert!(matches!(r, Err(MarshalError::TooBig { .. })), "{r:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn hostile_headers_fail_cleanly() {
    let cases: [&[u8]; 8] = [
        b"",
        b"c",
        b"\xe3\xff\xff\xff\xff",
        b"N",
        b"c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00(\xff\xff\xff\x7f",
        b"\xe3\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00s\xff\xff\xff\x7f",
        b"\xe3\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00r\x00\x00\x00\x00",
        b"\xe3\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00?",
    ];
    for c in cases {
        assert!(decode_code(c).is_err(), "{c:?}");
    }
    // Deep nesting of small tuples inside co_code's place.
    let mut deep = b"\xe3".to_vec();
    deep.extend_from_slice(&[0; 20]);
    for _ in 0..10_000 {
        deep.extend_from_slice(b")\x01");
    }
    deep.push(b'N');
    assert!(matches!(
        decode_code(&deep),
        Err(MarshalError::TooDeep { .. } | MarshalError::BadCode { .. })
    ));
    assert!(matches!(
        decode_keras_lambda("not base64!"),
        Err(MarshalError::Base64(_))
    ));
    assert_eq!(decode_keras_lambda(" \n"), Err(MarshalError::Empty));
}

#[test]
fn long_reference_chains_are_bounded() {
    // consts = (t0, t1, ..., tN) where each t(k+1) = (tk,) by reference: structurally
    // N deep although each tuple is read at depth 3. Walking or dropping such a chain
    // recursively would overflow the stack; the decoder bounds the height instead.
    let mut items = vec![vec![b')' | 0x80, 1, b'N']];
    for k in 0..20_000u32 {
        let mut t = vec![b')' | 0x80, 1];
        t.extend_from_slice(&ref_to(k));
        items.push(t);
    }
    let mut consts = vec![b'(', 0, 0, 0, 0];
    consts[1..5].copy_from_slice(&(items.len() as u32).to_le_bytes());
    for i in &items {
        consts.extend_from_slice(i);
    }
    let r = decode_code(&code311(&consts, b")\x00"));
    assert!(matches!(r, Err(MarshalError::TooDeep { .. })), "{r:?}");
}
