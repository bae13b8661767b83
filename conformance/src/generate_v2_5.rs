//! Makes the fixtures added with format 2.5: a descriptor with the
//! `share-index` feature (SPEC.md 5 and 9.3), beside every feature a new
//! store has. The share index's entries are empty files, so they have no
//! fixture of their own. Used by the `generate-fixtures` binary, which
//! never overwrites a file.

use popstore_formats::descriptor::StoreFlags;
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::Fixture;

/// The version folder of these fixtures.
const V: &str = "v2.5";

/// Every fixture first made for format version 2.5.
pub fn v2_5() -> Vec<Fixture> {
    let d = FileKind::DESCRIPTOR.name().unwrap_or("unknown");
    let mut desc = samples::descriptors()[1].clone();
    desc.flags = desc.flags
        | StoreFlags::ID_MESSAGE_DIRS
        | StoreFlags::LIST_JOURNAL
        | StoreFlags::FOLDER_JOURNAL
        | StoreFlags::FOLDER_FREED
        | StoreFlags::SHARE_INDEX;
    vec![Fixture {
        rel: format!(
            "{V}/{d}/id-message-dirs-list-journal-folder-journal-folder-freed-share-index"
        ),
        bytes: desc.encode().expect("descriptor encodes"),
        invalid: false,
    }]
}
