//! Spooled messages: a message arriving piece by piece (an IMAP APPEND
//! literal) is canonicalised (SPEC.md 13.2: a bare LF becomes CRLF, a NUL
//! 0x80) and written to a spool file as it arrives, then mapped: its
//! precomputed IMAP answers and checksum come from the map, and the
//! message file is written from it. The heap never holds the message.
//!
//! The spool is a temporary file of the platform's own naming beside the
//! message file it will become (SPEC.md 14.4's message directory), so
//! `list` never shows it, and the leftover of a crash is removed by
//! `remove_leftovers` (repair, `serve` start-up); nothing refers to it.

use popstore_platform::Spool;

use super::engine::Store;
use super::error::Result;
use super::folder_name::FolderName;
use super::folders::NewMessage;
use super::layout::MessageId;
use super::messages::new_message_id;
use super::name::AccountName;

/// Bytes gathered before one write to the spool file.
const BUFFER: usize = 256 * 1024;

/// A message being spooled ([`Store::spool_message`]).
#[derive(Debug)]
pub struct MessageSpool {
    id: MessageId,
    file: Box<dyn Spool>,
    buf: Vec<u8>,
    /// The last raw byte seen (a CR ending one piece pairs with an LF
    /// beginning the next).
    prev: u8,
}

impl MessageSpool {
    /// Adds the next raw bytes of the message (any line ends).
    pub fn write(&mut self, raw: &[u8]) -> Result<()> {
        for &b in raw {
            if b == b'\n' && self.prev != b'\r' {
                self.buf.push(b'\r');
            }
            self.buf.push(if b == 0 { 0x80 } else { b });
            self.prev = b;
        }
        if self.buf.len() >= BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file.write(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Bytes of the canonical message so far.
    pub fn len(&self) -> u64 {
        self.file.len() + self.buf.len() as u64
    }

    /// Whether nothing was spooled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Store {
    /// Starts spooling a message (module docs).
    pub fn spool_message(&self) -> Result<MessageSpool> {
        let id = new_message_id();
        self.message_dir(id)?;
        let file = self.fs.spool(&self.paths.message(id))?;
        Ok(MessageSpool {
            id,
            file,
            buf: Vec::with_capacity(BUFFER + BUFFER / 8),
            prev: 0,
        })
    }

    /// Appends a spooled message to `folder` of `acct` as
    /// [`Store::append_message`] does (quota, precomputed answers, one
    /// reference); `m.bytes` is not used. The spool is removed.
    pub fn append_spooled(
        &self,
        acct: &AccountName,
        folder: &FolderName,
        mut spool: MessageSpool,
        m: &NewMessage<'_>,
    ) -> Result<(u32, u32)> {
        spool.flush()?;
        let map = spool.file.map()?;
        let pre = crate::mime::analyze(&map);
        self.append_canonical(acct, folder, &map, &pre, m, Some(spool.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_across_pieces_like_the_whole() {
        let raw = b"a\r\nb\nc\r\r\nd\0e\n\n.f\r";
        for cut in 0..raw.len() {
            let mut s = MessageSpool {
                id: MessageId(0),
                file: Box::new(popstore_platform::MemorySpool::default()),
                buf: Vec::new(),
                prev: 0,
            };
            s.write(&raw[..cut]).unwrap();
            s.write(&raw[cut..]).unwrap();
            s.flush().unwrap();
            let got = s.file.map().unwrap().to_vec();
            assert_eq!(
                got,
                crate::mime::canonicalize(raw).into_owned(),
                "cut {cut}"
            );
        }
    }
}
