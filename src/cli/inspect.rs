//! `popstore inspect FILE [--hex]`: prints a store file decoded, as JSON;
//! `--hex` annotates every byte instead. The kind comes from the magic. A
//! bad file: the error with its byte offset, exit 1.
//!
//! `--host openvms` reads a file of the OpenVMS layout: FILE is either a
//! file specification resolved in the store (`--store`), such as
//! `'ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.PRF'` (`;n` for a version), or the
//! host path of a version file; either way the data ends at the end of
//! file in the file's record attributes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use popstore_formats::AnyFile;
use popstore_platform_openvms::FileSpec;

use crate::host::HostKind;

/// Arguments of `popstore inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The file to decode (with `--host openvms`, also a file
    /// specification `DEV:[DIR]NAME.TYPE;VER` in the store).
    pub file: PathBuf,
    /// Annotate the bytes (offset, hex, meaning) instead of printing JSON.
    #[arg(long)]
    pub hex: bool,
    /// The host layout the file is in.
    #[arg(long, value_enum, default_value = "linux")]
    pub host: HostKind,
    /// Print ENVELOPE and BODYSTRUCTURE as in a FETCH response.
    #[arg(long, conflicts_with = "hex")]
    pub imap: bool,
    /// With --imap: FILE is a raw RFC 5322 message, not a store file.
    #[arg(long, requires = "imap")]
    pub raw: bool,
}

fn read(store: &Path, args: &InspectArgs) -> Result<Vec<u8>, String> {
    match args.host {
        HostKind::Linux => std::fs::read(&args.file).map_err(|e| e.to_string()),
        HostKind::Openvms => {
            let given = args.file.to_string_lossy();
            if !args.file.exists() && FileSpec::parse(&given).is_ok() {
                let probe = popstore_platform_openvms::openvms(vec![store.to_path_buf()]);
                let roots = crate::host::store_roots(store, &probe);
                popstore_platform_openvms::openvms(roots)
                    .read_spec(&given)
                    .map_err(|e| e.to_string())
            } else {
                popstore_platform_openvms::read_host_file(&args.file).map_err(|e| e.to_string())
            }
        }
    }
}

/// Runs `popstore inspect` (a file specification is looked up in `store`).
pub fn run(store: &Path, args: InspectArgs) -> ExitCode {
    if args.imap {
        return super::inspect_imap::run(&args.file, args.raw);
    }
    let bytes = match read(store, &args) {
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
