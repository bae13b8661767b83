//! The ManageSieve session without sockets: RFC 5804's exchanges over an
//! in-memory script store.

use std::sync::Arc;

use base64::Engine as _;

use super::parse::{self, Limits};
use super::scripts::MemoryScripts;
use super::session::{After, ConnectionParams, Session};
use crate::auth::{
    AccountFlags, Authenticator, Credentials, Secret, StaticCredentials, VerifierOptions, Verifiers,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn session(peer: &str) -> Session {
    let table = StaticCredentials::new();
    table.insert(Credentials {
        user: "ann".into(),
        verifiers: Verifiers::from_password(&Secret::new("pw".into()), &VerifierOptions::default())
            .unwrap(),
        flags: AccountFlags::default(),
    });
    let mut settings = crate::config::Config::defaults().managesieve;
    settings.max_scripts = 2;
    settings.max_script_size = crate::config::ByteSize(200);
    Session::new(
        Arc::new(settings),
        Arc::new(MemoryScripts::default()),
        Authenticator::new(Arc::new(table), None),
        ConnectionParams {
            peer: Some(peer.parse().unwrap()),
            tls: false,
            tls_available: true,
        },
    )
}

fn send(s: &mut Session, line: &str) -> String {
    let limits = Limits {
        max_line: 1000,
        max_literal: 1000,
    };
    let (args, used) = parse::command(line.as_bytes(), limits).unwrap().unwrap();
    assert_eq!(used, line.len());
    String::from_utf8(s.input(args).bytes).unwrap()
}

fn plain(user: &str, pw: &str) -> String {
    B64.encode(format!("\0{user}\0{pw}"))
}

#[test]
fn greeting_and_capabilities() {
    let s = session("127.0.0.1");
    let g = String::from_utf8(s.greeting().bytes).unwrap();
    assert!(g.starts_with("\"IMPLEMENTATION\" \"popstore "), "{g}");
    for cap in [
        "\"SASL\" \"SCRAM-SHA-256 PLAIN\"\r\n",
        "\"STARTTLS\"\r\n",
        "\"VERSION\" \"1.0\"\r\n",
        "\"MAXREDIRECTS\" \"4\"\r\n",
    ] {
        assert!(g.contains(cap), "{cap} in {g}");
    }
    assert!(g.contains("\"SIEVE\" \"fileinto envelope"), "{g}");
    assert!(g.ends_with("OK \"popstore ManageSieve ready.\"\r\n"));
    // Without TLS from another host PLAIN is not offered nor taken.
    let mut s = session("192.0.2.1");
    let g = String::from_utf8(s.greeting().bytes).unwrap();
    assert!(g.contains("\"SASL\" \"SCRAM-SHA-256\"\r\n"), "{g}");
    let r = send(
        &mut s,
        &format!("AUTHENTICATE \"PLAIN\" \"{}\"\r\n", plain("ann", "pw")),
    );
    assert!(r.starts_with("NO (ENCRYPT-NEEDED)"), "{r}");
    assert_eq!(
        s.input(vec![parse::Arg::Atom("STARTTLS".into())]).after,
        After::StartTls
    );
}

#[test]
fn scripts_round_trip() {
    let mut s = session("127.0.0.1");
    assert_eq!(
        send(&mut s, "LISTSCRIPTS\r\n"),
        "NO \"Authenticate first.\"\r\n"
    );
    let r = send(
        &mut s,
        &format!("AUTHENTICATE \"PLAIN\" \"{}\"\r\n", plain("ann", "nope")),
    );
    assert!(r.starts_with("NO \"Authentication failed."), "{r}");
    // PLAIN without an initial response: an empty challenge first.
    assert_eq!(send(&mut s, "AUTHENTICATE \"PLAIN\"\r\n"), "\"\"\r\n");
    assert_eq!(
        send(&mut s, &format!("\"{}\"\r\n", plain("ann", "pw"))),
        "OK \"Logged in.\"\r\n"
    );
    let script = "require \"fileinto\";\r\nfileinto \"x\";\r\n";
    let put =
        |name: &str, text: &str| format!("PUTSCRIPT \"{name}\" {{{}+}}\r\n{text}\r\n", text.len());
    assert_eq!(
        send(&mut s, &put("one", script)),
        "OK \"Script stored.\"\r\n"
    );
    // A broken script: refused with its line.
    let r = send(&mut s, &put("bad", "keep;\r\nfileinto \"x\";\r\n"));
    assert!(r.starts_with("NO \"line 2, column 1: "), "{r}");
    assert_eq!(
        send(&mut s, "SETACTIVE \"one\"\r\n"),
        "OK \"Script activated.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "SETACTIVE \"nope\"\r\n"),
        "NO (NONEXISTENT) \"There is no script by that name.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "LISTSCRIPTS\r\n"),
        "\"one\" ACTIVE\r\nOK \"Listscripts completed.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "GETSCRIPT \"one\"\r\n"),
        format!(
            "{{{}}}\r\n{script}\r\nOK \"Getscript completed.\"\r\n",
            script.len()
        )
    );
    assert!(send(&mut s, "DELETESCRIPT \"one\"\r\n").starts_with("NO (ACTIVE)"));
    assert_eq!(
        send(&mut s, "RENAMESCRIPT \"one\" \"two\"\r\n"),
        "OK \"Script renamed.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "LISTSCRIPTS\r\n"),
        "\"two\" ACTIVE\r\nOK \"Listscripts completed.\"\r\n"
    );
    // The quota: 200 octets, two scripts.
    assert_eq!(send(&mut s, "HAVESPACE \"x\" 100\r\n"), "OK \"Yes.\"\r\n");
    assert!(send(&mut s, "HAVESPACE \"x\" 201\r\n").starts_with("NO (QUOTA/MAXSIZE)"));
    assert_eq!(
        send(&mut s, &put("three", "keep;")),
        "OK \"Script stored.\"\r\n"
    );
    assert!(send(&mut s, &put("four", "keep;")).starts_with("NO (QUOTA/MAXSCRIPTS)"));
    assert_eq!(
        send(&mut s, "CHECKSCRIPT {5+}\r\nkeep;\r\n"),
        "OK \"Script is valid.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "SETACTIVE \"\"\r\n"),
        "OK \"No script is active.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "DELETESCRIPT \"two\"\r\n"),
        "OK \"Script deleted.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "NOOP \"t1\"\r\n"),
        "OK (TAG \"t1\") \"Done.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "UNAUTHENTICATE\r\n"),
        "OK \"Unauthenticated.\"\r\n"
    );
    assert_eq!(
        send(&mut s, "LISTSCRIPTS\r\n"),
        "NO \"Authenticate first.\"\r\n"
    );
}

#[test]
fn scram_success_data_comes_in_the_ok() {
    let mut s = session("127.0.0.1");
    let first = "n,,n=ann,r=abcdef";
    let r = send(
        &mut s,
        &format!(
            "AUTHENTICATE \"SCRAM-SHA-256\" \"{}\"\r\n",
            B64.encode(first)
        ),
    );
    let sf = String::from_utf8(B64.decode(r.trim().trim_matches('"')).unwrap()).unwrap();
    let attrs: Vec<&str> = sf.split(',').collect();
    let nonce = attrs[0].strip_prefix("r=").unwrap();
    let salt = B64.decode(attrs[1].strip_prefix("s=").unwrap()).unwrap();
    let iters: u32 = attrs[2].strip_prefix("i=").unwrap().parse().unwrap();
    let salted = crate::auth::verifiers_hi(b"pw", &salt, iters);
    let client_key = crate::auth::verifiers_hmac(&salted, b"Client Key");
    use sha2::Digest;
    let stored: [u8; 32] = sha2::Sha256::digest(client_key).into();
    let without = format!("c=biws,r={nonce}");
    let auth_msg = format!("n=ann,r=abcdef,{sf},{without}");
    let sig = crate::auth::verifiers_hmac(&stored, auth_msg.as_bytes());
    let proof: Vec<u8> = client_key.iter().zip(sig).map(|(a, b)| a ^ b).collect();
    let fin = format!("{without},p={}", B64.encode(proof));
    let r = send(&mut s, &format!("\"{}\"\r\n", B64.encode(fin)));
    assert!(r.starts_with("OK (SASL \""), "{r}");
    assert!(r.ends_with("\") \"Logged in.\"\r\n"), "{r}");
    assert_eq!(s.user(), Some("ann"));
}
