//! Checking a password against a crypt(3) hash as `/etc/shadow` holds
//! them: yescrypt (`$y$`, what Debian 12 writes), SHA-512 and SHA-256
//! crypt (`$6$`, `$5$`, with `rounds=`), bcrypt (`$2b$`, `$2a$`, `$2y$`),
//! MD5 crypt (`$1$`) and traditional DES crypt.

/// The kind of a hash, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// `$y$`.
    Yescrypt,
    /// `$6$`, `$5$`, `$2?$`, `$1$`, DES: the classic kinds.
    Classic,
    /// `!`, `*`, empty: no password can log in (a locked or disabled account).
    Locked,
    /// Something else (`$gy$`, `$7$`, `$sha1$`...): not supported.
    Unsupported,
}

/// What kind of hash `hash` is.
pub fn kind(hash: &str) -> HashKind {
    const CLASSIC: [&str; 6] = ["$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$"];
    if hash.is_empty() || hash.starts_with('!') || hash.starts_with('*') {
        HashKind::Locked
    } else if hash.starts_with("$y$") {
        HashKind::Yescrypt
    } else if CLASSIC.iter().any(|p| hash.starts_with(p))
        || (hash.len() == 13
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/'))
    {
        HashKind::Classic
    } else {
        HashKind::Unsupported
    }
}

/// True when `password` matches `hash`; `Err` names a hash kind that
/// cannot be checked.
pub fn verify(password: &[u8], hash: &str) -> Result<bool, String> {
    match kind(hash) {
        HashKind::Locked => Ok(false),
        HashKind::Yescrypt => {
            use yescrypt::PasswordVerifier;
            Ok(yescrypt::Yescrypt::default()
                .verify_password(password, hash)
                .is_ok())
        }
        HashKind::Classic => Ok(pwhash::unix::verify(password, hash)),
        HashKind::Unsupported => {
            let id = hash.split('$').nth(1).unwrap_or("");
            Err(format!("unsupported password hash kind ${id}$"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by Debian 12's `mkpasswd -m METHOD 'pencil S3cret'` (the DES
    /// one from 'pencil S3', DES reads eight characters).
    const HASHES: [&str; 8] = [
        "$y$j9T$D2fehxhe0wK7WU7fhcPwX1$fs90VuiJmsFs2NsAazGmciHvVMQPg2y6.qB99/Cb/Z4",
        "$6$qkk1z0pcim9wqz8C$TaGPgNuSEtHRJsSF8RlHYMmCYbr8FHDUO8sycw0Ct/e.u6JsTlbrypf0McUBgTvB1H3SqJ5g2zda9P1dtU.hx/",
        "$6$rounds=10000$Czpma/KMr9dN.UXt$6zBgfmZcmEaB.k.UxnO8nZ12UwvOmO56Es3wwkF5OhleBdy4CS0h/c2b7Bd4r1xEQ8i7kLA7eECTIg/GhEzM9/",
        "$5$i/kCd.hGrLYLiB48$MuKen3LmLLN/aoEKtriD2WUjdES134JUdVXTkfG7MF3",
        "$2b$05$9LAO3fGCSJx6eQMHk0U9SezQO0EPhesy7WK7d8q4DpB23C3GxC/iy",
        "$2a$05$egXCWTF/Ht9O8Ms49ScSLunmsP66Gz7dQlLSrYWzYc7kYVhnC5Ppy",
        "$1$2PzxAH/P$an81okB/9NBh4VKQJToRL/",
        "Km1I3ky4jUkKI",
    ];

    #[test]
    fn checks_every_kind_debian_writes() {
        for h in HASHES {
            let right: &[u8] = if h.len() == 13 {
                b"pencil S3"
            } else {
                b"pencil S3cret"
            };
            assert_eq!(verify(right, h), Ok(true), "{h}");
            assert_eq!(verify(b"Pencil S3cret", h), Ok(false), "{h}");
            assert_eq!(verify(b"", h), Ok(false), "{h}");
        }
    }

    #[test]
    fn locked_and_unknown_hashes_never_match() {
        for h in ["", "!", "*", "!$6$qkk1z0pcim9wqz8C$x", "!!"] {
            assert_eq!(verify(b"", h), Ok(false), "{h:?}");
        }
        let e = verify(b"x", "$gy$j9T$abc$def").unwrap_err();
        assert!(e.contains("$gy$"), "{e}");
    }
}
