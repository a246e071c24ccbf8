//! docs/emulator.md stays true: its world example is the built-in world, its knob defaults are
//! the real defaults, and every admin route it shows exists.

use terraform_provider_azurebackup::emulator::{Knobs, World};

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/emulator.md"))
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
    ];
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/emulator/admin.rs"
    ))
    .unwrap();
    for r in routes {
        assert!(doc.contains(r), "{r} is not documented");
        assert!(
            src.contains(&format!("\"{r}\"")),
            "{r} is documented but not routed"
        );
    }
}
