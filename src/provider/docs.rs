//! Generates the Registry-layout documentation (`docs/index.md`, `docs/resources/instance.md`,
//! `docs/data-sources/*.md`, `docs/list-resources/instance.md`, `docs/actions/*.md`, `docs/functions/*.md`) from the schemas' descriptions, the function
//! signatures and the files in `examples/`, so the docs cannot drift from the
//! code: `generate-docs --check` (run by the test suite) fails when the committed pages differ.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::tfplugin::{Attribute, Block, Function, Nesting, Type};

/// Picks the attributes of one documentation section.
type Pick = fn(&Attribute) -> bool;

/// `generate-docs [--check] [--root DIR]`.
pub fn main(args: Vec<String>) -> ExitCode {
    let check = args.iter().any(|a| a == "--check");
    let root = args
        .iter()
        .position(|a| a == "--root")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let pages = match render(&root) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("generate-docs: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stale = Vec::new();
    for (rel, text) in &pages {
        let path = root.join(rel);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == *text {
            continue;
        }
        if check {
            stale.push(rel.display().to_string());
        } else {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("generate-docs: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            eprintln!("wrote {}", rel.display());
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "generate-docs: stale documentation: {} (run `make generate`)",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn read(root: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
}

/// Every generated page, as (path relative to the repository root, contents).
pub fn render(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    Ok([
        (PathBuf::from("docs/index.md"), render_index(root)?),
        (
            PathBuf::from("docs/resources/instance.md"),
            render_instance(root)?,
        ),
        (
            PathBuf::from("docs/resources/restore.md"),
            render_restore(root)?,
        ),
        (
            PathBuf::from("docs/list-resources/instance.md"),
            render_list_resource(root)?,
        ),
        (
            PathBuf::from("docs/data-sources/instance.md"),
            render_data_source(
                root,
                super::data::INSTANCE_TYPE_NAME,
                &super::data::instance_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/data-sources/instances.md"),
            render_data_source(
                root,
                super::data::INSTANCES_TYPE_NAME,
                &super::data::instances_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/data-sources/role_assignments.md"),
            render_data_source(
                root,
                super::data::ROLE_ASSIGNMENTS_TYPE_NAME,
                &super::data::role_assignments_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/data-sources/recovery_points.md"),
            render_data_source(
                root,
                super::data::RECOVERY_POINTS_TYPE_NAME,
                &super::data::recovery_points_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/data-sources/backup_jobs.md"),
            render_data_source(
                root,
                super::data::BACKUP_JOBS_TYPE_NAME,
                &super::data::backup_jobs_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/data-sources/restorable_time_ranges.md"),
            render_data_source(
                root,
                super::data::RESTORABLE_TIME_RANGES_TYPE_NAME,
                &super::data::restorable_time_ranges_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/actions/backup_now.md"),
            render_action(
                root,
                super::actions::BACKUP_NOW_TYPE_NAME,
                &super::actions::backup_now_schema().block,
            )?,
        ),
        (
            PathBuf::from("docs/actions/sync_instance.md"),
            render_action(
                root,
                super::actions::SYNC_INSTANCE_TYPE_NAME,
                &super::actions::sync_instance_schema().block,
            )?,
        ),
    ]
    .into_iter()
    .chain(
        super::functions::all()
            .iter()
            .map(|f| {
                Ok((
                    PathBuf::from(format!("docs/functions/{}.md", f.name())),
                    render_function(root, f.as_ref())?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?,
    )
    .collect())
}

fn type_name(t: &Type) -> String {
    match t {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn attr_line(out: &mut String, a: &Attribute) {
    let mut extra = String::new();
    if a.sensitive {
        extra.push_str(", Sensitive");
    }
    let _ = writeln!(
        out,
        "- `{}` ({}{}) {}",
        a.name,
        type_name(&a.ty),
        extra,
        a.description
    );
}

/// The tfplugindocs layout: Required / Optional / Read-Only, then nested blocks.
fn schema_section(out: &mut String, block: &Block, anchor: &str) {
    let groups: [(&str, Pick); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    for (title, pick) in groups {
        let attrs: Vec<&Attribute> = block.attributes.iter().filter(|a| pick(a)).collect();
        let blocks: Vec<_> = if title == "Optional" {
            block.blocks.iter().filter(|b| b.min_items == 0).collect()
        } else {
            Vec::new()
        };
        if attrs.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for a in attrs {
            attr_line(out, a);
        }
        for b in blocks {
            let kind = match b.nesting {
                Nesting::Single | Nesting::Group => "Block",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
                Nesting::Map => "Block Map",
            };
            let _ = writeln!(
                out,
                "- `{}` ({kind}) {} (see [below for nested schema](#nestedblock--{}))",
                b.type_name, b.block.description, b.type_name
            );
        }
        out.push('\n');
    }
    for b in &block.blocks {
        let _ = writeln!(
            out,
            "<a id=\"nestedblock--{}\"></a>\n### Nested Schema for `{}`\n",
            b.type_name, b.type_name
        );
        let _ = anchor;
        for (title, pick) in [
            ("Required", (|a: &Attribute| a.required) as Pick),
            ("Optional", |a| a.optional),
        ] {
            let attrs: Vec<&Attribute> = b.block.attributes.iter().filter(|a| pick(a)).collect();
            if attrs.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}:\n");
            for a in attrs {
                attr_line(out, a);
            }
            out.push('\n');
        }
    }
}

fn render_index(root: &Path) -> Result<String, String> {
    let schema = super::config::schema();
    let example = read(root, "examples/provider/provider.tf")?;
    let mut out = String::new();
    out.push_str("---\npage_title: \"azurebackup Provider\"\ndescription: |-\n  Protect Azure resources with Azure Backup (Data Protection backup instances).\n---\n\n");
    out.push_str("<!-- Generated by `make generate` from the provider schema and examples/. Do not edit. -->\n\n");
    out.push_str("# azurebackup Provider\n\n");
    out.push_str(&schema.block.description);
    // The kinds come from the catalogue, so the count and the names cannot drift from it.
    let kinds: Vec<&str> = crate::azure::catalogue::CATALOGUE
        .iter()
        .map(|e| e.plural)
        .collect();
    let kinds = match kinds.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => kinds.join(""),
    };
    out.push_str(&format!(
        "\n\nIts resource [`azurebackup_instance`](resources/instance.md) is a backup instance in an Azure Backup vault, for any of the {} datasource kinds a Backup vault protects: {kinds} (the kinds table on [its page](resources/instance.md) gives each kind's arguments and roles); [`azurebackup_restore`](resources/restore.md) restores one, to a new disk, into containers, as files, in place, and so on for every kind (see [Restore drills](guides/restore-drill.md)).",
        crate::azure::catalogue::CATALOGUE.len()
    ));
    out.push_str(" The data sources [`azurebackup_instance`](data-sources/instance.md) and [`azurebackup_instances`](data-sources/instances.md) read protection, [`azurebackup_role_assignments`](data-sources/role_assignments.md) tells which roles the vault needs on which scopes, [`azurebackup_recovery_points`](data-sources/recovery_points.md) and [`azurebackup_backup_jobs`](data-sources/backup_jobs.md) show what the backups produced, [`azurebackup_restorable_time_ranges`](data-sources/restorable_time_ranges.md) gives the windows an operational blob backup can be restored to any point in, the actions [`azurebackup_backup_now`](actions/backup_now.md) and [`azurebackup_sync_instance`](actions/sync_instance.md) (Terraform 1.14+) take a backup on demand and fix a protection error (see [Proving your backups work](guides/prove-your-backups.md)), and the functions [`parse_backup_instance_id`](functions/parse_backup_instance_id.md) and [`backup_instance_name`](functions/backup_instance_name.md) (Terraform 1.8+) help module authors. The list resource [`azurebackup_instance`](list-resources/instance.md) finds a vault's instances for `terraform query` (Terraform 1.14+), and the resource has an identity for `import { identity = {...} }` (Terraform 1.12+): see [Adopting existing instances](guides/adopt-existing-instances.md). Coming from azurerm? See [Migrating from azurerm](guides/migrate-from-azurerm.md); to test modules offline, see [Testing modules](guides/testing.md). A separate emulator binary (`azurebackup-emulator`, see [emulator.md](emulator.md)) lets you run everything offline.\n\n");
    out.push_str("## Example Usage\n\n```terraform\n");
    out.push_str(example.trim_end());
    out.push_str("\n```\n\n");
    out.push_str(AUTH_TEXT);
    out.push_str("\n## Schema\n\n");
    schema_section(&mut out, &schema.block, "");
    Ok(out.trim_end().to_owned() + "\n")
}

const AUTH_TEXT: &str = "## Authentication

The provider chooses one method when it is configured, like the `azurerm` provider: the first method whose inputs are present wins, and a method that is asked for but misconfigured is an error instead of silently falling through to the next.

| order | method | what selects it |
|---|---|---|
| 1 | Client certificate | `client_certificate_path` (`ARM_CLIENT_CERTIFICATE_PATH`) with `client_id` and `tenant_id` |
| 2 | Client secret | `client_secret` or `client_secret_file_path` (`ARM_CLIENT_SECRET`, `ARM_CLIENT_SECRET_FILE_PATH`) with `client_id` and `tenant_id` |
| 3 | OIDC | `use_oidc = true` with `oidc_token`, `oidc_token_file_path`, GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_*`, or an Azure DevOps service connection |
| 4 | AKS workload identity | `use_aks_workload_identity = true` |
| 5 | Managed identity | `use_msi = true`, optionally `msi_endpoint` |
| 6 | Azure CLI | `use_cli` (on by default) and a signed-in `az` |

Secrets never appear in logs, diagnostics or state.
";

fn render_instance(root: &Path) -> Result<String, String> {
    let schema = super::instance::schema();
    let mut out = String::new();
    out.push_str("---\npage_title: \"azurebackup_instance Resource - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  A backup instance in an Azure Backup vault.\n---\n\n");
    out.push_str("<!-- Generated by `make generate` from the provider schema and examples/. Do not edit. -->\n\n");
    out.push_str("# azurebackup_instance (Resource)\n\n");
    out.push_str(&schema.block.description);
    out.push_str("\n\n## Example Usage\n\n");
    for (title, file) in [
        (
            "Managed disk",
            "examples/resources/azurebackup_instance/disk.tf",
        ),
        (
            "PostgreSQL single-server database",
            "examples/resources/azurebackup_instance/postgresql.tf",
        ),
        (
            "PostgreSQL flexible server",
            "examples/resources/azurebackup_instance/postgresql_flexible.tf",
        ),
        (
            "Blob storage, operational backup",
            "examples/resources/azurebackup_instance/blob_operational.tf",
        ),
        (
            "Blob storage, vaulted backup",
            "examples/resources/azurebackup_instance/blob_vaulted.tf",
        ),
        (
            "Data Lake Storage",
            "examples/resources/azurebackup_instance/data_lake.tf",
        ),
        (
            "AKS cluster",
            "examples/resources/azurebackup_instance/kubernetes.tf",
        ),
        (
            "MySQL flexible server",
            "examples/resources/azurebackup_instance/mysql_flexible.tf",
        ),
        (
            "Cosmos DB account",
            "examples/resources/azurebackup_instance/cosmos_db.tf",
        ),
        (
            "Elastic SAN volume group",
            "examples/resources/azurebackup_instance/elastic_san.tf",
        ),
    ] {
        let text = read(root, file)?;
        let _ = write!(
            out,
            "### {title}\n\n```terraform\n{}\n```\n\n",
            text.trim_end()
        );
    }
    out.push_str("## Schema\n\n");
    schema_section(&mut out, &schema.block, "");
    let import = read(root, "examples/resources/azurebackup_instance/import.sh")?;
    out.push_str("## Import\n\nImport is supported using the following syntax:\n\n```shell\n");
    out.push_str(import.trim_end());
    out.push_str("\n```\n");
    let by_identity = read(
        root,
        "examples/resources/azurebackup_instance/import-by-identity.hcl",
    )?;
    out.push_str("\nIn Terraform 1.12 and later an `import` block can name the instance by its resource identity instead (`terraform query` writes such blocks; see [the list resource](../list-resources/instance.md) and [Adopting existing instances](../guides/adopt-existing-instances.md)):\n\n```terraform\n");
    out.push_str(by_identity.trim_end());
    out.push_str("\n```\n\n### Identity Schema\n\n");
    for a in super::instance::identity::schema().attributes {
        let _ = writeln!(
            out,
            "- `{}` ({}, {}) {}",
            a.name,
            type_name(&a.ty),
            if a.required_for_import {
                "Required for import"
            } else {
                "Optional for import"
            },
            a.description
        );
    }
    out.push_str("\nThe identity is computed from the instance's ID, never changes for an instance in state (a change is refused with an error), and state written before identities existed gains it on the next refresh.\n");
    Ok(out)
}

/// The restore resource's page: its description (with the kinds' target blocks), one example
/// per shape of restore, its schema.
fn render_restore(root: &Path) -> Result<String, String> {
    let schema = super::restore::schema::schema();
    let mut out = String::new();
    out.push_str("---\npage_title: \"azurebackup_restore Resource - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  A restore of a backup instance from Azure Backup.\n---\n\n");
    out.push_str(GENERATED);
    out.push_str("# azurebackup_restore (Resource)\n\n");
    out.push_str(&schema.block.description);
    out.push_str("\n\n## Example Usage\n\n");
    for (title, file) in [
        (
            "Managed disk to a new disk (a drill that cleans up)",
            "disk.tf",
        ),
        ("PostgreSQL flexible server as files", "files.tf"),
        (
            "Vaulted blob containers into another account",
            "containers.tf",
        ),
        (
            "Operational blobs in place, to a point in time",
            "in_place.tf",
        ),
    ] {
        let example = read(
            root,
            &format!("examples/resources/azurebackup_restore/{file}"),
        )?;
        let _ = write!(
            out,
            "### {title}\n\n```terraform\n{}\n```\n\n",
            example.trim_end()
        );
    }
    out.push_str("## Schema\n\n");
    schema_section(&mut out, &schema.block, "restore");
    out.push_str("\n## Import\n\nA restore cannot be imported: it records a restore Terraform started. Past restores are jobs: see the `azurebackup_backup_jobs` data source.\n");
    Ok(out.trim_end().to_owned() + "\n")
}

fn render_list_resource(root: &Path) -> Result<String, String> {
    let schema = super::instance::list::schema();
    let example = read(
        root,
        "examples/list-resources/azurebackup_instance/list.tfquery.hcl",
    )?;
    let mut out = String::new();
    out.push_str("---\npage_title: \"azurebackup_instance List Resource - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  Finds the backup instances of a Backup vault for terraform query.\n---\n\n");
    out.push_str(GENERATED);
    out.push_str("# azurebackup_instance (List Resource)\n\n");
    out.push_str(&schema.block.description);
    out.push_str("\n\nEach result is one instance: its [identity](../resources/instance.md#identity-schema), a display name with its kind and datasource (e.g. `disk-1-b629… (managed disk disk-1)`), and with `include_resource = true` the state a refresh would give. `terraform query -generate-config-out=FILE` writes an `import` block by identity and a `resource` block for each; the next `terraform plan` shows only imports. See [Adopting existing instances](../guides/adopt-existing-instances.md).\n\n");
    let _ = write!(
        out,
        "## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        example.trim_end()
    );
    schema_section(&mut out, &schema.block, "");
    Ok(out.trim_end().to_owned() + "\n")
}

const GENERATED: &str = "<!-- Generated by `make generate` from the provider schema and examples/. Do not edit. -->\n\n";

fn render_data_source(root: &Path, type_name: &str, block: &Block) -> Result<String, String> {
    let example = read(
        root,
        &format!("examples/data-sources/{type_name}/data-source.tf"),
    )?;
    let short = type_name.trim_start_matches("azurebackup_");
    let mut out = String::new();
    let first = block.description.split(". ").next().unwrap_or_default();
    let _ = write!(
        out,
        "---\npage_title: \"{type_name} Data Source - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  {}.\n---\n\n",
        first.trim_end_matches('.')
    );
    out.push_str(GENERATED);
    let _ = write!(
        out,
        "# {type_name} (Data Source)\n\n{}\n\n",
        block.description
    );
    let _ = write!(
        out,
        "## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        example.trim_end()
    );
    schema_section(&mut out, block, short);
    Ok(out.trim_end().to_owned() + "\n")
}

/// An action's page (Terraform 1.14+): its `config` block's arguments.
fn render_action(root: &Path, type_name: &str, block: &Block) -> Result<String, String> {
    let example = read(root, &format!("examples/actions/{type_name}/action.tf"))?;
    let short = type_name.trim_start_matches("azurebackup_");
    let mut out = String::new();
    let first = block.description.split(". ").next().unwrap_or_default();
    let _ = write!(
        out,
        "---\npage_title: \"{type_name} Action - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  {}.\n---\n\n",
        first.trim_end_matches('.')
    );
    out.push_str(GENERATED);
    let _ = write!(
        out,
        "# {type_name} (Action)\n\n{}\n\nActions need Terraform 1.14 or newer; older versions ignore them (the rest of the provider works unchanged). An action changes no state: it runs when `terraform apply -invoke=action.{type_name}.NAME` names it, or when an `action_trigger` in a resource's `lifecycle` fires it. See [Proving your backups work](../guides/prove-your-backups.md).\n\n",
        block.description
    );
    let _ = write!(
        out,
        "## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        example.trim_end()
    );
    schema_section(&mut out, block, short);
    Ok(out.trim_end().to_owned() + "\n")
}

fn render_function(root: &Path, f: &dyn Function) -> Result<String, String> {
    let name = f.name();
    let sig = f.signature();
    let example = read(root, &format!("examples/functions/{name}/function.tf"))?;
    let mut out = String::new();
    let _ = write!(
        out,
        "---\npage_title: \"{name} function - azurebackup\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n",
        sig.summary
    );
    out.push_str(GENERATED);
    let _ = write!(
        out,
        "# function: {name}\n\n{}\n\nProvider functions need Terraform 1.8 or later; older versions do not offer them (the rest of the provider works there).\n\n",
        sig.description
    );
    let _ = write!(
        out,
        "## Example Usage\n\n```terraform\n{}\n```\n\n## Signature\n\n```text\n{name}({}) {}\n```\n\n## Arguments\n\n",
        example.trim_end(),
        sig.parameters
            .iter()
            .map(|p| format!("{} {}", p.name, type_name(&p.ty).to_lowercase()))
            .collect::<Vec<_>>()
            .join(", "),
        type_name(&sig.returns).to_lowercase()
    );
    for (i, p) in sig.parameters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. `{}` ({}) {}",
            i + 1,
            p.name,
            type_name(&p.ty),
            p.description
        );
    }
    if let Type::Object(attrs) = &sig.returns {
        out.push_str("\n## Return Value\n\nAn object with these attributes:\n\n");
        for (n, what) in super::functions::PARTS {
            if attrs.contains_key(*n) {
                let _ = writeln!(out, "- `{n}` (String) {what}");
            }
        }
    }
    Ok(out.trim_end().to_owned() + "\n")
}
