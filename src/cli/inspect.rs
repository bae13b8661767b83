//! `popstore inspect FILE [--hex]`: prints a store file decoded, as JSON;
//! `--hex` annotates every byte instead. The kind comes from the magic. A
//! bad file: the error with its byte offset, exit 1.

use std::path::PathBuf;
use std::process::ExitCode;

use popstore_formats::AnyFile;

/// Arguments of `popstore inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The file to decode.
    pub file: PathBuf,
    /// Annotate the bytes (offset, hex, meaning) instead of printing JSON.
    #[arg(long)]
    pub hex: bool,
}

/// Runs `popstore inspect`.
pub fn run(args: InspectArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("popstore inspect: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    if args.hex {
        return match popstore_formats::annotate::annotate(&bytes) {
            Ok(lines) => {
                print!("{}", popstore_formats::annotate::render(&bytes, &lines));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("popstore inspect: {}: {e}", args.file.display());
                ExitCode::from(1)
            }
        };
    }
    match AnyFile::decode(&bytes) {
        Ok(f) => {
            let v = serde_json::json!({ "kind": f.kind(), "value": f });
            match serde_json::to_string_pretty(&v) {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("popstore inspect: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            eprintln!("popstore inspect: {}: {e}", args.file.display());
            ExitCode::from(1)
        }
    }
}
