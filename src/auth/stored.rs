//! The verifiers as the profile file stores them (formats/SPEC.md section
//! 6.1): conversions between the file's records and [`Verifiers`].

use popstore_formats::profile::Verifiers as FVerifiers;

use super::{CramMd5Context, ScramKeys, Secret, Verifiers};

/// The auth module's verifiers from the profile file's.
pub fn verifiers_from_profile(argon2id: Option<&str>, f: Option<&FVerifiers>) -> Verifiers {
    let mut v = Verifiers {
        argon2id: argon2id.map(str::to_string),
        ..Verifiers::default()
    };
    if let Some(f) = f {
        v.scram_sha256 = f.scram_sha_256.as_ref().map(|s| ScramKeys {
            iterations: s.iterations,
            salt: s.salt.0.clone(),
            stored_key: s.stored_key.0,
            server_key: s.server_key.0,
        });
        v.cram_md5 = f.cram_md5.as_ref().map(|c| CramMd5Context {
            inner: Secret::new(c.inner.0),
            outer: Secret::new(c.outer.0),
        });
        v.apop = f
            .apop
            .as_ref()
            .and_then(|a| String::from_utf8(a.0.clone()).ok())
            .map(Secret::new);
    }
    v
}

/// The profile file's verifiers from the auth module's (all but argon2id,
/// which the engine's profile holds itself).
pub fn verifiers_to_profile(v: &Verifiers, f: &mut FVerifiers) {
    use popstore_formats::profile::{CramMd5, ScramSha256};
    use popstore_formats::types::{HexBytes, Secret as FSecret};
    f.scram_sha_256 = v.scram_sha256.as_ref().map(|k| ScramSha256 {
        iterations: k.iterations,
        salt: HexBytes(k.salt.clone()),
        stored_key: FSecret(k.stored_key),
        server_key: FSecret(k.server_key),
    });
    f.cram_md5 = v.cram_md5.as_ref().map(|c| CramMd5 {
        inner: FSecret(*c.inner.expose()),
        outer: FSecret(*c.outer.expose()),
    });
    f.apop = v
        .apop
        .as_ref()
        .map(|a| FSecret(a.expose().as_bytes().to_vec()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::VerifierOptions;

    #[test]
    fn round_trips_through_the_profile_records() {
        let opts = VerifierOptions {
            cram_md5: true,
            apop: true,
            ..VerifierOptions::default()
        };
        let v = Verifiers::from_password(&Secret::new("pencil".into()), &opts).unwrap();
        let mut f = FVerifiers::default();
        verifiers_to_profile(&v, &mut f);
        assert!(f.scram_sha_256.is_some() && f.cram_md5.is_some() && f.apop.is_some());
        assert_eq!(verifiers_from_profile(v.argon2id.as_deref(), Some(&f)), v);
        verifiers_to_profile(&Verifiers::default(), &mut f);
        assert!(f.scram_sha_256.is_none() && f.cram_md5.is_none() && f.apop.is_none());
    }
}
