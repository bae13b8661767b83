//! Verifying argon2id hashes with a bounded, reused pool of work memory.
//!
//! Each verification needs `m` KiB of work memory (19 MiB by default). With
//! argon2's own allocation, every login mallocs and frees that much, and
//! glibc's adaptive thresholds then keep the freed memory in per-thread
//! arenas: a server doing logins grew by megabytes per session. Here at
//! most one buffer per CPU exists, reused forever, and at most that many
//! verifications run at once (the others wait), which also caps the CPU an
//! attacker can make the server spend on password checks.

use std::sync::{Condvar, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

use super::secret::constant_time_eq;

struct Pool {
    free: Mutex<(Vec<Vec<Block>>, usize)>,
    wake: Condvar,
}

static POOL: Pool = Pool {
    free: Mutex::new((Vec::new(), 0)),
    wake: Condvar::new(),
};

fn permits() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `f` with a work buffer of at least `blocks` blocks.
fn with_memory<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let mut buf = {
        let mut guard = POOL.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(b) = guard.0.pop() {
                break b;
            }
            if guard.1 < permits() {
                guard.1 += 1;
                break Vec::new();
            }
            guard = POOL.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    };
    if buf.len() < blocks {
        buf.resize(blocks, Block::default());
    }
    let r = f(&mut buf[..blocks]);
    POOL.free
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .0
        .push(buf);
    POOL.wake.notify_one();
    r
}

/// True when `password` matches the PHC string `phc` (argon2id, argon2i or
/// argon2d); false for a wrong password or a malformed hash.
pub fn verify(password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let ok = with_memory(params.block_count(), |mem| {
        argon
            .hash_password_into_with_memory(password, salt, &mut out, mem)
            .is_ok()
    });
    ok && constant_time_eq(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher;

    use super::*;

    #[test]
    fn verifies_what_argon2_hashed() {
        let phc = Argon2::default()
            .hash_password(b"pencil")
            .unwrap()
            .to_string();
        assert!(verify(b"pencil", &phc));
        assert!(!verify(b"pencil!", &phc));
        assert!(!verify(b"pencil", "$argon2id$garbage"));
        assert!(!verify(b"pencil", ""));
        // other parameters and the argon2i variant
        let small = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(64, 1, 1, Some(16)).unwrap(),
        );
        let phc = small.hash_password(b"x").unwrap().to_string();
        assert!(phc.starts_with("$argon2i$"));
        assert!(verify(b"x", &phc));
        // many at once share the bounded pool
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let phc = phc.clone();
                std::thread::spawn(move || verify(if i % 2 == 0 { b"x" } else { b"y" }, &phc))
            })
            .collect();
        let results: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results, [true, false, true, false, true, false]);
    }
}
