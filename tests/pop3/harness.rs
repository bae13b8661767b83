//! The in-process POP3 server the socket tests talk to: both listeners on
//! 127.0.0.1, a self-signed certificate, the in-memory maildrop, and three
//! accounts (`ann`, `bob`, `cy`, password `NAME-pw`) holding every verifier.
#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use popstore::auth::{
    AccountFlags, Authenticator, Credentials, Secret, StaticCredentials, VerifierOptions, Verifiers,
};
use popstore::pop3::memory::MemoryStore;
use popstore::pop3::{ListenerKind, Pop3Service, Pop3Settings, run};

pub struct Server {
    pub pop3: SocketAddr,
    pub pop3s: SocketAddr,
    pub store: MemoryStore,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn start(settings: Pop3Settings) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    popstore::tls::generate_self_signed(&cert, &key, &["localhost".into()]).unwrap();
    let tls = popstore::tls::load_server_config(&cert, &key).unwrap();
    let store = MemoryStore::new();
    let creds = Arc::new(StaticCredentials::new());
    let opts = VerifierOptions {
        cram_md5: true,
        apop: true,
        ..VerifierOptions::default()
    };
    for user in ["ann", "bob", "cy"] {
        creds.insert(Credentials {
            user: user.into(),
            verifiers: Verifiers::from_password(&Secret::new(format!("{user}-pw")), &opts).unwrap(),
            flags: AccountFlags::default(),
        });
    }
    let service = Pop3Service::new(
        settings,
        Arc::new(store.clone()),
        Authenticator::new(creds, None),
        Some(tls),
    );
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let implicit = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx
                .send((plain.local_addr().unwrap(), implicit.local_addr().unwrap()))
                .unwrap();
            let (tx, rx) = tokio::sync::watch::channel(false);
            let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                let _ = rx.wait_for(|v| *v).await;
            };
            let a = tokio::spawn(run(
                plain,
                ListenerKind::Plain,
                Arc::clone(&service),
                wait(rx.clone()),
            ));
            let b = tokio::spawn(run(implicit, ListenerKind::Implicit, service, wait(rx)));
            let _ = stop_rx.await;
            let _ = tx.send(true);
            a.await.unwrap().unwrap();
            b.await.unwrap().unwrap();
        });
    });
    let (pop3, pop3s) = addr_rx.recv().unwrap();
    Server {
        pop3,
        pop3s,
        store,
        dir,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// Three messages: dot lines, a large one with many dot lines, 8-bit text.
pub fn messages() -> Vec<Vec<u8>> {
    let head = |subject: &str| {
        format!(
            "From: sender@example.org\r\nTo: ann@example.org\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\n"
        )
    };
    let m1 = format!("{}.leading dot\r\n..two dots\r\n.\r\nend\r\n", head("dots")).into_bytes();
    let mut m2 = head("large").into_bytes();
    for i in 0..20_000 {
        if i % 7 == 0 {
            m2.extend_from_slice(format!(".{i} a line that starts with a dot\r\n").as_bytes());
        } else {
            m2.extend_from_slice(
                format!("{i} the quick brown fox jumps over the lazy dog\r\n").as_bytes(),
            );
        }
    }
    let mut m3 = head("eight-bit").into_bytes();
    m3.extend_from_slice("Grüße aus Zürich, ½ € 日本語\r\n".as_bytes());
    m3.extend((0x80u8..=0xff).filter(|b| *b != b'\r'));
    m3.extend_from_slice(b"\r\n");
    vec![m1, m2, m3]
}

pub fn deliver_all(store: &MemoryStore, user: &str) -> Vec<Vec<u8>> {
    let msgs = messages();
    for m in &msgs {
        store.deliver(user, m.clone());
    }
    msgs
}

pub fn need(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{program} is not installed: run ci/install-deps.sh");
}
