//! Entry point: the same binary is the Terraform plugin (no sub-command) and the documentation
//! generator (`generate-docs`). The emulator is a separate binary, `azurebackup-emulator`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate-docs") => {
            terraform_provider_azurebackup::provider::docs::main(args[1..].to_vec())
        }
        _ => terraform_provider_azurebackup::tfplugin::main(
            terraform_provider_azurebackup::provider::IDENTITY,
            args,
            terraform_provider_azurebackup::provider::new_provider,
        ),
    }
}
