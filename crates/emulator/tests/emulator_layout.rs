//! The emulator's shape stays what docs/emulator.md says: the store (`state.rs`, `records.rs`)
//! and the world's data files use none of the behaviour rooms above them, and no source file
//! grows past ~600 lines.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules that are behaviour; the store must name none of them.
const ROOMS: &[&str] = &[
    "ops",
    "protection",
    "lifecycle",
    "validation",
    "faults",
    "jobs",
    "recovery_points",
    "schedule",
    "policies",
    "dataprotection",
    "admin",
    "server",
    "identity",
    "kinds::",
    "kinds;",
    "kinds::{",
];

/// Every path (`super::x`, `crate::x`) a file refers to.
fn referenced(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["super::", "crate::"] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let tail = &rest[at + prefix.len()..];
            let end = tail
                .find(|c: char| {
                    !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == ';')
                })
                .unwrap_or(tail.len());
            out.push(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
    out
}

/// The store and the world know no behaviour: their only way down the crate is to data
/// (records, knobs, world, armpath, clock, errors, the kinds' type strings).
#[test]
fn the_store_uses_no_room() {
    for file in [
        "state.rs",
        "records.rs",
        "clock.rs",
        "world/mod.rs",
        "world/policy.rs",
        "knobs.rs",
    ] {
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        for r in referenced(&text) {
            if r.starts_with("kinds::types") {
                continue;
            }
            for room in ROOMS {
                assert!(
                    !r.starts_with(room),
                    "{file} refers to the room {r}; the store must not know its rooms"
                );
            }
        }
    }
}

/// No emulator source file is past ~600 lines.
#[test]
fn no_file_past_600_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() > 20);
    for f in files {
        let n = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(n <= 620, "{} has {n} lines", f.display());
    }
}
