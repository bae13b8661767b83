//! The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802,
//! RFC 7677, channel binding `tls-exporter` of RFC 9266): message parsing
//! and proof checking, without I/O.
//!
//! User names are compared as sent (after `=2C`/`=3D` unescaping); SASLprep
//! is not applied, so non-ASCII passwords must be entered identically.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::secret::constant_time_eq;
use super::verifiers::{ScramKeys, hmac_sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The channel-binding flag a client sent (the `gs2-cbind-flag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CbindFlag {
    /// `n`: the client does not support channel binding.
    None,
    /// `y`: the client supports it but thinks the server does not.
    ClientOnly,
    /// `p=NAME`: the client binds to channel type NAME.
    Bind(String),
}

/// A parsed client-first-message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    /// The channel-binding flag.
    pub cbind: CbindFlag,
    /// The GS2 header (`n,,` etc.), echoed in the client-final `c=`.
    pub gs2_header: String,
    /// The authorization identity, when given.
    pub authzid: Option<String>,
    /// The authentication identity (unescaped).
    pub user: String,
    /// The client nonce.
    pub client_nonce: String,
    /// The client-first-message-bare, part of the AuthMessage.
    pub bare: String,
}

/// Unescapes a `saslname` (`=2C` is `,`, `=3D` is `=`).
fn unescape_name(s: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).ok_or("bad escape in user name")?;
        out.push(match code {
            "2C" => ',',
            "3D" => '=',
            _ => return Err("bad escape in user name"),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses a client-first-message.
pub fn parse_client_first(msg: &str) -> Result<ClientFirst, &'static str> {
    let mut parts = msg.splitn(3, ',');
    let flag = parts.next().ok_or("empty message")?;
    let authz = parts.next().ok_or("missing authzid field")?;
    let bare = parts.next().ok_or("missing client-first-message-bare")?;
    let cbind = match flag {
        "n" => CbindFlag::None,
        "y" => CbindFlag::ClientOnly,
        p if p.starts_with("p=") && p.len() > 2 => CbindFlag::Bind(p[2..].to_string()),
        _ => return Err("bad channel-binding flag"),
    };
    let authzid = match authz {
        "" => None,
        a if a.starts_with("a=") => Some(unescape_name(&a[2..])?),
        _ => return Err("bad authzid field"),
    };
    let gs2_header = format!("{flag},{authz},");
    if bare.starts_with("m=") {
        return Err("mandatory extension not supported");
    }
    let mut fields = bare.split(',');
    let user = fields
        .next()
        .and_then(|f| f.strip_prefix("n="))
        .ok_or("missing user name")?;
    let nonce = fields
        .next()
        .and_then(|f| f.strip_prefix("r="))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b','))
        .ok_or("missing or bad nonce")?;
    Ok(ClientFirst {
        cbind,
        gs2_header,
        authzid,
        user: unescape_name(user)?,
        client_nonce: nonce.to_string(),
        bare: bare.to_string(),
    })
}

/// Builds the server-first-message.
pub fn server_first(nonce: &str, salt: &[u8], iterations: u32) -> String {
    format!("r={nonce},s={},i={iterations}", B64.encode(salt))
}

/// A parsed client-final-message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFinal {
    /// The decoded `c=` attribute: GS2 header plus channel-binding data.
    pub channel_binding: Vec<u8>,
    /// The full nonce `r=`.
    pub nonce: String,
    /// The decoded proof `p=`.
    pub proof: Vec<u8>,
    /// The message without `,p=...`, part of the AuthMessage.
    pub without_proof: String,
}

/// Parses a client-final-message.
pub fn parse_client_final(msg: &str) -> Result<ClientFinal, &'static str> {
    let (without_proof, proof) = msg.rsplit_once(",p=").ok_or("missing proof")?;
    let mut fields = without_proof.split(',');
    let c = fields
        .next()
        .and_then(|f| f.strip_prefix("c="))
        .ok_or("missing channel binding")?;
    let r = fields
        .next()
        .and_then(|f| f.strip_prefix("r="))
        .ok_or("missing nonce")?;
    Ok(ClientFinal {
        channel_binding: B64.decode(c).map_err(|_| "bad base64 in c=")?,
        nonce: r.to_string(),
        proof: B64.decode(proof).map_err(|_| "bad base64 in p=")?,
        without_proof: without_proof.to_string(),
    })
}

/// Checks a client proof against the stored keys. On success returns the
/// server-final-message (`v=...`).
pub fn verify_proof(keys: &ScramKeys, auth_message: &str, proof: &[u8]) -> Option<String> {
    if proof.len() != 32 {
        return None;
    }
    let signature = hmac_sha256(&keys.stored_key, auth_message.as_bytes());
    let client_key: Vec<u8> = proof
        .iter()
        .zip(signature.iter())
        .map(|(p, s)| p ^ s)
        .collect();
    let stored: [u8; 32] = Sha256::digest(&client_key).into();
    if !constant_time_eq(&stored, &keys.stored_key) {
        return None;
    }
    let server_sig = hmac_sha256(&keys.server_key, auth_message.as_bytes());
    Some(format!("v={}", B64.encode(server_sig)))
}

/// A fresh server nonce: 18 random bytes in base64 (never contains `,`).
pub fn new_nonce() -> String {
    let mut b = [0u8; 18];
    if getrandom::fill(&mut b).is_err() {
        // No random source: fall back to the clock, still unique per call.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b[..16].copy_from_slice(&t.to_le_bytes());
    }
    B64.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchange of RFC 7677 section 3, checked message by message.
    #[test]
    fn rfc7677_exchange() {
        let first = parse_client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(first.cbind, CbindFlag::None);
        assert_eq!(first.user, "user");
        assert_eq!(first.gs2_header, "n,,");
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let keys = ScramKeys::derive(b"pencil", &salt, 4096);
        let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let sf = server_first(nonce, &salt, 4096);
        assert_eq!(
            sf,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let fin = parse_client_final(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        )
        .unwrap();
        assert_eq!(fin.channel_binding, b"n,,");
        assert_eq!(fin.nonce, nonce);
        let auth = format!("{},{},{}", first.bare, sf, fin.without_proof);
        let v = verify_proof(&keys, &auth, &fin.proof).unwrap();
        assert_eq!(v, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        let wrong = ScramKeys::derive(b"pencil2", &salt, 4096);
        assert!(verify_proof(&wrong, &auth, &fin.proof).is_none());
    }

    #[test]
    fn client_first_variants() {
        let f = parse_client_first("p=tls-exporter,a=adm=2Cin,n=us=3Der,r=abc").unwrap();
        assert_eq!(f.cbind, CbindFlag::Bind("tls-exporter".into()));
        assert_eq!(f.authzid.as_deref(), Some("adm,in"));
        assert_eq!(f.user, "us=er");
        assert_eq!(f.gs2_header, "p=tls-exporter,a=adm=2Cin,");
        for bad in [
            "",
            "x,,n=u,r=a",
            "n,,r=a",
            "n,,n=u",
            "n,,n=u,r=",
            "n,,n=u=ZZ,r=a",
            "n,,m=x,n=u,r=a",
        ] {
            assert!(parse_client_first(bad).is_err(), "{bad}");
        }
        assert!(parse_client_final("c=biws,r=x").is_err());
        assert!(parse_client_final("c=!!,r=x,p=AAAA").is_err());
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(new_nonce(), new_nonce());
        assert!(!new_nonce().contains(','));
    }
}
