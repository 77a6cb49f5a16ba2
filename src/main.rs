//! The `keyhound` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    keyhound::cli::main()
}
