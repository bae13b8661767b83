//! The log of `popstore deliver` and `validate`: `[log] deliver_file` when
//! set, else the system log through `/dev/log` (RFC 3164 datagrams, as
//! other delivery agents write), else nowhere. Standard error belongs to
//! the MTA, which puts it into bounces: it gets only the reply, the log
//! gets the details (host paths, store errors).

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// One syslog datagram per event (user facility, priority by level is not
/// needed: the text carries the level).
#[derive(Debug, Clone)]
struct Syslog(Arc<UnixDatagram>);

impl Write for Syslog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        // <14>: facility user (1), severity informational (6).
        let line = format!("<14>popstore[{}]: {}", std::process::id(), text.trim_end());
        let _ = self.0.send(line.as_bytes());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Starts logging for `deliver`/`validate`; quietly logs nowhere when
/// neither the file nor the system log can be opened.
pub fn init(config: &Config) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v),
        _ => EnvFilter::try_new(&config.log.level),
    }
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let path = &config.log.deliver_file;
    if !path.as_os_str().is_empty() {
        if let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = builder.with_writer(Arc::new(file)).try_init();
        }
        return;
    }
    let Ok(socket) = UnixDatagram::unbound() else {
        return;
    };
    if socket.connect("/dev/log").is_ok() {
        let syslog = Syslog(Arc::new(socket));
        let _ = builder
            .without_time()
            .with_writer(move || syslog.clone())
            .try_init();
    }
}
