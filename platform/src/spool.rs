//! Spools: temporary files written piece by piece (a message arriving over
//! the network), then mapped, so that no copy of the whole is held in
//! memory. A spool is named as the backend names its temporary files, so
//! [`Platform::list`](crate::Platform::list) skips it and
//! [`Platform::remove_temporaries`](crate::Platform::remove_temporaries)
//! removes one that a crash left behind; dropping a spool removes it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::types::Mapped;
use crate::vfs::Vfs;

/// A temporary file being written (see the module docs).
pub trait Spool: Send + fmt::Debug {
    /// Appends `data` to the spool.
    fn write(&mut self, data: &[u8]) -> Result<()>;
    /// Bytes written so far.
    fn len(&self) -> u64;
    /// Whether nothing was written.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Maps what was written (read-only); the spool stays until dropped.
    fn map(&mut self) -> Result<Mapped>;
}

/// A spool held in memory: the fallback of backends that have no
/// temporary files of their own (the OpenVMS backend today).
#[derive(Debug, Default)]
pub struct MemorySpool(Vec<u8>);

impl Spool for MemorySpool {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn map(&mut self) -> Result<Mapped> {
        Ok(Mapped::new(self.0.clone()))
    }
}

/// A spool file over a [`Vfs`] (the Linux and in-memory backends).
pub(crate) struct VfsSpool {
    pub(crate) vfs: Arc<dyn Vfs>,
    pub(crate) host: PathBuf,
    pub(crate) len: u64,
}

impl fmt::Debug for VfsSpool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VfsSpool({}, {} bytes)", self.host.display(), self.len)
    }
}

impl VfsSpool {
    fn err(&self, op: &'static str, e: std::io::Error) -> Error {
        Error::io(op, self.host.display().to_string(), e)
    }
}

impl Spool for VfsSpool {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.vfs
            .write_at(&self.host, self.len, data)
            .map_err(|e| self.err("spool", e))?;
        self.len += data.len() as u64;
        Ok(())
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn map(&mut self) -> Result<Mapped> {
        self.vfs
            .map(&self.host, self.len)
            .map_err(|e| self.err("spool", e))
    }
}

impl Drop for VfsSpool {
    fn drop(&mut self) {
        let _ = self.vfs.remove_file(&self.host);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::Platform;
    use crate::posix::PosixTree;
    use crate::testkit::{dp, sp};
    use crate::types::RecordFormat;

    #[test]
    fn a_spool_is_a_temporary_file_that_list_skips_and_a_crash_leaves_removable() {
        let p = PosixTree::memory(1);
        p.create_dir_all(&dp(&["M"])).unwrap();
        let near = sp(&["M"], "M1", "MSG");
        let mut s = p.spool(&near).unwrap();
        s.write(b"hello ").unwrap();
        s.write(b"world").unwrap();
        assert_eq!(&*s.map().unwrap(), b"hello world");
        assert!(p.list(&dp(&["M"])).unwrap().is_empty());
        let strays = p.strays(&dp(&["M"])).unwrap();
        assert_eq!(strays.len(), 1);
        assert!(crate::support::is_temp_name(&strays[0]), "{strays:?}");
        // The message file is written from parts, beside the spool.
        let big = vec![7u8; (1 << 20) + 3];
        p.create_new_parts(&near, RecordFormat::Fix512, &[b"head", &big])
            .unwrap();
        assert_eq!(p.read(&near).unwrap().len(), big.len() + 4);
        // A crash (the spool never dropped) leaves what repair removes.
        std::mem::forget(s);
        let removed = p.remove_temporaries(&dp(&["M"]), Duration::ZERO).unwrap();
        assert_eq!(removed, strays);
        assert!(p.strays(&dp(&["M"])).unwrap().is_empty());
    }

    #[test]
    fn dropping_a_spool_removes_it() {
        let p = PosixTree::memory(1);
        p.create_dir_all(&dp(&["M"])).unwrap();
        let s = p.spool(&sp(&["M"], "M1", "MSG")).unwrap();
        assert_eq!(p.strays(&dp(&["M"])).unwrap().len(), 1);
        drop(s);
        assert!(p.strays(&dp(&["M"])).unwrap().is_empty());
    }
}
