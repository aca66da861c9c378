//! Identifier newtypes. IDs are UUID v7 strings, so they sort by creation
//! time; the types keep a job's id from being passed where a user's is meant.

/// Declares an identifier newtype over a UUID string.
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(String);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses a client-supplied id; `None` unless it is a UUID.
            pub fn parse(raw: &str) -> Option<Self> {
                uuid::Uuid::parse_str(raw)
                    .ok()
                    .map(|uuid| Self(uuid.hyphenated().to_string()))
            }

            /// Wraps an id read from the database, where it is known good.
            pub fn from_db(raw: String) -> Self {
                Self(raw)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A job's id.
    JobId
);
id_type!(
    /// An offer's id.
    OfferId
);
id_type!(
    /// A booking's id.
    BookingId
);
id_type!(
    /// A conversation's id.
    ConversationId
);
id_type!(
    /// A message's id.
    MessageId
);
id_type!(
    /// A rating's id.
    RatingId
);
id_type!(
    /// A login session's id (access tokens name it).
    SessionId
);
id_type!(
    /// The id of a service in a provider's catalog.
    ServiceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_uuids_and_normalise_case() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(
            UserId::parse(&id.as_str().to_uppercase()).map(|u| u.into_string()),
            Some(id.into_string())
        );
        assert_eq!(UserId::parse("not-a-uuid"), None);
        assert_eq!(UserId::parse("1; DROP TABLE users"), None);
    }

    #[test]
    fn generated_ids_sort_by_time() {
        let first = JobId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = JobId::generate();
        assert!(first < second);
    }
}
