//! Typed settings: the defaults of [`Vars`], then an optional `.env` file, then `APP_*`
//! environment variables, read through `figment`. Secrets are [`SecretString`]s, which never
//! print. The rooms:
//!
//! - [`vars`]: the one declaration, every variable with its default (and the test that holds
//!   `docs/configuration.md` to it);
//! - [`secrets`]: the three secrets, one rule for all: checked when given, required in
//!   `production`, generated once into a git-ignored file in `development`;
//! - [`checks`]: what must fit together (plain SMTP only to this host in production, the
//!   WebAuthn origin and id, keys that must parse, bounds, lists);
//! - [`sections`]: the typed parts of [`Settings`] each piece of the server is given;
//! - [`webhooks`]: the webhook endpoints, secret, event types and retries (`APP_WEBHOOK_*`);
//! - here: [`Settings`] and the one place it is built ([`Settings::from_declared`]).

mod checks;
mod secrets;
mod sections;
#[cfg(test)]
mod testing;
mod vars;
pub mod webhooks;

use std::{collections::HashMap, net::IpAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use secrecy::SecretString;

pub use checks::MAX_CODES_PER_EMAIL_PER_HOUR;
pub use secrets::MIN_SECRET_BYTES;
use secrets::{check_strength, Secrets};
pub use sections::{
    AlertSettings, CodeSettings, Environment, JwtAlgorithm, JwtSettings, LogFormat, MailSettings,
    MfaSettings, OpsSettings, SessionCacheSettings, SessionSettings, SmtpSettings, SmtpTls,
    ThrottleSettings, WebauthnSettings,
};
pub use vars::{Vars, PREFIX};

/// Default length of the password-hash queue per hashing thread (`APP_HASH_QUEUE` defaults to
/// this times `APP_HASH_CONCURRENCY`). One argon2id hash at the OWASP parameters takes about
/// 30–70 ms of one core (measured: 68 ms on a busy 2-core machine), so a full queue is one to
/// two seconds of work per thread: a person waits that long at worst in a burst, well within
/// any client's timeout, and anything beyond is a flood that gets a 503 with `Retry-After`
/// at once instead of making every login slower without end.
pub const HASH_QUEUE_PER_THREAD: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub env: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub mongodb_uri: SecretString,
    pub mongodb_db: String,
    /// How long a request waits for the database before answering 503.
    pub mongodb_timeout: Duration,
    pub smtp: SmtpSettings,
    pub mail_from: String,
    pub mail: MailSettings,
    pub jwt: JwtSettings,
    pub sessions: SessionSettings,
    pub codes: CodeSettings,
    pub mfa: MfaSettings,
    pub throttle: ThrottleSettings,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Concurrent argon2 computations (each on its own blocking thread).
    pub hash_concurrency: usize,
    /// Password hashes allowed to wait for a hashing thread; past it, answer 503 at once.
    pub hash_queue: usize,
    /// The built single-page app, served at `/` when the folder exists.
    pub static_dir: PathBuf,
    pub shutdown_grace: Duration,
    /// `json` or `pretty` log lines.
    pub log_json: bool,
    /// Things the operator must see at start-up (e.g. generated development secrets).
    pub warnings: Vec<String>,
    /// How often failed security notices are retried (the outbox worker's period).
    pub outbox_interval: Duration,
    /// How often the live-sessions gauge is counted and expired sessions are cleaned up ahead
    /// of the TTL index (`APP_SESSIONS_UPKEEP_SECS`, default 60): off every request path.
    pub sessions_upkeep_interval: Duration,
    /// Where "now" comes from: the system clock, except in tests that move time forward.
    pub clock: crate::clock::Clock,
    /// Test hook holding requests between a read and its write (inert unless a test arms it).
    pub rendezvous: crate::rendezvous::Rendezvous,
    /// Operating and integration: introspection, metrics (see [`OpsSettings`]).
    pub ops: OpsSettings,
    /// Passkeys: the relying party and the challenges' lifetime.
    pub webauthn: WebauthnSettings,
    /// New-sign-in alerts and the activity log.
    pub alerts: AlertSettings,
    /// Outbound webhooks (`APP_WEBHOOK_*`); `None` without `APP_WEBHOOK_URLS`.
    pub webhooks: Option<webhooks::WebhookSettings>,
}

impl Settings {
    /// Reads `.env` (if present) and the process environment.
    pub fn load() -> anyhow::Result<Self> {
        // A missing .env is normal; a broken one is an error worth stopping for. Variables
        // already in the environment win over the file.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("reading .env"),
        }
        let vars: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with(PREFIX))
            .collect();
        Self::from_vars(&vars)
    }

    /// Builds settings from `APP_*` variables (a map, so tests need no process environment).
    pub fn from_vars(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        Self::from_declared(Vars::from_map(vars)?)
    }

    /// The checks and derived values that no single variable holds: secrets (generated in
    /// development), plain SMTP only to this host in production, lists, bounds.
    pub fn from_declared(v: Vars) -> anyhow::Result<Self> {
        let env = v.env;
        let mut warnings = Vec::new();
        let secrets = Secrets::of(&v, &mut warnings)?;
        checks::check(&v)?;
        let issuer = v.totp_issuer.trim().to_owned();
        let smtp_host = v.smtp_host.trim();
        let hash_concurrency = v
            .hash_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1);
        let webauthn = checks::webauthn_settings(&v)?;
        let webhooks = webhooks::WebhookSettings::from_vars(&v)?;
        let secs = Duration::from_secs;
        let public_origin = v
            .public_origin
            .as_deref()
            .map(checks::parse_origin)
            .transpose()?;
        Ok(Self {
            env,
            host: v.host,
            port: v.port,
            mongodb_uri: SecretString::from(v.mongodb_uri),
            mongodb_db: v.mongodb_db,
            mongodb_timeout: secs(v.mongodb_timeout_secs),
            smtp: SmtpSettings {
                host: smtp_host.to_owned(),
                port: v.smtp_port,
                username: v.smtp_username,
                password: v.smtp_password.map(SecretString::from),
                tls: v.smtp_tls,
                timeout: secs(v.smtp_timeout_secs),
                connections: usize::try_from(v.smtp_connections).unwrap_or(usize::MAX),
            },
            mail_from: v.mail_from,
            mail: MailSettings {
                templates_dir: v.mail_templates_dir,
                product_name: v.product_name,
                support_email: v.support_email,
            },
            jwt: JwtSettings {
                algorithm: v.jwt_algorithm,
                private_key: v.jwt_private_key.map(SecretString::from),
                previous_public_key: v.jwt_previous_public_key,
                previous_secret: match v.jwt_previous_secret {
                    Some(previous) => {
                        check_strength("APP_JWT_PREVIOUS_SECRET", &previous)?;
                        Some(SecretString::from(previous))
                    }
                    None => None,
                },
                secret: secrets.jwt,
                ttl: secs(v.jwt_ttl_secs),
                issuer: v.jwt_issuer,
                audience: v.jwt_audience,
            },
            sessions: SessionSettings {
                absolute_ttl: secs(v.session_ttl_secs),
                idle_ttl: secs(v.session_idle_secs),
                refresh_grace: secs(v.refresh_grace_secs),
                cache: SessionCacheSettings {
                    capacity: v.session_cache_capacity,
                    heartbeat: Duration::from_millis(v.session_cache_heartbeat_ms.max(10)),
                    // At least two heartbeats, or one late beat would distrust the cache.
                    max_lag: Duration::from_millis(
                        v.session_cache_max_lag_ms
                            .max(2 * v.session_cache_heartbeat_ms.max(10)),
                    ),
                },
                public_origin: public_origin.clone(),
                max_per_account: v.sessions_max.max(1),
            },
            codes: CodeSettings {
                pepper: secrets.pepper,
                ttl: secs(v.code_ttl_secs),
                max_attempts: v.code_max_attempts,
                resend_cooldown: secs(v.resend_cooldown_secs),
                max_per_email_per_hour: v.codes_per_email_per_hour,
                max_per_ip_per_hour: v.codes_per_ip_per_hour,
                max_failures_per_day: v.code_max_failures_per_day,
            },
            mfa: MfaSettings {
                issuer,
                key: secrets.mfa_key,
                ticket_ttl: secs(v.mfa_ticket_ttl_secs),
                ticket_max_attempts: v.mfa_ticket_max_attempts.max(1),
                max_failures: v.mfa_max_failures.max(1),
                failure_window: secs(v.mfa_failure_window_secs),
                step_up_ttl: secs(v.step_up_ttl_secs),
            },
            throttle: ThrottleSettings {
                max_login_failures: v.login_max_failures,
                login_failure_window: secs(v.login_failure_window_secs),
                max_failures_total: v.login_max_failures_total.max(1),
                ip_per_second: v.rate_limit_per_second.max(1),
                ip_burst: v.rate_limit_burst.max(1),
                trusted_proxies: checks::list(v.trusted_proxies.as_deref())
                    .map(checks::parse_net)
                    .collect::<anyhow::Result<_>>()?,
                ipv6_prefix: v.ipv6_prefix,
                known_network_ttl: secs(v.login_known_network_ttl_secs),
                device_cookie_ttl: secs(v.login_device_ttl_secs),
                secure_cookies: env == Environment::Production,
            },
            cors_origins: checks::list(v.cors_origins.as_deref())
                .map(str::to_owned)
                .collect(),
            hash_concurrency,
            hash_queue: v
                .hash_queue
                .unwrap_or(HASH_QUEUE_PER_THREAD * hash_concurrency)
                .max(1),
            static_dir: v.static_dir,
            shutdown_grace: secs(v.shutdown_grace_secs),
            log_json: match v.log_format {
                Some(format) => format == LogFormat::Json,
                None => env == Environment::Production,
            },
            warnings,
            outbox_interval: secs(v.outbox_interval_secs).max(Duration::from_secs(1)),
            sessions_upkeep_interval: secs(v.sessions_upkeep_secs).max(Duration::from_secs(1)),
            clock: crate::clock::Clock::system(),
            rendezvous: Default::default(),
            ops: OpsSettings {
                introspection_secret: match v.introspection_secret {
                    Some(secret) => {
                        // Other services hold it; it must not be guessable offline from a capture.
                        check_strength("APP_INTROSPECTION_SECRET", &secret)?;
                        Some(SecretString::from(secret))
                    }
                    None => None,
                },
                // Loopback by default: the metrics name routes and volumes, not for the world.
                metrics_addr: v
                    .metrics_port
                    .map(|port| std::net::SocketAddr::new(v.metrics_addr, port)),
                // Loopback by default too: the admin API acts on every account.
                admin_addr: v
                    .admin_port
                    .map(|port| std::net::SocketAddr::new(v.admin_addr, port)),
                admin_console_dir: v.admin_console_dir.clone(),
            },
            alerts: AlertSettings {
                new_sign_in: v.new_signin_alerts,
                not_me_ttl: secs(v.not_me_ttl_secs.max(1)),
                activity_retention: secs(v.activity_retention_days.max(1) * 24 * 3600),
                link_origin: public_origin
                    .clone()
                    .unwrap_or_else(|| webauthn.rp_origin.origin().ascii_serialization()),
            },
            webauthn,
            webhooks,
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use testing::*;

    #[test]
    fn session_defaults_and_overrides() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.jwt.ttl, Duration::from_secs(15 * 60));
        assert_eq!(s.sessions.absolute_ttl, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(s.sessions.idle_ttl, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(s.sessions.refresh_grace, Duration::from_secs(10));
        assert_eq!(s.sessions.public_origin, None);
        assert_eq!(s.mail.product_name, "Email Auth");
        assert_eq!(
            (s.mail.templates_dir.clone(), s.mail.support_email.clone()),
            (None, None)
        );
        assert_eq!(s.outbox_interval, Duration::from_secs(30));
        assert_eq!(s.sessions_upkeep_interval, Duration::from_secs(60));
        let s = with_secrets(&[
            ("APP_SESSION_TTL_SECS", "100"),
            ("APP_SESSION_IDLE_SECS", "50"),
            ("APP_REFRESH_GRACE_SECS", "0"),
            ("APP_PUBLIC_ORIGIN", "https://Auth.Example.com/"),
        ])
        .unwrap();
        assert_eq!(s.sessions.absolute_ttl, Duration::from_secs(100));
        assert_eq!(s.sessions.idle_ttl, Duration::from_secs(50));
        assert_eq!(s.sessions.refresh_grace, Duration::ZERO);
        assert_eq!(
            s.sessions.public_origin.as_deref(),
            Some("https://auth.example.com")
        );
        for bad in [
            "auth.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://u@x",
        ] {
            assert_refused(&[("APP_PUBLIC_ORIGIN", bad)], "APP_PUBLIC_ORIGIN");
        }
    }

    #[test]
    fn the_hash_queue_scales_with_the_hashing_threads() {
        let with = |extra: &[(&str, &str)]| {
            let mut v = vars(&[("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)]);
            v.extend(vars(extra));
            Settings::from_vars(&v)
        };
        let s = with(&[("APP_HASH_CONCURRENCY", "3")]).unwrap();
        assert_eq!(s.hash_queue, 3 * HASH_QUEUE_PER_THREAD);
        let s = with(&[("APP_HASH_CONCURRENCY", "3"), ("APP_HASH_QUEUE", "5")]).unwrap();
        assert_eq!((s.hash_concurrency, s.hash_queue), (3, 5));
        assert_eq!(with(&[("APP_HASH_QUEUE", "0")]).unwrap().hash_queue, 1);
        let err = with(&[("APP_HASH_QUEUE", "many")]).unwrap_err();
        assert!(err.to_string().contains("APP_HASH_QUEUE"), "{err}");
    }

    #[test]
    fn production_accepts_strong_secrets_and_defaults_to_json_logs() {
        let s = with_secrets(&[
            ("APP_ENV", "production"),
            ("APP_SMTP_TLS", "starttls"),
            ("APP_PORT", "9000"),
        ])
        .unwrap();
        assert_eq!(s.port, 9000);
        assert_eq!(s.smtp.tls, SmtpTls::StartTls);
        assert!(s.log_json);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn login_trust_lifetimes_default_and_parse_and_cookies_are_secure_in_production() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.throttle.known_network_ttl, Duration::from_secs(7_776_000));
        assert_eq!(
            s.throttle.device_cookie_ttl,
            Duration::from_secs(31_536_000)
        );
        assert!(!s.throttle.secure_cookies);
        let s = with_secrets(&[
            ("APP_ENV", "production"),
            ("APP_SMTP_TLS", "starttls"),
            ("APP_LOGIN_KNOWN_NETWORK_TTL_SECS", "60"),
            ("APP_LOGIN_DEVICE_TTL_SECS", "120"),
        ])
        .unwrap();
        assert_eq!(s.throttle.known_network_ttl, Duration::from_secs(60));
        assert_eq!(s.throttle.device_cookie_ttl, Duration::from_secs(120));
        assert!(s.throttle.secure_cookies);
        assert_refused(
            &[("APP_LOGIN_DEVICE_TTL_SECS", "a year")],
            "APP_LOGIN_DEVICE_TTL_SECS",
        );
    }

    #[test]
    fn the_daily_cap_on_wrong_codes_defaults_to_twenty_and_is_configurable() {
        let strong = [("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)];
        let s = Settings::from_vars(&vars(&strong)).unwrap();
        assert_eq!(s.codes.max_failures_per_day, 20);
        let mut set = strong.to_vec();
        set.push(("APP_CODE_MAX_FAILURES_PER_DAY", "7"));
        let s = Settings::from_vars(&vars(&set)).unwrap();
        assert_eq!(s.codes.max_failures_per_day, 7);
        set.push(("APP_CODE_MAX_FAILURES_PER_DAY", "many"));
        let err = Settings::from_vars(&vars(&set)).unwrap_err();
        assert!(
            err.to_string().contains("APP_CODE_MAX_FAILURES_PER_DAY"),
            "{err}"
        );
    }

    #[test]
    fn ops_settings_default_off_and_parse() {
        let s = with_secrets(&[]).unwrap();
        assert!(s.ops.introspection_secret.is_none());
        assert_eq!(
            s.ops.metrics_addr, None,
            "no metrics listener unless a port is set"
        );
        assert_eq!(
            s.ops.admin_addr, None,
            "no admin listener unless a port is set"
        );
        let admin = with_secrets(&[("APP_ADMIN_PORT", "9200")]).unwrap();
        assert_eq!(
            admin.ops.admin_addr,
            Some("127.0.0.1:9200".parse().unwrap())
        );
        assert_eq!(s.jwt.algorithm, JwtAlgorithm::EdDSA);
        let s = with_secrets(&[
            ("APP_INTROSPECTION_SECRET", STRONG),
            ("APP_METRICS_PORT", "9100"),
            ("APP_JWT_ALGORITHM", "HS256"),
        ])
        .unwrap();
        assert_eq!(
            s.ops
                .introspection_secret
                .as_ref()
                .map(|v| v.expose_secret().to_owned()),
            Some(STRONG.to_owned())
        );
        assert_eq!(s.ops.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(s.jwt.algorithm, JwtAlgorithm::HS256);
        let s = with_secrets(&[("APP_METRICS_PORT", "0"), ("APP_METRICS_ADDR", "::")]).unwrap();
        assert_eq!(s.ops.metrics_addr, Some("[::]:0".parse().unwrap()));
        for (key, value) in [
            ("APP_INTROSPECTION_SECRET", "short"),
            ("APP_METRICS_PORT", "metrics"),
            ("APP_JWT_ALGORITHM", "RS256"),
            ("APP_JWT_PRIVATE_KEY", "not a pem"),
            ("APP_JWT_PREVIOUS_PUBLIC_KEY", "not a pem"),
        ] {
            assert_refused(&[(key, value), ("APP_METRICS_ADDR", "127.0.0.1")], key);
        }
    }
}
