//! An IMAP client connection: TCP, implicit TLS (`imaps://`) or STARTTLS
//! (`imap://`, required unless plaintext is asked for), tagged commands,
//! and whole responses read with their literals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use super::value::literal_at_end;

/// The largest literal accepted (a message): 2 GiB.
const MAX_LITERAL: usize = 2 << 30;

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(b),
            Stream::Tls(s) => s.read(b),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(b),
            Stream::Tls(s) => s.write(b),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Implicit TLS from the first byte.
    pub implicit_tls: bool,
    /// No TLS at all (loopback tests).
    pub plaintext: bool,
    /// PEM file of the certificates to trust (default: the system's).
    pub ca_file: Option<std::path::PathBuf>,
}

/// An open connection.
pub struct Conn {
    r: BufReader<Stream>,
    tag: u32,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("tag", &self.tag).finish()
    }
}

fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let file = ca_file.unwrap_or(std::path::Path::new("/etc/ssl/certs/ca-certificates.crt"));
    let mut roots = rustls::RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(file).map_err(|e| format!("{}: {e}", file.display()))?;
    for c in certs.flatten() {
        let _ = roots.add(c);
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn wrap_tls(tcp: TcpStream, t: &Target) -> Result<Stream, String> {
    let config = tls_config(t.ca_file.as_deref())?;
    let name = rustls_pki_types::ServerName::try_from(t.host.clone())
        .map_err(|e| format!("{}: {e}", t.host))?;
    let c = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(c, tcp))))
}

/// Quotes `s` as an IMAP quoted string (`None`: it needs a literal).
fn quoted(s: &str) -> Option<String> {
    if s.bytes()
        .any(|b| b == b'\r' || b == b'\n' || b == 0 || b > 0x7E)
    {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

impl Conn {
    /// Connects, reads the greeting, does STARTTLS when it must.
    pub fn open(t: &Target) -> Result<Conn, String> {
        let tcp = TcpStream::connect((t.host.as_str(), t.port))
            .map_err(|e| format!("{}:{}: {e}", t.host, t.port))?;
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(300)));
        let _ = tcp.set_write_timeout(Some(Duration::from_secs(300)));
        let stream = if t.implicit_tls && !t.plaintext {
            wrap_tls(tcp, t)?
        } else {
            Stream::Plain(tcp)
        };
        let mut c = Conn {
            r: BufReader::new(stream),
            tag: 0,
        };
        let greeting = c.response().map_err(|e| format!("greeting: {e}"))?;
        if !greeting.starts_with(b"* OK") && !greeting.starts_with(b"* PREAUTH") {
            return Err(format!(
                "greeting: {}",
                String::from_utf8_lossy(&greeting).trim_end()
            ));
        }
        if !t.implicit_tls && !t.plaintext {
            c.command("STARTTLS", |_| {})?;
            let Stream::Plain(tcp) = c.r.into_inner() else {
                return Err("STARTTLS on a TLS connection".into());
            };
            c = Conn {
                r: BufReader::new(wrap_tls(tcp, t)?),
                tag: c.tag,
            };
        }
        Ok(c)
    }

    /// Reads one whole response (a line, with every literal it announces
    /// and the rest of the line after each).
    pub fn response(&mut self) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        loop {
            let start = buf.len();
            let n = self.r.read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            match literal_at_end(&buf[start..]) {
                Some(len) if len <= MAX_LITERAL => {
                    let at = buf.len();
                    buf.resize(at + len, 0);
                    self.r.read_exact(&mut buf[at..])?;
                }
                Some(len) => {
                    return Err(std::io::Error::other(format!("literal of {len} bytes")));
                }
                None => return Ok(buf),
            }
        }
    }

    fn send(&mut self, b: &[u8]) -> std::io::Result<()> {
        let s = self.r.get_mut();
        s.write_all(b)?;
        s.flush()
    }

    /// Sends `cmd` (tagged), gives each untagged response to `each`, and
    /// succeeds on a tagged OK.
    pub fn command(&mut self, cmd: &str, each: impl FnMut(&[u8])) -> Result<(), String> {
        self.command_parts(cmd.as_bytes(), &[], each)
    }

    /// Like [`Conn::command`]: `head` followed by each of `literals` as a
    /// synchronising literal, separated by spaces.
    fn command_parts(
        &mut self,
        head: &[u8],
        literals: &[&[u8]],
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), String> {
        self.tag += 1;
        let tag = format!("m{}", self.tag);
        let io = |e: std::io::Error| format!("connection: {e}");
        let mut pending = format!("{tag} ").into_bytes();
        pending.extend_from_slice(head);
        for (k, p) in literals.iter().enumerate() {
            pending.extend_from_slice(format!("{{{}}}\r\n", p.len()).as_bytes());
            self.send(&pending).map_err(io)?;
            let r = self.response().map_err(io)?;
            if !r.starts_with(b"+") {
                return Err(String::from_utf8_lossy(&r).trim_end().to_string());
            }
            pending = p.to_vec();
            if k + 1 < literals.len() {
                pending.push(b' ');
            }
        }
        pending.extend_from_slice(b"\r\n");
        self.send(&pending).map_err(io)?;
        loop {
            let r = self.response().map_err(io)?;
            if r.starts_with(tag.as_bytes()) && r.get(tag.len()) == Some(&b' ') {
                let rest = &r[tag.len() + 1..];
                if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"OK") {
                    return Ok(());
                }
                return Err(String::from_utf8_lossy(rest).trim_end().to_string());
            }
            each(&r);
        }
    }

    /// Logs in (LOGIN; strings that cannot be quoted go as literals).
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), String> {
        match (quoted(user), quoted(password)) {
            (Some(u), Some(p)) => self.command(&format!("LOGIN {u} {p}"), |_| {}),
            _ => self.command_parts(b"LOGIN ", &[user.as_bytes(), password.as_bytes()], |_| {}),
        }
    }

    /// A mailbox name as an argument.
    pub fn mailbox_arg(name: &str) -> String {
        quoted(name).unwrap_or_else(|| format!("\"{name}\""))
    }
}
