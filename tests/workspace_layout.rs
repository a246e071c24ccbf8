//! The provider binary holds users' credentials and must not contain the emulator: its normal
//! (non-dev) dependency tree, as `cargo tree` reports it offline, has no `azurebackup-emulator`,
//! none of the emulator's own server dependencies, and no axum. And the suite reads nothing
//! beside the repository: a fresh clone has no `../shared`.

use std::process::{Command, Stdio};

/// `cargo tree` lines of the provider's normal dependencies as `(depth, "name vX.Y.Z ...")`.
fn tree(extra: &[&str]) -> Vec<(usize, String)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "-p",
            "terraform-provider-azurebackup",
            "--prefix",
            "depth",
        ])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let digits = l.chars().take_while(char::is_ascii_digit).count();
            let depth = l[..digits].parse().expect("depth prefix");
            (depth, l[digits..].to_string())
        })
        .collect()
}

fn name(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or_default()
}

#[test]
fn provider_links_no_emulator_code() {
    let lines = tree(&[]);
    assert!(
        lines.iter().any(|(d, l)| *d == 1 && name(l) == "tonic"),
        "unexpected cargo tree output: {lines:?}"
    );
    for (_, l) in &lines {
        assert_ne!(
            name(l),
            "azurebackup-emulator",
            "the provider links the emulator"
        );
        assert_ne!(name(l), "clap", "the emulator's flag parser is linked: {l}");
    }
    for (d, l) in &lines {
        if *d == 1 {
            assert!(
                !matches!(
                    name(l),
                    "axum" | "hyper" | "hyper-util" | "percent-encoding" | "tempfile"
                ),
                "the provider depends on {l} directly; only the emulator needs it"
            );
        }
    }
}

/// No axum at all: the plugin routes its three gRPC services itself instead of using tonic's
/// axum-based router, so the web framework the emulator is built on is not in the provider.
#[test]
fn provider_links_no_axum() {
    let lines = tree(&[]);
    let axum: Vec<&String> = lines
        .iter()
        .map(|(_, l)| l)
        .filter(|l| name(l).starts_with("axum"))
        .collect();
    assert!(axum.is_empty(), "axum is in the provider's tree: {axum:?}");
}

/// Every file the suite, its scripts and CI read lives in the repository: no test, script or
/// make target refers to the reference directory beside the clone (`../shared`), which a fresh
/// clone does not have. Fixtures are copied into `tests/fixtures/` with their sources noted.
#[test]
fn suite_reads_nothing_beside_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // Built from pieces so that this file does not match itself.
    let needles = [
        format!("../{}", "shared"),
        format!("{}/azure", "shared"),
        format!("{}/notes", "shared"),
        format!("AZUREBACKUP_{}_DIR", "EXAMPLES"),
    ];
    let mut files = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = ["tests", "scripts", ".ci", ".config", ".cargo"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    for c in std::fs::read_dir(root.join("crates")).expect("crates/") {
        dirs.push(c.expect("crates entry").path().join("tests"));
    }
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.expect("dir entry").path();
            if p.ends_with("tests/fixtures") {
                continue;
            }
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.push(root.join("GNUmakefile"));
    files.push(root.join("build.rs"));
    assert!(files.len() > 20, "expected the test tree, found {files:?}");
    let mut hits = Vec::new();
    for f in &files {
        // This file names what it looks for.
        if f.ends_with(file!()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|x| line.contains(x.as_str())) {
                hits.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "the suite reads files beside the repository (copy them into tests/fixtures/):\n{}",
        hits.join("\n")
    );
    for f in [
        "tests/fixtures/azure/examples/2021-01-01/PutBackupInstance.json",
        "tests/fixtures/azure/examples/2026-06-01/PutBackupInstance.json",
        "tests/fixtures/azure/recordings/test_dataprotection_backup_and_restore_pgflex.yaml",
    ] {
        assert!(root.join(f).is_file(), "{f} is missing");
    }
}
