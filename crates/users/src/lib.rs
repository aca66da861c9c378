#![doc = include_str!("../README.md")]

pub mod commands;
pub mod consumers;
pub mod dto;
pub mod error;
mod events;
pub mod mail;
pub(crate) mod models;
pub mod moderation;
pub mod oidc;
pub mod passwords;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
pub mod sessions;
#[cfg(test)]
mod tests;
pub mod timed;

use std::sync::Arc;

use quickfix_jobs_contract::AccountClosure;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AccountGate, AuthUser, GateFuture, SharedLoginEndings};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::export::PersonalDataSources;
use quickfix_shared::ids::UserId;
use quickfix_shared::quota::{QuotaLimits, Quotas};
use quickfix_shared::ratelimit::{FailureBackoff, Limit, RateLimiter};
use quickfix_shared::storage::SharedStorage;
use tokio::sync::OnceCell;

pub use quickfix_users_contract as contract;
pub use routes::configure;
pub use sessions::SessionCache;

/// This crate's tables (`users`, `login_sessions`, `refresh_tokens`,
/// `provider_services`, `favorites`, `account_tokens`,
/// `notification_preferences`, `blocks`, `reports`, `verifications`,
/// `verification_files`, `user_identities`), from `migrations/users/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "users",
    common: diesel_migrations::embed_migrations!("../../migrations/users/common"),
    sqlite: None,
    postgres: None,
};

/// What the users crate needs from configuration.
#[derive(Debug, Clone)]
pub struct UsersConfig {
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// The deployment's currency.
    pub currency: String,
    /// Largest avatar in bytes.
    pub avatar_limit_bytes: usize,
    /// Largest upload in bytes (`server.upload_limit_bytes`): a
    /// verification's files together.
    pub upload_limit_bytes: usize,
    /// Whether auth routes are rate limited.
    pub rate_limit: bool,
    /// Failed logins of one email from one IP per minute before a lockout.
    pub login_failures_per_minute: u32,
    /// Current-password checks of one account per minute.
    pub password_checks_per_minute: u32,
    /// The frontend's address; emailed links point there.
    pub public_url: String,
    /// How long a password reset link works, in seconds.
    pub reset_ttl_secs: i64,
    /// Seconds between two verification emails of one account.
    pub verify_resend_secs: i64,
    /// Lifecycle emails (reset, verification, email change) to one address
    /// per hour; beyond it the routes answer alike and send nothing.
    pub emails_per_address_per_hour: u32,
}

impl UsersConfig {
    /// The lockout threshold of failed logins.
    pub fn login_failures_limit(&self) -> Limit {
        Limit::per_minute(self.login_failures_per_minute.max(1))
    }

    /// The budget of current-password checks of one account.
    pub fn password_checks_limit(&self) -> Limit {
        Limit::per_minute(self.password_checks_per_minute.max(1))
    }
}

/// The crate's state, shared by its handlers as app data.
pub struct UsersState {
    /// Configuration.
    pub config: UsersConfig,
    /// Limits on register, login and refresh.
    pub limiter: RateLimiter,
    /// Failed logins per email and client IP, with backoff.
    pub login_failures: FailureBackoff,
    /// Where avatars are kept.
    pub storage: SharedStorage,
    /// Logins recently confirmed live; forgotten when they end.
    pub sessions: Arc<SessionCache>,
    /// The per-user upload quota (avatars count in it).
    pub quotas: Arc<Quotas>,
    /// The lifecycle emails, rendered and queued.
    pub mail: Arc<mail::AccountMail>,
    closure: Option<Arc<dyn AccountClosure>>,
    /// The other crates' parts of a data export, in order.
    pub personal_data: PersonalDataSources,
    /// The crates that answer for reported objects (this one for users).
    pub moderation: quickfix_shared::moderation::ModerationSources,
    /// The trusted identity providers (`auth.oidc`).
    pub identity_providers: Arc<oidc::IdentityProviders>,
    endings: Option<SharedLoginEndings>,
    dummy_hash: OnceCell<String>,
}

impl UsersState {
    /// The state for a configuration, a store and the session cache the
    /// [`SessionGate`] reads.
    pub fn new(config: UsersConfig, storage: SharedStorage, sessions: Arc<SessionCache>) -> Self {
        let per_address = config
            .rate_limit
            .then_some(config.emails_per_address_per_hour);
        let mail = mail::AccountMail::new(&config.public_url, per_address)
            .expect("the users crate's email templates parse (a unit test proves it)");
        Self {
            mail: Arc::new(mail),
            closure: None,
            personal_data: Vec::new(),
            moderation: Vec::new(),
            limiter: RateLimiter::new(config.rate_limit),
            login_failures: FailureBackoff::new(config.rate_limit),
            config,
            storage,
            sessions,
            quotas: Arc::new(Quotas::new(QuotaLimits::default(), false)),
            identity_providers: Arc::new(oidc::IdentityProviders::none()),
            endings: None,
            dummy_hash: OnceCell::new(),
        }
    }

    /// Signs in with ID tokens of these providers.
    pub fn with_identity_providers(mut self, providers: Arc<oidc::IdentityProviders>) -> Self {
        self.identity_providers = providers;
        self
    }

    /// Asks `closure` (the jobs crate) before an account is deleted.
    pub fn with_account_closure(mut self, closure: Arc<dyn AccountClosure>) -> Self {
        self.closure = Some(closure);
        self
    }

    /// Exports include what `sources` hold of the user, in this order.
    pub fn with_personal_data(mut self, sources: PersonalDataSources) -> Self {
        self.personal_data = sources;
        self
    }

    /// Reports ask `sources` about their targets.
    pub fn with_moderation(
        mut self,
        sources: quickfix_shared::moderation::ModerationSources,
    ) -> Self {
        self.moderation = sources;
        self
    }

    /// The crate answering for reported objects of `kind`; none: 404.
    pub fn moderation_of(
        &self,
        kind: quickfix_shared::moderation::TargetKind,
    ) -> Result<Arc<dyn quickfix_shared::moderation::Moderated>, ApiError> {
        quickfix_shared::moderation::source_of(&self.moderation, kind)
    }

    /// The jobs crate's side of deleting an account.
    pub fn closure(&self) -> Result<Arc<dyn AccountClosure>, ApiError> {
        self.closure
            .clone()
            .ok_or_else(|| ApiError::internal("no AccountClosure is wired"))
    }

    /// Tells `endings` whenever logins end.
    pub fn with_login_endings(mut self, endings: SharedLoginEndings) -> Self {
        self.endings = Some(endings);
        self
    }

    /// After a login (`Some(session)`) or every login of a user (`None`)
    /// ended in the database: forgets them here and ends what rides on
    /// them everywhere (open sockets, other instances' caches).
    pub fn logins_ended(&self, user: &str, session: Option<&str>) {
        match session {
            Some(session) => self.sessions.forget_session(session),
            None => self.sessions.forget_user(user),
        }
        if let (Some(endings), Some(id)) = (&self.endings, UserId::parse(user)) {
            endings.ended(&id, session);
        }
    }

    /// Enforces these quotas (none are enforced otherwise).
    pub fn with_quotas(mut self, quotas: Arc<Quotas>) -> Self {
        self.quotas = quotas;
        self
    }

    /// A hash of the configured cost that matches no password, checked when
    /// a login names an unknown email so both failures take the same time.
    pub async fn dummy_hash(&self) -> Result<String, ApiError> {
        let cost = self.config.bcrypt_cost;
        self.dummy_hash
            .get_or_try_init(|| async move {
                passwords::hash_password("dummy-hash", uuid::Uuid::now_v7().to_string(), cost)
                    .await
                    .map_err(ApiError::from)
            })
            .await
            .cloned()
    }
}

/// Refuses tokens of deactivated users and of ended logins, on every
/// authenticated request: one indexed lookup, remembered briefly in the
/// [`SessionCache`].
pub struct SessionGate {
    pool: DbPool,
    cache: Arc<SessionCache>,
}

impl SessionGate {
    /// A gate reading from `pool`, remembering in `cache`.
    pub fn new(pool: DbPool, cache: Arc<SessionCache>) -> Arc<Self> {
        Arc::new(Self { pool, cache })
    }
}

impl AccountGate for SessionGate {
    fn check(&self, user: &AuthUser) -> GateFuture {
        match self.cache.lookup(user.id.as_str(), &user.session) {
            sessions::Lookup::Live(standing) => Box::pin(std::future::ready(Ok(standing))),
            sessions::Lookup::Aging(standing) => {
                self.confirm_in_background(user);
                Box::pin(std::future::ready(Ok(standing)))
            }
            sessions::Lookup::Unknown => {
                let confirmed = self.confirm(user);
                Box::pin(async move {
                    confirmed.await?.ok_or_else(|| {
                        ApiError::unauthorized("this login has ended or the account is inactive")
                    })
                })
            }
        }
    }
}

impl SessionGate {
    /// Asks the database whether the login is live, remembering a live one
    /// and forgetting an ended one.
    fn confirm(
        &self,
        user: &AuthUser,
    ) -> impl std::future::Future<Output = Result<Option<quickfix_shared::auth::Standing>, ApiError>>
    + 'static {
        let pool = self.pool.clone();
        let cache = Arc::clone(&self.cache);
        let user = user.clone();
        async move {
            let (id, session) = (user.id.clone(), user.session.clone());
            let live = db::run(&pool, move |conn| {
                service::live_session_standing(conn, &id, &session)
            })
            .await
            .map_err(ApiError::from)?;
            match live {
                Some(standing) => cache.remember(user.id.as_str(), &user.session, standing),
                None => cache.forget_session(&user.session),
            }
            Ok(live)
        }
    }

    /// Confirms an aging login after the request was answered from the
    /// cache; a failure leaves the entry to expire or to the next request.
    fn confirm_in_background(&self, user: &AuthUser) {
        let confirmed = self.confirm(user);
        let cache = Arc::clone(&self.cache);
        let session = user.session.clone();
        tokio::spawn(async move {
            if let Err(err) = confirmed.await {
                cache.refresh_failed(&session);
                tracing::debug!(error = %err, "a login could not be confirmed again");
            }
        });
    }
}

/// The users crate's answers to other crates, read through `pool`.
pub struct Accounts {
    pool: DbPool,
}

impl Accounts {
    /// The directory reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl contract::EmailDirectory for Accounts {
    fn email_contacts(
        &self,
        ids: Vec<UserId>,
        kind: &'static str,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<contract::EmailContact>, ApiError>>
    {
        let pool = self.pool.clone();
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            db::run(&pool, move |conn| service::email_contacts(conn, &ids, kind))
                .await
                .map_err(ApiError::from)
        })
    }
}

impl contract::AccountDirectory for Accounts {
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> futures_util::future::BoxFuture<
        'static,
        Result<std::collections::HashMap<UserId, contract::UserSummary>, ApiError>,
    > {
        let pool = self.pool.clone();
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(std::collections::HashMap::new());
            }
            db::run(&pool, move |conn| service::user_summaries(conn, &ids))
                .await
                .map_err(ApiError::from)
        })
    }

    fn blockers_of(
        &self,
        user: UserId,
    ) -> futures_util::future::BoxFuture<'static, Result<std::collections::HashSet<UserId>, ApiError>>
    {
        let pool = self.pool.clone();
        Box::pin(async move {
            db::run(&pool, move |conn| service::blockers_of(conn, &user))
                .await
                .map_err(ApiError::from)
        })
    }
}

/// Deletes the logins that ended or expired more than `retention` ago, with
/// their refresh tokens (the retention purge), in bounded batches on the
/// blocking pool; answers how many went.
pub async fn purge_sessions(
    pool: &DbPool,
    retention: chrono::Duration,
    refresh_ttl: chrono::Duration,
) -> Result<usize, quickfix_shared::db::DbError> {
    db::run(pool, move |conn| {
        service::purge_sessions(conn, retention, refresh_ttl)
    })
    .await
}

/// Deletes the reset, verification and email-change tokens that expired,
/// in bounded batches (the retention purge); answers how many went.
pub async fn purge_account_tokens(pool: &DbPool) -> Result<usize, quickfix_shared::db::DbError> {
    db::run(pool, service::purge_account_tokens).await
}

/// Users per role, for admin statistics.
pub async fn count_by_role(
    pool: &quickfix_shared::db::DbPool,
) -> Result<std::collections::HashMap<String, i64>, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::count_by_role).await
}
