//! Sealing the credentials inside source configurations (XChaCha20-Poly1305) with the
//! key from `WALLBOARD_SECRET_KEY`; older keys listed in `WALLBOARD_SECRET_KEY_OLD`
//! still open what they sealed, so a key can be rotated (see README, "Credentials").
//!
//! A sealed value reads `v1.<key id>.<base64url(nonce ‖ ciphertext)>`; the key id is
//! the first 8 hex digits of the key's SHA-256, so the right key is found without
//! trying each. The source's id is bound in as associated data: a sealed value copied
//! into another source's configuration does not open.

use app::model::{Credential, SourceConfig};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::Digest;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    /// A key is 32 bytes written as base64 (standard or url-safe) or as 64 hex digits.
    fn parse(text: &str, var: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| B64.decode(text.trim_end_matches('=')))
                .map_err(|_| format!("{var}: a key is 32 bytes in base64 or 64 hex digits"))?
        };
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{var}: a key is 32 bytes (`openssl rand -base64 32`)"))?;
        let digest = sha2::Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            id,
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        })
    }
}

/// The keys credentials are sealed and opened with.
#[derive(Clone, Default)]
pub struct Vault {
    current: Option<Key>,
    old: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("current", &self.current.as_ref().map(|k| &k.id))
            .field("old", &self.old.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

/// Why a credential could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VaultError {
    #[error(
        "credentials cannot be stored: no encryption key is configured \
         (set WALLBOARD_SECRET_KEY; see README, \"Credentials\")"
    )]
    NoKey,
    #[error(
        "a stored credential was sealed with key {0}, which is not configured \
         (add it to WALLBOARD_SECRET_KEY_OLD)"
    )]
    UnknownKey(String),
    #[error("a stored credential does not open (damaged, or moved from another source)")]
    Damaged,
}

impl Vault {
    /// `current`: the key that seals; `old`: comma-separated keys that only open.
    pub fn from_keys(current: Option<&str>, old: Option<&str>) -> Result<Self, String> {
        let current = current
            .filter(|k| !k.trim().is_empty())
            .map(|k| Key::parse(k, "WALLBOARD_SECRET_KEY"))
            .transpose()?;
        let old = old
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(|k| Key::parse(k, "WALLBOARD_SECRET_KEY_OLD"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { current, old })
    }

    /// A fresh random key, base64: what `wallboard new-key` prints and the laptop
    /// default writes beside its SQLite database.
    pub fn new_key() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    pub fn can_seal(&self) -> bool {
        self.current.is_some()
    }

    /// Seals every plain credential in `config`; `owner` (the source's id) is bound in.
    /// Already sealed ones are left as they are.
    pub fn seal_all(&self, config: &mut SourceConfig, owner: &str) -> Result<(), VaultError> {
        for credential in config.credentials_mut() {
            if let Credential::Plain(value) = credential {
                *credential = self.seal(value, owner)?;
            }
        }
        Ok(())
    }

    /// Opens every sealed credential in `config`, for reading the source.
    pub fn open_all(&self, config: &mut SourceConfig, owner: &str) -> Result<(), VaultError> {
        for credential in config.credentials_mut() {
            if let Credential::Sealed { sealed } = credential {
                *credential = Credential::Plain(self.open(sealed, owner)?);
            }
        }
        Ok(())
    }

    /// Re-seals every credential in `config` with the current key; whether any changed.
    pub fn reseal_all(&self, config: &mut SourceConfig, owner: &str) -> Result<bool, VaultError> {
        let current = self.current.as_ref().ok_or(VaultError::NoKey)?;
        let mut changed = false;
        for credential in config.credentials_mut() {
            if let Credential::Sealed { sealed } = credential {
                if sealed.split('.').nth(1) != Some(current.id.as_str()) {
                    let plain = self.open(sealed, owner)?;
                    *credential = self.seal(&plain, owner)?;
                    changed = true;
                }
            }
        }
        Ok(changed)
    }

    fn seal(&self, value: &str, owner: &str) -> Result<Credential, VaultError> {
        let key = self.current.as_ref().ok_or(VaultError::NoKey)?;
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(Credential::Sealed {
            sealed: format!("v1.{}.{}", key.id, B64.encode(blob)),
        })
    }

    fn open(&self, sealed: &str, owner: &str) -> Result<String, VaultError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VaultError::Damaged);
        };
        let key = self
            .current
            .iter()
            .chain(&self.old)
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_string()))?;
        let blob = B64.decode(blob).map_err(|_| VaultError::Damaged)?;
        if blob.len() < 24 {
            return Err(VaultError::Damaged);
        }
        let (nonce, ciphertext) = blob.split_at(24);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        String::from_utf8(plain).map_err(|_| VaultError::Damaged)
    }
}

/// Re-seals every stored credential with the current key (`wallboard
/// rotate-credentials`); returns how many sources changed. A source that does not open
/// stops the rotation, naming it, before anything else is written.
pub async fn reseal_stored(
    storage: &crate::storage::Storage,
    vault: &Vault,
) -> Result<usize, String> {
    let mut changed = Vec::new();
    for mut source in storage.list_sources().await.map_err(|e| e.to_string())? {
        let owner = source.id.to_string();
        if vault
            .reseal_all(&mut source.config, &owner)
            .map_err(|e| format!("source {} ({}): {e}", source.id, source.name))?
        {
            changed.push(source);
        }
    }
    for source in &changed {
        storage
            .update_source_config(source)
            .await
            .map_err(|e| format!("source {}: {e}", source.id))?;
    }
    Ok(changed.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{HttpAuth, HttpSource};

    fn bearer(token: &str) -> SourceConfig {
        let mut http = HttpSource::get("https://api.example.com/x");
        http.auth = HttpAuth::Bearer {
            token: Credential::plain(token),
        };
        SourceConfig::Http(http)
    }

    fn token_of(config: &SourceConfig) -> Credential {
        let SourceConfig::Http(http) = config else {
            unreachable!()
        };
        let HttpAuth::Bearer { token } = &http.auth else {
            unreachable!()
        };
        token.clone()
    }

    #[test]
    fn a_sealed_credential_hides_its_value_and_opens_back() {
        let vault = Vault::from_keys(Some(&Vault::new_key()), None).unwrap();
        let mut config = bearer("s3cret-token");
        vault.seal_all(&mut config, "src1").unwrap();
        let stored = serde_json::to_string(&config).unwrap();
        assert!(!stored.contains("s3cret"), "{stored}");
        assert!(stored.contains("\"sealed\":\"v1."), "{stored}");
        vault.open_all(&mut config, "src1").unwrap();
        assert_eq!(token_of(&config), Credential::plain("s3cret-token"));
    }

    #[test]
    fn a_credential_moved_to_another_source_does_not_open() {
        let vault = Vault::from_keys(Some(&Vault::new_key()), None).unwrap();
        let mut config = bearer("t");
        vault.seal_all(&mut config, "src1").unwrap();
        assert_eq!(
            vault.open_all(&mut config, "src2"),
            Err(VaultError::Damaged)
        );
    }

    #[test]
    fn without_a_key_nothing_is_sealed_and_the_error_says_what_to_set() {
        let vault = Vault::default();
        let err = vault.seal_all(&mut bearer("t"), "s").unwrap_err();
        assert!(err.to_string().contains("WALLBOARD_SECRET_KEY"));
    }

    #[test]
    fn rotation_reseals_with_the_new_key_and_the_old_key_can_then_go() {
        let (k1, k2) = (Vault::new_key(), Vault::new_key());
        let before = Vault::from_keys(Some(&k1), None).unwrap();
        let mut config = bearer("rotate-me");
        before.seal_all(&mut config, "s").unwrap();

        let during = Vault::from_keys(Some(&k2), Some(&k1)).unwrap();
        assert!(during.reseal_all(&mut config, "s").unwrap());
        assert!(
            !during.reseal_all(&mut config, "s").unwrap(),
            "already current"
        );

        let after = Vault::from_keys(Some(&k2), None).unwrap();
        after.open_all(&mut config, "s").unwrap();
        assert_eq!(token_of(&config), Credential::plain("rotate-me"));

        let mut sealed_with_k1 = bearer("x");
        before.seal_all(&mut sealed_with_k1, "s").unwrap();
        let err = after.open_all(&mut sealed_with_k1, "s").unwrap_err();
        assert!(matches!(err, VaultError::UnknownKey(_)), "{err}");
    }

    #[test]
    fn a_malformed_key_is_refused_naming_the_variable() {
        let err = Vault::from_keys(Some("short"), None).unwrap_err();
        assert!(err.starts_with("WALLBOARD_SECRET_KEY:"), "{err}");
        let hex = "ab".repeat(32);
        assert!(Vault::from_keys(Some(&hex), None).is_ok());
    }
}
