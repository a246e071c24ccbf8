//! Generates the Registry-layout documentation from the schema's descriptions.

use std::process::ExitCode;

pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    todo!("docs")
}
