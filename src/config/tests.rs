use super::*;

#[test]
fn defaults_match_the_architecture() {
    let c = Config::defaults();
    assert_eq!(c.store.path, PathBuf::from("./popstore-data"));
    let tcp = |s: &str| Listen::Tcp(s.parse().unwrap());
    assert_eq!(c.listen.lmtp, tcp("127.0.0.1:2424"));
    assert_eq!(c.listen.pop3, tcp("127.0.0.1:1110"));
    assert_eq!(c.listen.pop3s, tcp("127.0.0.1:1995"));
    assert_eq!(c.listen.imap, tcp("127.0.0.1:1143"));
    assert_eq!(c.listen.imaps, tcp("127.0.0.1:1993"));
    assert_eq!(c.listen.poppassd, tcp("127.0.0.1:1106"));
    assert_eq!(c.listen.web, tcp("127.0.0.1:8080"));
    assert_eq!(c.tls.cert, PathBuf::from("tls/cert.pem"));
    assert_eq!(c.lmtp.max_message_size, ByteSize(50 << 20));
    assert_eq!(c.lmtp.quota_failure, QuotaFailure::Permanent);
    assert_eq!(c.relay.host, RelayHost::Off);
    assert_eq!(c.log.level, "info");
    assert_eq!(c.lmtp.socket_mode, FileMode(0o666));
}

#[test]
fn a_file_overrides_only_what_it_names() {
    let c = Config::from_toml_str(
        "[lmtp]\nmax_message_size = \"10m\"\nquota_failure = \"temporary\"\n\
         [listen]\nlmtp = \"unix:/run/popstore/lmtp\"\npop3 = \"off\"\n\
         [relay]\nhost = \"smtp.example.org:587\"\nsecurity = \"starttls\"\n",
        "test.toml",
    )
    .unwrap();
    assert_eq!(c.lmtp.max_message_size, ByteSize(10 << 20));
    assert_eq!(c.lmtp.quota_failure, QuotaFailure::Temporary);
    assert_eq!(
        c.lmtp.max_recipients, 1000,
        "untouched keys keep their default"
    );
    assert_eq!(
        c.listen.lmtp,
        Listen::Unix(PathBuf::from("/run/popstore/lmtp"))
    );
    assert_eq!(c.listen.pop3, Listen::Off);
    assert_eq!(
        c.relay.host,
        RelayHost::Server {
            host: "smtp.example.org".into(),
            port: 587
        }
    );
    assert_eq!(c.relay.security, RelaySecurity::Starttls);
}

#[test]
fn unknown_keys_are_named() {
    let e = Config::from_toml_str("[lmtp]\nmax_mesage_size = 5\n", "my.toml").unwrap_err();
    assert!(matches!(&e, ConfigError::UnknownKey { key, .. } if key == "lmtp.max_mesage_size"));
    assert_eq!(e.to_string(), "my.toml: unknown key `lmtp.max_mesage_size`");

    let e = Config::from_toml_str("[pop4]\nx = 1\n", "my.toml").unwrap_err();
    assert_eq!(e.to_string(), "my.toml: unknown key `pop4`");

    let e = Config::from_toml_str("verbose = true\n", "my.toml").unwrap_err();
    assert_eq!(e.to_string(), "my.toml: unknown key `verbose`");
}

#[test]
fn bad_values_are_explained() {
    let e = Config::from_toml_str("[listen]\nlmtp = \"localhost\"\n", "f").unwrap_err();
    assert!(
        e.to_string()
            .contains("`localhost` is not a listen address"),
        "{e}"
    );

    let e = Config::from_toml_str("[lmtp]\nmax_message_size = \"5x\"\n", "f").unwrap_err();
    assert!(e.to_string().contains("not a size"), "{e}");

    let e = Config::from_toml_str("[lmtp]\nquota_failure = \"maybe\"\n", "f").unwrap_err();
    assert!(e.to_string().contains("maybe"), "{e}");

    let e = Config::from_toml_str("[lmtp]\nmax_recipients = \"many\"\n", "f").unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { .. }), "{e}");
    assert!(
        e.to_string().starts_with("f: `lmtp.max_recipients`: "),
        "{e}"
    );

    let e = Config::from_toml_str("[lmtp]\nsocket_mode = \"0999\"\n", "f").unwrap_err();
    assert!(e.to_string().contains("octal"), "{e}");

    let e = Config::from_toml_str("lmtp = 3\n", "f").unwrap_err();
    assert!(e.to_string().contains("must be a table"), "{e}");

    let e = Config::from_toml_str("[lmtp\n", "f").unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { .. }), "{e}");
}

#[test]
fn command_line_overrides_win() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("popstore.toml");
    std::fs::write(
        &file,
        "[store]\npath = \"/srv/mail\"\n[listen]\nlmtp = \"127.0.0.1:24\"\n",
    )
    .unwrap();
    let overrides = Overrides {
        store: Some(PathBuf::from("/tmp/other")),
        lmtp: Some("off".parse().unwrap()),
        pop3: Some("[::1]:110".parse().unwrap()),
        ..Overrides::default()
    };
    let c = Config::load(Some(&file), &overrides).unwrap();
    assert_eq!(c.store.path, PathBuf::from("/tmp/other"));
    assert_eq!(c.listen.lmtp, Listen::Off);
    assert_eq!(c.listen.pop3, Listen::Tcp("[::1]:110".parse().unwrap()));
    assert_eq!(c.listen.pop3s, Config::defaults().listen.pop3s);
    assert_eq!(c.tls_cert_path(), PathBuf::from("/tmp/other/tls/cert.pem"));

    let c = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(c.store.path, PathBuf::from("/srv/mail"));

    let e = Config::load(
        Some(&dir.path().join("missing.toml")),
        &Overrides::default(),
    );
    assert!(matches!(e, Err(ConfigError::Read { .. })));
}

#[test]
fn show_prints_toml_that_loads_back_the_same() {
    let c = Config::from_toml_str(
        "[lmtp]\nmax_message_size = 1000\n[listen]\nweb = \"off\"\n",
        "f",
    )
    .unwrap();
    let text = c.to_toml();
    assert!(text.contains("[lmtp]"), "{text}");
    assert!(text.contains("max_message_size = 1000"), "{text}");
    assert!(text.contains("web = \"off\""), "{text}");
    assert_eq!(Config::from_toml_str(&text, "shown").unwrap(), c);
    let d = Config::defaults();
    assert!(d.to_toml().contains("max_message_size = \"50m\""));
    assert_eq!(Config::from_toml_str(&d.to_toml(), "shown").unwrap(), d);
}

#[test]
fn sizes_parse_with_suffixes() {
    assert_eq!("4096".parse::<ByteSize>(), Ok(ByteSize(4096)));
    assert_eq!("64k".parse::<ByteSize>(), Ok(ByteSize(65536)));
    assert_eq!("2G".parse::<ByteSize>(), Ok(ByteSize(2 << 30)));
    assert!("".parse::<ByteSize>().is_err());
    assert!("k".parse::<ByteSize>().is_err());
    assert!("-1".parse::<ByteSize>().is_err());
    assert!("99999999999999999999g".parse::<ByteSize>().is_err());
    assert!("17179869184g".parse::<ByteSize>().is_err());
}
