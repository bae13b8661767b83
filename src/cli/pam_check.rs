//! `popstore pam-check` (hidden): the PAM helper process of the `pam`
//! password source (`crate::auth::source::pam`). Not for people.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// `popstore pam-check` flags.
#[derive(Debug, Args)]
pub struct PamCheckArgs {
    /// The PAM service.
    #[arg(long)]
    pub service: String,
    /// The directory holding the service file (else /etc/pam.d).
    #[arg(long)]
    pub confdir: Option<PathBuf>,
}

/// Reads `login NUL password NUL` (4 KiB at most) and exits 0, 1 or 111.
pub fn run(args: &PamCheckArgs) -> ExitCode {
    let mut input = Vec::new();
    if std::io::stdin().take(4096).read_to_end(&mut input).is_err() {
        return ExitCode::from(111);
    }
    ExitCode::from(crate::auth::source::pam::helper(
        &args.service,
        args.confdir.as_deref(),
        &input,
    ))
}
