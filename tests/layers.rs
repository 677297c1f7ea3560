//! The dependency direction of the crate: data flows one way, from what a
//! suite writes to what a report shows, and no module imports one above it.
//! This test reads every source file's `crate::…` paths and fails on an
//! arrow that runs upward, naming the file and the import.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first. A module may use those before it
/// (and itself), never one after it. Modules on one line are peers that do
/// not use each other.
const LAYERS: &[&[&str]] = &[
    &["errors", "ids", "yaml", "jose", "openapi"],
    &["http"],
    &["target"],
    &["specs", "expr"],
    &["steps"],
    &["suite"],
    &["plans"],
    &["runner"],
    &["report"],
    &["bank"],
    &["commands"],
];

/// Items of the crate root (`lib.rs`) every module may use.
const ROOT_ITEMS: &[&str] = &["ConfigError", "install_crypto_provider"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The first segments of the paths after every `crate::` in `text`,
/// including each item of a `crate::{a::x, b::{y, z}}` group.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // `$crate::` in a macro is the same crate.
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            let mut word = String::new();
            for c in group.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        item_start = false;
                    }
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => word.push(c),
                    c if item_start && !word.is_empty() && !c.is_whitespace() => {
                        out.insert(std::mem::take(&mut word));
                        item_start = false;
                    }
                    c if item_start && !word.is_empty() && c.is_whitespace() => {
                        out.insert(std::mem::take(&mut word));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !word.is_empty() {
                out.insert(word);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut unlisted = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(own) = layer(&module) else {
            unlisted.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_paths(&text) {
            if used == module || ROOT_ITEMS.contains(&used.as_str()) {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                Some(_) => upward.push(format!("{} uses crate::{used}", rel.display())),
                None => {
                    unlisted.insert(used);
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "modules missing from LAYERS: {unlisted:?}"
    );
    assert!(
        upward.is_empty(),
        "imports that run upward (or between peers):\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_path_reader_sees_groups_and_nested_paths() {
    let paths = crate_paths(
        "use crate::{http::{Exchange, Session}, specs::SpecResult};\nlet x = crate::target::Target::x(); $crate::specs::Spec",
    );
    let want: BTreeSet<String> = ["http", "specs", "target"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(paths, want);
}
