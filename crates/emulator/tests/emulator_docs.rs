//! docs/emulator.md stays true: its world example is the built-in world, its knob defaults are
//! the real defaults, every admin route it shows exists, and its flag table is the command line.

use azurebackup_emulator::cli::Cli;
use azurebackup_emulator::{Knobs, World};
use clap::CommandFactory;

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/emulator.md"
    ))
    .expect("docs/emulator.md")
}

/// The first ```json block after `heading`.
fn json_block_after(doc: &str, heading: &str) -> String {
    let at = doc
        .find(heading)
        .unwrap_or_else(|| panic!("heading {heading} missing"));
    let rest = &doc[at..];
    let start = rest.find("```json\n").expect("json block") + "```json\n".len();
    let end = rest[start..].find("```").expect("end of block");
    rest[start..start + end].to_string()
}

/// The world file example in the docs is exactly the default world.
#[test]
fn documented_world_is_the_default_world() {
    let text = json_block_after(&doc(), "## The world file");
    let w: World = serde_json::from_str(&text).expect("the documented world parses");
    w.check().expect("the documented world is consistent");
    assert_eq!(w, World::default_world());
}

/// The documented knob defaults are the defaults.
#[test]
fn documented_knobs_are_the_defaults() {
    let text = json_block_after(&doc(), "## Knobs");
    let k: Knobs = serde_json::from_str(&text).expect("the documented knobs parse");
    assert_eq!(k, Knobs::default());
}

/// Every `/admin/...` path in the docs is a route the admin API has.
#[test]
fn documented_admin_paths_exist() {
    let doc = doc();
    let routes = [
        "/admin/requests",
        "/admin/counters",
        "/admin/world",
        "/admin/datasources",
        "/admin/grants",
        "/admin/instances",
        "/admin/instances/protection-state",
        "/admin/knobs",
        "/admin/operations",
        "/admin/operations/finish",
        "/admin/clock",
        "/admin/clock/advance",
        "/admin/schedule/run",
        "/admin/jobs",
        "/admin/recovery-points",
    ];
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/admin.rs"))
        .unwrap()
        + &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/admin_history.rs"))
            .unwrap();
    for r in routes {
        assert!(doc.contains(r), "{r} is not documented");
        assert!(
            src.contains(&format!("\"{r}\"")),
            "{r} is documented but not routed"
        );
    }
}

/// The flag table lists every flag of the command line (clap's definition), and every flag the
/// table lists is one the command line has.
#[test]
fn documented_flags_are_the_command_line() {
    let doc = doc();
    let at = doc.find("| flag | default").expect("flag table");
    let table: String = doc[at..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut cmd = Cli::command();
    // Adds the generated --help and --version.
    cmd.build();
    let flags: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    assert!(flags.len() >= 21, "{flags:?}");
    for f in &flags {
        assert!(
            table.contains(&format!("`{f}`")) || table.contains(&format!("`{f} ")),
            "{f} is not in the flag table of docs/emulator.md"
        );
    }
    let documented: Vec<&str> = table
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| code.split_whitespace().next())
        .filter(|w| w.starts_with("--"))
        .collect();
    assert!(!documented.is_empty());
    for d in documented {
        assert!(
            flags.iter().any(|f| f == d),
            "{d} is documented but not a flag"
        );
    }
}
