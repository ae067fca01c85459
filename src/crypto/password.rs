//! Owner passwords: argon2id with the crate's recommended parameters
//! (19 MiB, 2 passes), a fair cost even on a Pi Zero 2 W. Both functions
//! are slow on purpose; async callers run them in `spawn_blocking`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
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
    }
}
