//! Owner passwords: argon2id. Both functions are slow on purpose; async
//! callers run them in `spawn_blocking`.
//!
//! Parameters: OWASP's password storage guidance lists settings of equal
//! strength that trade memory for passes (19 MiB × 2, 12 MiB × 3,
//! 9 MiB × 4, 7 MiB × 5). Burrow takes the 7 MiB × 5 row: the password
//! check is the largest single allocation the server makes, and on a
//! 512 MB Pi it set the peak resident memory; the extra passes cost time
//! only at login. Checks run one at a time (`ONE_CHECK`), so concurrent
//! logins cannot multiply that memory either. A hash records its own
//! parameters, so hashes made with the older 19 MiB setting still verify.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Mutex;

/// Memory of one hash, in KiB (OWASP: m=7168, t=5, p=1).
pub const MEMORY_KIB: u32 = 7 * 1024;
/// Passes over that memory.
pub const PASSES: u32 = 5;

/// Held while argon2 runs: one password check's memory at a time.
static ONE_CHECK: Mutex<()> = Mutex::new(());

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).expect("constant argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longer input only makes hashing slower.
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn check_strength(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password is too short: use at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(format!(
            "the password is too long: use at most {MAX_PASSWORD_LEN} bytes"
        ));
    }
    Ok(())
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>()).expect("16-byte salt");
    let _one = ONE_CHECK.lock().unwrap_or_else(|p| p.into_inner());
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with constant parameters")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => {
            let _one = ONE_CHECK.lock().unwrap_or_else(|p| p.into_inner());
            // The hash's own parameters are used, whatever `argon2()` says.
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_then_verify() {
        let h = super::hash("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &h));
        assert!(!super::verify("wrong horse", &h));
        assert!(!super::verify("x", "not a hash"));
        assert!(h.contains("m=7168,t=5,p=1"), "{h}");
    }

    #[test]
    fn hashes_made_with_the_older_parameters_still_verify() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let old = argon2::Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456"));
        assert!(super::verify("correct horse", &old));
        assert!(!super::verify("wrong horse", &old));
    }
}
