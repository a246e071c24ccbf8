//! The provider binary holds users' credentials and must not contain the emulator: its normal
//! (non-dev) dependency tree, as `cargo tree` reports it offline, has no `azurebackup-emulator`,
//! none of the emulator's own server dependencies, and no axum.

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
