//! A local, offline stand-in for the Azure Data Protection API and its token endpoint.

use std::process::ExitCode;

/// `terraform-provider-azurebackup emulator [flags]`; `args` excludes the word `emulator`.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    todo!("emulator")
}
