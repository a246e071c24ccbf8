//! The documentation tells the truth about the code: the generated kinds table renders (every
//! row has the header's columns), `docs/index.md` names every kind of the catalogue, the README's
//! settings table lists every provider argument and its variables, the quickstart and the demo
//! say what they create, no page offers `expect_failures` as a way to catch a provider error,
//! `make install` installs the emulator where the docs say, and the CHANGELOG is release notes.
//! Text checks only, except `make install`, which runs (without building) into a temporary HOME.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{emulator_binary, platform, provider_binary, repo_root};
use terraform_provider_azurebackup::azure::catalogue::CATALOGUE;
use terraform_provider_azurebackup::provider::config;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The cells of one Markdown table row; a `|` inside backticks is part of its cell.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut code = false;
    for c in inner.chars() {
        match c {
            '`' => {
                code = !code;
                out.last_mut().unwrap().push(c);
            }
            '|' if !code => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The table whose header row starts with `header_start`: header, then the body rows.
fn table<'a>(text: &'a str, header_start: &str) -> (&'a str, Vec<&'a str>) {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(header_start));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no table starting {header_start:?}"));
    let rows: Vec<&str> = lines
        .skip(1) // the |---| line
        .take_while(|l| l.starts_with('|'))
        .collect();
    (header, rows)
}

/// Every row of the resource page's kinds table has as many cells as its header (a 7-column
/// header over 8-column rows put the roles under "API versions" and dropped the last cell), the
/// header names the column of parameter objects, and there is one row per catalogue kind.
#[test]
fn kinds_table_rows_have_the_header_columns() {
    let page = read("docs/resources/instance.md");
    let (header, rows) = table(&page, "| Kind |");
    let head = cells(header);
    assert_eq!(
        head,
        [
            "Kind",
            "`datasource_id`",
            "`datasource_type`",
            "`dataSourceSetInfo`",
            "Arguments",
            "Parameters sent",
            "Roles",
            "API versions"
        ]
    );
    assert_eq!(rows.len(), CATALOGUE.len(), "{rows:#?}");
    for (row, entry) in rows.iter().zip(CATALOGUE) {
        let c = cells(row);
        assert_eq!(c.len(), head.len(), "cells of {row}");
        assert_eq!(c[0], entry.plural, "{row}");
        assert!(c[6].contains("` on "), "Roles column holds roles: {row}");
        assert!(
            c[7].contains("only") || c[7].contains("or newer"),
            "API versions column holds versions: {row}"
        );
    }
    let esan = rows
        .iter()
        .find(|r| r.contains("Elastic SAN"))
        .expect("Elastic SAN row");
    assert_eq!(cells(esan)[7], "2026-06-01 only");
}

/// `docs/index.md` says how many kinds the resource covers, and names each of them.
#[test]
fn index_names_every_kind() {
    let index = read("docs/index.md");
    let intro = index
        .lines()
        .find(|l| l.starts_with("Its resource [`azurebackup_instance`]"))
        .expect("the index's introduction");
    assert_eq!(CATALOGUE.len(), 9, "the catalogue's kinds");
    assert!(
        intro.contains(&format!("any of the {} datasource kinds", CATALOGUE.len())),
        "{intro}"
    );
    for e in CATALOGUE {
        assert!(
            intro.contains(e.plural),
            "{} missing from: {intro}",
            e.plural
        );
    }
}

/// The environment variables an argument's description names (`Environment variable: `X`` and
/// any `or `Y`` after it).
fn variables_of(description: &str) -> Vec<String> {
    let Some(rest) = description.split("Environment variable: ").nth(1) else {
        return Vec::new();
    };
    rest.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every argument of the provider schema is in the README's settings table, with every
/// environment variable its description names (`client_id_file_path` and `partner_id` were
/// missing).
#[test]
fn readme_settings_table_lists_every_provider_argument() {
    let readme = read("README.md");
    let (_, rows) = table(&readme, "| argument | environment variable | purpose |");
    let mut args = String::new();
    let mut vars = String::new();
    for row in &rows {
        let c = cells(row);
        args.push_str(&c[0]);
        vars.push_str(&c[1]);
    }
    let schema = config::schema();
    assert!(schema.block.attributes.len() > 20);
    let mut missing = Vec::new();
    for a in &schema.block.attributes {
        if !args.contains(&format!("`{}`", a.name)) {
            missing.push(a.name.clone());
        }
        let named = variables_of(&a.description);
        assert!(!named.is_empty(), "{} names no variable", a.name);
        for v in named {
            if !vars.contains(&format!("`{v}`")) {
                missing.push(v);
            }
        }
    }
    assert!(missing.is_empty(), "not in the README's table: {missing:?}");
}

const NUMBERS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// The quickstart's header and the demo script say how many instances the quickstart creates,
/// and claim "each kind" only if it has one of each.
#[test]
fn quickstart_and_demo_say_what_they_create() {
    let main = read("examples/quickstart/main.tf");
    let count = main.matches("resource \"azurebackup_instance\"").count();
    assert!((1..NUMBERS.len()).contains(&count), "{count} instances");
    let said = format!("{} backup instances", NUMBERS[count]);
    let header: String = main
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    let demo = read("scripts/demo.sh");
    let demo_header: String = demo
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    for (what, text) in [("quickstart", &header), ("demo.sh", &demo_header)] {
        let text = text.replace("# ", "");
        assert!(text.contains(&said), "{what} must say {said:?}: {text}");
        if count < CATALOGUE.len() {
            assert!(!text.contains("each datasource kind"), "{what}: {text}");
        }
    }
}

/// `expect_failures` catches custom conditions, never a provider's error: a page that mentions
/// it says so instead of suggesting it for a permission error.
#[test]
fn no_page_suggests_expect_failures_for_a_provider_error() {
    let mut pages = vec!["README.md".to_string()];
    for dir in ["docs", "docs/guides"] {
        for e in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                pages.push(format!("{dir}/{name}"));
            }
        }
    }
    for page in pages {
        let text = read(&page);
        // Paragraphs and list items, joined across their wrapped lines.
        let mut items: Vec<String> = Vec::new();
        for line in text.lines() {
            let starts = line.trim().is_empty() || line.starts_with("* ") || line.starts_with("- ");
            if starts || items.is_empty() {
                items.push(String::new());
            }
            items.last_mut().unwrap().push_str(line.trim());
            items.last_mut().unwrap().push(' ');
        }
        for item in items.iter().filter(|i| i.contains("expect_failures")) {
            assert!(
                item.contains("cannot catch"),
                "{page} mentions expect_failures without saying it cannot catch a provider error: {item}"
            );
        }
    }
}

/// `make install` puts the provider in Terraform's implicit local mirror and the emulator in
/// `~/.local/bin`, as the README, the emulator page and the testing guide say. Run with
/// `CARGO=true` so that it installs the binaries this test run built instead of building.
#[test]
fn make_install_installs_the_provider_and_the_emulator() {
    let home = tempfile::tempdir().unwrap();
    let emulator = emulator_binary();
    let out = Command::new("make")
        .arg("-C")
        .arg(repo_root())
        .args(["install", "CARGO=true", "PROFILE=debug"])
        .arg(format!("BIN={}", provider_binary().display()))
        .arg(format!("EMULATOR_BIN={}", emulator.display()))
        .env("HOME", home.path())
        .env_remove("PLUGIN_DIR")
        .env_remove("BIN_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run make");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{printed}");
    let version = env!("CARGO_PKG_VERSION");
    let plugin = home
        .path()
        .join(".terraform.d/plugins/registry.terraform.io/azurebackup/azurebackup")
        .join(version)
        .join(platform())
        .join(format!("terraform-provider-azurebackup_v{version}"));
    let installed_emulator = home.path().join(".local/bin/azurebackup-emulator");
    for (installed, built) in [
        (&plugin, provider_binary()),
        (&installed_emulator, emulator),
    ] {
        assert_same_executable(installed, &built, &printed);
    }
    let help = Command::new(&installed_emulator)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run the installed emulator");
    assert!(help.status.success(), "{help:?}");

    for page in ["README.md", "docs/emulator.md", "docs/guides/testing.md"] {
        let text = read(page).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("`make install`") && text.contains("~/.local/bin"),
            "{page} must say where `make install` puts the emulator"
        );
    }
}

fn assert_same_executable(installed: &Path, built: &Path, printed: &str) {
    use std::os::unix::fs::PermissionsExt;
    let bytes = std::fs::read(installed)
        .unwrap_or_else(|e| panic!("{}: {e}\n{printed}", installed.display()));
    assert!(
        bytes == std::fs::read(built).unwrap(),
        "{} differs from {}",
        installed.display(),
        built.display()
    );
    let mode = std::fs::metadata(installed).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "{} not executable",
        installed.display()
    );
}

/// The CHANGELOG is release notes: Keep-a-Changelog's version heading with HashiCorp's sections,
/// in their order, and none of the development log's issue numbers or measurements.
#[test]
fn changelog_is_release_notes() {
    let log = read("CHANGELOG.md");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        log.contains(&format!("\n## {version} (Unreleased)\n")),
        "{version} heading"
    );
    let at = |s: &str| {
        log.find(&format!("\n{s}:\n"))
            .unwrap_or_else(|| panic!("section {s} missing"))
    };
    assert!(at("FEATURES") < at("ENHANCEMENTS") && at("ENHANCEMENTS") < at("BUG FIXES"));
    for dev_log in ["(issue ", "RSS", " MB "] {
        assert!(!log.contains(dev_log), "development log text {dev_log:?}");
    }
    for line in log.lines().filter(|l| l.starts_with("* ")) {
        assert!(line.len() > 10, "{line}");
    }
}

/// The row splitter keeps a `|` inside backticks in its cell (the checks above depend on it).
#[test]
fn cells_split_markdown_rows() {
    assert_eq!(cells("| a | `b|c` | d |"), ["a", "`b|c`", "d"]);
    assert_eq!(cells("| a | b |").len(), 2);
}
