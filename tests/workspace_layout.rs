//! The provider binary holds users' credentials and must not contain the emulator: its normal
//! (non-dev) dependency tree, as `cargo tree` reports it offline, has no `azurebackup-emulator`,
//! none of the emulator's own server dependencies, and axum only where tonic's gRPC router needs it.

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

/// axum reaches the provider only through tonic (`tonic::service::Routes` is built on it), never
/// through a dependency of our own.
#[test]
fn axum_only_comes_with_tonic() {
    let lines = tree(&["-i", "axum"]);
    let dependents: Vec<&str> = lines
        .iter()
        .filter(|(d, _)| *d == 1)
        .map(|(_, l)| name(l))
        .collect();
    assert!(
        dependents.iter().all(|n| *n == "tonic"),
        "axum is pulled in by {dependents:?}"
    );
}
