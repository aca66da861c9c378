//! Configuration: built-in defaults, then the file named by
//! `QUICKFIX_CONFIG`, then `QUICKFIX_<SECTION>__<KEY>` environment variables,
//! with `DATABASE_URL` as the alias of `QUICKFIX_DATABASE__URL` (the latter
//! wins when both are set). The gateway reads `.env` before loading.

use std::collections::HashMap;

use config::{Config, ConfigError, Environment, File};
use quickfix_bookings::settings::BookingsSettings;
use quickfix_jobs::settings::JobsSettings;
use quickfix_ratings::settings::RatingsSettings;
use quickfix_shared::ratelimit::TrustedProxies;
use quickfix_shared::settings::{AuthSettings, DEVELOPMENT_JWT_SECRET, DatabaseSettings};
use quickfix_users::oidc::IdentityProvider;
use secrecy::ExposeSecret;
use serde::Deserialize;

/// Every setting of the gateway, one section per concern.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `server.*`
    pub server: ServerSettings,
    /// `database.*`
    pub database: DatabaseSettings,
    /// `auth.*`
    pub auth: AuthSettings,
    /// `rate_limit.*`
    pub rate_limit: RateLimitSettings,
    /// `cors.*`
    pub cors: CorsSettings,
    /// `storage.*`
    pub storage: StorageSettings,
    /// `redis.*`
    #[serde(default)]
    pub redis: RedisSettings,
    /// `app.*`
    pub app: AppSettings,
    /// `jobs.*` (the jobs crate's section and defaults)
    #[serde(default)]
    pub jobs: JobsSettings,
    /// `bookings.*` (the bookings crate's section and defaults)
    #[serde(default)]
    pub bookings: BookingsSettings,
    /// `ratings.*` (the ratings crate's section and defaults)
    #[serde(default)]
    pub ratings: RatingsSettings,
    /// `quota.*`
    pub quota: QuotaSettings,
    /// `retention.*`
    pub retention: RetentionSettings,
    /// `email.*`
    pub email: EmailSettings,
    /// `scheduler.*`
    pub scheduler: SchedulerSettings,
    /// `auth.oidc`: the trusted identity providers (the users crate's),
    /// read from the file's `[[auth.oidc]]` tables or from the JSON array
    /// in `QUICKFIX_AUTH__OIDC`.
    #[serde(skip)]
    pub oidc: Vec<IdentityProvider>,
}

/// `scheduler.*`: the durable scheduler's worker (`quickfix_shared::tasks`).
#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSettings {
    /// Milliseconds between two looks for due tasks.
    pub poll_interval_ms: u64,
    /// The first retry's delay of a failed task; each further one doubles
    /// it, up to an hour.
    pub retry_base_secs: i64,
}

/// `email.*`: where emails go (see `quickfix_shared::mail`).
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// `smtp://host:port`, `smtps://user:pass@host` (`?tls=required` for
    /// STARTTLS); unset writes each email as an `.eml` file under `dir`.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The `From` mailbox.
    pub from: String,
    /// Where emails are written without an SMTP server.
    pub dir: String,
    /// How long a new message waits for its recipient to read it on a
    /// socket before it is emailed.
    pub message_delay_secs: i64,
    /// The first retry's delay; each further one doubles it.
    pub retry_base_secs: i64,
    /// Tries before an email is parked for admins to see.
    pub max_attempts: i32,
    /// Milliseconds between two looks at an empty queue.
    pub poll_interval_ms: u64,
    /// Sent emails older than this are deleted (their links carry tokens).
    pub keep_sent_secs: i64,
}

impl EmailSettings {
    /// The mailer's settings.
    pub fn mail_settings(&self) -> quickfix_shared::mail::MailSettings {
        quickfix_shared::mail::MailSettings {
            smtp_url: self.smtp_url.clone().filter(|url| !url.trim().is_empty()),
            from: self.from.clone(),
            dir: self.dir.clone().into(),
            timing: quickfix_shared::mail::MailTiming {
                poll: std::time::Duration::from_millis(self.poll_interval_ms.max(10)),
                backoff: chrono::TimeDelta::seconds(self.retry_base_secs.max(1)),
                max_attempts: self.max_attempts.max(1),
                ..quickfix_shared::mail::MailTiming::default()
            },
        }
    }
}

/// `quota.*`: what one user may create, each refusal 429 `quota_exceeded`.
#[derive(Debug, Clone, Deserialize)]
pub struct QuotaSettings {
    /// Messages (REST and socket) one user sends per minute.
    pub messages_per_minute: u32,
    /// New conversations one user opens per day.
    pub conversations_per_day: u32,
    /// Bytes one user uploads per day (avatars, attachments).
    pub upload_bytes_per_day: u64,
    /// Open sockets of one user; the oldest is closed (4409) beyond it.
    pub sockets_per_user: usize,
}

/// `retention.*`: how long data outlives its purpose.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Notifications older than this are deleted.
    pub notifications_secs: i64,
    /// Ended or expired logins older than this are deleted with their
    /// refresh tokens; 0 means the refresh-token lifetime.
    pub sessions_secs: i64,
    /// Idempotency records older than this are deleted.
    pub idempotency_secs: i64,
    /// Seconds between two purges.
    pub purge_interval_secs: u64,
}

/// `server.*`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// HTTP worker threads; unset uses one per core.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Largest JSON body in bytes.
    pub json_limit_bytes: usize,
    /// Largest upload body in bytes.
    pub upload_limit_bytes: usize,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Comma-separated CIDRs of proxies whose `X-Forwarded-For` is believed.
    #[serde(default)]
    pub trusted_proxies: String,
}

/// `rate_limit.*`
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// Whether limits and quotas apply at all (tests switch them off).
    pub enabled: bool,
    /// Requests one client IP may make per minute, all routes together.
    pub per_ip_per_minute: u32,
    /// Failed logins of one email from one IP per minute before a lockout.
    pub login_per_account_per_minute: u32,
    /// Current-password checks of one signed-in account per minute.
    pub password_checks_per_account_per_minute: u32,
    /// Reset, verification and email-change emails to one address per hour.
    pub emails_per_address_per_hour: u32,
}

/// `cors.*`
#[derive(Debug, Clone, Deserialize)]
pub struct CorsSettings {
    /// Comma-separated browser origins allowed to call the API.
    pub allowed_origins: String,
}

impl CorsSettings {
    /// The allowed origins, trimmed, empty entries dropped.
    pub fn origins(&self) -> Vec<String> {
        self.allowed_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `storage.*`
#[derive(Debug, Clone, Deserialize)]
pub struct StorageSettings {
    /// Directory of the local upload store.
    pub path: String,
}

/// `redis.*`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedisSettings {
    /// When set, real-time events fan out through Redis.
    #[serde(default)]
    pub url: Option<String>,
}

/// `app.*`
#[derive(Debug, Clone, Deserialize)]
pub struct AppSettings {
    /// The deployment environment.
    pub env: AppEnv,
    /// The currency of every price (ISO 4217).
    pub currency: String,
    /// The frontend's address; links in emails point there.
    pub public_url: String,
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    /// Local development: readable logs, the development secret allowed.
    Development,
    /// Automated tests.
    Test,
    /// Production: JSON logs, a real secret required.
    Production,
}

/// Why the settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The sources could not be read or did not fit the settings.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Production must not run on the development secret or a short one.
    #[error(
        "auth.jwt_secret must be set to a secret of at least 32 bytes in production \
         (set QUICKFIX_AUTH__JWT_SECRET)"
    )]
    WeakSecret,
    /// The development JWT secret on a non-loopback address.
    #[error(
        "server.host is {0}, reachable from other machines, but auth.jwt_secret is the public development secret: set QUICKFIX_AUTH__JWT_SECRET to 32+ random bytes"
    )]
    PublicDevelopmentSecret(String),
    /// `auth.oidc` does not parse or names an unusable provider.
    #[error("auth.oidc: {0}")]
    Oidc(String),
    /// `server.trusted_proxies` does not parse.
    #[error("server.trusted_proxies: {0}")]
    TrustedProxies(String),
}

/// The variable holding `auth.oidc` as a JSON array (the `config` crate
/// reads no lists of tables from the environment).
pub const OIDC_VARIABLE: &str = "QUICKFIX_AUTH__OIDC";

/// Whether a listen address is reachable from this machine only.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The built-in defaults of the gateway's own sections, as `(key, value)`;
/// a domain crate's section (`bookings.*`, `ratings.*`) has its defaults in
/// that crate.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("server.host", "127.0.0.1"),
    ("server.port", "8080"),
    ("server.json_limit_bytes", "1048576"),
    ("server.upload_limit_bytes", "10485760"),
    ("server.shutdown_timeout_secs", "30"),
    ("database.url", "sqlite://quickfix.db"),
    ("database.connect_timeout_secs", "5"),
    ("auth.jwt_secret", DEVELOPMENT_JWT_SECRET),
    ("auth.access_ttl_secs", "900"),
    ("auth.refresh_ttl_secs", "2592000"),
    ("auth.bcrypt_cost", "12"),
    ("auth.session_cache_ms", "2000"),
    ("auth.reset_ttl_secs", "3600"),
    ("auth.verify_resend_secs", "60"),
    ("auth.require_verified_email", "false"),
    ("email.from", "QuickFix <no-reply@localhost>"),
    ("email.dir", "./mail"),
    ("email.message_delay_secs", "300"),
    ("email.retry_base_secs", "5"),
    ("email.max_attempts", "8"),
    ("email.poll_interval_ms", "500"),
    ("email.keep_sent_secs", "604800"),
    ("rate_limit.emails_per_address_per_hour", "5"),
    ("app.public_url", "http://localhost:3000"),
    ("scheduler.poll_interval_ms", "250"),
    ("scheduler.retry_base_secs", "5"),
    ("rate_limit.enabled", "true"),
    ("rate_limit.per_ip_per_minute", "600"),
    ("rate_limit.login_per_account_per_minute", "10"),
    ("rate_limit.password_checks_per_account_per_minute", "5"),
    ("quota.messages_per_minute", "60"),
    ("quota.conversations_per_day", "100"),
    ("quota.upload_bytes_per_day", "209715200"),
    ("quota.sockets_per_user", "10"),
    ("retention.notifications_secs", "15552000"),
    ("retention.sessions_secs", "0"),
    ("retention.idempotency_secs", "86400"),
    ("retention.purge_interval_secs", "300"),
    (
        "cors.allowed_origins",
        "http://localhost:4200,http://localhost:3000,http://localhost:5173",
    ),
    ("storage.path", "./uploads"),
    ("app.env", "development"),
    ("app.currency", "USD"),
];

impl Settings {
    /// Loads the settings from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&std::env::vars().collect())
    }

    /// Loads the settings from the given environment variables.
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder();
        for (key, value) in DEFAULTS {
            builder = builder.set_default(*key, *value)?;
        }
        if let Some(path) = env.get("QUICKFIX_CONFIG").filter(|p| !p.is_empty()) {
            builder = builder.add_source(File::with_name(path).required(true));
        }
        let quickfix_env: HashMap<String, String> = env
            .iter()
            .filter(|(key, _)| {
                key.starts_with("QUICKFIX_")
                    && key.as_str() != "QUICKFIX_CONFIG"
                    && key.as_str() != OIDC_VARIABLE
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("QUICKFIX")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(quickfix_env)),
        );
        if !env.contains_key("QUICKFIX_DATABASE__URL")
            && let Some(url) = env.get("DATABASE_URL").filter(|u| !u.is_empty())
        {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        let config = builder.build()?;
        let mut settings: Settings = config.clone().try_deserialize()?;
        settings.oidc = match env.get(OIDC_VARIABLE).filter(|v| !v.trim().is_empty()) {
            Some(json) => serde_json::from_str(json).map_err(|e| {
                SettingsError::Oidc(format!(
                    "{OIDC_VARIABLE} is not a JSON array of providers: {e}"
                ))
            })?,
            None => match config.get::<Vec<IdentityProvider>>("auth.oidc") {
                Ok(providers) => providers,
                Err(ConfigError::NotFound(_)) => Vec::new(),
                Err(err) => return Err(SettingsError::Oidc(err.to_string())),
            },
        };
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that must not run: a weak secret in production,
    /// the public development secret on an address others can reach (in
    /// any environment: anyone could mint tokens), and proxies that do not
    /// parse.
    pub fn check(&self) -> Result<(), SettingsError> {
        let weak =
            self.auth.uses_development_secret() || self.auth.jwt_secret.expose_secret().len() < 32;
        if self.app.env == AppEnv::Production && weak {
            return Err(SettingsError::WeakSecret);
        }
        if self.auth.uses_development_secret() && !is_loopback_host(&self.server.host) {
            return Err(SettingsError::PublicDevelopmentSecret(
                self.server.host.clone(),
            ));
        }
        quickfix_users::oidc::check_providers(&self.oidc).map_err(SettingsError::Oidc)?;
        TrustedProxies::parse(&self.server.trusted_proxies)
            .map_err(SettingsError::TrustedProxies)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = Settings::load_from(&env(&[])).expect("defaults load");
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.database.url, "sqlite://quickfix.db");
        assert_eq!(s.database.pool_size, None);
        assert_eq!(s.auth.access_ttl_secs, 900);
        assert_eq!(s.auth.refresh_ttl_secs, 2_592_000);
        assert_eq!(s.auth.bcrypt_cost, 12);
        assert!(s.rate_limit.enabled);
        assert_eq!(s.cors.origins().len(), 3);
        assert_eq!(s.storage.path, "./uploads");
        assert_eq!(s.redis.url, None);
        assert_eq!(s.app.env, AppEnv::Development);
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = Settings::load_from(&env(&[
            ("QUICKFIX_SERVER__PORT", "9000"),
            ("QUICKFIX_DATABASE__POOL_SIZE", "3"),
            ("QUICKFIX_RATE_LIMIT__ENABLED", "false"),
            ("QUICKFIX_REDIS__URL", "redis://127.0.0.1:6379"),
        ]))
        .expect("loads");
        assert_eq!(s.server.port, 9000);
        assert_eq!(s.database.pool_size, Some(3));
        assert!(!s.rate_limit.enabled);
        assert_eq!(s.redis.url.as_deref(), Some("redis://127.0.0.1:6379"));
    }

    #[test]
    fn a_crates_section_takes_its_defaults_from_the_crate_and_overrides_from_outside() {
        let defaults = Settings::load_from(&env(&[])).expect("defaults load");
        assert_eq!(defaults.bookings.location_keep, 200);
        assert_eq!(defaults.bookings.location_trail, 50);
        assert!(defaults.ratings.enabled);
        assert_eq!(defaults.ratings.reveal_after_days, 7);
        let s = Settings::load_from(&env(&[
            ("QUICKFIX_BOOKINGS__LOCATION_KEEP", "5"),
            ("QUICKFIX_RATINGS__ENABLED", "false"),
        ]))
        .expect("loads");
        assert_eq!(s.bookings.location_keep, 5);
        assert_eq!(
            s.bookings.location_trail, 50,
            "the rest of the section stays"
        );
        assert_eq!(
            s.bookings.location_policy().trail,
            5,
            "the trail is never longer than what is kept"
        );
        assert!(!s.ratings.enabled);
        assert_eq!(
            s.ratings.reveal_after_days, 7,
            "the rest of the section stays"
        );
    }

    #[test]
    fn database_url_is_an_alias_that_yields_to_the_full_name() {
        let alias =
            Settings::load_from(&env(&[("DATABASE_URL", "postgres://a/b")])).expect("loads");
        assert_eq!(alias.database.url, "postgres://a/b");
        let both = Settings::load_from(&env(&[
            ("DATABASE_URL", "postgres://a/b"),
            ("QUICKFIX_DATABASE__URL", "sqlite://x.db"),
        ]))
        .expect("loads");
        assert_eq!(both.database.url, "sqlite://x.db");
    }

    #[test]
    fn the_development_secret_is_refused_on_a_reachable_address_in_any_environment() {
        for env_name in ["development", "test", "production"] {
            let refused = Settings::load_from(&env(&[
                ("QUICKFIX_SERVER__HOST", "0.0.0.0"),
                ("QUICKFIX_APP__ENV", env_name),
            ]));
            assert!(
                refused.is_err(),
                "{env_name} on 0.0.0.0 with the public secret"
            );
        }
        for host in ["127.0.0.1", "localhost", "::1", "[::1]"] {
            assert!(
                Settings::load_from(&env(&[("QUICKFIX_SERVER__HOST", host)])).is_ok(),
                "{host} is loopback"
            );
        }
        let real = Settings::load_from(&env(&[
            ("QUICKFIX_SERVER__HOST", "0.0.0.0"),
            (
                "QUICKFIX_AUTH__JWT_SECRET",
                "a-real-secret-of-more-than-32-bytes!",
            ),
        ]));
        assert!(real.is_ok(), "a real secret may listen anywhere");
        assert!(
            Settings::load_from(&env(&[("QUICKFIX_SERVER__TRUSTED_PROXIES", "nonsense")])).is_err()
        );
    }

    #[test]
    fn a_config_file_sits_between_defaults_and_environment() {
        let dir = std::env::temp_dir().join(format!("qf-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("quickfix.toml");
        std::fs::write(
            &file,
            "[server]\nport = 7000\nhost = \"0.0.0.0\"\n[auth]\njwt_secret = \"a-real-secret-of-more-than-32-bytes!\"\n",
        )
        .expect("write");
        let path = file.display().to_string();
        let s = Settings::load_from(&env(&[
            ("QUICKFIX_CONFIG", &path),
            ("QUICKFIX_SERVER__PORT", "7001"),
        ]))
        .expect("loads");
        assert_eq!(s.server.host, "0.0.0.0");
        assert_eq!(s.server.port, 7001);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn identity_providers_come_from_the_file_or_one_json_variable() {
        assert!(
            Settings::load_from(&env(&[]))
                .expect("defaults")
                .oidc
                .is_empty()
        );
        let dir = std::env::temp_dir().join(format!("qf-oidc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("quickfix.toml");
        std::fs::write(
            &file,
            "[[auth.oidc]]\nname = \"firebase\"\nissuer = \"https://securetoken.google.com/demo\"\naudience = \"demo\"\njwks_url = \"https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com\"\n\n[[auth.oidc]]\nname = \"keycloak\"\nissuer = \"https://id.example.com/realms/qf\"\naudience = \"quickfix\"\njwks_url = \"https://id.example.com/realms/qf/protocol/openid-connect/certs\"\n",
        )
        .expect("write");
        let path = file.display().to_string();
        let from_file = Settings::load_from(&env(&[("QUICKFIX_CONFIG", &path)])).expect("loads");
        let names: Vec<_> = from_file.oidc.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["firebase", "keycloak"]);
        let json = r#"[{"name": "auth0", "issuer": "https://qf.eu.auth0.com/", "audience": "abc", "jwks_url": "https://qf.eu.auth0.com/.well-known/jwks.json"}]"#;
        let from_env =
            Settings::load_from(&env(&[("QUICKFIX_CONFIG", &path), (OIDC_VARIABLE, json)]))
                .expect("loads");
        assert_eq!(
            from_env.oidc.len(),
            1,
            "the variable replaces the file's list"
        );
        assert_eq!(from_env.oidc[0].audience, "abc");
        let _ = std::fs::remove_dir_all(dir);
        let clear = r#"[{"name": "x", "issuer": "i", "audience": "a", "jwks_url": "http://keys.example.com/jwks"}]"#;
        assert!(matches!(
            Settings::load_from(&env(&[(OIDC_VARIABLE, clear)])),
            Err(SettingsError::Oidc(_))
        ));
        assert!(matches!(
            Settings::load_from(&env(&[(OIDC_VARIABLE, "{not json")])),
            Err(SettingsError::Oidc(_))
        ));
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let err = Settings::load_from(&env(&[("QUICKFIX_APP__ENV", "production")]));
        assert!(matches!(err, Err(SettingsError::WeakSecret)));
        let short = Settings::load_from(&env(&[
            ("QUICKFIX_APP__ENV", "production"),
            ("QUICKFIX_AUTH__JWT_SECRET", "short"),
        ]));
        assert!(matches!(short, Err(SettingsError::WeakSecret)));
        let ok = Settings::load_from(&env(&[
            ("QUICKFIX_APP__ENV", "production"),
            (
                "QUICKFIX_AUTH__JWT_SECRET",
                "0123456789abcdef0123456789abcdef",
            ),
        ]));
        assert!(ok.is_ok());
    }
}
