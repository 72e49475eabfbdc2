//! The data flows one way: no top-level module of the library reaches, directly or through
//! others, back to itself, and the file reader (`format`) reaches neither the layer rules nor
//! anything after them. The graph is read from the source: every `crate::module` path
//! (in `use` lines, grouped `use crate::{a::X, b::Y}` included, and inline paths).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Top-level modules: `src/name.rs` and `src/name/`.
fn modules() -> BTreeSet<String> {
    std::fs::read_dir(SRC)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_string();
            (p.is_dir() || p.extension()? == "rs").then_some(stem)
        })
        .filter(|name| name != "lib")
        .collect()
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The source without comments (doc links name modules without depending on them).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The first path segment after each `crate::`, and of each branch of a `crate::{...}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut files = Vec::new();
        let dir = Path::new(SRC).join(module);
        rust_files(&dir, &mut files);
        rust_files(&dir.with_extension("rs"), &mut files);
        let uses: BTreeSet<String> = files
            .iter()
            .flat_map(|f| crate_paths(&code(f)))
            .filter(|m| m != module && modules.contains(m))
            .collect();
        graph.insert(module.clone(), uses);
    }
    graph
}

/// One cycle, as the path around it, if there is any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_depends_back_on_itself() {
    let graph = dependency_graph();
    assert!(graph.len() > 10, "modules not found under {SRC}");
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .map(|(m, uses)| format!("  {m} -> {}", Vec::from_iter(uses.clone()).join(", ")))
            .collect();
        panic!(
            "module cycle: {}\nthe graph:\n{}",
            cycle.join(" -> "),
            edges.join("\n")
        );
    }
}

/// Every module `module` reaches, directly or through others.
fn reached(graph: &BTreeMap<String, BTreeSet<String>>, module: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = vec![module];
    while let Some(node) = stack.pop() {
        for next in graph.get(node).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next);
            }
        }
    }
    seen
}

/// What the file reader may use: the containers and what every stage shares.
const BEFORE_FORMAT: [&str; 5] = ["container", "error", "limits", "model", "text"];

/// The layer rules and every stage after the read: [`format`] records what the file stores,
/// and what a Keras 3 `vars/N` names is bound after the rules are known (`bind`).
const AFTER_FORMAT: [&str; 16] = [
    "align", "analysis", "audit", "bind", "compat", "diff", "filter", "graph", "layers",
    "registry", "report", "scan", "shape", "summary", "upgrade", "verify",
];

#[test]
fn the_file_reader_reaches_neither_the_layer_rules_nor_anything_after_them() {
    let graph = dependency_graph();
    let unplaced: Vec<&String> = graph
        .keys()
        .filter(|m| *m != "format")
        .filter(|m| !BEFORE_FORMAT.contains(&m.as_str()) && !AFTER_FORMAT.contains(&m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "place these modules before or after format: {unplaced:?}"
    );
    let missing: Vec<&&str> = BEFORE_FORMAT
        .iter()
        .chain(&AFTER_FORMAT)
        .filter(|m| !graph.contains_key(**m))
        .collect();
    assert!(
        missing.is_empty(),
        "no such modules under {SRC}: {missing:?}"
    );
    let reached = reached(&graph, "format");
    assert!(reached.contains("container"), "format's uses not found");
    let after: Vec<&String> = reached
        .iter()
        .filter(|m| AFTER_FORMAT.contains(&m.as_str()))
        .collect();
    assert!(
        after.is_empty(),
        "format reaches {after:?} (all it reaches: {reached:?})"
    );
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    let found = crate_paths("use crate::{a::X, b::{c, d}};\nlet x = crate::e::f();");
    assert_eq!(found, BTreeSet::from(["a", "b", "e"].map(String::from)));
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "a"]);
}
