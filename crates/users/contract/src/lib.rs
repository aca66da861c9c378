//! What other crates may know of the users crate: a user's id and role, the
//! summary others show of an account, and the question they ask of it.
//! Nothing here touches a database.

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;

pub use quickfix_shared::auth::Role;
pub use quickfix_shared::ids::UserId;

/// Facts about a user that other crates may show or check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Id.
    pub id: UserId,
    /// Role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Whether the account may act.
    pub is_active: bool,
}

/// What the users crate is asked by others.
pub trait AccountDirectory: Send + Sync + 'static {
    /// The summaries of these users, in one query; an unknown id is absent
    /// from the answer.
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> BoxFuture<'static, Result<HashMap<UserId, UserSummary>, ApiError>>;

    /// Whether the user exists and may act.
    fn is_active(&self, id: UserId) -> BoxFuture<'static, Result<bool, ApiError>> {
        let summaries = self.summaries(vec![id.clone()]);
        Box::pin(async move { Ok(summaries.await?.get(&id).is_some_and(|u| u.is_active)) })
    }
}

/// A fixed directory, for crate tests that need accounts without the users
/// crate.
#[derive(Debug, Clone, Default)]
pub struct FixedDirectory {
    users: HashMap<UserId, UserSummary>,
}

impl FixedDirectory {
    /// The directory with `user` in it too.
    pub fn with(mut self, user: UserSummary) -> Self {
        self.users.insert(user.id.clone(), user);
        self
    }
}

impl AccountDirectory for FixedDirectory {
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> BoxFuture<'static, Result<HashMap<UserId, UserSummary>, ApiError>> {
        let found = ids
            .into_iter()
            .filter_map(|id| self.users.get(&id).map(|u| (id, u.clone())))
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_directory_answers_what_it_holds() {
        let (active, inactive) = (UserId::generate(), UserId::generate());
        let directory = FixedDirectory::default()
            .with(UserSummary {
                id: active.clone(),
                role: Role::Provider,
                name: "Ana".to_owned(),
                is_active: true,
            })
            .with(UserSummary {
                id: inactive.clone(),
                role: Role::Customer,
                name: "Rui".to_owned(),
                is_active: false,
            });
        assert!(directory.is_active(active.clone()).await.expect("answer"));
        assert!(!directory.is_active(inactive).await.expect("answer"));
        assert!(
            !directory
                .is_active(UserId::generate())
                .await
                .expect("answer")
        );
        let found = directory
            .summaries(vec![active.clone(), UserId::generate()])
            .await
            .expect("answer");
        assert_eq!(found.len(), 1);
        assert_eq!(found[&active].name, "Ana");
    }
}
