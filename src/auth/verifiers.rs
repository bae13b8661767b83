//! Password verifiers: what an account stores instead of its password, how
//! they are made from a password (`popstore user passwd`), and how a
//! plaintext password is checked against them.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};

use super::cram::CramMd5Context;
use super::secret::{Secret, constant_time_eq};

type HmacSha256 = Hmac<Sha256>;

/// SCRAM-SHA-256 keys (RFC 5802, RFC 7677): enough to verify a client's
/// proof without knowing the password.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScramKeys {
    /// The PBKDF2 iteration count `i`.
    pub iterations: u32,
    /// The salt `s` (raw bytes).
    pub salt: Vec<u8>,
    /// `StoredKey = H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: [u8; 32],
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for ScramKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramKeys")
            .field("iterations", &self.iterations)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl ScramKeys {
    /// Derives the keys from a password, a salt and an iteration count.
    pub fn derive(password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let salted = hi(password, salt, iterations);
        let client_key = hmac_sha256(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let server_key = hmac_sha256(&salted, b"Server Key");
        Self {
            iterations,
            salt: salt.to_vec(),
            stored_key,
            server_key,
        }
    }
}

/// HMAC-SHA-256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: new_from_slice cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `Hi()` of RFC 5802: PBKDF2 with HMAC-SHA-256, one 32-byte block.
pub(crate) fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = Vec::with_capacity(salt.len() + 4);
    first.extend_from_slice(salt);
    first.extend_from_slice(&[0, 0, 0, 1]); // INT(1), big-endian by definition
    let mut u = hmac_sha256(password, &first);
    let mut out = u;
    for _ in 1..iterations.max(1) {
        u = hmac_sha256(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// The verifiers one account holds. Each mechanism needs its own: an
/// account without the verifier a mechanism needs cannot use it.
#[derive(Clone, Default, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verifiers {
    /// An argon2id hash in PHC string form (`$argon2id$v=19$...`): checks
    /// USER/PASS, PLAIN and LOGIN.
    pub argon2id: Option<String>,
    /// SCRAM-SHA-256 keys (also check plaintext passwords when no argon2id
    /// hash is present).
    pub scram_sha256: Option<ScramKeys>,
    /// The CRAM-MD5 context (HMAC-MD5 inner and outer states; held only
    /// when an admin enables the mechanism for the account).
    pub cram_md5: Option<CramMd5Context>,
    /// The APOP shared secret (password-equivalent, like CRAM-MD5's).
    pub apop: Option<Secret<String>>,
}

/// Which verifiers to create from a new password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierOptions {
    /// Create SCRAM-SHA-256 keys.
    pub scram_sha256: bool,
    /// The PBKDF2 iteration count for SCRAM (RFC 7677 asks for at least 4096).
    pub scram_iterations: u32,
    /// Keep a CRAM-MD5 key.
    pub cram_md5: bool,
    /// Keep an APOP secret.
    pub apop: bool,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            scram_sha256: true,
            scram_iterations: 4096,
            cram_md5: false,
            apop: false,
        }
    }
}

/// Making a verifier failed (only the system's random source or argon2
/// itself can fail).
#[derive(Debug, thiserror::Error)]
#[error("cannot create password verifiers: {0}")]
pub struct VerifierError(String);

impl Verifiers {
    /// Creates the verifiers for `password`: always an argon2id hash, plus
    /// those `options` enable.
    pub fn from_password(
        password: &Secret<String>,
        options: &VerifierOptions,
    ) -> Result<Self, VerifierError> {
        let pw = password.expose().as_bytes();
        let argon = Argon2::default()
            .hash_password(pw)
            .map_err(|e| VerifierError(e.to_string()))?
            .to_string();
        let scram_sha256 = if options.scram_sha256 {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| VerifierError(e.to_string()))?;
            Some(ScramKeys::derive(
                pw,
                &salt,
                options.scram_iterations.max(4096),
            ))
        } else {
            None
        };
        Ok(Self {
            argon2id: Some(argon),
            scram_sha256,
            cram_md5: options.cram_md5.then(|| CramMd5Context::from_password(pw)),
            apop: options.apop.then(|| password.clone()),
        })
    }

    /// Checks a plaintext password against the strongest verifier held.
    /// False when it does not match or no verifier can check it.
    pub fn verify_plain(&self, password: &[u8]) -> bool {
        if let Some(phc) = &self.argon2id {
            return Argon2::default()
                .verify_password(password, phc.as_str())
                .is_ok();
        }
        if let Some(keys) = &self.scram_sha256 {
            let again = ScramKeys::derive(password, &keys.salt, keys.iterations);
            return constant_time_eq(&again.stored_key, &keys.stored_key);
        }
        false
    }

    /// True when any verifier can check a plaintext password.
    pub fn checks_plain(&self) -> bool {
        self.argon2id.is_some() || self.scram_sha256.is_some()
    }
}

/// The APOP digest (RFC 1939 section 7): lower-case hex of
/// `MD5(timestamp || secret)`.
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    hex(&h.finalize())
}

/// The CRAM-MD5 digest (RFC 2195): lower-case hex of
/// `HMAC-MD5(key, challenge)`.
pub fn cram_md5_digest(key: &[u8], challenge: &[u8]) -> String {
    let mut mac = match Hmac::<Md5>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(challenge);
    hex(&mac.finalize().into_bytes())
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_matches_rfc1939_example() {
        assert_eq!(
            apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
    }

    #[test]
    fn cram_md5_matches_rfc2195_example() {
        assert_eq!(
            cram_md5_digest(
                b"tanstaaftanstaaf",
                b"<1896.697170952@postoffice.reston.mci.net>"
            ),
            "b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    #[test]
    fn scram_keys_match_rfc7677_example() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = b64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let keys = ScramKeys::derive(b"pencil", &salt, 4096);
        // ServerSignature of the RFC's exchange, recomputed from ServerKey.
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let sig = hmac_sha256(&keys.server_key, auth_message.as_bytes());
        assert_eq!(
            b64.encode(sig),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn plain_password_checks_against_each_verifier() {
        let pw = Secret::new("correct horse".to_string());
        let opts = VerifierOptions {
            cram_md5: true,
            apop: true,
            ..VerifierOptions::default()
        };
        let v = Verifiers::from_password(&pw, &opts).unwrap();
        assert!(v.argon2id.as_deref().unwrap().starts_with("$argon2id$"));
        assert!(v.verify_plain(b"correct horse"));
        assert!(!v.verify_plain(b"wrong horse"));
        let scram_only = Verifiers {
            argon2id: None,
            ..v.clone()
        };
        assert!(scram_only.verify_plain(b"correct horse"));
        assert!(!scram_only.verify_plain(b"correct horsE"));
        assert!(!format!("{v:?}").contains("correct horse"));
        assert!(!Verifiers::default().verify_plain(b""));
    }
}
