//! `popstore folder acl get|set|delete USER NAME [IDENTIFIER [RIGHTS]]`:
//! the RFC 4314 access control list of a MessageStore account's folder,
//! through the store API the IMAP server uses. Identifiers: `anyone`, an
//! account, `$group`, each possibly after `-` (negative rights). Rights:
//! letters from `lrswipkxtea` (`c` and `d` as RFC 4314 2.1.1 says);
//! `+RIGHTS` adds, `-RIGHTS` removes, plain RIGHTS replace.

use clap::Subcommand;

use super::init::Failure;
use crate::store::Store;
use crate::store::acl::RightsChange;
use crate::store::folder_name::FolderName;
use crate::store::name::AccountName;
use crate::store::shared::AclListing;

/// `popstore folder acl ...`
#[derive(Debug, Subcommand)]
pub enum AclCmd {
    /// Show a folder's ACL.
    Get {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give, add (+RIGHTS) or take away (-RIGHTS) an identifier's rights.
    Set {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// `anyone`, an account, `$group`; `-` before it for negative rights.
        #[arg(allow_hyphen_values = true)]
        identifier: String,
        /// Letters from `lrswipkxtea`, after `+` to add or `-` to remove.
        #[arg(allow_hyphen_values = true)]
        rights: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an identifier's entry.
    Delete {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// The identifier.
        #[arg(allow_hyphen_values = true)]
        identifier: String,
    },
}

fn folder(s: &str) -> Result<FolderName, Failure> {
    FolderName::new(s).map_err(|e| Failure::usage(format!("folder {s:?}: {e}")))
}

/// Parses a rights argument (exit 2 on a bad letter).
pub(super) fn change(s: &str) -> Result<RightsChange, Failure> {
    RightsChange::parse(s).map_err(|e| Failure::usage(e.to_string()))
}

/// Prints an ACL as a table or JSON.
pub(super) fn print_acl(name: &FolderName, acl: &[AclListing], json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(acl).unwrap_or_default());
        return;
    }
    if acl.is_empty() {
        println!("{name}: no ACL entries");
    }
    for a in acl {
        println!("{:<32} {}", a.identifier, a.rights);
    }
}

/// Prints an identifier's new rights.
pub(super) fn print_set(identifier: &str, rights: crate::store::acl::Rights, json: bool) {
    if json {
        let v = serde_json::json!({ "identifier": identifier, "rights": rights });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("{identifier}: {}", rights.letters());
    }
}

/// Runs a `popstore folder acl` command; `acct` checks the manager's reach.
pub(super) fn run(
    store: &Store,
    acct: &dyn Fn(&str) -> Result<AccountName, Failure>,
    cmd: AclCmd,
) -> Result<(), Failure> {
    match cmd {
        AclCmd::Get { user, name, json } => {
            let f = folder(&name)?;
            print_acl(&f, &store.folder_acl(&acct(&user)?, &f)?, json);
        }
        AclCmd::Set {
            user,
            name,
            identifier,
            rights,
            json,
        } => {
            let (f, c) = (folder(&name)?, change(&rights)?);
            let r = store.set_folder_acl(&acct(&user)?, &f, &identifier, c)?;
            print_set(&identifier, r, json);
        }
        AclCmd::Delete {
            user,
            name,
            identifier,
        } => {
            let f = folder(&name)?;
            if !store.delete_folder_acl(&acct(&user)?, &f, &identifier)? {
                return Err(Failure::refused(format!(
                    "{f} has no ACL entry for {identifier}"
                )));
            }
            println!("deleted the entry of {identifier} on {f}");
        }
    }
    Ok(())
}
