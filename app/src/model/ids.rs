//! Identifier newtypes. Each is a short opaque string checked on construction, so an id
//! that reached a handler is already known to be well-formed.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `raw`: 1 to
            #[doc = stringify!($max)]
            /// characters from `A-Z a-z 0-9 - _`.
            pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
                let raw = raw.into();
                if raw.is_empty() || raw.len() > $max {
                    return Err(Invalid::new(
                        "",
                        format!("{} must be 1 to {} characters long", $what, $max),
                    ));
                }
                if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return Err(Invalid::new(
                        "",
                        format!("{} may only hold letters, digits, '-' and '_'", $what),
                    ));
                }
                Ok(Self(raw))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(raw: String) -> Result<Self, Invalid> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A dashboard's id: server-generated, random.
    DashboardId, "a dashboard id", 64
);
string_id!(
    /// A widget's id, unique within its dashboard; the editor picks it.
    WidgetId, "a widget id", 40
);
string_id!(
    /// A data source's id: server-generated, random.
    SourceId, "a source id", 64
);
string_id!(
    /// A dataset's id: server-generated, random.
    DatasetId, "a dataset id", 64
);
string_id!(
    /// A push token's id (not the token): what lists show and revocation names.
    PushTokenId, "a push token id", 64
);
string_id!(
    /// An uploaded file's id: server-generated, random.
    UploadId, "an upload id", 64
);
string_id!(
    /// A workspace's id: server-generated, random (`main` for the one existing data
    /// moved into when accounts came).
    WorkspaceId, "a workspace id", 64
);
string_id!(
    /// A user's id: server-generated, random.
    UserId, "a user id", 64
);
string_id!(
    /// An API token's id (not the token): what lists show and revocation names.
    ApiTokenId, "an API token id", 64
);
string_id!(
    /// A share link's id (not its token): what lists show and revocation names.
    ShareLinkId, "a share link id", 64
);
string_id!(
    /// A share-link token: 256 random bits, base64url without padding (43 characters).
    ShareToken, "a share token", 64
);
string_id!(
    /// A paired screen's id: server-generated, random.
    ScreenId, "a screen id", 64
);
string_id!(
    /// A playlist's id: server-generated, random.
    PlaylistId, "a playlist id", 64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_with_a_slash_is_refused_with_the_reason() {
        let err = DashboardId::parse("ab/cd").unwrap_err();
        assert!(err.message.contains("letters, digits"), "{err}");
    }

    #[test]
    fn an_empty_id_is_refused() {
        assert!(WidgetId::parse("").is_err());
    }

    #[test]
    fn ids_round_trip_through_json() {
        let id = DatasetId::parse("ds_01-A").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"ds_01-A\"");
        assert_eq!(serde_json::from_str::<DatasetId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<DatasetId>("\"a b\"").is_err());
    }
}
