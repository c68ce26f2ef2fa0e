//! The validation error every model type returns: which field, and what is wrong with it.

use serde::{Deserialize, Serialize};

/// A value that failed validation. `field` is a path into the document
/// (`widgets[2].rect.w`), `message` says what is wrong in words an author understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefixes the field path, so nested validators can report the full path.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// Parses a JSON document into `T`, reporting the path of the first bad field.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Invalid> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        Invalid::new(field, err.into_inner().to_string())
    })
}
