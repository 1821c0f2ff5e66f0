//! The `radaudit` binary: everything lives in the library; this only dispatches.

fn main() -> std::process::ExitCode {
    radaudit::cli::main()
}
