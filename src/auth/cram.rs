//! The CRAM-MD5 context: the HMAC-MD5 inner and outer MD5 chaining values
//! after one block of `K ^ ipad` and `K ^ opad` (formats/SPEC.md, section
//! 6.1; the form Dovecot and UW stored). With it the server computes
//! `HMAC-MD5(K, challenge)` without holding K.
//!
//! The md-5 crate does not expose its compression function, so the MD5
//! compression (RFC 1321) is here; tests check it against md-5.

use super::secret::Secret;
use super::verifiers::hex;

/// MD5's initial chaining value.
const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Per-round left rotations.
const SHIFTS: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// `K[i] = floor(|sin(i + 1)| * 2^32)` (RFC 1321 section 3.4); binary64
/// `sin` is exact enough for all 64 (checked against md-5 in the tests).
fn constants() -> [u32; 64] {
    let mut k = [0u32; 64];
    for (i, v) in k.iter_mut().enumerate() {
        *v = ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32;
    }
    k
}

/// One MD5 compression of a 64-byte block into `state`.
fn compress(state: &mut [u32; 4], block: &[u8; 64], k: &[u32; 64]) {
    let mut m = [0u32; 16];
    for (w, chunk) in m.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    for i in 0..64 {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(f.rotate_left(SHIFTS[(i / 16) * 4 + i % 4]));
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d]) {
        *s = s.wrapping_add(v);
    }
}

fn to_bytes(state: &[u32; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn from_bytes(b: &[u8; 16]) -> [u32; 4] {
    let mut s = [0u32; 4];
    for (w, c) in s.iter_mut().zip(b.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    s
}

/// Finishes MD5 from `state`, after `prefix_len` bytes already compressed,
/// over `data`.
fn finish(mut state: [u32; 4], prefix_len: u64, data: &[u8], k: &[u32; 64]) -> [u8; 16] {
    let total_bits = (prefix_len + data.len() as u64).wrapping_mul(8);
    let mut chunks = data.chunks_exact(64);
    for block in chunks.by_ref() {
        let mut b = [0u8; 64];
        b.copy_from_slice(block);
        compress(&mut state, &b, k);
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let len = if rest.len() < 56 { 64 } else { 128 };
    tail[len - 8..len].copy_from_slice(&total_bits.to_le_bytes());
    for block in tail[..len].chunks_exact(64) {
        let mut b = [0u8; 64];
        b.copy_from_slice(block);
        compress(&mut state, &b, k);
    }
    to_bytes(&state)
}

/// The CRAM-MD5 verifier of an account.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CramMd5Context {
    /// The MD5 chaining value after `K ^ 0x36..` (A, B, C, D little-endian).
    pub inner: Secret<[u8; 16]>,
    /// The MD5 chaining value after `K ^ 0x5C..`.
    pub outer: Secret<[u8; 16]>,
}

impl std::fmt::Debug for CramMd5Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CramMd5Context(<redacted>)")
    }
}

impl CramMd5Context {
    /// The context for `password`.
    pub fn from_password(password: &[u8]) -> Self {
        let k = constants();
        let mut key = [0u8; 64];
        if password.len() > 64 {
            key[..16].copy_from_slice(&finish(IV, 0, password, &k));
        } else {
            key[..password.len()].copy_from_slice(password);
        }
        let pad = |byte: u8| {
            let mut block = [0u8; 64];
            for (b, kb) in block.iter_mut().zip(key) {
                *b = kb ^ byte;
            }
            let mut s = IV;
            compress(&mut s, &block, &k);
            to_bytes(&s)
        };
        Self {
            inner: Secret::new(pad(0x36)),
            outer: Secret::new(pad(0x5c)),
        }
    }

    /// Lower-case hex of `HMAC-MD5(K, challenge)`.
    pub fn digest(&self, challenge: &[u8]) -> String {
        let k = constants();
        let inner = finish(from_bytes(self.inner.expose()), 64, challenge, &k);
        hex(&finish(from_bytes(self.outer.expose()), 64, &inner, &k))
    }
}

#[cfg(test)]
mod tests {
    use md5::Digest as _;

    use super::*;
    use crate::auth::cram_md5_digest;

    #[test]
    fn md5_matches_the_md5_crate() {
        let k = constants();
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let ours = finish(IV, 0, &data, &k);
            let theirs: [u8; 16] = md5::Md5::digest(&data).into();
            assert_eq!(ours, theirs, "length {len}");
        }
    }

    #[test]
    fn context_gives_hmac_md5() {
        let ctx = CramMd5Context::from_password(b"tanstaaftanstaaf");
        assert_eq!(
            ctx.digest(b"<1896.697170952@postoffice.reston.mci.net>"),
            "b913a602c7eda7a495b4e6e7334d3890"
        );
        let long = vec![b'x'; 100];
        for key in [&b""[..], b"k", &[b'z'; 64], &long] {
            let ctx = CramMd5Context::from_password(key);
            assert_eq!(
                ctx.digest(b"<challenge@host>"),
                cram_md5_digest(key, b"<challenge@host>")
            );
        }
        assert!(!format!("{ctx:?}").contains('0'));
    }
}
