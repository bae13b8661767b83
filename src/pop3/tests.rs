//! The session state machine without a network: RFC 1939's example session,
//! every state and mechanism, the response codes.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use sha2::Digest as _;

use super::memory::MemoryStore;
use super::send::Pieces;
use super::session::{After, ConnectionParams, Response, Session};
use super::settings::Pop3Settings;
use crate::auth::{
    AccountFlags, Authenticator, Credentials, Secret, StaticCredentials, VerifierOptions, Verifiers,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Renders a response as the bytes the client would see.
fn wire(r: &Response) -> String {
    let mut out = r.text.clone();
    if let Some(b) = &r.body {
        out.extend(Pieces::new(b.data.bytes(), b.data.dot_lines(), b.end).flatten());
    }
    String::from_utf8(out).unwrap()
}

struct Fixture {
    store: MemoryStore,
    creds: Arc<StaticCredentials>,
    settings: Pop3Settings,
}

impl Fixture {
    /// Every mechanism offered (the default leaves CRAM-MD5 out).
    fn new() -> Self {
        Self {
            store: MemoryStore::new(),
            creds: Arc::new(StaticCredentials::new()),
            settings: Pop3Settings {
                mechanisms: crate::auth::sasl::Mechanism::ALL
                    .iter()
                    .map(|m| m.name().to_string())
                    .collect(),
                ..Pop3Settings::default()
            },
        }
    }

    fn user(&self, name: &str, password: &str, opts: VerifierOptions, flags: AccountFlags) {
        let verifiers = Verifiers::from_password(&Secret::new(password.into()), &opts).unwrap();
        self.creds.insert(Credentials {
            user: name.into(),
            verifiers,
            flags,
        });
    }

    fn session(&self, peer: &str, tls: bool) -> Session {
        self.session_ts(peer, tls, Some("<1.2@test>".into()))
    }

    fn session_ts(&self, peer: &str, tls: bool, ts: Option<String>) -> Session {
        Session::new(
            Arc::new(self.settings.clone()),
            Arc::new(self.store.clone()),
            Authenticator::new(self.creds.clone(), None),
            ConnectionParams {
                peer: Some(peer.parse::<IpAddr>().unwrap()),
                tls,
                tls_available: true,
                apop_timestamp: ts,
            },
        )
    }
}

fn all_verifiers() -> VerifierOptions {
    VerifierOptions {
        cram_md5: true,
        apop: true,
        ..VerifierOptions::default()
    }
}

fn send(s: &mut Session, line: &str) -> String {
    wire(&s.input(line.as_bytes()))
}

fn login(s: &mut Session, user: &str, pw: &str) {
    assert!(send(s, &format!("USER {user}")).starts_with("+OK"));
    let r = send(s, &format!("PASS {pw}"));
    assert!(r.starts_with("+OK"), "{r}");
}

/// RFC 1939 section 10, the example POP3 session, byte for byte.
#[test]
fn rfc1939_example_session() {
    let mut f = Fixture::new();
    f.settings.hostname = "dewey".into();
    f.creds.insert(Credentials {
        user: "mrose".into(),
        verifiers: Verifiers {
            apop: Some(Secret::new("tanstaaf".into())),
            ..Verifiers::default()
        },
        flags: AccountFlags::default(),
    });
    let m1 = format!("Subject: one\r\n\r\n{}\r\n", "a".repeat(120 - 18));
    let m2 = format!("Subject: two\r\n\r\n{}\r\n", "b".repeat(200 - 18));
    f.store.deliver("mrose", m1.clone().into_bytes());
    f.store.deliver("mrose", m2.clone().into_bytes());
    let mut s = f.session_ts(
        "10.0.0.1",
        false,
        Some("<1896.697170952@dbc.mtview.ca.us>".into()),
    );
    let mut transcript = wire(&s.greeting());
    for c in [
        "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
        "STAT",
        "LIST",
        "RETR 1",
        "DELE 1",
        "RETR 2",
        "DELE 2",
        "QUIT",
    ] {
        transcript.push_str(&send(&mut s, c));
    }
    let expected = format!(
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
+OK 2 320\r\n\
+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n\
+OK 120 octets\r\n{m1}.\r\n\
+OK message 1 deleted\r\n\
+OK 200 octets\r\n{m2}.\r\n\
+OK message 2 deleted\r\n\
+OK dewey POP3 server signing off (maildrop empty)\r\n"
    );
    assert_eq!(transcript, expected);
    assert!(f.store.uidls("mrose").is_empty());
}

#[test]
fn capa_follows_state_and_tls() {
    let f = Fixture::new();
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    let mut remote = f.session("192.0.2.7", false);
    let c = send(&mut remote, "CAPA");
    assert!(c.starts_with("+OK"), "{c}");
    for cap in [
        "TOP\r\n",
        "UIDL\r\n",
        "RESP-CODES\r\n",
        "PIPELINING\r\n",
        "AUTH-RESP-CODE\r\n",
        "STLS\r\n",
        "EXPIRE NEVER\r\n",
    ] {
        assert!(c.contains(cap), "{cap} missing in {c}");
    }
    assert!(c.contains("SASL SCRAM-SHA-256 CRAM-MD5\r\n"), "{c}");
    assert!(
        !c.contains("USER\r\n") && !c.contains("PLAIN") && !c.contains("IMPLEMENTATION"),
        "{c}"
    );
    assert!(c.ends_with("\r\n.\r\n"));

    let mut tls = f.session("192.0.2.7", false);
    tls.tls_started(Some(vec![7; 32]));
    let c = send(&mut tls, "CAPA");
    assert!(c.contains("USER\r\n") && !c.contains("STLS"), "{c}");
    assert!(
        c.contains("SASL SCRAM-SHA-256-PLUS SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN\r\n"),
        "{c}"
    );
    login(&mut tls, "ann", "pw");
    let c = send(&mut tls, "CAPA");
    assert!(
        c.contains("IMPLEMENTATION popstore-") && c.contains("EXPIRE NEVER"),
        "{c}"
    );
    assert!(
        !c.contains("SASL") && !c.contains("USER") && !c.contains("STLS"),
        "{c}"
    );
}

#[test]
fn default_mechanisms_leave_cram_md5_out() {
    let mut f = Fixture::new();
    f.settings = Pop3Settings::default();
    let c = send(&mut f.session("127.0.0.1", false), "CAPA");
    assert!(c.contains("SASL SCRAM-SHA-256 PLAIN LOGIN\r\n"), "{c}");
    let mut s = f.session("127.0.0.1", false);
    assert_eq!(
        send(&mut s, "AUTH CRAM-MD5"),
        "-ERR [AUTH] unsupported mechanism CRAM-MD5\r\n"
    );
}

#[test]
fn plaintext_refused_off_loopback_without_tls() {
    let f = Fixture::new();
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    let mut s = f.session("192.0.2.7", false);
    assert!(send(&mut s, "USER ann").starts_with("-ERR [AUTH] plaintext"));
    assert!(send(&mut s, "AUTH PLAIN AGFubgBwdw==").starts_with("-ERR [AUTH] plaintext"));
    assert!(send(&mut s, "AUTH LOGIN").starts_with("-ERR [AUTH] plaintext"));
    let r = s.input(b"STLS");
    assert_eq!(r.after, After::StartTls);
    s.tls_started(None);
    assert!(send(&mut s, "STLS").starts_with("-ERR"));
    assert!(send(&mut s, "AUTH PLAIN AGFubgBwdw==").starts_with("+OK ann's maildrop"));
    drop(s);
    // loopback and an explicit setting allow it in the clear
    login(&mut f.session("127.0.0.1", false), "ann", "pw");
    let mut f2 = Fixture::new();
    f2.settings.allow_plaintext_auth = true;
    f2.user("ann", "pw", all_verifiers(), AccountFlags::default());
    login(&mut f2.session("192.0.2.7", false), "ann", "pw");
}

#[test]
fn every_sasl_mechanism() {
    let f = Fixture::new();
    f.user("ann", "pencil", all_verifiers(), AccountFlags::default());
    // PLAIN with and without an initial response
    let mut s = f.session("127.0.0.1", false);
    assert!(
        send(
            &mut s,
            &format!("AUTH PLAIN {}", B64.encode(b"\0ann\0pencil"))
        )
        .starts_with("+OK")
    );
    drop(s);
    let mut s = f.session("127.0.0.1", false);
    assert_eq!(send(&mut s, "AUTH PLAIN"), "+ \r\n");
    assert!(send(&mut s, &B64.encode(b"ann\0ann\0pencil")).starts_with("+OK"));
    drop(s);
    // LOGIN
    let mut s = f.session("127.0.0.1", false);
    assert_eq!(
        send(&mut s, "AUTH LOGIN"),
        format!("+ {}\r\n", B64.encode("Username:"))
    );
    assert_eq!(
        send(&mut s, &B64.encode("ann")),
        format!("+ {}\r\n", B64.encode("Password:"))
    );
    assert!(send(&mut s, &B64.encode("pencil")).starts_with("+OK"));
    drop(s);
    // CRAM-MD5
    let mut s = f.session("192.0.2.7", false);
    let ch = send(&mut s, "AUTH CRAM-MD5");
    let ch = B64
        .decode(ch.trim_end().strip_prefix("+ ").unwrap())
        .unwrap();
    let digest = crate::auth::cram_md5_digest(b"pencil", &ch);
    assert!(send(&mut s, &B64.encode(format!("ann {digest}"))).starts_with("+OK"));
    drop(s);
    // SCRAM-SHA-256, then SCRAM-SHA-256-PLUS over "TLS"
    for plus in [false, true] {
        let mut s = f.session("192.0.2.7", false);
        let cb = [9u8; 32];
        if plus {
            s.tls_started(Some(cb.to_vec()));
        }
        let (mech, gs2) = if plus {
            ("SCRAM-SHA-256-PLUS", "p=tls-exporter,,")
        } else {
            ("SCRAM-SHA-256", "n,,")
        };
        let bare = "n=ann,r=clientnonce";
        let sf = send(
            &mut s,
            &format!("AUTH {mech} {}", B64.encode(format!("{gs2}{bare}"))),
        );
        let sf = String::from_utf8(
            B64.decode(sf.trim_end().strip_prefix("+ ").unwrap())
                .unwrap(),
        )
        .unwrap();
        let mut attrs = sf.split(',');
        let nonce = attrs.next().unwrap().strip_prefix("r=").unwrap();
        let salt = B64
            .decode(attrs.next().unwrap().strip_prefix("s=").unwrap())
            .unwrap();
        let iters: u32 = attrs
            .next()
            .unwrap()
            .strip_prefix("i=")
            .unwrap()
            .parse()
            .unwrap();
        let salted = crate::auth::verifiers_hi(b"pencil", &salt, iters);
        let client_key = crate::auth::verifiers_hmac(&salted, b"Client Key");
        let stored: [u8; 32] = sha2::Sha256::digest(client_key).into();
        let mut cbind = gs2.as_bytes().to_vec();
        if plus {
            cbind.extend_from_slice(&cb);
        }
        let without = format!("c={},r={nonce}", B64.encode(&cbind));
        let auth_msg = format!("{bare},{sf},{without}");
        let sig = crate::auth::verifiers_hmac(&stored, auth_msg.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(sig).map(|(a, b)| a ^ b).collect();
        let v = send(
            &mut s,
            &B64.encode(format!("{without},p={}", B64.encode(proof))),
        );
        let v = String::from_utf8(
            B64.decode(v.trim_end().strip_prefix("+ ").unwrap())
                .unwrap(),
        )
        .unwrap();
        let server_key = crate::auth::verifiers_hmac(&salted, b"Server Key");
        assert_eq!(
            v,
            format!(
                "v={}",
                B64.encode(crate::auth::verifiers_hmac(
                    &server_key,
                    auth_msg.as_bytes()
                ))
            )
        );
        assert!(send(&mut s, "").starts_with("+OK ann's maildrop"), "{mech}");
    }
}

#[test]
fn missing_verifiers_answer_like_a_wrong_password() {
    let f = Fixture::new();
    f.user(
        "bob",
        "pw",
        VerifierOptions {
            scram_sha256: false,
            ..VerifierOptions::default()
        },
        AccountFlags::default(),
    );
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    let mut s = f.session("127.0.0.1", false);
    // The reply says which accounts these mechanisms serve, the same for a
    // wrong digest as for an account without the verifier.
    let failed = "-ERR [AUTH] authentication failed (APOP, CRAM-MD5 and SCRAM work only for \
                  accounts whose password popstore keeps; others use USER/PASS, PLAIN or LOGIN)\r\n";
    let digest = crate::auth::apop_digest("<1.2@test>", "pw");
    assert_eq!(send(&mut s, &format!("APOP bob {digest}")), failed);
    assert_eq!(
        send(&mut s, "APOP ann 00112233445566778899aabbccddeeff"),
        failed
    );
    let ch = send(&mut s, "AUTH CRAM-MD5");
    assert!(ch.starts_with("+ "));
    assert_eq!(
        send(&mut s, &B64.encode("bob 00112233445566778899aabbccddeeff")),
        failed
    );
    // USER/PASS after them gets the plain reply.
    send(&mut s, "USER bob");
    assert_eq!(
        send(&mut s, "PASS nope"),
        "-ERR [AUTH] authentication failed\r\n"
    );
    // SCRAM without keys: a challenge, as for any name, then the failure.
    let ch = send(
        &mut s,
        &format!("AUTH SCRAM-SHA-256 {}", B64.encode("n,,n=bob,r=x")),
    );
    assert!(ch.starts_with("+ "), "{ch}");
    assert_eq!(send(&mut s, "*"), "-ERR authentication cancelled\r\n");
    assert_eq!(
        send(&mut s, "AUTH"),
        "+OK methods supported:\r\nSCRAM-SHA-256\r\nCRAM-MD5\r\nPLAIN\r\nLOGIN\r\n.\r\n"
    );
}

#[test]
fn wrong_password_disuser_and_cancel() {
    let f = Fixture::new();
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    f.user(
        "off",
        "pw",
        all_verifiers(),
        AccountFlags {
            disuser: true,
            ..AccountFlags::default()
        },
    );
    let mut s = f.session("127.0.0.1", false);
    send(&mut s, "USER ann");
    let r = s.input(b"PASS nope");
    assert_eq!(wire(&r), "-ERR [AUTH] authentication failed\r\n");
    assert_eq!(
        r.event,
        Some(super::session::Event::AuthFailed("ann".into()))
    );
    send(&mut s, "USER nobody");
    assert_eq!(
        send(&mut s, "PASS pw"),
        "-ERR [AUTH] authentication failed\r\n"
    );
    assert_eq!(send(&mut s, "PASS pw"), "-ERR USER first\r\n");
    send(&mut s, "USER off");
    assert_eq!(
        send(&mut s, "PASS pw"),
        "-ERR [SYS/PERM] this account is disabled\r\n"
    );
    send(&mut s, "AUTH LOGIN");
    assert_eq!(send(&mut s, "*"), "-ERR authentication cancelled\r\n");
    assert_eq!(
        send(&mut s, "STAT"),
        "-ERR not in the TRANSACTION state: log in first\r\n"
    );
    login(&mut s, "ANN", "pw");
}

#[test]
fn in_use_and_nothing_committed_without_quit() {
    let f = Fixture::new();
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    f.store.deliver("ann", b"Subject: a\r\n\r\nx\r\n".to_vec());
    let mut first = f.session("127.0.0.1", false);
    login(&mut first, "ann", "pw");
    let mut second = f.session("127.0.0.1", false);
    send(&mut second, "USER ann");
    assert_eq!(
        send(&mut second, "PASS pw"),
        "-ERR [IN-USE] maildrop is in use by another session\r\n"
    );
    assert_eq!(send(&mut first, "DELE 1"), "+OK message 1 deleted\r\n");
    assert_eq!(
        send(&mut first, "DELE 1"),
        "-ERR message 1 already deleted\r\n"
    );
    assert_eq!(send(&mut first, "STAT"), "+OK 0 0\r\n");
    drop(first); // the connection dropped: nothing committed, lock released
    assert_eq!(f.store.uidls("ann").len(), 1);
    assert_eq!(f.store.sessions_recorded("ann"), 1);
    login(&mut second, "ann", "pw");
    send(&mut second, "DELE 1");
    assert_eq!(
        send(&mut second, "RSET"),
        "+OK maildrop has 1 messages (17 octets)\r\n"
    );
    let r = second.input(b"QUIT");
    assert_eq!(r.after, After::Close);
    assert_eq!(f.store.uidls("ann").len(), 1);
}

#[test]
fn transaction_commands() {
    let f = Fixture::new();
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    let u1 = f
        .store
        .deliver("ann", b"A: 1\r\n\r\n.dot\r\nl2\r\nl3".to_vec());
    let u2 = f.store.deliver("ann", b"B: 2\r\n\r\nbody\r\n".to_vec());
    let mut s = f.session("127.0.0.1", false);
    login(&mut s, "ann", "pw");
    assert_eq!(
        send(&mut s, "UIDL"),
        format!("+OK unique-id listing follows\r\n1 {u1}\r\n2 {u2}\r\n.\r\n")
    );
    assert_eq!(send(&mut s, "UIDL 2"), format!("+OK 2 {u2}\r\n"));
    assert_eq!(send(&mut s, "LIST 1"), "+OK 1 20\r\n");
    assert_eq!(send(&mut s, "LIST 3"), "-ERR no such message\r\n");
    assert_eq!(
        send(&mut s, "RETR 1"),
        "+OK 20 octets\r\nA: 1\r\n\r\n..dot\r\nl2\r\nl3\r\n.\r\n"
    );
    assert_eq!(
        send(&mut s, "TOP 1 1"),
        "+OK top of message follows\r\nA: 1\r\n\r\n..dot\r\n.\r\n"
    );
    assert_eq!(
        send(&mut s, "TOP 2 0"),
        "+OK top of message follows\r\nB: 2\r\n\r\n.\r\n"
    );
    assert_eq!(send(&mut s, "NOOP"), "+OK\r\n");
    send(&mut s, "DELE 1");
    assert_eq!(
        send(&mut s, "LIST"),
        "+OK 1 messages (14 octets)\r\n2 14\r\n.\r\n"
    );
    assert_eq!(send(&mut s, "RETR 1"), "-ERR message 1 already deleted\r\n");
    assert_eq!(send(&mut s, "USER ann"), "-ERR already logged in\r\n");
    assert_eq!(
        send(&mut s, "QUIT"),
        "+OK localhost POP3 server signing off (1 messages left)\r\n"
    );
    assert_eq!(f.store.uidls("ann"), vec![u2]);
}

#[test]
fn bad_commands_and_long_lines_are_capped() {
    let mut f = Fixture::new();
    f.settings.max_bad_commands = 3;
    let mut s = f.session("127.0.0.1", false);
    assert_eq!(send(&mut s, "XYZZY"), "-ERR unknown command\r\n");
    assert!(s.line_too_long().text.starts_with(b"-ERR line too long"));
    let r = s.input(b"RETR x");
    assert_eq!(
        wire(&r),
        "-ERR invalid message number\r\n-ERR too many bad commands, closing connection\r\n"
    );
    assert_eq!(r.after, After::Close);
}

/// A password source that accepts "elsewhere-pw" and is down for "down".
#[derive(Debug)]
struct Elsewhere;

impl crate::auth::PasswordSource for Elsewhere {
    fn name(&self) -> &str {
        "test"
    }
    fn verify(&self, _: &str, pw: &Secret<String>) -> Result<bool, crate::auth::LookupError> {
        match pw.expose().as_str() {
            "down" => Err(crate::auth::LookupError::Temporary("down".into())),
            p => Ok(p == "elsewhere-pw"),
        }
    }
}

/// PWD_ELSEWHERE accounts log in with the source's password, not the
/// profile's; a source that cannot answer is [SYS/TEMP], for a missing
/// account too; with `accounts = "all"` the profile still works.
#[test]
fn password_sources_and_their_outage() {
    let f = Fixture::new();
    let elsewhere = AccountFlags {
        pwd_elsewhere: true,
        ..AccountFlags::default()
    };
    f.user("ext", "profile-pw", all_verifiers(), elsewhere);
    f.user("ann", "pw", all_verifiers(), AccountFlags::default());
    let session = |accounts| {
        Session::new(
            Arc::new(f.settings.clone()),
            Arc::new(f.store.clone()),
            Authenticator::new(f.creds.clone(), Some(Arc::new(Elsewhere))).with_accounts(accounts),
            ConnectionParams {
                peer: Some("127.0.0.1".parse().unwrap()),
                tls: false,
                tls_available: true,
                apop_timestamp: None,
            },
        )
    };
    use crate::auth::source::Accounts;
    let mut s = session(Accounts::Elsewhere);
    let temp = "-ERR [SYS/TEMP] passwords cannot be checked at the moment; try again later\r\n";
    for (user, pw, reply) in [
        ("ext", "profile-pw", "-ERR [AUTH] authentication failed\r\n"),
        ("ext", "down", temp),
        ("nobody", "down", temp),
        (
            "ann",
            "elsewhere-pw",
            "-ERR [AUTH] authentication failed\r\n",
        ),
    ] {
        send(&mut s, &format!("USER {user}"));
        assert_eq!(send(&mut s, &format!("PASS {pw}")), reply, "{user} {pw}");
    }
    login(&mut s, "ext", "elsewhere-pw");
    let mut s = session(Accounts::All);
    login(&mut s, "ann", "elsewhere-pw");
    drop(s);
    // The source refuses the profile's password; the profile accepts it.
    let mut s = session(Accounts::All);
    login(&mut s, "ann", "pw");
}
