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
    serde_path_to_error::deserialize(de).map_err(located)
}

/// A deserialization error as an `Invalid` naming the path of the bad field.
pub(crate) fn located<E: std::fmt::Display>(err: serde_path_to_error::Error<E>) -> Invalid {
    let path = err.path().to_string();
    let field = if path == "." { String::new() } else { path };
    Invalid::new(field, err.into_inner().to_string())
}

/// A JSON document that is parsed into `T` (and validated) on arrival, keeping the
/// outcome instead of failing the whole request, so the error can name the bad field
/// (`widgets[0].rect.h`) instead of a line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<T>(Result<T, Invalid>);

/// A type that can check its own invariants after deserialization.
pub trait Validate {
    fn check(&self) -> Result<(), Invalid>;

    /// Brings a document written by an earlier release to the current shape, before
    /// it is parsed.
    fn upgrade(raw: serde_json::Value) -> Result<serde_json::Value, Invalid> {
        Ok(raw)
    }
}

impl<T> Document<T> {
    pub fn new(value: T) -> Self {
        Self(Ok(value))
    }

    /// The parsed and validated value, or what was wrong with it.
    pub fn into_inner(self) -> Result<T, Invalid> {
        self.0
    }
}

impl<T: Serialize> Serialize for Document<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(value) => value.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned + Validate> Deserialize<'de> for Document<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        let parsed = T::upgrade(raw)
            .and_then(|raw| serde_path_to_error::deserialize::<_, T>(raw).map_err(located))
            .and_then(|value| value.check().map(|()| value));
        Ok(Self(parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dashboard;

    #[test]
    fn a_document_with_a_wrong_type_names_the_field() {
        let raw = r#"{"schema_version":1,"name":"x","resolution":{"width":1920,"height":"tall"}}"#;
        let doc: Document<Dashboard> = serde_json::from_str(raw).unwrap();
        assert_eq!(doc.into_inner().unwrap_err().field, "resolution.height");
    }

    #[test]
    fn a_document_is_validated_after_parsing() {
        let raw = r#"{"schema_version":1,"name":"","resolution":{"width":1920,"height":1080}}"#;
        let doc: Document<Dashboard> = serde_json::from_str(raw).unwrap();
        assert_eq!(doc.into_inner().unwrap_err().field, "name");
    }

    #[test]
    fn a_valid_document_round_trips() {
        let d = Dashboard::new("ok").unwrap();
        let text = serde_json::to_string(&Document::new(d.clone())).unwrap();
        let back: Document<Dashboard> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.into_inner().unwrap(), d);
    }
}
