//! The layers point one way (docs/ARCHITECTURE.md): the domain uses nothing of helpdesk outside
//! itself, the store uses only the domain, and no `sqlx` type is named outside the store. These
//! tests read the sources, so a wrong import fails here before it shapes the code around it.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read the source folder") {
            let path = entry.expect("read a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The code of a source file, without its comments (a doc comment may name any module).
fn code(path: &Path) -> String {
    without_comments(&fs::read_to_string(path).expect("read a source file"))
}

/// `text` with everything from `//` to the end of each line removed.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules of the crate that `code` names: `crate::x`, and each `x` of
/// `crate::{x, y::z}`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        } else {
            names.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    names
}

/// The imports of files under `folder` that reach outside `allowed`, as `file: crate::module`.
fn reaching_out(folder: &str, allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder);
    let mut wrong = Vec::new();
    for file in sources(&root) {
        for module in crate_modules(&code(&file)) {
            if !allowed.contains(&module.as_str()) {
                wrong.push(format!("{}: crate::{module}", file.display()));
            }
        }
    }
    wrong
}

#[test]
fn the_store_uses_only_the_domain() {
    let wrong = reaching_out("store", &["store", "domain"]);
    assert!(
        wrong.is_empty(),
        "the store imports above it:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_domain_uses_nothing_above_it() {
    let wrong = reaching_out("domain", &["domain"]);
    assert!(
        wrong.is_empty(),
        "the domain imports above it:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_sqlx_outside_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let store = src.join("store");
    let wrong: Vec<String> = sources(&src)
        .into_iter()
        .filter(|file| !file.starts_with(&store))
        .filter(|file| {
            let code = code(file);
            code.contains("sqlx::") || code.contains("sqlx;") || code.contains("sqlx}")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        wrong.is_empty(),
        "sqlx named outside src/store:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checks_see_a_wrong_import() {
    // The scanner itself: a test that cannot fail proves nothing.
    assert_eq!(
        crate_modules("use crate::journey::path::Event;\nuse crate::{domain, tickets::status};"),
        ["journey", "domain", "tickets"]
    );
    assert!(crate_modules(&without_comments("let a = 1; // see crate::journey")).is_empty());
}
