//! The crate's modules import each other one way: no cycles between its top-level
//! modules (a room's error never converts through another room's, and `error.rs`
//! is the only file that names every room).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module name -> the top-level modules its files name as `crate::X`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap();
            let module = first.trim_end_matches(".rs").to_owned();
            if module == "lib" {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let deps = graph.entry(module.clone()).or_default();
            for line in text.lines() {
                // Comments and doc links are not imports.
                let code = line.split("//").next().unwrap_or("");
                for (i, _) in code.match_indices("crate::") {
                    let name: String = code[i + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    // `crate::Error` is the error module's re-export at the root.
                    let name = if name == "Error" {
                        "error".to_owned()
                    } else {
                        name
                    };
                    if !name.is_empty() && name != module {
                        deps.insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// A cycle through `start`, as the list of modules on it, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let last = path.last().unwrap().clone();
    for next in graph.get(&last).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(c) = cycle_from(graph, start, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_import_cycles_between_top_level_modules() {
    let graph = graph();
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_from(&graph, m, &mut vec![m.clone()]))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn secret_and_clock_import_no_other_module() {
    let graph = graph();
    for base in ["secret", "clock", "store", "observe"] {
        let deps = graph.get(base).cloned().unwrap_or_default();
        assert!(deps.is_empty(), "{base} imports {deps:?}");
    }
}

/// Every `.rs` file under `src/`, with its text.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap().display().to_string();
                out.push((rel, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

#[test]
fn random_fill_lives_only_in_secret() {
    // Drawing random bytes needs ring's `SecureRandom` trait in scope; only the
    // one helper, `secret::fill_random`, may bring it in.
    let users: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| path != "secret.rs" && text.contains("SecureRandom"))
        .map(|(path, _)| path)
        .collect();
    assert!(
        users.is_empty(),
        "random fills outside secret.rs: {users:?}"
    );
}

/// The room a top-level module belongs to; the floor is `None`.
fn room(module: &str) -> Option<&str> {
    match module {
        "secret" | "clock" | "store" | "observe" | "error" => None,
        // The deployment check reads every room's settings, above them as `error` is.
        "deploy" => None,
        "web" | "apikey" | "audit" => Some("web"),
        other => Some(other),
    }
}

/// Rooms whose feature implies another room (`jose = ["token"]` in Cargo.toml) may
/// import that room: DPoP verifies with the token room's key types.
fn implied(room: &str) -> &'static [&'static str] {
    match room {
        "jose" => &["token"],
        _ => &[],
    }
}

#[test]
fn rooms_import_only_the_floor_and_themselves() {
    let graph = graph();
    let mut crossings = Vec::new();
    for (module, deps) in &graph {
        let Some(own) = room(module) else { continue };
        for dep in deps {
            if room(dep).is_some_and(|r| r != own && !implied(own).contains(&r)) {
                crossings.push(format!("{module} -> {dep}"));
            }
        }
    }
    assert!(
        crossings.is_empty(),
        "rooms importing other rooms: {crossings:?}"
    );
}
