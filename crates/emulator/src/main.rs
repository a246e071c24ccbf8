//! `azurebackup-emulator`: the emulator as a program (flags in [`azurebackup_emulator::cli`]).

fn main() -> std::process::ExitCode {
    azurebackup_emulator::cli::main()
}
