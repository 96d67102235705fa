//! `rust-version` in Cargo.toml must be the lowest the dependencies allow: the
//! highest `rust-version` declared by any normal dependency in the lock file.

use std::process::Command;

use serde_json::Value;

fn parse_version(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_equals_the_highest_dependency_msrv() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let root_id = meta["resolve"]["root"].as_str().unwrap();
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();

    // Walk the normal (non-dev, non-build) dependency graph from the root.
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![root_id.to_owned()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                stack.push(dep["pkg"].as_str().unwrap().to_owned());
            }
        }
    }

    let mut ours = None;
    let mut highest = ((0, 0, 0), String::new());
    for pkg in packages
        .iter()
        .filter(|p| seen.contains(p["id"].as_str().unwrap()))
    {
        let Some(rv) = pkg["rust_version"].as_str() else {
            continue;
        };
        let v = parse_version(rv);
        if pkg["id"] == root_id {
            ours = Some(v);
        } else if v > highest.0 {
            highest = (v, pkg["name"].as_str().unwrap().to_owned());
        }
    }
    let ours = ours.expect("Cargo.toml sets rust-version");
    assert_eq!(
        (ours.0, ours.1),
        (highest.0.0, highest.0.1),
        "rust-version should be {}.{} (required by {})",
        highest.0.0,
        highest.0.1,
        highest.1
    );
}
