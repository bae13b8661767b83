fn main() -> std::process::ExitCode {
    popstore::cli::main()
}
