//! Passwords: the rules a new one must meet, and Argon2id hashing (default parameters
//! of the `argon2` crate: 19 MiB, 2 passes). Hashing runs on the blocking pool, so a
//! burst of sign-ins does not stall the async workers; a password's length is bounded
//! before any hashing, so a huge one costs nothing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore as _;

pub const MIN_CHARS: usize = 10;
pub const MAX_BYTES: usize = 256;

/// Passwords people pick most often, of at least `MIN_CHARS` characters (shorter ones
/// are refused by length already). Compared in lower case.
const COMMON: &str = include_str!("common-passwords.txt");

/// Why a new password is refused; `None` if it may be used.
pub fn weakness(password: &str, email: &str) -> Option<String> {
    if password.len() > MAX_BYTES {
        return Some(format!("a password is at most {MAX_BYTES} bytes"));
    }
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some(format!(
            "a password needs at least {MIN_CHARS} characters (this one has {chars})"
        ));
    }
    let lower = password.to_lowercase();
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("a password needs more than three different characters".into());
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return Some("a password must not contain the email address".into());
    }
    if lower.contains("wallboard") || COMMON.lines().any(|common| common.trim() == lower) {
        return Some("this password is among the most common ones; choose another".into());
    }
    None
}

/// The Argon2id PHC string of `password`, with a fresh random salt.
pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .expect("hashing does not panic")
}

pub fn hash_now(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the stored `phc` hash (a malformed hash matches nothing).
pub async fn verify(password: String, phc: String) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a wrong email costs
/// as much time as a wrong password (no account enumeration by timing).
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_now("not a password anyone has"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery".into()).await;
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse battery".into(), phc.clone()).await);
        assert!(!verify("correct horse batterx".into(), phc.clone()).await);
        assert!(!verify("x".repeat(10_000), phc).await);
        assert!(!verify("anything".into(), "not a hash".into()).await);
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let email = "ada@example.com";
        assert!(weakness("short", email).unwrap().contains("at least 10"));
        assert!(weakness("aaaaaaaaaaaa", email)
            .unwrap()
            .contains("different"));
        assert!(weakness("Password123", email).unwrap().contains("common"));
        assert!(weakness("ada-example-2026", email).is_none());
        assert!(weakness("my ada secret 2026", "adam@x.org").is_none());
        assert!(weakness("adam likes tea", "adam@x.org")
            .unwrap()
            .contains("email"));
        assert!(weakness(&"long enough ".repeat(40), email)
            .unwrap()
            .contains("at most"));
        assert!(weakness("MyWallboard2026", email).is_some());
        assert!(weakness("plum tangerine kiwi", email).is_none());
    }
}
