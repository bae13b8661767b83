//! TLS for the servers: a rustls server configuration (ring provider) from
//! PEM files, and a self-signed certificate made with rcgen so TLS works out
//! of the box (`popstore init`, first `popstore serve`). The certificate is
//! a [`ReloadableCert`]: `serve` reads its files again on SIGHUP.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS setup that failed, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {why}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        why: String,
    },
    /// rustls refused the certificate and key.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// Generating a certificate failed.
    #[error("generating a self-signed certificate: {0}")]
    Generate(String),
    /// Writing a generated file failed.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The crypto provider popstore uses everywhere: ring.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads a certificate chain and a private key from PEM files and builds a
/// server configuration (TLS 1.2 and 1.3).
pub fn load_server_config(cert_pem: &Path, key_pem: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    server_config(Arc::new(ReloadableCert::load(cert_pem, key_pem)?))
}

/// A server configuration (TLS 1.2 and 1.3) presenting `cert`'s current
/// certificate in every handshake, so a [`ReloadableCert::reload`] reaches
/// every new connection.
pub fn server_config(cert: Arc<ReloadableCert>) -> Result<Arc<ServerConfig>, TlsError> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    Ok(Arc::new(config))
}

/// The server certificate and key, read from their PEM files, replaced
/// when [`ReloadableCert::reload`] reads them again (SIGHUP). Connections
/// already open keep the certificate they started with.
#[derive(Debug)]
pub struct ReloadableCert {
    cert_pem: PathBuf,
    key_pem: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadableCert {
    /// Reads the pair; the key must match the certificate.
    pub fn load(cert_pem: &Path, key_pem: &Path) -> Result<ReloadableCert, TlsError> {
        Ok(ReloadableCert {
            current: RwLock::new(read_pair(cert_pem, key_pem)?),
            cert_pem: cert_pem.to_path_buf(),
            key_pem: key_pem.to_path_buf(),
        })
    }

    /// Reads the files again and presents the new pair from the next
    /// handshake on. On an error (a file missing or half written, a key
    /// not matching) the old pair stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = read_pair(&self.cert_pem, &self.key_pem)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = pair;
        Ok(())
    }

    /// The certificate file.
    pub fn cert_path(&self) -> &Path {
        &self.cert_pem
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// A certificate chain and its private key from PEM files, checked to
/// belong together.
fn read_pair(cert_pem: &Path, key_pem: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let pem_err = |path: &Path, why: String| TlsError::Pem {
        path: path.to_path_buf(),
        why,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
        .map_err(|e| pem_err(cert_pem, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_err(cert_pem, e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err(cert_pem, "no certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| pem_err(key_pem, e.to_string()))?;
    Ok(Arc::new(CertifiedKey::from_der(certs, key, &provider())?))
}

/// Writes a new self-signed certificate for `names` and its key (mode 0600
/// on Unix) as PEM files.
pub fn generate_self_signed(
    cert_pem: &Path,
    key_pem: &Path,
    names: &[String],
) -> Result<(), TlsError> {
    let ck = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    write_file(key_pem, ck.signing_key.serialize_pem().as_bytes(), true)?;
    write_file(cert_pem, ck.cert.pem().as_bytes(), false)?;
    Ok(())
}

/// Generates the self-signed pair unless the certificate file exists.
/// Returns true when it generated one.
pub fn ensure_self_signed(
    cert_pem: &Path,
    key_pem: &Path,
    names: &[String],
) -> Result<bool, TlsError> {
    if cert_pem.exists() {
        return Ok(false);
    }
    generate_self_signed(cert_pem, key_pem, names)?;
    Ok(true)
}

fn write_file(path: &Path, data: &[u8], private: bool) -> Result<(), TlsError> {
    use std::io::Write;
    let werr = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(werr)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path).map_err(werr)?;
    f.write_all(data).map_err(werr)?;
    f.sync_all().map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_loads() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (
            dir.path().join("tls/cert.pem"),
            dir.path().join("tls/key.pem"),
        );
        assert!(ensure_self_signed(&c, &k, &["localhost".into()]).unwrap());
        assert!(!ensure_self_signed(&c, &k, &["localhost".into()]).unwrap());
        load_server_config(&c, &k).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn bad_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("c.pem");
        std::fs::write(&c, "not pem").unwrap();
        let e = load_server_config(&c, &dir.path().join("missing.pem")).unwrap_err();
        assert!(e.to_string().contains("c.pem"), "{e}");
    }

    #[test]
    fn reload_keeps_the_old_pair_on_a_bad_file_and_takes_a_good_one() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        generate_self_signed(&c, &k, &["one.test".into()]).unwrap();
        let cert = ReloadableCert::load(&c, &k).unwrap();
        let first = cert.current.read().unwrap().cert[0].clone();
        std::fs::write(&c, "half written").unwrap();
        assert!(cert.reload().is_err());
        assert_eq!(cert.current.read().unwrap().cert[0], first);
        generate_self_signed(&c, &k, &["two.test".into()]).unwrap();
        cert.reload().unwrap();
        assert_ne!(cert.current.read().unwrap().cert[0], first);
    }
}
