//! Credentials inside a source's configuration: a password, a token, an API key.
//!
//! An author types one in a form (`Credential::Plain`); the server seals it before it
//! is stored (`Credential::Sealed`, encrypted with the key from the environment) and
//! opens it only where the source is read. The browser never receives a source's
//! configuration, and `Debug` never prints a credential's value.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Credential {
    /// Encrypted at rest: `v1.<key id>.<base64 nonce and ciphertext>`.
    Sealed { sealed: String },
    /// As typed in a form; never stored.
    Plain(String),
}

impl Credential {
    pub fn plain(value: impl Into<String>) -> Self {
        Credential::Plain(value.into())
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Credential::Plain(v) if v.is_empty())
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Sealed { .. } => f.write_str("Credential(sealed)"),
            Credential::Plain(_) => f.write_str("Credential(…)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_never_prints_its_value() {
        let c = Credential::plain("hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn a_sealed_credential_reads_back_as_sealed_and_a_string_as_plain() {
        let sealed: Credential = serde_json::from_str(r#"{"sealed":"v1.ab.cd"}"#).unwrap();
        assert!(matches!(sealed, Credential::Sealed { .. }));
        let plain: Credential = serde_json::from_str(r#""pw""#).unwrap();
        assert_eq!(plain, Credential::plain("pw"));
    }
}
